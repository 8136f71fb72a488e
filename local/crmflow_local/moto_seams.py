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

Two more seams make moto's DynamoDB cost what an operation touches, for accounts of a real size;
the demo turns them on for its run (:func:`installed`), see "Scale" at the end of this module.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from threading import Thread
from typing import Any

import moto
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
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


# ====================================================================== Scale
# Two of moto's DynamoDB operations at the cost of what they touch, while the demo runs.
#
# **Transactions.** moto 5.2.5's ``transact_write_items`` deep-copies the **whole table** once per item of the
# transaction, so that it can roll back. The records table holds every record and, in its stream
# shard, every change ever made (moto never trims it), so one association write (a transaction of
# 2 items) costs two copies of all of it: about 1.2 s each once 2,000 contacts are loaded, and more
# as the month goes on. crmflow writes every association in a transaction, so an account of a real
# size could not be built or run.
#
# This seam keeps moto's transaction code and its outcome (all items written, or none, with the
# same errors), but backs up only what the transaction touches: a copy of each item it names (or
# the fact that there was none) and the length of each stream shard. On a failure the items are
# put back and the stream records of the partial writes are dropped, which is what restoring the
# copied table did.
#
# **Queries.** moto's ``Table.query`` on the table's own key sorts every item of the table, then
# keeps the partition asked for: a query of one contact's associations reads all 10,000 items of the
# records table. This seam hands it only that partition (``Table.items[hash_key]``); the filtering,
# sorting, paging and copying that follow are moto's own, so the answer is the same. A query on an
# index gets every item unsorted: moto sorts the matches by the index's keys afterwards anyway.
#
# Both are installed by the demo for its run only (:func:`installed`). They belong with the runtime's
# other seams into moto (``crmflow_local/moto_seams.py``), where ``make serve`` and the tests would
# get them too.

_original_transact = DynamoDBBackend.transact_write_items
_original_query = Table.query


class _NoTableCopies:
    """``copy`` as moto's DynamoDB backend sees it during a transaction: tables are not copied."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _touched(backend: DynamoDBBackend, entry: dict[str, Any]) -> tuple[Table, DynamoType, Any] | None:
    """The table and key an item of a transaction writes, or None (moto will refuse it anyway)."""
    try:
        _, operation = next(iter(entry.items()))
        table = backend.tables[operation["TableName"]]
        source = operation.get("Key") or operation.get("Item") or {}
        hash_key = DynamoType(source[table.hash_key_attr])
        range_key = DynamoType(source[table.range_key_attr]) if table.range_key_attr else None
    except (KeyError, StopIteration, AttributeError, TypeError):
        return None
    return table, hash_key, range_key


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    saved: list[tuple[Table, DynamoType, Any, Any]] = []
    streams: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        found = _touched(self, entry)
        if found is None:
            continue
        table, hash_key, range_key = found
        if table.stream_shard is not None:
            streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
        if range_key is None:
            current = table.items.get(hash_key)
        else:
            current = table.items.get(hash_key, {}).get(range_key)
        saved.append((table, hash_key, range_key, copy.deepcopy(current)))
    dynamodb_models.copy = _NoTableCopies()  # type: ignore[assignment]
    try:
        _original_transact(self, transact_items)
    except BaseException:
        for table, hash_key, range_key, item in reversed(saved):
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is None:
                table.items.get(hash_key, {}).pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        for shard, length in streams.values():
            del shard.items[length:]
        raise
    finally:
        dynamodb_models.copy = copy


def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")

    def partition() -> list[Any]:
        found = self.items.get(hash_key)
        if found is None:
            return []
        return list(found.values()) if self.range_key_attr else [found]

    def unsorted() -> list[Any]:
        if self.range_key_attr:
            return [item for items in self.items.values() for item in items.values()]
        return list(self.items.values())

    if index_name:
        self.all_items = unsorted  # type: ignore[method-assign]  # moto sorts the matches by the index keys
    elif hash_key is not None:
        self.all_items = partition  # type: ignore[method-assign]
    else:
        return _original_query(self, hash_key, *args, **kwargs)
    try:
        return _original_query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Transactions back up item by item, and key queries read one partition, inside the block."""
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = _original_transact  # type: ignore[method-assign]
        Table.query = _original_query  # type: ignore[method-assign]
