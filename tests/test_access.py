"""T-5 team access and pipeline access lists, end to end through the API.

Users and teams come from ``/settings``; each user's local token authenticates as it. A hidden ticket
answers exactly as a ticket that does not exist (404, never 403), on every route that returns or
changes a ticket. The expected visible set is computed here by :func:`oracle`, never by the product's
policy, and ``test_every_route_is_classified_for_ticket_access`` fails when a route is added that this
file does not account for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from crmflow_local.runtime import ApiResponse, Runtime
from engine_support import create_workflow, ok, workflow

ACCESS = ("ALL", "TEAM_ONLY", "OWNED_ONLY")
UNKNOWN = "999999"  # a ticket id that does not exist
TICKET_TO_CONTACT = 16
CONTACT_TO_TICKET = 15
SUBJECT_SET = {"filterGroups": [{"filters": [{"propertyName": "subject", "operator": "HAS_PROPERTY"}]}]}


# ---------------------------------------------------------------- helpers


def oracle(access: str, unassigned: bool, owner: str | None, me: str, teammates: set[str]) -> bool:
    """Whether a user with this ticket permission sees a ticket owned by ``owner`` (T-5)."""
    if access == "ALL":
        return True
    if not owner:
        return unassigned
    if access == "TEAM_ONLY":
        return owner == me or owner in teammates
    return owner == me


def team(rt: Runtime, name: str) -> str:
    return str(ok(rt.api("POST", "/settings/teams", {"name": name}), 201)["id"])


def user(
    rt: Runtime, email: str, teams: list[str], access: str = "ALL", unassigned: bool = True
) -> dict[str, Any]:
    body = {
        "email": email,
        "teamIds": teams,
        "permissions": {"tickets": {"access": access, "unassigned": unassigned}},
    }
    return ok(rt.api("POST", "/settings/users", body), 201)


def ticket(rt: Runtime, subject: str, owner: str | None, *, contact: str | None = None, **props: str) -> str:
    properties = {"subject": subject, **props}
    if owner:
        properties["hubspot_owner_id"] = owner
    body: dict[str, Any] = {"properties": properties}
    if contact:
        body["associations"] = [{"to": {"id": contact}, "types": [{"associationTypeId": TICKET_TO_CONTACT}]}]
    return str(ok(rt.api("POST", "/crm/v3/objects/tickets", body), 201)["id"])


def create(rt: Runtime, object_type: str, **properties: str) -> str:
    return str(ok(rt.api("POST", f"/crm/v3/objects/{object_type}", {"properties": properties}), 201)["id"])


def as_user(rt: Runtime, token: str) -> Callable[..., ApiResponse]:
    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return rt.api(method, path, body, token=token, **kwargs)

    return call


def admin_ticket(rt: Runtime, ticket_id: str) -> dict[str, Any] | None:
    """The ticket as the super admin reads it (None when archived or missing)."""
    answer = rt.api("GET", f"/crm/v3/objects/tickets/{ticket_id}")
    assert answer.status in (200, 404), (answer.status, answer.body)
    return answer.json if answer.status == 200 else None


def owner_of(rt: Runtime, ticket_id: str) -> str | None:
    found = admin_ticket(rt, ticket_id)
    assert found is not None, ticket_id
    return found["properties"].get("hubspot_owner_id")


def statuses(ids: list[str], request: Callable[[str], ApiResponse]) -> dict[str, int]:
    """The status each id is answered with."""
    return {ticket_id: request(ticket_id).status for ticket_id in ids}


def shown(answers: dict[str, int], yes: int, no: int = 404) -> set[str]:
    """The ids answered ``yes``; every other answer must be ``no``."""
    assert set(answers.values()) <= {yes, no}, answers
    return {ticket_id for ticket_id, status in answers.items() if status == yes}


def same_as_unknown(hidden: ApiResponse, unknown: ApiResponse, hidden_id: str) -> None:
    """A hidden ticket's answer is the answer for an id that does not exist (nothing leaks)."""
    assert hidden.status == unknown.status == 404, (hidden.body, unknown.body)
    hidden_message = hidden.json["message"].replace(hidden_id, "<id>")
    assert hidden_message == unknown.json["message"].replace(UNKNOWN, "<id>")
    assert hidden.json["category"] == unknown.json["category"]


def list_ids(call: Callable[..., ApiResponse], object_type: str, limit: int, **query: str) -> list[str]:
    """Every id ``GET /crm/v3/objects/{type}`` answers, following the paging cursor."""
    found: list[str] = []
    after: str | None = None
    for _ in range(50):
        params = {"limit": str(limit), **query} | ({"after": after} if after else {})
        page = ok(call("GET", f"/crm/v3/objects/{object_type}", query=params))
        assert len(page["results"]) <= limit
        found += [record["id"] for record in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            return found
    raise AssertionError("list paging did not end")


def search_ids(
    call: Callable[..., ApiResponse], object_type: str, limit: int, **body: Any
) -> tuple[list[str], int]:
    """Every id search answers, following ``after``, and the ``total`` of each page (all equal)."""
    found: list[str] = []
    totals: set[int] = set()
    after: str | None = None
    for _ in range(50):
        request = {"limit": limit, **body} | ({"after": after} if after else {})
        page = ok(call("POST", f"/crm/v3/objects/{object_type}/search", request))
        assert len(page["results"]) <= limit
        found += [record["id"] for record in page["results"]]
        totals.add(page["total"])
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            assert len(totals) == 1, totals
            return found, totals.pop()
    raise AssertionError("search paging did not end")


# ---------------------------------------------------------------- the access matrix


@dataclass
class Account:
    team_a: str
    team_b: str
    me: dict[str, Any]
    mate: dict[str, Any]
    outsider: dict[str, Any]
    tickets: dict[str, str]  # own, mate, outsider, unassigned -> ticket id
    owners: dict[str, str | None]  # ticket id -> owner user id
    contact: str
    other_contact: str
    company: str
    deal: str
    workflow: str


def build_account(rt: Runtime, access: str, unassigned: bool) -> Account:
    """Teams A and B; the user under test and a teammate in A, an outsider in B; four tickets (own,
    the teammate's, the outsider's, unassigned) linked to one contact and enrolled in a ticket
    workflow waiting one day; a contact, company and deal owned by the outsider."""
    team_a, team_b = team(rt, "Team A"), team(rt, "Team B")
    me = user(rt, "me@example.com", [team_a], access, unassigned)
    mate = user(rt, "mate@example.com", [team_a])
    outsider = user(rt, "outsider@example.com", [team_b])
    definition = workflow(
        {"type": "DELAY", "delay": {"days": 1}},
        {"type": "SET_PROPERTY", "property": "content", "value": "done"},
        objectType="tickets",
        enrollment=SUBJECT_SET,
    )
    workflow_id = create_workflow(rt, definition)
    contact = create(rt, "contacts", email="c@example.com", hubspot_owner_id=outsider["id"])
    other_contact = create(rt, "contacts", email="other@example.com", hubspot_owner_id=outsider["id"])
    company = create(rt, "companies", name="Outsider Inc", hubspot_owner_id=outsider["id"])
    deal = create(rt, "deals", dealname="Outsider deal", hubspot_owner_id=outsider["id"])
    owners = {"own": me["id"], "mate": mate["id"], "outsider": outsider["id"], "unassigned": None}
    tickets = {
        label: ticket(rt, f"{label} ticket", owner, contact=contact) for label, owner in owners.items()
    }
    rt.settle()
    return Account(
        team_a=team_a,
        team_b=team_b,
        me=me,
        mate=mate,
        outsider=outsider,
        tickets=tickets,
        owners={tickets[label]: owner for label, owner in owners.items()},
        contact=contact,
        other_contact=other_contact,
        company=company,
        deal=deal,
        workflow=workflow_id,
    )


@pytest.mark.parametrize("unassigned", [True, False], ids=["unassigned", "no-unassigned"])
@pytest.mark.parametrize("access", ACCESS)
def test_t5_access_matrix_holds_on_every_ticket_route(rt: Runtime, access: str, unassigned: bool) -> None:
    acc = build_account(rt, access, unassigned)
    call = as_user(rt, acc.me["token"])
    ids = list(acc.tickets.values())
    expected = {
        t
        for t in ids
        if oracle(access, unassigned, acc.owners[t], acc.me["id"], {acc.me["id"], acc.mate["id"]})
    }
    hidden = [t for t in ids if t not in expected]
    assert acc.tickets["own"] in expected
    admin_total = ok(rt.api("POST", "/crm/v3/objects/tickets/search", {"limit": 100}))["total"]
    assert admin_total == 4  # the super admin sees every ticket
    wf = f"/workflows/{acc.workflow}"
    assert {e["recordId"] for e in ok(rt.api("GET", f"{wf}/enrollments"))["results"]} == set(ids)

    # ---- reads: get, list (paged), search (total, paged), batch read
    get_one = statuses(ids, lambda t: call("GET", f"/crm/v3/objects/tickets/{t}"))
    assert shown(get_one, 200) == expected
    unknown = call("GET", f"/crm/v3/objects/tickets/{UNKNOWN}")
    for t in hidden:
        same_as_unknown(call("GET", f"/crm/v3/objects/tickets/{t}"), unknown, t)
    assert set(list_ids(call, "tickets", 100)) == expected
    assert sorted(list_ids(call, "tickets", 1), key=int) == sorted(expected, key=int)
    found, total = search_ids(call, "tickets", 100)
    assert (set(found), total) == (expected, len(expected))
    found, total = search_ids(call, "tickets", 1)
    assert sorted(found, key=int) == sorted(expected, key=int) and total == len(expected)
    found, total = search_ids(call, "tickets", 1, filterGroups=SUBJECT_SET["filterGroups"], query="ticket")
    assert sorted(found, key=int) == sorted(expected, key=int) and total == len(expected)
    sorted_search = ok(call("POST", "/crm/v3/objects/tickets/search", {"sorts": ["-subject"], "limit": 100}))
    assert {r["id"] for r in sorted_search["results"]} == expected and sorted_search["total"] == len(expected)
    batch = call(
        "POST", "/crm/v3/objects/tickets/batch/read", {"inputs": [{"id": t} for t in [*ids, UNKNOWN]]}
    )
    assert batch.status == 207, batch.body
    assert {r["id"] for r in batch.json["results"]} == expected
    assert batch.json["errors"][0]["context"]["ids"] == [*hidden, UNKNOWN]

    # ---- association reads
    v4 = ok(call("GET", f"/crm/v4/objects/contacts/{acc.contact}/associations/tickets"))
    assert {r["toObjectId"] for r in v4["results"]} == expected
    contact_body = ok(
        call("GET", f"/crm/v3/objects/contacts/{acc.contact}", query={"associations": "tickets"})
    )
    assert {r["id"] for r in contact_body["associations"]["tickets"]["results"]} == expected
    contacts = ok(call("GET", "/crm/v3/objects/contacts", query={"associations": "tickets", "limit": "100"}))
    linked = next(c for c in contacts["results"] if c["id"] == acc.contact)
    assert {r["id"] for r in linked["associations"]["tickets"]["results"]} == expected
    back = statuses(ids, lambda t: call("GET", f"/crm/v4/objects/tickets/{t}/associations/contacts"))
    assert shown(back, 200) == expected
    for t in expected:
        body = ok(call("GET", f"/crm/v3/objects/tickets/{t}", query={"associations": "contacts"}))
        assert [r["id"] for r in body["associations"]["contacts"]["results"]] == [acc.contact]
    with_assoc = statuses(
        ids, lambda t: call("GET", f"/crm/v3/objects/tickets/{t}", query={"associations": "contacts"})
    )
    assert shown(with_assoc, 200) == expected

    # ---- contacts, companies and deals stay fully visible
    for object_type, record_id in (
        ("contacts", acc.contact),
        ("companies", acc.company),
        ("deals", acc.deal),
    ):
        ok(call("GET", f"/crm/v3/objects/{object_type}/{record_id}"))
        assert record_id in list_ids(call, object_type, 100)
        assert record_id in search_ids(call, object_type, 100)[0]

    # ---- workflow reads: enrollments, log, stats, explain, test
    assert {e["recordId"] for e in ok(call("GET", f"{wf}/enrollments"))["results"]} == expected
    assert {
        e["recordId"] for e in ok(call("GET", f"{wf}/log", query={"limit": "1000"}))["results"]
    } == expected
    per_record = statuses(ids, lambda t: call("GET", f"{wf}/log", query={"recordId": t}))
    assert shown(per_record, 200) == expected
    stats = ok(call("GET", f"{wf}/stats"))
    assert {e["recordId"] for entries in stats["timeLeft"].values() for e in entries} == expected
    explained = statuses(ids, lambda t: call("GET", f"{wf}/explain/{t}"))
    assert shown(explained, 200) == expected
    tested = statuses(ids, lambda t: call("POST", f"{wf}/test", {"recordId": t}))
    assert shown(tested, 200) == expected
    enrolled = statuses(ids, lambda t: call("POST", f"{wf}/enrollments", {"recordId": t}))
    assert shown(enrolled, 409) == expected  # visible ones are already enrolled

    # ---- association writes: both directions, default and labelled
    other = acc.other_contact
    default_from_contact = statuses(
        ids, lambda t: call("PUT", f"/crm/v4/objects/contacts/{other}/associations/default/tickets/{t}")
    )
    assert shown(default_from_contact, 200) == expected
    default_from_ticket = statuses(
        ids, lambda t: call("PUT", f"/crm/v4/objects/tickets/{t}/associations/default/contacts/{other}")
    )
    assert shown(default_from_ticket, 200) == expected
    labelled = statuses(
        ids,
        lambda t: call(
            "PUT",
            f"/crm/v4/objects/contacts/{other}/associations/tickets/{t}",
            [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": CONTACT_TO_TICKET}],
        ),
    )
    assert shown(labelled, 201) == expected
    linked_to_other = ok(rt.api("GET", f"/crm/v4/objects/contacts/{other}/associations/tickets"))["results"]
    assert {r["toObjectId"] for r in linked_to_other} == expected
    for t in ids:  # a contact created with an association to a hidden ticket: as for an unknown id
        body = {
            "properties": {"email": f"new-{t}@example.com"},
            "associations": [{"to": {"id": t}, "types": [{"associationTypeId": CONTACT_TO_TICKET}]}],
        }
        answer = call("POST", "/crm/v3/objects/contacts", body)
        if t in expected:
            assert answer.status == 201, answer.body
        else:
            assert answer.status == 400 and "does not exist" in answer.json["message"], answer.body

    # ---- PATCH and batch update
    before = {t: admin_ticket(rt, t) for t in ids}
    patched = statuses(
        ids, lambda t: call("PATCH", f"/crm/v3/objects/tickets/{t}", {"properties": {"subject": "edited"}})
    )
    assert shown(patched, 200) == expected
    for t in hidden:
        assert admin_ticket(rt, t) == before[t]
        same_as_unknown(
            call("PATCH", f"/crm/v3/objects/tickets/{t}", {"properties": {"subject": "x"}}),
            call("PATCH", f"/crm/v3/objects/tickets/{UNKNOWN}", {"properties": {"subject": "x"}}),
            t,
        )
    before = {t: admin_ticket(rt, t) for t in ids}
    everything = {"inputs": [{"id": t, "properties": {"hs_ticket_priority": "HIGH"}} for t in ids]}
    answer = call("POST", "/crm/v3/objects/tickets/batch/update", everything)
    if hidden:
        assert answer.status == 404, answer.body
        assert answer.json["context"]["ids"] == hidden
        assert {t: admin_ticket(rt, t) for t in ids} == before  # nothing changed, visible ones neither
    else:
        assert answer.status == 200, answer.body
    visible_only = {
        "inputs": [{"id": t, "properties": {"hs_ticket_priority": "LOW"}} for t in sorted(expected)]
    }
    updated = ok(call("POST", "/crm/v3/objects/tickets/batch/update", visible_only))["results"]
    assert {r["id"] for r in updated} == expected
    for t in hidden:
        assert admin_ticket(rt, t) == before[t]

    # ---- unenrolling by hand
    unenrolled = statuses(ids, lambda t: call("DELETE", f"{wf}/enrollments/{t}"))
    assert shown(unenrolled, 204) == expected
    admin_enrollments = ok(rt.api("GET", f"{wf}/enrollments", query={"status": "ACTIVE"}))["results"]
    assert {e["recordId"] for e in admin_enrollments} == set(hidden)
    # retrying: a visible enrollment answers for itself (409: not FAILED), a hidden one is 404
    retried = statuses(ids, lambda t: call("POST", f"{wf}/enrollments/{t}/retry"))
    assert shown(retried, 409) == expected

    # ---- delete one, batch archive: hidden tickets are untouched (204 as for an unknown id)
    assert call("DELETE", f"/crm/v3/objects/tickets/{UNKNOWN}").status == 204
    for t in hidden:
        answer = call("DELETE", f"/crm/v3/objects/tickets/{t}")
        assert answer.status == 204, answer.body
        assert admin_ticket(rt, t) is not None
    own = acc.tickets["own"]
    assert call("DELETE", f"/crm/v3/objects/tickets/{own}").status == 204
    assert admin_ticket(rt, own) is None
    archive_all = call("POST", "/crm/v3/objects/tickets/batch/archive", {"inputs": [{"id": t} for t in ids]})
    assert archive_all.status == 204, archive_all.body
    assert {t for t in ids if admin_ticket(rt, t) is None} == expected
    for t in hidden:
        ok(rt.api("DELETE", f"/crm/v3/objects/tickets/{t}"))  # the admin archives the hidden ones
    assert set(list_ids(call, "tickets", 100, archived="true")) == expected
    assert list_ids(call, "tickets", 100) == []

    # ---- creating tickets works
    mine = ok(
        call(
            "POST",
            "/crm/v3/objects/tickets",
            {"properties": {"subject": "new", "hubspot_owner_id": acc.me["id"]}},
        )
    )
    ok(call("GET", f"/crm/v3/objects/tickets/{mine['id']}"))
    created = ok(
        call(
            "POST",
            "/crm/v3/objects/tickets/batch/create",
            {"inputs": [{"properties": {"subject": "batch", "hubspot_owner_id": acc.me["id"]}}]},
        ),
        201,
    )
    new_ids = [r["id"] for r in created["results"]]
    assert len(new_ids) == 1
    assert set(list_ids(call, "tickets", 100)) == {mine["id"], *new_ids}


# ---------------------------------------------------------------- hidden tickets on the remaining routes


def small_account(rt: Runtime) -> tuple[dict[str, Any], dict[str, Any], str, str, str]:
    """A TEAM_ONLY user in team A, an outsider in team B, one contact linked to the user's ticket and
    to the outsider's (hidden) ticket: (user, outsider, contact, own ticket, hidden ticket)."""
    team_a, team_b = team(rt, "Team A"), team(rt, "Team B")
    me = user(rt, "me@example.com", [team_a], "TEAM_ONLY", False)
    outsider = user(rt, "outsider@example.com", [team_b])
    contact = create(rt, "contacts", email="c@example.com")
    own = ticket(rt, "own", me["id"], contact=contact)
    hidden = ticket(rt, "hidden", outsider["id"], contact=contact)
    return me, outsider, contact, own, hidden


def test_removing_an_association_of_a_hidden_ticket_is_404_and_keeps_it(rt: Runtime) -> None:
    me, _, contact, own, hidden = small_account(rt)
    call = as_user(rt, me["token"])
    assert call("DELETE", f"/crm/v4/objects/contacts/{contact}/associations/tickets/{own}").status == 204
    for path in (
        f"/crm/v4/objects/contacts/{contact}/associations/tickets/{hidden}",
        f"/crm/v4/objects/tickets/{hidden}/associations/contacts/{contact}",
    ):
        answer = call("DELETE", path)
        linked = ok(rt.api("GET", f"/crm/v4/objects/contacts/{contact}/associations/tickets"))["results"]
        assert [r["toObjectId"] for r in linked] == [hidden], "the hidden ticket's association was removed"
        assert answer.status == 404, answer.body


def test_a_ticket_list_names_only_visible_tickets(rt: Runtime) -> None:
    me, _, _, own, hidden = small_account(rt)
    call = as_user(rt, me["token"])
    dynamic = {"name": "All", "objectType": "tickets", "processingType": "DYNAMIC", **SUBJECT_SET}
    dynamic_id = ok(rt.api("POST", "/crm/v3/lists", dynamic), 201)["list"]["listId"]
    manual = {"name": "Both", "objectType": "tickets", "processingType": "MANUAL", "recordIds": [own, hidden]}
    manual_id = ok(rt.api("POST", "/crm/v3/lists", manual), 201)["list"]["listId"]
    for list_id in (dynamic_id, manual_id):
        admin = ok(rt.api("GET", f"/crm/v3/lists/{list_id}/memberships"))["results"]
        assert [m["recordId"] for m in admin] == [own, hidden]
        members = ok(call("GET", f"/crm/v3/lists/{list_id}/memberships"))["results"]
        assert [m["recordId"] for m in members] == [own], f"list {list_id} names hidden ticket {hidden}"


def test_ticket_list_membership_writes_treat_a_hidden_ticket_as_unknown(rt: Runtime) -> None:
    me, _, _, own, hidden = small_account(rt)
    call = as_user(rt, me["token"])
    empty = ok(
        call("POST", "/crm/v3/lists", {"name": "M", "objectType": "tickets", "processingType": "MANUAL"}), 201
    )
    list_id = empty["list"]["listId"]
    added = ok(call("PUT", f"/crm/v3/lists/{list_id}/memberships/add", [own, hidden, UNKNOWN]))
    removed = ok(call("PUT", f"/crm/v3/lists/{list_id}/memberships/remove", [hidden, UNKNOWN]))
    create_hidden = call(
        "POST",
        "/crm/v3/lists",
        {"name": "H", "objectType": "tickets", "processingType": "MANUAL", "recordIds": [hidden]},
    )
    assert added == {"recordIdsAdded": [own], "recordIdsMissing": [hidden, UNKNOWN]}
    assert removed["recordIdsMissing"] == [hidden, UNKNOWN]
    assert create_hidden.status == 400, create_hidden.body


def test_pipeline_editing_is_for_super_admins_only(rt: Runtime) -> None:
    """Pipeline and stage edits (which move or hide tickets) answer 403 to users, changing nothing."""
    team_a = team(rt, "Team A")
    me = user(rt, "me@example.com", [team_a])
    call = as_user(rt, me["token"])
    one = "/crm/v3/pipelines/tickets/0"
    before = ok(rt.api("GET", one))
    stage = {"label": "Extra", "metadata": {"ticketState": "OPEN"}}
    pipeline = {
        "label": "New",
        "stages": [
            {"label": "Open", "metadata": {"ticketState": "OPEN"}},
            {"label": "Closed", "displayOrder": 1, "metadata": {"ticketState": "CLOSED"}},
        ],
    }
    for method, path, body in (
        ("POST", "/crm/v3/pipelines/tickets", pipeline),
        ("PATCH", one, {"label": "Renamed"}),
        ("DELETE", one, None),
        ("PUT", f"{one}/access", {"userIds": [me["id"]], "teamIds": []}),
        ("DELETE", f"{one}/access", None),
        ("POST", f"{one}/stages", stage),
        ("PATCH", f"{one}/stages/1", {"label": "Renamed"}),
        ("DELETE", f"{one}/stages/1", None),
    ):
        answer = call(method, path, body, query={"moveTicketsTo": "2"} if method == "DELETE" else None)
        assert answer.status == 403, (method, path, answer.status, answer.body)
    assert ok(rt.api("GET", one)) == before
    assert len(ok(rt.api("GET", "/crm/v3/pipelines/tickets"))["results"]) == 1


# ---------------------------------------------------------------- every route is accounted for

TICKET_ROUTES: dict[tuple[str, str], str] = {
    # records: the matrix
    ("GET", "/crm/v3/objects/{object_type}"): "matrix: list, paged, archived",
    ("POST", "/crm/v3/objects/{object_type}"): "matrix: create; an association to a hidden ticket is refused",
    ("POST", "/crm/v3/objects/{object_type}/search"): "matrix: results, total, paging",
    ("POST", "/crm/v3/objects/{object_type}/batch/create"): "matrix: works",
    ("POST", "/crm/v3/objects/{object_type}/batch/read"): "matrix: hidden ids reported missing",
    ("POST", "/crm/v3/objects/{object_type}/batch/update"): "matrix: a hidden id is 404, nothing changes",
    ("POST", "/crm/v3/objects/{object_type}/batch/archive"): "matrix: hidden ones unaffected",
    ("GET", "/crm/v3/objects/{object_type}/{record_id}"): "matrix: 404 as for an unknown id",
    ("PATCH", "/crm/v3/objects/{object_type}/{record_id}"): "matrix, reassignment",
    ("DELETE", "/crm/v3/objects/{object_type}/{record_id}"): "matrix: no effect on a hidden one",
    # associations
    ("GET", "/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}"): "matrix: both directions",
    ("PUT", "/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}"): "matrix",
    ("PUT", "/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}"): "matrix (labelled)",
    ("DELETE", "/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}"): (
        "test_removing_an_association_of_a_hidden_ticket_is_404_and_keeps_it"
    ),
    # pipelines: access lists hide them; editing them is for super admins
    ("GET", "/crm/v3/pipelines/{object_type}"): "pipeline access",
    ("GET", "/crm/v3/pipelines/{object_type}/{pipeline_id}"): "pipeline access",
    ("GET", "/crm/v3/pipelines/{object_type}/{pipeline_id}/access"): "pipeline access",
    ("GET", "/crm/v3/pipelines/{object_type}/{pipeline_id}/stages"): "pipeline access",
    ("GET", "/crm/v3/pipelines/{object_type}/{pipeline_id}/stages/{stage_id}"): "pipeline access",
    ("POST", "/crm/v3/pipelines/{object_type}"): "super admin only",
    ("PATCH", "/crm/v3/pipelines/{object_type}/{pipeline_id}"): "super admin only",
    ("DELETE", "/crm/v3/pipelines/{object_type}/{pipeline_id}"): "super admin only",
    ("PUT", "/crm/v3/pipelines/{object_type}/{pipeline_id}/access"): "super admin only",
    ("DELETE", "/crm/v3/pipelines/{object_type}/{pipeline_id}/access"): "super admin only",
    ("POST", "/crm/v3/pipelines/{object_type}/{pipeline_id}/stages"): "super admin only",
    ("PATCH", "/crm/v3/pipelines/{object_type}/{pipeline_id}/stages/{stage_id}"): "super admin only",
    (
        "DELETE",
        "/crm/v3/pipelines/{object_type}/{pipeline_id}/stages/{stage_id}",
    ): "super admin only (moves tickets)",
    # workflows: what they say about records
    ("GET", "/workflows/{workflow_id}/enrollments"): "matrix",
    ("POST", "/workflows/{workflow_id}/enrollments"): "matrix: hidden is 404",
    ("DELETE", "/workflows/{workflow_id}/enrollments/{record_id}"): "matrix: hidden is 404",
    ("POST", "/workflows/{workflow_id}/enrollments/{record_id}/retry"): "matrix: hidden is 404",
    ("GET", "/workflows/{workflow_id}/log"): "matrix: entries, ?recordId=hidden is 404",
    ("GET", "/workflows/{workflow_id}/stats"): "matrix: timeLeft",
    ("GET", "/workflows/{workflow_id}/explain/{record_id}"): "matrix: hidden is 404",
    ("GET", "/crm/v3/objects/{object_type}/{record_id}/workflows"): "test_console_api: hidden is 404",
    ("POST", "/workflows/{workflow_id}/test"): "matrix: hidden is 404",
    # lists name records
    ("POST", "/crm/v3/lists"): "test_ticket_list_membership_writes_treat_a_hidden_ticket_as_unknown",
    ("GET", "/crm/v3/lists/{list_id}/memberships"): "test_a_ticket_list_names_only_visible_tickets",
    ("PUT", "/crm/v3/lists/{list_id}/memberships/add"): "test_ticket_list_membership_writes_...",
    ("PUT", "/crm/v3/lists/{list_id}/memberships/remove"): "test_ticket_list_membership_writes_...",
}

NO_TICKET_RECORD: dict[tuple[str, str], str] = {
    ("GET", "/crm/v3/properties/{object_type}"): "property definitions",
    ("POST", "/crm/v3/properties/{object_type}"): "property definitions",
    ("GET", "/crm/v3/properties/{object_type}/{name}"): "property definitions",
    ("GET", "/workflows"): "workflow definitions; enrollment and actions run as the system",
    ("POST", "/workflows"): "workflow definitions; enrollment and actions run as the system",
    ("GET", "/workflows/schema"): "JSON Schema",
    ("GET", "/workflows/{workflow_id}"): "workflow definition",
    ("PUT", "/workflows/{workflow_id}"): "workflow definition (enrollExisting runs as the system)",
    ("DELETE", "/workflows/{workflow_id}"): "workflow definition",
    ("GET", "/workflows/{workflow_id}/revisions"): "workflow definition history",
    ("GET", "/workflows/{workflow_id}/revisions/{revision}"): "workflow definition history",
    ("POST", "/workflows/{workflow_id}/enable"): "turns a workflow on (enrollExisting runs as the system)",
    ("POST", "/workflows/{workflow_id}/disable"): "turns a workflow off",
    ("GET", "/marketing/v3/emails"): "marketing emails",
    ("POST", "/marketing/v3/emails"): "marketing emails",
    ("GET", "/marketing/v3/emails/{email_id}"): "marketing emails",
    ("GET", "/marketing/v3/forms"): "forms",
    ("POST", "/marketing/v3/forms"): "forms",
    ("GET", "/marketing/v3/forms/{form_id}"): "forms",
    ("POST", "/submissions/v3/integration/submit/{portal_id}/{form_id}"): "creates or updates a contact",
    ("GET", "/crm/v3/lists/{list_id}"): "the list's definition, no members",
    ("DELETE", "/crm/v3/lists/{list_id}"): "the list and its memberships, no record changes",
    ("GET", "/settings/ownership"): "account settings",
    ("PUT", "/settings/ownership"): "account settings",
    ("GET", "/settings/lifecycle"): "account settings",
    ("PUT", "/settings/lifecycle"): "account settings",
    ("GET", "/settings/lead-automation"): "account settings",
    ("PUT", "/settings/lead-automation"): "account settings",
    ("GET", "/settings/teams"): "teams (writes: super admin only, tested here)",
    ("POST", "/settings/teams"): "teams",
    ("GET", "/settings/teams/{team_id}"): "teams",
    ("PATCH", "/settings/teams/{team_id}"): "teams",
    ("DELETE", "/settings/teams/{team_id}"): "teams",
    ("GET", "/settings/users"): "users (writes: super admin only, tested here)",
    ("POST", "/settings/users"): "users",
    ("GET", "/settings/users/{user_id}"): "users",
    ("PATCH", "/settings/users/{user_id}"): "users",
    ("DELETE", "/settings/users/{user_id}"): "users",
}

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def test_every_route_is_classified_for_ticket_access(rt: Runtime) -> None:
    """A new route must be checked for ticket access here, or listed as not touching tickets."""
    document = ok(rt.api("GET", "/openapi.json"))
    routes = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }
    assert not set(TICKET_ROUTES) & set(NO_TICKET_RECORD)
    classified = set(TICKET_ROUTES) | set(NO_TICKET_RECORD)
    unclassified = sorted(routes - classified)
    assert not unclassified, f"routes neither checked for ticket access nor classified: {unclassified}"
    gone = sorted(classified - routes)
    assert not gone, f"the table names routes that no longer exist: {gone}"


OUTSIDE_THE_DOCUMENT: dict[tuple[str, str], str] = {
    # routes the OpenAPI document leaves out (include_in_schema=False): public, no token (docs.PUBLIC)
    ("GET", "/openapi.json"): "public: the OpenAPI document, no records",
    ("GET", "/docs"): "public: the Swagger UI page, no records",
    ("GET", "/docs/{asset}"): "public: Swagger UI's script and style sheet",
    ("GET", "/console"): "public: the web console's page, no records (console.PUBLIC)",
    ("GET", "/console/{asset}"): "public: the web console's modules and style sheet",
}


def test_every_route_outside_the_document_is_classified_and_public() -> None:
    """A route left out of /openapi.json escapes the guard above: each must be listed here, and be one
    of the public routes the API runs without a principal (and template.yaml opens without a token)."""
    from crmflow.api import console, docs
    from crmflow.api.app import app

    hidden = {
        (route.method, route.openapi_path)
        for route in app._static_routes + app._dynamic_routes
        if not route.include_in_schema
    }
    assert hidden == set(OUTSIDE_THE_DOCUMENT)
    assert hidden == set(docs.PUBLIC) | set(console.PUBLIC)


# ---------------------------------------------------------------- reassignment


def test_t5_a_team_only_user_gives_a_ticket_away_but_cannot_claim_one(rt: Runtime) -> None:
    me, outsider, _, own, hidden = small_account(rt)
    call = as_user(rt, me["token"])
    given = call(
        "PATCH", f"/crm/v3/objects/tickets/{own}", {"properties": {"hubspot_owner_id": outsider["id"]}}
    )
    assert given.status == 200, given.body
    assert given.json["properties"]["hubspot_owner_id"] == outsider["id"]
    assert call("GET", f"/crm/v3/objects/tickets/{own}").status == 404
    assert owner_of(rt, own) == outsider["id"]
    assert list_ids(call, "tickets", 100) == []

    claim = {"properties": {"hubspot_owner_id": me["id"]}}
    assert call("PATCH", f"/crm/v3/objects/tickets/{hidden}", claim).status == 404
    batch_claim = call("POST", "/crm/v3/objects/tickets/batch/update", {"inputs": [{"id": hidden, **claim}]})
    assert batch_claim.status == 404, batch_claim.body
    for ticket_id in (own, hidden):
        assert owner_of(rt, ticket_id) == outsider["id"]


# ---------------------------------------------------------------- pipeline access


def ticket_view(call: Callable[..., ApiResponse], ids: list[str]) -> tuple[set[str], set[str], set[str], int]:
    """What a user sees of ``ids``: by GET, by list, by search, and the search total."""
    got = shown(statuses(ids, lambda t: call("GET", f"/crm/v3/objects/tickets/{t}")), 200)
    listed = set(list_ids(call, "tickets", 100)) & set(ids)
    found, total = search_ids(call, "tickets", 100)
    return got, listed, set(found) & set(ids), total


def test_pipeline_access_list_hides_the_pipeline_and_its_tickets(rt: Runtime) -> None:
    team_a, team_b = team(rt, "Team A"), team(rt, "Team B")
    a_all = user(rt, "a@example.com", [team_a])
    b_all = user(rt, "b@example.com", [team_b])
    b_team = user(rt, "b-team@example.com", [team_b], "TEAM_ONLY", False)
    named = user(rt, "named@example.com", [])
    stages = [
        {"label": "Open", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}},
        {"label": "Closed", "displayOrder": 1, "metadata": {"ticketState": "CLOSED"}},
    ]
    restricted = ok(rt.api("POST", "/crm/v3/pipelines/tickets", {"label": "Team B", "stages": stages}), 201)[
        "id"
    ]
    in_b = {
        "b_all": ticket(rt, "b", b_all["id"], hs_pipeline=restricted),
        "b_team": ticket(rt, "b team", b_team["id"], hs_pipeline=restricted),
        "a_all": ticket(rt, "a in b", a_all["id"], hs_pipeline=restricted),
        "none": ticket(rt, "unassigned in b", None, hs_pipeline=restricted),
    }
    default = ticket(rt, "a in default", a_all["id"])
    everything = [*in_b.values(), default]
    access = {"userIds": [named["id"]], "teamIds": [team_b]}
    assert ok(rt.api("PUT", f"/crm/v3/pipelines/tickets/{restricted}/access", access))["restricted"] is True

    def pipelines_seen(token: str) -> set[str]:
        return {p["id"] for p in ok(rt.api("GET", "/crm/v3/pipelines/tickets", token=token))["results"]}

    # a team-A user with ALL access: neither the pipeline nor its tickets exist for it
    call = as_user(rt, a_all["token"])
    assert pipelines_seen(a_all["token"]) == {"0"}
    pipeline_path = f"/crm/v3/pipelines/tickets/{restricted}"
    for path in (pipeline_path, f"{pipeline_path}/stages", f"{pipeline_path}/access"):
        assert call("GET", path).status == 404, path
    stage_id = ok(rt.api("GET", pipeline_path))["stages"][0]["id"]
    assert call("GET", f"{pipeline_path}/stages/{stage_id}").status == 404
    assert ticket_view(call, everything) == ({default}, {default}, {default}, 1)
    batch = call("POST", "/crm/v3/objects/tickets/batch/read", {"inputs": [{"id": t} for t in everything]})
    assert [r["id"] for r in batch.json["results"]] == [default]
    assert (
        call("PATCH", f"/crm/v3/objects/tickets/{in_b['a_all']}", {"properties": {"subject": "x"}}).status
        == 404
    )

    # team B (ALL) and the user named directly see the pipeline and every ticket of it
    for member in (b_all, named):
        assert pipelines_seen(member["token"]) == {"0", restricted}
        ok(rt.api("GET", pipeline_path, token=member["token"]))
        ok(rt.api("GET", f"{pipeline_path}/access", token=member["token"]))
        assert ticket_view(as_user(rt, member["token"]), everything) == (set(everything),) * 3 + (5,)

    # both rules together: a TEAM_ONLY member of team B sees only its team's tickets of the pipeline
    team_only = {in_b["b_all"], in_b["b_team"]}
    assert pipelines_seen(b_team["token"]) == {"0", restricted}
    assert ticket_view(as_user(rt, b_team["token"]), everything) == (team_only,) * 3 + (2,)

    # cleared: everyone sees again (team rules still apply)
    assert rt.api("DELETE", f"{pipeline_path}/access").status == 204
    assert ok(rt.api("GET", f"{pipeline_path}/access"))["restricted"] is False
    assert pipelines_seen(a_all["token"]) == {"0", restricted}
    ok(call("GET", pipeline_path))
    assert ticket_view(call, everything) == (set(everything),) * 3 + (5,)
    assert ticket_view(as_user(rt, b_team["token"]), everything) == (team_only,) * 3 + (2,)


def test_pipeline_access_rejects_unknown_users_and_teams(rt: Runtime) -> None:
    answer = rt.api("PUT", "/crm/v3/pipelines/tickets/0/access", {"userIds": ["404"], "teamIds": ["405"]})
    assert answer.status == 400, answer.body
    assert "userIds" in answer.json["message"] and "teamIds" in answer.json["message"]
    assert ok(rt.api("GET", "/crm/v3/pipelines/tickets/0/access"))["restricted"] is False


# ---------------------------------------------------------------- users and teams


def test_users_and_teams_api_checks_input_and_admin_rights(rt: Runtime) -> None:
    team_a, team_b = team(rt, "Team A"), team(rt, "Team B")
    me = user(rt, "me@example.com", [team_a, team_b], "TEAM_ONLY", False)
    mate = user(rt, "mate@example.com", [team_a])
    assert {"id", "email", "teamIds", "permissions", "token"} <= set(me)
    assert me["permissions"] == {"tickets": {"access": "TEAM_ONLY", "unassigned": False}}
    default = user(rt, "default@example.com", [])
    assert ok(rt.api("GET", f"/settings/users/{default['id']}"))["permissions"] == {
        "tickets": {"access": "ALL", "unassigned": True}
    }

    def bad(method: str, path: str, body: Any, field: str) -> None:
        answer = rt.api(method, path, body)
        assert answer.status == 400, (body, answer.status, answer.body)
        assert answer.json["category"] == "VALIDATION_ERROR"
        assert answer.json["message"].startswith(field), (field, answer.json["message"])

    bad("POST", "/settings/users", {"email": "x@example.com", "teamIds": ["404"]}, "teamIds")
    bad(
        "POST",
        "/settings/users",
        {"email": "x@example.com", "permissions": {"tickets": {"access": "SOME"}}},
        "permissions.tickets.access",
    )
    bad(
        "POST",
        "/settings/users",
        {"email": "x@example.com", "permissions": {"tickets": {"unassigned": "maybe"}}},
        "permissions.tickets.unassigned",
    )
    bad("POST", "/settings/users", {"teamIds": []}, "email")
    bad("POST", "/settings/users", {"email": "not-an-email"}, "email")
    bad("POST", "/settings/users", {"email": "x@example.com", "role": "admin"}, "role")
    bad("POST", "/settings/teams", {}, "name")
    bad("POST", "/settings/teams", {"name": "T", "members": []}, "members")
    bad("PATCH", f"/settings/users/{me['id']}", {"teamIds": ["404"]}, "teamIds")
    bad("PATCH", f"/settings/users/{me['id']}", {"email": "new@example.com"}, "email")
    for email in ("me@example.com", "ME@Example.com"):
        duplicate = rt.api("POST", "/settings/users", {"email": email})
        assert duplicate.status == 409 and "email" in duplicate.json["message"], duplicate.body
    assert len(ok(rt.api("GET", "/settings/users"))["results"]) == 3
    assert len(ok(rt.api("GET", "/settings/teams"))["results"]) == 2

    # a user (even with ALL ticket access) may not manage users or teams
    for token in (me["token"], mate["token"]):
        for method, path, body in (
            ("POST", "/settings/users", {"email": "new@example.com"}),
            ("PATCH", f"/settings/users/{me['id']}", {"permissions": {"tickets": {"access": "ALL"}}}),
            ("DELETE", f"/settings/users/{mate['id']}", None),
            ("POST", "/settings/teams", {"name": "New"}),
            ("PATCH", f"/settings/teams/{team_a}", {"name": "Renamed"}),
            ("DELETE", f"/settings/teams/{team_a}", None),
        ):
            answer = rt.api(method, path, body, token=token)
            assert answer.status == 403, (method, path, answer.status, answer.body)
            assert answer.json["category"] == "FORBIDDEN" and answer.json["message"]
    assert ok(rt.api("GET", f"/settings/users/{me['id']}"))["permissions"]["tickets"]["access"] == "TEAM_ONLY"
    assert ok(rt.api("GET", f"/settings/teams/{team_a}"))["name"] == "Team A"
    assert len(ok(rt.api("GET", "/settings/users"))["results"]) == 3

    # tokens nobody issued are 401
    for token in ("nope", "crmflow-user-1-0000", "", None):
        answer = rt.api("GET", "/crm/v3/objects/tickets", token=token)
        assert answer.status == 401, (token, answer.body)

    # deleting a team takes it out of its members' teamIds, and out of their team access
    mates_ticket = ticket(rt, "mate's", mate["id"])
    assert rt.api("GET", f"/crm/v3/objects/tickets/{mates_ticket}", token=me["token"]).status == 200
    assert rt.api("DELETE", f"/settings/teams/{team_a}").status == 204
    assert ok(rt.api("GET", f"/settings/users/{me['id']}"))["teamIds"] == [team_b]
    assert ok(rt.api("GET", f"/settings/users/{mate['id']}"))["teamIds"] == []
    assert rt.api("GET", f"/settings/teams/{team_a}").status == 404
    assert [t["id"] for t in ok(rt.api("GET", "/settings/teams"))["results"]] == [team_b]
    assert rt.api("GET", f"/crm/v3/objects/tickets/{mates_ticket}", token=me["token"]).status == 404

    # moving a user into a team widens its teammates at once; a deleted user's token is 401
    ok(rt.api("PATCH", f"/settings/users/{mate['id']}", {"teamIds": [team_b]}))
    assert rt.api("GET", f"/crm/v3/objects/tickets/{mates_ticket}", token=me["token"]).status == 200
    assert rt.api("DELETE", f"/settings/users/{mate['id']}").status == 204
    assert rt.api("GET", "/crm/v3/objects/tickets", token=mate["token"]).status == 401
    assert rt.api("POST", "/settings/users", {"email": "mate@example.com"}).status == 201  # email free again


# ---------------------------------------------------------------- identity on AWS (no local authorizer)


def test_aws_jwt_claims_decide_who_is_asking(rt: Runtime) -> None:
    me, _, _, own, hidden = small_account(rt)

    def aws(method: str, path: str, claims: dict[str, Any], body: Any = None, **headers: str) -> ApiResponse:
        text = None if body is None else json.dumps(body)
        event = rt._http_event(method, path, text, claims, {}, headers)
        result = rt.invoke("ApiFunction", event)
        return ApiResponse(int(result["statusCode"]), result.get("headers") or {}, result.get("body") or "")

    def tickets_seen(claims: dict[str, Any], **headers: str) -> set[str]:
        answer = aws("GET", "/crm/v3/objects/tickets", claims, **headers)
        assert answer.status == 200, answer.body
        return {record["id"] for record in answer.json["results"]}

    user_claims = {"sub": "0f1e2d3c-cognito-sub", "email": "me@example.com", "email_verified": "true"}
    assert tickets_seen(user_claims) == {own}
    assert tickets_seen({**user_claims, "email": "Me@Example.COM"}) == {
        own
    }  # emails match case-insensitively
    assert aws("GET", f"/crm/v3/objects/tickets/{hidden}", user_claims).status == 404
    assert aws("POST", "/settings/teams", user_claims, {"name": "Mine"}).status == 403

    # members of the Cognito group "admins" are super admins, however API Gateway writes the groups
    for groups in ("[admins]", "[sales admins]", ["admins"]):
        admin_claims = {"sub": "admin-sub", "email": "ops@example.com", "cognito:groups": groups}
        assert tickets_seen(admin_claims) == {own, hidden}, groups
    assert tickets_seen({**user_claims, "cognito:groups": "[admins]"}) == {own, hidden}
    assert (
        aws("POST", "/settings/teams", {"sub": "a", "cognito:groups": "[admins]"}, {"name": "Ops"}).status
        == 201
    )

    # an identity that is not a crmflow user (nor an admin) is 403, with a message saying so
    for claims in (
        {"sub": "stranger", "email": "stranger@example.com"},
        {"sub": "no-email"},
        {},
        {"sub": "x", "email": "stranger@example.com", "cognito:groups": "[administrators sales]"},
    ):
        answer = aws("GET", "/crm/v3/objects/tickets", claims)
        assert answer.status == 403, (claims, answer.body)
        assert answer.json["category"] == "FORBIDDEN" and "crmflow user" in answer.json["message"]

    # headers the caller sets change nothing: only the verified claims count
    forged = {
        "x-crmflow-user": "admin",
        "x-amzn-oidc-identity": "admin",
        "x-amzn-oidc-data": "eyJhbGciOi.forged.token",
        "authorization": "Bearer local-admin",
        "x-crmflow-principal": "SUPER_ADMIN",
    }
    assert tickets_seen(user_claims, **forged) == {own}
    assert aws("GET", f"/crm/v3/objects/tickets/{hidden}", user_claims, **forged).status == 404
    assert aws("POST", "/settings/teams", user_claims, {"name": "Forged"}, **forged).status == 403
    stranger = aws("GET", "/crm/v3/objects/tickets", {"sub": "s", "email": "s@example.com"}, **forged)
    assert stranger.status == 403
    # the same through the local authorizer: a user token with forged headers is still that user
    local = rt.api("GET", "/crm/v3/objects/tickets", token=me["token"], headers=forged)
    assert {record["id"] for record in ok(local)["results"]} == {own}


def test_a_hidden_pipeline_is_unknown_when_creating_a_ticket(rt: Runtime) -> None:
    team_a, team_b = team(rt, "Team A"), team(rt, "Team B")
    outside = user(rt, "a@example.com", [team_a])
    stages = [
        {"label": "Open", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}},
        {"label": "Closed", "displayOrder": 1, "metadata": {"ticketState": "CLOSED"}},
    ]
    restricted = ok(rt.api("POST", "/crm/v3/pipelines/tickets", {"label": "B", "stages": stages}), 201)["id"]
    ok(rt.api("PUT", f"/crm/v3/pipelines/tickets/{restricted}/access", {"teamIds": [team_b]}))
    call = as_user(rt, outside["token"])
    unknown = call("POST", "/crm/v3/objects/tickets", {"properties": {"subject": "x", "hs_pipeline": "777"}})
    assert unknown.status == 400
    answer = call(
        "POST", "/crm/v3/objects/tickets", {"properties": {"subject": "x", "hs_pipeline": restricted}}
    )
    assert ok(rt.api("POST", "/crm/v3/objects/tickets/search", {}))["total"] == 0, "a ticket was created"
    assert answer.status == 400, answer.body
    assert answer.json["message"].replace(restricted, "<id>") == unknown.json["message"].replace(
        "777", "<id>"
    )


def test_settings_writes_are_for_super_admins_only(rt: Runtime) -> None:
    agent, *_ = small_account(rt)
    call = as_user(rt, agent["token"])
    for path, body in [
        ("/settings/ownership", {"syncContactCompanyOwner": False}),
        ("/settings/lifecycle", {"defaultStageOnCreate": "lead"}),
        ("/settings/lead-automation", {}),
    ]:
        before = ok(rt.api("GET", path))
        answer = call("PUT", path, body)
        assert answer.status == 403, (path, answer.body)
        assert ok(call("GET", path)) == before  # reading stays open


def test_workflow_editing_is_for_super_admins_only(rt: Runtime) -> None:
    """Workflow actions run as the system and see every ticket: only super admins write workflows."""
    agent, *_ = small_account(rt)
    call = as_user(rt, agent["token"])
    has_subject = {"filterGroups": [{"filters": [{"propertyName": "subject", "operator": "HAS_PROPERTY"}]}]}
    definition = workflow(
        {"type": "SET_PROPERTY", "property": "subject", "value": "x"},
        objectType="tickets",
        enrollment=has_subject,
    )
    assert call("POST", "/workflows", definition).status == 403
    workflow_id = str(ok(rt.api("POST", "/workflows", definition), 201)["id"])
    current = ok(call("GET", f"/workflows/{workflow_id}"))  # reading stays open
    body = {k: v for k, v in current.items() if k not in ("id", "enabled", "createdAt", "updatedAt")}
    assert call("PUT", f"/workflows/{workflow_id}", body).status == 403
    assert call("POST", f"/workflows/{workflow_id}/enable", {"enrollExisting": False}).status == 403
    assert call("POST", f"/workflows/{workflow_id}/disable").status == 403
    assert call("DELETE", f"/workflows/{workflow_id}").status == 403
    assert ok(rt.api("GET", f"/workflows/{workflow_id}"))["enabled"] is False
