"""What each action type does. Each action Lambda runs one of these through the step gate.

Executors take a :class:`~crmflow.engine.steps.Context` and answer an
:class:`~crmflow.engine.steps.Outcome`; they raise TransientActionError (retried with backoff)
or PermanentActionError (logged; the record goes on, W-7).
"""

import json
from typing import Any

from crmflow import clock
from crmflow.engine import enroll as enrolling
from crmflow.engine import goals, store
from crmflow.engine.models import Event, Reason
from crmflow.engine.steps import Context, Executor, Outcome, PermanentActionError, TransientActionError
from crmflow.errors import ApiError
from crmflow.records import properties as property_defs
from crmflow.records import service as records
from crmflow.records.models import Source, SourceType
from crmflow.workflows import rules
from crmflow.workflows import store as workflows
from crmflow.workflows.calendar import Calendar, delay_end, delay_until


def delay(ctx: Context) -> Outcome:
    spec = ctx.action.delay
    # counted from when the record reached the delay: a start drained late from the starter
    # queue keeps its enrollment time (E-7)
    wake = delay_end(ctx.due, spec, Calendar.from_definition(ctx.workflow.definition))
    return Outcome(ctx.action.next, wake, Event.DELAY_STARTED, detail={"until": clock.iso(wake)})


def delay_until_(ctx: Context) -> Outcome:
    prop_type = None
    if ctx.action.untilProperty:
        definition = property_defs.definitions(ctx.state.objectType).get(ctx.action.untilProperty)
        prop_type = getattr(definition, "type", None)
    wake = delay_until(
        ctx.now,
        ctx.action,
        ctx.record.properties,
        Calendar.from_definition(ctx.workflow.definition),
        prop_type,
    )
    return Outcome(ctx.action.next, wake, Event.DELAY_STARTED, detail={"until": clock.iso(wake)})


def _update(ctx: Context, values: dict[str, str | None]) -> None:
    try:
        records.update_record(ctx.state.objectType, ctx.record.id, values, system=True, source=_by(ctx))
    except ApiError as error:
        raise PermanentActionError(error.message) from error


def _by(ctx: Context) -> Source:
    return Source(type=SourceType.WORKFLOW, id=ctx.workflow.id)


def set_property(ctx: Context) -> Outcome:
    _update(ctx, {ctx.action.property: ctx.action.value})
    return Outcome(ctx.action.next, detail={"property": ctx.action.property, "value": ctx.action.value})


def clear_property(ctx: Context) -> Outcome:
    _update(ctx, {ctx.action.property: None})
    return Outcome(ctx.action.next, detail={"property": ctx.action.property})


def create_record(ctx: Context) -> Outcome:
    action = ctx.action
    types = property_defs.types_of(str(action.objectType))
    if rules.creates_infinite_loop(ctx.workflow.definition, action, types):
        return Outcome(action.next, event=Event.ACTION_SKIPPED, reason=Reason.INFINITE_LOOP)  # E-8
    associations = []
    if action.associate:
        associations = [{"to": {"id": ctx.record.id}, "types": [{"associationCategory": "HUBSPOT_DEFINED"}]}]
    try:
        created = records.create_record(
            str(action.objectType), action.properties, _typed(ctx, associations), source=_by(ctx)
        )
    except ApiError as error:
        raise PermanentActionError(error.message) from error
    return Outcome(action.next, detail={"createdId": created.id, "objectType": str(action.objectType)})


def _typed(ctx: Context, associations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Association inputs with the default type id from the created type to the enrolled type."""
    from crmflow.records import associations as association_types

    result = []
    for association in associations:
        type_id = association_types.default_type_id(str(ctx.action.objectType), ctx.state.objectType)
        association["types"] = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
        result.append(association)
    return result


def create_task(ctx: Context) -> Outcome:
    properties = {
        "hs_task_status": "NOT_STARTED",
        "hs_timestamp": clock.iso(ctx.now),
        **ctx.action.properties,
    }
    properties.setdefault("hs_task_subject", f"Follow up ({ctx.workflow.definition.name})")
    try:
        task = records.create_record("tasks", properties, system=True, source=_by(ctx))
        records.associate("tasks", task.id, ctx.state.objectType, ctx.record.id)
    except ApiError as error:
        raise PermanentActionError(error.message) from error
    return Outcome(ctx.action.next, detail={"taskId": task.id})


def send_email(ctx: Context) -> Outcome:
    from crmflow import emails  # only the SEND_EMAIL Lambda needs the email models

    email = emails.get(ctx.action.emailId)
    problem = rules.unsendable_email(ctx.action.emailId, email.state.value if email else None)
    if email is None or problem:
        raise PermanentActionError(problem or f"email {ctx.action.emailId} does not exist")
    to = ctx.record.properties.get("email")
    if not to:
        raise PermanentActionError("the record has no email address")
    try:
        emails.send(
            email,
            to,
            record_id=ctx.record.id,
            workflow_id=ctx.workflow.id,
            message_key=f"{ctx.state.enrollmentId}/{ctx.action.id}",
        )
    except Exception as error:  # SES throttling or an outage: worth retrying
        if "MessageRejected" in str(error) or "InvalidParameter" in str(error):
            raise PermanentActionError(str(error)) from error
        raise TransientActionError(str(error)) from error
    goals.count_email(ctx.workflow, ctx.enrollment, ctx.changes)  # G-3 counts records sent a marketing email
    return Outcome(ctx.action.next, detail={"emailId": email.id, "to": to})


def rotate_owner(ctx: Context) -> Outcome:
    from crmflow import settings
    from crmflow.access import users

    sync = settings.get_ownership().syncContactCompanyOwner
    hold = rules.owner_rotation_hold_until(ctx.state.objectType, clock.parse_iso(ctx.record.createdAt), sync)
    if hold is not None and ctx.now < hold:  # W-5
        return Outcome(None, hold, stay=True)
    owners = ctx.action.ownerIds or users.team_member_ids(ctx.action.teamId)
    if not owners:
        raise PermanentActionError(f"team {ctx.action.teamId} has no members to rotate among")
    turn = store.next_counter(ctx.workflow.id, f"rotate-{ctx.action.id}")
    owner = owners[turn % len(owners)]
    _update(ctx, {"hubspot_owner_id": owner})
    return Outcome(ctx.action.next, detail={"ownerId": owner})


def webhook(ctx: Context) -> Outcome:
    """Call the partner through :func:`crmflow.outbound.call` (no private targets, no redirects
    to them, bounded time and size). Over the workflow's rate limit the record waits for the next
    minute and runs this action again (no retry attempt is used up)."""
    from crmflow import outbound  # only the WEBHOOK Lambda needs the HTTP client

    action = ctx.action
    retry_at = outbound.take_rate_slot(ctx.workflow.id)
    if retry_at is not None:
        return Outcome(None, retry_at, stay=True)
    payload = {
        "workflowId": ctx.workflow.id,
        "enrollmentId": ctx.state.enrollmentId,
        "objectType": ctx.state.objectType,
        "objectId": ctx.record.id,
        "properties": ctx.record.properties,
    }
    data = None if action.method in ("GET", "DELETE") else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"{ctx.state.enrollmentId}/{action.id}",
    }
    try:
        response = outbound.call(action.method, action.url, data, headers, timeout=action.timeoutSeconds)
    except outbound.Transient as error:
        raise TransientActionError(error.reason) from error
    except (outbound.Blocked, outbound.Permanent) as error:  # logged ERROR, the record goes on
        raise PermanentActionError(error.reason) from error
    mapped: dict[str, str | None] = {}
    if action.responseMapping:
        if response.truncated:
            raise PermanentActionError(
                f"the response is larger than {outbound.MAX_BYTES} bytes; responseMapping needs all of it"
            )
        try:
            document = json.loads(response.body or b"null")
        except json.JSONDecodeError as error:
            raise PermanentActionError("the response is not JSON; responseMapping needs JSON") from error
        for path, prop in action.responseMapping.items():
            value = _dig(document, path)
            if value is not None:
                mapped[prop] = value if isinstance(value, str) else json.dumps(value)
        if mapped:
            _update(ctx, mapped)
    return Outcome(action.next, detail={"status": response.status, "mapped": sorted(mapped)})


def _dig(document: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def enroll_in_workflow(ctx: Context) -> Outcome:
    target = workflows.get(ctx.action.workflowId)
    if target is None:
        raise PermanentActionError(f"workflow {ctx.action.workflowId} does not exist")
    if target.objectType != ctx.state.objectType:
        raise PermanentActionError(
            f"workflow {target.id} enrolls {target.objectType}, not {ctx.state.objectType}"
        )
    if not target.enabled:
        raise PermanentActionError(f"workflow {target.id} is off")
    enrollment = enrolling.enroll(target, ctx.record, manual=True)
    return Outcome(ctx.action.next, detail={"workflowId": target.id, "enrolled": enrollment is not None})


def if_then(ctx: Context) -> Outcome:
    types = property_defs.types_of(ctx.state.objectType)
    index, following = rules.choose_branch(ctx.action, ctx.record.properties, types)
    return Outcome(following, detail={"branch": index})


EXECUTORS: dict[str, Executor] = {
    "DELAY": delay,
    "DELAY_UNTIL": delay_until_,
    "SET_PROPERTY": set_property,
    "CLEAR_PROPERTY": clear_property,
    "CREATE_RECORD": create_record,
    "CREATE_TASK": create_task,
    "SEND_EMAIL": send_email,
    "ROTATE_OWNER": rotate_owner,
    "WEBHOOK": webhook,
    "ENROLL_IN_WORKFLOW": enroll_in_workflow,
    "IF_THEN": if_then,
}
# The modules an executor imports when it runs, beyond the step gate's: each action Lambda imports
# its own executor's at init (crmflow.adapters.actions) and never another action type's.
IMPORTS: dict[str, tuple[str, ...]] = {
    "SEND_EMAIL": ("crmflow.emails",),
    "ROTATE_OWNER": ("crmflow.settings", "crmflow.access.users"),
    "WEBHOOK": ("crmflow.outbound",),
}


def handle(event: dict[str, Any], action_type: str) -> dict[str, Any]:
    """The body of the action Lambda for ``action_type``."""
    from crmflow.engine.steps import run_step

    return run_step(event, action_type, EXECUTORS[action_type])
