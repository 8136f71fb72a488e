"""Small helpers over the low-level DynamoDB client shared by the stores."""

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from crmflow import aws

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def db() -> Any:
    return aws.client("dynamodb")


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (``None`` values are left out)."""
    return {key: _serializer.serialize(value) for key, value in item.items() if value is not None}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as a plain dict (numbers come back as ``int`` when whole)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {key: plain(_deserializer.deserialize(value)) for key, value in item.items()}


def increment(table: str, pk: str, sk: str) -> int:
    """Add one to the atomic counter at ``pk``/``sk`` and answer the new value (1 for a new one)."""
    answer = db().update_item(
        TableName=table,
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        UpdateExpression="ADD #v :one",
        ExpressionAttributeNames={"#v": "value"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"]["value"]["N"])


def query(table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query answers, page by page, as plain dicts."""
    start: Mapping[str, Any] | None = None
    while True:
        page = db().query(TableName=table, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        for item in page.get("Items", []):
            yield deserialize(item)
        start = page.get("LastEvaluatedKey")
        if not start:
            return
