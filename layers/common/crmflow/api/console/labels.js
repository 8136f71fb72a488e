// Readable words for what the API answers in names and codes: property and value labels, filters as
// sentences ("Lifecycle stage is Lead"), one-line summaries of workflow actions.

import { cached } from "./api.js";
import { span } from "./dom.js";

export const OBJECT_TYPES = ["contacts", "companies", "deals", "tickets", "leads"];
const TYPE_NAMES = {
  contacts: ["contact", "Contacts"],
  companies: ["company", "Companies"],
  deals: ["deal", "Deals"],
  tickets: ["ticket", "Tickets"],
  leads: ["lead", "Leads"],
  tasks: ["task", "Tasks"],
  emails: ["email", "Emails"],
  calls: ["call", "Calls"],
  meetings: ["meeting", "Meetings"],
  communications: ["communication", "Communications"],
};

export function singular(objectType) {
  return TYPE_NAMES[objectType]?.[0] ?? objectType;
}

export function typeLabel(objectType) {
  return TYPE_NAMES[objectType]?.[1] ?? objectType;
}

/** Where each object type keeps its pipeline and stage (the board and the stage history read them). */
export const PIPELINE_PROPERTIES = {
  deals: ["pipeline", "dealstage"],
  tickets: ["hs_pipeline", "hs_pipeline_stage"],
  leads: ["hs_pipeline", "hs_pipeline_stage"],
};

/** The properties whose history the API keeps (docs/history.md), per object type. */
export const HISTORY_PROPERTIES = {
  contacts: ["lifecyclestage", "hubspot_owner_id"],
  companies: ["lifecyclestage", "hubspot_owner_id"],
  deals: ["dealstage", "pipeline", "hubspot_owner_id"],
  tickets: ["hs_pipeline_stage", "hs_pipeline", "hubspot_owner_id"],
  leads: ["hs_pipeline_stage", "hs_pipeline", "hubspot_owner_id"],
};

/** The property that names a record of each type. */
export const NAME_PROPERTIES = {
  contacts: ["firstname", "lastname", "email"],
  companies: ["name", "domain"],
  deals: ["dealname"],
  tickets: ["subject"],
  leads: ["hs_lead_name"],
};

export function recordName(objectType, record) {
  const properties = record.properties || {};
  if (objectType === "contacts") {
    const name = [properties.firstname, properties.lastname].filter(Boolean).join(" ");
    return name || properties.email || `Contact ${record.id}`;
  }
  const names = NAME_PROPERTIES[objectType] || [];
  for (const name of names) if (properties[name]) return properties[name];
  return `${singular(objectType).replace(/^./, (c) => c.toUpperCase())} ${record.id}`;
}

// HubSpot's own labels for its built-in properties and values, where the API's label is only the
// name capitalised ("Lifecyclestage").
const PROPERTY_LABELS = {
  lifecyclestage: "Lifecycle stage",
  hs_lead_status: "Lead status",
  hubspot_owner_id: "Owner",
  firstname: "First name",
  lastname: "Last name",
  jobtitle: "Job title",
  mobilephone: "Mobile phone",
  createdate: "Create date",
  hs_lastmodifieddate: "Last modified",
  lastmodifieddate: "Last modified",
  hs_object_id: "Record id",
  associatedcompanyid: "Primary company id",
  closedate: "Close date",
  dealname: "Deal name",
  dealstage: "Deal stage",
  dealtype: "Deal type",
  hs_pipeline: "Pipeline",
  hs_ticket_priority: "Priority",
  hs_ticket_category: "Category",
  hs_lead_name: "Lead name",
  hs_lead_type: "Lead type",
  hs_lead_label: "Lead label",
  numberofemployees: "Number of employees",
  annualrevenue: "Annual revenue",
  first_deal_created_date: "First deal created",
  hs_is_closed: "Is closed",
  hs_is_closed_won: "Is closed won",
  closed_date: "Closed date",
  source_type: "Source",
  zip: "Postal code",
};
const STAGE_LABELS = { tickets: "Ticket status", leads: "Lead stage" };

const VALUE_LABELS = {
  lifecyclestage: {
    subscriber: "Subscriber",
    lead: "Lead",
    marketingqualifiedlead: "Marketing qualified lead",
    salesqualifiedlead: "Sales qualified lead",
    opportunity: "Opportunity",
    customer: "Customer",
    evangelist: "Evangelist",
    other: "Other",
  },
};

function squashed(text) {
  return String(text).toLowerCase().replace(/[^a-z0-9]/g, "");
}

function humanise(name) {
  const words = name.replace(/^hs_/, "").replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What the console knows about an object type: property definitions, pipelines, users, emails. */
export async function loadContext(objectType) {
  const soft = (promise, fallback) => promise.catch(() => fallback);
  const [properties, pipelines, users, emails, workflows, teams] = await Promise.all([
    soft(cached(`/crm/v3/properties/${objectType}`), { results: [] }),
    PIPELINE_PROPERTIES[objectType]
      ? soft(cached(`/crm/v3/pipelines/${objectType}`), { results: [] })
      : { results: [] },
    soft(cached("/settings/users"), { results: [] }),
    soft(cached("/marketing/v3/emails"), { results: [] }),
    soft(cached("/workflows", { limit: 100 }), { results: [] }),
    soft(cached("/settings/teams"), { results: [] }),
  ]);
  return {
    objectType,
    properties: new Map(properties.results.map((definition) => [definition.name, definition])),
    pipelines: pipelines.results,
    users: new Map(users.results.map((user) => [user.id, user.email])),
    emails: new Map(emails.results.map((email) => [email.id, email.name])),
    workflows: new Map(workflows.results.map((workflow) => [workflow.id, workflow.name])),
    teams: new Map(teams.results.map((team) => [team.id, team.name])),
  };
}

export function propertyLabel(context, name) {
  if (STAGE_LABELS[context.objectType] && name === "hs_pipeline_stage") return STAGE_LABELS[context.objectType];
  const definition = context.properties.get(name);
  const label = definition?.label;
  if (label && squashed(label) !== squashed(name.replace(/^hs_/, "")) && squashed(label) !== squashed(name)) {
    return label;
  }
  return PROPERTY_LABELS[name] ?? label ?? humanise(name);
}

function stageLabel(context, stageId) {
  for (const pipeline of context.pipelines) {
    const stage = pipeline.stages.find((item) => item.id === stageId);
    if (stage) return context.pipelines.length > 1 ? `${stage.label} (${pipeline.label})` : stage.label;
  }
  return stageId;
}

/** The readable form of one value of a property (option labels, stage and pipeline labels, owners). */
export function valueLabel(context, name, value) {
  if (value === null || value === undefined || value === "") return "(no value)";
  const [pipelineProperty, stageProperty] = PIPELINE_PROPERTIES[context.objectType] || [];
  if (name === stageProperty) return stageLabel(context, value);
  if (name === pipelineProperty) return context.pipelines.find((p) => p.id === value)?.label ?? value;
  if (name === "hubspot_owner_id") {
    const email = context.users.get(String(value));
    return email ? `${email} (user ${value})` : `user ${value}`;
  }
  if (VALUE_LABELS[name]?.[value]) return VALUE_LABELS[name][value];
  const option = context.properties.get(name)?.options?.find((item) => item.value === value);
  return option?.label || String(value);
}

// ---------------------------------------------------------------- filters as sentences

export function filterSentence(context, filter) {
  const property = propertyLabel(context, filter.propertyName);
  const value = (item) => valueLabel(context, filter.propertyName, item);
  const list = (items) => (items || []).map(value).join(", ");
  switch (filter.operator) {
    case "EQ":
      return `${property} is ${value(filter.value)}`;
    case "NEQ":
      return `${property} is not ${value(filter.value)}`;
    case "LT":
      return `${property} is less than ${value(filter.value)}`;
    case "LTE":
      return `${property} is at most ${value(filter.value)}`;
    case "GT":
      return `${property} is more than ${value(filter.value)}`;
    case "GTE":
      return `${property} is at least ${value(filter.value)}`;
    case "BETWEEN":
      return `${property} is between ${value(filter.value)} and ${value(filter.highValue)}`;
    case "IN":
      return `${property} is any of ${list(filter.values)}`;
    case "NOT_IN":
      return `${property} is none of ${list(filter.values)}`;
    case "HAS_PROPERTY":
      return `${property} is known`;
    case "NOT_HAS_PROPERTY":
      return `${property} is unknown`;
    case "CONTAINS_TOKEN":
      return `${property} contains ${filter.value}`;
    case "NOT_CONTAINS_TOKEN":
      return `${property} does not contain ${filter.value}`;
    default:
      return `${property} ${filter.operator} ${filter.value ?? ""}`.trim();
  }
}

/** One sentence per filter group ("A and B"); a record must meet any one group. */
export function groupSentences(context, filterGroups) {
  return (filterGroups || [])
    .filter((group) => group.filters?.length)
    .map((group) => group.filters.map((filter) => filterSentence(context, filter)).join(" and "));
}

/** The groups in one line: "A and B, or C". */
export function criteriaLine(context, filterGroups) {
  return groupSentences(context, filterGroups).join(", or ");
}

export function eventSentence(context, event) {
  if (!event) return null;
  switch (event.type) {
    case "GOAL_ACHIEVED":
      return `meets the goal of workflow ${context.workflows.get(event.workflowId) ?? event.workflowId}`;
    case "FORM_SUBMITTED":
      return `submits form ${event.formId}`;
    case "EMAIL_REPLIED":
      return "replies to an email";
    default:
      return event.type;
  }
}

/** One line for the trigger box of the canvas. */
export function triggerLine(context, definition) {
  const filters = criteriaLine(context, definition.enrollment?.filterGroups);
  const event = eventSentence(context, definition.enrollment?.event);
  if (filters && event) return `${filters}; or when it ${event}`;
  if (filters) return filters;
  if (event) return `When it ${event}`;
  return "No trigger: records enroll by hand";
}

// ---------------------------------------------------------------- actions

export const ACTION_TYPES = {
  DELAY: "Delay",
  DELAY_UNTIL: "Delay until",
  SET_PROPERTY: "Set property",
  CLEAR_PROPERTY: "Clear property",
  CREATE_RECORD: "Create record",
  CREATE_TASK: "Create task",
  SEND_EMAIL: "Send email",
  ROTATE_OWNER: "Rotate owner",
  WEBHOOK: "Webhook",
  ENROLL_IN_WORKFLOW: "Enroll in workflow",
  IF_THEN: "If/then branch",
};

const WEEKDAYS = { MON: "Mon", TUE: "Tue", WED: "Wed", THU: "Thu", FRI: "Fri", SAT: "Sat", SUN: "Sun" };

/** "Mon, Tue 09:00–17:00; Sat 10:00–14:00", or "any time". */
export function windowsText(windows) {
  if (!windows?.length) return "any time";
  return windows.map((w) => `${w.days.map((day) => WEEKDAYS[day] ?? day).join(", ")} ${w.start}–${w.end}`).join("; ");
}

/** "off", or "on, when Ticket status changes". */
export function reEnrollmentText(context, reEnrollment) {
  if (!reEnrollment?.enabled) return "off";
  const names = (reEnrollment.properties || []).map((name) => propertyLabel(context, name));
  return `on, when ${names.join(" or ") || "a trigger property"} changes`;
}

function delayText(delay) {
  const length = span(delay || {});
  return delay?.businessHours ? `Wait ${length} (business hours)` : `Wait ${length}`;
}

/** The one-line summary of an action ("Wait 1 day", "Set Lead status to In progress"). */
export function actionSummary(context, action) {
  switch (action.type) {
    case "DELAY":
      return delayText(action.delay);
    case "DELAY_UNTIL": {
      const at = action.time ? ` at ${action.time}` : "";
      if (action.untilProperty) return `Wait until ${propertyLabel(context, action.untilProperty)}${at}`;
      const days = (action.weekdays || []).map((day) => WEEKDAYS[day] ?? day).join(", ");
      return `Wait until ${days || "the next day"}${at}`;
    }
    case "SET_PROPERTY":
      return `Set ${propertyLabel(context, action.property)} to ${valueLabel(context, action.property, action.value)}`;
    case "CLEAR_PROPERTY":
      return `Clear ${propertyLabel(context, action.property)}`;
    case "CREATE_RECORD": {
      const type = singular(action.objectType);
      const named = Object.values(action.properties || {})[0];
      return named ? `Create a ${type}: ${named}` : `Create a ${type}`;
    }
    case "CREATE_TASK": {
      const subject = action.properties?.hs_task_subject;
      return subject ? `Create a task: ${subject}` : "Create a task";
    }
    case "SEND_EMAIL":
      return `Send “${context.emails.get(action.emailId) ?? `email ${action.emailId}`}”`;
    case "ROTATE_OWNER":
      if (action.teamId) return `Rotate the owner over ${context.teams.get(action.teamId) ?? `team ${action.teamId}`}`;
      return `Rotate the owner among ${action.ownerIds?.length ?? 0} users`;
    case "WEBHOOK": {
      let target = action.url;
      try {
        target = new URL(action.url).host;
      } catch {
        // keep the text as given
      }
      return `${action.method || "POST"} to ${target}`;
    }
    case "ENROLL_IN_WORKFLOW":
      return `Enroll in ${context.workflows.get(action.workflowId) ?? `workflow ${action.workflowId}`}`;
    case "IF_THEN": {
      const count = action.branches?.length ?? 0;
      return `${count} branch${count === 1 ? "" : "es"} and otherwise`;
    }
    default:
      return action.type;
  }
}

/** Where an action leads: [{to, label, condition}] (IF_THEN: each branch, then "Otherwise"). */
export function successors(context, action) {
  if (action.type === "IF_THEN") {
    return [
      ...(action.branches || []).map((branch, index) => ({
        to: branch.next ?? null,
        label: `Branch ${index + 1}`,
        condition: criteriaLine(context, branch.filterGroups) || "always",
      })),
      { to: action.defaultNext ?? null, label: "Otherwise", condition: "none of the branches" },
    ];
  }
  return [{ to: action.next ?? null, label: null, condition: null }];
}

// ---------------------------------------------------------------- sources of history entries

export function sourceText(context, entry) {
  const rule = entry.sourceLabel ? ` (${entry.sourceLabel})` : "";
  switch (entry.sourceType) {
    case "API":
      return "An API call";
    case "FORM":
      return `Form ${entry.sourceId ?? ""} submitted${rule}`.trim();
    case "LIFECYCLE_DEFAULT":
      return `Default stage on create${rule}`;
    case "DEAL_CREATED":
      return `Deal ${entry.sourceId} created${rule}`;
    case "DEAL_WON":
      return `Deal ${entry.sourceId} won${rule}`;
    case "COMPANY_SYNC":
      return `Followed company ${entry.sourceId}${rule}`;
    case "LEAD_AUTOMATION":
      return `Lead automation${rule}`;
    case "WORKFLOW":
      return `Workflow ${context.workflows.get(entry.sourceId) ?? entry.sourceId}${rule}`;
    case "SYSTEM":
      return `crmflow itself${rule}`;
    default:
      return `${entry.sourceType}${rule}`;
  }
}
