"""The one filter engine (SPEC section 2: filterGroups everywhere)."""

import pytest
from crmflow.filters import (
    Filter,
    FilterGroup,
    Operator,
    contains_token,
    count_filters,
    explain,
    filter_properties,
    matches,
    parse_instant,
)
from pydantic import ValidationError


def f(prop: str, op: str, value=None, values=None, high=None) -> dict:
    body: dict = {"propertyName": prop, "operator": op}
    if value is not None:
        body["value"] = value
    if values is not None:
        body["values"] = values
    if high is not None:
        body["highValue"] = high
    return body


def one(filter_: dict, props: dict, types: dict | None = None) -> bool:
    return matches([{"filters": [filter_]}], props, types)


# --- model ----------------------------------------------------------------------------------------


def test_numbers_and_bools_in_json_are_coerced_to_strings():
    flt = Filter.model_validate({"propertyName": "n", "operator": "EQ", "value": 5})
    assert flt.value == "5"
    flt = Filter.model_validate({"propertyName": "b", "operator": "EQ", "value": True})
    assert flt.value == "true"
    flt = Filter.model_validate({"propertyName": "n", "operator": "IN", "values": [1, 2.5, "x"]})
    assert flt.values == ["1", "2.5", "x"]
    flt = Filter.model_validate({"propertyName": "n", "operator": "BETWEEN", "value": 1, "highValue": 9})
    assert flt.highValue == "9"


def test_operator_is_accepted_in_lower_case():
    assert Filter.model_validate(f("a", "eq", "x")).operator is Operator.EQ


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (f("a", "EQ"), "value"),
        (f("a", "NEQ"), "value"),
        (f("a", "LT"), "value"),
        (f("a", "GTE"), "value"),
        (f("a", "CONTAINS_TOKEN"), "value"),
        (f("a", "BETWEEN", high="5"), "value"),
        (f("a", "BETWEEN", value="1"), "highValue"),
        (f("a", "IN"), "values"),
        (f("a", "NOT_IN", values=[]), "values"),
    ],
)
def test_missing_operand_is_an_error_naming_the_field(body, field):
    with pytest.raises(ValidationError) as err:
        Filter.model_validate(body)
    assert f"{field}:" in str(err.value)


def test_has_property_needs_no_operand():
    Filter.model_validate(f("a", "HAS_PROPERTY"))
    Filter.model_validate(f("a", "NOT_HAS_PROPERTY"))


def test_unknown_operator_and_empty_property_name_are_errors():
    with pytest.raises(ValidationError):
        Filter.model_validate(f("a", "LIKE", "x"))
    with pytest.raises(ValidationError):
        Filter.model_validate(f("", "EQ", "x"))


# --- groups ---------------------------------------------------------------------------------------


def test_empty_filter_groups_match_everything():
    assert matches([], {}) is True
    assert matches([{"filters": []}], {"a": "1"}) is True


def test_or_of_groups_and_within_a_group():
    groups = [
        {"filters": [f("a", "EQ", "1"), f("b", "EQ", "2")]},
        {"filters": [f("c", "EQ", "3")]},
    ]
    assert matches(groups, {"a": "1", "b": "2"})
    assert not matches(groups, {"a": "1", "b": "9"})
    assert matches(groups, {"a": "1", "b": "9", "c": "3"})
    assert not matches(groups, {})


def test_models_and_dicts_are_both_accepted():
    group = FilterGroup(filters=[Filter(propertyName="a", operator=Operator.EQ, value="x")])
    assert matches([group], {"a": "X"})
    assert matches([group.model_dump()], {"a": "X"})


def test_count_filters_and_filter_properties():
    groups = [{"filters": [f("a", "EQ", "1"), f("b", "HAS_PROPERTY")]}, {"filters": [f("a", "EQ", "2")]}]
    assert count_filters(groups) == 3
    assert count_filters([]) == 0
    assert filter_properties(groups) == {"a", "b"}


# --- strings / enumerations ----------------------------------------------------------------------


def test_eq_neq_are_case_insensitive_for_strings():
    t = {"stage": "enumeration"}
    assert one(f("stage", "EQ", "Lead"), {"stage": "lead"}, t)
    assert not one(f("stage", "EQ", "lead"), {"stage": "customer"}, t)
    assert one(f("stage", "NEQ", "lead"), {"stage": "customer"}, t)
    assert not one(f("stage", "NEQ", "LEAD"), {"stage": "lead"}, t)


def test_in_not_in_are_case_insensitive():
    assert one(f("s", "IN", values=["A", "b"]), {"s": "B"})
    assert not one(f("s", "IN", values=["a", "b"]), {"s": "c"})
    assert one(f("s", "NOT_IN", values=["a", "b"]), {"s": "c"})
    assert not one(f("s", "NOT_IN", values=["a", "b"]), {"s": "A"})


def test_string_ordering_is_lexicographic():
    t = {"name": "string"}
    assert one(f("name", "LT", "b"), {"name": "apple"}, t)
    assert not one(f("name", "GT", "b"), {"name": "apple"}, t)
    assert one(f("name", "LTE", "apple"), {"name": "Apple"}, t)
    assert one(f("name", "GTE", "apple"), {"name": "apple"}, t)
    # declared string: "10" < "9" as text
    assert one(f("code", "LT", "9"), {"code": "10"}, {"code": "string"})
    assert one(f("name", "BETWEEN", "b", high="d"), {"name": "carl"}, t)
    assert not one(f("name", "BETWEEN", "b", high="d"), {"name": "eve"}, t)


# --- missing values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f("x", "EQ", "1"), False),
        (f("x", "NEQ", "1"), True),
        (f("x", "LT", "1"), False),
        (f("x", "LTE", "1"), False),
        (f("x", "GT", "1"), False),
        (f("x", "GTE", "1"), False),
        (f("x", "BETWEEN", "1", high="2"), False),
        (f("x", "IN", values=["1"]), False),
        (f("x", "NOT_IN", values=["1"]), True),
        (f("x", "HAS_PROPERTY"), False),
        (f("x", "NOT_HAS_PROPERTY"), True),
        (f("x", "CONTAINS_TOKEN", "a"), False),
        (f("x", "NOT_CONTAINS_TOKEN", "a"), True),
    ],
)
@pytest.mark.parametrize("props", [{}, {"x": None}, {"x": ""}])
def test_missing_or_empty_property(body, expected, props):
    assert one(body, props) is expected


def test_has_property():
    assert one(f("x", "HAS_PROPERTY"), {"x": "0"})
    assert not one(f("x", "NOT_HAS_PROPERTY"), {"x": "0"})


# --- numbers --------------------------------------------------------------------------------------


def test_numbers_compare_as_decimals():
    t = {"amount": "number"}
    assert one(f("amount", "GT", "1000"), {"amount": "1500.50"}, t)
    assert not one(f("amount", "GT", "1000"), {"amount": "999"}, t)
    assert one(f("amount", "EQ", "5"), {"amount": "5.0"}, t)
    assert one(f("amount", "LT", 10), {"amount": "9"}, t)
    assert one(f("amount", "LTE", "9"), {"amount": "9"}, t)
    assert one(f("amount", "GTE", "9"), {"amount": "9.00"}, t)
    assert one(f("amount", "NEQ", "9"), {"amount": "9.01"}, t)
    assert one(f("amount", "BETWEEN", "10", high="20"), {"amount": "10"}, t)
    assert one(f("amount", "BETWEEN", "10", high="20"), {"amount": "20"}, t)
    assert not one(f("amount", "BETWEEN", "10", high="20"), {"amount": "20.5"}, t)
    assert one(f("amount", "IN", values=["1", "2"]), {"amount": "2.0"}, t)
    assert one(f("amount", "NOT_IN", values=["1", "2"]), {"amount": "3"}, t)
    assert one(f("amount", "LT", "0"), {"amount": "-1.5"}, t)


def test_unknown_type_compares_numerically_when_both_sides_are_numbers():
    assert one(f("score", "GT", "9"), {"score": "10"})
    assert one(f("score", "LT", "b"), {"score": "10"})  # not both numbers: text


def test_unparseable_number_falls_back_to_text():
    t = {"amount": "number"}
    assert one(f("amount", "EQ", "n/a"), {"amount": "N/A"}, t)
    assert not one(f("amount", "EQ", "5"), {"amount": "five"}, t)


# --- dates ----------------------------------------------------------------------------------------

DEC24_MS = "1798070400000"  # 2026-12-24T00:00:00Z
DEC24_10H_MS = str(1798070400000 + 10 * 3600 * 1000)


def test_parse_instant_iso_and_epoch_ms():
    assert parse_instant("2026-12-24").isoformat() == "2026-12-24T00:00:00+00:00"
    assert parse_instant(DEC24_MS).isoformat() == "2026-12-24T00:00:00+00:00"
    assert parse_instant("2026-12-24T11:00:00+01:00").isoformat() == "2026-12-24T10:00:00+00:00"
    assert parse_instant("2026-12-24T10:00:00.123Z").microsecond == 123000
    assert parse_instant("not a date") is None
    assert parse_instant("") is None


def test_datetime_compares_instants_across_formats():
    t = {"closedate": "datetime"}
    assert one(f("closedate", "EQ", "2026-12-24T10:00:00Z"), {"closedate": DEC24_10H_MS}, t)
    assert one(f("closedate", "EQ", DEC24_10H_MS), {"closedate": "2026-12-24T11:00:00+01:00"}, t)
    assert one(f("closedate", "GT", "2026-12-24"), {"closedate": "2026-12-24T00:00:01Z"}, t)
    assert one(f("closedate", "LT", DEC24_MS), {"closedate": "2026-12-23T23:59:59Z"}, t)
    assert one(f("closedate", "NEQ", DEC24_MS), {"closedate": DEC24_10H_MS}, t)
    assert one(
        f("closedate", "BETWEEN", "2026-12-01", high="2026-12-31T23:59:59Z"),
        {"closedate": DEC24_10H_MS},
        t,
    )
    # "2026-12-24" vs "2027-01-01" would be right as text too; epoch ms vs ISO would not
    assert one(f("closedate", "LT", "2027-01-01"), {"closedate": "999999999999"}, t)


def test_date_property_compares_by_day():
    t = {"birthday": "date"}
    assert one(f("birthday", "EQ", "2026-12-24"), {"birthday": DEC24_10H_MS}, t)
    assert one(f("birthday", "EQ", DEC24_MS), {"birthday": "2026-12-24"}, t)
    assert not one(f("birthday", "GT", "2026-12-24"), {"birthday": DEC24_10H_MS}, t)
    assert one(f("birthday", "GTE", "2026-12-24"), {"birthday": DEC24_10H_MS}, t)
    assert one(f("birthday", "IN", values=["2026-12-25", DEC24_MS]), {"birthday": "2026-12-24"}, t)


# --- bools ----------------------------------------------------------------------------------------


def test_bool_is_case_insensitive():
    t = {"vip": "bool"}
    assert one(f("vip", "EQ", "true"), {"vip": "TRUE"}, t)
    assert one(f("vip", "EQ", True), {"vip": "True"}, t)
    assert not one(f("vip", "EQ", "true"), {"vip": "false"}, t)
    assert one(f("vip", "NEQ", "true"), {"vip": "False"}, t)
    assert one(f("vip", "NOT_HAS_PROPERTY"), {"vip": ""}, t)


# --- tokens ---------------------------------------------------------------------------------------


def test_contains_token_whole_words():
    assert one(f("desc", "CONTAINS_TOKEN", "renewal"), {"desc": "Q3 Renewal, urgent"})
    assert not one(f("desc", "CONTAINS_TOKEN", "renew"), {"desc": "Q3 Renewal, urgent"})
    assert one(f("desc", "CONTAINS_TOKEN", "renewal urgent"), {"desc": "Q3 Renewal, urgent"})
    assert not one(f("desc", "CONTAINS_TOKEN", "urgent renewal"), {"desc": "Q3 Renewal, urgent"})
    assert one(f("email", "CONTAINS_TOKEN", "example.com"), {"email": "ann@example.com"})
    assert not one(f("email", "CONTAINS_TOKEN", "exam"), {"email": "ann@example.com"})


def test_contains_token_wildcards():
    assert one(f("email", "CONTAINS_TOKEN", "*@example.com"), {"email": "Ann@Example.com"})
    assert not one(f("email", "CONTAINS_TOKEN", "*@example.com"), {"email": "ann@example.org"})
    assert not one(f("email", "CONTAINS_TOKEN", "*@example.com"), {"email": "ann@notexample.com.au"})
    assert one(f("desc", "CONTAINS_TOKEN", "renew*"), {"desc": "Q3 Renewal, urgent"})
    assert one(f("desc", "CONTAINS_TOKEN", "*gent"), {"desc": "Q3 Renewal, urgent"})
    assert one(f("email", "CONTAINS_TOKEN", "exam*"), {"email": "ann@example.com"})
    assert contains_token("a.b+c", "a.b*")  # regex characters are literal


def test_not_contains_token():
    assert one(f("email", "NOT_CONTAINS_TOKEN", "*@example.com"), {"email": "ann@example.org"})
    assert not one(f("email", "NOT_CONTAINS_TOKEN", "*@example.com"), {"email": "ann@example.com"})
    assert one(f("desc", "NOT_CONTAINS_TOKEN", "renew"), {"desc": "Renewal"})


# --- explain --------------------------------------------------------------------------------------


def test_explain_reports_actual_values_and_met_per_filter():
    groups = [
        {"filters": [f("stage", "EQ", "lead"), f("score", "GT", 10)]},
        {"filters": [f("email", "HAS_PROPERTY")]},
    ]
    result = explain(groups, {"stage": "Lead", "score": "5"}, {"score": "number"})
    assert [g.met for g in result] == [False, False]
    first = result[0].filters
    assert (first[0].propertyName, first[0].actual, first[0].met) == ("stage", "Lead", True)
    assert (first[1].actual, first[1].met, first[1].value) == ("5", False, "10")
    assert result[1].filters[0].actual is None
    dumped = result[0].model_dump(mode="json")
    assert dumped["filters"][0]["operator"] == "EQ"
    assert explain([], {}) == []


def test_property_values_that_are_not_strings_are_tolerated():
    assert one(f("n", "EQ", "5"), {"n": 5}, {"n": "number"})
    assert one(f("b", "EQ", "true"), {"b": True}, {"b": "bool"})
