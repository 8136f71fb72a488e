"""Which workflows one record change can concern, and the per-process cache of that answer.

Per object type the index holds:

- ``reads``: property → the *enabled* workflows whose enrollment triggers (``filterGroups``) or
  re-enrollment properties (when re-enrollment is on) read it. A change evaluates (E-1, E-3, and
  ``unenrollWhenCriteriaNotMet``) only the workflows under a property whose value changed: when
  none of a workflow's trigger properties changed, the record meets its triggers after the change
  exactly as before it (old and new images are evaluated at the same instant with the same property
  types), so it cannot start to meet them, stop meeting them, or re-enroll.
- For a record with no previous image (created, or restored from the archive), every enabled
  workflow one of whose trigger groups the new record could meet: a group whose filters all accept
  a missing value (``NEQ``, ``NOT_IN``, ``NOT_HAS_PROPERTY`` ...) can meet any record, any other
  group only a record with a value for its first filter that needs one.
- ``goals``: property → the workflows, on or off (W-1), whose goal reads it; ``dynamic_lists``:
  property → the DYNAMIC suppression lists of the type's workflows that read it. The stream checks
  the record's enrollments against goals (G-1, G-3) only when a changed property is read by a goal
  the record meets now, and against suppression lists (E-6) only when it is read by a dynamic list
  the record is on now: otherwise those checks find nothing to do (a goal not met unenrolls and
  counts no one), so their query of the record's enrollments is saved. Lists cannot be edited
  (only created, and deleted while no workflow uses them), so what a list reads cannot change under
  a built index. A MANUAL list's membership is no property of the record: records join it through
  ``memberships/add``, which unenrolls them at once (``suppression.members_joined``).

What the stream no longer does is catch up, on a change to some other property, with what changed
elsewhere while the record did not: a goal edited to match a record, a list added to an active
workflow. The step gate checks the goal and the lists before every action (as it always did, for
the records that do not change), and a finished, emailed record converts when a goal property next
changes.

Event triggers are not indexed: events enroll through :func:`crmflow.engine.enroll.on_event`.

The index is cached in module scope under the workflows version (``crmflow.workflows.store``), one
consistent GetItem per stream batch; any save, enable, disable or delete bumps the version in the
same transaction as its write, and the index is rebuilt from a consistent read of every workflow.
``CRMFLOW_TRIGGER_INDEX=off`` switches it off (every workflow of the type is evaluated, as before);
the benchmark measures both ways in one run.
"""

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from crmflow import aws, lists
from crmflow.filters import filter_met, filter_properties, matches
from crmflow.records import properties as property_defs
from crmflow.records.models import Record
from crmflow.workflows import store as workflows
from crmflow.workflows.models import goal_properties, has_goal, trigger_properties
from crmflow.workflows.store import StoredWorkflow

SWITCH = "CRMFLOW_TRIGGER_INDEX"


@dataclass(frozen=True)
class Selection:
    """What one record change must look at."""

    workflows: list[StoredWorkflow]  # enabled workflows whose enrollment can react, in store order
    goals: bool  # the record's enrollments must be checked against their goals (G-1, G-3)
    suppression: bool  # ... against their suppression lists (E-6)


@dataclass
class _TypeIndex:
    reads: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    insert_any: set[int] = field(default_factory=set)
    insert_needs: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    has_goal: bool = False
    goals: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    suppresses: bool = False
    dynamic_lists: defaultdict[str, dict[str, lists.CrmList]] = field(
        default_factory=lambda: defaultdict(dict)
    )


def changed_properties(old: Record, new: Record) -> set[str]:
    """The properties whose value differs between the two images (added and removed ones too)."""
    before, after = old.properties, new.properties
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


class TriggerIndex:
    """Every workflow (on or off) read at one workflows version, indexed by what it reads."""

    def __init__(
        self,
        version: int,
        known: Iterable[StoredWorkflow],
        get_list: Callable[[str], lists.CrmList | None] = lists.get,
    ) -> None:
        self.version = version
        self.workflows = list(known)
        self._types: dict[str, _TypeIndex] = {}
        found: dict[str, lists.CrmList | None] = {}
        for position, workflow in enumerate(self.workflows):
            entry = self._types.setdefault(workflow.objectType, _TypeIndex())
            definition = workflow.definition
            if has_goal(definition):
                entry.has_goal = True
                for name in goal_properties(definition):
                    entry.goals[name].add(position)
            for list_id in definition.suppressionListIds:
                entry.suppresses = True
                if list_id not in found:
                    found[list_id] = get_list(list_id)
                crm_list = found[list_id]
                if crm_list is not None and crm_list.processingType == lists.ProcessingType.DYNAMIC:
                    for name in filter_properties(crm_list.filterGroups):
                        entry.dynamic_lists[name][list_id] = crm_list
            groups = definition.enrollment.filterGroups
            if not workflow.enabled or not groups:
                continue  # off, or no trigger filters: a record change never enrolls it
            reads = trigger_properties(definition)
            if definition.enrollment.reEnrollment.enabled:
                reads |= set(definition.enrollment.reEnrollment.properties)
            for name in reads:
                entry.reads[name].add(position)
            for group in groups:
                needs = [f.propertyName for f in group.filters if not filter_met(f, {})]
                if needs:
                    entry.insert_needs[needs[0]].add(position)
                else:
                    entry.insert_any.add(position)

    def select(self, object_type: str, old: Record | None, new: Record) -> Selection:
        """What a change of a record from ``old`` (None: created or restored) to ``new`` concerns."""
        entry = self._types.get(object_type)
        if entry is None:
            return Selection([], goals=False, suppression=False)
        chosen: set[int] = set()
        if old is None:
            chosen |= entry.insert_any
            for name, value in new.properties.items():
                if value not in (None, "") and name in entry.insert_needs:
                    chosen |= entry.insert_needs[name]
            return Selection(self._in_order(chosen), goals=entry.has_goal, suppression=entry.suppresses)
        changed = changed_properties(old, new)
        goal_holders: set[int] = set()
        suppressing: dict[str, lists.CrmList] = {}
        for name in changed:
            chosen |= entry.reads.get(name, set())
            goal_holders |= entry.goals.get(name, set())
            suppressing |= entry.dynamic_lists.get(name, {})
        types = property_defs.types_of(object_type) if goal_holders or suppressing else {}
        return Selection(
            self._in_order(chosen),
            goals=any(self._meets_goal(position, new, types) for position in sorted(goal_holders)),
            suppression=any(
                matches(found.filterGroups, new.properties, types) for found in suppressing.values()
            ),
        )

    def _meets_goal(self, position: int, record: Record, types: Mapping[str, str]) -> bool:
        goal = self.workflows[position].definition.goal
        return goal is not None and matches(goal.filterGroups, record.properties, types)

    def _in_order(self, positions: set[int]) -> list[StoredWorkflow]:
        return [self.workflows[position] for position in sorted(positions)]


# ---------------------------------------------------------------- the per-process cache
_cached: list[TriggerIndex] = []


@aws.on_reset
def forget() -> None:
    """Drop the cached index (the embedded runtime resets between tests)."""
    _cached.clear()


def enabled() -> bool:
    """Whether record changes use the index (``CRMFLOW_TRIGGER_INDEX=off`` evaluates every workflow)."""
    return os.environ.get(SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")


def current() -> TriggerIndex:
    """The index at the current workflows version: one GetItem, plus a rebuild when it moved."""
    version = workflows.version()
    if _cached and _cached[0].version == version:
        return _cached[0]
    index = TriggerIndex(version, workflows.all_workflows(consistent=True))
    _cached[:] = [index]
    return index
