"""``POST /workflows/{id}/test``: read what test mode needs (read-only), then play it.

Everything is read before the simulation starts or through read-only lookups; nothing is written,
sent or called (see :mod:`crmflow.workflow_admin.simulate`).
"""

from collections.abc import Mapping
from datetime import datetime

from crmflow import clock, emails, settings
from crmflow.access import users
from crmflow.engine import store as engine_store
from crmflow.engine import suppression
from crmflow.errors import NotFound
from crmflow.records import properties as property_defs
from crmflow.records import service as records
from crmflow.records.models import Record
from crmflow.workflow_admin import service
from crmflow.workflow_admin.simulate import Account, SimulatedPath, simulate
from crmflow.workflows import store as workflows


def run(workflow_id: str, record_id: str, days: int) -> SimulatedPath:
    """The path ``record_id`` would take if enrolled in the workflow now, for ``days`` days.

    A workflow that is off is played as if it were on: test mode is how one tries a workflow
    before turning it on (``workflowEnabled`` in the answer says it is off).
    """
    workflow = service.require(workflow_id)
    object_type = workflow.objectType
    record = records.get_record(object_type, record_id)
    if record is None:
        raise NotFound(f"recordId: {object_type} {record_id} does not exist")

    def apply_update(
        current: Record, values: Mapping[str, str | None], at: datetime
    ) -> dict[str, str | None]:
        return records.preview_update(object_type, current, values, clock.iso(at))

    account = Account(
        email_state=emails.state_of,
        owner_sync=settings.get_ownership().syncContactCompanyOwner,
        property_types={
            name: str(spec.type) for name, spec in property_defs.definitions(object_type).items()
        },
        apply_update=apply_update,
        workflow=workflows.get,
        rotation_turn=lambda action_id: engine_store.read_counter(workflow.id, f"rotate-{action_id}"),
        suppressed=lambda current: suppression.blocks_enrollment(workflow, current),
        team_members=users.team_member_ids,
    )
    return simulate(workflow, record, clock.now(), days, account, enabled=True)
