"""What a definition refers to by id (marketing emails, suppression lists, workflows, teams, forms),
and the names those ids stand for, which exported files show as comments.

The ids are what the API stores and checks (an unknown email or list is its 400, naming the field),
so the files keep them; a name is only a reading aid, looked up afresh at every export.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crmflow_local.workflows_code.client import Api, ApiFailure

KINDS = ("email", "list", "workflow", "team", "form")


def references(definition: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """``(field path, kind, id)`` of every id the definition refers to, in file order."""
    event = (definition.get("enrollment") or {}).get("event") or {}
    if isinstance(event, dict):
        if event.get("workflowId"):
            yield "enrollment.event.workflowId", "workflow", str(event["workflowId"])
        if event.get("formId"):
            yield "enrollment.event.formId", "form", str(event["formId"])
    for k, list_id in enumerate(definition.get("suppressionListIds") or []):
        yield f"suppressionListIds[{k}]", "list", str(list_id)
    for i, action in enumerate(definition.get("actions") or []):
        if not isinstance(action, dict):
            continue
        kind = {"SEND_EMAIL": ("emailId", "email"), "ENROLL_IN_WORKFLOW": ("workflowId", "workflow")}.get(
            str(action.get("type"))
        )
        if kind and action.get(kind[0]) is not None:
            yield f"actions[{i}].{kind[0]}", kind[1], str(action[kind[0]])
        if action.get("type") == "ROTATE_OWNER" and action.get("teamId"):
            yield f"actions[{i}].teamId", "team", str(action["teamId"])


class Names:
    """The names of referenced things, read from the API once per run."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._known: dict[tuple[str, str], str | None] = {}
        self._listed: set[str] = set()

    def remember(self, kind: str, item_id: str, name: str) -> None:
        self._known[(kind, item_id)] = name

    def comment(self, kind: str, item_id: str) -> str | None:
        """``email "Trial tips"``, ``no such list``, or None when the name cannot be read."""
        try:
            name = self._name(kind, item_id)
        except ApiFailure:
            return None
        return f'{kind} "{name}"' if name is not None else f"no such {kind}"

    def _name(self, kind: str, item_id: str) -> str | None:
        if (kind, item_id) in self._known:
            return self._known[(kind, item_id)]
        listing = {"email": "/marketing/v3/emails", "team": "/settings/teams", "form": "/marketing/v3/forms"}
        if kind in listing and kind not in self._listed:
            self._listed.add(kind)
            for item in self.api.get(listing[kind])["results"]:
                self._known[(kind, str(item["id"]))] = item.get("name")
        elif kind == "list":
            found = self.api.find(f"/crm/v3/lists/{item_id}")
            self._known[(kind, item_id)] = found["list"].get("name") if found else None
        elif kind == "workflow":
            found = self.api.find(f"/workflows/{item_id}")
            self._known[(kind, item_id)] = found.get("name") if found else None
        return self._known.setdefault((kind, item_id), None)
