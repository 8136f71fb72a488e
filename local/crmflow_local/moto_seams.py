"""The only places where the embedded runtime reaches into moto.

moto's Step Functions interpreter would invoke Lambda through Docker and waits on the real clock.
Three seams route those to the runtime instead:

1. Lambda tasks: ``lambda_eval_utils.boto_client_for`` answers a client whose ``invoke`` runs our
   handler in-process.
2. Time: Wait states (``WaitFunction._eval_body``) and Retry back-off (``retrier_decl.time``) wait
   on the virtual clock of :class:`~crmflow_local.scheduler.Scheduler`.
3. Parsing: ``ExecutionWorker._get_evaluation_entrypoint`` parses the ASL once per definition and
   hands each execution a deep copy of the parsed program (about 20 times cheaper than parsing,
   and no execution shares a component with another).
4. Activity: ``ExecutionWorker.start`` counts running executions so the runtime knows when it is
   idle, and ``ExecutionWorker.stop`` wakes a stopped execution that waits on the virtual clock.

``tests/test_moto_seams.py`` fails loudly when moto changes under any of them.
"""

from __future__ import annotations

import copy
import io
import json
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from threading import Thread
from typing import Any

import moto
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import timestamp, wait_function
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.backend import execution_worker
from moto.stepfunctions.parser.utils import TMP_THREADS

from crmflow_local.scheduler import Scheduler

MOTO_VERSION = "5.2.5"

Invoker = Callable[[str, Any], tuple[Any, str | None]]
"""(function name, event) -> (payload, error type or None)."""

_original_boto_client_for = lambda_eval_utils.boto_client_for
_original_wait_body = wait_function.WaitFunction._eval_body
_original_start = execution_worker.ExecutionWorker.start
_original_stop = execution_worker.ExecutionWorker.stop
_original_retry_time = retrier_decl.time
_original_entrypoint = execution_worker.ExecutionWorker._get_evaluation_entrypoint
_parsed: dict[str, Any] = {}


def _cached_entrypoint(self: execution_worker.ExecutionWorker) -> Any:
    definition = self._evaluation_details.state_machine_details.definition
    if definition not in _parsed:
        _parsed[definition] = AmazonStateLanguageParser.parse(definition)[0]
    return copy.deepcopy(_parsed[definition])


class _InProcessLambda:
    """Stands in for the boto Lambda client moto's interpreter would use."""

    def __init__(self, invoker: Invoker) -> None:
        self._invoker = invoker

    def invoke(self, FunctionName: str, Payload: Any = None, **_: Any) -> dict[str, Any]:
        event = json.loads(Payload) if isinstance(Payload, (str, bytes)) else Payload
        payload, error = self._invoker(FunctionName.rsplit(":", 1)[-1], event)
        answer: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(payload).encode())}
        if error is not None:
            answer["FunctionError"] = "Unhandled"
        return answer


def _deadline_of(wait: wait_function.WaitFunction, env: Any, scheduler: Scheduler) -> datetime:
    if isinstance(wait, timestamp.Timestamp):
        wait.string.eval(env=env)
        text = env.stack.pop()
        parsed = wait._from_timestamp_string(text)
        if parsed is None:
            raise timestamp.FailureEventException(wait._create_failure_event(env, text))
        return parsed.replace(tzinfo=UTC)
    return scheduler.now() + timedelta(seconds=wait._get_wait_seconds(env=env))


def install(scheduler: Scheduler, invoker: Invoker) -> None:
    """Route moto's Lambda invokes, waits and sleeps to the runtime."""
    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(
            f"crmflow's moto seams are written for moto {MOTO_VERSION}, found {moto.__version__}"
        )
    lambda_client = _InProcessLambda(invoker)

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if service == "lambda":
            return lambda_client
        return _original_boto_client_for(region=region, service=service, state_credentials=state_credentials)

    def wait_body(self: wait_function.WaitFunction, env: Any) -> None:
        scheduler.wait_until(_deadline_of(self, env, scheduler), env.is_running)

    def start(self: execution_worker.ExecutionWorker) -> None:
        scheduler.begin()

        def run() -> None:
            try:
                self._execution_logic()
            finally:
                scheduler.end()

        thread = Thread(target=run, daemon=True)
        TMP_THREADS.append(thread)
        thread.start()

    def stop(self: execution_worker.ExecutionWorker, *args: Any, **kwargs: Any) -> None:
        _original_stop(self, *args, **kwargs)
        scheduler.poke()

    # Patching moto's methods and its `time` module is this module's job (see the docstring).
    lambda_eval_utils.boto_client_for = boto_client_for
    execution_worker.ExecutionWorker.stop = stop  # type: ignore[method-assign]
    wait_function.WaitFunction._eval_body = wait_body  # type: ignore[method-assign]
    execution_worker.ExecutionWorker.start = start  # type: ignore[method-assign]
    execution_worker.ExecutionWorker._get_evaluation_entrypoint = _cached_entrypoint  # type: ignore[method-assign]
    # A stand-in for the retrier's `time` module whose sleep() waits on the virtual clock.
    retrier_decl.time = types.SimpleNamespace(  # type: ignore[assignment]
        sleep=scheduler.sleep, time=_original_retry_time.time
    )


def uninstall() -> None:
    lambda_eval_utils.boto_client_for = _original_boto_client_for
    # Restores the originals saved at import (seam patching, as in install()).
    wait_function.WaitFunction._eval_body = _original_wait_body  # type: ignore[method-assign]
    execution_worker.ExecutionWorker.start = _original_start  # type: ignore[method-assign]
    execution_worker.ExecutionWorker.stop = _original_stop  # type: ignore[method-assign]
    execution_worker.ExecutionWorker._get_evaluation_entrypoint = _original_entrypoint  # type: ignore[method-assign]
    retrier_decl.time = _original_retry_time
