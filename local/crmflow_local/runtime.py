"""The embedded runtime: the stack of ``template.yaml`` running in this process on moto.

    with Runtime(start="2026-12-01T08:00:00Z") as rt:
        rt.api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@example.com"}})
        rt.advance("P2D")          # waits, streams and queues fall due in time order

Handlers run in-process, one at a time (Lambda runs each invocation on its own; serialising them
keeps moto's in-memory backends consistent). Every delivery follows the template's event source
mapping: batch size, partial batch responses, retries and on-failure destinations.
"""

from __future__ import annotations

import contextlib
import email
import gc
import importlib.util
import itertools
import json
import logging
import math
import os
import re
import sys
import time
import traceback
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from crmflow import aws, clock, config
from moto import mock_aws

from crmflow_local import auth, fast_path, moto_seams
from crmflow_local import template as tpl
from crmflow_local.filtering import RecordFilter, compile_filter_criteria
from crmflow_local.scheduler import Scheduler

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_START = "2026-12-01T08:00:00Z"
LOCAL_ADMIN_TOKEN = auth.LOCAL_ADMIN_TOKEN
_MAX_ROUNDS = 100_000

_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of days, hours, minutes and seconds (``P2D``, ``PT1H30M``)."""
    match = _DURATION.match(text.strip().upper())
    if not match or text.strip().upper() in ("P", "PT"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as PT2H or P1DT30M")
    parts = {key: float(value) for key, value in match.groupdict().items() if value}
    return timedelta(**parts)


def to_datetime(value: str | datetime) -> datetime:
    return clock.parse_iso(value) if isinstance(value, str) else value.astimezone(UTC)


@dataclass
class Invocation:
    """One handler invocation, as Lambda would have made it."""

    function: str
    event: Any
    result: Any = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, function: tpl.Function, deadline_ms: int) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{tpl.REGION}:{tpl.ACCOUNT_ID}:function:{function.name}"
        self.memory_limit_in_mb = 256
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = "local"
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._deadline_ms


@dataclass
class _StreamMapping:
    function: tpl.Function
    stream_arn: str
    batch_size: int
    max_retries: int
    bisect: bool
    partial: bool
    on_failure_url: str | None
    filters: RecordFilter = field(default_factory=RecordFilter)
    iterators: dict[str, str | None] = field(default_factory=dict)
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)


@dataclass
class _QueueMapping:
    function: tpl.Function
    queue_url: str
    queue_arn: str
    batch_size: int
    partial: bool
    filters: RecordFilter = field(default_factory=RecordFilter)


@dataclass
class _RuleMapping:
    function: tpl.Function
    queue_url: str
    max_retries: int
    dead_letter_url: str | None


class Runtime:
    """The whole stack in one process. Use as a context manager, or call :meth:`close`."""

    _active: Runtime | None = None

    def __init__(
        self,
        start: str | datetime = DEFAULT_START,
        root: Path = REPO_ROOT,
        parameters: dict[str, str] | None = None,
        fast: bool | None = None,
    ) -> None:
        if Runtime._active is not None:
            raise RuntimeError("one embedded runtime per process: close the other first")
        self.root = root
        self.scheduler = Scheduler(to_datetime(start))
        self.invocations: deque[Invocation] = deque(maxlen=5000)
        self.invocation_counts: Counter[str] = Counter()
        self.invocation_ms: Counter[str] = Counter()  # billed milliseconds (each rounded up), by function
        self._saved_env = dict(os.environ)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        os.environ.update(
            AWS_DEFAULT_REGION=tpl.REGION,
            AWS_REGION=tpl.REGION,
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
            POWERTOOLS_TRACE_DISABLED="true",
            POWERTOOLS_METRICS_DISABLED="true",
            POWERTOOLS_LOG_LEVEL=os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            POWERTOOLS_DEV="false",
            CRMFLOW_LOCAL_TOKENS="true",
        )
        self._mock.start()
        # moto's interpreter logs every caught task error (each enrollment ends with one) at ERROR
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        Runtime._active = self
        self.fast = fast_path.enabled(fast)
        self.wakeups = fast_path.Wakeups(self.fast)
        self.calls = fast_path.CallCounter()  # AWS calls made by handlers, by service and operation
        # moto keeps every item, stream record and execution history in memory: with Python's
        # default thresholds the full collections over them made each enrollment slower as the
        # account grew (21 -> 28 ms over 1,000 contacts); collected less often, it stays flat
        self._gc_thresholds = gc.get_threshold()
        gc.set_threshold(100_000, 50, 1000)
        try:
            clock.set_source(self.scheduler.now)
            aws.use_factory(
                fast_path.client_factory(
                    tpl.ACCOUNT_ID, tpl.REGION, fast=self.fast, wakeups=self.wakeups, counter=self.calls
                )
            )
            self._reset_caches()
            self.template = tpl.load(root / "template.yaml")
            self.resolver = tpl.Resolver(self.template, parameters)
            self._create_resources()
            self.functions = {fn.logical_id: fn for fn in tpl.functions(self.template, self.resolver, root)}
            self._by_name = {fn.name: fn for fn in self.functions.values()}
            self._apply_environment()
            self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
            self._map_event_sources()
            self.wakeups.watch({q.queue_url for q in self._queues}, {r.queue_url for r in self._rules})
            moto_seams.install(self.scheduler, self._invoke_by_name)
        except BaseException:
            self.close()
            raise

    # ================================================================== public API
    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def now(self) -> datetime:
        return self.scheduler.now()

    def client(self, service: str) -> Any:
        """The client the handlers use too (made once; on the fast path when the runtime is)."""
        return aws.client(service)

    def env(self, name: str) -> str:
        """A resolved environment variable of the functions (table names, queue URLs...)."""
        return os.environ[name]

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = LOCAL_ADMIN_TOKEN,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw_body: str | None = None,
    ) -> ApiResponse:
        """One HTTP request to the API function, as API Gateway (HTTP API, JWT authorizer) makes it.
        A route whose template.yaml event says ``Auth: {Authorizer: NONE}`` is not authorized (no claims)."""
        public = self.is_public(method, path)
        claims = {} if public else self.authorize(token)
        if claims is None:
            body_text = json.dumps(
                {
                    "status": "error",
                    "message": "Authentication credentials not found or invalid (Bearer token).",
                    "category": "INVALID_AUTHENTICATION",
                    "correlationId": str(uuid.uuid4()),
                }
            )
            return ApiResponse(401, {"content-type": "application/json"}, body_text)
        text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
        event = self._http_event(method, path, text, claims, query or {}, headers or {})
        result = self.invoke(self._api_function().logical_id, event)
        answer_headers = {key.lower(): value for key, value in (result.get("headers") or {}).items()}
        return ApiResponse(int(result.get("statusCode", 200)), answer_headers, result.get("body") or "")

    def is_public(self, method: str, path: str) -> bool:
        """Whether API Gateway would route ``method path`` to an HttpApi event without the authorizer:
        of the events that match it, the most specific (fixed segments before ``{name}`` before
        ``{proxy+}``; a method before ANY) says ``Auth: {Authorizer: NONE}``."""
        best: tuple[int, int, int, int] | None = None
        public = False
        for fn in self.functions.values():
            for event in fn.events:
                if event.type != "HttpApi":
                    continue
                route_method = str(event.properties.get("Method", "ANY")).upper()
                route = str(event.properties.get("Path", "/{proxy+}"))
                if route_method not in ("ANY", method.upper()) or not _route_matches(route, path):
                    continue
                segments = route.strip("/").split("/")
                rank = (
                    -sum(part.endswith("+}") for part in segments),
                    len(segments),
                    -sum(part.startswith("{") for part in segments),
                    route_method != "ANY",
                )
                if best is None or rank > best:
                    best = rank
                    public = str((event.properties.get("Auth") or {}).get("Authorizer", "")).upper() == "NONE"
        return public

    def authorize(self, token: str | None) -> dict[str, Any] | None:
        """The local stand-in for the JWT authorizer: the claims of a valid token, else None."""
        with self.scheduler.invoke_lock:
            return auth.claims_for(token)

    def invoke(self, function: str, event: Any) -> Any:
        """Invoke a function by logical id or name; a handler error is raised to the caller."""
        fn = self.functions.get(function) or self._by_name[function]
        payload, error = self._invoke(fn, event)
        if error is not None:
            raise RuntimeError(f"{fn.logical_id} failed: {payload.get('errorMessage')}")
        return payload

    def settle(self) -> None:
        """Run all work that is due now (executions, stream records, queue messages, events)."""
        self.wakeups.wake_all()
        for _ in range(_MAX_ROUNDS):
            self.scheduler.release_due()
            self.scheduler.wait_idle()
            if not self._pump_once():
                self.scheduler.wait_idle()
                if not self._pump_once():
                    return
        raise RuntimeError("the embedded runtime did not settle (a loop between handlers?)")

    def advance(self, duration: str | timedelta | None = None, *, to: str | datetime | None = None) -> None:
        """Move the clock forward, running everything that falls due in time order."""
        if (duration is None) == (to is None):
            raise ValueError("give either a duration or `to`")
        if to is not None:
            target = to_datetime(to)
        else:
            assert duration is not None  # guaranteed by the either/or check above
            step = parse_duration(duration) if isinstance(duration, str) else duration
            target = self.now + step
        if target < self.now:
            raise ValueError(
                f"the clock is at {clock.iso(self.now)}; it cannot go back to {clock.iso(target)}"
            )
        self.settle()
        while (deadline := self.scheduler.next_deadline()) is not None and deadline <= target:
            self.scheduler.set_now(max(deadline, self.now))
            self.settle()
        self.scheduler.set_now(target)
        self.settle()

    def executions(self, status: str | None = None) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        arn = self.env("ENROLLMENT_STATE_MACHINE_ARN")
        kwargs: dict[str, Any] = {"stateMachineArn": arn}
        if status:
            kwargs["statusFilter"] = status
        return [
            item
            for page in sfn.get_paginator("list_executions").paginate(**kwargs)
            for item in page["executions"]
        ]

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return [event for page in pages for event in page["events"]]

    def outbox(self) -> list[dict[str, Any]]:
        """Emails sent through (moto's) SES, read from their crmflow headers, oldest first."""
        from moto.ses.models import ses_backends

        sent = []
        for message in ses_backends[tpl.ACCOUNT_ID][tpl.REGION].sent_messages:
            raw = getattr(message, "raw_data", None)
            if raw is None:
                continue
            parsed = email.message_from_string(raw)
            sent.append(
                {
                    "to": parsed["To"],
                    "emailId": parsed["X-Crmflow-Email-Id"],
                    "recordId": parsed["X-Crmflow-Record-Id"],
                    "workflowId": parsed["X-Crmflow-Workflow-Id"],
                    "at": parsed["X-Crmflow-Sent-At"],
                    "subject": parsed["Subject"],
                }
            )
        return sent

    def close(self) -> None:
        if Runtime._active is not self:
            return
        try:
            self._stop_executions()
        finally:
            moto_seams.uninstall()
            aws.use_factory(None)
            gc.set_threshold(*self._gc_thresholds)
            self._mock.stop()
            clock.set_source(None)
            os.environ.clear()
            os.environ.update(self._saved_env)
            self._reset_caches()
            Runtime._active = None

    # ================================================================== resources
    def _create_resources(self) -> None:
        res = self.resolver
        ddb, sqs, events = self.client("dynamodb"), self.client("sqs"), self.client("events")
        for logical_id, spec in tpl.resources_of(self.template, "AWS::DynamoDB::Table").items():
            props = res.resolve(spec["Properties"])
            name = props.get("TableName", f"{tpl.STACK_NAME}-{logical_id}")
            kwargs: dict[str, Any] = {
                key: props[key]
                for key in (
                    "AttributeDefinitions",
                    "KeySchema",
                    "GlobalSecondaryIndexes",
                    "LocalSecondaryIndexes",
                )
                if key in props
            }
            kwargs["BillingMode"] = props.get("BillingMode", "PAY_PER_REQUEST")
            if "StreamSpecification" in props:
                kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
            table = ddb.create_table(TableName=name, **kwargs)["TableDescription"]
            if "TimeToLiveSpecification" in props:
                ddb.update_time_to_live(
                    TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"]
                )
            res.refs[logical_id] = name
            res.attributes[(logical_id, "Arn")] = table["TableArn"]
            if "LatestStreamArn" in table:
                res.attributes[(logical_id, "StreamArn")] = table["LatestStreamArn"]
        queues = dict(tpl.resources_of(self.template, "AWS::SQS::Queue"))
        while queues:
            progressed = False
            for logical_id, spec in list(queues.items()):
                try:
                    props = res.resolve(spec.get("Properties", {}))
                except KeyError:
                    continue
                self._create_queue(sqs, logical_id, props)
                del queues[logical_id]
                progressed = True
            if not progressed:
                raise RuntimeError(f"queues reference unknown resources: {sorted(queues)}")
        for logical_id, spec in tpl.resources_of(self.template, "AWS::Events::EventBus").items():
            name = res.resolve(spec["Properties"]["Name"])
            arn = events.create_event_bus(Name=name)["EventBusArn"]
            res.refs[logical_id] = name
            res.attributes[(logical_id, "Arn")] = arn
            res.attributes[(logical_id, "Name")] = name
        for logical_id, spec in tpl.resources_of(self.template, "AWS::Serverless::Function").items():
            name = res.resolve(spec["Properties"].get("FunctionName", f"{tpl.STACK_NAME}-{logical_id}"))
            res.refs[logical_id] = name
            res.attributes[(logical_id, "Arn")] = (
                f"arn:aws:lambda:{tpl.REGION}:{tpl.ACCOUNT_ID}:function:{name}"
            )
        for logical_id in self.template["Resources"]:
            res.refs.setdefault(logical_id, f"{tpl.STACK_NAME}-{logical_id}")
        self._create_state_machines()
        for sender in {self.resolver.resolve(v) for v in self._env_values("EMAIL_SENDER")}:
            self.client("ses").verify_email_identity(EmailAddress=sender)

    def _create_queue(self, sqs: Any, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("QueueName", f"{tpl.STACK_NAME}-{logical_id}")
        attributes = {
            key: (json.dumps(value) if isinstance(value, dict) else str(value))
            for key, value in props.items()
            if key
            in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "RedrivePolicy", "FifoQueue")
        }
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.resolver.refs[logical_id] = url
        self.resolver.attributes.update(
            {(logical_id, "Arn"): arn, (logical_id, "QueueName"): name, (logical_id, "QueueUrl"): url}
        )

    def _create_state_machines(self) -> None:
        sfn = self.client("stepfunctions")
        for logical_id, spec in tpl.resources_of(self.template, "AWS::Serverless::StateMachine").items():
            props = spec["Properties"]
            name = self.resolver.resolve(props.get("Name", f"{tpl.STACK_NAME}-{logical_id}"))
            definition = (self.root / props["DefinitionUri"]).read_text()
            for key, value in self.resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
                definition = definition.replace("${" + key + "}", str(value))
            arn = sfn.create_state_machine(
                name=name,
                definition=definition,
                roleArn=f"arn:aws:iam::{tpl.ACCOUNT_ID}:role/{name}",
                type=props.get("Type", "STANDARD"),
            )["stateMachineArn"]
            self.resolver.refs[logical_id] = arn
            self.resolver.attributes[(logical_id, "Name")] = name
            self.resolver.attributes[(logical_id, "Arn")] = arn

    def _env_values(self, variable: str) -> list[Any]:
        found = []
        scopes = [(self.template.get("Globals") or {}).get("Function", {})]
        scopes += [
            spec["Properties"]
            for spec in tpl.resources_of(self.template, "AWS::Serverless::Function").values()
        ]
        for scope in scopes:
            value = (scope.get("Environment") or {}).get("Variables", {}).get(variable)
            if value is not None:
                found.append(value)
        return found or ["workflows@crmflow.local"]

    def _apply_environment(self) -> None:
        merged: dict[str, str] = {}
        for fn in self.functions.values():
            for key, value in fn.environment.items():
                if merged.setdefault(key, value) != value:
                    raise RuntimeError(
                        f"environment variable {key} differs between functions; the embedded runtime "
                        "runs them in one process and needs one value"
                    )
        os.environ.update(merged)
        self._reset_caches()

    @staticmethod
    def _reset_caches() -> None:
        aws.reset()
        config.get_settings.cache_clear()

    # ================================================================== handlers
    def _handler(self, fn: tpl.Function) -> Callable[[Any, Any], Any]:
        if fn.logical_id not in self._handlers:
            module_name, attribute = fn.handler.rsplit(".", 1)
            path = fn.code_dir / (module_name.replace(".", "/") + ".py")
            unique = f"crmflow_functions.{fn.code_dir.name}.{module_name}"
            module = sys.modules.get(unique)
            if module is None:
                spec = importlib.util.spec_from_file_location(unique, path)
                if spec is None or spec.loader is None:
                    raise RuntimeError(f"{fn.logical_id}: cannot load handler file {path}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[unique] = module
                spec.loader.exec_module(module)
            self._handlers[fn.logical_id] = getattr(module, attribute)
        return self._handlers[fn.logical_id]

    def _invoke_by_name(self, name: str, event: Any) -> tuple[Any, str | None]:
        if name not in self._by_name:
            error = {"errorMessage": f"Function not found: {name}", "errorType": "ResourceNotFoundException"}
            return error, "ResourceNotFoundException"
        return self._invoke(self._by_name[name], event)

    def _invoke(self, fn: tpl.Function, event: Any) -> tuple[Any, str | None]:
        """Run a handler; answers (payload, error type). Errors come back as Lambda reports them."""
        record = Invocation(fn.logical_id, event)
        with self.scheduler.invoke_lock:
            handler = self._handler(fn)
            self.invocation_counts[fn.logical_id] += 1
            self.invocations.append(record)
            began = time.perf_counter()
            try:
                with self.calls.in_handler():
                    record.result = handler(event, LambdaContext(fn, fn.timeout * 1000))
            except Exception as error:  # a handler error is data for the caller, as Lambda makes it
                record.error = type(error).__name__
                record.result = {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_exception(error)[-5:],
                }
                return record.result, record.error
            finally:
                record.seconds = time.perf_counter() - began
                self.invocation_ms[fn.logical_id] += math.ceil(record.seconds * 1000)
        return json.loads(json.dumps(record.result, default=str)), None

    def _api_function(self) -> tpl.Function:
        for fn in self.functions.values():
            if any(event.type == "HttpApi" for event in fn.events):
                return fn
        raise RuntimeError("template.yaml has no function with an HttpApi event")

    def _http_event(
        self,
        method: str,
        path: str,
        body: str | None,
        claims: dict[str, Any],
        query: dict[str, str],
        headers: dict[str, str],
    ) -> dict[str, Any]:
        now = self.now
        lowered = {"content-type": "application/json", "host": "127.0.0.1", "user-agent": "crmflow-local"}
        lowered.update({key.lower(): value for key, value in headers.items()})
        request_id = str(uuid.uuid4())
        return {
            "version": "2.0",
            "routeKey": "ANY /{proxy+}",
            "rawPath": path,
            "rawQueryString": urlencode(query),
            "headers": lowered,
            "queryStringParameters": dict(query) or None,
            "pathParameters": {"proxy": path.lstrip("/")},
            "requestContext": {
                "accountId": tpl.ACCOUNT_ID,
                "apiId": "local",
                "authorizer": {"jwt": {"claims": claims, "scopes": None}},
                "domainName": "127.0.0.1",
                "domainPrefix": "127",
                "http": {
                    "method": method.upper(),
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": lowered["user-agent"],
                },
                "requestId": request_id,
                "routeKey": "ANY /{proxy+}",
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "body": body,
            "isBase64Encoded": False,
        }

    # ================================================================== event sources
    def _map_event_sources(self) -> None:
        self._streams: list[_StreamMapping] = []
        self._queues: list[_QueueMapping] = []
        self._rules: list[_RuleMapping] = []
        sqs, events = self.client("sqs"), self.client("events")
        url_of_arn = {
            arn: self.resolver.attributes[(logical_id, "QueueUrl")]
            for (logical_id, attribute), arn in self.resolver.attributes.items()
            if attribute == "Arn" and (logical_id, "QueueUrl") in self.resolver.attributes
        }
        for fn in self.functions.values():
            for event in fn.events:
                props = event.properties
                partial = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
                filters = compile_filter_criteria(props.get("FilterCriteria"))
                if event.type == "DynamoDB":
                    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                        "Destination"
                    )
                    self._streams.append(
                        _StreamMapping(
                            function=fn,
                            stream_arn=props["Stream"],
                            batch_size=int(props.get("BatchSize", 100)),
                            max_retries=int(props.get("MaximumRetryAttempts", -1)),
                            bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                            partial=partial,
                            on_failure_url=url_of_arn.get(on_failure) if on_failure else None,
                            filters=filters,
                        )
                    )
                elif event.type == "SQS":
                    self._queues.append(
                        _QueueMapping(
                            fn,
                            url_of_arn[props["Queue"]],
                            props["Queue"],
                            int(props.get("BatchSize", 10)),
                            partial,
                            filters,
                        )
                    )
                elif event.type == "EventBridgeRule":
                    rule = f"{fn.name}-{event.name}"[:64]
                    shadow = sqs.create_queue(QueueName=f"{rule}-delivery")["QueueUrl"]
                    shadow_arn = sqs.get_queue_attributes(QueueUrl=shadow, AttributeNames=["QueueArn"])[
                        "Attributes"
                    ]["QueueArn"]
                    bus = props.get("EventBusName", "default")
                    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(props["Pattern"]))
                    events.put_targets(
                        Rule=rule, EventBusName=bus, Targets=[{"Id": "function", "Arn": shadow_arn}]
                    )
                    dead_letter = (props.get("DeadLetterConfig") or {}).get("Destination")
                    self._rules.append(
                        _RuleMapping(
                            fn,
                            shadow,
                            int((props.get("RetryPolicy") or {}).get("MaximumRetryAttempts", 185)),
                            url_of_arn.get(dead_letter) if dead_letter else None,
                        )
                    )

    def _pump_once(self) -> bool:
        progressed = False
        for stream in self._streams:
            progressed |= self._pump_stream(stream)
        for queue in self._queues:
            progressed |= self._pump_queue(queue)
        for rule in self._rules:
            progressed |= self._pump_rule(rule)
        return progressed

    # ---------------------------------------------------------------- DynamoDB streams
    def _pump_stream(self, mapping: _StreamMapping) -> bool:
        streams = self.client("dynamodbstreams")
        progressed = False  # records read count as progress even when filtering drops them all
        with self.scheduler.invoke_lock:
            shards = streams.describe_stream(StreamArn=mapping.stream_arn)["StreamDescription"]["Shards"]
            for shard in shards:
                shard_id = shard["ShardId"]
                if shard_id not in mapping.iterators:
                    mapping.iterators[shard_id] = streams.get_shard_iterator(
                        StreamArn=mapping.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
                    mapping.pending[shard_id] = []
                iterator = mapping.iterators[shard_id]
                if iterator is not None and len(mapping.pending[shard_id]) < mapping.batch_size:
                    page = streams.get_records(ShardIterator=iterator, Limit=1000)
                    mapping.iterators[shard_id] = page.get("NextShardIterator")
                    progressed |= bool(page["Records"])
                    kept, _ = mapping.filters.split(
                        self._lambda_stream_record(r, mapping) for r in page["Records"]
                    )
                    mapping.pending[shard_id].extend(kept)
        for shard_id, pending in mapping.pending.items():
            while pending:
                progressed = True
                self._deliver_stream_batch(mapping, shard_id, pending)
        return progressed

    @staticmethod
    def _lambda_stream_record(record: dict[str, Any], mapping: _StreamMapping) -> dict[str, Any]:
        body = dict(record)
        dynamodb = dict(body["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
        body["dynamodb"] = dynamodb
        body["eventSourceARN"] = mapping.stream_arn
        body.setdefault("awsRegion", tpl.REGION)
        body.setdefault("eventSource", "aws:dynamodb")
        body.setdefault("eventVersion", "1.1")
        return json.loads(json.dumps(body, default=_json_default))

    def _deliver_stream_batch(
        self, mapping: _StreamMapping, shard_id: str, pending: list[dict[str, Any]]
    ) -> None:
        first = pending[0]["dynamodb"]["SequenceNumber"]
        attempt = mapping.attempts.get(first, 0)
        size = mapping.batch_size
        if mapping.bisect and attempt:
            size = max(1, size >> attempt)
        batch = pending[:size]
        payload, error = self._invoke(mapping.function, {"Records": batch})
        failed_at: int | None = None
        if error is not None:
            failed_at = 0
        elif mapping.partial and isinstance(payload, dict) and payload.get("batchItemFailures"):
            failed = {item["itemIdentifier"] for item in payload["batchItemFailures"]}
            sequence = [record["dynamodb"]["SequenceNumber"] for record in batch]
            failed_at = min((i for i, seq in enumerate(sequence) if seq in failed), default=0)
        if failed_at is None:
            del pending[: len(batch)]
            return
        del pending[:failed_at]
        head = pending[0]["dynamodb"]["SequenceNumber"]
        mapping.attempts[head] = mapping.attempts.get(head, 0) + 1
        if mapping.max_retries >= 0 and mapping.attempts[head] > mapping.max_retries:
            dropped = pending[: max(1, len(batch) - failed_at)]
            del pending[: len(dropped)]
            if mapping.on_failure_url:
                self.client("sqs").send_message(
                    QueueUrl=mapping.on_failure_url,
                    MessageBody=json.dumps(
                        {
                            "requestContext": {
                                "condition": "RetryAttemptsExhausted",
                                "functionArn": mapping.function.name,
                            },
                            "DDBStreamBatchInfo": {
                                "shardId": shard_id,
                                "streamArn": mapping.stream_arn,
                                "startSequenceNumber": dropped[0]["dynamodb"]["SequenceNumber"],
                                "endSequenceNumber": dropped[-1]["dynamodb"]["SequenceNumber"],
                                "batchSize": len(dropped),
                            },
                        }
                    ),
                )

    # ---------------------------------------------------------------- SQS
    def _receive(self, queue_url: str, limit: int) -> list[dict[str, Any]]:
        sqs = self.client("sqs")
        messages: list[dict[str, Any]] = []
        while len(messages) < limit:
            page = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(10, limit - len(messages)),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not page:
                break
            messages.extend(page)
        return messages

    def _pump_queue(self, mapping: _QueueMapping) -> bool:
        sqs = self.client("sqs")
        if not self.wakeups.take(mapping.queue_url):
            return False
        with self.scheduler.invoke_lock:
            messages = self._receive(mapping.queue_url, mapping.batch_size)
        if not messages:
            return False
        self.wakeups.wake(mapping.queue_url)  # there may be more
        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": mapping.queue_arn,
                "awsRegion": tpl.REGION,
            }
            for message in messages
        ]
        records, dropped = mapping.filters.split(records)
        for record in dropped:  # filtered out: deleted without invoking, as Lambda does
            sqs.delete_message(QueueUrl=mapping.queue_url, ReceiptHandle=record["receiptHandle"])
        if not records:
            return True
        payload, error = self._invoke(mapping.function, {"Records": records})
        if error is not None:
            failed = {record["messageId"] for record in records}
        elif mapping.partial and isinstance(payload, dict):
            failed = {item["itemIdentifier"] for item in payload.get("batchItemFailures") or []}
        else:
            failed = set()
        for record in records:
            if record["messageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=mapping.queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=mapping.queue_url, ReceiptHandle=record["receiptHandle"])
        return True

    # ---------------------------------------------------------------- EventBridge
    def _pump_rule(self, mapping: _RuleMapping) -> bool:
        sqs = self.client("sqs")
        if not self.wakeups.take(mapping.queue_url):
            return False
        with self.scheduler.invoke_lock:
            messages = self._receive(mapping.queue_url, 10)
        for message in messages:
            event = json.loads(message["Body"])
            for _attempt in itertools.count():
                _, error = self._invoke(mapping.function, event)
                if error is None:
                    break
                if _attempt >= mapping.max_retries:
                    if mapping.dead_letter_url:
                        sqs.send_message(QueueUrl=mapping.dead_letter_url, MessageBody=message["Body"])
                    break
            sqs.delete_message(QueueUrl=mapping.queue_url, ReceiptHandle=message["ReceiptHandle"])
        if messages:
            self.wakeups.wake(mapping.queue_url)  # there may be more
        return bool(messages)

    # ================================================================== shutdown
    def _stop_executions(self) -> None:
        try:
            sfn = self.client("stepfunctions")
            for machine in sfn.list_state_machines()["stateMachines"]:
                for item in self._running(sfn, machine["stateMachineArn"]):
                    sfn.stop_execution(executionArn=item["executionArn"], cause="runtime closed")
        finally:
            self.scheduler.release_all()
            with contextlib.suppress(TimeoutError):
                self.scheduler.wait_idle(timeout=10)

    @staticmethod
    def _running(sfn: Any, arn: str) -> Iterator[dict[str, Any]]:
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=arn, statusFilter="RUNNING"
        ):
            yield from page["executions"]


def _route_matches(route: str, path: str) -> bool:
    """Whether an HTTP API route path (``/docs/{asset}``, ``/{proxy+}``) matches a request path."""
    pattern = re.sub(r"\\\{[^/]+?\\\+\\\}", ".+", re.escape(route))
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", pattern)
    return re.fullmatch(pattern, path) is not None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__}")
