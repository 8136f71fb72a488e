"""The embedded runtime patches moto at three seams and borrows its EventBridge pattern matcher
(FilterCriteria, in crmflow_local.filtering); these tests fail loudly when moto moves them."""

import inspect

import moto
import pytest
from crmflow_local import moto_seams
from moto.events.exceptions import InvalidEventPatternException
from moto.events.models import EventPattern
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
    seconds,
    seconds_path,
    timestamp,
    wait_function,
)
from moto.stepfunctions.parser.backend import execution_worker


def test_moto_is_the_pinned_version_the_seams_were_written_for():
    assert moto.__version__ == moto_seams.MOTO_VERSION
    with open("requirements-dev.txt") as handle:
        pinned = [line for line in handle if line.startswith("moto")]
    assert pinned and f"=={moto_seams.MOTO_VERSION}" in pinned[0]


def test_lambda_tasks_still_invoke_through_boto_client_for():
    source = inspect.getsource(lambda_eval_utils)
    assert "boto_client_for(" in source
    assert "lambda_client.invoke(**parameters)" in source
    assert 'invocation_resp.get("FunctionError")' in source


def test_wait_states_still_wait_in_wait_function_eval_body():
    body = inspect.getsource(wait_function.WaitFunction._eval_body)
    assert "_get_wait_seconds" in body and "_wait_interval" in body
    for subclass in (seconds.Seconds, seconds_path.SecondsPath, timestamp.Timestamp, timestamp.TimestampPath):
        assert "_eval_body" not in vars(subclass), f"{subclass.__name__} now overrides _eval_body"
    assert hasattr(timestamp.Timestamp, "_from_timestamp_string")


def test_retry_backoff_still_sleeps_through_the_module_time():
    assert "time.sleep(interval_seconds)" in inspect.getsource(retrier_decl.RetrierDecl._eval_body)


def test_executions_still_start_a_thread_on_execution_logic():
    source = inspect.getsource(execution_worker.ExecutionWorker.start)
    assert "Thread(target=self._execution_logic" in source
    assert "env.set_stop" in inspect.getsource(execution_worker.ExecutionWorker.stop)


def test_install_and_uninstall_restore_moto():
    original = lambda_eval_utils.boto_client_for
    from datetime import UTC, datetime

    from crmflow_local.scheduler import Scheduler

    moto_seams.install(Scheduler(datetime(2026, 1, 1, tzinfo=UTC)), lambda name, event: ({}, None))
    assert lambda_eval_utils.boto_client_for is not original
    moto_seams.uninstall()
    assert lambda_eval_utils.boto_client_for is original


def test_event_filtering_still_borrows_moto_eventbridge_pattern_matcher():
    """crmflow_local.filtering compiles with EventPattern.load and asks matches_event, on flattened keys."""
    record = {
        "eventName": "MODIFY",
        "dynamodb": {"Keys": {"pk": {"S": "R#deals"}}, "NewImage": {"kind": {"S": "keep"}}},
        "body": {"n": 7},
    }

    def matches(pattern: str) -> bool:
        return EventPattern.load(pattern).matches_event(record)

    assert matches('{"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}}')
    assert not matches('{"dynamodb": {"NewImage": {"kind": {"S": ["drop"]}}}}')
    assert matches('{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "R#"}]}}}}')
    assert matches('{"eventName": [{"anything-but": ["REMOVE"]}]}')
    assert not matches('{"eventName": [{"anything-but": ["MODIFY"]}]}')
    assert matches('{"dynamodb": {"OldImage": [{"exists": false}]}}')
    assert matches('{"body": {"n": [{"numeric": [">", 5, "<=", 7]}]}}')
    assert matches('{"$or": [{"eventName": ["INSERT"]}, {"body": {"n": [7]}}]}')
    assert not matches('{"$or": [{"eventName": ["INSERT"]}, {"body": {"n": [8]}}]}')
    assert EventPattern.load('{"eventName": ["MODIFY"]}').get_pattern() == {"eventName": ["MODIFY"]}
    for invalid in ("{not json", '{"eventName": "MODIFY"}', '{"eventName": []}'):
        with pytest.raises(InvalidEventPatternException):
            EventPattern.load(invalid)


def test_executions_still_parse_their_program_in_get_evaluation_entrypoint():
    """The parse cache replaces this method; it must still be where the program is parsed."""
    source = inspect.getsource(execution_worker.ExecutionWorker._get_evaluation_entrypoint)
    assert "AmazonStateLanguageParser.parse(" in source
    assert "state_machine_details.definition" in source
    assert "program = self._get_evaluation_entrypoint()" in inspect.getsource(
        execution_worker.ExecutionWorker._execution_logic
    )


def test_cached_programs_are_copies_never_shared_between_executions():
    from types import SimpleNamespace

    with open("statemachines/enrollment.asl.json") as handle:
        definition = handle.read()
    worker = SimpleNamespace(
        _evaluation_details=SimpleNamespace(state_machine_details=SimpleNamespace(definition=definition))
    )
    first = moto_seams._cached_entrypoint(worker)
    second = moto_seams._cached_entrypoint(worker)
    assert type(first).__name__ == "Program" and first is not second
    assert first.states is not second.states


def test_the_fast_path_still_finds_moto_dynamodb_and_streams_handlers_where_it_calls_them():
    """crmflow_local.fast_path sets a handler's body and calls its operation method directly."""
    from crmflow_local import fast_path
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.exceptions import ConditionalCheckFailed
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
    from moto.sqs.responses import SQSResponse

    for operation in fast_path.DIRECT_OPERATIONS:
        source = inspect.getsource(getattr(DynamoHandler, operation))
        assert "self.body" in source, f"DynamoHandler.{operation} no longer reads self.body"
    assert SQSResponse().automated_parameter_parsing  # its operations read self.params
    from moto.ses.responses import EmailResponse

    assert EmailResponse().automated_parameter_parsing
    assert 'self._get_param("RawMessage.Data")' in inspect.getsource(EmailResponse.send_raw_email)
    for operation in fast_path.SQS_OPERATIONS:
        assert "self._get_param(" in inspect.getsource(getattr(SQSResponse, operation))
    assert 'self.body = getattr(self, "params", {})' in inspect.getsource(DynamoHandler.call_action)
    for operation in fast_path.FastStreams._OPERATIONS:
        assert "self._get_param(" in inspect.getsource(getattr(DynamoDBStreamsHandler, operation))
    assert issubclass(ConditionalCheckFailed, JsonRESTError)
    assert "relative_error_type" in dir(JsonRESTError)
