"""The demo's two seams into moto (in ``crmflow_local/moto_seams.py``) answer as moto does.

Each scenario runs twice, on moto as it is and with the seams installed, and the answers must be the
same: a transaction that writes, one that is cancelled half way (nothing of it stays, not even its
stream records), queries of one partition page by page and in reverse, and a query on an index."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from crmflow_local import moto_seams as moto_speed
from crmflow_local.runtime import Runtime
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table


def _item(pk: str, sk: str, **extra: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}


def _stream_length(table_name: str) -> int:
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends["123456789012"]["us-east-1"].tables[table_name]
    return len(table.stream_shard.items) if table.stream_shard else 0


def scenario() -> dict[str, Any]:
    """What the records and enrollments tables answer to a set of writes and reads."""
    seen: dict[str, Any] = {}
    with Runtime() as rt:
        db = rt.client("dynamodb")
        records, enrollments = rt.env("RECORDS_TABLE"), rt.env("ENROLLMENTS_TABLE")
        for n in range(30):
            db.put_item(TableName=records, Item=_item(f"P#{n % 3}", f"{n:04d}", value=str(n)))
        before = _stream_length(records)
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": records, "Item": _item("P#0", "new")}},
                {"Update": {
                    "TableName": records,
                    "Key": {"pk": {"S": "P#1"}, "sk": {"S": "0001"}},
                    "UpdateExpression": "SET #v = :v",
                    "ExpressionAttributeNames": {"#v": "value"},
                    "ExpressionAttributeValues": {":v": {"S": "changed"}},
                }},
            ]
        )  # fmt: skip
        seen["stream after a transaction"] = _stream_length(records) - before
        before = _stream_length(records)
        with pytest.raises(ClientError) as cancelled:
            db.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": records, "Item": _item("P#2", "half")}},
                    {"Delete": {"TableName": records, "Key": {"pk": {"S": "P#2"}, "sk": {"S": "0002"}}}},
                    {
                        "Put": {
                            "TableName": records,
                            "Item": _item("P#0", "new"),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        seen["cancelled"] = (
            cancelled.value.response["Error"]["Code"],
            [r.get("Code") for r in cancelled.value.response.get("CancellationReasons", [])],
        )
        seen["stream after a cancelled transaction"] = _stream_length(records) - before
        seen["half written"] = "Item" in db.get_item(
            TableName=records, Key={"pk": {"S": "P#2"}, "sk": {"S": "half"}}
        )
        seen["deleted"] = "Item" not in db.get_item(
            TableName=records, Key={"pk": {"S": "P#2"}, "sk": {"S": "0002"}}
        )
        pages, start = [], None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": records,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": "P#1"}},
                "Limit": 4,
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = db.query(**kwargs)
            pages.append([(i["sk"]["S"], i.get("value", {}).get("S")) for i in page["Items"]])
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        seen["pages"] = pages
        backwards = db.query(
            TableName=records,
            KeyConditionExpression="pk = :pk AND sk > :sk",
            ExpressionAttributeValues={":pk": {"S": "P#0"}, ":sk": {"S": "0010"}},
            ScanIndexForward=False,
        )
        seen["backwards"] = [i["sk"]["S"] for i in backwards["Items"]]
        seen["missing partition"] = db.query(
            TableName=records,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "nothing"}},
        )["Items"]
        for n in range(6):
            item = _item(f"W#{n % 2}", f"R#{n}", gsi1pk=f"record#{n % 3}", gsi1sk=f"{n}")
            db.put_item(TableName=enrollments, Item=item)
        indexed = db.query(
            TableName=enrollments,
            IndexName="byRecord",
            KeyConditionExpression="gsi1pk = :r",
            ExpressionAttributeValues={":r": {"S": "record#1"}},
        )
        seen["index"] = [(i["pk"]["S"], i["sk"]["S"]) for i in indexed["Items"]]
    return seen


def test_the_seams_answer_as_moto_does():
    plain = scenario()
    with moto_speed.installed():
        assert DynamoDBBackend.transact_write_items is moto_speed.transact_write_items
        assert Table.query is moto_speed.query
        seamed = scenario()
    assert DynamoDBBackend.transact_write_items is not moto_speed.transact_write_items
    assert seamed == plain
    assert plain["stream after a transaction"] == 2
    assert plain["stream after a cancelled transaction"] == 0
    assert plain["cancelled"][0] == "TransactionCanceledException"
    assert not plain["half written"] and not plain["deleted"]
    assert len(plain["pages"]) == 3 and plain["index"]
