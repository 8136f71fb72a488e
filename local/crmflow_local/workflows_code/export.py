"""``crmflow workflows export``: every live workflow as a YAML file of a directory.

A workflow that already has a file in the directory (a file with its ``id``) is written to that
file, whatever its name; a new one to ``<slug of its name>-<id>.yaml``. A file is only rewritten
when its text changes, and a file that holds another workflow, or none, is never overwritten.
Files of workflows that no longer exist are left alone (plan and apply call them conflicts).
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from crmflow_local.workflows_code import fileformat
from crmflow_local.workflows_code.client import Api
from crmflow_local.workflows_code.fileformat import FileProblem
from crmflow_local.workflows_code.references import Names


def _files_by_id(directory: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in fileformat.workflow_files(directory):
        try:
            file = fileformat.read(path)
        except FileProblem:
            continue
        if file.id is not None:
            found.setdefault(file.id, path)
    return found


def run(api: Api, directory: Path, out: TextIO) -> int:
    """Write the files; 0, or 1 when a workflow's file name is taken by a file of another one."""
    directory.mkdir(parents=True, exist_ok=True)
    existing = _files_by_id(directory)
    names = Names(api)
    workflows = list(api.workflows())
    for body in workflows:
        names.remember("workflow", body["id"], body["name"])
    code, written, same = 0, 0, 0
    for body in workflows:
        path = existing.get(body["id"]) or directory / fileformat.file_name(body["name"], body["id"])
        if path.exists() and existing.get(body["id"]) != path:
            out.write(
                f"{path}: not written: the file holds another workflow (or none), and workflow {body['id']} "
                "would go there; move it away and export again\n"
            )
            code = 1
            continue
        text = fileformat.render(fileformat.definition_of(body), body["id"], body["revision"], names)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            same += 1
            out.write(
                f'{path}: workflow {body["id"]} "{body["name"]}", revision {body["revision"]} (unchanged)\n'
            )
            continue
        path.write_text(text, encoding="utf-8")
        written += 1
        out.write(f'{path}: workflow {body["id"]} "{body["name"]}", revision {body["revision"]}\n')
    live = {body["id"] for body in workflows}
    for workflow_id, path in sorted(existing.items()):
        if workflow_id not in live:
            out.write(f"{path}: workflow {workflow_id} no longer exists; the file is left alone\n")
    out.write(f"export: {written} written, {same} unchanged, to {directory}\n")
    return code
