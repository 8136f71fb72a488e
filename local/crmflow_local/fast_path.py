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

import json
import os
from collections.abc import Callable
from functools import partial
from typing import Any

import boto3
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import ParamValidator
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

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
_OPERATION_NAMES = {name: "".join(part.title() for part in name.split("_")) for name in DIRECT_OPERATIONS}
_VALIDATOR = ParamValidator()


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (the only shape DynamoDB's JSON protocol carries)."""
    return json.loads(json.dumps(value))


class FastDynamoDB:
    """A boto3 DynamoDB client whose data-plane operations call moto's handler directly."""

    def __init__(self, client: Any, account_id: str, region: str) -> None:
        self._client = client
        self._account_id = account_id
        self._region = region
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        if name in DIRECT_OPERATIONS:
            return partial(self._call, name)
        return getattr(self._client, name)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        self.calls += 1
        model = self._client.meta.service_model.operation_model(_OPERATION_NAMES[operation])
        report = _VALIDATOR.validate(params, model.input_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        handler = DynamoHandler()
        handler.current_account = self._account_id
        handler.region = self._region
        handler.body = _copy(params)
        try:
            result = getattr(handler, operation)()
        except JsonRESTError as error:
            raise self._client_error(model.name, error) from None
        members = model.output_shape.members if model.output_shape is not None else {}
        answer: dict[str, Any] = {key: _copy(value) for key, value in result.result.items() if key in members}
        answer["ResponseMetadata"] = {"HTTPStatusCode": 200, "RetryAttempts": 0}
        return answer

    def _client_error(self, operation_name: str, error: JsonRESTError) -> ClientError:
        body = json.loads(error.get_body())
        code = error.relative_error_type
        message = body.get("message", body.get("Message", error.message))
        # botocore keeps the body's fields only for errors the service models, and only its members
        shapes = {shape.name: shape for shape in self._client.meta.service_model.error_shapes}
        members = shapes[code].members if code in shapes else {}
        response: dict[str, Any] = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": error.code, "RetryAttempts": 0},
            **{key: value for key, value in body.items() if key in members},
        }
        exception: type[ClientError] = self._client.exceptions.from_code(code)
        return exception(response, operation_name)  # type: ignore[arg-type]


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

    def hook(self, service: str, client: Any) -> None:
        """Register the client's sends with these wakeups."""
        if service == "sqs":
            for operation in ("SendMessage", "SendMessageBatch", "ChangeMessageVisibility"):
                client.meta.events.register(f"before-parameter-build.sqs.{operation}", self._on_send)
        elif service == "events":
            client.meta.events.register("after-call.events.PutEvents", self._on_put_events)

    def _on_send(self, params: dict[str, Any], **_: Any) -> None:
        if "QueueUrl" in params:
            self.wake(params["QueueUrl"])

    def _on_put_events(self, **_: Any) -> None:
        self._awake |= self._rule_queues


def enabled(fast: bool | None) -> bool:
    """Whether a runtime takes the fast path: as asked, else ``CRMFLOW_LOCAL_PATH`` (fast|boto3)."""
    if fast is not None:
        return fast
    choice = os.environ.get("CRMFLOW_LOCAL_PATH", "fast").strip().lower()
    if choice not in ("fast", "boto3"):
        raise ValueError(f"CRMFLOW_LOCAL_PATH must be 'fast' or 'boto3', not '{choice}'")
    return choice == "fast"


def client_factory(account_id: str, region: str, wakeups: Wakeups) -> Callable[[str], Any]:
    """A client factory for :func:`crmflow.aws.use_factory`: DynamoDB fast, the rest plain boto3."""

    def factory(service: str) -> Any:
        client = boto3.client(service, region_name=region)  # type: ignore[call-overload]
        wakeups.hook(service, client)
        if service == "dynamodb":
            return FastDynamoDB(client, account_id, region)
        if service == "dynamodbstreams":
            return FastStreams(client, account_id, region)
        return client

    return factory
