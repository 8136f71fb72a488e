"""Adapters shared by the Lambda handlers: Powertools logging, event parsing, batch processing.

The only module of the layer that knows Lambda event shapes; ``functions/*/app.py`` are one-line
uses of these, and the domain modules never see an event.
"""

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmflow.engine import actions, live_edits
from crmflow.engine import enroll as enrolling
from crmflow.records.models import Record
from crmflow.records.store import record_from_image
from crmflow.workflows import store as workflows

logger = Logger(service="crmflow")
Handler = Callable[[dict[str, Any], LambdaContext], Any]


def action_handler(action_type: str) -> Handler:
    """The handler of the Lambda that runs ``action_type`` steps of enrollments."""

    @logger.inject_lambda_context(correlation_id_path="enrollmentId")
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return actions.handle(event, action_type)

    return handler


def _record(image: dict[str, Any] | None) -> Record | None:
    if not image or image.get("kind") != "record":
        return None
    return record_from_image(image)


def records_stream_handler() -> Handler:
    """DynamoDB stream of the records table → enrollment triggers and W-4 removals."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        known = list(workflows.all_workflows())  # read once per batch; off workflows still hold records

        def on_change(record: DynamoDBRecord) -> None:
            old_image = record.dynamodb.old_image if record.dynamodb else None
            new_image = record.dynamodb.new_image if record.dynamodb else None
            old, new = _record(old_image), _record(new_image)
            if old is not None or new is not None:
                object_type = str((new_image or old_image or {})["objectType"])
                sequence = record.dynamodb.sequence_number if record.dynamodb else None
                enrolling.on_record_change(object_type, old, new, known, sequence)

        return process_partial_response(
            event=event, record_handler=on_change, processor=processor, context=context
        )

    return handler


def starter_handler() -> Handler:
    """The starter queue: execution starts and enroll-existing pages, at the queue's pace (E-7)."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def on_message(record: SQSRecord) -> None:
        body = json.loads(record.body)
        if body["kind"] == "start":
            enrolling.start(body["workflowId"], body["recordId"])
        elif body["kind"] == "reschedule":
            live_edits.reschedule_page(body["workflowId"], body["delayIds"], body.get("after"))
        elif body["kind"] == "enroll-existing":
            enrolling.enroll_existing_page(body["workflowId"], body["revision"], body.get("after"))

    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        return process_partial_response(
            event=event, record_handler=on_message, processor=processor, context=context
        )

    return handler
