"""Business events from the EventBridge bus and the events queue: event triggers."""

from crmflow.engine.lambda_adapters import events_handler

lambda_handler = events_handler()
