"""The SEND_EMAIL action Lambda. The gate and the at-most-once claim are in crmflow.engine.steps."""

from crmflow.adapters.actions import action_handler

lambda_handler = action_handler("SEND_EMAIL")
