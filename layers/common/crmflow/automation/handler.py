"""The lifecycle automation Lambda's adapter: a records-stream batch, one change at a time, each at
most once (Powertools idempotency keyed on the stream record's ``eventID``), failures reported per
record so one bad change never blocks or loses the others."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmflow.automation import route
from crmflow.idempotency import persistence
from crmflow.records.changes import from_images

logger = Logger(service="crmflow")
STREAM_RETENTION_SECONDS = 24 * 3600  # a stream record can be delivered again while the stream keeps it
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context
def handle(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    settings = route.Settings.read()
    config = IdempotencyConfig(
        event_key_jmespath="eventID",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=STREAM_RETENTION_SECONDS,
    )
    config.register_lambda_context(context)

    @idempotent_function(data_keyword_argument="record", config=config, persistence_store=persistence())
    def on_record(record: DynamoDBRecord) -> None:
        change = _change(record)
        if change is not None:
            route.on_change(change, settings)

    def each(record: DynamoDBRecord) -> None:
        change = _change(record)
        if change is not None and route.needs(change, settings):
            on_record(record=record)

    return process_partial_response(
        event=event,
        record_handler=each,
        processor=processor,
        context=context,
    )


def _change(record: DynamoDBRecord) -> Any:
    stream = record.dynamodb
    return from_images(stream.old_image, stream.new_image) if stream else None
