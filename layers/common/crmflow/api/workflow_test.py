"""``POST /workflows/{id}/test``: test mode (issue 4), the path a record would take, changing nothing."""

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, Field

from crmflow.workflow_admin import test_mode
from crmflow.workflow_admin.simulate import MAX_DAYS

router = APIGatewayHttpRouter()


class WorkflowTestBody(BaseModel):
    recordId: str = Field(min_length=1)
    days: int = Field(default=30, ge=1, le=MAX_DAYS)


@router.post("/workflows/<workflow_id>/test")
def test_workflow(workflow_id: str, body: WorkflowTestBody) -> dict[str, Any]:
    return test_mode.run(workflow_id, body.recordId, body.days).model_dump(mode="json")
