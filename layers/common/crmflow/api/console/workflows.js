// Workflows: the list (counts, on/off) and a workflow's pages: the canvas with live "waiting here"
// counts, the log with filters and paging, explain and test mode for one record, and revisions with
// a readable diff. Every figure is an API answer (docs/api.md, Workflows).

import { all, get, post } from "./api.js";
import { diffDefinitions } from "./diff.js";
import { drawGraph, fitScale, updateCounts, waitingText, zoom } from "./graph.js";
import {
  announce,
  ask,
  detailText,
  field,
  h,
  message,
  pagerButton,
  percent,
  rowHeader,
  seconds,
  select,
  table,
  uid,
  when,
} from "./dom.js";
import {
  ACTION_TYPES,
  actionSummary,
  eventSentence,
  filterSentence,
  groupSentences,
  loadContext,
  reEnrollmentText,
  singular,
  successors,
  typeLabel,
  valueLabel,
  windowsText,
} from "./labels.js";

const POLL_MS = 5000;
const EVENTS = [
  "ENROLLED",
  "ACTION_EXECUTED",
  "ACTION_SKIPPED",
  "DELAY_STARTED",
  "DELAY_ENDED",
  "WAITING",
  "GOAL_MET",
  "UNENROLLED",
  "COMPLETED",
  "ERROR",
];
const REASONS = [
  "WORKFLOW_OFF",
  "PAUSE_DATE",
  "TIME_WINDOW",
  "INFINITE_LOOP",
  "ACTION_REMOVED",
  "GOAL",
  "SUPPRESSED",
  "CRITERIA",
  "RECORD_DELETED",
  "MANUAL",
];
const SECTIONS = [
  ["", "Canvas"],
  ["log", "Log"],
  ["record", "Explain and test"],
  ["revisions", "Revisions"],
];

function heading(text) {
  return h("h2", { tabindex: -1 }, text);
}

function goalConversion(workflow, stats) {
  if (!stats) return "—";
  if (!workflow.goal?.filterGroups?.some((group) => group.filters?.length)) return "no goal";
  const goal = stats.goal || {};
  return `${percent(goal.conversionRate)} (${goal.met ?? 0} of ${goal.emailed ?? 0} emailed)`;
}

// ---------------------------------------------------------------- turning on and off

/**
 * Turn a workflow on (asking whether to enroll the records that meet its triggers now) or off. The
 * revision check: the workflow is read again first, and nothing is changed when it is not what the
 * page showed (edited, or turned on or off, meanwhile).
 */
async function toggle(view, shown) {
  let enrollExisting = false;
  if (shown.enabled) {
    const answer = await ask(
      `Turn off “${shown.name}”?`,
      h(
        "p",
        {},
        "No record will enroll. Records already in it stay where they are: delays and branches go on, " +
          "every other action is skipped (W-1).",
      ),
      "Turn off",
    );
    if (answer === null) return;
  } else {
    const answer = await ask(
      `Turn on “${shown.name}”?`,
      h(
        "fieldset",
        {},
        h("legend", {}, "Records that already meet the enrollment triggers"),
        h(
          "label",
          { class: "choice" },
          h("input", { type: "radio", name: "existing", value: "no", checked: true }),
          " Leave them out: only records that come to meet the triggers from now on enroll",
        ),
        h(
          "label",
          { class: "choice" },
          h("input", { type: "radio", name: "existing", value: "yes" }),
          " Enroll them now as well (E-2)",
        ),
      ),
      "Turn on",
    );
    if (answer === null) return;
    enrollExisting = answer.get("existing") === "yes";
  }
  const current = await get(`/workflows/${shown.id}`);
  if (current.revision !== shown.revision || current.enabled !== shown.enabled) {
    view.flash(
      `“${current.name}” changed since this page was loaded (it is now at revision ${current.revision} ` +
        `and ${current.enabled ? "on" : "off"}); nothing was changed. Check it and try again.`,
      "error",
    );
    view.refresh();
    return;
  }
  if (shown.enabled) {
    await post(`/workflows/${shown.id}/disable`);
    view.flash(`“${shown.name}” is off.`, "status");
  } else {
    await post(`/workflows/${shown.id}/enable`, { enrollExisting });
    view.flash(
      `“${shown.name}” is on${enrollExisting ? "; records that meet its triggers are being enrolled" : ""}.`,
      "status",
    );
  }
  view.refresh();
}

function toggleButton(view, workflow) {
  const verb = workflow.enabled ? "Turn off" : "Turn on";
  return h(
    "button",
    {
      type: "button",
      class: workflow.enabled ? "" : "primary",
      "aria-label": `${verb} ${workflow.name}`,
      onclick: () => view.run(() => toggle(view, workflow)),
    },
    verb,
  );
}

function onOff(workflow) {
  return h("span", { class: `pill ${workflow.enabled ? "on" : "off"}` }, workflow.enabled ? "On" : "Off");
}

// ---------------------------------------------------------------- the list

export async function workflowsList(view) {
  view.setTitle("Workflows");
  view.main.append(heading("Workflows"));
  const workflows = await all("/workflows", { limit: 100 });
  if (!workflows.length) {
    view.main.append(
      h("p", {}, "No workflows yet. Create one with POST /workflows (see docs/workflows.md)."),
    );
    return;
  }
  const stats = await Promise.all(
    workflows.map((workflow) => get(`/workflows/${workflow.id}/stats`).catch(() => null)),
  );
  const rows = workflows.map((workflow, index) => {
    const counts = stats[index] || {};
    return [
      rowHeader(h("a", { href: `#/workflows/${workflow.id}` }, workflow.name)),
      typeLabel(workflow.objectType),
      onOff(workflow),
      String(counts.enrolled ?? "—"),
      String(counts.active ?? "—"),
      String(counts.completed ?? "—"),
      goalConversion(workflow, stats[index]),
      h("span", {}, when(workflow.updatedAt), h("br"), h("span", { class: "muted" }, `revision ${workflow.revision}`)),
      toggleButton(view, workflow),
    ];
  });
  view.main.append(
    table(
      "Every workflow, in id order, with its enrollment counts",
      [
        "Name",
        "Object type",
        "Status",
        "Enrolled",
        "Active",
        "Completed",
        "Goal conversion",
        "Last change",
        "On or off",
      ],
      rows,
      { class: "data workflows" },
    ),
  );
}

// ---------------------------------------------------------------- one workflow

function fillStats(list, workflow, stats) {
  const items = [
    ["Enrolled", stats.enrolled],
    ["Active", stats.active],
    ["Completed", stats.completed],
    ["Unenrolled", stats.unenrolled],
    ["Failed", stats.failed],
    ["Goal conversion", goalConversion(workflow, stats)],
  ];
  const text = items.map(([name, value]) => `${name} ${value}`).join(", ");
  if (list.dataset.text === text) return;
  list.dataset.text = text;
  list.replaceChildren(
    ...items.map(([name, value]) =>
      h("div", { class: "stat" }, h("dt", {}, name), h("dd", { dataset: { stat: name.toLowerCase() } }, String(value))),
    ),
  );
}

export async function workflowPage(view, id, section) {
  const [workflow, stats] = await Promise.all([get(`/workflows/${id}`), get(`/workflows/${id}/stats`)]);
  const context = await loadContext(workflow.objectType);
  const current = SECTIONS.find(([key]) => key === section) || SECTIONS[0];
  view.setTitle(`${workflow.name} — ${current[1]}`);
  const statsList = h("dl", { class: "stats" });
  fillStats(statsList, workflow, stats);
  view.main.append(
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        heading(workflow.name),
        h(
          "p",
          { class: "meta" },
          `${typeLabel(workflow.objectType)} workflow · `,
          onOff(workflow),
          ` · revision ${workflow.revision} · last changed `,
          when(workflow.updatedAt),
        ),
      ),
      toggleButton(view, workflow),
    ),
    h("div", { role: "group", "aria-label": "Enrollment counts", "aria-live": "polite" }, statsList),
    h(
      "nav",
      { class: "tabs", "aria-label": "Workflow sections" },
      h(
        "ul",
        {},
        SECTIONS.map(([key, label]) =>
          h(
            "li",
            {},
            h(
              "a",
              { href: `#/workflows/${id}${key ? `/${key}` : ""}`, "aria-current": key === current[0] ? "page" : null },
              label,
            ),
          ),
        ),
      ),
    ),
  );
  const refreshStats = async () => {
    const fresh = await get(`/workflows/${id}/stats`);
    fillStats(statsList, workflow, fresh);
    return fresh;
  };
  if (current[0] === "log") await logSection(view, workflow, context);
  else if (current[0] === "record") await recordSection(view, workflow, context);
  else if (current[0] === "revisions") await revisionsSection(view, workflow, context);
  else {
    canvasSection(view, workflow, context, stats, refreshStats); // it reads the counts again itself
    return;
  }
  // when the clock moves: the counts, and whatever the section reads again (the rest stays as it is)
  const again = view.change;
  view.onChange(async () => {
    await refreshStats();
    if (again) await again();
  });
}

// ---------------------------------------------------------------- canvas

function sentencesList(sentences, empty) {
  if (!sentences.length) return h("p", {}, empty);
  if (sentences.length === 1) return h("p", { class: "sentence" }, sentences[0]);
  return h(
    "div",
    {},
    h("p", {}, "Any one of:"),
    h("ul", { class: "sentences" }, sentences.map((sentence) => h("li", {}, sentence))),
  );
}

function settingsList(context, workflow) {
  const items = [
    ["Time zone", workflow.timeZone],
    ["Actions run", windowsText(workflow.timeWindows)],
    ["Pause dates", workflow.pauseDates?.length ? workflow.pauseDates.join(", ") : "none"],
    ["Re-enrollment", reEnrollmentText(context, workflow.enrollment?.reEnrollment)],
    ["Unenroll when the triggers are no longer met", workflow.unenrollWhenCriteriaNotMet ? "yes" : "no"],
    ["Suppression lists", workflow.suppressionListIds?.length ? workflow.suppressionListIds.join(", ") : "none"],
  ];
  return h(
    "dl",
    { class: "settings" },
    items.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))),
  );
}

function waitingPanel(panel, workflow, context, stats, actionId) {
  const action = workflow.actions.find((item) => item.id === actionId);
  if (!action) {
    panel.replaceChildren();
    return;
  }
  const count = stats.waiting?.[actionId] ?? 0;
  const records = stats.timeLeft?.[actionId] ?? [];
  const title = `Action ${actionId}, ${ACTION_TYPES[action.type] ?? action.type}: ${actionSummary(context, action)}`;
  const parts = [h("h4", {}, title), h("p", {}, `${waitingText(count)}.`)];
  if (records.length) {
    parts.push(
      table(
        `Records waiting at action ${actionId} and when they go on (up to 100)`,
        ["Record", "Waiting until", "Time left", "Why"],
        records.map((item) => [
          rowHeader(h("a", { href: `#/records/${workflow.objectType}/${item.recordId}` }, `Record ${item.recordId}`)),
          when(item.waitingUntil),
          seconds(item.secondsLeft),
          h(
            "a",
            { href: `#/workflows/${workflow.id}/record?record=${item.recordId}` },
            `Explain record ${item.recordId}`,
          ),
        ]),
        { class: "data" },
      ),
    );
  } else if (count) {
    parts.push(h("p", { class: "muted" }, "They have no waiting time set (or are tickets you may not see)."));
  }
  panel.replaceChildren(...parts);
}

function actionsTable(workflow, context, stats) {
  return table(
    "Every action, where it leads and how many records wait there",
    ["Action", "Type", "What it does", "Leads to", "Waiting here"],
    workflow.actions.map((action) => [
      rowHeader(`#${action.id}`),
      ACTION_TYPES[action.type] ?? action.type,
      actionSummary(context, action),
      successors(context, action)
        .map((next) => {
          const where = next.to ? `action ${next.to}` : "end";
          return next.label ? `${next.label} (${next.condition}): ${where}` : where;
        })
        .join("; "),
      h("span", { dataset: { waitingFor: action.id } }, String(stats.waiting?.[action.id] ?? 0)),
    ]),
    { class: "data" },
  );
}

function canvasSection(view, workflow, context, stats, refreshStats) {
  let latest = stats;
  let selected = null;
  const panel = h("section", {
    class: "panel",
    "aria-live": "polite",
    "aria-label": "Records waiting at the selected action",
  });
  const onSelect = (actionId) => {
    selected = actionId;
    waitingPanel(panel, workflow, context, latest, actionId);
  };
  const graph = drawGraph(context, workflow, stats, { onSelect });
  const table_ = actionsTable(workflow, context, stats);
  const stamp = () => `Live: refreshed every 5 seconds, last at ${new Date().toLocaleTimeString()}.`;
  const status = h("span", { class: "muted small" }, stamp());
  const refresh = async () => {
    latest = await refreshStats();
    updateCounts(graph, context, workflow, latest);
    for (const cell of table_.querySelectorAll("[data-waiting-for]")) {
      cell.textContent = String(latest.waiting?.[cell.dataset.waitingFor] ?? 0);
    }
    if (selected) waitingPanel(panel, workflow, context, latest, selected);
    status.textContent = stamp();
  };
  const timer = window.setInterval(() => {
    if (!document.hidden) refresh().catch(() => {});
  }, POLL_MS);
  view.onCleanup(() => window.clearInterval(timer));
  view.onChange(() => refresh());

  const canvas = h(
    "div",
    {
      class: "canvas",
      role: "region",
      "aria-label": "Action graph (scrolls); select a box to list the records waiting in it",
      tabindex: 0,
    },
    graph,
  );
  let scale = 1;
  const zoomTo = (next) => {
    scale = zoom(graph, next);
    announce(`Zoom ${Math.round(scale * 100)}%`);
  };
  const zoomButtons = h(
    "div",
    { class: "buttons zoom", role: "group", "aria-label": "Zoom" },
    h("button", { type: "button", "aria-label": "Zoom out", onclick: () => zoomTo(scale - 0.1) }, "−"),
    h("button", { type: "button", "aria-label": "Zoom in", onclick: () => zoomTo(scale + 0.1) }, "+"),
    h("button", { type: "button", onclick: () => zoomTo(fitScale(graph, canvas)) }, "Fit"),
    h("button", { type: "button", onclick: () => zoomTo(1) }, "100%"),
  );

  const triggers = groupSentences(context, workflow.enrollment?.filterGroups);
  const event = eventSentence(context, workflow.enrollment?.event);
  if (event) triggers.push(`${triggers.length ? "or when" : "When"} it ${event}`);
  const graphTitle = uid("canvas-title");
  view.main.append(
    h(
      "div",
      { class: "workspace" },
      h(
        "aside",
        { class: "side", "aria-label": "Enrollment, goal and settings" },
        h("h3", {}, "Enrollment triggers"),
        sentencesList(triggers, "No trigger: records enroll by hand."),
        h("h3", {}, "Goal"),
        sentencesList(groupSentences(context, workflow.goal?.filterGroups), "No goal."),
        h("h3", {}, "Settings"),
        settingsList(context, workflow),
      ),
      h(
        "section",
        { class: "canvas-area", "aria-labelledby": graphTitle },
        h(
          "div",
          { class: "section-head" },
          h("h3", { id: graphTitle }, "Actions"),
          status,
          h("button", { type: "button", onclick: () => view.run(refresh) }, "Refresh counts"),
          zoomButtons,
        ),
        canvas,
        panel,
        h("details", {}, h("summary", {}, "The actions as a table"), table_),
      ),
    ),
  );
}

// ---------------------------------------------------------------- log

function logFilters(params) {
  return {
    event: params.get("event") || "",
    reason: params.get("reason") || "",
    record: params.get("record") || "",
    size: Number(params.get("size")) || 50,
  };
}

/** One page of the log as filtered: the API filters by record; event and reason are filtered here,
 * reading API pages until a page is full (at most 20 API pages per click). */
async function logPage(workflow, filters, after) {
  const found = [];
  let cursor = after;
  let scanned = 0;
  let pages = 0;
  do {
    const page = await get(`/workflows/${workflow.id}/log`, {
      recordId: filters.record,
      limit: filters.size,
      after: cursor,
    });
    pages += 1;
    scanned += page.results.length;
    found.push(
      ...page.results.filter(
        (entry) =>
          (!filters.event || entry.event === filters.event) && (!filters.reason || entry.reason === filters.reason),
      ),
    );
    cursor = page.paging?.next?.after;
  } while (cursor && found.length < filters.size && pages < 20);
  return { entries: found, next: cursor, scanned };
}

async function logSection(view, workflow, context) {
  const filters = logFilters(view.params);
  const eventSelect = select([["", "Any event"], ...EVENTS.map((e) => [e, e])], filters.event, { name: "event" });
  const reasonSelect = select([["", "Any reason"], ...REASONS.map((r) => [r, r])], filters.reason, { name: "reason" });
  const recordInput = h("input", { name: "record", value: filters.record, inputmode: "numeric", size: 8 });
  const sizes = ["10", "25", "50", "100"].map((size) => [size, size]);
  const sizeSelect = select(sizes, String(filters.size), { name: "size" });
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Log filters",
      onsubmit: (event) => {
        event.preventDefault();
        const query = new URLSearchParams();
        for (const [key, value] of new FormData(form)) if (value) query.set(key, String(value));
        view.navigate(`#/workflows/${workflow.id}/log${query.size ? `?${query}` : ""}`);
      },
    },
    field("Event", eventSelect),
    field("Reason", reasonSelect),
    field("Record id", recordInput),
    field("Entries per page", sizeSelect),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, "Apply filters"),
      h("a", { href: `#/workflows/${workflow.id}/log`, class: "button" }, "Clear"),
    ),
  );
  const results = h("div", { class: "log-results" });
  view.main.append(h("section", { "aria-label": "Log" }, h("h3", {}, "Log"), form, results));

  const cursors = [undefined]; // the cursor of each page shown so far
  const show = async (index) => {
    const page = await logPage(workflow, filters, cursors[index]);
    cursors[index + 1] = page.next;
    const rows = page.entries.map((entry) => [
      rowHeader(when(entry.at)),
      h(
        "span",
        {},
        h("a", { href: `#/records/${workflow.objectType}/${entry.recordId}` }, entry.recordId),
        " ",
        h(
          "a",
          {
            href: `#/workflows/${workflow.id}/record?record=${entry.recordId}`,
            class: "small",
            "aria-label": `Explain record ${entry.recordId}`,
          },
          "explain",
        ),
      ),
      entry.event,
      entry.actionId ? `#${entry.actionId} ${ACTION_TYPES[entry.actionType] ?? entry.actionType ?? ""}` : "—",
      entry.reason ?? "—",
      String(entry.revision ?? "—"),
      detailText(entry.detail),
    ]);
    const shown = `Page ${index + 1}: ${page.entries.length} entries${
      filters.event || filters.reason ? ` matching (of ${page.scanned} read)` : ""
    }.`;
    results.replaceChildren(
      h("p", { role: "status" }, shown),
      rows.length
        ? table(
            `Log of ${workflow.name}, oldest first, page ${index + 1}`,
            ["At", "Record", "Event", "Action", "Reason", "Revision", "Detail"],
            rows,
            { class: "data log" },
          )
        : h("p", {}, "No entries."),
      h(
        "nav",
        { class: "pager", "aria-label": "Log pages" },
        pagerButton("Previous page", index === 0, () => view.run(() => show(index - 1))),
        pagerButton("Next page", !page.next, () => view.run(() => show(index + 1))),
      ),
    );
  };
  await show(0);
  view.onChange(() => show(0));
}

// ---------------------------------------------------------------- explain and test

function yesNo(flag, yes = "met", no = "not met") {
  return h("span", { class: `pill ${flag ? "on" : "off"}` }, flag ? yes : no);
}

function explainGroups(context, groups) {
  return h(
    "ol",
    { class: "groups" },
    groups.map((group, index) =>
      h(
        "li",
        {},
        h("p", {}, `Group ${index + 1}: `, yesNo(group.met)),
        h(
          "ul",
          {},
          group.filters.map((filter) =>
            h(
              "li",
              {},
              `${filterSentence(context, filter)}: `,
              yesNo(filter.met),
              h("span", { class: "muted" }, ` (its value: ${valueLabel(context, filter.propertyName, filter.actual)})`),
            ),
          ),
        ),
      ),
    ),
  );
}

function explainAnswer(context, workflow, answer) {
  const parts = [
    h("h4", {}, `Record ${answer.recordId}: ${answer.wouldEnroll ? "would enroll now" : "would not enroll now"}`),
    h("p", { class: "verdict" }, h("strong", {}, "Verdict: "), answer.verdict),
  ];
  if (answer.reasons.length > 1) {
    parts.push(h("p", {}, "All reasons:"), h("ul", {}, answer.reasons.map((reason) => h("li", {}, reason))));
  }
  parts.push(h("h5", {}, "Enrollment triggers "), h("p", {}, "Met as a whole: ", yesNo(answer.triggers.met)));
  if (answer.triggers.filterGroups.length) parts.push(explainGroups(context, answer.triggers.filterGroups));
  if (answer.triggers.event) {
    parts.push(h("p", {}, `Event trigger: when it ${eventSentence(context, answer.triggers.event)}.`));
  }
  if (answer.suppressionLists.length) {
    parts.push(
      h("h5", {}, "Suppression lists"),
      h(
        "ul",
        {},
        answer.suppressionLists.map((item) =>
          h(
            "li",
            {},
            `List ${item.listId}${item.name ? ` (${item.name})` : ""}: `,
            yesNo(!item.member, "not a member", "member"),
          ),
        ),
      ),
    );
  }
  if (answer.goal) {
    parts.push(
      h("h5", {}, "Goal"),
      h("p", {}, "Met: ", yesNo(answer.goal.met, "yes", "no")),
      explainGroups(context, answer.goal.filterGroups),
    );
  }
  parts.push(h("h5", {}, "Enrollment"));
  if (answer.enrollment) {
    const enrollment = answer.enrollment;
    parts.push(
      h(
        "p",
        {},
        `${enrollment.status}`,
        enrollment.currentActionId ? ` at action ${enrollment.currentActionId}` : "",
        enrollment.waitingUntil ? [", waiting until ", when(enrollment.waitingUntil)] : "",
        "; enrolled ",
        when(enrollment.enrolledAt),
        ".",
      ),
    );
  } else {
    parts.push(h("p", {}, "Never enrolled."));
  }
  if (answer.history.length) {
    parts.push(
      table(
        "Every enrollment of the record in this workflow, oldest first",
        ["Enrolled", "Ended", "Status", "Reason"],
        answer.history.map((item) => [
          rowHeader(when(item.enrolledAt)),
          when(item.endedAt),
          item.status,
          item.reason ?? "—",
        ]),
        { class: "data" },
      ),
    );
  }
  return parts;
}

const OUTCOMES = {
  COMPLETED: "it would go through to the end",
  GOAL_MET: "it would meet the goal and leave",
  STILL_RUNNING: "it would still be in the workflow when the test ends",
  NOT_ENROLLED: "it would not enroll",
  UNENROLLED: "it would be unenrolled",
};

function testAnswer(context, workflow, answer) {
  let outcome = OUTCOMES[answer.outcome] ?? answer.outcome;
  if (answer.reason) outcome += ` (${answer.reason})`;
  const parts = [
    h("h4", {}, `Test of record ${answer.recordId}, from `, when(answer.start), " to ", when(answer.end)),
    h("p", { class: "verdict" }, h("strong", {}, "Outcome: "), outcome, "."),
  ];
  if (answer.outcome === "STILL_RUNNING") {
    const until = answer.waitingUntil ? [", waiting until ", when(answer.waitingUntil)] : "";
    parts.push(h("p", {}, `It would be at action ${answer.currentActionId}`, until, "."));
  }
  if (!answer.workflowEnabled) {
    parts.push(h("p", { class: "muted" }, "The workflow is off: the test plays it as if it were on."));
  }
  parts.push(
    table(
      "The steps the record would take (nothing was changed)",
      ["When", "Action", "Event", "Reason or branch", "Detail"],
      answer.steps.map((step) => [
        rowHeader(when(step.at)),
        step.actionId ? `#${step.actionId} ${ACTION_TYPES[step.actionType] ?? step.actionType}` : "—",
        step.event,
        step.reason ?? (step.branch !== null && step.branch !== undefined ? `branch ${step.branch + 1}` : "—"),
        detailText(step.detail),
      ]),
      { class: "data" },
    ),
    h(
      "details",
      {},
      h("summary", {}, "The record's properties as the path would leave them"),
      table(
        "Properties after the test",
        ["Property", "Value"],
        Object.entries(answer.properties || {}).map(([name, value]) => [
          rowHeader(name),
          valueLabel(context, name, value),
        ]),
        { class: "data" },
      ),
    ),
  );
  return parts;
}

async function recordSection(view, workflow, context) {
  const recordInput = h("input", {
    name: "record",
    required: true,
    inputmode: "numeric",
    size: 10,
    value: view.params.get("record") || "",
  });
  const daysInput = h("input", {
    name: "days",
    type: "number",
    min: 1,
    max: 366,
    value: view.params.get("days") || "30",
    size: 5,
  });
  const output = h("div", { class: "answer", "aria-live": "polite" });
  const run = async (kind) => {
    const recordId = recordInput.value.trim();
    if (!recordId) {
      output.replaceChildren(message("Give a record id first."));
      recordInput.focus();
      return;
    }
    output.replaceChildren(h("p", { role: "status" }, kind === "explain" ? "Explaining…" : "Testing…"));
    if (kind === "explain") {
      const answer = await get(`/workflows/${workflow.id}/explain/${encodeURIComponent(recordId)}`);
      output.replaceChildren(...explainAnswer(context, workflow, answer));
      announce(`Record ${recordId}: ${answer.verdict}`);
    } else {
      const answer = await post(`/workflows/${workflow.id}/test`, { recordId, days: Number(daysInput.value) || 30 });
      output.replaceChildren(...testAnswer(context, workflow, answer));
      announce(`Test done: ${OUTCOMES[answer.outcome] ?? answer.outcome}`);
    }
  };
  const guarded = (kind) => view.run(() => run(kind), (error) => output.replaceChildren(message(error.message)));
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Explain or test a record",
      onsubmit: (event) => {
        event.preventDefault();
        guarded("explain");
      },
    },
    field(`${singular(workflow.objectType).replace(/^./, (c) => c.toUpperCase())} id`, recordInput),
    field("Days to play (test)", daysInput),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "primary" }, "Explain"),
      h("button", { type: "button", onclick: () => guarded("test") }, "Test the path"),
    ),
  );
  view.main.append(
    h(
      "section",
      { "aria-label": "Explain and test" },
      h("h3", {}, "Explain and test"),
      h(
        "p",
        { class: "hint" },
        "Explain says why the record did or did not enroll (L-4). Test plays the path it would take from now, " +
          "on a copy: nothing is written, no email is sent.",
      ),
      form,
      output,
    ),
  );
  if (recordInput.value) await run("explain").catch((error) => output.replaceChildren(message(error.message)));
}

// ---------------------------------------------------------------- revisions

function changeItem(change) {
  if (change.before === undefined) {
    return h("li", { class: "added" }, h("strong", {}, `${change.what} added: `), h("ins", {}, change.after));
  }
  if (change.after === undefined) {
    return h("li", { class: "removed" }, h("strong", {}, `${change.what} removed: `), h("del", {}, change.before));
  }
  return h(
    "li",
    { class: "changed" },
    h("strong", {}, `${change.what}: `),
    h("del", {}, h("span", { class: "sr-only" }, "was "), change.before),
    h("span", { "aria-hidden": "true" }, " → "),
    h("ins", {}, h("span", { class: "sr-only" }, ", now "), change.after),
  );
}

async function revisionsSection(view, workflow, context) {
  const { results } = await get(`/workflows/${workflow.id}/revisions`);
  const numbers = results.map((item) => item.revision);
  const latest = numbers[numbers.length - 1];
  const previous = numbers.length > 1 ? numbers[numbers.length - 2] : latest;
  const options = numbers.map((n) => [String(n), `Revision ${n}`]);
  const fromSelect = select(options, view.params.get("from") || String(previous), { name: "from" });
  const toSelect = select(options, view.params.get("to") || String(latest), { name: "to" });
  const output = h("div", { class: "answer", "aria-live": "polite" });
  const compare = async () => {
    const [a, b] = [Number(fromSelect.value), Number(toSelect.value)];
    const [before, after] = await Promise.all([
      get(`/workflows/${workflow.id}/revisions/${a}`),
      get(`/workflows/${workflow.id}/revisions/${b}`),
    ]);
    const changes = diffDefinitions(context, before, after);
    output.replaceChildren(
      h("h4", {}, `From revision ${a} (`, when(before.savedAt), `) to revision ${b} (`, when(after.savedAt), ")"),
      changes.length
        ? h("ul", { class: "changes" }, changes.map(changeItem))
        : h("p", {}, a === b ? "The same revision: nothing to compare." : "No differences."),
    );
  };
  view.main.append(
    h(
      "section",
      { "aria-label": "Revisions" },
      h("h3", {}, "Revisions"),
      table(
        "Every saved revision, oldest first (each log entry names the revision it ran under)",
        ["Revision", "Saved"],
        results.map((item) => [
          rowHeader(`Revision ${item.revision}${item.revision === workflow.revision ? " (current)" : ""}`),
          when(item.savedAt),
        ]),
        { class: "data narrow" },
      ),
      h(
        "form",
        {
          class: "filters",
          "aria-label": "Compare two revisions",
          onsubmit: (event) => {
            event.preventDefault();
            view.run(compare);
          },
        },
        field("From", fromSelect),
        field("To", toSelect),
        h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Show changes")),
      ),
      output,
    ),
  );
  await compare();
}
