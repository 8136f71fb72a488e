"""Lifecycle stage automation LC-1..LC-5, forms and the property history, through the real path:
the HTTP API, the records table's stream, the lifecycle automation Lambda (with its filter criteria
and idempotency), and back through the API."""

from __future__ import annotations

import copy
import json
from typing import Any

from automation_support import (
    CONTACT_TO_COMPANY,
    DEAL_TO_COMPANY,
    DEAL_TO_CONTACT,
    PRIMARY_COMPANY,
    associate,
    associated,
    create,
    history,
    lifecycle_settings,
    patch,
    props_of,
    put_event,
    sources,
    stage,
    to,
)
from crmflow.dynamo import serialize
from crmflow_local.runtime import Runtime
from engine_support import create_workflow, events, ok, replay, workflow

ALL_ON = {
    "defaultStageOnCreate": "subscriber",
    "stageOnDealCreated": "opportunity",
    "stageOnDealWon": "customer",
    "syncCompanyToContacts": True,
}
AUTOMATION = "LifecycleAutomationFunction"


def contact(rt: Runtime, email: str = "ada@example.com", **props: str) -> str:
    return create(rt, "contacts", email=email, **props)


def settled(rt: Runtime) -> None:
    rt.settle()


# ---------------------------------------------------------------- settings
def test_settings_default_off_and_round_trip(rt: Runtime) -> None:
    assert ok(rt.api("GET", "/settings/lifecycle")) == {
        "defaultStageOnCreate": None,
        "stageOnDealCreated": None,
        "stageOnDealWon": None,
        "syncCompanyToContacts": False,
    }
    assert lifecycle_settings(rt, **ALL_ON) == ALL_ON
    assert ok(rt.api("GET", "/settings/lifecycle")) == ALL_ON


def test_settings_bad_input_is_400_naming_the_field_and_changes_nothing(rt: Runtime) -> None:
    lifecycle_settings(rt, **ALL_ON)
    for body, field in [
        ({**ALL_ON, "stageOnDealWon": "champion"}, "stageOnDealWon"),
        ({**ALL_ON, "syncCompanyToContacts": "often"}, "syncCompanyToContacts"),
        ({**ALL_ON, "stageOnDealLost": "lead"}, "stageOnDealLost"),
    ]:
        answer = rt.api("PUT", "/settings/lifecycle", body)
        assert answer.status == 400, answer.body
        assert field in answer.json["message"]
        assert answer.json["category"] == "VALIDATION_ERROR"
    assert ok(rt.api("GET", "/settings/lifecycle")) == ALL_ON


# ---------------------------------------------------------------- LC-1
def test_lc1_default_stage_on_create_for_contacts_and_companies(rt: Runtime) -> None:
    lifecycle_settings(rt, defaultStageOnCreate="lead")
    person = contact(rt)
    company = create(rt, "companies", name="Fjord")
    given = contact(rt, "bo@example.com", lifecyclestage="customer")
    settled(rt)
    assert stage(rt, person) == "lead"
    assert stage(rt, company, "companies") == "lead"
    assert sources(rt, "contacts", person, "lifecyclestage") == [("lead", "LIFECYCLE_DEFAULT", "LC-1")]
    assert stage(rt, given) == "customer"  # a stage given at creation stays
    assert sources(rt, "contacts", given, "lifecyclestage") == [("customer", "API", None)]


def test_lc1_off_leaves_the_stage_empty(rt: Runtime) -> None:
    person = contact(rt)
    settled(rt)
    assert stage(rt, person) is None
    assert history(rt, "contacts", person, "lifecyclestage") == []


def _form(rt: Runtime, default: str | None = None) -> str:
    body = {"name": "Signup", "defaultLifecycleStage": default}
    return str(ok(rt.api("POST", "/marketing/v3/forms", body), 201)["id"])


def _submit(rt: Runtime, form_id: str, **values: str) -> Any:
    fields = [{"name": name, "value": value} for name, value in values.items()]
    return rt.api("POST", f"/submissions/v3/integration/submit/123/{form_id}", {"fields": fields})


def _by_email(rt: Runtime, email: str) -> dict[str, Any]:
    body = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}]}
    found = ok(rt.api("POST", "/crm/v3/objects/contacts/search", body))["results"]
    assert len(found) == 1, found
    return found[0]


def test_lc1_form_default_stage_wins_over_the_account_default(rt: Runtime) -> None:
    lifecycle_settings(rt, defaultStageOnCreate="lead")
    with_default, without = _form(rt, "marketingqualifiedlead"), _form(rt)
    ok(_submit(rt, with_default, email="mql@example.com", firstname="Mia"))
    ok(_submit(rt, without, email="plain@example.com"))
    settled(rt)
    mql = _by_email(rt, "mql@example.com")
    assert mql["properties"]["lifecyclestage"] == "marketingqualifiedlead"
    assert mql["properties"]["firstname"] == "Mia"
    assert sources(rt, "contacts", mql["id"], "lifecyclestage") == [("marketingqualifiedlead", "FORM", None)]
    assert history(rt, "contacts", mql["id"], "lifecyclestage")[0]["sourceId"] == with_default
    assert _by_email(rt, "plain@example.com")["properties"]["lifecyclestage"] == "lead"


def test_lc1_off_form_submission_gets_subscriber_unless_the_form_sets_a_stage(rt: Runtime) -> None:
    plain, with_default = _form(rt), _form(rt, "lead")
    ok(_submit(rt, plain, email="a@example.com"))
    ok(_submit(rt, with_default, email="b@example.com"))
    api_contact = contact(rt, "c@example.com")
    settled(rt)
    assert _by_email(rt, "a@example.com")["properties"]["lifecyclestage"] == "subscriber"
    assert _by_email(rt, "b@example.com")["properties"]["lifecyclestage"] == "lead"
    assert stage(rt, api_contact) is None


def test_form_submission_updates_the_contact_by_email_and_moves_it_only_forward(rt: Runtime) -> None:
    form = _form(rt, "marketingqualifiedlead")
    early, late = contact(rt, "early@example.com", lifecyclestage="lead"), contact(rt, "late@example.com")
    patch(rt, "contacts", late, lifecyclestage="customer")
    ok(_submit(rt, form, email="EARLY@example.com", jobtitle="CTO"))
    ok(_submit(rt, form, email="late@example.com"))
    settled(rt)
    assert props_of(rt, "contacts", early)["lifecyclestage"] == "marketingqualifiedlead"
    assert props_of(rt, "contacts", early)["jobtitle"] == "CTO"
    assert stage(rt, late) == "customer"  # LC-5: never backwards
    total = ok(rt.api("POST", "/crm/v3/objects/contacts/search", {}))["total"]
    assert total == 2  # updated, not created


def test_form_submission_bad_input_is_4xx_and_creates_nothing(rt: Runtime) -> None:
    form = _form(rt)
    no_email = _submit(rt, form, firstname="Ann")
    assert no_email.status == 400 and "email" in no_email.json["message"]
    unknown = _submit(rt, form, email="x@example.com", shoe_size="44")
    assert unknown.status == 400 and "shoe_size" in unknown.json["message"]
    bad_stage = rt.api("POST", "/marketing/v3/forms", {"name": "F", "defaultLifecycleStage": "vip"})
    assert bad_stage.status == 400 and "defaultLifecycleStage" in bad_stage.json["message"]
    assert _submit(rt, "999", email="x@example.com").status == 404
    settled(rt)
    assert ok(rt.api("GET", "/crm/v3/objects/contacts"))["results"] == []


def test_form_submitted_on_the_bus_creates_the_contact_and_enrolls_it(rt: Runtime) -> None:
    form = _form(rt, "lead")
    trigger = {"filterGroups": [], "event": {"type": "FORM_SUBMITTED", "formId": form}}
    set_tag = {"type": "SET_PROPERTY", "property": "jobtitle", "value": "Signed up"}
    workflow_id = create_workflow(rt, workflow(set_tag, enrollment=trigger))
    put_event(rt, "FORM_SUBMITTED", {"formId": form, "values": {"email": "bus@example.com"}}, "crmflow.forms")
    settled(rt)
    found = _by_email(rt, "bus@example.com")
    assert found["properties"]["lifecyclestage"] == "lead"
    assert found["properties"]["jobtitle"] == "Signed up"
    assert ("ENROLLED", None, None) in events(rt, workflow_id, found["id"])


# ---------------------------------------------------------------- LC-2
def test_lc2_deal_created_with_associations_moves_contact_and_company(rt: Runtime) -> None:
    lifecycle_settings(rt, stageOnDealCreated="opportunity")
    person = contact(rt, lifecyclestage="lead")
    company = create(rt, "companies", name="Fjord", lifecyclestage="subscriber")
    deal = create(rt, "deals", [to(person, DEAL_TO_CONTACT), to(company, DEAL_TO_COMPANY)], dealname="Big")
    settled(rt)
    assert stage(rt, person) == "opportunity"
    assert stage(rt, company, "companies") == "opportunity"
    newest = history(rt, "contacts", person, "lifecyclestage")[0]
    assert (newest["sourceType"], newest["sourceId"], newest["sourceLabel"]) == ("DEAL_CREATED", deal, "LC-2")


def test_lc2_deal_associated_later_in_either_direction(rt: Runtime) -> None:
    lifecycle_settings(rt, stageOnDealCreated="opportunity")
    first, second = contact(rt, "a@example.com"), contact(rt, "b@example.com")
    deal_a, deal_b = create(rt, "deals", dealname="A"), create(rt, "deals", dealname="B")
    settled(rt)
    assert stage(rt, first) is None
    associate(rt, "contacts", first, "deals", deal_a)  # from the contact
    associate(rt, "deals", deal_b, "contacts", second)  # from the deal
    settled(rt)
    assert stage(rt, first) == "opportunity"
    assert stage(rt, second) == "opportunity"


def test_lc2_only_the_first_deal_counts(rt: Runtime) -> None:
    lifecycle_settings(rt, stageOnDealCreated="opportunity")
    person = contact(rt)
    create(rt, "deals", [to(person, DEAL_TO_CONTACT)], dealname="First")
    settled(rt)
    patch(rt, "contacts", person, lifecyclestage="lead")  # a user moves it back
    create(rt, "deals", [to(person, DEAL_TO_CONTACT)], dealname="Second")
    settled(rt)
    assert stage(rt, person) == "lead"
    assert props_of(rt, "contacts", person)["first_deal_created_date"]


def test_lc5_deal_created_for_a_customer_leaves_it_a_customer(rt: Runtime) -> None:
    lifecycle_settings(rt, stageOnDealCreated="opportunity")
    person = contact(rt, lifecyclestage="customer")
    create(rt, "deals", [to(person, DEAL_TO_CONTACT)], dealname="Upsell")
    settled(rt)
    assert stage(rt, person) == "customer"
    assert sources(rt, "contacts", person, "lifecyclestage") == [("customer", "API", None)]


# ---------------------------------------------------------------- LC-3
def test_lc3_won_deal_moves_contacts_and_companies_and_sets_close_date(rt: Runtime) -> None:
    lifecycle_settings(rt, stageOnDealWon="customer")
    person = contact(rt, lifecyclestage="opportunity")
    company = create(rt, "companies", name="Fjord")
    deal = create(rt, "deals", [to(person, DEAL_TO_CONTACT), to(company, DEAL_TO_COMPANY)], dealname="D")
    rt.advance("P3DT5H")
    patch(rt, "deals", deal, dealstage="contractsent")
    settled(rt)
    assert stage(rt, person) == "opportunity"  # not won yet
    patch(rt, "deals", deal, dealstage="closedwon")
    settled(rt)
    for object_type, record in (("contacts", person), ("companies", company)):
        props = props_of(rt, object_type, record)
        assert props["lifecyclestage"] == "customer"
        assert props["closedate"] == "2026-12-04T13:00:00.000Z"
        assert props["days_to_close"] == "3"
        newest = history(rt, object_type, record, "lifecyclestage")[0]
        assert (newest["sourceType"], newest["sourceId"], newest["sourceLabel"]) == ("DEAL_WON", deal, "LC-3")


def test_lc3_won_stage_of_any_deal_pipeline(rt: Runtime) -> None:
    """A stage is won when it is closed with probability 1.0, whatever its id or pipeline."""
    pipeline = {
        "id": "renewals",
        "label": "Renewals",
        "displayOrder": 1,
        "stages": [
            {
                "id": "open",
                "label": "Open",
                "displayOrder": 0,
                "metadata": {"isClosed": "false", "probability": "0.5"},
            },
            {
                "id": "renewed",
                "label": "Renewed",
                "displayOrder": 1,
                "metadata": {"isClosed": "true", "probability": "1.0"},
            },
            {
                "id": "churned",
                "label": "Churned",
                "displayOrder": 2,
                "metadata": {"isClosed": "true", "probability": "0.0"},
            },
        ],
    }
    item = {"pk": "PIPELINE#deals", "sk": "renewals", "pipeline": pipeline}
    rt.client("dynamodb").put_item(TableName=rt.env("CONFIG_TABLE"), Item=serialize(item))
    lifecycle_settings(rt, stageOnDealWon="customer")
    lost, won = contact(rt, "lost@example.com"), contact(rt, "won@example.com")
    lost_deal = create(rt, "deals", [to(lost, DEAL_TO_CONTACT)], pipeline="renewals", dealstage="open")
    won_deal = create(rt, "deals", [to(won, DEAL_TO_CONTACT)], pipeline="renewals", dealstage="open")
    patch(rt, "deals", lost_deal, dealstage="churned")
    patch(rt, "deals", won_deal, dealstage="renewed")
    settled(rt)
    assert stage(rt, lost) is None
    assert stage(rt, won) == "customer"


def test_lc3_off_touches_neither_stage_nor_close_date(rt: Runtime) -> None:
    lifecycle_settings(rt, stageOnDealCreated="opportunity")
    person = contact(rt)
    deal = create(rt, "deals", [to(person, DEAL_TO_CONTACT)], dealname="D")
    patch(rt, "deals", deal, dealstage="closedwon")
    settled(rt)
    props = props_of(rt, "contacts", person)
    assert props["lifecyclestage"] == "opportunity"
    assert "closedate" not in props and "days_to_close" not in props


# ---------------------------------------------------------------- LC-4
def test_lc4_contact_takes_the_stage_of_the_company_made_primary(rt: Runtime) -> None:
    lifecycle_settings(rt, syncCompanyToContacts=True)
    company = create(rt, "companies", name="Fjord", lifecyclestage="salesqualifiedlead")
    person = contact(rt, lifecyclestage="lead")
    associate(rt, "contacts", person, "companies", company)  # not primary: nothing
    settled(rt)
    assert stage(rt, person) == "lead"
    associate(rt, "contacts", person, "companies", company, PRIMARY_COMPANY)
    settled(rt)
    assert stage(rt, person) == "salesqualifiedlead"
    newest = history(rt, "contacts", person, "lifecyclestage")[0]
    assert (newest["sourceType"], newest["sourceId"], newest["sourceLabel"]) == (
        "COMPANY_SYNC",
        company,
        "LC-4",
    )


def test_lc4_company_stage_change_moves_its_primary_contacts_forward_only(rt: Runtime) -> None:
    """SPEC's example: a company set to lead moves its subscriber contact to lead but leaves its
    opportunity contact alone. A contact whose primary company it is not stays too."""
    lifecycle_settings(rt, syncCompanyToContacts=True)
    company = create(rt, "companies", name="Fjord")
    subscriber = contact(rt, "s@example.com", lifecyclestage="subscriber")
    opportunity = contact(rt, "o@example.com", lifecyclestage="opportunity")
    other = contact(rt, "x@example.com", lifecyclestage="subscriber")
    for person in (subscriber, opportunity):
        associate(rt, "contacts", person, "companies", company, PRIMARY_COMPANY)
    associate(rt, "contacts", other, "companies", company, CONTACT_TO_COMPANY)
    settled(rt)
    patch(rt, "companies", company, lifecyclestage="lead")
    settled(rt)
    assert stage(rt, subscriber) == "lead"
    assert stage(rt, opportunity) == "opportunity"
    assert stage(rt, other) == "subscriber"
    patch(rt, "contacts", subscriber, lifecyclestage="customer")  # a contact never moves its company
    settled(rt)
    assert stage(rt, company, "companies") == "lead"


def test_lc4_off_moves_nothing(rt: Runtime) -> None:
    company = create(rt, "companies", name="Fjord", lifecyclestage="customer")
    person = contact(rt, lifecyclestage="lead")
    associate(rt, "contacts", person, "companies", company, PRIMARY_COMPANY)
    patch(rt, "companies", company, lifecyclestage="evangelist")
    settled(rt)
    assert stage(rt, person) == "lead"


# ---------------------------------------------------------------- LC-5 and user writes
def test_lc5_user_writes_may_move_backwards_directly(rt: Runtime) -> None:
    person = contact(rt, lifecyclestage="customer")
    patch(rt, "contacts", person, lifecyclestage="lead")
    settled(rt)
    assert stage(rt, person) == "lead"
    assert sources(rt, "contacts", person, "lifecyclestage") == [
        ("customer", "API", None),
        ("lead", "API", None),
    ]


def test_lc5_other_is_outside_the_order_and_never_moved_by_automation(rt: Runtime) -> None:
    lifecycle_settings(rt, **ALL_ON)
    person = contact(rt, lifecyclestage="other")
    deal = create(rt, "deals", [to(person, DEAL_TO_CONTACT)], dealname="D")
    patch(rt, "deals", deal, dealstage="closedwon")
    settled(rt)
    assert stage(rt, person) == "other"


# ---------------------------------------------------------------- provenance
def test_history_tells_workflow_changes_apart_and_refuses_properties_without_history(rt: Runtime) -> None:
    set_customer = {"type": "SET_PROPERTY", "property": "lifecyclestage", "value": "customer"}
    workflow_id = create_workflow(rt, workflow(set_customer))
    person = contact(rt, lifecyclestage="lead")
    settled(rt)
    assert stage(rt, person) == "customer"
    newest = history(rt, "contacts", person, "lifecyclestage")[0]
    assert (newest["sourceType"], newest["sourceId"]) == ("WORKFLOW", workflow_id)
    answer = rt.api("GET", f"/crm/v3/objects/contacts/{person}", query={"propertiesWithHistory": "email"})
    assert answer.status == 400 and "email" in answer.json["message"]


def test_workflows_fire_after_an_automated_stage_change(rt: Runtime) -> None:
    lifecycle_settings(rt, stageOnDealWon="customer")
    customers = {
        "filterGroups": [
            {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}
        ]
    }
    tag = {"type": "SET_PROPERTY", "property": "jobtitle", "value": "Customer now"}
    workflow_id = create_workflow(rt, workflow(tag, enrollment=customers))
    person = contact(rt, lifecyclestage="opportunity")
    deal = create(rt, "deals", [to(person, DEAL_TO_CONTACT)], dealname="D")
    patch(rt, "deals", deal, dealstage="closedwon")
    settled(rt)
    assert props_of(rt, "contacts", person)["jobtitle"] == "Customer now"
    assert events(rt, workflow_id, person)[0] == ("ENROLLED", None, None)


def test_automated_writes_converge_with_sync_deal_won_and_a_workflow_setting_the_stage(rt: Runtime) -> None:
    """Company sync on, a won deal, a company workflow that promotes customers to evangelists and a
    contact workflow that sets customers back to opportunity: everything settles."""
    lifecycle_settings(rt, **ALL_ON)
    ok(
        rt.api(
            "PUT",
            "/settings/lead-automation",
            {
                "createLeadOnLifecycleStage": {
                    "enabled": True,
                    "stages": ["customer", "opportunity", "evangelist"],
                }
            },
        )
    )
    is_customer = {
        "filterGroups": [
            {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}
        ]
    }
    promote = {"type": "SET_PROPERTY", "property": "lifecyclestage", "value": "evangelist"}
    demote = {"type": "SET_PROPERTY", "property": "lifecyclestage", "value": "opportunity"}
    create_workflow(rt, workflow(promote, objectType="companies", enrollment=is_customer))
    create_workflow(rt, workflow(demote, enrollment=is_customer))
    company = create(rt, "companies", name="Fjord")
    people = [contact(rt, f"p{i}@example.com") for i in range(3)]
    for person in people:
        associate(rt, "contacts", person, "companies", company, PRIMARY_COMPANY)
    deal = create(rt, "deals", [to(people[0], DEAL_TO_CONTACT), to(company, DEAL_TO_COMPANY)], dealname="D")
    settled(rt)
    patch(rt, "deals", deal, dealstage="closedwon")
    rt.advance("PT1H")  # raises if the runtime cannot settle
    settled_stages = [stage(rt, person) for person in people]
    assert stage(rt, company, "companies") == "evangelist"
    # whichever ran last wins: company sync (evangelist) or the contact workflow (opportunity)
    assert set(settled_stages) <= {"evangelist", "opportunity"}
    rt.advance("P1D")
    assert [stage(rt, person) for person in people] == settled_stages
    open_leads = [
        lead
        for person in people
        for lead in associated(rt, "contacts", person, "leads")
        if props_of(rt, "leads", lead)["hs_pipeline_stage"] == "new"
    ]
    assert len(open_leads) == len(people)  # one open lead each, never a second


# ---------------------------------------------------------------- replays and partial failures
def test_replayed_stream_batches_move_nothing_twice_and_add_no_history(rt: Runtime) -> None:
    lifecycle_settings(rt, **ALL_ON)
    company = create(rt, "companies", name="Fjord")
    person = contact(rt)
    associate(rt, "contacts", person, "companies", company, PRIMARY_COMPANY)
    deal = create(rt, "deals", [to(person, DEAL_TO_CONTACT)], dealname="D")
    settled(rt)
    assert stage(rt, person) == "opportunity"
    patch(rt, "contacts", person, lifecyclestage="lead")  # a user moves it back after the automation
    settled(rt)
    before = history(rt, "contacts", person, "lifecyclestage")
    assert replay(rt, lambda function: function == AUTOMATION) > 0
    settled(rt)
    assert stage(rt, person) == "lead"
    assert history(rt, "contacts", person, "lifecyclestage") == before
    assert stage(rt, deal, "deals") is None


def test_one_bad_stream_record_is_reported_alone_and_the_others_are_processed(rt: Runtime) -> None:
    lifecycle_settings(rt, defaultStageOnCreate="lead")
    rt.settle()
    person = contact(rt)  # read its INSERT from the stream, as the automation would get it
    streams = rt.client("dynamodbstreams")
    arn = rt.client("dynamodb").describe_table(TableName=rt.env("RECORDS_TABLE"))["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    raw = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"][-1]
    good = json.loads(json.dumps(raw, default=str))
    good["dynamodb"].pop("ApproximateCreationDateTime", None)
    good["eventSourceARN"] = arn
    bad = copy.deepcopy(good)
    bad["eventID"] = "broken-1"
    bad["dynamodb"]["SequenceNumber"] = "1"
    del bad["dynamodb"]["NewImage"]["createdAt"]
    answer = rt.invoke(AUTOMATION, {"Records": [bad, good]})
    assert answer == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert stage(rt, person) == "lead"  # before the runtime delivers the stream itself


def test_lc5_the_settings_stages_are_the_lifecyclestage_options() -> None:
    """The settings documents' stage type and the property's options are one list."""
    from typing import get_args

    from crmflow.lifecycle.stages import ORDER, OTHER, LifecycleStage
    from crmflow.records.properties import DEFAULT_PROPERTIES

    options = [o.value for o in DEFAULT_PROPERTIES["contacts"]["lifecyclestage"].options]
    assert list(get_args(LifecycleStage)) == options == [*ORDER, OTHER]


def _idempotency_records(rt: Runtime) -> int:
    ddb = rt.client("dynamodb")
    table = next(name for name in ddb.list_tables()["TableNames"] if "Idempotency" in name)
    return len(ddb.scan(TableName=table)["Items"])


def test_with_every_rule_off_a_contact_change_costs_no_idempotency_record(rt: Runtime) -> None:
    contact(rt, "off@example.com")
    settled(rt)
    assert _idempotency_records(rt) == 0
    lifecycle_settings(rt, defaultStageOnCreate="subscriber")
    record = contact(rt, "on@example.com")
    settled(rt)
    assert _idempotency_records(rt) >= 1 and stage(rt, record) == "subscriber"
