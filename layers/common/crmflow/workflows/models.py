"""A workflow definition (SPEC section 3, JSON of section 8) and its validation.

Everything the model can check on its own is checked here, so a definition that parses is a
well-formed graph: unique action ids, a start that exists, every ``next`` pointing at a known id, no
cycles, every action reachable, at most 250 trigger filters (E-4), a known time zone and sane time
windows. Checks that need the store (E-5 property types, W-6 email states) are the pure functions
:func:`check_whole_number_triggers` and :func:`check_email_states`, which the service layer calls.

Validation errors name the field and the rule, e.g. ``actions[2].next: unknown action id '9'``.
Unknown JSON fields are ignored (as HubSpot does), so a GET answer can be PUT back unchanged.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from crmflow.clock import iso, parse_iso
from crmflow.errors import ApiError
from crmflow.filters import FilterGroup, count_filters, filter_properties, parse_number
from crmflow.records.models import ObjectType, resolve_object_type

MAX_TRIGGER_FILTERS = 250


class Weekday(StrEnum):
    MON = "MON"
    TUE = "TUE"
    WED = "WED"
    THU = "THU"
    FRI = "FRI"
    SAT = "SAT"
    SUN = "SUN"

    @property
    def number(self) -> int:
        """Monday 0 … Sunday 6, as :meth:`datetime.weekday`."""
        return list(Weekday).index(self)


_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def minutes_of(hh_mm: str) -> int:
    """``"09:30"`` → 570; ``"24:00"`` → 1440."""
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def _graph_error(message: str) -> PydanticCustomError:
    return PydanticCustomError("workflow_definition", "{message}", {"message": message})


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- enrollment -----------------------------------------------------------------------------------


class GoalAchievedTrigger(_Model):
    """G-5: the records that count toward workflow X's goal conversion."""

    type: Literal["GOAL_ACHIEVED"]
    workflowId: str = Field(min_length=1)


class FormSubmittedTrigger(_Model):
    type: Literal["FORM_SUBMITTED"]
    formId: str = Field(min_length=1)


class EmailRepliedTrigger(_Model):
    type: Literal["EMAIL_REPLIED"]


EventTrigger = Annotated[
    GoalAchievedTrigger | FormSubmittedTrigger | EmailRepliedTrigger, Field(discriminator="type")
]


class ReEnrollment(_Model):
    """E-3: off by default; when on, a change to one of ``properties`` lets a record enroll again."""

    enabled: bool = False
    properties: list[str] = Field(default_factory=list)


class Enrollment(_Model):
    filterGroups: list[FilterGroup] = Field(default_factory=list)
    event: EventTrigger | None = None
    reEnrollment: ReEnrollment = Field(default_factory=ReEnrollment)


class Goal(_Model):
    filterGroups: list[FilterGroup] = Field(default_factory=list)


class TimeWindow(_Model):
    """W-3: actions run on ``days`` from ``start`` (inclusive) to ``end`` (exclusive), local time.

    ``end`` may be ``"24:00"`` (until midnight). ``end`` must be after ``start``; a window cannot
    span midnight (use two windows).
    """

    days: list[Weekday] = Field(min_length=1)
    start: str
    end: str

    @field_validator("start")
    @classmethod
    def _start_format(cls, v: str) -> str:
        if not _HH_MM.match(v):
            raise ValueError(f"must be HH:MM between 00:00 and 23:59, got '{v}'")
        return v

    @field_validator("end")
    @classmethod
    def _end_format(cls, v: str) -> str:
        if v != "24:00" and not _HH_MM.match(v):
            raise ValueError(f"must be HH:MM between 00:01 and 24:00, got '{v}'")
        return v

    @model_validator(mode="after")
    def _end_after_start(self) -> "TimeWindow":
        if minutes_of(self.end) <= minutes_of(self.start):
            raise ValueError(f"end: must be after start ({self.start}), got '{self.end}'")
        return self

    @property
    def start_minutes(self) -> int:
        return minutes_of(self.start)

    @property
    def end_minutes(self) -> int:
        return minutes_of(self.end)


# --- actions --------------------------------------------------------------------------------------


def _coerce_str(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | Decimal):
        return str(v)
    return v


def _coerce_str_dict(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _coerce_str(item) for k, item in v.items()}
    return v


class _Action(_Model):
    id: str = Field(min_length=1)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class _LinearAction(_Action):
    next: str | None = None

    @field_validator("next", mode="before")
    @classmethod
    def _next_as_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


MAX_DELAY_MINUTES = 365 * 24 * 60  # a Step Functions Wait holds at most a year


class DelaySpec(_Model):
    days: int = Field(default=0, ge=0, le=365)
    hours: int = Field(default=0, ge=0, le=365 * 24)
    minutes: int = Field(default=0, ge=0, le=MAX_DELAY_MINUTES)
    businessHours: bool = Field(
        default=False,
        exclude_if=lambda value: not value,  # a plain delay reads back as it was written
        description="Count only time inside the workflow timeWindows, skipping pause dates",
    )

    @model_validator(mode="after")
    def _within_a_year(self) -> "DelaySpec":
        if (self.days * 24 + self.hours) * 60 + self.minutes > MAX_DELAY_MINUTES:
            raise ValueError("a delay can be at most 365 days (a Step Functions Wait holds at most a year)")
        if self.businessHours and self.days:
            raise ValueError(
                "businessHours counts hours and minutes inside the time windows; give hours, not days"
            )
        return self


class DelayAction(_LinearAction):
    """A fixed delay in elapsed time (a day is 24 hours)."""

    type: Literal["DELAY"]
    delay: DelaySpec


class DelayUntilAction(_LinearAction):
    """Wait until a date property's value, or until the next of ``weekdays`` at ``time``.

    With ``untilProperty``, an optional ``time`` is the local time of day used when the value is a
    date without a time (default 00:00).
    """

    type: Literal["DELAY_UNTIL"]
    untilProperty: str | None = None
    weekdays: list[Weekday] | None = None
    time: str | None = None

    @field_validator("time")
    @classmethod
    def _time_format(cls, v: str | None) -> str | None:
        if v is not None and not _HH_MM.match(v):
            raise ValueError(f"must be HH:MM between 00:00 and 23:59, got '{v}'")
        return v

    @model_validator(mode="after")
    def _one_mode(self) -> "DelayUntilAction":
        if self.untilProperty:
            if self.weekdays:
                raise ValueError("weekdays: give either untilProperty or weekdays+time, not both")
            return self
        if not self.weekdays:
            raise ValueError("untilProperty: required unless weekdays and time are given")
        if self.time is None:
            raise ValueError("time: required with weekdays")
        return self


class SetPropertyAction(_LinearAction):
    type: Literal["SET_PROPERTY"]
    property: str = Field(min_length=1)
    value: str

    _coerce_value = field_validator("value", mode="before")(lambda cls, v: _coerce_str(v))


class ClearPropertyAction(_LinearAction):
    type: Literal["CLEAR_PROPERTY"]
    property: str = Field(min_length=1)


class CreateRecordAction(_LinearAction):
    """Create a record; ``associate`` (default true) associates it with the enrolled record."""

    type: Literal["CREATE_RECORD"]
    objectType: ObjectType
    properties: dict[str, str] = Field(default_factory=dict)
    associate: bool = True

    _coerce_properties = field_validator("properties", mode="before")(lambda cls, v: _coerce_str_dict(v))

    @field_validator("objectType", mode="before")
    @classmethod
    def _object_type_alias(cls, v: Any) -> Any:
        return _resolve_object_type(v)


class CreateTaskAction(_LinearAction):
    type: Literal["CREATE_TASK"]
    properties: dict[str, str] = Field(default_factory=dict)

    _coerce_properties = field_validator("properties", mode="before")(lambda cls, v: _coerce_str_dict(v))


class SendEmailAction(_LinearAction):
    """Send a marketing email (W-6: it must be saved for automation)."""

    type: Literal["SEND_EMAIL"]
    emailId: str = Field(min_length=1)

    _coerce_email = field_validator("emailId", mode="before")(lambda cls, v: _coerce_str(v))


class RotateOwnerAction(_LinearAction):
    """Round-robin over ``ownerIds``, or over the members of team ``teamId`` as they are when it runs."""

    type: Literal["ROTATE_OWNER"]
    ownerIds: list[str] = Field(default_factory=list)
    teamId: str | None = None

    _coerce_owners = field_validator("ownerIds", mode="before")(
        lambda cls, v: [_coerce_str(o) for o in v] if isinstance(v, list) else v
    )

    @model_validator(mode="after")
    def _one_pool(self) -> "RotateOwnerAction":
        if bool(self.ownerIds) == bool(self.teamId):
            raise ValueError("ROTATE_OWNER takes either ownerIds (at least one) or teamId")
        return self


class WebhookAction(_LinearAction):
    """HTTP call; ``responseMapping`` maps a dot path in the JSON response to a property name."""

    type: Literal["WEBHOOK"]
    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    responseMapping: dict[str, str] = Field(default_factory=dict)
    timeoutSeconds: int = Field(default=10, ge=1, le=60)

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"must be an http(s) URL, got '{v}'")
        return v

    @field_validator("method", mode="before")
    @classmethod
    def _upper_method(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v


class EnrollInWorkflowAction(_LinearAction):
    type: Literal["ENROLL_IN_WORKFLOW"]
    workflowId: str = Field(min_length=1)

    _coerce_id = field_validator("workflowId", mode="before")(lambda cls, v: _coerce_str(v))


class Branch(_Model):
    filterGroups: list[FilterGroup] = Field(default_factory=list)
    next: str | None = None


class IfThenAction(_Action):
    """Branches are tried in order; the first whose filterGroups match wins, else ``defaultNext``.

    A branch with empty ``filterGroups`` always matches (see :func:`crmflow.filters.matches`).
    """

    type: Literal["IF_THEN"]
    branches: list[Branch] = Field(min_length=1)
    defaultNext: str | None = None


Action = Annotated[
    DelayAction
    | DelayUntilAction
    | SetPropertyAction
    | ClearPropertyAction
    | CreateRecordAction
    | CreateTaskAction
    | SendEmailAction
    | RotateOwnerAction
    | WebhookAction
    | EnrollInWorkflowAction
    | IfThenAction,
    Field(discriminator="type"),
]

ACTION_TYPES: tuple[str, ...] = (
    "DELAY",
    "DELAY_UNTIL",
    "SET_PROPERTY",
    "CLEAR_PROPERTY",
    "CREATE_RECORD",
    "CREATE_TASK",
    "SEND_EMAIL",
    "ROTATE_OWNER",
    "WEBHOOK",
    "ENROLL_IN_WORKFLOW",
    "IF_THEN",
)


def _resolve_object_type(v: Any) -> Any:
    if not isinstance(v, str):
        return v
    try:
        return resolve_object_type(v)
    except ApiError:
        return v  # the Literal reports the error


# --- the definition -------------------------------------------------------------------------------


class WorkflowDefinition(_Model):
    """What a user POSTs/PUTs to ``/workflows`` (SPEC section 8)."""

    name: str = Field(min_length=1)
    objectType: ObjectType
    timeZone: str = "UTC"
    enrollment: Enrollment = Field(default_factory=Enrollment)
    suppressionListIds: list[str] = Field(default_factory=list)
    unenrollWhenCriteriaNotMet: bool = False
    goal: Goal | None = None
    pauseDates: list[date] = Field(default_factory=list)
    timeWindows: list[TimeWindow] = Field(default_factory=list)
    startActionId: str | None = None
    actions: list[Action] = Field(default_factory=list)

    @field_validator("objectType", mode="before")
    @classmethod
    def _object_type_alias(cls, v: Any) -> Any:
        return _resolve_object_type(v)

    @field_validator("timeZone")
    @classmethod
    def _known_time_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise _graph_error(f"timeZone: unknown time zone '{v}'") from None
        return v

    @field_validator("suppressionListIds", mode="before")
    @classmethod
    def _list_ids_as_str(cls, v: Any) -> Any:
        return [_coerce_str(i) for i in v] if isinstance(v, list) else v

    @field_validator("suppressionListIds")
    @classmethod
    def _no_empty_list_ids(cls, v: list[str]) -> list[str]:
        empty = [str(i) for i, list_id in enumerate(v) if not list_id.strip()]
        if empty:
            raise _graph_error(f"a list id cannot be empty (at index {', '.join(empty)})")
        return v

    @field_validator("startActionId", mode="before")
    @classmethod
    def _start_as_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _validate(self) -> "WorkflowDefinition":
        problems = _trigger_limit_problems(self) + graph_problems(self)
        if problems:
            raise _graph_error("; ".join(problems))
        return self

    # convenience
    def action(self, action_id: str | None) -> Action | None:
        return action_by_id(self, action_id)


class Workflow(WorkflowDefinition):
    """A stored workflow: the definition plus what the service adds."""

    id: str
    revision: int = Field(ge=1)
    enabled: bool = False
    createdAt: Annotated[datetime, PlainSerializer(iso, return_type=str)]
    updatedAt: Annotated[datetime, PlainSerializer(iso, return_type=str)]

    @field_validator("createdAt", "updatedAt", mode="before")
    @classmethod
    def _parse_timestamp(cls, v: Any) -> Any:
        if isinstance(v, str):
            return parse_iso(v)
        if isinstance(v, datetime) and v.tzinfo is None:
            return parse_iso(v.isoformat())
        return v

    def definition(self) -> WorkflowDefinition:
        """The definition alone (without id, revision, enabled, timestamps)."""
        return WorkflowDefinition.model_validate(
            self.model_dump(include=set(WorkflowDefinition.model_fields), exclude_none=False)
        )


# --- graph ----------------------------------------------------------------------------------------


def successors(action: Action) -> list[str]:
    """Ids an action can go to next, in order, without duplicates or ``None``."""
    if isinstance(action, IfThenAction):
        targets = [b.next for b in action.branches] + [action.defaultNext]
    else:
        targets = [action.next]
    seen: list[str] = []
    for t in targets:
        if t is not None and t not in seen:
            seen.append(t)
    return seen


def action_by_id(defn: WorkflowDefinition, action_id: str | None) -> Action | None:
    """The action with ``action_id``, or None."""
    if action_id is None:
        return None
    return next((a for a in defn.actions if a.id == action_id), None)


def _next_fields(index: int, action: Action) -> Iterable[tuple[str, str | None]]:
    if isinstance(action, IfThenAction):
        for b, branch in enumerate(action.branches):
            yield f"actions[{index}].branches[{b}].next", branch.next
        yield f"actions[{index}].defaultNext", action.defaultNext
    else:
        yield f"actions[{index}].next", action.next


def graph_problems(defn: WorkflowDefinition) -> list[str]:
    """Every rule the action graph breaks, as ``field: rule`` messages (empty when valid)."""
    problems: list[str] = []
    index_of: dict[str, int] = {}
    for i, action in enumerate(defn.actions):
        if action.id in index_of:
            problems.append(
                f"actions[{i}].id: duplicate action id '{action.id}' (also actions[{index_of[action.id]}])"
            )
        else:
            index_of[action.id] = i

    if defn.startActionId is None:
        if defn.actions:
            problems.append("startActionId: required when there are actions")
    elif defn.startActionId not in index_of:
        problems.append(f"startActionId: unknown action id '{defn.startActionId}'")

    for i, action in enumerate(defn.actions):
        for field, target in _next_fields(i, action):
            if target is not None and target not in index_of:
                problems.append(f"{field}: unknown action id '{target}'")
            elif target == action.id:
                problems.append(f"{field}: action '{action.id}' cannot lead to itself")
    if problems:
        return problems

    graph = {a.id: successors(a) for a in defn.actions}
    cycle = _find_cycle(graph, [a.id for a in defn.actions])
    if cycle:
        path = " -> ".join(f"'{c}'" for c in cycle)
        problems.append(f"actions: cycle through action ids {path}")

    reachable = _reachable(graph, defn.startActionId)
    unreachable = [a.id for a in defn.actions if a.id not in reachable]
    if unreachable:
        ids = ", ".join(f"'{u}'" for u in unreachable)
        problems.append(f"actions: not reachable from startActionId: {ids}")
    return problems


def _find_cycle(graph: Mapping[str, list[str]], order: list[str]) -> list[str] | None:
    """A cycle as ``[a, b, …, a]``, or None (iterative DFS, white/grey/black)."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for root in order:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, i = stack[-1]
            children = graph.get(node, [])
            if i < len(children):
                stack[-1] = (node, i + 1)
                child = children[i]
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if not state.get(child):
                    state[child] = 1
                    stack.append((child, 0))
                    path.append(child)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return None


def _reachable(graph: Mapping[str, list[str]], start: str | None) -> set[str]:
    seen: set[str] = set()
    todo = [start] if start is not None else []
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(graph.get(node, []))
    return seen


def _trigger_limit_problems(defn: WorkflowDefinition) -> list[str]:
    count = count_filters(defn.enrollment.filterGroups)
    if count > MAX_TRIGGER_FILTERS:
        return [
            f"enrollment.filterGroups: at most {MAX_TRIGGER_FILTERS} enrollment trigger filters "
            f"are allowed per workflow, got {count}"
        ]
    return []


# --- helpers for the service layer ---------------------------------------------------------------


def trigger_properties(defn: WorkflowDefinition) -> set[str]:
    """Properties the enrollment triggers look at (a change to another property cannot enroll)."""
    return filter_properties(defn.enrollment.filterGroups)


def goal_properties(defn: WorkflowDefinition) -> set[str]:
    return filter_properties(defn.goal.filterGroups) if defn.goal else set()


def has_goal(defn: WorkflowDefinition) -> bool:
    """G-4: a goal with no criteria is no goal."""
    return defn.goal is not None and count_filters(defn.goal.filterGroups) > 0


def check_whole_number_triggers(defn: WorkflowDefinition, property_types: Mapping[str, str]) -> list[str]:
    """E-5: in contact workflows a number-property trigger accepts whole numbers only.

    Returns one message per offending filter value, naming the property; empty when all is well.
    ``"5.0"`` counts as whole; a value that is not a number at all is reported too.
    """
    if defn.objectType != "contacts":
        return []
    problems: list[str] = []
    for g, group in enumerate(defn.enrollment.filterGroups):
        for i, flt in enumerate(group.filters):
            if property_types.get(flt.propertyName) != "number":
                continue
            operands = [("value", flt.value), ("highValue", flt.highValue)] + [
                (f"values[{k}]", v) for k, v in enumerate(flt.values or [])
            ]
            for field, raw in operands:
                if raw is None:
                    continue
                number = parse_number(raw)
                if number is None or number != number.to_integral_value():
                    problems.append(
                        f"enrollment.filterGroups[{g}].filters[{i}].{field}: property "
                        f"'{flt.propertyName}' accepts whole numbers only in contact workflow triggers, "
                        f"got '{raw}'"
                    )
    return problems


def check_email_states(defn: WorkflowDefinition, email_state: Callable[[str], str | None]) -> list[str]:
    """W-6: every SEND_EMAIL must use a marketing email saved for automation (state AUTOMATED).

    ``email_state(emailId)`` answers the email's state, or None when there is no such email.
    """
    problems: list[str] = []
    for i, action in enumerate(defn.actions):
        if not isinstance(action, SendEmailAction):
            continue
        state = email_state(action.emailId)
        field = f"actions[{i}].emailId"
        if state is None:
            problems.append(f"{field}: unknown marketing email '{action.emailId}'")
        elif state == "DRAFT":
            problems.append(
                f"{field}: marketing email '{action.emailId}' is a draft; "
                "only emails saved for automation (AUTOMATED) can be sent by a workflow"
            )
        elif state == "PUBLISHED":
            problems.append(
                f"{field}: marketing email '{action.emailId}' was already sent to a list; "
                "only emails saved for automation (AUTOMATED) can be sent by a workflow"
            )
        elif state != "AUTOMATED":
            problems.append(
                f"{field}: marketing email '{action.emailId}' is {state}; "
                "only emails saved for automation (AUTOMATED) can be sent by a workflow"
            )
    return problems
