"""Shared fixtures: a fresh embedded runtime per test, started at a fixed instant."""

from collections.abc import Iterator

import pytest
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer

START = "2026-12-01T08:00:00Z"  # a Tuesday


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with Runtime(start=START) as runtime:
        yield runtime


@pytest.fixture
def server(rt: Runtime) -> Iterator[LocalServer]:
    """``rt`` served by ``crmflow serve``'s server on a free port of 127.0.0.1."""
    local = LocalServer(rt, "127.0.0.1", 0).start()
    yield local
    local.close()
