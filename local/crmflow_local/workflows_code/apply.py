"""``crmflow workflows apply``: make the live workflows what the files say.

The plan is made first (:mod:`.plan`); then each file on its own: a creation is a
``POST /workflows``, an update a ``PUT /workflows/{id}`` with the revision the file was exported at,
so the API refuses it with 409 if the workflow changed even between the plan and the write. A file
in conflict or invalid is not applied; the others are. Nothing is ever deleted, and turning
workflows on or off is not part of a file (a created workflow is off).

Each file applied is written again as ``export`` would write it from the API's answer: its new
``revision`` (and, for a creation, its ``id``), so the directory is again an export of what is live
and the next apply checks against the right revision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from crmflow_local.workflows_code import fileformat
from crmflow_local.workflows_code.client import Api, ApiFailure
from crmflow_local.workflows_code.plan import (
    CONFLICT,
    CREATE,
    INVALID,
    UNCHANGED,
    UNMANAGED,
    UPDATE,
    Change,
    api_problems,
    plan,
    report,
    summary,
    write_consequences,
)
from crmflow_local.workflows_code.references import Names


def _rewrite(path: Path, body: dict[str, Any], names: Names) -> None:
    names.remember("workflow", body["id"], body["name"])
    text = fileformat.render(fileformat.definition_of(body), body["id"], body["revision"], names)
    path.write_text(text, encoding="utf-8")


def apply_change(api: Api, change: Change, names: Names) -> str | None:
    """Carries out one planned change; a line saying what was done, or None when nothing was."""
    file = change.file
    if file is None:
        return None
    try:
        if change.kind == CREATE:
            body = api.call("POST", "/workflows", file.definition)
            _rewrite(file.path, body, names)
            return (
                f'{file.path}: created workflow {body["id"]} "{body["name"]}" at revision {body["revision"]} '
                f"(it is off: POST /workflows/{body['id']}/enable turns it on)"
            )
        if change.kind == UPDATE:
            body = api.call("PUT", f"/workflows/{file.id}", {**file.definition, "revision": file.revision})
            _rewrite(file.path, body, names)
            return (
                f'{file.path}: updated workflow {body["id"]} "{body["name"]}" to revision {body["revision"]}'
            )
        if change.kind == UNCHANGED and change.stale and change.live is not None:
            _rewrite(file.path, change.live, names)
            return f"{file.path}: the file's revision is now {change.live['revision']}"
    except ApiFailure as failure:
        if failure.status == 400:
            change.kind = INVALID
            change.problems = api_problems(file, failure.message)
        elif failure.status == 409:
            change.kind = CONFLICT
            change.problems = [
                f"{file.path}: conflict: {failure.message}; it changed since the export. Nothing is applied "
                "for it: export it again and plan again."
            ]
        else:
            raise
        return "\n".join(change.problems)
    return None


def run(api: Api, directory: Path, out: TextIO) -> int:
    """Apply every file that can be; 0 when all could, 1 when one is invalid or in conflict."""
    names = Names(api)
    changes = plan(api, directory, names)
    for change in changes:
        report(change, out, with_consequences=False)
        done = apply_change(api, change, names)
        if done:
            out.write(done + "\n")
        if change.kind == UPDATE:
            write_consequences(change, out)
    verbs = {
        CREATE: "created",
        UPDATE: "updated",
        UNCHANGED: "unchanged",
        CONFLICT: "in conflict (not applied)",
        INVALID: "invalid (not applied)",
        UNMANAGED: "live without a file (left alone)",
    }
    out.write(f"apply: {summary(changes, verbs)}\n")
    return 1 if any(change.kind in (CONFLICT, INVALID) for change in changes) else 0
