"""Marketing emails (``/marketing/v3/emails``) and sending them through Amazon SES.

A workflow may only send emails saved for automation (state AUTOMATED, W-6). Each sent email
carries crmflow headers naming the email, record and workflow; locally ``/_local/outbox`` reads
them back from SES.
"""

from email.message import EmailMessage
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from crmflow import aws, clock
from crmflow.config import get_settings
from crmflow.dynamo import db, deserialize, increment, query, serialize


class EmailState(StrEnum):
    AUTOMATED = "AUTOMATED"
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"


class EmailInput(BaseModel):
    name: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    state: EmailState = EmailState.DRAFT
    body: str = ""


class MarketingEmail(EmailInput):
    id: str
    createdAt: str
    updatedAt: str


def _table() -> str:
    return get_settings().config_table


def create(data: EmailInput) -> MarketingEmail:
    email_id = str(increment(_table(), "COUNTER", "marketing-emails"))
    now = clock.iso(clock.now())
    email = MarketingEmail(**data.model_dump(), id=email_id, createdAt=now, updatedAt=now)
    db().put_item(
        TableName=_table(), Item=serialize({"pk": "EMAIL", "sk": email.id, **email.model_dump(mode="json")})
    )
    return email


def get(email_id: str) -> MarketingEmail | None:
    item = db().get_item(TableName=_table(), Key={"pk": {"S": "EMAIL"}, "sk": {"S": str(email_id)}})
    return MarketingEmail.model_validate(deserialize(item["Item"])) if "Item" in item else None


def all_emails() -> list[MarketingEmail]:
    found = query(
        _table(), KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "EMAIL"}}
    )
    return [MarketingEmail.model_validate(item) for item in found]


def state_of(email_id: str) -> str | None:
    email = get(email_id)
    return email.state.value if email else None


def send(email: MarketingEmail, to: str, *, record_id: str, workflow_id: str, message_key: str) -> str:
    """Send ``email`` to one recipient through SES; answers the SES message id."""
    message = EmailMessage()
    message["From"] = get_settings().email_sender
    message["To"] = to
    message["Subject"] = email.subject
    message["X-Crmflow-Email-Id"] = email.id
    message["X-Crmflow-Record-Id"] = record_id
    message["X-Crmflow-Workflow-Id"] = workflow_id
    message["X-Crmflow-Sent-At"] = clock.iso(clock.now())
    message["X-Crmflow-Message-Key"] = message_key
    message.set_content(email.body or email.subject)
    answer: dict[str, Any] = aws.client("ses").send_raw_email(
        Source=get_settings().email_sender, Destinations=[to], RawMessage={"Data": message.as_bytes()}
    )
    return str(answer["MessageId"])
