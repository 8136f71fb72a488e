"""Shared fixtures: a fresh embedded runtime per test, started at a fixed instant."""

from collections.abc import Iterator

import pytest
from crmflow_local.runtime import Runtime

START = "2026-12-01T08:00:00Z"  # a Tuesday


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with Runtime(start=START) as runtime:
        yield runtime
