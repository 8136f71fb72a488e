"""The principal of the request being handled: the super admin, a crmflow user, or the system.

The API sets it once per request from the claims API Gateway's JWT authorizer verified (never from
a header the caller sets); everything else (streams, queues, workflow actions) runs as the system,
which sees every record.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmflow.errors import Forbidden

if TYPE_CHECKING:  # the users' models load only where a request's user is looked up
    from crmflow.access.users import User

ADMIN_GROUP = "admins"  # members of this Cognito group are super admins


@dataclass(frozen=True)
class Principal:
    """``user`` is None for the super admin and the system, who are not restricted."""

    user: "User | None" = None
    super_admin: bool = False
    teammates: frozenset[str] = field(default_factory=frozenset)  # ids of users sharing a team, and self

    @property
    def unrestricted(self) -> bool:
        return self.user is None


SYSTEM = Principal()
SUPER_ADMIN = Principal(super_admin=True)
_current: ContextVar[Principal] = ContextVar("crmflow_principal", default=SYSTEM)


def current() -> Principal:
    return _current.get()


@contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    token = _current.set(principal)
    try:
        yield principal
    finally:
        _current.reset(token)


def _groups(claims: Mapping[str, Any]) -> set[str]:
    """``cognito:groups`` as API Gateway passes it: a list, or a string like ``[admins sales]``."""
    raw = claims.get("cognito:groups") or []
    if isinstance(raw, str):
        raw = raw.strip("[]").replace(",", " ").split()
    return {str(group) for group in raw}


def from_claims(claims: Mapping[str, Any]) -> Principal:
    """The principal of a verified token: a super admin by group, else the crmflow user with the
    token's email (403 when there is none)."""
    from crmflow.access.users import TicketAccess, all_users, user_by_email

    if ADMIN_GROUP in _groups(claims):
        return SUPER_ADMIN
    if str(claims.get("email_verified", "true")).lower() == "false":
        raise Forbidden("This token's email is not verified: verify it before using crmflow")
    email = str(claims.get("email") or "")
    user = user_by_email(email) if email else None
    if user is None:
        raise Forbidden("This token's identity is not a crmflow user: ask a super admin to add its email")
    teammates = {user.id}
    if user.permissions.tickets.access == TicketAccess.TEAM_ONLY and user.teamIds:
        teams = set(user.teamIds)
        teammates |= {other.id for other in all_users() if teams & set(other.teamIds)}
    return Principal(user=user, teammates=frozenset(teammates))


def require_super_admin() -> None:
    """403 unless the request comes from a super admin (settings, users, teams, pipeline editing)."""
    if not current().unrestricted:
        raise Forbidden("Only a super admin may do this")
