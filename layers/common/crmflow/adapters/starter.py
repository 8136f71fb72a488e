"""The starter Lambda's adapter: the starter queue, execution starts and enroll-existing pages at
the queue's pace (E-7), with partial batch responses."""

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmflow.engine import enroll as enrolling
from crmflow.engine import live_edits

logger = Logger(service="crmflow")
Handler = Callable[[dict[str, Any], LambdaContext], Any]


def starter_handler() -> Handler:
    """The starter queue: execution starts and enroll-existing pages, at the queue's pace (E-7)."""
    processor = BatchProcessor(event_type=EventType.SQS)

    def on_message(record: SQSRecord) -> None:
        body = json.loads(record.body)
        if body["kind"] == "start":
            enrolling.start(body["workflowId"], body["recordId"], body)
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
