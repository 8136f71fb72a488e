"""The records stream Lambda's adapter: DynamoDB stream of the records table → enrollment triggers
and W-4 removals, with partial batch responses."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmflow import triggers
from crmflow.engine import enroll as enrolling
from crmflow.engine import store
from crmflow.records.models import Record
from crmflow.records.store import record_from_image
from crmflow.workflows import store as workflows

logger = Logger(service="crmflow")
Handler = Callable[[dict[str, Any], LambdaContext], Any]


def _record(image: dict[str, Any] | None) -> Record | None:
    if not image or image.get("kind") != "record":
        return None
    return record_from_image(image)


def records_stream_handler() -> Handler:
    """DynamoDB stream of the records table → enrollment triggers and W-4 removals."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        # once per batch: the trigger index (one GetItem of the workflows version, rebuilt when it
        # moved), or with the index off every workflow; off workflows still hold records
        index = triggers.current() if triggers.enabled() else None
        known = index.workflows if index is not None else list(workflows.all_workflows())

        def on_change(record: DynamoDBRecord) -> None:
            old_image = record.dynamodb.old_image if record.dynamodb else None
            new_image = record.dynamodb.new_image if record.dynamodb else None
            old, new = _record(old_image), _record(new_image)
            if old is not None or new is not None:
                object_type = str((new_image or old_image or {})["objectType"])
                sequence = record.dynamodb.sequence_number if record.dynamodb else None
                with store.buffered_log():  # a change's log entries and history items: one write
                    enrolling.on_record_change(object_type, old, new, known, sequence, index)

        return process_partial_response(
            event=event, record_handler=on_change, processor=processor, context=context
        )

    return handler
