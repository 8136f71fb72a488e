"""``/docs``: Swagger UI on the API's own ``/openapi.json``, offline and public; and the document has what
it shows (a summary per operation, request and response schemas, examples valid against them)."""

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crmflow.api import console, docs, examples, openapi
from crmflow.api.app import app, handle
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer
from crmflow_local.template import load
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "local-admin"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with Runtime(start="2026-12-01T08:00:00Z") as runtime:
        local = LocalServer(runtime, "127.0.0.1", 0).start()
        yield local
        local.close()


def _get(server: LocalServer, path: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(server.url + path)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


@pytest.fixture(scope="module")
def document(server: LocalServer) -> dict[str, Any]:
    status, _, body = _get(server, "/openapi.json", TOKEN)
    assert status == 200
    return json.loads(body)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in openapi.METHODS:
                yield f"{method.upper()} {path}", operation


# ---------------------------------------------------------------- the page, through a real server


def _asset_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page) + re.findall(r'"url": "([^"]+)"', page)


def test_docs_is_swagger_ui_on_our_document_with_no_asset_from_elsewhere(server: LocalServer) -> None:
    status, headers, body = _get(server, "/docs")  # no token: public documentation
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    assert "SwaggerUIBundle(" in page
    assert not re.findall(r"https?://", page), "the page names a URL on another host"
    urls = _asset_urls(page)
    assert {url.split("?")[0] for url in urls} == {
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/openapi.json",
    }
    kinds = {}
    for url in urls:
        status, headers, content = _get(server, url)  # what a browser fetches: no token either
        assert status == 200, url
        assert content, url
        kinds[url.split("?")[0]] = headers["content-type"]
    assert kinds["/docs/swagger-ui.css"].startswith("text/css")
    assert kinds["/docs/swagger-ui-bundle.js"].startswith("text/javascript")
    assert kinds["/openapi.json"] == "application/json"


def test_the_page_loads_the_corrected_document_not_the_one_powertools_generates(
    server: LocalServer, document: dict[str, Any]
) -> None:
    status, _, body = _get(server, "/openapi.json")  # as the page loads it: without a token
    assert status == 200 and json.loads(body) == document
    assert "bearerAuth" in document["components"]["securitySchemes"]  # ours (openapi.document) adds it
    assert "HTTPValidationError" not in document["components"]["schemas"]  # Powertools' has it


def test_the_assets_are_the_ones_powertools_ships(server: LocalServer) -> None:
    for served, (shipped, _) in docs.ASSETS.items():
        status, headers, content = _get(server, f"/docs/{served}")
        assert status == 200 and content == (docs.SWAGGER_UI / shipped).read_bytes()
        assert "immutable" in headers["cache-control"]  # the page's URLs carry the Powertools version
    assert _get(server, "/docs/swagger-ui-bundle.min.js")[0] == 404
    assert _get(server, "/docs/..%2F__init__.py")[0] == 404  # only the named assets, never another file


def test_only_the_documentation_is_public(server: LocalServer) -> None:
    assert _get(server, "/crm/v3/objects/contacts")[0] == 401
    assert _get(server, "/workflows")[0] == 401
    request = urllib.request.Request(server.url + "/docs", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as posted:
        urllib.request.urlopen(request, timeout=30)
    assert posted.value.code == 401  # only GET is open


def test_template_opens_exactly_the_public_routes_without_the_authorizer() -> None:
    template = load(ROOT / "template.yaml")
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"].values()
    open_routes = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in events
        if event["Type"] == "HttpApi" and (event["Properties"].get("Auth") or {}).get("Authorizer") == "NONE"
    }
    assert open_routes == set(docs.PUBLIC) | set(console.PUBLIC)  # and the web console's (test_console_api)
    hidden = {
        (r.method, r.openapi_path)
        for r in app._static_routes + app._dynamic_routes
        if not r.include_in_schema
    }
    assert hidden == set(docs.PUBLIC) | set(console.PUBLIC)


def test_on_aws_a_named_stage_prefixes_the_asset_urls_and_no_claims_are_needed() -> None:
    event = {
        "version": "2.0",
        "routeKey": "GET /docs",
        "rawPath": "/prod/docs",
        "rawQueryString": "",
        "headers": {"host": "abc.execute-api.eu-west-1.amazonaws.com", "x-forwarded-proto": "https"},
        "requestContext": {
            "http": {"method": "GET", "path": "/prod/docs", "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
            "requestId": "r1",
            "routeKey": "GET /docs",
            "stage": "prod",
            "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
        },
        "isBase64Encoded": False,
    }
    answer = handle(event, None)  # type: ignore[arg-type]
    assert answer["statusCode"] == 200
    urls = _asset_urls(answer["body"])
    assert urls and all(url.startswith("/prod/") for url in urls)
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/prod/openapi.json"  # type: ignore[index]
    answer = handle(event, None)  # type: ignore[arg-type]
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["servers"] == [
        {"url": "https://abc.execute-api.eu-west-1.amazonaws.com/prod"}
    ]


# ---------------------------------------------------------------- what the document shows


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document["components"]})


def test_every_operation_has_a_summary_and_request_and_response_schemas(document: dict[str, Any]) -> None:
    operations = dict(_operations(document))
    assert set(examples.SUMMARIES) == set(operations)
    for key, operation in operations.items():
        assert operation["summary"] == examples.SUMMARIES[key] != key
        for status, answer in operation["responses"].items():
            if status == "204":
                assert "content" not in answer, key
            else:
                assert answer["content"]["application/json"]["schema"], (key, status)
        body = operation.get("requestBody")
        if body is not None:
            assert body["content"]["application/json"]["schema"], key


def test_every_request_body_and_success_answer_has_an_example_valid_against_its_schema(
    document: dict[str, Any],
) -> None:
    operations = dict(_operations(document))
    with_body = {key for key, operation in operations.items() if "requestBody" in operation}
    assert set(examples.REQUESTS) == with_body
    answering = {
        key
        for key, operation in operations.items()
        if any(status.startswith("2") and status != "204" for status in operation["responses"])
    }
    assert set(examples.RESPONSES) == answering
    for key in with_body:
        media = operations[key]["requestBody"]["content"]["application/json"]
        problems = [
            error.message for error in _validator(document, media["schema"]).iter_errors(media["example"])
        ]
        assert not problems, (key, problems)
    for key in answering:
        for status, answer in operations[key]["responses"].items():
            if status.startswith("2") and status not in ("204", "207"):
                media = answer["content"]["application/json"]
                problems = [
                    error.message
                    for error in _validator(document, media["schema"]).iter_errors(media["example"])
                ]
                assert not problems, (key, status, problems)


def test_the_request_examples_are_accepted_by_the_api(server: LocalServer, document: dict[str, Any]) -> None:
    """The examples of the bodies that need nothing else to exist are taken as they are (201)."""
    for key in ("POST /crm/v3/objects/{object_type}", "POST /workflows", "POST /settings/teams"):
        path = key.split(" ", 1)[1].replace("{object_type}", "contacts")
        example = dict(_operations(document))[key]["requestBody"]["content"]["application/json"]["example"]
        request = urllib.request.Request(
            server.url + path,
            data=json.dumps(example).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 201, key
