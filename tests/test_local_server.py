"""`crmflow serve` on 127.0.0.1: HubSpot's official Python client against it, and the local routes."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from crmflow_local.runtime import Runtime
from crmflow_local.server import LocalServer
from hubspot import HubSpot
from hubspot.crm.contacts import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException


@pytest.fixture
def server(rt: Runtime) -> Iterator[LocalServer]:
    local = LocalServer(rt, "127.0.0.1", 0).start()
    yield local
    local.close()


def _call(
    server: LocalServer, method: str, path: str, body: object = None, token: str | None = "local-admin"
):
    request = urllib.request.Request(
        server.url + path, method=method, data=None if body is None else json.dumps(body).encode()
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_hubspot_client_creates_reads_updates_searches_pages_and_archives_contacts(server: LocalServer):
    client = HubSpot(access_token="local-admin", host=server.url)
    contacts = client.crm.contacts
    created = [
        contacts.basic_api.create(
            SimplePublicObjectInputForCreate(
                properties={"email": f"c{n}@example.com", "firstname": f"Ann{n}"}
            )
        )
        for n in range(5)
    ]
    first = created[0]
    assert first.id == "1" and first.properties["email"] == "c0@example.com"

    read = contacts.basic_api.get_by_id(first.id, properties=["email", "firstname"])
    assert read.properties["firstname"] == "Ann0"

    updated = contacts.basic_api.update(
        first.id, SimplePublicObjectInput(properties={"lastname": "Lovelace"})
    )
    assert updated.properties["lastname"] == "Lovelace"

    found = contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(filters=[Filter(property_name="lastname", operator="EQ", value="Lovelace")])
            ],
            properties=["email", "lastname"],
        )
    )
    assert found.total == 1 and found.results[0].id == first.id

    page_one = contacts.basic_api.get_page(limit=2)
    assert [c.id for c in page_one.results] == ["1", "2"]
    page_two = contacts.basic_api.get_page(limit=2, after=page_one.paging.next.after)
    assert [c.id for c in page_two.results] == ["3", "4"]
    every = contacts.get_all()
    assert len(every) == 5

    contacts.basic_api.archive(first.id)
    with pytest.raises(ApiException) as missing:
        contacts.basic_api.get_by_id(first.id)
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["category"] == "OBJECT_NOT_FOUND"


def test_a_wrong_token_gets_401(server: LocalServer):
    client = HubSpot(access_token="not-a-token", host=server.url)
    with pytest.raises(ApiException) as denied:
        client.crm.contacts.basic_api.get_page()
    assert denied.value.status == 401
    assert _call(server, "GET", "/crm/v3/objects/contacts", token=None)[0] == 401


def test_bad_input_gets_400_naming_the_field_and_stores_nothing(server: LocalServer):
    status, body = _call(
        server, "POST", "/crm/v3/objects/contacts", {"properties": {"email": ["not", "a", "string"]}}
    )
    assert status == 400 and "properties.email" in body["message"]
    assert _call(server, "GET", "/crm/v3/objects/contacts")[1]["results"] == []


def test_the_local_clock_moves_and_settles(server: LocalServer):
    assert _call(server, "GET", "/_local/clock") == (200, {"now": "2026-12-01T08:00:00.000Z"})
    assert _call(server, "POST", "/_local/clock", {"advance": "PT2H"}) == (
        200,
        {"now": "2026-12-01T10:00:00.000Z"},
    )
    assert (
        _call(server, "POST", "/_local/clock", {"to": "2026-12-02T00:00:00Z"})[1]["now"]
        == "2026-12-02T00:00:00.000Z"
    )
    status, body = _call(server, "POST", "/_local/clock", {"advance": "two hours"})
    assert status == 400 and "advance" in body["message"]
    assert _call(server, "POST", "/_local/clock", {"to": "2026-01-01T00:00:00Z"})[0] == 400
    assert _call(server, "POST", "/_local/settle")[0] == 200
    assert _call(server, "GET", "/_local/outbox") == (200, [])


def test_openapi_document_is_served(server: LocalServer):
    status, document = _call(server, "GET", "/openapi.json")
    assert status == 200
    assert "/crm/v3/objects/{object_type}" in document["paths"] or any(
        "objects" in p for p in document["paths"]
    )
    assert any(path.startswith("/workflows") for path in document["paths"])
