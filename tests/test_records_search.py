"""SPEC 2: POST /crm/v3/objects/{type}/search - filterGroups, sorts, paging, limits."""

from typing import Any

from crmflow_local.runtime import Runtime

SEARCH = "/crm/v3/objects/deals/search"


def seed(rt: Runtime) -> None:
    deals = [("Alpha", "500", "closedwon"), ("Beta", "1500", "contractsent"), ("Gamma", "90", "closedlost")]
    deals += [("Delta", "", "appointmentscheduled")]
    inputs = [
        {"properties": {"dealname": name, "dealstage": stage, **({"amount": amount} if amount else {})}}
        for name, amount, stage in deals
    ]
    assert rt.api("POST", "/crm/v3/objects/deals/batch/create", {"inputs": inputs}).status == 201


def where(*filters: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"filters": list(filters)}]


def names(body: dict[str, Any]) -> list[str]:
    return [r["properties"]["dealname"] for r in body["results"]]


def test_filters_are_typed_and_groups_are_ored(rt: Runtime) -> None:
    seed(rt)
    # numeric, not lexicographic: "90" < "500"
    body = rt.api(
        "POST", SEARCH, {"filterGroups": where({"propertyName": "amount", "operator": "GT", "value": "100"})}
    ).json
    assert body["total"] == 2 and sorted(names(body)) == ["Alpha", "Beta"]
    groups = [
        {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": "closedlost"}]},
        {"filters": [{"propertyName": "amount", "operator": "NOT_HAS_PROPERTY"}]},
    ]
    assert sorted(names(rt.api("POST", SEARCH, {"filterGroups": groups}).json)) == ["Delta", "Gamma"]
    both = where(
        {"propertyName": "amount", "operator": "BETWEEN", "value": "100", "highValue": "2000"},
        {"propertyName": "hs_is_closed_won", "operator": "EQ", "value": "true"},
    )
    assert names(rt.api("POST", SEARCH, {"filterGroups": both}).json) == ["Alpha"]


def test_no_filters_matches_everything_and_properties_select_columns(rt: Runtime) -> None:
    seed(rt)
    body = rt.api("POST", SEARCH, {"properties": ["dealname", "amount"]}).json
    assert body["total"] == 4
    delta = body["results"][3]["properties"]
    assert delta["dealname"] == "Delta" and delta["amount"] is None and "dealstage" not in delta


def test_sorts_and_paging(rt: Runtime) -> None:
    seed(rt)
    request: dict[str, Any] = {"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}], "limit": 2}
    first = rt.api("POST", SEARCH, request).json
    assert first["total"] == 4 and names(first) == ["Beta", "Alpha"]
    second = rt.api("POST", SEARCH, {**request, "after": first["paging"]["next"]["after"]}).json
    assert names(second) == ["Gamma", "Delta"] and "paging" not in second
    ascending = rt.api("POST", SEARCH, {"sorts": ["dealname"]}).json
    assert names(ascending) == ["Alpha", "Beta", "Delta", "Gamma"]
    unsorted = rt.api("POST", SEARCH, {"limit": 3}).json
    assert names(unsorted) == ["Alpha", "Beta", "Gamma"] and unsorted["paging"]["next"]["after"] == "3"
    rest = rt.api("POST", SEARCH, {"limit": 3, "after": "3"}).json
    assert names(rest) == ["Delta"]


def test_query_searches_text_and_archived_records_are_left_out(rt: Runtime) -> None:
    seed(rt)
    assert names(rt.api("POST", SEARCH, {"query": "gam"}).json) == ["Gamma"]
    rt.api("DELETE", "/crm/v3/objects/deals/3")
    assert rt.api("POST", SEARCH, {"query": "gam"}).json["total"] == 0


def test_search_limits_are_400(rt: Runtime) -> None:
    one = {"propertyName": "amount", "operator": "HAS_PROPERTY"}
    too_many: list[dict[str, Any]] = [
        {"filterGroups": [{"filters": [one]}] * 6},
        {"filterGroups": [{"filters": [one] * 7}]},
        {"filterGroups": [{"filters": [one] * 5}] * 4},
        {"limit": 201},
        {"filterGroups": where({"propertyName": "amount", "operator": "ALMOST", "value": "1"})},
        {"filterGroups": where({"propertyName": "amount", "operator": "IN"})},
        {"after": "not-a-cursor"},
    ]
    for body in too_many:
        r = rt.api("POST", SEARCH, body)
        assert r.status == 400, (body, r.json)
        assert r.json["category"] == "VALIDATION_ERROR"
