"""Workflows in the Config table: the current definition and every saved revision.

Current: ``pk=WORKFLOW``, ``sk={id}`` with the definition as JSON, ``revision``, ``enabled``.
Revisions: ``pk=WFREV#{id}``, ``sk={revision:08}``, kept for good (the log names the revision
each action ran under).
"""

from collections.abc import Iterator
from typing import Any

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


def all_workflows() -> Iterator[StoredWorkflow]:
    for item in query(
        _table(), KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "WORKFLOW"}}
    ):
        yield _to_workflow(item)


def save(workflow: StoredWorkflow, *, expected_revision: int | None) -> None:
    """Write ``workflow`` as current and as a new revision, only if nobody saved in between."""
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
    db().transact_write_items(
        TransactItems=[{"Put": put}, {"Put": {"TableName": _table(), "Item": serialize(revision)}}]
    )


def set_flags(workflow_id: str, **flags: Any) -> None:
    names = {f"#{key}": key for key in flags}
    values = {f":{key}": value for key, value in flags.items()}
    db().update_item(
        TableName=_table(),
        Key={"pk": {"S": "WORKFLOW"}, "sk": {"S": workflow_id}},
        UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in flags),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=serialize(values),
        ConditionExpression="attribute_exists(pk)",
    )


def delete(workflow_id: str) -> None:
    db().delete_item(TableName=_table(), Key={"pk": {"S": "WORKFLOW"}, "sk": {"S": workflow_id}})


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
