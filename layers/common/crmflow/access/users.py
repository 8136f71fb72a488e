"""Users and teams (``/settings/users``, ``/settings/teams``) in the Config table.

Items: a team is ``pk=TEAM``, ``sk={id}``; a user ``pk=USER``, ``sk={id}``, with ``pk=USEREMAIL``,
``sk={email, lower case}`` guarding unique emails (and finding a user by the email of a JWT), and,
locally, ``pk=USERTOKEN``, ``sk={token}`` naming the user a development token stands for.
"""

import secrets
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crmflow import clock
from crmflow.config import get_settings
from crmflow.dynamo import db, deserialize, increment, query, serialize
from crmflow.errors import Conflict, NotFound, ValidationFailed


class TicketAccess(StrEnum):
    ALL = "ALL"
    TEAM_ONLY = "TEAM_ONLY"
    OWNED_ONLY = "OWNED_ONLY"


class TicketPermission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access: TicketAccess = TicketAccess.ALL
    unassigned: bool = Field(
        default=True, description="May see tickets without an owner (TEAM_ONLY, OWNED_ONLY)"
    )


class Permissions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tickets: TicketPermission = Field(default_factory=TicketPermission)


class TeamInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class Team(TeamInput):
    id: str
    createdAt: str
    updatedAt: str


class UserInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    teamIds: list[str] = Field(default_factory=list)
    permissions: Permissions = Field(default_factory=Permissions)

    @field_validator("email")
    @classmethod
    def _an_email(cls, value: str) -> str:
        if "@" not in value.strip(" @"):
            raise ValueError("must be an email address")
        return value.strip()


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    teamIds: list[str] | None = None
    permissions: Permissions | None = None


class User(UserInput):
    id: str
    createdAt: str
    updatedAt: str


def _table() -> str:
    return get_settings().config_table


M = TypeVar("M", bound=BaseModel)


def _load(model: type[M], item: Mapping[str, Any]) -> M:
    """A stored item (plain data) as ``model``, without its keys."""
    return model.model_validate({key: value for key, value in item.items() if key not in ("pk", "sk")})


# ---------------------------------------------------------------- teams
def create_team(data: TeamInput) -> Team:
    now = clock.iso(clock.now())
    team = Team(
        **data.model_dump(), id=str(increment(_table(), "COUNTER", "teams")), createdAt=now, updatedAt=now
    )
    db().put_item(TableName=_table(), Item=serialize({"pk": "TEAM", "sk": team.id, **team.model_dump()}))
    return team


def get_team(team_id: str) -> Team | None:
    if not team_id:
        return None
    item = db().get_item(TableName=_table(), Key={"pk": {"S": "TEAM"}, "sk": {"S": str(team_id)}})
    return _load(Team, deserialize(item["Item"])) if "Item" in item else None


def require_team(team_id: str) -> Team:
    team = get_team(team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist")
    return team


def all_teams() -> list[Team]:
    found = query(
        _table(), KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "TEAM"}}
    )
    return sorted((_load(Team, item) for item in found), key=lambda team: int(team.id))


def rename_team(team_id: str, data: TeamInput) -> Team:
    team = require_team(team_id).model_copy(update={"name": data.name, "updatedAt": clock.iso(clock.now())})
    db().put_item(TableName=_table(), Item=serialize({"pk": "TEAM", "sk": team.id, **team.model_dump()}))
    return team


def delete_team(team_id: str) -> None:
    """Delete a team; its members stay users, without it."""
    require_team(team_id)
    for user in all_users():
        if team_id in user.teamIds:
            _save(user.model_copy(update={"teamIds": [t for t in user.teamIds if t != team_id]}))
    db().delete_item(TableName=_table(), Key={"pk": {"S": "TEAM"}, "sk": {"S": team_id}})


# ---------------------------------------------------------------- users
def _check_teams(team_ids: list[str]) -> None:
    missing = [team_id for team_id in team_ids if get_team(team_id) is None]
    if missing:
        raise ValidationFailed(f"teamIds: no team with id {', '.join(missing)}", context={"teamIds": missing})


def _save(user: User) -> None:
    db().put_item(
        TableName=_table(), Item=serialize({"pk": "USER", "sk": user.id, **user.model_dump(mode="json")})
    )


def create_user(data: UserInput, *, with_token: bool) -> tuple[User, str | None]:
    """A new user (409 when the email is taken), and, when asked, a development token for it."""
    _check_teams(data.teamIds)
    now = clock.iso(clock.now())
    user = User(
        **data.model_dump(), id=str(increment(_table(), "COUNTER", "users")), createdAt=now, updatedAt=now
    )
    client = db()
    try:
        client.put_item(
            TableName=_table(),
            Item=serialize({"pk": "USEREMAIL", "sk": user.email.lower(), "userId": user.id}),
            ConditionExpression="attribute_not_exists(pk)",
        )
    except client.exceptions.ConditionalCheckFailedException:
        raise Conflict(f"email: a user with email {user.email} already exists") from None
    _save(user)
    token = None
    if with_token:
        token = f"crmflow-user-{user.id}-{secrets.token_hex(16)}"
        client.put_item(
            TableName=_table(), Item=serialize({"pk": "USERTOKEN", "sk": token, "userId": user.id})
        )
    return user, token


def get_user(user_id: str) -> User | None:
    if not user_id:
        return None
    item = db().get_item(TableName=_table(), Key={"pk": {"S": "USER"}, "sk": {"S": str(user_id)}})
    return _load(User, deserialize(item["Item"])) if "Item" in item else None


def require_user(user_id: str) -> User:
    user = get_user(user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def _by_key(pk: str, sk: str) -> User | None:
    item = db().get_item(TableName=_table(), Key={"pk": {"S": pk}, "sk": {"S": sk}})
    return get_user(deserialize(item["Item"])["userId"]) if "Item" in item else None


def user_by_email(email: str) -> User | None:
    return _by_key("USEREMAIL", email.strip().lower())


def user_by_token(token: str) -> User | None:
    """The user a local development token stands for (``crmflow serve`` and the embedded runtime)."""
    return _by_key("USERTOKEN", token)


def all_users() -> list[User]:
    found = query(
        _table(), KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "USER"}}
    )
    return sorted((_load(User, item) for item in found), key=lambda user: int(user.id))


def team_member_ids(team_id: str) -> list[str]:
    """The ids of the users in a team, in id order (ROTATE_OWNER's pool for a team)."""
    return [user.id for user in all_users() if team_id in user.teamIds]


def update_user(user_id: str, data: UserUpdate) -> User:
    user = require_user(user_id)
    changes = data.model_dump(exclude_none=True)
    if data.teamIds is not None:
        _check_teams(data.teamIds)
    updated = User.model_validate({**user.model_dump(), **changes, "updatedAt": clock.iso(clock.now())})
    _save(updated)
    return updated


def delete_user(user_id: str) -> None:
    """Delete a user; tickets they own keep the owner id (as in HubSpot, a deactivated owner)."""
    user = require_user(user_id)
    client = db()
    client.delete_item(TableName=_table(), Key={"pk": {"S": "USEREMAIL"}, "sk": {"S": user.email.lower()}})
    client.delete_item(TableName=_table(), Key={"pk": {"S": "USER"}, "sk": {"S": user.id}})
    for item in query(
        _table(),
        KeyConditionExpression="pk = :pk",
        FilterExpression="userId = :id",
        ExpressionAttributeValues={":pk": {"S": "USERTOKEN"}, ":id": {"S": user.id}},
    ):
        client.delete_item(TableName=_table(), Key={"pk": {"S": "USERTOKEN"}, "sk": {"S": item["sk"]}})
