"""What the web console needs from the API besides the existing routes, without a browser.

- ``GET /crm/v3/objects/{objectType}/{recordId}/workflows``: the workflows a record is in, read only,
  with T-5 applied through the records service (a hidden ticket answers as one that does not exist).
- ``/console`` and its assets: public (no token, like ``/docs``), offline (nothing from another host),
  versioned (an import map of hashed URLs, cached for good), under a Content-Security-Policy that
  allows this host only; the same on AWS under a named stage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from crmflow.api import console, docs
from crmflow.api.app import app, handle
from crmflow_local.runtime import Runtime
from crmflow_local.template import load
from engine_support import chain, create_workflow, ok, workflow

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = "/crm/v3/objects/{type}/{id}/workflows"


def _lead(rt: Runtime, email: str) -> str:
    body = {"properties": {"email": email, "lifecyclestage": "lead"}}
    return str(ok(rt.api("POST", "/crm/v3/objects/contacts", body), 201)["id"])


def _record_workflows(rt: Runtime, object_type: str, record_id: str, **kwargs: Any) -> Any:
    return rt.api("GET", WORKFLOWS.format(type=object_type, id=record_id), **kwargs)


# ---------------------------------------------------------------- the workflows of a record


def test_a_record_lists_each_workflow_it_is_in_with_where_it_is(rt: Runtime) -> None:
    waiting = create_workflow(rt, workflow({"type": "DELAY", "delay": {"days": 2}}, name="Nurture"))
    done = create_workflow(
        rt, workflow({"type": "SET_PROPERTY", "property": "hs_lead_status", "value": "OPEN"}, name="Tag")
    )
    create_workflow(rt, workflow({"type": "DELAY", "delay": {"days": 1}}, name="Off"), enable=False)
    ada = _lead(rt, "ada@example.com")
    rt.settle()

    answer = ok(_record_workflows(rt, "contacts", ada))
    assert [(item["workflowId"], item["status"]) for item in answer["results"]] == [
        (waiting, "ACTIVE"),  # active enrollments first
        (done, "COMPLETED"),
    ]
    active, completed = answer["results"]
    assert active == {
        "workflowId": waiting,
        "name": "Nurture",
        "enabled": True,
        "status": "ACTIVE",
        "currentActionId": "1",
        "waitingUntil": "2026-12-03T08:00:00.000Z",
        "enrolledAt": "2026-12-01T08:00:00.000Z",
        "endedAt": None,
    }
    assert completed["name"] == "Tag" and completed["endedAt"] == "2026-12-01T08:00:00.000Z"
    # HubSpot's other spellings of the type work as everywhere else
    assert ok(_record_workflows(rt, "0-1", ada)) == ok(_record_workflows(rt, "contact", ada))

    rt.advance("P2D")
    statuses = {
        item["workflowId"]: item["status"] for item in ok(_record_workflows(rt, "contacts", ada))["results"]
    }
    assert statuses == {waiting: "COMPLETED", done: "COMPLETED"}


def test_a_deleted_workflow_is_left_out_and_a_record_never_enrolled_has_none(rt: Runtime) -> None:
    workflow_id = create_workflow(rt, workflow({"type": "DELAY", "delay": {"days": 2}}))
    ada = _lead(rt, "ada@example.com")
    grace = str(
        ok(rt.api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "grace@example.com"}}), 201)[
            "id"
        ]
    )
    rt.settle()
    assert len(ok(_record_workflows(rt, "contacts", ada))["results"]) == 1
    assert ok(_record_workflows(rt, "contacts", grace)) == {"results": []}
    ok(rt.api("DELETE", f"/workflows/{workflow_id}"), 204)
    assert ok(_record_workflows(rt, "contacts", ada)) == {"results": []}


def test_missing_archived_and_unknown_types_answer_as_the_record_read_does(rt: Runtime) -> None:
    ada = _lead(rt, "ada@example.com")
    missing = _record_workflows(rt, "contacts", "999")
    assert missing.status == 404
    assert missing.json["message"] == rt.api("GET", "/crm/v3/objects/contacts/999").json["message"]
    ok(rt.api("DELETE", f"/crm/v3/objects/contacts/{ada}"), 204)
    assert _record_workflows(rt, "contacts", ada).status == 404
    assert _record_workflows(rt, "planets", "1").status == 400
    assert _record_workflows(rt, "contacts", ada, token=None).status == 401


def test_a_ticket_the_user_may_not_see_is_unknown_to_it(rt: Runtime) -> None:
    """T-5 through the records service: a TEAM_ONLY user sees its team's ticket's workflows; another
    team's ticket answers exactly as a ticket id that does not exist."""
    mine = str(ok(rt.api("POST", "/settings/teams", {"name": "Tier 1"}), 201)["id"])
    theirs = str(ok(rt.api("POST", "/settings/teams", {"name": "Tier 2"}), 201)["id"])
    permissions = {"tickets": {"access": "TEAM_ONLY", "unassigned": False}}
    siri = ok(
        rt.api(
            "POST",
            "/settings/users",
            {"email": "siri@example.com", "teamIds": [mine], "permissions": permissions},
        ),
        201,
    )
    maja = ok(rt.api("POST", "/settings/users", {"email": "maja@example.com", "teamIds": [theirs]}), 201)
    ticket_workflow = {
        "name": "Ticket follow-up",
        "objectType": "tickets",
        "enrollment": {
            "filterGroups": [{"filters": [{"propertyName": "subject", "operator": "HAS_PROPERTY"}]}]
        },
        "startActionId": "1",
        "actions": chain({"type": "DELAY", "delay": {"days": 1}}),
    }
    create_workflow(rt, ticket_workflow)
    visible = ok(
        rt.api(
            "POST",
            "/crm/v3/objects/tickets",
            {"properties": {"subject": "Mine", "hubspot_owner_id": siri["id"]}},
        ),
        201,
    )["id"]
    hidden = ok(
        rt.api(
            "POST",
            "/crm/v3/objects/tickets",
            {"properties": {"subject": "Theirs", "hubspot_owner_id": maja["id"]}},
        ),
        201,
    )["id"]
    rt.settle()

    as_siri = {"token": siri["token"]}
    assert [item["name"] for item in ok(_record_workflows(rt, "tickets", visible, **as_siri))["results"]] == [
        "Ticket follow-up"
    ]
    hidden_answer = _record_workflows(rt, "tickets", hidden, **as_siri)
    unknown_answer = _record_workflows(rt, "tickets", "999999", **as_siri)
    assert hidden_answer.status == unknown_answer.status == 404
    assert hidden_answer.json["message"].replace(hidden, "<id>") == unknown_answer.json["message"].replace(
        "999999", "<id>"
    )
    assert len(ok(_record_workflows(rt, "tickets", hidden))["results"]) == 1  # the super admin sees it


# ---------------------------------------------------------------- serving the console


def test_the_console_page_and_assets_are_public_versioned_and_offline(rt: Runtime) -> None:
    page = rt.api("GET", "/console", token=None)  # no token: the page holds no data
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert not re.findall(r"https?://", page.body), "the page names another host"

    import_map = re.search(r'<script type="importmap">(.*?)</script>', page.body, re.DOTALL)
    assert import_map
    imports = json.loads(import_map.group(1))["imports"]
    policy = page.headers["content-security-policy"]
    digest = base64.b64encode(hashlib.sha256(import_map.group(1).encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in policy  # the import map, and this host's scripts only
    assert "connect-src 'self'" in policy and "default-src 'none'" in policy

    room = console.ROOM
    modules = sorted(path.name for path in room.glob("*.js"))
    assert sorted(imports) == [f"/console/{name}" for name in modules]
    urls = [*imports.values(), *re.findall(r'(?:src|href)="(/console/[^"]+)"', page.body)]
    for url in urls:
        path, _, query = url.partition("?")
        name = path.removeprefix("/console/")
        version = hashlib.sha256((room / name).read_bytes()).hexdigest()[:16]
        assert query == f"v={version}", url
        asset = rt.api("GET", path, token=None, query={"v": version})
        assert asset.status == 200, url
        assert asset.body == (room / name).read_text(encoding="utf-8")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        assert asset.headers["content-type"].startswith(kind)
        assert "immutable" in asset.headers["cache-control"]
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert rt.api("GET", path, token=None).headers["cache-control"] == "no-cache"  # unversioned

    for module in room.glob("*.js"):
        text = module.read_text(encoding="utf-8")
        assert not re.findall(r"https?://", text.replace("http://www.w3.org/2000/svg", "")), module.name
        for imported in re.findall(r'from "([^"]+)"', text):  # only sibling modules, no package or CDN
            assert imported.startswith("./") and (room / imported[2:]).is_file(), (module.name, imported)

    assert rt.api("GET", "/console/nope.js", token=None).status == 404
    assert rt.api("GET", "/console/..%2Fconsole.py", token=None).status == 404
    assert rt.api("POST", "/console", token=None).status == 401  # only GET is open
    assert rt.api("GET", "/workflows", token=None).status == 401  # the data still needs a token


def test_on_aws_the_console_runs_under_the_stage_and_opens_only_its_routes() -> None:
    event = {
        "version": "2.0",
        "routeKey": "GET /console",
        "rawPath": "/prod/console",
        "rawQueryString": "",
        "headers": {"host": "abc.execute-api.eu-west-1.amazonaws.com"},
        "requestContext": {
            "http": {"method": "GET", "path": "/prod/console", "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
            "requestId": "r1",
            "routeKey": "GET /console",
            "stage": "prod",
            "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
        },
        "isBase64Encoded": False,
    }
    answer = handle(event, None)  # type: ignore[arg-type]  # no claims: API Gateway ran no authorizer
    assert answer["statusCode"] == 200
    assert 'data-base="/prod"' in answer["body"]
    urls = re.findall(r'(?:src|href)="(/[^"]+)"', answer["body"]) + re.findall(
        r'": "(/[^"]+)"', answer["body"]
    )
    assert len(urls) > 3 and all(url.startswith("/prod/") for url in urls)

    template = load(ROOT / "template.yaml")
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"].values()
    open_routes = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in events
        if event["Type"] == "HttpApi" and (event["Properties"].get("Auth") or {}).get("Authorizer") == "NONE"
    }
    assert open_routes == set(docs.PUBLIC) | set(console.PUBLIC)
    hidden = {
        (r.method, r.openapi_path)
        for r in app._static_routes + app._dynamic_routes
        if not r.include_in_schema
    }
    assert set(console.PUBLIC) <= hidden
    assert console.is_public("GET", "/console") and console.is_public("GET", "/console/app.js")
    assert not console.is_public("GET", "/console/a/b") and not console.is_public("POST", "/console")
