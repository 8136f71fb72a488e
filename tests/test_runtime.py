"""The embedded runtime delivers work as Lambda, SQS, EventBridge and Step Functions would."""

import json
import textwrap
from pathlib import Path

import pytest
from crmflow_local.runtime import Runtime, parse_duration

STREAM_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.lambda_handler
    Environment:
      Variables:
        ITEMS_TABLE: !Ref ItemsTable
        WORK_QUEUE_URL: !Ref WorkQueue
Resources:
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  FailedQueue:
    Type: AWS::SQS::Queue
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn
        maxReceiveCount: 3
  StreamFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub ${AWS::StackName}-stream
      CodeUri: functions/stream/
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt ItemsTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 4
            MaximumRetryAttempts: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig:
              OnFailure: {Type: SQS, Destination: !GetAtt FailedQueue.Arn}
  WorkFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub ${AWS::StackName}-work
      CodeUri: functions/work/
      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 3
            FunctionResponseTypes: [ReportBatchItemFailures]
  ApiFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/stream/
      Events:
        Any:
          Type: HttpApi
          Properties: {Path: "/{proxy+}", Method: ANY}
"""

STREAM_HANDLER = """
def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or {}
        if image.get("poison", {}).get("BOOL"):
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}
"""

WORK_HANDLER = """
import json

def lambda_handler(event, context):
    return {"batchItemFailures": [
        {"itemIdentifier": r["messageId"]} for r in event["Records"] if json.loads(r["body"]).get("fail")
    ]}
"""


@pytest.fixture
def toy(tmp_path: Path):
    (tmp_path / "template.yaml").write_text(STREAM_TEMPLATE)
    for name, code in (("stream", STREAM_HANDLER), ("work", WORK_HANDLER)):
        folder = tmp_path / "functions" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(textwrap.dedent(code))
    with Runtime(root=tmp_path) as runtime:
        yield runtime


def _calls(rt: Runtime, function: str) -> list[dict]:
    return [call.event for call in rt.invocations if call.function == function]


def test_a_write_through_the_api_reaches_the_stream_handler_in_lambdas_event_shape(rt):
    created = rt.api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "ada@example.com"}})
    assert created.status == 201
    rt.settle()
    batches = _calls(rt, "RecordsStreamFunction")
    assert len(batches) == 1
    record = batches[0]["Records"][0]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/crmflow-local-")
    stream = record["dynamodb"]
    assert stream["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(stream["ApproximateCreationDateTime"], int)
    assert stream["SequenceNumber"]
    assert stream["NewImage"]["properties"]["M"]["email"] == {"S": "ada@example.com"}
    assert stream["Keys"]["pk"] == {"S": "R#contacts"}


def test_stream_batches_honour_batch_size_and_retry_from_the_first_failed_record(toy):
    ddb = toy.client("dynamodb")
    table = toy.env("ITEMS_TABLE")
    for n in range(10):
        item = {"pk": {"S": f"item-{n}"}}
        if n == 5:
            item["poison"] = {"BOOL": True}
        ddb.put_item(TableName=table, Item=item)
    toy.settle()
    batches = [
        [r["dynamodb"]["Keys"]["pk"]["S"] for r in call["Records"]] for call in _calls(toy, "StreamFunction")
    ]
    assert all(len(batch) <= 4 for batch in batches)
    # 0-3 pass; 4-7 fails at 5, so 4 is checkpointed and 5.. retried twice, then sent to the
    # on-failure queue; processing goes on after the failed batch.
    assert batches[0] == ["item-0", "item-1", "item-2", "item-3"]
    assert batches[1] == ["item-4", "item-5", "item-6", "item-7"]
    assert batches[2][0] == "item-5" and batches[3][0] == "item-5"
    delivered = {pk for batch in batches for pk in batch}
    assert {"item-8", "item-9"} <= delivered
    failed = toy.client("sqs").receive_message(QueueUrl=toy.resolver.refs["FailedQueue"])["Messages"]
    info = json.loads(failed[0]["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] >= 1 and info["streamArn"].endswith(
        "/stream/" + info["streamArn"].split("/")[-1]
    )


def test_sqs_partial_batch_failures_are_redelivered_then_dead_lettered(toy):
    sqs = toy.client("sqs")
    queue = toy.env("WORK_QUEUE_URL")
    for n in range(7):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"n": n, "fail": n == 2}))
    toy.settle()
    batches = [[json.loads(r["body"])["n"] for r in call["Records"]] for call in _calls(toy, "WorkFunction")]
    assert all(len(batch) <= 3 for batch in batches)
    deliveries = [n for batch in batches for n in batch]
    assert sorted(set(deliveries)) == list(range(7))
    assert deliveries.count(2) == 3  # maxReceiveCount
    assert all(deliveries.count(n) == 1 for n in range(7) if n != 2)
    dead = sqs.receive_message(QueueUrl=toy.resolver.refs["WorkDeadLetterQueue"])["Messages"]
    assert [json.loads(m["Body"])["n"] for m in dead] == [2]


def test_a_state_machine_from_statemachines_waits_on_the_virtual_clock(rt):
    """The enrollment state machine, a Lambda task served by our handler, and a Wait released by advance."""
    rt.api("POST", "/crm/v3/properties/contacts", {"name": "nurtured", "label": "Nurtured", "type": "string"})
    workflow = rt.api(
        "POST",
        "/workflows",
        {
            "name": "Wait then tag",
            "objectType": "contacts",
            "startActionId": "1",
            "actions": [
                {"id": "1", "type": "DELAY", "delay": {"hours": 3}, "next": "2"},
                {"id": "2", "type": "SET_PROPERTY", "property": "nurtured", "value": "yes", "next": None},
            ],
        },
    ).json
    rt.api("POST", f"/workflows/{workflow['id']}/enable", {"enrollExisting": False})
    contact = rt.api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "w@example.com"}}).json
    assert (
        rt.api("POST", f"/workflows/{workflow['id']}/enrollments", {"recordId": contact["id"]}).status == 201
    )
    rt.settle()
    [execution] = rt.executions()
    assert execution["status"] == "RUNNING"
    rt.advance("PT2H59M")
    assert rt.executions()[0]["status"] == "RUNNING"
    assert (
        rt.api("GET", f"/crm/v3/objects/contacts/{contact['id']}").json["properties"].get("nurtured") is None
    )
    rt.advance("PT1M")
    assert rt.executions()[0]["status"] == "SUCCEEDED"
    assert rt.api("GET", f"/crm/v3/objects/contacts/{contact['id']}").json["properties"]["nurtured"] == "yes"
    events = rt.history(execution["executionArn"])
    entered = [e["type"] for e in events if e["type"].endswith("StateEntered")]
    assert entered == ["TaskStateEntered", "WaitStateEntered", "TaskStateEntered", "SucceedStateEntered"]
    scheduled = [e for e in events if e["type"] == "TaskScheduled"]
    assert json.loads(scheduled[0]["taskScheduledEventDetails"]["parameters"])["FunctionName"] == (
        "crmflow-local-action-delay"
    )
    assert rt.invocation_counts["ActionSetPropertyFunction"] == 1


def test_advance_and_durations():
    assert parse_duration("PT2H").total_seconds() == 7200
    assert parse_duration("P1DT30M").total_seconds() == 86400 + 1800
    with pytest.raises(ValueError):
        parse_duration("2 hours")


def test_the_clock_cannot_go_back(rt):
    with pytest.raises(ValueError):
        rt.advance(to="2026-11-30T00:00:00Z")
