"""Lifecycle and lead automation from the records table stream (LC-1..LC-5, LD-1..LD-5)."""

from crmflow.automation.handler import handle

lambda_handler = handle
