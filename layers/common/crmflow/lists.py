"""Lists (HubSpot's segments, ``/crm/v3/lists``): the records workflows suppress (E-6).

A DYNAMIC list holds the records that meet its ``filterGroups`` at the moment it is asked (the one
filter engine, typed by the property definitions, as search is); a MANUAL list holds the records
added to it by hand. Memberships are never cached for dynamic lists, so "is this record a member"
is one evaluation and never stale.

Config table
  ``pk=LIST``, ``sk={listId}``: the list.
  ``pk=LISTMEM#{listId}``, ``sk={recordId:012}``: one member of a MANUAL list, so a membership check
    is a single GetItem and members page in id order.

Every check runs before anything is written, so a 400 stores nothing.
"""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from enum import StrEnum
from itertools import islice
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crmflow import clock
from crmflow.access import policy
from crmflow.config import get_settings
from crmflow.dynamo import db, deserialize, query, serialize
from crmflow.errors import Conflict, NotFound, ValidationFailed
from crmflow.filters import FilterGroup, GroupExplanation, count_filters, explain, matches
from crmflow.records import properties as property_defs
from crmflow.records import service as records
from crmflow.records import store as record_store
from crmflow.records.models import OBJECT_TYPE_IDS, Record, resolve_object_type
from crmflow.workflows import store as workflows
from crmflow.workflows.store import StoredWorkflow

MAX_FILTERS = 250  # as many as a workflow's enrollment triggers (E-4)
MAX_MEMBERSHIP_CHANGE = 1000  # record ids per create / add / remove request
MAX_PAGE = 250
_WRITE_BATCH = 25  # DynamoDB BatchWriteItem limit


class ProcessingType(StrEnum):
    DYNAMIC = "DYNAMIC"
    MANUAL = "MANUAL"


def _ids(value: Any) -> Any:
    """Record ids arrive as strings or numbers (HubSpot clients send both)."""
    if isinstance(value, list):
        return [str(item) if isinstance(item, int) and not isinstance(item, bool) else item for item in value]
    return value


class ListCreate(BaseModel):
    """``POST /crm/v3/lists``: ``objectType`` (or HubSpot's ``objectTypeId``, ``0-1``)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1)
    objectType: str | None = None
    objectTypeId: str | None = None
    processingType: ProcessingType
    filterGroups: list[FilterGroup] = Field(default_factory=list)
    recordIds: list[str] = Field(default_factory=list)

    @field_validator("processingType", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("recordIds", mode="before")
    @classmethod
    def _record_ids(cls, value: Any) -> Any:
        return _ids(value)


class CrmList(BaseModel):
    """A stored list."""

    listId: str
    name: str
    objectType: str
    processingType: ProcessingType
    filterGroups: list[FilterGroup] = Field(default_factory=list)
    createdAt: str
    updatedAt: str

    def body(self) -> dict[str, Any]:
        """As HubSpot answers a list (``filterGroups`` in place of its ``filterBranch``)."""
        return {
            "listId": self.listId,
            "listVersion": 1,
            "name": self.name,
            "objectTypeId": OBJECT_TYPE_IDS[self.objectType],
            "objectType": self.objectType,
            "processingType": self.processingType.value,
            "processingStatus": "COMPLETE",
            "filterGroups": [group.model_dump(mode="json", exclude_none=True) for group in self.filterGroups],
            "createdAt": self.createdAt,
            "updatedAt": self.updatedAt,
        }


def _table() -> str:
    return get_settings().config_table


def _list_key(list_id: str) -> dict[str, Any]:
    return {"pk": {"S": "LIST"}, "sk": {"S": str(list_id)}}


def _member_key(list_id: str, record_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"LISTMEM#{list_id}"}, "sk": {"S": record_id.zfill(12)}}


# ---------------------------------------------------------------- the list
def _object_type(data: ListCreate) -> str:
    name = data.objectType or data.objectTypeId
    if not name:
        raise ValidationFailed("objectType: required (a type name such as 'contacts', or objectTypeId '0-1')")
    return resolve_object_type(name)


def _check_record_ids(field: str, record_ids: list[str]) -> None:
    if len(record_ids) > MAX_MEMBERSHIP_CHANGE:
        raise ValidationFailed(f"{field}: at most {MAX_MEMBERSHIP_CHANGE} record ids per request")
    for index, record_id in enumerate(record_ids):
        if not record_id.strip():
            raise ValidationFailed(f"{field}[{index}]: a record id cannot be empty")


def unknown_property_problems(
    field: str, filter_groups: Sequence[FilterGroup], known: Collection[str], object_type: str
) -> list[str]:
    """One message per filter naming a property that ``object_type`` does not have (``known``), as
    ``{field}[g].filters[f].propertyName: ...``: such a filter could never be met."""
    return [
        f"{field}[{g}].filters[{f}].propertyName: property '{flt.propertyName}' does not exist on "
        f"{object_type}"
        for g, group in enumerate(filter_groups)
        for f, flt in enumerate(group.filters)
        if flt.propertyName not in known
    ]


def create(data: ListCreate) -> CrmList:
    object_type = _object_type(data)
    if data.processingType == ProcessingType.DYNAMIC:
        if not data.filterGroups or count_filters(data.filterGroups) == 0:
            raise ValidationFailed("filterGroups: a DYNAMIC list needs at least one filter")
        if count_filters(data.filterGroups) > MAX_FILTERS:
            raise ValidationFailed(f"filterGroups: at most {MAX_FILTERS} filters per list")
        known = property_defs.definitions(object_type)
        problems = unknown_property_problems("filterGroups", data.filterGroups, known, object_type)
        if problems:
            raise ValidationFailed("; ".join(problems))
        if data.recordIds:
            raise ValidationFailed(
                "recordIds: only MANUAL lists take record ids; a DYNAMIC list follows its filters"
            )
    else:
        if data.filterGroups:
            raise ValidationFailed("filterGroups: a MANUAL list has no filters; give recordIds")
        _check_record_ids("recordIds", data.recordIds)
        missing = _missing(object_type, data.recordIds)
        if missing:
            raise ValidationFailed(f"recordIds: no {object_type} with id {', '.join(missing)}")
    counter = db().update_item(
        TableName=_table(),
        Key={"pk": {"S": "COUNTER"}, "sk": {"S": "lists"}},
        UpdateExpression="ADD #v :one",
        ExpressionAttributeNames={"#v": "value"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    now = clock.iso(clock.now())
    crm_list = CrmList(
        listId=counter["Attributes"]["value"]["N"],
        name=data.name,
        objectType=object_type,
        processingType=data.processingType,
        filterGroups=data.filterGroups,
        createdAt=now,
        updatedAt=now,
    )
    _put_members(crm_list.listId, data.recordIds, now)
    item = {"pk": "LIST", "sk": crm_list.listId, **crm_list.model_dump(mode="json", exclude_none=True)}
    db().put_item(TableName=_table(), Item=serialize(item))
    return crm_list


def get(list_id: str) -> CrmList | None:
    item = db().get_item(TableName=_table(), Key=_list_key(list_id), ConsistentRead=True)
    return CrmList.model_validate(deserialize(item["Item"])) if "Item" in item else None


def require(list_id: str) -> CrmList:
    crm_list = get(list_id)
    if crm_list is None:
        raise NotFound(f"list {list_id} does not exist")
    return crm_list


def delete(list_id: str) -> None:
    """Delete a list and its memberships; 409 while a workflow suppresses it (remove it there first)."""
    require(list_id)
    users = [workflow.id for workflow in workflows_using(list_id)]
    if users:
        raise Conflict(
            f"listId: list {list_id} is a suppression list of workflow {', '.join(users)}; "
            "remove it from suppressionListIds first"
        )
    keys = [
        {"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}}
        for item in query(
            _table(),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"LISTMEM#{list_id}"}},
        )
    ]
    _batch_write([{"DeleteRequest": {"Key": key}} for key in keys])
    db().delete_item(TableName=_table(), Key=_list_key(list_id))


def workflows_using(list_id: str) -> list[StoredWorkflow]:
    """The workflows that suppress the records of this list."""
    return [w for w in workflows.all_workflows() if str(list_id) in w.definition.suppressionListIds]


# ---------------------------------------------------------------- membership
def is_member(crm_list: CrmList, record: Record, types: Mapping[str, str] | None = None) -> bool:
    """Whether ``record`` is on the list now. ``types`` (property name → type) saves a read."""
    if crm_list.processingType == ProcessingType.MANUAL:
        item = db().get_item(
            TableName=_table(), Key=_member_key(crm_list.listId, record.id), ConsistentRead=True
        )
        return "Item" in item
    if types is None:
        types = property_types(crm_list.objectType)
    return matches(crm_list.filterGroups, record.properties, types)


def explain_membership(crm_list: CrmList, record: Record, types: Mapping[str, str]) -> dict[str, Any]:
    """L-4: whether the record is on the list, and for a dynamic list each filter against its value."""
    answer: dict[str, Any] = {
        "listId": crm_list.listId,
        "name": crm_list.name,
        "processingType": crm_list.processingType.value,
        "member": is_member(crm_list, record, types),
    }
    if crm_list.processingType == ProcessingType.DYNAMIC:
        groups: list[GroupExplanation] = explain(crm_list.filterGroups, record.properties, types)
        answer["filterGroups"] = [group.model_dump(mode="json") for group in groups]
    return answer


def property_types(object_type: str) -> dict[str, str]:
    return property_defs.property_types(property_defs.definitions(object_type))


def memberships(list_id: str, limit: int, after: str | None) -> dict[str, Any]:
    """One page of members in record id order: ``{"results": [{"recordId", "membershipTimestamp"}]}``."""
    crm_list = require(list_id)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit: must be between 1 and {MAX_PAGE}")
    if after is not None and not (after.isascii() and after.isdigit()):
        raise ValidationFailed(f"after: '{after}' is not a valid paging cursor")
    found: list[dict[str, Any]]
    if crm_list.processingType == ProcessingType.MANUAL:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk" + (" AND sk > :after" if after else ""),
            "ExpressionAttributeValues": {":pk": {"S": f"LISTMEM#{list_id}"}},
        }
        if after:
            kwargs["ExpressionAttributeValues"][":after"] = {"S": after.zfill(12)}
        shown = _shown_ids(crm_list.objectType)
        found = [
            {"recordId": item["recordId"], "membershipTimestamp": item["addedAt"]}
            for item in islice((i for i in query(_table(), **kwargs) if shown(i["recordId"])), limit + 1)
        ]
    else:
        types = property_types(crm_list.objectType)
        members = (
            record
            for record in filter(
                records.visible(crm_list.objectType), record_store.scan_type(crm_list.objectType, after=after)
            )
            if matches(crm_list.filterGroups, record.properties, types)
        )
        found = [
            {"recordId": record.id, "membershipTimestamp": None} for record in islice(members, limit + 1)
        ]
    answer: dict[str, Any] = {"results": found[:limit]}
    if len(found) > limit:
        answer["paging"] = {"next": {"after": found[limit - 1]["recordId"]}}
    return answer


def _manual(list_id: str) -> CrmList:
    crm_list = require(list_id)
    if crm_list.processingType != ProcessingType.MANUAL:
        raise ValidationFailed(
            f"processingType: list {list_id} is DYNAMIC; its members are the records that meet its "
            "filterGroups and cannot be added or removed by hand"
        )
    return crm_list


def _shown_ids(object_type: str) -> Callable[[str], bool]:
    """T-5: a member the caller may not see is not shown (a hidden ticket is as good as missing)."""
    seen = records.visible(object_type)
    if seen is policy.everything:
        return lambda record_id: True
    return lambda record_id: records.get_record(object_type, record_id) is not None


def _missing(object_type: str, record_ids: Iterable[str]) -> list[str]:
    """The ids among ``record_ids`` of no live record the caller may see."""
    wanted = list(dict.fromkeys(record_ids))
    seen = records.visible(object_type)
    found = record_store.get_many(object_type, wanted).items()
    live = {rid for rid, record in found if not record.archived and seen(record)}
    return [rid for rid in wanted if rid not in live]


def add_members(list_id: str, record_ids: list[str]) -> dict[str, list[str]]:
    """Add records to a MANUAL list: ``{"recordIdsAdded", "recordIdsMissing"}`` (unknown ids)."""
    crm_list = _manual(list_id)
    record_ids = [str(rid) for rid in record_ids]
    _check_record_ids("body", record_ids)
    missing = _missing(crm_list.objectType, record_ids)
    added = [rid for rid in dict.fromkeys(record_ids) if rid not in missing]
    _put_members(list_id, added, clock.iso(clock.now()))
    return {"recordIdsAdded": added, "recordIdsMissing": missing}


def remove_members(list_id: str, record_ids: list[str]) -> dict[str, list[str]]:
    """Remove records from a MANUAL list: ``{"recordIdsRemoved", "recordIdsMissing"}`` (not members)."""
    _manual(list_id)
    record_ids = list(dict.fromkeys(str(rid) for rid in record_ids))
    _check_record_ids("body", record_ids)
    removed: list[str] = []
    missing: list[str] = []
    for record_id in record_ids:
        answer = db().delete_item(
            TableName=_table(), Key=_member_key(list_id, record_id), ReturnValues="ALL_OLD"
        )
        (removed if "Attributes" in answer else missing).append(record_id)
    return {"recordIdsRemoved": removed, "recordIdsMissing": missing}


def _put_members(list_id: str, record_ids: Iterable[str], at: str) -> None:
    _batch_write(
        [
            {
                "PutRequest": {
                    "Item": {
                        **_member_key(list_id, record_id),
                        "recordId": {"S": record_id},
                        "addedAt": {"S": at},
                    }
                }
            }
            for record_id in dict.fromkeys(record_ids)
        ]
    )


def _batch_write(requests: list[dict[str, Any]]) -> None:
    for start in range(0, len(requests), _WRITE_BATCH):
        pending: dict[str, Any] = {_table(): requests[start : start + _WRITE_BATCH]}
        while pending:
            pending = db().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


# ---------------------------------------------------------------- workflows
def suppression_list_problems(object_type: str, list_ids: Iterable[str]) -> list[str]:
    """A workflow's ``suppressionListIds`` must name existing lists of the workflow's object type."""
    problems = []
    for index, list_id in enumerate(list_ids):
        if not list_id.strip():
            problems.append(f"suppressionListIds[{index}]: a list id cannot be empty")
            continue
        crm_list = get(list_id)
        if crm_list is None:
            problems.append(f"suppressionListIds[{index}]: unknown list '{list_id}'")
        elif crm_list.objectType != object_type:
            problems.append(
                f"suppressionListIds[{index}]: list '{list_id}' holds {crm_list.objectType}, "
                f"not {object_type}"
            )
    return problems
