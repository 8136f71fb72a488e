"""Small helpers over the low-level DynamoDB client shared by the stores."""

from collections.abc import Iterator, Mapping
from typing import Any

from crmflow import aws
from crmflow.records.store import deserialize, serialize

__all__ = ["db", "deserialize", "query", "serialize"]


def db() -> Any:
    return aws.client("dynamodb")


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
