"""What each business event does. Creating events (an activity logged, a form submitted) run at most
once per event id; an event that can never succeed raises :class:`InvalidEvent` with the reason."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from crmflow.engine import enroll as enrolling
from crmflow.errors import ApiError
from crmflow.idempotency import persistence
from crmflow.inbound.models import (
    ACTIVITY_LOGGED,
    FORM_SUBMITTED,
    ActivityLogged,
    Envelope,
    FormSubmission,
    RecordEvent,
)
from crmflow.records import service as records
from crmflow.records.models import Source, SourceType

REDELIVERY_SECONDS = 4 * 24 * 3600  # the events queue keeps a message 4 days; the bus retries for 24 h


class InvalidEvent(Exception):
    """The event is malformed or names something that does not exist: retrying cannot help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in detail['loc']) or 'event'}: {detail['msg']}"
        for detail in error.errors()
    )


def handle(envelope: Any, event_id: str | None, context: LambdaContext | None = None) -> None:
    """Handle one event (the EventBridge envelope); ``event_id`` makes a redelivery change nothing."""
    try:
        event = Envelope.model_validate(envelope)
        if event.detail_type == ACTIVITY_LOGGED:
            activity = ActivityLogged.model_validate(event.detail)
            _once(event_id, context, lambda: _log_activity(activity, event_id))
        elif event.detail_type == FORM_SUBMITTED and "values" in event.detail:
            from crmflow import forms  # forms and the lifecycle rules only for a submission

            submission = FormSubmission.model_validate(event.detail)
            contact_id = _once(
                event_id, context, lambda: forms.submit(submission.formId, submission.values).id
            )
            detail = {**event.detail, "objectType": "contacts", "recordId": contact_id}
            enrolling.on_event(FORM_SUBMITTED, "contacts", str(contact_id), detail, event_id)
        else:
            known = RecordEvent.model_validate(event.detail)
            enrolling.on_event(event.detail_type, known.objectType, known.recordId, event.detail, event_id)
    except ValidationError as error:
        raise InvalidEvent(_reason(error)) from error
    except ApiError as error:
        raise InvalidEvent(error.message) from error


def _log_activity(activity: ActivityLogged, event_id: str | None) -> str:
    source = Source(type=SourceType.API, id=f"event:{event_id}" if event_id else None)
    created = records.create_record(
        activity.objectType, activity.properties, activity.associations, source=source
    )
    return created.id


def _once(event_id: str | None, context: LambdaContext | None, work: Callable[[], Any]) -> Any:
    """Run ``work`` once per event id (a redelivered event answers the first run's result)."""
    if event_id is None:
        return work()
    config = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=REDELIVERY_SECONDS)
    if context is not None:
        config.register_lambda_context(context)

    @idempotent_function(data_keyword_argument="event", config=config, persistence_store=persistence())
    def run(event: dict[str, str]) -> Any:
        return work()

    return run(event={"id": event_id})
