"""DynamoDB access for records and associations (the only module that knows the item layout).

Records table: a record is ``pk=R#{objectType}``, ``sk=<id zero-padded to 12>``, ``kind=record``;
an association is ``pk=A#{fromType}#{fromId}``, ``sk={toType}#{toId}``, ``kind=association``,
written in both directions in one transaction. Ids come from counters in the Config table
(``pk=COUNTER``, ``sk={objectType}``).
"""

from collections.abc import Iterator, Mapping
from typing import Any

from crmflow import aws
from crmflow.config import get_settings
from crmflow.dynamo import deserialize, increment, serialize
from crmflow.records.models import AssociatedType, Association, HistoryEntry, Record


def _db() -> Any:
    return aws.client("dynamodb")


def _records_table() -> str:
    return get_settings().records_table


def _sort_key(record_id: str) -> str:
    return record_id.zfill(12)


def record_key(object_type: str, record_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"R#{object_type}"}, "sk": {"S": _sort_key(record_id)}}


def _to_record(item: Mapping[str, Any]) -> Record:
    return record_from_image(deserialize(item))


def record_from_image(data: Mapping[str, Any]) -> Record:
    """A record from its item as plain data (a stream image deserialised by Powertools, or a read)."""
    return Record(
        id=str(data["id"]),
        properties={key: None if value is None else str(value) for key, value in data["properties"].items()},
        createdAt=data["createdAt"],
        updatedAt=data["updatedAt"],
        archived=bool(data.get("archived", False)),
        archivedAt=data.get("archivedAt"),
        history={name: [_entry(e) for e in entries] for name, entries in (data.get("history") or {}).items()},
    )


def _entry(data: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        value=data.get("v"),
        timestamp=data["t"],
        sourceType=data["st"],
        sourceId=data.get("si"),
        sourceLabel=data.get("sl"),
    )


def _entry_item(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "v": entry.value,
        "t": entry.timestamp,
        "st": str(entry.sourceType),
        "si": entry.sourceId,
        "sl": entry.sourceLabel,
    }


def _is_record_id(record_id: str) -> bool:
    return record_id.isascii() and record_id.isdigit() and 0 < len(record_id) <= 12


# ---------------------------------------------------------------- records


def next_id(object_type: str) -> str:
    """A new record id for ``object_type`` (an atomic counter in the Config table)."""
    return str(increment(get_settings().config_table, "COUNTER", object_type))


def get(object_type: str, record_id: str) -> Record | None:
    """The stored record, archived or not; ``None`` when there is none."""
    if not _is_record_id(record_id):
        return None
    item = _db().get_item(
        TableName=_records_table(), Key=record_key(object_type, record_id), ConsistentRead=True
    )
    return _to_record(item["Item"]) if "Item" in item else None


def get_many(object_type: str, record_ids: list[str]) -> dict[str, Record]:
    """The stored records among ``record_ids`` (archived included), by id."""
    wanted = list(dict.fromkeys(i for i in record_ids if _is_record_id(i)))
    found: dict[str, Record] = {}
    for start in range(0, len(wanted), 100):
        keys = [record_key(object_type, record_id) for record_id in wanted[start : start + 100]]
        request: dict[str, Any] = {_records_table(): {"Keys": keys, "ConsistentRead": True}}
        while request:
            answer = _db().batch_get_item(RequestItems=request)
            for item in answer["Responses"].get(_records_table(), []):
                record = _to_record(item)
                found[record.id] = record
            request = answer.get("UnprocessedKeys") or {}
    return found


def _record_item(object_type: str, record: Record) -> dict[str, Any]:
    return serialize(
        {
            "pk": f"R#{object_type}",
            "sk": _sort_key(record.id),
            "kind": "record",
            "objectType": object_type,
            "id": record.id,
            "properties": {k: v for k, v in record.properties.items() if v is not None},
            "createdAt": record.createdAt,
            "updatedAt": record.updatedAt,
            "archived": record.archived,
            "history": {name: [_entry_item(e) for e in entries] for name, entries in record.history.items()},
        }
    )


def insert(object_type: str, record: Record, associations: list[tuple[Association, Association]]) -> None:
    """Write a new record and its associations (each a pair: both directions) in one transaction."""
    writes: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": _records_table(),
                "Item": _record_item(object_type, record),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]
    for forward, backward in associations:
        writes += [
            {"Put": {"TableName": _records_table(), "Item": _association_item(forward)}},
            {"Put": {"TableName": _records_table(), "Item": _association_item(backward)}},
        ]
    if len(writes) == 1:
        _db().put_item(**writes[0]["Put"])
    else:
        _db().transact_write_items(TransactItems=writes)


def update_properties(
    object_type: str,
    record_id: str,
    changes: Mapping[str, str | None],
    updated_at: str,
    history: Mapping[str, HistoryEntry] | None = None,
) -> Record | None:
    """Set (or, for ``None``, remove) properties of a live record and append ``history`` entries in the
    same write; ``None`` when the record is archived or missing."""
    names: dict[str, str] = {"#p": "properties", "#u": "updatedAt", "#a": "archived"}
    values: dict[str, Any] = {":u": {"S": updated_at}, ":false": {"BOOL": False}}
    sets, removes = ["#u = :u"], []
    for i, (name, value) in enumerate(changes.items()):
        names[f"#n{i}"] = name
        if value is None:
            removes.append(f"#p.#n{i}")
        else:
            values[f":v{i}"] = {"S": value}
            sets.append(f"#p.#n{i} = :v{i}")
    if history:
        names["#h"] = "history"
        values[":none"] = {"L": []}
        for i, (name, entry) in enumerate(history.items()):
            names[f"#hn{i}"] = name
            values[f":h{i}"] = serialize({"x": [_entry_item(entry)]})["x"]
            sets.append(f"#h.#hn{i} = list_append(if_not_exists(#h.#hn{i}, :none), :h{i})")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    db = _db()
    try:
        answer = db.update_item(
            TableName=_records_table(),
            Key=record_key(object_type, record_id),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk) AND #a = :false",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except db.exceptions.ConditionalCheckFailedException:
        return None
    return _to_record(answer["Attributes"])


def mark_archived(object_type: str, record_id: str, archived_at: str) -> bool:
    """Archive a live record (the item stays); False when it is missing or already archived."""
    db = _db()
    try:
        db.update_item(
            TableName=_records_table(),
            Key=record_key(object_type, record_id),
            UpdateExpression="SET #a = :true, archivedAt = :at, updatedAt = :at",
            ConditionExpression="attribute_exists(pk) AND #a = :false",
            ExpressionAttributeNames={"#a": "archived"},
            ExpressionAttributeValues={
                ":true": {"BOOL": True},
                ":false": {"BOOL": False},
                ":at": {"S": archived_at},
            },
        )
    except db.exceptions.ConditionalCheckFailedException:
        return False
    return True


def scan_type(object_type: str, *, archived: bool = False, after: str | None = None) -> Iterator[Record]:
    """Records of ``object_type`` in id order, page by page, starting after id ``after``."""
    kwargs: dict[str, Any] = {
        "TableName": _records_table(),
        "KeyConditionExpression": "pk = :pk",
        "FilterExpression": "#a = :archived",
        "ExpressionAttributeNames": {"#a": "archived"},
        "ExpressionAttributeValues": {":pk": {"S": f"R#{object_type}"}, ":archived": {"BOOL": archived}},
    }
    if after:
        kwargs["ExclusiveStartKey"] = {"pk": {"S": f"R#{object_type}"}, "sk": {"S": _sort_key(after)}}
    while True:
        page = _db().query(**kwargs)
        yield from (_to_record(item) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# ---------------------------------------------------------------- associations


def _association_item(association: Association) -> dict[str, Any]:
    return serialize(
        {
            "pk": f"A#{association.fromType}#{association.fromId}",
            "sk": f"{association.toType}#{association.toId}",
            "kind": "association",
            "fromType": association.fromType,
            "fromId": association.fromId,
            "toType": association.toType,
            "toId": association.toId,
            "types": [
                {"associationCategory": t.category, "associationTypeId": t.typeId, "label": t.label}
                for t in association.types
            ],
        }
    )


def _to_association(item: Mapping[str, Any]) -> Association:
    data = deserialize(item)
    return Association(
        fromType=data["fromType"],
        fromId=data["fromId"],
        toType=data["toType"],
        toId=data["toId"],
        types=[
            AssociatedType(
                category=t["associationCategory"], typeId=t["associationTypeId"], label=t.get("label")
            )
            for t in data.get("types", [])
        ],
    )


def get_association(from_type: str, from_id: str, to_type: str, to_id: str) -> Association | None:
    item = _db().get_item(
        TableName=_records_table(),
        Key={"pk": {"S": f"A#{from_type}#{from_id}"}, "sk": {"S": f"{to_type}#{to_id}"}},
        ConsistentRead=True,
    )
    return _to_association(item["Item"]) if "Item" in item else None


def put_associations(pairs: list[tuple[Association, Association]]) -> None:
    """Write associations, each with its inverse, in one transaction."""
    writes = [
        {"Put": {"TableName": _records_table(), "Item": _association_item(a)}} for pair in pairs for a in pair
    ]
    if writes:
        _db().transact_write_items(TransactItems=writes)


def delete_associations(pairs: list[tuple[str, str, str, str]]) -> None:
    """Delete associations ``(fromType, fromId, toType, toId)`` in both directions, in one transaction."""
    writes = []
    for from_type, from_id, to_type, to_id in pairs:
        for a, a_id, b, b_id in ((from_type, from_id, to_type, to_id), (to_type, to_id, from_type, from_id)):
            key = {"pk": {"S": f"A#{a}#{a_id}"}, "sk": {"S": f"{b}#{b_id}"}}
            writes.append({"Delete": {"TableName": _records_table(), "Key": key}})
    for start in range(0, len(writes), 100):
        _db().transact_write_items(TransactItems=writes[start : start + 100])


def query_associations(from_type: str, from_id: str, to_type: str | None = None) -> Iterator[Association]:
    """The associations of one record (to one type, or to all), page by page."""
    values: dict[str, Any] = {":pk": {"S": f"A#{from_type}#{from_id}"}}
    condition = "pk = :pk"
    if to_type:
        condition += " AND begins_with(sk, :to)"
        values[":to"] = {"S": f"{to_type}#"}
    kwargs: dict[str, Any] = {
        "TableName": _records_table(),
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
    }
    while True:
        page = _db().query(**kwargs)
        yield from (_to_association(item) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
