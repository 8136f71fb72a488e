"""What an enrollment shows while it runs and after it ends (its current or last action)."""

from __future__ import annotations

from crmflow_local.runtime import Runtime
from engine_support import automated_email, contact, create_workflow, define_property, enrollments, workflow


def test_an_enrollment_shows_where_it_waits_and_a_completed_one_the_last_action_it_ran(rt: Runtime) -> None:
    define_property(rt, "nurtured")
    email = automated_email(rt)
    workflow_id = create_workflow(
        rt,
        workflow(
            {"type": "DELAY", "delay": {"hours": 2}},
            {"type": "SEND_EMAIL", "emailId": email},
            {"type": "SET_PROPERTY", "property": "nurtured", "value": "yes"},
        ),
    )
    record = contact(rt, lifecyclestage="lead")
    rt.settle()
    (waiting,) = enrollments(rt, workflow_id)
    assert (waiting["recordId"], waiting["status"], waiting["currentActionId"]) == (record, "ACTIVE", "1")
    assert waiting["waitingUntil"]
    rt.advance("PT3H")
    (done,) = enrollments(rt, workflow_id)
    assert (done["status"], done["currentActionId"], done["waitingUntil"]) == ("COMPLETED", "3", None)
