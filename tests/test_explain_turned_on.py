"""Explain (L-4) for a record that met the triggers before the workflow was turned on without
``enrollExisting``: no change will enroll it while it keeps meeting them (E-1), so the verdict says so
and how to enroll it, rather than "meets the triggers"."""

from typing import Any

from crmflow.workflow_admin.explain import MEETS, MET_BEFORE
from crmflow_local.runtime import Runtime
from engine_support import contact, create_workflow, define_property, ok, update, workflow

SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}
WAIT_ONE_DAY = {"type": "DELAY", "delay": {"days": 1}}


def explain(rt: Runtime, workflow_id: str, record_id: str) -> dict[str, Any]:
    return ok(rt.api("GET", f"/workflows/{workflow_id}/explain/{record_id}"))


def lead_workflow(rt: Runtime, **enrollment: Any) -> str:
    define_property(rt, "nurtured")
    definition = workflow(WAIT_ONE_DAY, SET_NURTURED)
    if enrollment:
        definition["enrollment"] = enrollment
    return create_workflow(rt, definition, enable=False)


def turn_on(rt: Runtime, workflow_id: str, existing: bool) -> None:
    ok(rt.api("POST", f"/workflows/{workflow_id}/enable", {"enrollExisting": existing}))
    rt.settle()


def test_a_lead_from_before_the_workflow_was_turned_on_is_told_to_use_enroll_existing(rt: Runtime) -> None:
    record = contact(rt, lifecyclestage="lead")
    rt.settle()  # its creation has reached the records stream: it changes nothing any more
    workflow_id = lead_workflow(rt)
    turn_on(rt, workflow_id, existing=False)  # at the same instant of the virtual clock

    answer = explain(rt, workflow_id, record)
    assert (
        answer["verdict"]
        == MET_BEFORE
        == ("met the triggers before it was turned on; turn on with enrollExisting to enroll it")
    )
    assert answer["wouldEnroll"] is False and answer["reasons"] == [MET_BEFORE]
    assert answer["triggers"]["met"] is True and answer["enrollment"] is None

    # a later change that keeps it meeting them enrolls nothing, and the verdict stays: the kept history
    # of lifecyclestage shows it was a lead when the workflow was turned on
    rt.advance("PT1H")
    update(rt, record, firstname="Ada")
    rt.settle()
    assert ok(rt.api("GET", f"/workflows/{workflow_id}/enrollments"))["results"] == []
    assert explain(rt, workflow_id, record)["verdict"] == MET_BEFORE

    # doing what it says enrolls it
    ok(rt.api("POST", f"/workflows/{workflow_id}/disable"))
    turn_on(rt, workflow_id, existing=True)
    answer = explain(rt, workflow_id, record)
    assert answer["verdict"] == "already enrolled" and answer["enrollment"]["status"] == "ACTIVE"


def test_a_lead_that_started_to_meet_them_while_the_workflow_was_off_gets_the_same_verdict(
    rt: Runtime,
) -> None:
    record = contact(rt, lifecyclestage="subscriber")
    workflow_id = lead_workflow(rt)
    turn_on(rt, workflow_id, existing=False)
    ok(rt.api("POST", f"/workflows/{workflow_id}/disable"))
    rt.advance("PT1H")
    update(rt, record, lifecyclestage="lead")  # while off: nothing enrolls (W-1)
    rt.settle()
    rt.advance("PT1H")
    turn_on(rt, workflow_id, existing=False)
    assert explain(rt, workflow_id, record)["verdict"] == MET_BEFORE


def test_a_record_that_starts_to_meet_them_after_it_was_turned_on_still_meets_them(rt: Runtime) -> None:
    record = contact(rt, lifecyclestage="subscriber")
    workflow_id = lead_workflow(rt)
    turn_on(rt, workflow_id, existing=False)
    rt.advance("PT1H")
    update(rt, record, lifecyclestage="lead")
    # before the records stream has run: the history says it was not a lead when the workflow was
    # turned on, so the change will enroll it
    answer = explain(rt, workflow_id, record)
    assert answer["verdict"] == MEETS and answer["wouldEnroll"] is True
    rt.settle()
    assert explain(rt, workflow_id, record)["verdict"] == "already enrolled"


def test_a_record_created_after_it_was_turned_on_is_not_said_to_have_met_them_before(rt: Runtime) -> None:
    workflow_id = lead_workflow(rt)
    turn_on(rt, workflow_id, existing=False)
    rt.advance("PT1H")
    record = contact(rt, lifecyclestage="lead")
    assert explain(rt, workflow_id, record)["verdict"] == MEETS  # the stream has not run yet
    rt.settle()
    assert explain(rt, workflow_id, record)["verdict"] == "already enrolled"


def test_a_trigger_on_a_property_without_history_changed_since_is_judged_by_the_engine_rule(
    rt: Runtime,
) -> None:
    # firstname keeps no history, and the record changed after the workflow was turned on: a record that
    # meets the triggers and was never enrolled has met them since before (the engine enrolls at the
    # change that makes it meet them)
    filters = [{"propertyName": "firstname", "operator": "EQ", "value": "Ada"}]
    record = contact(rt, firstname="Ada")
    rt.settle()
    workflow_id = lead_workflow(rt, filterGroups=[{"filters": filters}])
    turn_on(rt, workflow_id, existing=False)
    rt.advance("PT1H")
    update(rt, record, lastname="Lovelace")
    rt.settle()
    assert explain(rt, workflow_id, record)["verdict"] == MET_BEFORE


def test_a_workflow_that_is_off_says_so_first(rt: Runtime) -> None:
    record = contact(rt, lifecyclestage="lead")
    workflow_id = lead_workflow(rt)
    assert explain(rt, workflow_id, record)["reasons"] == ["workflow is off"]
