"""``crmflow workflows plan``: what applying a directory of workflow files would change, changing
nothing.

For each file: it must parse; the API judges the definition; then it is compared with the live
workflow of its ``id``:

- no ``id``: a **creation**;
- the live workflow is at the revision the file was exported at: an **update** when the definition
  differs (a unified diff of the two as YAML, and the consequences for the records in the workflow),
  otherwise **unchanged**;
- the live workflow moved on (another revision) or was deleted: a **conflict**, never an overwrite
  (unless the file already says what the live workflow says: then it is unchanged, and apply brings
  the file's revision up to date).

The API judges without saving: the file is sent as ``PUT /workflows/{id}`` with revision 0, which
no workflow ever has. The API parses and checks the definition before anything else, so an invalid
one gets its 400 with its message; a valid one gets 409 (stale revision) or 404 (a new file, sent to
id 0), and nothing is saved either way. The checks that need the account's data (properties, emails,
lists, teams) come after the revision check, so only ``apply`` meets those; its 400s are mapped to
lines the same way.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from crmflow.workflows.models import WorkflowDefinition
from pydantic import ValidationError

from crmflow_local.workflows_code import fileformat, yamltext
from crmflow_local.workflows_code.client import Api, ApiFailure
from crmflow_local.workflows_code.consequences import consequences
from crmflow_local.workflows_code.fileformat import FileProblem, WorkflowFile
from crmflow_local.workflows_code.references import Names

NEVER_A_REVISION = 0
NEVER_AN_ID = "0"

CREATE, UPDATE, UNCHANGED, CONFLICT, INVALID = "create", "update", "unchanged", "conflict", "invalid"
UNMANAGED = "unmanaged"
"""A live workflow that no file of the directory holds: apply leaves it alone."""


@dataclass
class Change:
    """One file's plan (or, with ``file`` None, a live workflow no file holds)."""

    path: Path
    kind: str
    file: WorkflowFile | None = None
    live: dict[str, Any] | None = None
    definition: dict[str, Any] | None = None  # the file's definition as the API would store it
    diff: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # path:line: message
    notes: list[str] = field(default_factory=list)
    consequences: list[str] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        """Unchanged, but the file names an older revision than the live one."""
        return bool(self.file and self.live and self.file.revision != self.live["revision"])


def api_problems(file: WorkflowFile, message: str) -> list[str]:
    """An API 400 as ``path:line: problem`` lines, one per problem of the message, in its words."""
    return [
        f"{file.path}:{file.line_of(path) if path else 1}: {text}"
        for path, text in yamltext.split_problems(message)
    ]


def judged_by_api(api: Api, file: WorkflowFile) -> list[str]:
    """The API's 400 problems for the file's definition, without saving anything (see above)."""
    try:
        api.call(
            "PUT", f"/workflows/{file.id or NEVER_AN_ID}", {**file.definition, "revision": NEVER_A_REVISION}
        )
    except ApiFailure as failure:
        if failure.status == 400:
            return api_problems(file, failure.message)
        if failure.status in (404, 409):
            return []
        raise
    raise RuntimeError(f"PUT /workflows/{file.id} with revision 0 was accepted; it should never be")


def _schema_names(schema: Any, into: set[str]) -> set[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                into.update(value)
            _schema_names(value, into)
    elif isinstance(schema, list):
        for item in schema:
            _schema_names(item, into)
    return into


FIELD_NAMES = _schema_names(WorkflowDefinition.model_json_schema(), set())


def ignored_keys(written: Any, stored: Any, path: str = "") -> list[str]:
    """Paths of keys the file gives that are no field anywhere in a definition and that the API
    would drop (it ignores unknown fields): most likely typos, such as ``delay: {day: 2}``."""
    found: list[str] = []
    if isinstance(written, dict) and isinstance(stored, dict):
        for key, value in written.items():
            inner = f"{path}.{key}" if path else str(key)
            if key in stored:
                found += ignored_keys(value, stored[key], inner)
            elif str(key) not in FIELD_NAMES:
                found.append(inner)
    elif isinstance(written, list) and isinstance(stored, list):
        for index, (item, kept) in enumerate(zip(written, stored, strict=False)):
            found += ignored_keys(item, kept, f"{path}[{index}]")
    return found


def render_side(
    definition: dict[str, Any], workflow_id: str | None, revision: int | None, names: Names
) -> list[str]:
    """A side of a diff: the text export would write (line numbers are an exported file's)."""
    return fileformat.render(definition, workflow_id, revision, names).splitlines()


def _diff(before: list[str], after: list[str], before_name: str, after_name: str) -> list[str]:
    return list(difflib.unified_diff(before, after, before_name, after_name, lineterm=""))


def plan_file(api: Api, file: WorkflowFile, names: Names) -> Change:
    change = Change(file.path, INVALID, file)
    change.problems = judged_by_api(api, file)
    if change.problems:
        return change
    try:
        model = WorkflowDefinition.model_validate(file.definition)
    except ValidationError as error:  # the API took it: this CLI is older than the API
        change.problems = [
            f"{file.path}:1: the API accepts this definition, this crmflow cannot read it: {error}"
        ]
        return change
    definition = change.definition = model.model_dump(mode="json")
    change.notes += [
        f"{file.path}:{file.line_of(key)}: warning: '{key}' is not a field of a workflow definition; "
        "the API ignores it"
        for key in ignored_keys(file.definition, definition)
    ]
    after = render_side(definition, file.id, file.revision, names)
    if file.id is None:
        change.kind = CREATE
        change.diff = _diff([], after, "/dev/null", str(file.path))
        return change
    live = change.live = api.find(f"/workflows/{file.id}")
    if live is None:
        change.kind = CONFLICT
        change.problems = [
            f"{file.path}: conflict: workflow {file.id} was deleted since the export (revision "
            f"{file.revision}). To create it again, remove the id and revision lines; or delete the file."
        ]
        return change
    live_definition = fileformat.definition_of(live)
    before = render_side(live_definition, live["id"], live["revision"], names)
    label = f"live workflow {live['id']} (revision {live['revision']})"
    if live_definition == definition:
        change.kind = UNCHANGED
        if change.stale:
            change.notes.append(
                f"{file.path}: the workflow is at revision {live['revision']}, the file says "
                f"{file.revision}; the definitions are the same, and apply brings the file's revision "
                "up to date"
            )
        return change
    change.diff = _diff(before, after, label, str(file.path))
    if live["revision"] != file.revision:
        change.kind = CONFLICT
        change.problems = [
            f"{file.path}: conflict: workflow {file.id} is at revision {live['revision']}, and this file was "
            f"exported at revision {file.revision}: it changed since the export. Nothing is applied for it: "
            "export it again (or bring the live change into the file and set its revision) and plan again."
        ]
        return change
    change.kind = UPDATE
    stats = api.get(f"/workflows/{file.id}/stats")
    old = WorkflowDefinition.model_validate(live_definition)
    change.consequences = consequences(old, model, stats, bool(live.get("enabled")))
    return change


def plan(api: Api, directory: Path, names: Names) -> list[Change]:
    """A change per workflow file of ``directory`` (by file name), then one per live workflow that
    no file holds."""
    live_workflows = list(api.workflows())
    for live in live_workflows:
        names.remember("workflow", live["id"], live["name"])
    changes: list[Change] = []
    owner: dict[str, Path] = {}
    for path in fileformat.workflow_files(directory):
        try:
            file = fileformat.read(path)
        except FileProblem as problem:
            changes.append(Change(path, INVALID, problems=[str(problem)]))
            continue
        if file.id is not None and file.id in owner:
            duplicate = file.problem(
                "id", f"id: workflow {file.id} is also in {owner[file.id]}; a workflow has one file"
            )
            changes.append(Change(path, INVALID, file, problems=[str(duplicate)]))
            continue
        if file.id is not None:
            owner[file.id] = path
        changes.append(plan_file(api, file, names))
    changes += [
        Change(
            directory,
            UNMANAGED,
            live=live,
            notes=[
                f'workflow {live["id"]} "{live["name"]}" has no file in {directory}: apply leaves it alone'
            ],
        )
        for live in live_workflows
        if live["id"] not in owner
    ]
    return changes


def headline(change: Change) -> str | None:
    file, live = change.file, change.live
    name = (change.definition or (file.definition if file else {}) or live or {}).get("name")
    if change.kind == CREATE:
        return f'{change.path}: create a workflow "{name}"'
    if change.kind == UPDATE and live:
        return f'{change.path}: update workflow {live["id"]} "{name}" (revision {live["revision"]})'
    if change.kind == UNCHANGED and file and live:
        return f'{change.path}: no changes to workflow {live["id"]} "{name}"'
    return None  # a conflict or an invalid file: its problems name the file


def report(change: Change, out: TextIO, *, with_consequences: bool = True) -> None:
    """A change, as plan and apply show it: a headline (not for a live workflow without a file),
    the problems, the diff, warnings, and (unless told not to) the consequences."""
    title = headline(change) if change.kind != UNMANAGED else None
    if title:
        out.write(title + "\n")
    for line in change.problems + change.diff + change.notes:
        out.write(line + "\n")
    if with_consequences:
        write_consequences(change, out)


def write_consequences(change: Change, out: TextIO) -> None:
    if change.consequences:
        out.write("consequences for the records in the workflow:\n")
        for line in change.consequences:
            out.write(f"  - {line}\n")


def count(changes: list[Change], kind: str) -> int:
    return sum(1 for change in changes if change.kind == kind)


def summary(changes: list[Change], verbs: dict[str, str]) -> str:
    """``1 to update, 2 unchanged``: the kinds that occur, in the order of ``verbs``."""
    parts = [f"{count(changes, kind)} {verb}" for kind, verb in verbs.items() if count(changes, kind)]
    return ", ".join(parts) or "no workflow files and no workflows"


def run(api: Api, directory: Path, out: TextIO) -> int:
    """Print the plan; 0 when every file can be applied, 1 when one is invalid or in conflict."""
    changes = plan(api, directory, Names(api))
    for change in changes:
        report(change, out)
    verbs = {
        CREATE: "to create",
        UPDATE: "to update",
        UNCHANGED: "unchanged",
        CONFLICT: "in conflict",
        INVALID: "invalid",
        UNMANAGED: "live without a file",
    }
    out.write(f"plan: {summary(changes, verbs)}\n")
    return 1 if any(change.kind in (CONFLICT, INVALID) for change in changes) else 0
