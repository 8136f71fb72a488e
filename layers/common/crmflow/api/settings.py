"""``/settings``: account settings documents (owner sync for W-5, lifecycle and lead automation)."""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow import settings
from crmflow.access.principal import require_super_admin
from crmflow.leads import settings as lead_settings
from crmflow.lifecycle import settings as lifecycle_settings

router = APIGatewayHttpRouter()


@router.get("/settings/ownership")
def get_ownership() -> dict[str, Any]:
    return settings.get_ownership().model_dump()


@router.put("/settings/ownership")
def put_ownership(body: settings.Ownership) -> dict[str, Any]:
    require_super_admin()
    settings.write("ownership", body)
    return body.model_dump()


@router.get("/settings/lifecycle")
def get_lifecycle() -> dict[str, Any]:
    return lifecycle_settings.get().model_dump()


@router.put("/settings/lifecycle")
def put_lifecycle(body: lifecycle_settings.LifecycleSettings) -> dict[str, Any]:
    require_super_admin()
    return lifecycle_settings.put(body).model_dump()


@router.get("/settings/lead-automation")
def get_lead_automation() -> dict[str, Any]:
    return lead_settings.get().model_dump()


@router.put("/settings/lead-automation")
def put_lead_automation(body: lead_settings.LeadAutomationSettings) -> dict[str, Any]:
    require_super_admin()
    return lead_settings.put(body).model_dump()
