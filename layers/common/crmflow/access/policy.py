"""T-5 and pipeline access: the one rule deciding whether the principal may see (and so read, edit,
delete, associate or claim) a record. Only tickets are restricted.

- a pipeline with an ``access`` list is seen only by the users it names and members of the teams it
  names, and so are its tickets;
- ticket access ALL sees every ticket of the pipelines it sees; TEAM_ONLY the tickets owned
  (``hubspot_owner_id``) by itself or by a member of any of its teams; OWNED_ONLY its own; both see
  unassigned tickets only when ``unassigned`` is allowed.
"""

from collections.abc import Callable

from crmflow.access.principal import Principal
from crmflow.records import pipelines
from crmflow.records.models import Record

RESTRICTED = "tickets"


def may_see_pipeline(principal: Principal, object_type: str, pipeline: pipelines.Pipeline) -> bool:
    user = principal.user
    if user is None or object_type != RESTRICTED or pipeline.access is None:
        return True
    return user.id in pipeline.access.userIds or bool(set(user.teamIds) & set(pipeline.access.teamIds))


def visibility(principal: Principal, object_type: str) -> Callable[[Record], bool]:
    """The test a record of ``object_type`` must pass to be seen by ``principal`` (pipelines read once)."""
    user = principal.user
    if user is None or object_type != RESTRICTED:
        return everything
    from crmflow.access.users import TicketAccess  # a user's: only the API's principals have one

    pipeline_prop, _ = pipelines.PIPELINE_PROPERTIES[RESTRICTED]
    hidden = {
        p.id for p in pipelines.list_pipelines(RESTRICTED) if not may_see_pipeline(principal, RESTRICTED, p)
    }
    permission = user.permissions.tickets

    def visible(record: Record) -> bool:
        if record.properties.get(pipeline_prop) in hidden:
            return False
        owner = record.properties.get("hubspot_owner_id")
        if permission.access == TicketAccess.ALL:
            return True
        if not owner:
            return permission.unassigned
        if permission.access == TicketAccess.TEAM_ONLY:
            return owner in principal.teammates
        return owner == user.id

    return visible


def everything(record: Record) -> bool:
    return True


def may_see(principal: Principal, object_type: str, record: Record) -> bool:
    return visibility(principal, object_type)(record)
