"""A summary and examples for every operation of ``/openapi.json`` (:func:`crmflow.api.openapi.document`
adds them; Swagger UI at ``/docs`` shows them and fills "Try it out" with the request example).

The examples are answers the API gave, taken from one session against the embedded runtime (a contact
Ada, a company, a ticket pipeline, a workflow "Welcome new leads"), trimmed: a record shows a few of its
properties, a list one or two items. ``tests/test_openapi_docs.py`` checks that every operation has a
summary and its examples, and that every example is valid against the schema it illustrates.
"""

from typing import Any

AT = "2026-12-01T08:00:00.000Z"
_STAMPS = {"createdAt": AT, "updatedAt": AT}

# ---------------------------------------------------------------- records

CONTACT_PROPERTIES = {
    "email": "ada@example.com",
    "firstname": "Ada",
    "lastname": "Lovelace",
    "lifecyclestage": "lead",
}


def _record(record_id: str, **properties: str) -> dict[str, Any]:
    return {
        "id": record_id,
        **_STAMPS,
        "archived": False,
        "properties": {
            "createdate": AT,
            **properties,
            "hs_lastmodifieddate": AT,
            "hs_object_id": record_id,
            "lastmodifieddate": AT,
        },
    }


ADA = _record("1", **CONTACT_PROPERTIES)
GRACE = _record("2", email="grace@example.com", firstname="Grace")
ALAN = _record("3", email="alan@example.com", firstname="Alan")


def _batch(*results: dict[str, Any]) -> dict[str, Any]:
    return {"status": "COMPLETE", "results": list(results), "startedAt": AT, "completedAt": AT}


# ---------------------------------------------------------------- properties, pipelines

PROPERTY_CREATE = {
    "name": "favorite_color",
    "label": "Favorite color",
    "type": "enumeration",
    "fieldType": "select",
    "groupName": "contactinformation",
    "options": [{"label": "Red", "value": "red"}, {"label": "Blue", "value": "blue"}],
}
PROPERTY = {
    **PROPERTY_CREATE,
    "description": "",
    "options": [
        {"label": "Red", "value": "red", "displayOrder": 0, "hidden": False, "description": ""},
        {"label": "Blue", "value": "blue", "displayOrder": 0, "hidden": False, "description": ""},
    ],
    "displayOrder": -1,
    "calculated": False,
    "hasUniqueValue": False,
    "hidden": False,
    "formField": True,
    "hubspotDefined": False,
    "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False},
    **_STAMPS,
    "archived": False,
}


def _stage(stage_id: str, label: str, order: int, state: str = "OPEN", **extra: Any) -> dict[str, Any]:
    return {
        "id": stage_id,
        "label": label,
        "displayOrder": order,
        "metadata": {"ticketState": state},
        "requiredProperties": [],
        **extra,
        **_STAMPS,
    }


STAGES = [_stage("1001", "New", 0), _stage("1002", "Closed", 1, "CLOSED")]
NEW_STAGE = _stage("1003", "Waiting on customer", 1)
PIPELINE = {
    "id": "1001",
    "label": "Escalations",
    "displayOrder": 1,
    "access": None,
    "archived": False,
    **_STAMPS,
    "stages": STAGES,
}
PIPELINE_INPUT = {
    "label": "Escalations",
    "displayOrder": 1,
    "stages": [
        {"label": "New", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}},
        {"label": "Closed", "displayOrder": 1, "metadata": {"ticketState": "CLOSED"}},
    ],
}

# ---------------------------------------------------------------- workflows

WORKFLOW_DEFINITION: dict[str, Any] = {
    "name": "Welcome new leads",
    "objectType": "contacts",
    "enrollment": {
        "filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]
    },
    "startActionId": "1",
    "actions": [
        {"id": "1", "type": "DELAY", "delay": {"days": 1}, "next": "2"},
        {"id": "2", "type": "SET_PROPERTY", "property": "hs_lead_status", "value": "IN_PROGRESS"},
    ],
}
_DEFINITION_AS_SAVED: dict[str, Any] = {
    "name": "Welcome new leads",
    "objectType": "contacts",
    "timeZone": "UTC",
    "enrollment": {
        "filterGroups": [
            {
                "filters": [
                    {
                        "propertyName": "lifecyclestage",
                        "operator": "EQ",
                        "value": "lead",
                        "values": None,
                        "highValue": None,
                    }
                ]
            }
        ],
        "event": None,
        "reEnrollment": {"enabled": False, "properties": []},
    },
    "suppressionListIds": [],
    "unenrollWhenCriteriaNotMet": False,
    "goal": None,
    "pauseDates": [],
    "timeWindows": [],
    "startActionId": "1",
    "actions": [
        {"id": "1", "next": "2", "type": "DELAY", "delay": {"days": 1, "hours": 0, "minutes": 0}},
        {
            "id": "2",
            "next": None,
            "type": "SET_PROPERTY",
            "property": "hs_lead_status",
            "value": "IN_PROGRESS",
        },
    ],
}
WORKFLOW = {**_DEFINITION_AS_SAVED, "id": "1", "revision": 1, "enabled": False, **_STAMPS}
ENROLLMENT = {
    "recordId": "1",
    "status": "ACTIVE",
    "currentActionId": "1",
    "waitingUntil": "2026-12-02T08:00:00.000Z",
    "enrolledAt": AT,
}

# ---------------------------------------------------------------- marketing, lists, settings

EMAIL = {
    "name": "Welcome",
    "subject": "Welcome to crmflow",
    "state": "PUBLISHED",
    "body": "Hello {{contact.firstname}}",
}
FORM = {"name": "Newsletter signup", "defaultLifecycleStage": "subscriber"}
LIST = {
    "list": {
        "listId": "1",
        "listVersion": 1,
        "name": "Do not contact",
        "objectTypeId": "0-1",
        "objectType": "contacts",
        "processingType": "MANUAL",
        "processingStatus": "COMPLETE",
        "filterGroups": [],
        **_STAMPS,
    }
}
LIFECYCLE = {
    "defaultStageOnCreate": "lead",
    "stageOnDealCreated": None,
    "stageOnDealWon": None,
    "syncCompanyToContacts": False,
}
LEAD_AUTOMATION = {
    "createLeadOnLifecycleStage": {"enabled": True, "stages": ["salesqualifiedlead"]},
    "followUpOnDisqualification": {"enabled": False, "leadType": "RE_ATTEMPTING", "reasons": []},
    "moveOnOutreach": {
        "enabled": True,
        "from": "new",
        "to": "attempting",
        "events": ["EMAIL_SENT", "LINKEDIN_MESSAGE", "CALL_LOGGED", "MEETING_BOOKED"],
    },
    "moveOnConnect": {
        "enabled": True,
        "from": "attempting",
        "to": "connected",
        "events": ["EMAIL_REPLY", "MEETING_COMPLETED", "CALL_CONNECTED"],
    },
}
TEAM = {"name": "Support EU", "id": "1", **_STAMPS}
USER_INPUT = {
    "email": "sam@example.com",
    "teamIds": ["1"],
    "permissions": {"tickets": {"access": "TEAM_ONLY", "unassigned": True}},
}
USER = {**USER_INPUT, "id": "1", **_STAMPS}

# ---------------------------------------------------------------- per operation

_O = "/crm/v3/objects/{object_type}"
_A = "/crm/v4/objects/{from_type}/{from_id}/associations"
_P = "/crm/v3/pipelines/{object_type}"
_ONE = _P + "/{pipeline_id}"
_W = "/workflows/{workflow_id}"

SUMMARIES: dict[str, str] = {
    # records
    f"GET {_O}": "List records of a type, a page at a time",
    f"POST {_O}": "Create a record",
    f"POST {_O}/search": "Search records by filters, with sorting and paging",
    f"POST {_O}/batch/create": "Create up to 100 records",
    f"POST {_O}/batch/read": "Read up to 100 records by id (or by a unique property)",
    f"POST {_O}/batch/update": "Update up to 100 records",
    f"POST {_O}/batch/archive": "Archive up to 100 records",
    f"GET {_O}/{{record_id}}": "Read a record (optionally with property history and associations)",
    f"PATCH {_O}/{{record_id}}": "Update a record's properties",
    f"DELETE {_O}/{{record_id}}": "Archive a record",
    f"GET {_O}/{{record_id}}/workflows": "List the workflows a record is in (its latest enrollment in each)",
    # associations
    f"GET {_A}/{{to_type}}": "List a record's associations to records of another type",
    f"PUT {_A}/default/{{to_type}}/{{to_id}}": "Associate two records with the default association type",
    f"PUT {_A}/{{to_type}}/{{to_id}}": "Associate two records with the given association types",
    f"DELETE {_A}/{{to_type}}/{{to_id}}": "Remove every association between two records",
    # properties
    "GET /crm/v3/properties/{object_type}": "List the property definitions of a type",
    "POST /crm/v3/properties/{object_type}": "Create a custom property",
    "GET /crm/v3/properties/{object_type}/{name}": "Read a property definition",
    # pipelines
    f"GET {_P}": "List the pipelines of a type (and their stages) the user may see",
    f"POST {_P}": "Create a pipeline with its stages (super admin)",
    f"GET {_ONE}": "Read a pipeline and its stages",
    f"PATCH {_ONE}": "Rename or reorder a pipeline (super admin)",
    f"DELETE {_ONE}": "Delete a pipeline that holds no records (super admin)",
    f"GET {_ONE}/access": "Read who may see a ticket pipeline",
    f"PUT {_ONE}/access": "Restrict a ticket pipeline to users and teams (super admin)",
    f"DELETE {_ONE}/access": "Open a ticket pipeline to every user again (super admin)",
    f"GET {_ONE}/stages": "List a pipeline's stages",
    f"POST {_ONE}/stages": "Add a stage to a pipeline (super admin)",
    f"GET {_ONE}/stages/{{stage_id}}": "Read a stage",
    f"PATCH {_ONE}/stages/{{stage_id}}": "Change a stage: label, order, metadata, required properties",
    f"DELETE {_ONE}/stages/{{stage_id}}": "Delete a stage, moving its records to another (super admin)",
    # workflows
    "GET /workflows": "List workflows, a page at a time",
    "POST /workflows": "Create a workflow (off until enabled; super admin)",
    "GET /workflows/schema": "The JSON Schema of a workflow definition",
    f"GET {_W}": "Read a workflow",
    f"PUT {_W}": "Save a new revision of a workflow (super admin)",
    f"DELETE {_W}": "Delete a workflow and unenroll its records (super admin)",
    f"GET {_W}/revisions": "List a workflow's saved revisions",
    f"GET {_W}/revisions/{{revision}}": "Read one revision of a workflow",
    f"POST {_W}/enable": "Turn a workflow on, optionally enrolling the records that meet its triggers now",
    f"POST {_W}/disable": "Turn a workflow off (enrolled records stay where they are)",
    f"GET {_W}/enrollments": "List a workflow's enrollments",
    f"POST {_W}/enrollments": "Enroll a record by hand",
    f"DELETE {_W}/enrollments/{{record_id}}": "Unenroll a record",
    f"POST {_W}/enrollments/{{record_id}}/retry": "Resume a FAILED enrollment from its failed step",
    f"GET {_W}/log": "Read a workflow's log (every enrollment, action and unenrollment)",
    f"GET {_W}/stats": "Counts of a workflow's enrollments, where they wait, and goal conversion",
    f"GET {_W}/explain/{{record_id}}": "Explain why a record did or did not enroll",
    f"POST {_W}/test": "Test a workflow on a record: the path it would take, changing nothing",
    # marketing
    "GET /marketing/v3/emails": "List marketing emails",
    "POST /marketing/v3/emails": "Create a marketing email",
    "GET /marketing/v3/emails/{email_id}": "Read a marketing email",
    "GET /marketing/v3/forms": "List forms",
    "POST /marketing/v3/forms": "Create a form",
    "GET /marketing/v3/forms/{form_id}": "Read a form",
    "POST /submissions/v3/integration/submit/{portal_id}/{form_id}": "Submit a form (upserts its contact)",
    # lists
    "POST /crm/v3/lists": "Create a list (for suppression)",
    "GET /crm/v3/lists/{list_id}": "Read a list",
    "DELETE /crm/v3/lists/{list_id}": "Delete a list that no workflow suppresses with",
    "GET /crm/v3/lists/{list_id}/memberships": "List a list's members",
    "PUT /crm/v3/lists/{list_id}/memberships/add": "Add records to a manual list",
    "PUT /crm/v3/lists/{list_id}/memberships/remove": "Remove records from a manual list",
    # settings
    "GET /settings/ownership": "Read the ownership settings",
    "PUT /settings/ownership": "Change the ownership settings",
    "GET /settings/lifecycle": "Read the lifecycle automation settings",
    "PUT /settings/lifecycle": "Change the lifecycle automation settings",
    "GET /settings/lead-automation": "Read the lead automation settings",
    "PUT /settings/lead-automation": "Change the lead automation settings",
    "GET /settings/teams": "List teams",
    "POST /settings/teams": "Create a team (super admin)",
    "GET /settings/teams/{team_id}": "Read a team",
    "PATCH /settings/teams/{team_id}": "Rename a team (super admin)",
    "DELETE /settings/teams/{team_id}": "Delete a team (super admin)",
    "GET /settings/users": "List users",
    "POST /settings/users": "Create a user; the answer holds its API token (super admin)",
    "GET /settings/users/{user_id}": "Read a user",
    "PATCH /settings/users/{user_id}": "Change a user's teams and permissions (super admin)",
    "DELETE /settings/users/{user_id}": "Delete a user (super admin)",
}

REQUESTS: dict[str, Any] = {
    f"POST {_O}": {"properties": CONTACT_PROPERTIES},
    f"POST {_O}/search": {
        "filterGroups": [
            {"filters": [{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@example.com"}]}
        ],
        "properties": ["email", "firstname"],
        "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
        "limit": 10,
    },
    f"POST {_O}/batch/create": {
        "inputs": [
            {"properties": {"email": "grace@example.com", "firstname": "Grace"}},
            {"properties": {"email": "alan@example.com", "firstname": "Alan"}},
        ]
    },
    f"POST {_O}/batch/read": {"inputs": [{"id": "1"}, {"id": "2"}], "properties": ["email", "firstname"]},
    f"POST {_O}/batch/update": {"inputs": [{"id": "2", "properties": {"lastname": "Hopper"}}]},
    f"POST {_O}/batch/archive": {"inputs": [{"id": "3"}]},
    f"PATCH {_O}/{{record_id}}": {"properties": {"phone": "+44 20 7946 0000"}},
    f"PUT {_A}/{{to_type}}/{{to_id}}": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
    "POST /crm/v3/properties/{object_type}": PROPERTY_CREATE,
    f"POST {_P}": PIPELINE_INPUT,
    f"PATCH {_ONE}": {"label": "Escalations (EU)"},
    f"PUT {_ONE}/access": {"userIds": ["1"], "teamIds": ["1"]},
    f"POST {_ONE}/stages": {
        "label": "Waiting on customer",
        "displayOrder": 1,
        "metadata": {"ticketState": "OPEN"},
    },
    f"PATCH {_ONE}/stages/{{stage_id}}": {
        "label": "Waiting on the customer",
        "requiredProperties": ["hs_ticket_priority"],
    },
    "POST /workflows": WORKFLOW_DEFINITION,
    f"PUT {_W}": {
        **WORKFLOW_DEFINITION,
        "name": "Welcome new leads (v2)",
        "revision": 1,
        "enrollExisting": False,
    },
    f"POST {_W}/enable": {"enrollExisting": True},
    f"POST {_W}/enrollments": {"recordId": "2"},
    f"POST {_W}/test": {"recordId": "1", "days": 30},
    "POST /marketing/v3/emails": EMAIL,
    "POST /marketing/v3/forms": FORM,
    "POST /submissions/v3/integration/submit/{portal_id}/{form_id}": {
        "fields": [{"name": "email", "value": "mary@example.com"}, {"name": "firstname", "value": "Mary"}]
    },
    "POST /crm/v3/lists": {"name": "Do not contact", "objectType": "contacts", "processingType": "MANUAL"},
    "PUT /crm/v3/lists/{list_id}/memberships/add": ["3"],
    "PUT /crm/v3/lists/{list_id}/memberships/remove": ["3"],
    "PUT /settings/ownership": {"syncContactCompanyOwner": True},
    "PUT /settings/lifecycle": {"defaultStageOnCreate": "lead"},
    "PUT /settings/lead-automation": LEAD_AUTOMATION,
    "POST /settings/teams": {"name": "Support EU"},
    "PATCH /settings/teams/{team_id}": {"name": "Support Europe"},
    "POST /settings/users": USER_INPUT,
    "PATCH /settings/users/{user_id}": {"permissions": {"tickets": {"access": "ALL", "unassigned": True}}},
}

_EXPLAIN = {
    "workflowId": "1",
    "recordId": "1",
    "objectType": "contacts",
    "enabled": True,
    "wouldEnroll": False,
    "verdict": "met the triggers before it was turned on; turn on with enrollExisting to enroll it",
    "reasons": ["met the triggers before it was turned on; turn on with enrollExisting to enroll it"],
    "triggers": {
        "met": True,
        "filterGroups": [
            {
                "met": True,
                "filters": [
                    {
                        "propertyName": "lifecyclestage",
                        "operator": "EQ",
                        "value": "lead",
                        "values": None,
                        "highValue": None,
                        "actual": "lead",
                        "met": True,
                    }
                ],
            }
        ],
        "event": None,
    },
    "reEnrollment": {"enabled": False, "properties": []},
    "suppressionLists": [],
    "goal": None,
    "enrollment": None,
    "history": [],
}
_TEST_RUN = {
    "workflowId": "1",
    "recordId": "1",
    "start": AT,
    "end": "2026-12-31T08:00:00.000Z",
    "workflowEnabled": True,
    "outcome": "COMPLETED",
    "reason": None,
    "currentActionId": None,
    "waitingUntil": None,
    "steps": [
        {
            "at": AT,
            "actionId": "1",
            "actionType": "DELAY",
            "event": "DELAY_STARTED",
            "reason": None,
            "branch": None,
            "detail": {"until": "2026-12-02T08:00:00.000Z"},
        },
        {
            "at": "2026-12-02T08:00:00.000Z",
            "actionId": "1",
            "actionType": "DELAY",
            "event": "DELAY_ENDED",
            "reason": None,
            "branch": None,
            "detail": {},
        },
        {
            "at": "2026-12-02T08:00:00.000Z",
            "actionId": "2",
            "actionType": "SET_PROPERTY",
            "event": "ACTION_EXECUTED",
            "reason": None,
            "branch": None,
            "detail": {"property": "hs_lead_status", "value": "IN_PROGRESS"},
        },
        {
            "at": "2026-12-02T08:00:00.000Z",
            "actionId": None,
            "actionType": None,
            "event": "COMPLETED",
            "reason": None,
            "branch": None,
            "detail": {},
        },
    ],
    "properties": {
        **CONTACT_PROPERTIES,
        "hs_object_id": "1",
        "createdate": AT,
        "hs_lastmodifieddate": "2026-12-02T08:00:00.000Z",
        "lastmodifieddate": "2026-12-02T08:00:00.000Z",
        "hs_lead_status": "IN_PROGRESS",
    },
}

RESPONSES: dict[str, Any] = {
    # what a success answers (not for 204, which has no body)
    f"GET {_O}": {"results": [ADA], "paging": {"next": {"after": "1", "link": None}}},
    f"POST {_O}": ADA,
    f"POST {_O}/search": {"total": 1, "results": [ADA]},
    f"POST {_O}/batch/create": {
        "status": "COMPLETE",
        "results": [GRACE, ALAN],
        "startedAt": AT,
        "completedAt": AT,
    },
    f"POST {_O}/batch/read": _batch(ADA, GRACE),
    f"POST {_O}/batch/update": _batch(
        _record("2", email="grace@example.com", firstname="Grace", lastname="Hopper")
    ),
    f"GET {_O}/{{record_id}}": ADA,
    f"PATCH {_O}/{{record_id}}": _record("1", **CONTACT_PROPERTIES, phone="+44 20 7946 0000"),
    f"GET {_O}/{{record_id}}/workflows": {
        "results": [
            {
                "workflowId": "1",
                "name": "Welcome new leads",
                "enabled": True,
                "status": "ACTIVE",
                "currentActionId": "1",
                "waitingUntil": "2026-12-02T08:00:00.000Z",
                "enrolledAt": AT,
                "endedAt": None,
            }
        ]
    },
    f"GET {_A}/{{to_type}}": {
        "results": [
            {
                "toObjectId": "1",
                "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None}],
            }
        ]
    },
    f"PUT {_A}/default/{{to_type}}/{{to_id}}": _batch(
        {
            "from": {"id": "1"},
            "to": {"id": "1"},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279},
        }
    ),
    f"PUT {_A}/{{to_type}}/{{to_id}}": {
        "fromObjectTypeId": "0-1",
        "fromObjectId": "2",
        "toObjectTypeId": "0-2",
        "toObjectId": "1",
        "labels": [],
    },
    "GET /crm/v3/properties/{object_type}": {"results": [PROPERTY]},
    "POST /crm/v3/properties/{object_type}": PROPERTY,
    "GET /crm/v3/properties/{object_type}/{name}": PROPERTY,
    f"GET {_P}": {"results": [PIPELINE]},
    f"POST {_P}": PIPELINE,
    f"GET {_ONE}": PIPELINE,
    f"PATCH {_ONE}": {**PIPELINE, "label": "Escalations (EU)"},
    f"GET {_ONE}/access": {"restricted": False, "userIds": [], "teamIds": []},
    f"PUT {_ONE}/access": {"restricted": True, "userIds": ["1"], "teamIds": ["1"]},
    f"GET {_ONE}/stages": {"results": STAGES},
    f"POST {_ONE}/stages": NEW_STAGE,
    f"GET {_ONE}/stages/{{stage_id}}": NEW_STAGE,
    f"PATCH {_ONE}/stages/{{stage_id}}": {
        **NEW_STAGE,
        "label": "Waiting on the customer",
        "requiredProperties": ["hs_ticket_priority"],
    },
    "GET /workflows": {"results": [WORKFLOW]},
    "POST /workflows": WORKFLOW,
    "GET /workflows/schema": {
        "title": "WorkflowDefinition",
        "type": "object",
        "required": ["name", "objectType"],
        "properties": {"name": {"minLength": 1, "title": "Name", "type": "string"}},
    },
    f"GET {_W}": WORKFLOW,
    f"PUT {_W}": {**WORKFLOW, "name": "Welcome new leads (v2)", "revision": 2},
    f"GET {_W}/revisions": {"results": [{"revision": 1, "savedAt": AT}, {"revision": 2, "savedAt": AT}]},
    f"GET {_W}/revisions/{{revision}}": {**_DEFINITION_AS_SAVED, "id": "1", "revision": 1, "savedAt": AT},
    f"POST {_W}/enable": {**WORKFLOW, "enabled": True},
    f"POST {_W}/disable": WORKFLOW,
    f"GET {_W}/enrollments": {"results": [ENROLLMENT]},
    f"POST {_W}/enrollments": {**ENROLLMENT, "recordId": "2", "waitingUntil": None},
    f"POST {_W}/enrollments/{{record_id}}/retry": ENROLLMENT,
    f"GET {_W}/log": {
        "results": [
            {
                "at": AT,
                "recordId": "1",
                "event": "ENROLLED",
                "actionId": None,
                "actionType": None,
                "reason": None,
                "revision": 1,
            },
            {
                "at": AT,
                "recordId": "1",
                "event": "DELAY_STARTED",
                "actionId": "1",
                "actionType": "DELAY",
                "reason": None,
                "revision": 1,
                "detail": {"until": "2026-12-02T08:00:00.000Z"},
            },
        ]
    },
    f"GET {_W}/stats": {
        "enrolled": 1,
        "active": 1,
        "completed": 0,
        "unenrolled": 0,
        "failed": 0,
        "waiting": {"1": 1},
        "timeLeft": {
            "1": [{"recordId": "1", "waitingUntil": "2026-12-02T08:00:00.000Z", "secondsLeft": 86400}]
        },
        "goal": {"met": 0, "emailed": 0, "conversionRate": 0.0},
    },
    f"GET {_W}/explain/{{record_id}}": _EXPLAIN,
    f"POST {_W}/test": _TEST_RUN,
    "GET /marketing/v3/emails": {"results": [{**EMAIL, "id": "1", **_STAMPS}]},
    "POST /marketing/v3/emails": {**EMAIL, "id": "1", **_STAMPS},
    "GET /marketing/v3/emails/{email_id}": {**EMAIL, "id": "1", **_STAMPS},
    "GET /marketing/v3/forms": {"results": [{**FORM, "id": "1", **_STAMPS}]},
    "POST /marketing/v3/forms": {**FORM, "id": "1", **_STAMPS},
    "GET /marketing/v3/forms/{form_id}": {**FORM, "id": "1", **_STAMPS},
    "POST /submissions/v3/integration/submit/{portal_id}/{form_id}": {
        "inlineMessage": "Thanks for submitting the form."
    },
    "POST /crm/v3/lists": LIST,
    "GET /crm/v3/lists/{list_id}": LIST,
    "GET /crm/v3/lists/{list_id}/memberships": {"results": [{"recordId": "3", "membershipTimestamp": AT}]},
    "PUT /crm/v3/lists/{list_id}/memberships/add": {"recordIdsAdded": ["3"], "recordIdsMissing": []},
    "PUT /crm/v3/lists/{list_id}/memberships/remove": {"recordIdsRemoved": ["3"], "recordIdsMissing": []},
    "GET /settings/ownership": {"syncContactCompanyOwner": True},
    "PUT /settings/ownership": {"syncContactCompanyOwner": True},
    "GET /settings/lifecycle": LIFECYCLE,
    "PUT /settings/lifecycle": LIFECYCLE,
    "GET /settings/lead-automation": LEAD_AUTOMATION,
    "PUT /settings/lead-automation": LEAD_AUTOMATION,
    "GET /settings/teams": {"results": [TEAM]},
    "POST /settings/teams": TEAM,
    "GET /settings/teams/{team_id}": TEAM,
    "PATCH /settings/teams/{team_id}": {**TEAM, "name": "Support Europe"},
    "GET /settings/users": {"results": [USER]},
    "POST /settings/users": {**USER, "token": "crmflow-user-1-ad17751ef21c6ea64d9fbd8a800c31b1"},
    "GET /settings/users/{user_id}": USER,
    "PATCH /settings/users/{user_id}": {
        **USER,
        "permissions": {"tickets": {"access": "ALL", "unassigned": True}},
    },
}
