"""``/marketing/v3/emails``: marketing emails that workflows send (W-6)."""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow import emails
from crmflow.errors import NotFound

router = APIGatewayHttpRouter()


@router.post("/marketing/v3/emails")
def create_email(body: emails.EmailInput) -> tuple[dict[str, Any], int]:
    return emails.create(body).model_dump(mode="json"), 201


@router.get("/marketing/v3/emails")
def list_emails() -> dict[str, Any]:
    return {"results": [email.model_dump(mode="json") for email in emails.all_emails()]}


@router.get("/marketing/v3/emails/<email_id>")
def get_email(email_id: str) -> dict[str, Any]:
    email = emails.get(email_id)
    if email is None:
        raise NotFound(f"email {email_id} does not exist")
    return email.model_dump(mode="json")
