"""The fast local AWS path answers exactly as the plain boto3 path does.

Two levels: the same DynamoDB calls made both ways answer the same (items, errors and their
fields); and the same scenario (a goal workflow, a live edit, lifecycle automation, a ticket
pipeline workflow) run on two runtimes leaves the same tables, emails, executions and log.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from crmflow_local import fast_path
from crmflow_local import template as tpl
from crmflow_local.runtime import Runtime
from moto import mock_aws

from tests.automation_support import create, dead_letters, lifecycle_settings, patch
from tests.engine_support import automated_email, chain, contact, create_workflow, ok, workflow

TABLE = "calls"


@pytest.fixture
def clients(monkeypatch):
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")  # else moto misses streams calls
    with mock_aws():
        plain = boto3.client("dynamodb", region_name=tpl.REGION)
        plain.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        fast = fast_path.fast_dynamodb(
            boto3.client("dynamodb", region_name=tpl.REGION), tpl.ACCOUNT_ID, tpl.REGION
        )
        yield plain, fast


def _both(clients: tuple[Any, Any], operation: str, **params: Any) -> tuple[Any, Any]:
    """Run one call on each client (the plain one first), answering (plain, fast) results or errors."""
    answers = []
    for client in clients:
        try:
            answer = getattr(client, operation)(**json.loads(json.dumps(params)))
            answer.pop("ResponseMetadata", None)
            answers.append(answer)
        except ClientError as error:
            response = {k: v for k, v in error.response.items() if k != "ResponseMetadata"}
            answers.append((type(error).__name__, response))
        except ParamValidationError as error:
            answers.append(("ParamValidationError", str(error)))
        if operation in (
            "put_item",
            "update_item",
            "delete_item",
            "batch_write_item",
            "transact_write_items",
        ):
            _reset(clients[0])
    return answers[0], answers[1]


def _reset(plain: Any) -> None:
    """Put the table back to its seed state so both clients see the same data."""
    for item in plain.scan(TableName=TABLE)["Items"]:
        plain.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    for n in range(3):
        plain.put_item(
            TableName=TABLE,
            Item={
                "pk": {"S": "P"},
                "sk": {"S": f"S{n}"},
                "n": {"N": str(n)},
                "tags": {"SS": ["a", "b"]},
                "doc": {"M": {"list": {"L": [{"S": "x"}, {"N": "1.5"}]}, "flag": {"BOOL": True}}},
            },
        )


KEY = {"pk": {"S": "P"}, "sk": {"S": "S1"}}
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_item", {"TableName": TABLE, "Key": KEY}),
    (
        "get_item",
        {"TableName": TABLE, "Key": {"pk": {"S": "P"}, "sk": {"S": "none"}}, "ConsistentRead": True},
    ),
    (
        "get_item",
        {
            "TableName": TABLE,
            "Key": KEY,
            "ProjectionExpression": "#n, doc.flag",
            "ExpressionAttributeNames": {"#n": "n"},
        },
    ),
    ("get_item", {"TableName": "missing", "Key": KEY}),
    ("get_item", {"TableName": TABLE, "Key": {"pk": {"S": "P"}}}),
    ("get_item", {"TableName": TABLE}),
    ("put_item", {"TableName": TABLE, "Item": {**KEY, "n": {"N": "9"}}, "ReturnValues": "ALL_OLD"}),
    ("put_item", {"TableName": TABLE, "Item": KEY, "ConditionExpression": "attribute_not_exists(pk)"}),
    (
        "put_item",
        {
            "TableName": TABLE,
            "Item": KEY,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    (
        "update_item",
        {
            "TableName": TABLE,
            "Key": KEY,
            "UpdateExpression": "SET #a = :a ADD n :one REMOVE doc.flag",
            "ExpressionAttributeNames": {"#a": "a"},
            "ExpressionAttributeValues": {":a": {"S": "x"}, ":one": {"N": "1"}},
            "ReturnValues": "ALL_NEW",
        },
    ),
    ("update_item", {"TableName": TABLE, "Key": KEY, "UpdateExpression": "SET = broken"}),
    (
        "update_item",
        {
            "TableName": TABLE,
            "Key": KEY,
            "UpdateExpression": "SET a = :a",
            "ConditionExpression": "n = :two",
            "ExpressionAttributeValues": {":a": {"S": "x"}, ":two": {"N": "2"}},
        },
    ),
    ("delete_item", {"TableName": TABLE, "Key": KEY, "ReturnValues": "ALL_OLD"}),
    (
        "query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "P"}},
        },
    ),
    (
        "query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p AND sk > :s",
            "ExpressionAttributeValues": {":p": {"S": "P"}, ":s": {"S": "S0"}},
            "Limit": 1,
            "ScanIndexForward": False,
        },
    ),
    ("query", {"TableName": TABLE, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {}}),
    (
        "scan",
        {
            "TableName": TABLE,
            "FilterExpression": "n >= :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        },
    ),
    ("batch_get_item", {"RequestItems": {TABLE: {"Keys": [KEY, {"pk": {"S": "P"}, "sk": {"S": "S2"}}]}}}),
    (
        "batch_write_item",
        {
            "RequestItems": {
                TABLE: [
                    {"PutRequest": {"Item": {"pk": {"S": "Q"}, "sk": {"S": "1"}}}},
                    {"DeleteRequest": {"Key": KEY}},
                ]
            }
        },
    ),
    (
        "transact_write_items",
        {
            "TransactItems": [
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "T"}, "sk": {"S": "1"}}}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": KEY,
                        "ConditionExpression": "n = :zero",
                        "ExpressionAttributeValues": {":zero": {"N": "0"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        },
    ),
    ("transact_get_items", {"TransactItems": [{"Get": {"TableName": TABLE, "Key": KEY}}]}),
]


@pytest.mark.parametrize(("operation", "params"), CALLS, ids=[f"{op}-{i}" for i, (op, _) in enumerate(CALLS)])
def test_a_call_answers_the_same_on_both_paths(clients, operation, params):
    _reset(clients[0])
    plain, fast = _both(clients, operation, **params)
    assert fast == plain


def test_fast_writes_are_copied_so_a_caller_cannot_change_a_stored_item(clients):
    plain, fast = clients
    item = {"pk": {"S": "P"}, "sk": {"S": "copy"}, "doc": {"M": {"a": {"S": "before"}}}}
    fast.put_item(TableName=TABLE, Item=item)
    item["doc"]["M"]["a"]["S"] = "after"
    answer = fast.get_item(TableName=TABLE, Key={"pk": {"S": "P"}, "sk": {"S": "copy"}})
    answer["Item"]["doc"]["M"]["a"]["S"] = "changed by the caller"
    stored = plain.get_item(TableName=TABLE, Key={"pk": {"S": "P"}, "sk": {"S": "copy"}})["Item"]
    assert stored["doc"]["M"]["a"]["S"] == "before"


def test_fast_writes_feed_the_table_stream(clients):
    plain, fast = clients
    fast.put_item(TableName=TABLE, Item={"pk": {"S": "S"}, "sk": {"S": "1"}})
    fast.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "S"}, "sk": {"S": "1"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
    )
    streams = boto3.client("dynamodbstreams", region_name=tpl.REGION)
    arn = plain.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["NewImage"]["v"] == {"S": "x"}


# ---------------------------------------------------------------- one scenario, both paths
_NOISE = re.compile(r"#\d{20}[0-9a-f]{4}")  # the log's in-instant order: time_ns and a random suffix


def _scenario(rt: Runtime) -> None:
    lifecycle_settings(rt, defaultStageOnCreate="subscriber", stageOnDealCreated="opportunity")
    email = automated_email(rt)
    goal = {"filterGroups": [{"filters": [{"propertyName": "jobtitle", "operator": "EQ", "value": "CEO"}]}]}
    nurture = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"days": 1}},
            {"type": "SEND_EMAIL", "emailId": email},
            {"type": "DELAY", "delay": {"hours": 4}},
            {"type": "SET_PROPERTY", "property": "jobtitle", "value": "Nurtured"},
            goal=goal,
        ),
    )
    tickets = create_workflow(
        rt,
        {
            "name": "Tickets",
            "objectType": "tickets",
            "enrollment": {
                "filterGroups": [{"filters": [{"propertyName": "subject", "operator": "HAS_PROPERTY"}]}]
            },
            "startActionId": "1",
            "actions": chain({"type": "SET_PROPERTY", "property": "hs_ticket_priority", "value": "HIGH"}),
        },
    )
    ids = [contact(rt, f"c{n}@example.com", lifecyclestage="lead") for n in range(6)]
    create(rt, "tickets", subject="Broken", hs_pipeline="0", hs_pipeline_stage="1")
    rt.advance("PT2H")
    patch(rt, "contacts", ids[0], jobtitle="CEO")  # meets the goal before its email
    rt.advance("P1DT1H")
    patch(rt, "contacts", ids[1], jobtitle="CEO")  # converts after its email
    current = ok(rt.api("GET", f"/workflows/{nurture}"))
    edited = {
        **current,
        "actions": chain(
            {"type": "DELAY", "delay": {"days": 1}},
            {"type": "SEND_EMAIL", "emailId": email},
            {"type": "DELAY", "delay": {"hours": 1}},
            {"type": "SET_PROPERTY", "property": "jobtitle", "value": "Nurtured"},
        ),
    }
    ok(
        rt.api(
            "PUT",
            f"/workflows/{nurture}",
            {k: v for k, v in edited.items() if k not in ("id", "enabled", "createdAt", "updatedAt")},
        )
    )
    rt.advance("P1D")
    del tickets


def _state(rt: Runtime) -> dict[str, Any]:
    ddb = boto3.client("dynamodb", region_name=tpl.REGION)
    tables: dict[str, Any] = {}
    for name in ddb.list_tables()["TableNames"]:
        items = [
            item for page in ddb.get_paginator("scan").paginate(TableName=name) for item in page["Items"]
        ]
        if name.endswith("IdempotencyTable"):
            tables[name] = len(items)  # keyed by stream event ids, which moto makes at random
            continue
        tables[name] = sorted(_NOISE.sub("#*", json.dumps(item, sort_keys=True)) for item in items)
    return {
        "tables": tables,
        "outbox": sorted(json.dumps(mail, sort_keys=True) for mail in rt.outbox()),
        "executions": sorted((e["name"], e["status"]) for e in rt.executions()),
    }


def test_the_same_scenario_leaves_the_same_state_on_both_paths():
    states = {}
    for fast in (True, False):
        with Runtime(start="2026-12-01T08:00:00Z", fast=fast) as rt:
            assert rt.fast is fast
            _scenario(rt)
            states[fast] = _state(rt)
    fast_state, plain_state = states[True], states[False]
    assert fast_state["outbox"] and fast_state["executions"]
    assert fast_state["outbox"] == plain_state["outbox"]
    assert fast_state["executions"] == plain_state["executions"]
    assert set(fast_state["tables"]) == set(plain_state["tables"])
    for name in plain_state["tables"]:
        assert fast_state["tables"][name] == plain_state["tables"][name], name


def test_the_runtime_path_is_chosen_by_environment(monkeypatch):
    monkeypatch.setenv("CRMFLOW_LOCAL_PATH", "boto3")
    assert fast_path.enabled(None) is False
    monkeypatch.setenv("CRMFLOW_LOCAL_PATH", "fast")
    assert fast_path.enabled(None) is True
    monkeypatch.setenv("CRMFLOW_LOCAL_PATH", "quick")
    with pytest.raises(ValueError, match="CRMFLOW_LOCAL_PATH"):
        fast_path.enabled(None)


def test_work_sent_by_a_client_the_runtime_did_not_make_is_found_on_the_next_settle():
    """Queues are polled only when woken; settling wakes them all, so nothing sent from outside is missed."""
    with Runtime(start="2026-12-01T08:00:00Z", fast=True) as rt:
        outsider = boto3.client("sqs", region_name=tpl.REGION)  # not made by the runtime: no wake hook
        outsider.send_message(QueueUrl=rt.env("EVENTS_QUEUE_URL"), MessageBody="{not an event")
        rt.settle()
        assert [letter["reason"] for letter in dead_letters(rt)] and rt.invocation_counts[
            "EventsFunction"
        ] == 1
        calls_before = dict(rt.invocation_counts)
        rt.settle()  # nothing new: no handler runs
        assert dict(rt.invocation_counts) == calls_before


def test_queue_calls_answer_the_same_on_both_paths(monkeypatch):
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    with mock_aws():
        plain = boto3.client("sqs", region_name=tpl.REGION)
        fast = fast_path.fast_sqs(boto3.client("sqs", region_name=tpl.REGION), tpl.ACCOUNT_ID, tpl.REGION)
        answers = {}
        for name, client in (("plain", plain), ("fast", fast)):
            url = plain.create_queue(QueueName=f"q-{name}")["QueueUrl"]
            sent = client.send_message(
                QueueUrl=url,
                MessageBody='{"kind": "start"}',
                MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
            )
            got = client.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
                MessageAttributeNames=["All"],
            )["Messages"]
            client.change_message_visibility(
                QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0
            )
            again = client.receive_message(
                QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"]
            )
            client.delete_message(QueueUrl=url, ReceiptHandle=again["Messages"][0]["ReceiptHandle"])
            empty = client.receive_message(QueueUrl=url)
            with pytest.raises(ClientError) as bad:
                client.send_message(QueueUrl=url + "-missing", MessageBody="x")
            answers[name] = {
                "sent": sorted(k for k in sent if k != "ResponseMetadata"),
                "got": [{k: v for k, v in m.items() if k not in ("MessageId", "ReceiptHandle")} for m in got],
                "count": again["Messages"][0]["Attributes"],
                "empty": {k: v for k, v in empty.items() if k != "ResponseMetadata"},
                "error": bad.value.response["Error"]["Code"],
            }
        assert answers["fast"] == answers["plain"]
        assert answers["fast"]["count"] == {"ApproximateReceiveCount": "2"}


def test_fast_queue_sends_still_wake_the_queue_they_go_to():
    with Runtime(start="2026-12-01T08:00:00Z", fast=True) as rt:
        url = rt.env("EVENTS_QUEUE_URL")
        assert rt.wakeups.take(url)  # a runtime starts with every queue awake
        assert not rt.wakeups.take(url)  # polled: asleep until woken
        rt.client("sqs").send_message(QueueUrl=url, MessageBody="{}")
        assert rt.wakeups.take(url)
