// Records: search contacts, companies, deals, tickets and leads, and a record's page: its
// properties, the history of its stages with where each change came from, its associations and the
// workflows it is in. Tickets a user may not see are not in any answer (T-5), so not on any page.

import { call, get } from "./api.js";
import { field, h, pagerButton, rowHeader, select, table, when } from "./dom.js";
import {
  ACTION_TYPES,
  HISTORY_PROPERTIES,
  NAME_PROPERTIES,
  OBJECT_TYPES,
  actionSummary,
  loadContext,
  propertyLabel,
  recordName,
  singular,
  sourceText,
  typeLabel,
  valueLabel,
} from "./labels.js";

const PAGE = 25;
const COLUMNS = {
  contacts: ["email", "lifecyclestage", "hs_lead_status", "hubspot_owner_id", "hs_lastmodifieddate"],
  companies: ["domain", "lifecyclestage", "hubspot_owner_id", "hs_lastmodifieddate"],
  deals: ["amount", "pipeline", "dealstage", "hubspot_owner_id", "hs_lastmodifieddate"],
  tickets: ["hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "hubspot_owner_id", "hs_lastmodifieddate"],
  leads: ["hs_pipeline", "hs_pipeline_stage", "hs_lead_type", "hubspot_owner_id", "hs_lastmodifieddate"],
};
const DATES = new Set([
  "createdate",
  "hs_lastmodifieddate",
  "lastmodifieddate",
  "closedate",
  "closed_date",
  "first_deal_created_date",
]);

function cellValue(context, name, value) {
  if (DATES.has(name) && value) return when(value);
  return valueLabel(context, name, value);
}

function typeOptions() {
  return OBJECT_TYPES.map((type) => [type, typeLabel(type)]);
}

function recordLink(objectType, record) {
  return h("a", { href: `#/records/${objectType}/${record.id}` }, recordName(objectType, record));
}

// ---------------------------------------------------------------- search

export async function recordsSearch(view, objectType) {
  const heading = h("h2", { tabindex: -1 }, "Records");
  view.main.append(heading);
  if (!OBJECT_TYPES.includes(objectType)) {
    view.setTitle("Records");
    view.main.append(h("p", { role: "alert" }, `The console shows ${OBJECT_TYPES.join(", ")}; not ${objectType}.`));
    return;
  }
  view.setTitle(`${typeLabel(objectType)} — Records`);
  const context = await loadContext(objectType);
  const query = view.params.get("q") || "";
  const typeSelect = select(typeOptions(), objectType, { name: "type" });
  const queryInput = h("input", { type: "search", name: "q", value: query, size: 30 });
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Search records",
      onsubmit: (event) => {
        event.preventDefault();
        const text = queryInput.value.trim();
        view.navigate(`#/records/${typeSelect.value}${text ? `?q=${encodeURIComponent(text)}` : ""}`);
      },
    },
    field("Object type", typeSelect),
    field("Words to find", queryInput, "Every word must appear in some property; leave it empty to list them all."),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Search")),
  );
  const results = h("div", {});
  view.main.append(form, results);

  const columns = COLUMNS[objectType];
  const cursors = [undefined];
  const show = async (index) => {
    const body = {
      properties: [...(NAME_PROPERTIES[objectType] || []), ...columns],
      limit: PAGE,
      ...(query ? { query } : {}),
      ...(cursors[index] ? { after: cursors[index] } : {}),
    };
    const page = await call("POST", `/crm/v3/objects/${objectType}/search`, { body });
    cursors[index + 1] = page.paging?.next?.after;
    const what = typeLabel(objectType).toLowerCase();
    const noun = page.total === 1 ? singular(objectType) : what;
    const found = `Found ${page.total} ${noun}${query ? ` for “${query}”` : ""}.`;
    results.replaceChildren(
      h("p", { role: "status" }, found),
      page.results.length
        ? table(
            `${typeLabel(objectType)}${query ? ` matching “${query}”` : ""}, page ${index + 1}`,
            ["Name", ...columns.map((name) => propertyLabel(context, name))],
            page.results.map((record) => [
              rowHeader(recordLink(objectType, record)),
              ...columns.map((name) => cellValue(context, name, record.properties[name])),
            ]),
            { class: "data records" },
          )
        : h("p", {}, "Nothing found."),
      h(
        "nav",
        { class: "pager", "aria-label": "Result pages" },
        pagerButton("Previous page", index === 0, () => view.run(() => show(index - 1))),
        pagerButton("Next page", !cursors[index + 1], () => view.run(() => show(index + 1))),
      ),
    );
  };
  await show(0);
  view.onChange(() => show(0));
}

// ---------------------------------------------------------------- one record

function historySource(context, entry) {
  const text = sourceText(context, entry);
  const targets = {
    WORKFLOW: "#/workflows/",
    DEAL_CREATED: "#/records/deals/",
    DEAL_WON: "#/records/deals/",
    COMPANY_SYNC: "#/records/companies/",
  };
  const target = targets[entry.sourceType];
  return target && entry.sourceId ? h("a", { href: `${target}${entry.sourceId}` }, text) : text;
}

function historySection(context, record) {
  const kept = Object.entries(record.propertiesWithHistory || {});
  const parts = [h("h3", {}, "Stage history")];
  const withEntries = kept.filter(([, entries]) => entries.length);
  if (!withEntries.length) parts.push(h("p", {}, "No stage or owner changes recorded."));
  for (const [name, entries] of withEntries) {
    parts.push(
      table(
        `${propertyLabel(context, name)}, newest first, with where each change came from`,
        ["When", "Value", "Source"],
        entries.map((entry) => [
          rowHeader(when(entry.timestamp)),
          valueLabel(context, name, entry.value),
          historySource(context, entry),
        ]),
        { class: "data" },
      ),
    );
  }
  return h("section", { class: "card", "aria-label": "Stage history" }, parts);
}

async function associationsSection(objectType, id) {
  const others = OBJECT_TYPES.filter((type) => type !== objectType);
  const found = await Promise.all(
    others.map(async (toType) => {
      const path = `/crm/v4/objects/${objectType}/${id}/associations/${toType}`;
      const links = await get(path).catch(() => ({ results: [] }));
      if (!links.results.length) return null;
      const ids = links.results.slice(0, 100).map((link) => String(link.toObjectId));
      const read = await call("POST", `/crm/v3/objects/${toType}/batch/read`, {
        body: { inputs: ids.map((value) => ({ id: value })), properties: NAME_PROPERTIES[toType] },
      }).catch(() => ({ results: [] }));
      const names = new Map(read.results.map((record) => [record.id, recordName(toType, record)]));
      return [toType, links.results, names];
    }),
  );
  const groups = found.filter(Boolean);
  const parts = [h("h3", {}, "Associations")];
  if (!groups.length) parts.push(h("p", {}, "None."));
  for (const [toType, links, names] of groups) {
    parts.push(
      h("h4", {}, `${typeLabel(toType)} (${links.length})`),
      h(
        "ul",
        {},
        links.map((link) => {
          const labels = (link.associationTypes || []).map((type) => type.label).filter(Boolean);
          const primary = (link.associationTypes || []).some((type) => type.typeId === 1);
          const linkId = String(link.toObjectId);
          return h(
            "li",
            {},
            h("a", { href: `#/records/${toType}/${linkId}` }, names.get(linkId) ?? `${singular(toType)} ${linkId}`),
            labels.length ? ` (${labels.join(", ")})` : primary ? " (primary)" : "",
          );
        }),
      ),
    );
  }
  return h("section", { class: "card", "aria-label": "Associations" }, parts);
}

async function workflowsSection(objectType, id, context) {
  const { results } = await get(`/crm/v3/objects/${objectType}/${id}/workflows`);
  const parts = [h("h3", {}, "Workflows")];
  if (!results.length) {
    parts.push(h("p", {}, `This ${singular(objectType)} has never been in a workflow.`));
    return h("section", { class: "card", "aria-label": "Workflows" }, parts);
  }
  const definitions = await Promise.all(results.map((item) => get(`/workflows/${item.workflowId}`).catch(() => null)));
  parts.push(
    table(
      `The workflows this ${singular(objectType)} is in or was in (its latest enrollment in each)`,
      ["Workflow", "Status", "Where", "Enrolled", "Ended", ""],
      results.map((item, index) => {
        const action = definitions[index]?.actions.find((candidate) => candidate.id === item.currentActionId);
        const where =
          item.status === "ACTIVE" && action
            ? [
                h(
                  "a",
                  { href: `#/workflows/${item.workflowId}` },
                  `#${action.id} ${ACTION_TYPES[action.type] ?? action.type}`,
                ),
                `: ${actionSummary(context, action)}`,
                item.waitingUntil ? [", until ", when(item.waitingUntil)] : "",
              ]
            : item.status === "ACTIVE"
              ? "starting"
              : "left the workflow";
        return [
          rowHeader(h("a", { href: `#/workflows/${item.workflowId}` }, item.name)),
          item.status + (item.enabled ? "" : " (workflow off)"),
          h("span", {}, where),
          when(item.enrolledAt),
          when(item.endedAt),
          h(
            "a",
            {
              href: `#/workflows/${item.workflowId}/record?record=${id}`,
              "aria-label": `Explain this ${singular(objectType)} in ${item.name}`,
            },
            "Explain",
          ),
        ];
      }),
      { class: "data" },
    ),
  );
  return h("section", { class: "card", "aria-label": "Workflows" }, parts);
}

export async function recordPage(view, objectType, id) {
  const context = await loadContext(objectType);
  const history = HISTORY_PROPERTIES[objectType] || ["hubspot_owner_id"];
  const record = await get(`/crm/v3/objects/${objectType}/${encodeURIComponent(id)}`, {
    propertiesWithHistory: history.join(","),
  });
  const name = recordName(objectType, record);
  view.setTitle(`${name} — ${typeLabel(objectType)}`);
  const properties = Object.entries(record.properties)
    .filter(([, value]) => value !== null && value !== "")
    .filter(([key, value]) => !(key === "lastmodifieddate" && value === record.properties.hs_lastmodifieddate))
    .map(([key, value]) => [propertyLabel(context, key), key, value])
    .sort((a, b) => a[0].localeCompare(b[0]));
  view.main.append(
    h("p", { class: "crumbs" }, h("a", { href: `#/records/${objectType}` }, typeLabel(objectType)), " / ", name),
    h("h2", { tabindex: -1 }, name),
    h(
      "p",
      { class: "meta" },
      `${singular(objectType)} ${record.id} · created `,
      when(record.createdAt),
      " · last modified ",
      when(record.updatedAt),
    ),
  );
  const [workflows, associations] = await Promise.all([
    workflowsSection(objectType, record.id, context),
    associationsSection(objectType, record.id),
  ]);
  view.main.append(
    h(
      "div",
      { class: "columns" },
      h(
        "section",
        { class: "card", "aria-label": "Properties" },
        h("h3", {}, "Properties"),
        table(
          "Every property with a value",
          ["Property", "Value"],
          properties.map(([label, key, value]) => [
            rowHeader(h("span", { title: key }, label)),
            cellValue(context, key, value),
          ]),
          { class: "data properties" },
        ),
      ),
      h("div", { class: "stack" }, workflows, historySection(context, record), associations),
    ),
  );
}
