"""The events Lambda's adapter: one event from the bus, or a batch from the events queue (partial
batch failures). A malformed event goes to the events dead-letter queue with its reason, at once
(a retry cannot mend it); any other failure is retried, then dead-lettered by the bus or the queue."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmflow import aws, clock
from crmflow.config import get_settings
from crmflow.inbound.dispatch import InvalidEvent
from crmflow.inbound.dispatch import handle as dispatch

logger = Logger(service="crmflow")
processor = BatchProcessor(event_type=EventType.SQS)


def _dead_letter(event: Any, reason: str) -> None:
    logger.warning("malformed event dead-lettered", extra={"reason": reason})
    queue = get_settings().events_dead_letter_queue_url
    if not queue:
        raise RuntimeError(f"malformed event and no EVENTS_DEAD_LETTER_QUEUE_URL: {reason}")
    body = {"reason": reason, "deadLetteredAt": clock.iso(clock.now()), "event": event}
    aws.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(body, default=str))


def _one(event: Any, event_id: str | None, context: LambdaContext | None) -> None:
    try:
        dispatch(event, event_id, context)
    except InvalidEvent as error:
        _dead_letter(event, error.reason)


def _message(record: SQSRecord, context: LambdaContext | None = None) -> None:
    try:
        event = json.loads(record.body)
    except json.JSONDecodeError as error:
        _dead_letter(record.body, f"the message body is not JSON: {error}")
        return
    event_id = event.get("id") if isinstance(event, dict) else None
    _one(event, str(event_id) if event_id else record.message_id, context)


@logger.inject_lambda_context
def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse | None:
    if "Records" in event:
        return process_partial_response(
            event=event,
            record_handler=lambda record: _message(record, context),
            processor=processor,
            context=context,
        )
    event_id = event.get("id")
    _one(event, str(event_id) if event_id else None, context)
    return None
