"""Property values checked against their types, without AWS (SPEC 2: 400 naming the property)."""

import pytest
from crmflow.errors import ValidationFailed
from crmflow.records import pipelines
from crmflow.records.associations import resolve_types, target_type
from crmflow.records.models import resolve_object_type
from crmflow.records.properties import DEFAULT_PROPERTIES, validate_properties

CONTACT = DEFAULT_PROPERTIES["contacts"]
DEAL = DEFAULT_PROPERTIES["deals"]


@pytest.mark.parametrize(
    ("name", "value", "stored"),
    [
        ("email", "a@b.c", "a@b.c"),
        ("hs_email_optout", "False", "false"),
        ("closedate", "2026-12-24T10:00:00+01:00", "2026-12-24T09:00:00.000Z"),
        ("closedate", "2026-12-24", "2026-12-24T00:00:00.000Z"),
        ("lifecyclestage", "customer", "customer"),
        ("firstname", "", None),
        ("firstname", None, None),
    ],
)
def test_valid_values_are_normalised(name: str, value: str | None, stored: str | None) -> None:
    assert validate_properties("contacts", {name: value}, CONTACT) == {name: stored}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hs_email_optout", "yes"),
        ("closedate", "soon"),
        ("lifecyclestage", "Customer!"),
        ("hs_object_id", "1"),
        ("lastmodifieddate", "2026-12-24"),
        ("days_to_close", "3"),
        ("shoe_size", "42"),
    ],
)
def test_invalid_values_name_the_property(name: str, value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_properties("contacts", {name: value}, CONTACT)
    assert name in caught.value.message
    assert caught.value.to_body("c-1")["context"] == {"propertyName": [name]}


@pytest.mark.parametrize("value", ["abc", "1,5", "nan", "inf", "1e999"])
def test_number_properties_take_only_finite_numbers(value: str) -> None:
    with pytest.raises(ValidationFailed):
        validate_properties("deals", {"amount": value}, DEAL)
    assert validate_properties("deals", {"amount": "-12.50"}, DEAL) == {"amount": "-12.50"}


def test_the_engine_may_set_calculated_properties() -> None:
    assert validate_properties("contacts", {"days_to_close": "3"}, CONTACT, system=True) == {
        "days_to_close": "3"
    }


def test_object_type_aliases() -> None:
    assert resolve_object_type("contact") == resolve_object_type("0-1") == "contacts"
    assert resolve_object_type("company") == "companies"
    with pytest.raises(ValidationFailed):
        resolve_object_type("unicorns")


def test_pipeline_defaults_and_stage_checks() -> None:
    defaults = pipelines.DEFAULT_PIPELINES["tickets"]
    assert pipelines.apply_pipeline("tickets", {}, {}, defaults) == {
        "hs_pipeline": "0",
        "hs_pipeline_stage": "1",
    }
    assert pipelines.apply_pipeline("tickets", {}, {"hs_pipeline_stage": "3"}, defaults)["hs_pipeline"] == "0"
    with pytest.raises(ValidationFailed, match="hs_pipeline_stage"):
        pipelines.apply_pipeline("tickets", {}, {"hs_pipeline_stage": "9"}, defaults)
    assert pipelines.apply_pipeline("contacts", {}, {"email": "x"}) == {"email": "x"}


def test_association_types_have_inverses_and_unknown_ids_mean_default() -> None:
    forward, backward = resolve_types("contacts", "companies", [1])
    assert [(t.typeId, t.label) for t in forward] == [(279, None), (1, "Primary")]
    assert [(t.typeId, t.label) for t in backward] == [(280, None), (2, "Primary")]
    forward, _ = resolve_types("contacts", "companies", [12345])
    assert [t.typeId for t in forward] == [279]
    assert target_type("deals", [3]) == "contacts" and target_type("emails", [198]) == "contacts"
    assert target_type("contacts", [12345]) is None
