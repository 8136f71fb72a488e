"""``/crm/v3/lists``: dynamic and manual lists, the suppression lists of workflows (E-6)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow import lists
from crmflow.engine import suppression

router = APIGatewayHttpRouter()

RecordIds = Annotated[list[str | int], Body()]


@router.post("/crm/v3/lists")
def create_list(body: lists.ListCreate) -> tuple[dict[str, Any], int]:
    return {"list": lists.create(body).body()}, 201


@router.get("/crm/v3/lists/<list_id>")
def get_list(list_id: str) -> dict[str, Any]:
    return {"list": lists.require(list_id).body()}


@router.delete("/crm/v3/lists/<list_id>")
def delete_list(list_id: str):  # a Response: no annotation
    lists.delete(list_id)
    return Response(204)


@router.get("/crm/v3/lists/<list_id>/memberships")
def list_memberships(
    list_id: str,
    limit: Annotated[int, Query(ge=1, le=lists.MAX_PAGE)] = 100,
    after: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    return lists.memberships(list_id, limit, after)


@router.put("/crm/v3/lists/<list_id>/memberships/add")
def add_memberships(list_id: str, body: RecordIds) -> dict[str, Any]:
    answer = lists.add_members(list_id, [str(record_id) for record_id in body])
    suppression.members_joined(list_id, answer["recordIdsAdded"])  # E-6: unenroll them at once
    return answer


@router.put("/crm/v3/lists/<list_id>/memberships/remove")
def remove_memberships(list_id: str, body: RecordIds) -> dict[str, Any]:
    return lists.remove_members(list_id, [str(record_id) for record_id in body])
