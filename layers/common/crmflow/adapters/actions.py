"""The action Lambdas' adapter: Powertools logging around one step of an enrollment."""

import importlib
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from crmflow.engine import actions

logger = Logger(service="crmflow")
Handler = Callable[[dict[str, Any], LambdaContext], Any]


def action_handler(action_type: str) -> Handler:
    """The handler of the Lambda that runs ``action_type`` steps of enrollments."""
    for module in actions.IMPORTS.get(action_type, ()):  # at init, as the step gate's modules are
        importlib.import_module(module)

    @logger.inject_lambda_context(correlation_id_path="enrollmentId")
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return actions.handle(event, action_type)

    return handler
