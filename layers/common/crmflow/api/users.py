"""``/settings/teams`` and ``/settings/users`` (T-5). Super admins only.

Locally (``crmflow serve``, the embedded runtime) a created user's answer carries a ``token`` that
authenticates as that user; on AWS users sign in with Cognito and are matched by their email.
"""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from crmflow.access import users
from crmflow.access.principal import require_super_admin
from crmflow.config import get_settings

router = APIGatewayHttpRouter()


@router.post("/settings/teams")
def create_team(body: users.TeamInput) -> tuple[dict[str, Any], int]:
    require_super_admin()
    return users.create_team(body).model_dump(), 201


@router.get("/settings/teams")
def list_teams() -> dict[str, Any]:
    return {"results": [team.model_dump() for team in users.all_teams()]}


@router.get("/settings/teams/<team_id>")
def get_team(team_id: str) -> dict[str, Any]:
    return users.require_team(team_id).model_dump()


@router.patch("/settings/teams/<team_id>")
def rename_team(team_id: str, body: users.TeamInput) -> dict[str, Any]:
    require_super_admin()
    return users.rename_team(team_id, body).model_dump()


@router.delete("/settings/teams/<team_id>")
def delete_team(team_id: str):  # a Response: no annotation
    require_super_admin()
    users.delete_team(team_id)
    return Response(204)


@router.post("/settings/users")
def create_user(body: users.UserInput) -> tuple[dict[str, Any], int]:
    require_super_admin()
    user, token = users.create_user(body, with_token=get_settings().local_tokens)
    answer = user.model_dump(mode="json")
    if token:
        answer["token"] = token
    return answer, 201


@router.get("/settings/users")
def list_users() -> dict[str, Any]:
    return {"results": [user.model_dump(mode="json") for user in users.all_users()]}


@router.get("/settings/users/<user_id>")
def get_user(user_id: str) -> dict[str, Any]:
    return users.require_user(user_id).model_dump(mode="json")


@router.patch("/settings/users/<user_id>")
def update_user(user_id: str, body: users.UserUpdate) -> dict[str, Any]:
    require_super_admin()
    return users.update_user(user_id, body).model_dump(mode="json")


@router.delete("/settings/users/<user_id>")
def delete_user(user_id: str):  # a Response: no annotation
    require_super_admin()
    users.delete_user(user_id)
    return Response(204)
