"""The fast local AWS path: DynamoDB data calls go straight to moto's handler, in-process.

Through boto3, each call is built, signed, sent to moto's HTTP-shaped dispatcher, parsed again,
answered, serialised and parsed by botocore: about 80 % of the local runtime's time, for work
whose real part (moto's backend) is a fraction of a millisecond. Here the same boto3 client stands
in, but its data-plane DynamoDB operations skip the round trip:

- the parameters are checked by botocore's own validator against the service model (so a wrong
  call fails with the same ``ParamValidationError``), then copied, so a caller that mutates its
  dicts afterwards cannot reach into moto's stored items (HTTP would have decoupled them too);
- moto's ``DynamoHandler`` method for the operation runs with those parameters as its body: the
  same checks, conditions, indexes and stream records as through HTTP;
- errors come back as the client's own modelled ``ClientError`` subclasses with the code, message
  and extra fields (``Item``, ``CancellationReasons``) botocore would have parsed from the body;
- answers are copied out of moto's objects as plain JSON-shaped dicts, as botocore returns them.

Everything else (control-plane calls, other services, paginators, ``exceptions``) is the plain
boto3 client. ``tests/test_fast_path.py`` runs the same calls both ways and compares the answers;
``tests/test_moto_seams.py`` fails loudly when moto's handler changes shape.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import boto3
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import ParamValidator
from moto.core.exceptions import JsonRESTError, ServiceException
from moto.core.responses import BaseResponse
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.ses.responses import EmailResponse
from moto.sqs.responses import SQSResponse

DIRECT_OPERATIONS = frozenset(
    {
        "get_item",
        "put_item",
        "update_item",
        "delete_item",
        "query",
        "scan",
        "batch_get_item",
        "batch_write_item",
        "transact_get_items",
        "transact_write_items",
    }
)
SQS_OPERATIONS = frozenset({"send_message", "receive_message", "delete_message", "change_message_visibility"})
SES_OPERATIONS = frozenset({"send_raw_email"})
_VALIDATOR = ParamValidator()


def _copy(value: Any) -> Any:
    """A deep copy (fast for the JSON-shaped data of DynamoDB and SQS; raw email bytes too)."""
    try:
        return json.loads(json.dumps(value))
    except TypeError:
        return copy.deepcopy(value)


class FastService:
    """A boto3 client whose listed operations call moto's response handler directly."""

    def __init__(
        self,
        client: Any,
        handler: Callable[[], BaseResponse],
        operations: frozenset[str],
        account_id: str,
        region: str,
        counter: CallCounter | None = None,
    ) -> None:
        self._client = client
        self._handler = handler
        self._operations = operations
        self._account_id = account_id
        self._region = region
        self._counter = counter
        self._service = client.meta.service_model.service_name
        self._event_id = client.meta.service_model.service_id.hyphenize()
        self._names = {name: client.meta.method_to_api_mapping[name] for name in operations}

    def __getattr__(self, name: str) -> Any:
        if name in self._operations:
            return partial(self._call, name)
        return getattr(self._client, name)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        model = self._client.meta.service_model.operation_model(self._names[operation])
        if self._counter is not None:
            self._counter.add(self._service, model.name, params)
        report = _VALIDATOR.validate(params, model.input_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        # the client's own hooks still see the call (the runtime's queue wakeups listen here)
        self._client.meta.events.emit(
            f"before-parameter-build.{self._event_id}.{model.name}", params=params, model=model
        )
        handler = self._handler()
        handler.current_account = self._account_id
        handler.region = self._region
        handler.body = handler.params = _copy(params)  # DynamoDB reads body, the others params
        handler.uri_match = {}
        try:
            result = getattr(handler, operation)()
        except (JsonRESTError, ServiceException) as error:
            raise self._client_error(model.name, error) from None
        members = model.output_shape.members if model.output_shape is not None else {}
        found = result.result or {}
        answer: dict[str, Any] = {key: _copy(value) for key, value in found.items() if key in members}
        answer["ResponseMetadata"] = {"HTTPStatusCode": 200, "RetryAttempts": 0}
        return answer

    def _client_error(self, operation_name: str, error: JsonRESTError | ServiceException) -> ClientError:
        if isinstance(error, JsonRESTError):
            code, status = error.relative_error_type, error.code
            body = json.loads(error.get_body())
        else:
            code, status, body = error.code, 400, {}
        message = body.get("message", body.get("Message", error.message))
        # botocore keeps the body's fields only for errors the service models, and only its members
        shapes = {shape.name: shape for shape in self._client.meta.service_model.error_shapes}
        members = shapes[code].members if code in shapes else {}
        response: dict[str, Any] = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0},
            **{key: value for key, value in body.items() if key in members},
        }
        exception: type[ClientError] = self._client.exceptions.from_code(code)
        return exception(response, operation_name)  # type: ignore[arg-type]


def fast_dynamodb(
    client: Any, account_id: str, region: str, counter: CallCounter | None = None
) -> FastService:
    """A DynamoDB client whose data-plane operations go straight to moto's ``DynamoHandler``."""
    return FastService(client, DynamoHandler, DIRECT_OPERATIONS, account_id, region, counter)


def fast_sqs(client: Any, account_id: str, region: str, counter: CallCounter | None = None) -> FastService:
    """An SQS client whose send, receive, delete and visibility calls go straight to moto's handler."""
    return FastService(client, SQSResponse, SQS_OPERATIONS, account_id, region, counter)


class FastStreams:
    """The DynamoDB Streams reads the runtime polls with, straight from moto's handler.

    Records come back as moto keeps them (``ApproximateCreationDateTime`` a datetime, as botocore
    parses it): the runtime copies each record into the Lambda event shape before using it.
    """

    _OPERATIONS = frozenset({"describe_stream", "get_shard_iterator", "get_records"})

    def __init__(self, client: Any, account_id: str, region: str) -> None:
        self._client = client
        self._account_id = account_id
        self._region = region

    def __getattr__(self, name: str) -> Any:
        if name in self._OPERATIONS:
            return partial(self._call, name)
        return getattr(self._client, name)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        handler = DynamoDBStreamsHandler()
        handler.current_account = self._account_id
        handler.region = self._region
        handler.querystring = {}
        handler.uri_match = {}
        handler.body = json.dumps(params)
        answer: dict[str, Any] = dict(getattr(handler, operation)().result)
        return answer


class CallCounter:
    """The AWS calls handlers make, by (service, operation): what a deployed stack is billed for.

    Only calls made while a handler runs count (the runtime's own polling stands in for Lambda's
    event source mappings, which AWS does not bill as API calls for streams).
    """

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.items_written: Counter[str] = Counter()  # DynamoDB items written, by table (for write units)
        self._local = threading.local()

    @contextlib.contextmanager
    def in_handler(self) -> Iterator[None]:
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1

    def add(self, service: str, operation: str, params: dict[str, Any] | None = None) -> None:
        if not getattr(self._local, "depth", 0):
            return
        self.counts[(service, operation)] += 1
        if service != "dynamodb" or not params:
            return
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self.items_written[params["TableName"]] += 1
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                self.items_written[table] += len(requests)
        elif operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                for kind in ("Put", "Update", "Delete"):
                    if kind in item:
                        self.items_written[item[kind]["TableName"]] += 2  # transactions cost double

    def on_call(self, model: Any, **_: Any) -> None:
        self.add(model.service_model.service_name, model.name)


class Wakeups:
    """Which queues may hold work, so the runtime polls only those (wake on work, not on a loop).

    Every client the runtime makes reports its sends: ``SendMessage``/``SendMessageBatch`` and a
    message made visible again wake their queue; ``PutEvents`` wakes the rule delivery queues (moto
    routes events to them internally). :meth:`wake_all` covers what no client reports (work put
    there before the runtime looked, a test's own boto3 client): the runtime calls it whenever it
    is asked to settle or the clock moves. On the plain boto3 path every queue is always awake.
    """

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._known: set[str] = set()
        self._rule_queues: set[str] = set()
        self._awake: set[str] = set()

    def watch(self, queue_urls: set[str], rule_queue_urls: set[str]) -> None:
        """The queues the runtime delivers from; the rule ones are fed by moto's EventBridge."""
        self._known = set(queue_urls) | set(rule_queue_urls)
        self._rule_queues = set(rule_queue_urls)
        self.wake_all()

    def wake(self, queue_url: str) -> None:
        self._awake.add(queue_url)

    def wake_all(self) -> None:
        self._awake |= self._known

    def take(self, queue_url: str) -> bool:
        """True when ``queue_url`` should be polled now; it then sleeps until woken again."""
        if not self._enabled:
            return True
        awake = queue_url in self._awake
        self._awake.discard(queue_url)
        return awake

    def on_parameters(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        """A call is about to be made: a send wakes its queue, an event the rule queues."""
        operation = (model.service_model.service_name, model.name)
        if operation in _SENDS and "QueueUrl" in params:
            self.wake(params["QueueUrl"])
        elif operation == ("events", "PutEvents"):
            self._awake |= self._rule_queues


_SENDS = {("sqs", "SendMessage"), ("sqs", "SendMessageBatch"), ("sqs", "ChangeMessageVisibility")}


class _Running:
    """The wakeups and counter of the runtime running now: the cached clients' hooks report to it."""

    wakeups: Wakeups | None = None
    counter: CallCounter | None = None

    def on_parameters(self, **kwargs: Any) -> None:
        if self.wakeups is not None:
            self.wakeups.on_parameters(**kwargs)

    def on_call(self, **kwargs: Any) -> None:
        if self.counter is not None:
            self.counter.on_call(**kwargs)


_running = _Running()


def _plain_client(service: str, region: str) -> Any:
    """A boto3 client whose hooks report to the runtime running now. (Made per runtime: clients
    kept across runtimes saved 20 ms each but let a stopped execution be seen still running.)"""
    client = boto3.client(service, region_name=region)  # type: ignore[call-overload]
    client.meta.events.register("before-parameter-build", _running.on_parameters)
    client.meta.events.register("before-call", _running.on_call)
    return client


def enabled(fast: bool | None) -> bool:
    """Whether a runtime takes the fast path: as asked, else ``CRMFLOW_LOCAL_PATH`` (fast|boto3)."""
    if fast is not None:
        return fast
    choice = os.environ.get("CRMFLOW_LOCAL_PATH", "fast").strip().lower()
    if choice not in ("fast", "boto3"):
        raise ValueError(f"CRMFLOW_LOCAL_PATH must be 'fast' or 'boto3', not '{choice}'")
    return choice == "fast"


def client_factory(
    account_id: str, region: str, *, fast: bool, wakeups: Wakeups, counter: CallCounter
) -> Callable[[str], Any]:
    """The runtime's clients (for :func:`crmflow.aws.use_factory`): counted, waking queues, and on
    the fast path DynamoDB and its streams straight to moto's handlers."""

    _running.wakeups, _running.counter = wakeups, counter

    def factory(service: str) -> Any:
        client = _plain_client(service, region)
        if fast and service == "dynamodb":
            return fast_dynamodb(client, account_id, region, counter)
        if fast and service == "sqs":
            return fast_sqs(client, account_id, region, counter)
        if fast and service == "ses":
            return FastService(client, EmailResponse, SES_OPERATIONS, account_id, region, counter)
        if fast and service == "dynamodbstreams":
            return FastStreams(client, account_id, region)
        return client

    return factory
