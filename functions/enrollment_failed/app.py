"""Ends an enrollment FAILED when its execution fails (the state machine's catch-all, or a dead
execution seen on EventBridge), with an ERROR log entry and the EnrollmentsFailed metric."""

from crmflow.recovery.handler import handle

lambda_handler = handle
