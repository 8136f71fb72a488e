"""The Makefile: ``make help`` lists every target, and each target installs only what it uses (``make demo``
and ``make test`` only .venv; SAM CLI and checkov, each in its own venv, only for the targets that run
them). Checked with ``make -n`` (what make would run) in an empty copy, so nothing is installed."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKEFILE = ROOT / "Makefile"
INPUTS = ("requirements.txt", "requirements-dev.txt", "pyproject.toml", "tools/sam-requirements.txt")
INPUTS += ("tools/checkov-requirements.txt",)

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def _phony() -> list[str]:
    [line] = [line for line in MAKEFILE.read_text().splitlines() if line.startswith(".PHONY:")]
    return line.split(":", 1)[1].split()


def _make(directory: Path, *args: str) -> str:
    done = subprocess.run(["make", "-C", str(directory), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A checkout with nothing installed: the Makefile and the files its stamps depend on."""
    shutil.copy(MAKEFILE, tmp_path / "Makefile")
    for name in INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    return tmp_path


def test_make_help_lists_every_target_with_one_line(fresh: Path) -> None:
    shown = {}
    for line in _make(fresh, "-s", "help").splitlines():
        match = re.fullmatch(r"  make (\S+) +(\S.*)", line)
        assert match, f"not a help line: {line!r}"
        shown[match[1]] = match[2]
    assert sorted(shown) == sorted(_phony())
    assert _make(fresh, "-s") == _make(fresh, "-s", "help"), "plain `make` shows the help"


def _installs(fresh: Path, target: str) -> set[str]:
    """The venvs ``make target`` would create on a fresh checkout."""
    commands = _make(fresh, "-n", target)
    return set(re.findall(r"-m venv (\S+)", commands))


@pytest.mark.parametrize(
    ("target", "venvs"),
    [
        ("demo", {".venv"}),
        ("test", {".venv"}),
        ("test-slow", {".venv"}),
        ("serve", {".venv"}),
        ("lint", {".venv"}),
        ("validate", {".venv", ".venv-sam"}),
        ("build", {".venv", ".venv-sam"}),
        ("checkov", {".venv", ".venv-checkov"}),
        ("check", {".venv", ".venv-sam", ".venv-checkov"}),
    ],
)
def test_each_target_installs_only_what_it_uses(fresh: Path, target: str, venvs: set[str]) -> None:
    assert _installs(fresh, target) == venvs


def test_sam_and_checkov_are_installed_once_and_linked_into_the_main_venv(fresh: Path) -> None:
    commands = _make(fresh, "-n", "check")
    assert commands.count("-r tools/sam-requirements.txt") == 1
    assert commands.count("-r tools/checkov-requirements.txt") == 1
    assert "ln -sf ../../.venv-sam/bin/sam .venv/bin/sam" in commands
    assert "ln -sf ../../.venv-checkov/bin/checkov .venv/bin/checkov" in commands
    for stamp in (".venv/.installed", ".venv-sam/.installed", ".venv-checkov/.installed"):
        assert f"touch {stamp}" in commands


def test_ci_still_checks_then_runs_every_test() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    steps = re.findall(r"^make (\S+)$", script, re.MULTILINE)
    assert [step for step in steps if step != "setup"] == ["check", "test", "test-boto3", "test-slow"]
