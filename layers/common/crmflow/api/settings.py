"""``/settings``: account settings documents (contact-company owner sync for W-5)."""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow import settings

router = APIGatewayHttpRouter()


@router.get("/settings/ownership")
def get_ownership() -> dict[str, Any]:
    return settings.get_ownership().model_dump()


@router.put("/settings/ownership")
def put_ownership(body: settings.Ownership) -> dict[str, Any]:
    settings.write("ownership", body)
    return body.model_dump()
