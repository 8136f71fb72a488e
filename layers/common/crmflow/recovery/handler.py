"""The enrollment-failed Lambda's adapter: the state machine's catch-all task, or an EventBridge
"Step Functions Execution Status Change" event for an execution that died another way."""

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmflow.recovery import failures

logger = Logger(service="crmflow")
metrics = Metrics(namespace="crmflow")
_RUN = "-run"


def _run_of(execution_name: str) -> int:
    """The run number in an execution's name (``wf1-r2-e1`` is run 0, ``...-run3`` run 3)."""
    head, _, tail = execution_name.rpartition(_RUN)
    return int(tail) if head and tail.isdigit() else 0


@metrics.log_metrics
@logger.inject_lambda_context
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "Step Functions Execution Status Change":
        detail = event.get("detail") or {}
        failed = failures.on_execution_ended(
            str(detail.get("input") or "{}"), str(detail.get("status")), _run_of(str(detail.get("name", "")))
        )
    else:
        failed = failures.on_step_failed(event)
    if failed:
        metrics.add_metric(name="EnrollmentsFailed", unit=MetricUnit.Count, value=1)
        logger.error("enrollment failed", extra={"event": json.dumps(event, default=str)[:2000]})
    return {"failed": failed}
