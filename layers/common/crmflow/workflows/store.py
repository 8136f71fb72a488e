"""Workflows in the Config table: the current definition and every saved revision.

Current: ``pk=WORKFLOW``, ``sk={id}`` with the definition as JSON, ``revision``, ``enabled``.
Revisions: ``pk=WFREV#{id}``, ``sk={revision:08}``, kept for good (the log names the revision
each action ran under).
Version: ``pk=COUNTER``, ``sk=workflows#version``, one number bumped in the same transaction as every
save, enable, disable and delete of any workflow, so a reader that sees a version also sees every
write it counts (the records stream caches its trigger index by it, ``crmflow.triggers``).
"""

import time
from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from crmflow.config import get_settings
from crmflow.dynamo import db, deserialize, increment, query, serialize
from crmflow.workflows.models import WorkflowDefinition


class StoredWorkflow(BaseModel):
    """A saved workflow: its current definition and what the service keeps beside it."""

    id: str
    revision: int
    enabled: bool = False
    createdAt: str
    updatedAt: str
    enabledAt: str | None = None
    goalResetAt: str | None = None
    definition: WorkflowDefinition

    @property
    def objectType(self) -> str:
        return str(self.definition.objectType)

    def body(self) -> dict[str, Any]:
        """The API's representation (SPEC section 8)."""
        return {
            **self.definition.model_dump(mode="json"),
            "id": self.id,
            "revision": self.revision,
            "enabled": self.enabled,
            "createdAt": self.createdAt,
            "updatedAt": self.updatedAt,
        }


def _table() -> str:
    return get_settings().config_table


def _to_workflow(item: dict[str, Any]) -> StoredWorkflow:
    return StoredWorkflow(
        id=item["sk"],
        revision=item["revision"],
        enabled=item["enabled"],
        createdAt=item["createdAt"],
        updatedAt=item["updatedAt"],
        enabledAt=item.get("enabledAt"),
        goalResetAt=item.get("goalResetAt"),
        definition=WorkflowDefinition.model_validate_json(item["definition"]),
    )


def next_id() -> str:
    return str(increment(_table(), "COUNTER", "workflows"))


def get(workflow_id: str) -> StoredWorkflow | None:
    item = db().get_item(
        TableName=_table(), Key={"pk": {"S": "WORKFLOW"}, "sk": {"S": workflow_id}}, ConsistentRead=True
    )
    return _to_workflow(deserialize(item["Item"])) if "Item" in item else None


def all_workflows(*, consistent: bool = False) -> Iterator[StoredWorkflow]:
    """Every workflow, on or off, in id order as strings; ``consistent`` reads every committed write."""
    for item in query(
        _table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "WORKFLOW"}},
        **({"ConsistentRead": True} if consistent else {}),
    ):
        yield _to_workflow(item)


VERSION_KEY = {"pk": {"S": "COUNTER"}, "sk": {"S": "workflows#version"}}
_TRANSACT_TRIES = 3


def version() -> int:
    """The workflows version: changes with every save, enable, disable and delete (0 before any)."""
    item = db().get_item(TableName=_table(), Key=VERSION_KEY, ConsistentRead=True)
    return int(item["Item"]["value"]["N"]) if "Item" in item else 0


def _bump() -> dict[str, Any]:
    """The version's increment, as one item of the transaction that writes a workflow."""
    return {
        "Update": {
            "TableName": _table(),
            "Key": VERSION_KEY,
            "UpdateExpression": "ADD #v :one",
            "ExpressionAttributeNames": {"#v": "value"},
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def _write(items: list[dict[str, Any]]) -> None:
    """A workflow write and the version's bump, atomically. Two saves of different workflows touch
    the version item at once now and then (TransactionConflict, nothing written): tried again."""
    for attempt in range(_TRANSACT_TRIES):
        try:
            db().transact_write_items(TransactItems=[*items, _bump()])
            return
        except ClientError as error:
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons") or []]
            if "TransactionConflict" not in reasons or "ConditionalCheckFailed" in reasons:
                raise
            if attempt == _TRANSACT_TRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def save(workflow: StoredWorkflow, *, expected_revision: int | None) -> None:
    """Write ``workflow`` as current and as a new revision, only if nobody saved in between."""
    _write(_puts(workflow, expected_revision))


def _puts(workflow: StoredWorkflow, expected_revision: int | None) -> list[dict[str, Any]]:
    """The current item (conditional on the revision read) and the revision item of a save."""
    definition = workflow.definition.model_dump_json()
    current = {
        "pk": "WORKFLOW",
        "sk": workflow.id,
        "definition": definition,
        "revision": workflow.revision,
        "enabled": workflow.enabled,
        "objectType": workflow.objectType,
        "createdAt": workflow.createdAt,
        "updatedAt": workflow.updatedAt,
        "enabledAt": workflow.enabledAt,
        "goalResetAt": workflow.goalResetAt,
    }
    put: dict[str, Any] = {"TableName": _table(), "Item": serialize(current)}
    if expected_revision is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "revision = :expected"
        put["ExpressionAttributeValues"] = {":expected": {"N": str(expected_revision)}}
    revision = {
        "pk": f"WFREV#{workflow.id}",
        "sk": f"{workflow.revision:08d}",
        "definition": definition,
        "revision": workflow.revision,
        "savedAt": workflow.updatedAt,
    }
    return [{"Put": put}, {"Put": {"TableName": _table(), "Item": serialize(revision)}}]


def save_new(workflows: Sequence[StoredWorkflow]) -> None:
    """Write many new workflows with fresh ids (imports, benchmarks): their current and revision
    items 25 to a BatchWriteItem, then one bump of the version. Not atomic, unlike :func:`save`: the
    bump comes after every write, so no reader caches the new version without them; an import that
    dies before its bump is seen at the next bump (run it again)."""
    puts = [put["Put"] for workflow in workflows for put in _puts(workflow, None)]
    requests = [{"PutRequest": {"Item": put["Item"]}} for put in puts]
    for start in range(0, len(requests), 25):
        pending: dict[str, Any] = {_table(): requests[start : start + 25]}
        while pending:
            pending = db().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    db().update_item(**_bump()["Update"])


def set_flags(workflow_id: str, **flags: Any) -> None:
    names = {f"#{key}": key for key in flags}
    values = {f":{key}": value for key, value in flags.items()}
    update = {
        "TableName": _table(),
        "Key": {"pk": {"S": "WORKFLOW"}, "sk": {"S": workflow_id}},
        "UpdateExpression": "SET " + ", ".join(f"#{key} = :{key}" for key in flags),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": serialize(values),
        "ConditionExpression": "attribute_exists(pk)",
    }
    _write([{"Update": update}])


def delete(workflow_id: str) -> None:
    _write([{"Delete": {"TableName": _table(), "Key": {"pk": {"S": "WORKFLOW"}, "sk": {"S": workflow_id}}}}])


def revisions(workflow_id: str) -> Iterator[dict[str, Any]]:
    yield from query(
        _table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"WFREV#{workflow_id}"}},
    )


def revision(workflow_id: str, number: int) -> dict[str, Any] | None:
    item = db().get_item(
        TableName=_table(), Key={"pk": {"S": f"WFREV#{workflow_id}"}, "sk": {"S": f"{number:08d}"}}
    )
    return deserialize(item["Item"]) if "Item" in item else None
