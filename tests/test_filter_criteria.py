"""Event source mappings honour FilterCriteria (Lambda event filtering) as AWS does."""

import json
import textwrap
from pathlib import Path

import pytest
from crmflow_local.filtering import RecordFilter, compile_filter_criteria
from crmflow_local.runtime import Runtime

STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:123456789012:table/crmflow-local-ItemsTable/stream/2026-12-01T08:00:00.000"
)
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:crmflow-local-WorkQueue"


def criteria(*patterns: dict) -> dict:
    return {"Filters": [{"Pattern": json.dumps(pattern)} for pattern in patterns]}


def stream_record(
    event_name: str, new: dict | None = None, old: dict | None = None, seq: str = "1", pk: str = "R#contacts"
) -> dict:
    """A DynamoDB stream record in the shape Lambda delivers it (images in DynamoDB JSON)."""
    keys = {"pk": {"S": pk}, "sk": {"S": "42"}}
    dynamodb: dict = {
        "ApproximateCreationDateTime": 1796112000,
        "Keys": keys,
        "SequenceNumber": seq,
        "SizeBytes": 120,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new is not None:
        dynamodb["NewImage"] = {**keys, **new}
    if old is not None:
        dynamodb["OldImage"] = {**keys, **old}
    return {
        "eventID": f"event-{seq}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": STREAM_ARN,
    }


def sqs_record(body: str, message_id: str = "m-1") -> dict:
    """An SQS record in the shape Lambda delivers it."""
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1796112000000"},
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


INSERT_CONTACT = stream_record("INSERT", new={"objectType": {"S": "contacts"}, "score": {"N": "7"}})
MODIFY_DEAL = stream_record(
    "MODIFY", new={"objectType": {"S": "deals"}}, old={"objectType": {"S": "deals"}}, seq="2"
)
REMOVE_CONTACT = stream_record("REMOVE", old={"objectType": {"S": "contacts"}}, seq="3")


# --- unit: filtering.py ---------------------------------------------------------------------------


@pytest.mark.parametrize("given", [None, {}, {"Filters": []}])
def test_no_criteria_lets_every_record_pass(given):
    flt = compile_filter_criteria(given)
    assert flt == RecordFilter()
    for record in (INSERT_CONTACT, MODIFY_DEAL, REMOVE_CONTACT, sqs_record("plain text")):
        assert flt.passes(record)


def test_stream_patterns_match_the_lambda_record_and_its_dynamodb_json_images():
    flt = compile_filter_criteria(
        criteria({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"objectType": {"S": ["contacts"]}}}})
    )
    assert flt.passes(INSERT_CONTACT)
    assert not flt.passes(MODIFY_DEAL)
    assert not flt.passes(REMOVE_CONTACT)  # no NewImage: the field is absent, so no match


def test_a_record_passes_when_any_filter_matches():
    flt = compile_filter_criteria(
        criteria({"eventName": ["REMOVE"]}, {"dynamodb": {"NewImage": {"objectType": {"S": ["deals"]}}}})
    )
    assert [flt.passes(r) for r in (INSERT_CONTACT, MODIFY_DEAL, REMOVE_CONTACT)] == [False, True, True]


def test_prefix_anything_but_and_exists():
    on_keys = compile_filter_criteria(criteria({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "R#"}]}}}}))
    assert on_keys.passes(INSERT_CONTACT) and on_keys.passes(REMOVE_CONTACT)
    assert not on_keys.passes(stream_record("INSERT", new={}, pk="W#1"))

    not_removed = compile_filter_criteria(criteria({"eventName": [{"anything-but": ["REMOVE"]}]}))
    assert [not_removed.passes(r) for r in (INSERT_CONTACT, MODIFY_DEAL, REMOVE_CONTACT)] == [
        True,
        True,
        False,
    ]

    scored = compile_filter_criteria(
        criteria({"dynamodb": {"NewImage": {"score": {"N": [{"exists": True}]}}}})
    )
    assert [scored.passes(r) for r in (INSERT_CONTACT, MODIFY_DEAL, REMOVE_CONTACT)] == [True, False, False]


def test_or_and_numeric():
    flt = compile_filter_criteria(
        criteria({"body": {"$or": [{"kind": ["urgent"]}, {"priority": [{"numeric": [">=", 5]}]}]}})
    )
    assert flt.passes(sqs_record(json.dumps({"kind": "urgent"})))
    assert flt.passes(sqs_record(json.dumps({"kind": "normal", "priority": 7})))
    assert not flt.passes(sqs_record(json.dumps({"kind": "normal", "priority": 2})))


def test_sqs_patterns_see_the_parsed_json_body():
    flt = compile_filter_criteria(criteria({"body": {"action": [{"prefix": "enroll"}], "n": [1, 2]}}))
    assert flt.passes(sqs_record(json.dumps({"action": "enroll.contact", "n": 2})))
    assert not flt.passes(sqs_record(json.dumps({"action": "unenroll", "n": 2})))
    assert not flt.passes(sqs_record(json.dumps({"action": "enroll.contact", "n": 3})))
    assert not flt.passes(sqs_record("enroll, not json"))  # a JSON pattern never matches a plain body


def test_sqs_plain_string_bodies_match_string_patterns():
    flt = compile_filter_criteria(criteria({"body": [{"prefix": "ping"}]}))
    assert flt.passes(sqs_record("ping 1"))
    assert not flt.passes(sqs_record("pong"))
    assert not flt.passes(sqs_record(json.dumps({"ping": 1})))  # a JSON body is matched as JSON


def test_split_keeps_order_and_reports_the_dropped():
    flt = compile_filter_criteria(criteria({"eventName": ["INSERT", "MODIFY"]}))
    kept, dropped = flt.split([INSERT_CONTACT, REMOVE_CONTACT, MODIFY_DEAL])
    assert kept == [INSERT_CONTACT, MODIFY_DEAL] and dropped == [REMOVE_CONTACT]


@pytest.mark.parametrize("pattern", ["{not json", '{"eventName": "INSERT"}', '{"eventName": []}'])
def test_an_invalid_pattern_fails_when_the_mapping_is_compiled(pattern):
    with pytest.raises(ValueError, match="FilterCriteria filter 1"):
        compile_filter_criteria({"Filters": [{"Pattern": pattern}]})


# --- end to end: through the embedded runtime ------------------------------------------------------

PROBE_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  WorkQueue:
    Type: AWS::SQS::Queue
  ProbeFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/probe/
      Handler: app.lambda_handler
      Runtime: python3.12
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt ItemsTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}}'
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 10
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"type": ["order.created"]}}'
                - Pattern: '{"body": {"priority": [{"numeric": [">", 5]}]}}'
"""

PROBE_HANDLER = """
def lambda_handler(event, context):
    return {"batchItemFailures": []}
"""


@pytest.fixture
def probe(tmp_path: Path):
    (tmp_path / "template.yaml").write_text(PROBE_TEMPLATE)
    folder = tmp_path / "functions" / "probe"
    folder.mkdir(parents=True)
    (folder / "app.py").write_text(textwrap.dedent(PROBE_HANDLER))
    with Runtime(start="2026-12-01T08:00:00Z", root=tmp_path) as runtime:
        yield runtime


def _records(rt: Runtime, source: str) -> list[dict]:
    return [
        record
        for call in rt.invocations
        if call.function == "ProbeFunction"
        for record in call.event["Records"]
        if record["eventSource"] == source
    ]


def test_only_stream_records_matching_the_filter_reach_the_handler(probe):
    ddb, table = probe.client("dynamodb"), probe.resolver.refs["ItemsTable"]
    for n, kind in enumerate(["keep", "drop", "keep", "other"]):
        ddb.put_item(TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": str(n)}, "kind": {"S": kind}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": "9"}})  # no kind at all
    probe.settle()
    delivered = _records(probe, "aws:dynamodb")
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in delivered] == ["0", "2"]
    assert all(r["eventName"] == "INSERT" for r in delivered)

    # a MODIFY that turns an item into "keep" passes; one that turns it away is dropped for good
    ddb.put_item(TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": "1"}, "kind": {"S": "keep"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": "0"}, "kind": {"S": "drop"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "P"}, "sk": {"S": "2"}})
    probe.settle()
    delivered = _records(probe, "aws:dynamodb")
    assert [(r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in delivered] == [
        ("INSERT", "0"),
        ("INSERT", "2"),
        ("MODIFY", "1"),
    ]


def test_a_stream_of_only_filtered_records_never_invokes(probe):
    ddb, table = probe.client("dynamodb"), probe.resolver.refs["ItemsTable"]
    for n in range(3):
        ddb.put_item(TableName=table, Item={"pk": {"S": "P"}, "sk": {"S": str(n)}, "kind": {"S": "drop"}})
    probe.settle()
    assert probe.invocation_counts["ProbeFunction"] == 0


def test_only_sqs_messages_matching_a_filter_reach_the_handler_and_the_rest_are_deleted(probe):
    sqs, queue = probe.client("sqs"), probe.resolver.refs["WorkQueue"]
    bodies = [
        {"type": "order.created", "n": 0},
        {"type": "order.deleted", "n": 1},
        {"type": "order.deleted", "priority": 9, "n": 2},
        {"type": "order.deleted", "priority": 5, "n": 3},
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    sqs.send_message(QueueUrl=queue, MessageBody="order.created")  # not JSON: no JSON pattern matches
    probe.settle()
    delivered = _records(probe, "aws:sqs")
    assert sorted(json.loads(r["body"])["n"] for r in delivered) == [0, 2]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"

    # a batch that the filter empties is deleted without invoking the function
    before = probe.invocation_counts["ProbeFunction"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"type": "noise"}))
    probe.settle()
    assert probe.invocation_counts["ProbeFunction"] == before
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
