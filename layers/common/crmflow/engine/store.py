"""DynamoDB access for the engine: enrollments, their history, step claims, stats and the log.

Enrollments table
  ``pk=WF#{workflowId}``, ``sk=R#{recordId}``: the record's latest enrollment in the workflow
    (GSI ``byRecord``: ``gsi1pk=REC#{objectType}#{recordId}``, ``gsi1sk=WF#{workflowId}``).
  ``pk=WF#{workflowId}``, ``sk=H#{recordId}#{number:06}``: enrollment history, kept for good (L-2).
  The at-most-once claim of the step running (W-7) is part of the enrollment item (claim* fields).
Log table (L-2: two tiers, each with its own TTL in ``expiresAt``)
  ``pk=WF#{workflowId}``, ``sk={at}#{uid}``: full detail, kept 180 days.
  ``pk=WFS#{workflowId}``, ``sk={at}#{uid}``: record id, event and action type, kept 2 years.
  Both carry ``gsi1pk=...#R#{recordId}`` for the per-record log.
"""

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from crmflow import clock
from crmflow.config import get_settings
from crmflow.dynamo import db, deserialize, increment, query, serialize
from crmflow.engine.models import Enrollment, LogEntry, Status

DETAIL_DAYS = 180
SUMMARY_DAYS = 730
SUMMARY_FIELDS = ("recordId", "event", "actionType")  # all that is kept after DETAIL_DAYS (L-2)


def _enrollments() -> str:
    return get_settings().enrollments_table


def _log() -> str:
    return get_settings().log_table


def _key(workflow_id: str, record_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"WF#{workflow_id}"}, "sk": {"S": f"R#{record_id}"}}


def _conditional_failed(error: ClientError) -> bool:
    code = error.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons) or not reasons
    return False


# ---------------------------------------------------------------- enrollments
def get_enrollment(workflow_id: str, record_id: str) -> Enrollment | None:
    item = db().get_item(TableName=_enrollments(), Key=_key(workflow_id, record_id), ConsistentRead=True)
    if "Item" not in item:
        return None
    return Enrollment.model_validate(deserialize(item["Item"]))


def record_enrollments(object_type: str, record_id: str) -> Iterator[Enrollment]:
    """The latest enrollment of a record in every workflow (GSI byRecord)."""
    for item in query(
        _enrollments(),
        IndexName="byRecord",
        KeyConditionExpression="gsi1pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"REC#{object_type}#{record_id}"}},
    ):
        yield Enrollment.model_validate(item)


def workflow_partition(workflow_id: str) -> Iterator[dict[str, Any]]:
    """Every enrollment, history and counter item of a workflow (for the statistics)."""
    yield from query(
        _enrollments(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"WF#{workflow_id}"}},
    )


def workflow_enrollments(workflow_id: str) -> Iterator[Enrollment]:
    for item in query(
        _enrollments(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :r)",
        ExpressionAttributeValues={":pk": {"S": f"WF#{workflow_id}"}, ":r": {"S": "R#"}},
    ):
        yield Enrollment.model_validate(item)


def history(workflow_id: str, record_id: str) -> list[dict[str, Any]]:
    return list(
        query(
            _enrollments(),
            KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
            ExpressionAttributeValues={":pk": {"S": f"WF#{workflow_id}"}, ":h": {"S": f"H#{record_id}#"}},
        )
    )


def _enrollment_item(enrollment: Enrollment) -> dict[str, Any]:
    return {
        **enrollment.model_dump(mode="json"),
        "pk": f"WF#{enrollment.workflowId}",
        "sk": f"R#{enrollment.recordId}",
        "gsi1pk": f"REC#{enrollment.objectType}#{enrollment.recordId}",
        "gsi1sk": f"WF#{enrollment.workflowId}",
    }


def _stats_add(workflow_id: str, **counters: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": _enrollments(),
            "Key": {"pk": {"S": f"WF#{workflow_id}"}, "sk": {"S": "STATS"}},
            "UpdateExpression": "ADD " + ", ".join(f"#{name} :{name}" for name in counters),
            "ExpressionAttributeNames": {f"#{name}": name for name in counters},
            "ExpressionAttributeValues": {f":{name}": {"N": str(value)} for name, value in counters.items()},
        }
    }


def insert_enrollment(enrollment: Enrollment, previous_number: int | None) -> bool:
    """Store a new active enrollment; False when the record already has one (or lost a race).

    The conditional put of the enrollment item is the guard; the history item is written after it
    and is idempotent, in the same batch as the invocation's log entries when they are buffered.
    (No transaction: it would cost twice the write units, and nothing here needs one.)
    """
    put: dict[str, Any] = {"TableName": _enrollments(), "Item": serialize(_enrollment_item(enrollment))}
    if previous_number is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "#status <> :active AND #number = :previous"
        put["ExpressionAttributeNames"] = {"#status": "status", "#number": "number"}
        put["ExpressionAttributeValues"] = {
            ":active": {"S": "ACTIVE"},
            ":previous": {"N": str(previous_number)},
        }
    try:
        db().put_item(**put)
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    _put_later(_enrollments(), _history_item(enrollment))
    return True


def _history_item(enrollment: Enrollment, **ended: Any) -> dict[str, Any]:
    """The history item of one enrollment (kept for good, L-2): when it began and, once over, how."""
    return {
        "pk": f"WF#{enrollment.workflowId}",
        "sk": f"H#{enrollment.recordId}#{enrollment.number:06d}",
        "enrollmentId": enrollment.enrollmentId,
        "enrolledAt": enrollment.enrolledAt,
        **ended,
    }


def _history_key(enrollment: Enrollment) -> dict[str, Any]:
    """The key of the history item of one enrollment (kept for good, L-2)."""
    return {
        "pk": {"S": f"WF#{enrollment.workflowId}"},
        "sk": {"S": f"H#{enrollment.recordId}#{enrollment.number:06d}"},
    }


def finish_enrollment(
    enrollment: Enrollment,
    status: Status,
    reason: str | None,
    claim: tuple[int, dict[str, Any]] | None = None,
) -> bool:
    """Mark an active enrollment completed or unenrolled; False if it had already ended.

    ``claim``: the step (and its changes) that ends it, marked done in the same update. The history
    item is written whole (with the log entries when they are buffered).
    """
    now = clock.iso(clock.now())
    fields: dict[str, Any] = {"status": status.value, "endedAt": now, "waitingUntil": None}
    if claim is not None:
        fields |= {k: v for k, v in claim[1].items() if k not in _WAITING_FIELDS}
        fields |= {"claimState": "DONE", "claimResult": json.dumps(None)}
    names = {f"#{key}": key for key in fields} | {"#status": "status"}
    values = serialize({f":{key}": value for key, value in fields.items()})
    values |= {f":{key}": {"NULL": True} for key, value in fields.items() if value is None}
    values |= {":active": {"S": "ACTIVE"}, ":id": {"S": enrollment.enrollmentId}}
    condition = "#status = :active AND enrollmentId = :id"
    if claim is not None:
        values[":step"] = {"N": str(claim[0])}
        condition += " AND claimStep = :step"
    try:
        db().update_item(
            TableName=_enrollments(),
            Key=_key(enrollment.workflowId, enrollment.recordId),
            UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in fields),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    _put_later(_enrollments(), _history_item(enrollment, endedAt=now, outcome=status.value, reason=reason))
    return True


def fail_enrollment(enrollment: Enrollment, action_id: str | None, failed_state: str) -> bool:
    """ACTIVE → FAILED, remembering the step to resume from; False when it had moved on."""
    if not finish_enrollment(enrollment, Status.FAILED, None):
        return False
    db().update_item(
        TableName=_enrollments(),
        Key=_key(enrollment.workflowId, enrollment.recordId),
        UpdateExpression="SET currentActionId = :action, failedState = :state",
        ExpressionAttributeValues={
            ":action": {"S": action_id} if action_id else {"NULL": True},
            ":state": {"S": failed_state},
        },
    )
    return True


def reopen_failed(enrollment: Enrollment) -> bool:
    """FAILED → ACTIVE in the next execution run (a retry); False unless it is still the FAILED one."""
    try:
        db().update_item(
            TableName=_enrollments(),
            Key=_key(enrollment.workflowId, enrollment.recordId),
            UpdateExpression=(
                "SET #status = :active, #run = :next, endedAt = :none, started = :true REMOVE failedState"
            ),
            ConditionExpression="#status = :failed AND enrollmentId = :id AND #run = :run",
            ExpressionAttributeNames={"#status": "status", "#run": "run"},
            ExpressionAttributeValues={
                ":active": {"S": "ACTIVE"},
                ":failed": {"S": "FAILED"},
                ":id": {"S": enrollment.enrollmentId},
                ":run": {"N": str(enrollment.run)},
                ":next": {"N": str(enrollment.run + 1)},
                ":none": {"NULL": True},
                ":true": {"BOOL": True},
            },
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    db().update_item(
        TableName=_enrollments(),
        Key=_history_key(enrollment),
        UpdateExpression="REMOVE endedAt, outcome, reason",
    )
    return True


def update_enrollment(enrollment: Enrollment, **fields: Any) -> None:
    """Set fields of the enrollment while it is the record's active one (else do nothing)."""
    names = {f"#{key}": key for key in fields} | {"#status": "status"}
    values = serialize({f":{key}": value for key, value in fields.items()})
    values |= {f":{key}": {"NULL": True} for key, value in fields.items() if value is None}
    values |= {":active": {"S": "ACTIVE"}, ":id": {"S": enrollment.enrollmentId}}
    try:
        db().update_item(
            TableName=_enrollments(),
            Key=_key(enrollment.workflowId, enrollment.recordId),
            UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in fields),
            ConditionExpression="#status = :active AND enrollmentId = :id",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if not _conditional_failed(error):
            raise


def add_stats(workflow_id: str, **counters: int) -> None:
    update = _stats_add(workflow_id, **counters)["Update"]
    db().update_item(**update)


def stats(workflow_id: str) -> dict[str, int]:
    item = db().get_item(
        TableName=_enrollments(),
        Key={"pk": {"S": f"WF#{workflow_id}"}, "sk": {"S": "STATS"}},
        ConsistentRead=True,
    )
    data = deserialize(item.get("Item", {}))
    return {key: int(value) for key, value in data.items() if key not in ("pk", "sk")}


def reset_goal_stats(workflow_id: str) -> None:
    """G-4: the goal count and the emailed count start again from zero."""
    db().update_item(
        TableName=_enrollments(),
        Key={"pk": {"S": f"WF#{workflow_id}"}, "sk": {"S": "STATS"}},
        UpdateExpression="SET goalMet = :zero, emailed = :zero",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )


def set_goal_met(workflow_id: str, record_id: str, period: str, met: bool = True) -> bool:
    """Mark (or, ``met=False``, unmark) the record's conversion in the workflow's goal ``period``.

    Conditional, so a record counts once however often a change is delivered (G-3, W-7): marking
    needs an email of this period and no conversion yet; False when the condition failed.
    """
    same_period = "goalPeriod = :period" + (" OR attribute_not_exists(goalPeriod)" if not period else "")
    try:
        db().update_item(
            TableName=_enrollments(),
            Key=_key(workflow_id, record_id),
            UpdateExpression="SET goalMet = :met",
            ConditionExpression=f"emailed = :true AND goalMet = :was AND ({same_period})",
            ExpressionAttributeValues={
                ":met": {"BOOL": met},
                ":was": {"BOOL": not met},
                ":true": {"BOOL": True},
                ":period": {"S": period},
            },
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def next_counter(workflow_id: str, name: str) -> int:
    """An atomic counter of the workflow (owner rotation): answers the value before the increment."""
    return increment(_enrollments(), f"WF#{workflow_id}", f"COUNTER#{name}") - 1


def read_counter(workflow_id: str, name: str) -> int:
    """The value :func:`next_counter` would answer next, without counting (test mode)."""
    item = db().get_item(
        TableName=_enrollments(),
        Key={"pk": {"S": f"WF#{workflow_id}"}, "sk": {"S": f"COUNTER#{name}"}},
        ConsistentRead=True,
    )
    return int(item["Item"]["value"]["N"]) if "Item" in item else 0


# ---------------------------------------------------------------- handled events (W-7)
def _event_key(workflow_id: str, event_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"EVT#{event_id}"}, "sk": {"S": f"WF#{workflow_id}"}}


def event_handled(workflow_id: str, event_id: str) -> bool:
    """True when this business event already enrolled the record in the workflow (a redelivery)."""
    item = db().get_item(TableName=_enrollments(), Key=_event_key(workflow_id, event_id), ConsistentRead=True)
    return "Item" in item


def mark_event_handled(workflow_id: str, event_id: str) -> None:
    db().put_item(
        TableName=_enrollments(),
        Item={**_event_key(workflow_id, event_id), "at": {"S": clock.iso(clock.now())}},
    )


# ---------------------------------------------------------------- step claims (W-7)
# The claim of the step an enrollment is running lives on the enrollment item itself (claimStep,
# claimState RUNNING/RETRY/DONE, claimedAt, claimAttempts, claimResult): taking it also reads the
# enrollment, and finishing it also writes the step's changes, so a step costs two writes, not five.
_CLAIM_FIELDS = ("claimStep", "claimState", "claimedAt", "claimAttempts", "claimResult")


@dataclass
class Claim:
    """The answer to :func:`claim_step`: the enrollment when the claim was taken, else the item as it was."""

    taken: bool
    item: dict[str, Any] | None

    @property
    def enrollment(self) -> Enrollment | None:
        return Enrollment.model_validate(self.item) if self.item else None


def claim_step(enrollment_id: str, workflow_id: str, record_id: str, step: int, run: int) -> Claim:
    """Claim ``step`` of the active enrollment ``enrollment_id`` in execution run ``run``."""
    try:
        answer = db().update_item(
            TableName=_enrollments(),
            Key=_key(workflow_id, record_id),
            UpdateExpression=(
                "SET claimStep = :step, claimState = :running, claimedAt = :now, claimAttempts = :one, "
                "started = :true REMOVE claimResult"
            ),
            ConditionExpression=(
                "enrollmentId = :id AND #status = :active AND #run = :run "
                "AND (attribute_not_exists(claimStep) OR claimStep < :step)"
            ),
            ExpressionAttributeNames={"#status": "status", "#run": "run"},
            ExpressionAttributeValues={
                ":step": {"N": str(step)},
                ":running": {"S": "RUNNING"},
                ":now": {"S": clock.iso(clock.now())},
                ":one": {"N": "1"},
                ":id": {"S": enrollment_id},
                ":active": {"S": "ACTIVE"},
                ":run": {"N": str(run)},
                ":true": {"BOOL": True},
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if not _conditional_failed(error):
            raise
        old = error.response.get("Item")
        return Claim(False, deserialize(old) if old else None)
    return Claim(True, deserialize(answer["Attributes"]))


def retry_claim(workflow_id: str, record_id: str, step: int) -> Claim:
    """Take a claim released for retry (RETRY → RUNNING, one more attempt)."""
    try:
        answer = db().update_item(
            TableName=_enrollments(),
            Key=_key(workflow_id, record_id),
            UpdateExpression="SET claimState = :running, claimedAt = :now ADD claimAttempts :one",
            ConditionExpression="claimStep = :step AND claimState = :retry",
            ExpressionAttributeValues={
                ":running": {"S": "RUNNING"},
                ":retry": {"S": "RETRY"},
                ":one": {"N": "1"},
                ":step": {"N": str(step)},
                ":now": {"S": clock.iso(clock.now())},
            },
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if _conditional_failed(error):
            return Claim(False, None)
        raise
    return Claim(True, deserialize(answer["Attributes"]))


def release_claim(workflow_id: str, record_id: str, step: int) -> None:
    """A transient failure: the step may run again on the next attempt."""
    try:
        db().update_item(
            TableName=_enrollments(),
            Key=_key(workflow_id, record_id),
            UpdateExpression="SET claimState = :retry",
            ConditionExpression="claimStep = :step",
            ExpressionAttributeValues={":retry": {"S": "RETRY"}, ":step": {"N": str(step)}},
        )
    except ClientError as error:
        if not _conditional_failed(error):
            raise


def complete_claim(enrollment: Enrollment, step: int, result: dict[str, Any] | None, **fields: Any) -> None:
    """The step is done: a repeated invocation answers ``result`` (None: the enrollment ended).

    ``fields`` are the step's changes to the enrollment, written in the same update while it is
    active; an enrollment that ended during the step keeps what it did (its last action, the
    email marks) but not its waits.
    """
    kept = {key: value for key, value in fields.items() if key not in _WAITING_FIELDS}
    ended = result is None  # the step ended the enrollment: no status condition
    if ended or (not _mark_done(enrollment, step, result, fields, while_active=bool(fields)) and fields):
        _mark_done(enrollment, step, result, kept, while_active=False)


_WAITING_FIELDS = ("waitingUntil", "waitState")


def _mark_done(
    enrollment: Enrollment,
    step: int,
    result: dict[str, Any] | None,
    fields: dict[str, Any],
    *,
    while_active: bool,
) -> bool:
    names = {f"#{key}": key for key in fields}
    values = serialize({f":{key}": value for key, value in fields.items()})
    values |= {f":{key}": {"NULL": True} for key, value in fields.items() if value is None}
    values |= {":done": {"S": "DONE"}, ":result": {"S": json.dumps(result)}}
    values |= {":step": {"N": str(step)}, ":id": {"S": enrollment.enrollmentId}}
    condition = "claimStep = :step AND enrollmentId = :id"
    if while_active:
        names["#status"] = "status"
        values[":active"] = {"S": "ACTIVE"}
        condition += " AND #status = :active"
    assignments = ["claimState = :done", "claimResult = :result", *(f"#{key} = :{key}" for key in fields)]
    try:
        db().update_item(
            TableName=_enrollments(),
            Key=_key(enrollment.workflowId, enrollment.recordId),
            UpdateExpression="SET " + ", ".join(assignments),
            ConditionExpression=condition,
            **({"ExpressionAttributeNames": names} if names else {}),
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


# ---------------------------------------------------------------- log (L-1, L-2)
def append_log(workflow_id: str, entry: LogEntry) -> None:
    at = clock.parse_iso(entry.at)
    sort_key = f"{entry.at}#{time.time_ns():020d}{uuid.uuid4().hex[:4]}"  # in order within one instant
    detail = {
        **entry.model_dump(mode="json"),
        "pk": f"WF#{workflow_id}",
        "sk": sort_key,
        "gsi1pk": f"WF#{workflow_id}#R#{entry.recordId}",
        "gsi1sk": sort_key,
        "expiresAt": int((at + timedelta(days=DETAIL_DAYS)).timestamp()),
    }
    summary = {
        "pk": f"WFS#{workflow_id}",
        "sk": sort_key,
        "gsi1pk": f"WFS#{workflow_id}#R#{entry.recordId}",
        "gsi1sk": sort_key,
        "at": entry.at,
        "recordId": entry.recordId,
        "event": entry.event.value,
        "actionType": entry.actionType,
        "expiresAt": int((at + timedelta(days=SUMMARY_DAYS)).timestamp()),
    }
    if _pending is not None:
        _pending.extend([(_log(), detail), (_log(), summary)])
    else:
        _write([(_log(), detail), (_log(), summary)])


_pending: list[tuple[str, dict[str, Any]]] | None = None
_BATCH = 25  # BatchWriteItem's limit


def _put_later(table: str, item: dict[str, Any]) -> None:
    """Put ``item`` with the buffered writes (see :func:`buffered_log`), or now when none are."""
    if _pending is not None:
        _pending.append((table, item))
    else:
        db().put_item(TableName=table, Item=serialize(item))


@contextlib.contextmanager
def buffered_log() -> Iterator[None]:
    """Write the log entries and enrollment history items made inside in as few batches as
    possible (one BatchWriteItem across both tables, up to 25 items), when the block ends.

    A step's entries (DELAY_ENDED, ACTION_EXECUTED, COMPLETED and the finished history item) then
    cost one call. They are written whether the block ends normally or by an error, before the
    step's claim is completed; every one is a plain put, so writing one twice changes nothing.
    """
    global _pending
    if _pending is not None:  # already buffering: the outer block writes
        yield
        return
    _pending = []
    try:
        yield
    finally:
        pending, _pending = _pending, None
        _write(pending)


def _write(items: list[tuple[str, dict[str, Any]]]) -> None:
    for first in range(0, len(items), _BATCH):
        batch: dict[str, list[dict[str, Any]]] = {}
        for table, item in items[first : first + _BATCH]:
            batch.setdefault(table, []).append({"PutRequest": {"Item": serialize(item)}})
        for _attempt in range(8):
            answer = db().batch_write_item(RequestItems=batch)
            batch = answer.get("UnprocessedItems") or {}
            if not batch:
                break
            time.sleep(0.05 * 2**_attempt)
        else:
            raise RuntimeError(f"{sum(map(len, batch.values()))} log items were not written (throttled)")


def _log_items(
    prefix: str, workflow_id: str, record_id: str | None, after: str | None
) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any]
    if record_id is None:
        kwargs = {
            "KeyConditionExpression": "pk = :pk" + (" AND sk > :after" if after else ""),
            "ExpressionAttributeValues": {":pk": {"S": f"{prefix}#{workflow_id}"}},
        }
    else:
        kwargs = {
            "IndexName": "byRecord",
            "KeyConditionExpression": "gsi1pk = :pk" + (" AND gsi1sk > :after" if after else ""),
            "ExpressionAttributeValues": {":pk": {"S": f"{prefix}#{workflow_id}#R#{record_id}"}},
        }
    if after:
        kwargs["ExpressionAttributeValues"][":after"] = {"S": after}
    yield from query(_log(), **kwargs)


def read_log(
    workflow_id: str, record_id: str | None = None, limit: int = 100, after: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Log entries oldest first. Within 180 days full detail; older ones (up to 2 years) only
    record id, event and action type (SUMMARY_FIELDS). Expired entries are never answered (L-2)."""
    now = clock.now()
    now_epoch = int(now.timestamp())
    detail_cutoff = clock.iso(now - timedelta(days=DETAIL_DAYS))
    entries: list[tuple[str, dict[str, Any]]] = []
    for item in _log_items("WFS", workflow_id, record_id, after):
        if item["expiresAt"] <= now_epoch:
            continue
        if item["at"] >= detail_cutoff:
            break
        entries.append((item["sk"], {key: item.get(key) for key in SUMMARY_FIELDS}))
        if len(entries) > limit:
            break
    if len(entries) <= limit:
        for item in _log_items("WF", workflow_id, record_id, after):
            if item["expiresAt"] <= now_epoch or item["at"] < detail_cutoff:
                continue
            body = LogEntry.model_validate(item).body()
            body.pop("detail", None) if not body.get("detail") else None
            entries.append((item["sk"], body))
            if len(entries) > limit:
                break
    page = entries[:limit]
    next_after = page[-1][0] if len(entries) > limit else None
    return [body for _, body in page], next_after


def restart_run(enrollment: Enrollment, wake_at: str, wait_state: str) -> bool:
    """Move an active enrollment to its next execution run (a live edit); False if it moved on."""
    try:
        db().update_item(
            TableName=_enrollments(),
            Key=_key(enrollment.workflowId, enrollment.recordId),
            UpdateExpression="SET #run = :next, waitingUntil = :wake, waitState = :state",
            ConditionExpression=(
                "#status = :active AND enrollmentId = :id AND #run = :run AND waitState = :old"
            ),
            ExpressionAttributeNames={"#run": "run", "#status": "status"},
            ExpressionAttributeValues={
                ":next": {"N": str(enrollment.run + 1)},
                ":run": {"N": str(enrollment.run)},
                ":wake": {"S": wake_at},
                ":state": {"S": wait_state},
                ":old": {"S": enrollment.waitState or ""},
                ":active": {"S": "ACTIVE"},
                ":id": {"S": enrollment.enrollmentId},
            },
        )
    except ClientError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def enrollments_page(workflow_id: str, after: str | None, limit: int) -> tuple[list[Enrollment], str | None]:
    """One page of a workflow's current enrollments, in record order (for jobs over thousands)."""
    kwargs: dict[str, Any] = {
        "TableName": _enrollments(),
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {
            ":pk": {"S": f"WF#{workflow_id}"},
            ":low": {"S": after or "R#"},
            ":high": {"S": "R#\uffff"},
        },
        "Limit": limit,
    }
    page = db().query(**kwargs)
    items = [deserialize(item) for item in page.get("Items", [])]
    found = [Enrollment.model_validate(item) for item in items if item["sk"] != after]
    cursor = items[-1]["sk"] if page.get("LastEvaluatedKey") and items else None
    return found, cursor
