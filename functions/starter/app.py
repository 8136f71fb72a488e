"""Starter queue: starts enrollment executions and pages enroll-existing jobs at a bounded rate (E-7)."""

from crmflow.adapters.starter import starter_handler

lambda_handler = starter_handler()
