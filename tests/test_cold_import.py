"""What each Lambda imports at cold start: its ``functions/<name>/app.py`` in a fresh interpreter, on
the path Lambda gives it (the layer, then the function's folder), and the modules it then holds.

No handler imports the embedded runtime (``crmflow_local``). Only the API function imports the
HTTP API and what only it needs (request routing, the OpenAPI document, explain/simulate, the
records search, pipeline editing). An action Lambda imports neither Powertools' batch processing
(the stream and queue handlers' tool) nor another action type's executor modules, and does import
its own at init (``crmflow.engine.actions.IMPORTS``). What is imported is asserted, never how long it
takes (``benchmarks/cold_import.py`` measures that).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from crmflow.engine import actions

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
LAYER = ROOT / "layers" / "common"
HANDLERS = sorted(path.parent.name for path in FUNCTIONS.glob("*/app.py"))
ACTION_HANDLERS = [name for name in HANDLERS if name.startswith("action_")]

LOCAL_ONLY = ("crmflow_local",)
API_ONLY = (
    "crmflow.api",
    "crmflow.workflow_admin",  # explain, simulate, test mode, the workflows service
    "crmflow.records.search",
    "crmflow.pipeline_edits",
)
BATCH = ("aws_lambda_powertools.utilities.batch",)

_PROBE = """
import json, sys
sys.path[:0] = [{layer!r}, {folder!r}]
import app
assert callable(app.lambda_handler)
print(json.dumps(sorted(sys.modules)))
"""


def _import(name: str) -> set[str]:
    code = _PROBE.format(layer=str(LAYER), folder=str(FUNCTIONS / name))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=FUNCTIONS / name, timeout=120
    )
    assert done.returncode == 0, f"{name}: importing app.py failed\n{done.stderr[-3000:]}"
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def loaded() -> dict[str, set[str]]:
    """The modules each handler holds after its cold import (one fresh interpreter per handler)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(HANDLERS, pool.map(_import, HANDLERS), strict=True))


def _under(modules: Iterable[str], packages: Iterable[str]) -> list[str]:
    packages = tuple(packages)
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


def _action_type(name: str) -> str:
    return name.removeprefix("action_").upper()


def test_every_handler_is_probed() -> None:
    assert "api" in HANDLERS and len(ACTION_HANDLERS) == len(actions.EXECUTORS)
    assert {_action_type(name) for name in ACTION_HANDLERS} == set(actions.EXECUTORS)


@pytest.mark.parametrize("name", HANDLERS)
def test_no_handler_imports_the_local_runtime(loaded: dict[str, set[str]], name: str) -> None:
    assert _under(loaded[name], LOCAL_ONLY) == []


@pytest.mark.parametrize("name", [name for name in HANDLERS if name != "api"])
def test_only_the_api_imports_the_api(loaded: dict[str, set[str]], name: str) -> None:
    assert _under(loaded[name], API_ONLY) == []


@pytest.mark.parametrize("name", ACTION_HANDLERS)
def test_an_action_lambda_imports_only_its_own_executor(loaded: dict[str, set[str]], name: str) -> None:
    modules = loaded[name]
    own = set(actions.IMPORTS.get(_action_type(name), ()))
    others = {m for modules_ in actions.IMPORTS.values() for m in modules_} - own
    assert _under(modules, BATCH) == [], "an action Lambda processes no batches"
    assert _under(modules, others) == [], "another action type's executor modules"
    assert own <= modules, "its own executor's modules load at init, not on the first step"


def test_the_api_still_imports_the_api(loaded: dict[str, set[str]]) -> None:
    assert "crmflow.api.app" in loaded["api"]  # the probe sees what it should
