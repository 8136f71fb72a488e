"""Business events from the EventBridge bus and the events queue: activities logged, form submissions,
event triggers. Malformed events go to the dead-letter queue with their reason."""

from crmflow.inbound.handler import handle

lambda_handler = handle
