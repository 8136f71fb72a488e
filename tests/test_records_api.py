"""SPEC 2: CRM records over the HubSpot-compatible REST API, as a user sees them."""

import io
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import urllib3
from crmflow_local.runtime import Runtime

CONTACTS = "/crm/v3/objects/contacts"


def create(rt: Runtime, object_type: str, **properties: str) -> dict[str, Any]:
    r = rt.api("POST", f"/crm/v3/objects/{object_type}", {"properties": properties})
    assert r.status == 201, r.json
    return r.json


def count(rt: Runtime, object_type: str) -> int:
    return len(rt.api("GET", f"/crm/v3/objects/{object_type}", query={"limit": "100"}).json["results"])


# ---------------------------------------------------------------- create / read / update / archive


def test_create_answers_the_record_with_system_properties(rt: Runtime) -> None:
    r = rt.api("POST", CONTACTS, {"properties": {"email": "ann@example.com", "firstname": "Ann"}})
    assert r.status == 201
    body = r.json
    assert body["id"] == "1"
    assert body["archived"] is False
    assert body["createdAt"] == body["updatedAt"] == "2026-12-01T08:00:00.000Z"
    assert body["properties"] == {
        "email": "ann@example.com",
        "firstname": "Ann",
        "hs_object_id": "1",
        "createdate": "2026-12-01T08:00:00.000Z",
        "hs_lastmodifieddate": "2026-12-01T08:00:00.000Z",
        "lastmodifieddate": "2026-12-01T08:00:00.000Z",
    }
    assert rt.api("GET", f"{CONTACTS}/1").json == body


def test_get_with_properties_returns_exactly_those_with_nulls(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com", firstname="Ann")
    props = rt.api("GET", f"{CONTACTS}/1", query={"properties": "email,lastname"}).json["properties"]
    assert props["email"] == "ann@example.com"
    assert props["lastname"] is None
    assert "firstname" not in props


def test_get_by_unique_id_property(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com")
    r = rt.api("GET", f"{CONTACTS}/ann@example.com", query={"idProperty": "email"})
    assert r.status == 200 and r.json["id"] == "1"
    assert rt.api("GET", f"{CONTACTS}/bob@example.com", query={"idProperty": "email"}).status == 404


def test_patch_changes_and_clears_properties_and_stamps_modification(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com", firstname="Ann")
    rt.advance("PT1H")
    r = rt.api("PATCH", f"{CONTACTS}/1", {"properties": {"lastname": "Lee", "firstname": ""}})
    assert r.status == 200
    assert r.json["updatedAt"] == "2026-12-01T09:00:00.000Z"
    props = r.json["properties"]
    assert props["lastname"] == "Lee" and "firstname" not in props
    assert props["hs_lastmodifieddate"] == props["lastmodifieddate"] == "2026-12-01T09:00:00.000Z"
    assert props["createdate"] == "2026-12-01T08:00:00.000Z"
    assert rt.api("GET", f"{CONTACTS}/1").json == r.json


def test_delete_archives_and_archived_records_are_gone_for_reads_and_writes(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com")
    assert rt.api("DELETE", f"{CONTACTS}/1").status == 204
    assert rt.api("GET", f"{CONTACTS}/1").status == 404
    r = rt.api("PATCH", f"{CONTACTS}/1", {"properties": {"firstname": "X"}})
    assert r.status == 404 and r.json["category"] == "OBJECT_NOT_FOUND"
    assert count(rt, "contacts") == 0
    archived = rt.api("GET", CONTACTS, query={"archived": "true"}).json["results"]
    assert [a["id"] for a in archived] == ["1"] and archived[0]["archived"] is True


def test_patch_of_unknown_record_is_404_with_hubspot_error_body(rt: Runtime) -> None:
    r = rt.api("PATCH", f"{CONTACTS}/99", {"properties": {"firstname": "X"}})
    assert r.status == 404
    assert r.json["status"] == "error" and r.json["category"] == "OBJECT_NOT_FOUND"
    assert r.json["correlationId"]


def test_list_pages_with_after(rt: Runtime) -> None:
    for i in range(3):
        create(rt, "companies", name=f"Co {i}")
    first = rt.api("GET", "/crm/v3/objects/companies", query={"limit": "2"}).json
    assert [r["id"] for r in first["results"]] == ["1", "2"]
    after = first["paging"]["next"]["after"]
    second = rt.api("GET", "/crm/v3/objects/companies", query={"limit": "2", "after": after}).json
    assert [r["id"] for r in second["results"]] == ["3"]
    assert "paging" not in second


# ---------------------------------------------------------------- bad input: 400, nothing stored


INVALID_CREATES: list[tuple[Any, str]] = [
    ({"properties": {"email": 5}}, "properties.email"),
    ({"properties": {"hs_object_id": "7"}}, "hs_object_id"),
    ({"properties": {"createdate": "2026-01-01"}}, "createdate"),
    ({"properties": {"no_such_property": "x"}}, "no_such_property"),
    ({"properties": {"lifecyclestage": "king"}}, "lifecyclestage"),
    ({"properties": {"closedate": "next tuesday"}}, "closedate"),
    ({"properties": {"hs_email_optout": "maybe"}}, "hs_email_optout"),
    ({"properties": {}, "associations": [{"to": {"id": "9"}, "types": [{"associationTypeId": 279}]}]}, "9"),
    (
        {"properties": {}, "associations": [{"to": {"id": "1"}, "types": [{"associationTypeId": 9999}]}]},
        "9999",
    ),
    ({"properties": []}, "properties"),
]


def test_invalid_create_is_400_naming_the_field_and_stores_nothing(rt: Runtime) -> None:
    for body, named in INVALID_CREATES:
        r = rt.api("POST", CONTACTS, body)
        assert r.status == 400, (body, r.json)
        assert r.json["category"] == "VALIDATION_ERROR"
        assert named in r.json["message"], (body, r.json["message"])
    assert count(rt, "contacts") == 0


def test_non_numeric_value_for_a_number_property_is_400(rt: Runtime) -> None:
    r = rt.api("POST", "/crm/v3/objects/deals", {"properties": {"dealname": "D", "amount": "lots"}})
    assert r.status == 400 and "amount" in r.json["message"]
    assert count(rt, "deals") == 0


def test_invalid_patch_changes_nothing(rt: Runtime) -> None:
    create(rt, "deals", dealname="D", amount="10")
    r = rt.api("PATCH", "/crm/v3/objects/deals/1", {"properties": {"dealname": "E", "amount": "ten"}})
    assert r.status == 400 and "amount" in r.json["message"]
    props = rt.api("GET", "/crm/v3/objects/deals/1").json["properties"]
    assert props["dealname"] == "D" and props["amount"] == "10"


def test_malformed_json_and_unknown_type_and_unknown_route(rt: Runtime) -> None:
    r = rt.api("POST", CONTACTS, raw_body="{not json")
    assert r.status == 400 and r.json["category"] == "VALIDATION_ERROR"
    r = rt.api("POST", "/crm/v3/objects/unicorns", {"properties": {}})
    assert r.status == 400 and "unicorns" in r.json["message"]
    assert rt.api("GET", "/crm/v3/nothing-here").status == 404
    r = rt.api("GET", CONTACTS, query={"limit": "lots"})
    assert r.status == 400 and r.json["message"].startswith("limit:")


def test_values_are_normalised_by_type(rt: Runtime) -> None:
    r = rt.api(
        "POST",
        CONTACTS,
        {"properties": {"closedate": "1798761600000", "hs_email_optout": "TRUE"}},
    )
    assert r.status == 201
    assert r.json["properties"]["closedate"] == "2027-01-01T00:00:00.000Z"
    assert r.json["properties"]["hs_email_optout"] == "true"


# ---------------------------------------------------------------- pipelines


def test_records_without_pipeline_get_the_default_pipeline_and_first_stage(rt: Runtime) -> None:
    deal = create(rt, "deals", dealname="D")["properties"]
    assert (deal["pipeline"], deal["dealstage"]) == ("default", "appointmentscheduled")
    ticket = create(rt, "tickets", subject="Help")["properties"]
    assert (ticket["hs_pipeline"], ticket["hs_pipeline_stage"]) == ("0", "1")
    lead = create(rt, "leads", hs_lead_name="L")["properties"]
    assert (lead["hs_pipeline"], lead["hs_pipeline_stage"]) == ("default", "new")


def test_a_stage_outside_the_pipeline_is_400_and_won_deals_are_flagged(rt: Runtime) -> None:
    r = rt.api("POST", "/crm/v3/objects/deals", {"properties": {"dealname": "D", "dealstage": "nope"}})
    assert r.status == 400 and "dealstage" in r.json["message"]
    create(rt, "deals", dealname="D")
    won = rt.api("PATCH", "/crm/v3/objects/deals/1", {"properties": {"dealstage": "closedwon"}}).json
    assert won["properties"]["hs_is_closed_won"] == "true"
    assert (
        rt.api("PATCH", "/crm/v3/objects/deals/1", {"properties": {"hs_is_closed_won": "false"}}).status
        == 400
    )


def test_pipeline_endpoints_answer_hubspot_defaults(rt: Runtime) -> None:
    deals = rt.api("GET", "/crm/v3/pipelines/deals").json["results"]
    stages = {s["id"]: s for s in deals[0]["stages"]}
    assert deals[0]["id"] == "default"
    assert stages["closedwon"]["metadata"] == {"isClosed": "true", "probability": "1.0"}
    assert list(stages) == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    tickets = rt.api("GET", "/crm/v3/pipelines/tickets/0/stages").json["results"]
    assert [(s["id"], s["label"], s["metadata"]["ticketState"]) for s in tickets] == [
        ("1", "New", "OPEN"),
        ("2", "Waiting on contact", "OPEN"),
        ("3", "Waiting on us", "OPEN"),
        ("4", "Closed", "CLOSED"),
    ]
    leads = rt.api("GET", "/crm/v3/pipelines/leads").json["results"][0]
    assert [s["id"] for s in leads["stages"]] == [
        "new",
        "attempting",
        "connected",
        "qualified",
        "disqualified",
    ]
    assert rt.api("GET", "/crm/v3/pipelines/deals/nope/stages").status == 404


# ---------------------------------------------------------------- associations


def test_create_with_associations_links_both_ways(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com")
    r = rt.api(
        "POST",
        "/crm/v3/objects/deals",
        {
            "properties": {"dealname": "D"},
            "associations": [
                {
                    "to": {"id": "1"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}],
                }
            ],
        },
    )
    assert r.status == 201
    forward = rt.api("GET", "/crm/v4/objects/deals/1/associations/contacts").json["results"]
    assert forward == [
        {"toObjectId": "1", "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}]}
    ]
    backward = rt.api("GET", "/crm/v4/objects/contacts/1/associations/deals").json["results"]
    assert backward[0]["toObjectId"] == "1" and backward[0]["associationTypes"][0]["typeId"] == 4


def test_labelled_primary_company_and_default_and_delete(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com")
    create(rt, "companies", name="Acme")
    create(rt, "companies", name="Beta")
    primary = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]
    r = rt.api("PUT", "/crm/v4/objects/contacts/1/associations/companies/1", primary)
    assert r.status == 201 and r.json["labels"] == ["Primary"]
    assert rt.api("PUT", "/crm/v4/objects/contacts/1/associations/default/companies/2").status == 200
    links = rt.api("GET", "/crm/v4/objects/contacts/1/associations/companies").json["results"]
    types = {link["toObjectId"]: sorted(t["typeId"] for t in link["associationTypes"]) for link in links}
    assert types == {"1": [1, 279], "2": [279]}
    back = rt.api("GET", "/crm/v4/objects/companies/1/associations/contacts").json["results"]
    assert sorted(t["typeId"] for t in back[0]["associationTypes"]) == [2, 280]
    assert rt.api("DELETE", "/crm/v4/objects/contacts/1/associations/companies/1").status == 204
    assert rt.api("GET", "/crm/v4/objects/companies/1/associations/contacts").json["results"] == []
    links = rt.api("GET", "/crm/v4/objects/contacts/1/associations/companies").json["results"]
    assert [link["toObjectId"] for link in links] == ["2"]


def test_unknown_type_id_means_default_and_missing_records_are_404(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com")
    create(rt, "companies", name="Acme")
    body = [{"associationCategory": "USER_DEFINED", "associationTypeId": 987}]
    assert rt.api("PUT", "/crm/v4/objects/contacts/1/associations/companies/1", body).status == 201
    links = rt.api("GET", "/crm/v4/objects/contacts/1/associations/companies").json["results"]
    assert links[0]["associationTypes"] == [{"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}]
    assert rt.api("PUT", "/crm/v4/objects/contacts/1/associations/default/companies/5").status == 404


def test_archiving_a_record_drops_its_associations(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com")
    create(rt, "companies", name="Acme")
    rt.api("PUT", "/crm/v4/objects/contacts/1/associations/default/companies/1")
    rt.api("DELETE", "/crm/v3/objects/companies/1")
    assert rt.api("GET", "/crm/v4/objects/contacts/1/associations/companies").json["results"] == []


def test_get_with_associations_lists_them_v3_style(rt: Runtime) -> None:
    create(rt, "contacts", email="ann@example.com")
    create(rt, "companies", name="Acme")
    rt.api("PUT", "/crm/v4/objects/contacts/1/associations/default/companies/1")
    body = rt.api("GET", f"{CONTACTS}/1", query={"associations": "companies"}).json
    assert body["associations"] == {"companies": {"results": [{"id": "1", "type": "contact_to_company"}]}}


# ---------------------------------------------------------------- batches


def test_batch_create_read_update_archive(rt: Runtime) -> None:
    inputs = [{"properties": {"email": f"u{i}@example.com"}} for i in range(3)]
    r = rt.api("POST", f"{CONTACTS}/batch/create", {"inputs": inputs})
    assert r.status == 201 and r.json["status"] == "COMPLETE"
    assert [c["id"] for c in r.json["results"]] == ["1", "2", "3"]
    assert r.json["startedAt"] and r.json["completedAt"]

    r = rt.api(
        "POST", f"{CONTACTS}/batch/read", {"inputs": [{"id": "2"}, {"id": "3"}], "properties": ["email"]}
    )
    assert r.status == 200
    assert [c["properties"]["email"] for c in r.json["results"]] == ["u1@example.com", "u2@example.com"]

    r = rt.api("POST", f"{CONTACTS}/batch/read", {"inputs": [{"id": "1"}, {"id": "77"}]})
    assert r.status == 207 and r.json["numErrors"] == 1 and r.json["errors"][0]["context"] == {"ids": ["77"]}

    r = rt.api(
        "POST", f"{CONTACTS}/batch/update", {"inputs": [{"id": "1", "properties": {"firstname": "A"}}]}
    )
    assert r.status == 200 and r.json["results"][0]["properties"]["firstname"] == "A"

    assert rt.api("POST", f"{CONTACTS}/batch/archive", {"inputs": [{"id": "1"}, {"id": "2"}]}).status == 204
    assert count(rt, "contacts") == 1


def test_batch_with_one_bad_input_stores_nothing(rt: Runtime) -> None:
    inputs = [{"properties": {"email": "ok@example.com"}}, {"properties": {"hs_object_id": "1"}}]
    r = rt.api("POST", f"{CONTACTS}/batch/create", {"inputs": inputs})
    assert r.status == 400 and "inputs[1]" in r.json["message"]
    assert count(rt, "contacts") == 0
    create(rt, "contacts", email="a@example.com")
    updates = [{"id": "1", "properties": {"firstname": "A"}}, {"id": "2", "properties": {"firstname": "B"}}]
    assert rt.api("POST", f"{CONTACTS}/batch/update", {"inputs": updates}).status == 404
    assert "firstname" not in rt.api("GET", f"{CONTACTS}/1").json["properties"]


# ---------------------------------------------------------------- properties


def test_custom_properties_are_created_typed_and_validated(rt: Runtime) -> None:
    spec = {"name": "score", "label": "Score", "type": "number", "fieldType": "number", "groupName": "info"}
    r = rt.api("POST", "/crm/v3/properties/contacts", spec)
    assert r.status == 201 and r.json["name"] == "score" and r.json["calculated"] is False
    assert rt.api("POST", "/crm/v3/properties/contacts", spec).status == 409
    assert rt.api("GET", "/crm/v3/properties/contacts/score").json["type"] == "number"
    assert rt.api("GET", "/crm/v3/properties/contacts/nope").status == 404
    assert rt.api("POST", CONTACTS, {"properties": {"score": "high"}}).status == 400
    assert create(rt, "contacts", score="42")["properties"]["score"] == "42"
    names = {p["name"] for p in rt.api("GET", "/crm/v3/properties/contacts").json["results"]}
    assert {"email", "lifecyclestage", "hs_object_id", "score"} <= names


def test_property_list_marks_read_only_and_calculated(rt: Runtime) -> None:
    props = {p["name"]: p for p in rt.api("GET", "/crm/v3/properties/deals").json["results"]}
    assert props["hs_object_id"]["modificationMetadata"]["readOnlyValue"] is True
    assert props["hs_is_closed_won"]["calculated"] is True
    assert props["amount"]["type"] == "number"
    bad = {"name": "Bad Name", "label": "x", "type": "string", "fieldType": "text"}
    r = rt.api("POST", "/crm/v3/properties/deals", bad)
    assert r.status == 400 and r.json["message"].startswith("name:")


# ---------------------------------------------------------------- OpenAPI and HubSpot's client


def test_openapi_document_is_served(rt: Runtime) -> None:
    r = rt.api("GET", "/openapi.json")
    assert r.status == 200
    assert "/crm/v3/objects/{object_type}" in r.json["paths"]


class _ThroughRuntime:
    """A urllib3 pool manager that hands the HubSpot client's requests to the runtime's API."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def request(self, method: str, url: str, fields: Any = None, body: Any = None, **_: Any) -> Any:
        parts = urlsplit(url)
        query: dict[str, str] = {}
        for key, value in parse_qsl(parts.query) + list(fields or []):
            query[key] = f"{query[key]},{value}" if key in query else str(value)  # as API Gateway joins them
        text = body if isinstance(body, str) or body is None else json.dumps(body)
        answer = self.rt.api(method, parts.path, raw_body=text, query=query)
        content = io.BytesIO(answer.body.encode())
        return urllib3.HTTPResponse(
            body=content, status=answer.status, headers=answer.headers, preload_content=True
        )


def test_hubspot_python_client_works_against_the_api(rt: Runtime) -> None:
    from hubspot import HubSpot
    from hubspot.crm.objects import (
        BatchReadInputSimplePublicObjectId,
        Filter,
        FilterGroup,
        PublicObjectSearchRequest,
        SimplePublicObjectInput,
        SimplePublicObjectInputForCreate,
    )
    from hubspot.crm.objects.exceptions import ApiException

    client = HubSpot(access_token="local-admin")
    basic, search, batch = (
        client.crm.objects.basic_api,
        client.crm.objects.search_api,
        client.crm.objects.batch_api,
    )
    for api in (basic, search, batch):
        api.api_client.rest_client.pool_manager = _ThroughRuntime(rt)

    created = basic.create(
        "contacts", SimplePublicObjectInputForCreate(properties={"email": "ann@example.com"})
    )
    assert created.id == "1" and created.created_at.year == 2026
    basic.create("contacts", SimplePublicObjectInputForCreate(properties={"email": "bob@example.com"}))
    fetched = basic.get_by_id("contacts", "1", properties=["email", "firstname"])
    assert fetched.properties["email"] == "ann@example.com" and fetched.properties["firstname"] is None
    page = basic.get_page("contacts", limit=1)
    assert [r.id for r in page.results] == ["1"] and page.paging.next.after == "1"
    updated = basic.update("contacts", "1", SimplePublicObjectInput(properties={"firstname": "Ann"}))
    assert updated.properties["firstname"] == "Ann"

    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(filters=[Filter(property_name="email", operator="EQ", value="bob@example.com")])
        ],
        sorts=["-createdate"],
        properties=["email"],
        limit=10,
    )
    found = search.do_search("contacts", public_object_search_request=request)
    assert found.total == 1 and found.results[0].id == "2"

    read = batch.read(
        "contacts", BatchReadInputSimplePublicObjectId(inputs=[{"id": "2"}], properties=["email"])
    )
    assert read.results[0].properties["email"] == "bob@example.com"

    basic.archive("contacts", "2")
    with pytest.raises(ApiException) as caught:
        basic.get_by_id("contacts", "2")
    assert caught.value.status == 404
