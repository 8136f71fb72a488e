"""The workflow file: one workflow per YAML file, as ``crmflow workflows export`` writes it.

::

    # <header comment>
    id: '1'              # the workflow (absent in a new file: apply creates it)
    revision: 3          # the revision exported (apply refuses the file if the workflow moved on)
    name: Welcome new leads
    objectType: contacts
    ...                  # the rest of the definition, in the definition's own field order
    actions:
    - id: '2'
      next: null
      type: SEND_EMAIL
      emailId: '1'  # email "Trial tips"

The body is the definition exactly as ``GET /workflows/{id}`` answers it (defaults filled in), so a
file exported twice from the same workflow is the same bytes. Names of referenced emails, lists,
workflows, teams and forms are comments; comments are not read back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmflow_local.workflows_code import yamltext
from crmflow_local.workflows_code.references import Names, references

HEADER = (
    "# A crmflow workflow, written by `crmflow workflows export` (docs/workflows-as-code.md).\n"
    "# id and revision are the workflow and the revision it was exported at: `crmflow workflows apply`\n"
    "# refuses this file if the workflow changed since. Comments are not kept.\n"
)
METADATA = ("id", "revision", "enabled", "createdAt", "updatedAt")
"""Fields the API adds to a definition in its answers."""
SUFFIXES = (".yaml", ".yml")


def definition_of(body: dict[str, Any]) -> dict[str, Any]:
    """The definition part of an API answer (without id, revision, enabled and the timestamps)."""
    return {key: value for key, value in body.items() if key not in METADATA}


def render(
    definition: dict[str, Any],
    workflow_id: str | None,
    revision: int | None,
    names: Names | None = None,
    *,
    header: bool = True,
) -> str:
    """The file's text: header, ``id`` and ``revision`` (when known), the definition, and a name
    comment after each referenced id."""
    data: dict[str, Any] = {}
    if workflow_id is not None:
        data["id"] = str(workflow_id)
    if revision is not None:
        data["revision"] = revision
    data.update(definition)
    text = yamltext.dump(data)
    if names is not None:
        text = _with_names(text, definition, names)
    return (HEADER if header else "") + text


def _with_names(text: str, definition: dict[str, Any], names: Names) -> str:
    lines = text.split("\n")
    _, root = yamltext.parse(text)
    for path, kind, item_id in references(definition):
        comment = names.comment(kind, item_id)
        if comment is not None:
            index = yamltext.line_of(root, path) - 1
            lines[index] += f"  # {comment}"
    return "\n".join(lines)


def slug(name: str) -> str:
    """``Welcome new leads!`` → ``welcome-new-leads``: lower-case ASCII words joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return words[:60].rstrip("-") or "workflow"


def file_name(name: str, workflow_id: str) -> str:
    """The file export writes a new workflow to: its name's slug and its id."""
    return f"{slug(name)}-{workflow_id}.yaml"


class FileProblem(Exception):
    """A problem with a workflow file, at a line: shown as ``path:line: message``."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass
class WorkflowFile:
    path: Path
    text: str
    root: Any  # the yaml node tree, for lines
    id: str | None
    revision: int | None
    definition: dict[str, Any]

    def line_of(self, field_path: str) -> int:
        return yamltext.line_of(self.root, field_path)

    def problem(self, field_path: str | None, message: str) -> FileProblem:
        return FileProblem(self.path, self.line_of(field_path) if field_path else 1, message)


def read(path: Path) -> WorkflowFile:
    """A workflow file, read and checked for what the API does not check: YAML, a mapping, ``id``
    and ``revision``. The definition itself is for the API to judge."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FileProblem(path, 1, f"cannot read it: {error}") from None
    try:
        data, root = yamltext.parse(text)
    except yamltext.TextProblem as problem:
        raise FileProblem(path, problem.line, problem.message) from None
    if not isinstance(data, dict):
        raise FileProblem(path, 1, "a workflow file holds one mapping: the workflow definition")
    found = WorkflowFile(path, text, root, None, None, {})
    workflow_id, revision = data.get("id"), data.get("revision")
    if workflow_id is not None:
        if isinstance(workflow_id, bool) or not isinstance(workflow_id, str | int) or not str(workflow_id):
            raise found.problem("id", f"id: the workflow's id, a string; got {workflow_id!r}")
        found.id = str(workflow_id)
        if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
            raise found.problem(
                "revision" if "revision" in data else "id",
                f"revision: the revision the file was exported at (a whole number from 1) goes with id; "
                f"got {revision!r}",
            )
        found.revision = revision
    elif revision is not None:
        raise found.problem("revision", "revision: a file without id is a new workflow; it has no revision")
    found.definition = {key: value for key, value in data.items() if key not in ("id", "revision")}
    return found


def workflow_files(directory: Path) -> list[Path]:
    """The workflow files of a directory (``*.yaml``, ``*.yml``; not its subdirectories), by name."""
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in SUFFIXES)
