// Pipelines as boards: deals, tickets and leads in one column per stage of the chosen pipeline. The
// records are what a search for the pipeline answers, so hidden tickets are not on the board.

import { searchAll } from "./api.js";
import { field, h, select, when } from "./dom.js";
import {
  NAME_PROPERTIES,
  PIPELINE_PROPERTIES,
  loadContext,
  propertyLabel,
  recordName,
  singular,
  typeLabel,
  valueLabel,
} from "./labels.js";

const BOARD_TYPES = ["deals", "tickets", "leads"];
const MAX_CARDS = 1000;
const DETAILS = {
  deals: ["amount", "hubspot_owner_id"],
  tickets: ["hs_ticket_priority", "hubspot_owner_id"],
  leads: ["hs_lead_type", "hubspot_owner_id"],
};

function card(context, objectType, record) {
  const lines = DETAILS[objectType]
    .filter((name) => record.properties[name])
    .map((name) => `${propertyLabel(context, name)}: ${valueLabel(context, name, record.properties[name])}`);
  return h(
    "li",
    { class: "board-card" },
    h("a", { href: `#/records/${objectType}/${record.id}` }, recordName(objectType, record)),
    lines.map((line) => h("p", { class: "card-detail" }, line)),
    h("p", { class: "card-detail muted" }, "Changed ", when(record.properties.hs_lastmodifieddate)),
  );
}

export async function pipelinesBoard(view, objectType) {
  view.main.append(h("h2", { tabindex: -1 }, "Pipelines"));
  view.main.append(
    h(
      "nav",
      { class: "tabs", "aria-label": "Object types with pipelines" },
      h(
        "ul",
        {},
        BOARD_TYPES.map((type) =>
          h(
            "li",
            {},
            h(
              "a",
              { href: `#/pipelines/${type}`, "aria-current": type === objectType ? "page" : null },
              typeLabel(type),
            ),
          ),
        ),
      ),
    ),
  );
  if (!BOARD_TYPES.includes(objectType)) {
    view.setTitle("Pipelines");
    view.main.append(h("p", { role: "alert" }, `${objectType} have no pipelines.`));
    return;
  }
  view.setTitle(`${typeLabel(objectType)} — Pipelines`);
  const context = await loadContext(objectType);
  const pipelines = [...context.pipelines].sort((a, b) => a.displayOrder - b.displayOrder);
  if (!pipelines.length) {
    view.main.append(h("p", {}, `You may not see any ${singular(objectType)} pipeline.`));
    return;
  }
  const chosen = pipelines.find((pipeline) => pipeline.id === view.params.get("pipeline")) || pipelines[0];
  const [pipelineProperty, stageProperty] = PIPELINE_PROPERTIES[objectType];
  if (pipelines.length > 1) {
    const pipelineSelect = select(
      pipelines.map((pipeline) => [pipeline.id, pipeline.label]),
      chosen.id,
      { name: "pipeline" },
    );
    view.main.append(
      h(
        "form",
        {
          class: "filters",
          "aria-label": "Choose a pipeline",
          onsubmit: (event) => {
            event.preventDefault();
            view.navigate(`#/pipelines/${objectType}?pipeline=${encodeURIComponent(pipelineSelect.value)}`);
          },
        },
        field("Pipeline", pipelineSelect),
        h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Show")),
      ),
    );
  }
  const board = h("div", { class: "board-wrap" });
  view.main.append(board);

  const show = async () => {
    const { results, total } = await searchAll(
      objectType,
      {
        filterGroups: [{ filters: [{ propertyName: pipelineProperty, operator: "EQ", value: chosen.id }] }],
        properties: [...NAME_PROPERTIES[objectType], stageProperty, ...DETAILS[objectType], "hs_lastmodifieddate"],
      },
      MAX_CARDS,
    );
    const stages = [...chosen.stages].sort((a, b) => a.displayOrder - b.displayOrder);
    const byStage = new Map(stages.map((stage) => [stage.id, []]));
    const elsewhere = [];
    for (const record of results) {
      const list = byStage.get(record.properties[stageProperty]);
      (list || elsewhere).push(record);
    }
    const columns = stages.map((stage) => [stage.label, byStage.get(stage.id), stage.metadata]);
    if (elsewhere.length) columns.push(["Stage not in this pipeline", elsewhere, {}]);
    board.replaceChildren(
      h(
        "p",
        { role: "status" },
        `${chosen.label}: ${total} ${total === 1 ? singular(objectType) : typeLabel(objectType).toLowerCase()}` +
          (results.length < total ? ` (showing the first ${results.length})` : "") +
          ".",
      ),
      h(
        "div",
        { class: "board", role: "region", "aria-label": `${chosen.label} board (scrolls sideways)`, tabindex: 0 },
        columns.map(([label, records, metadata]) => {
          const closed = metadata?.isClosed === "true" || metadata?.ticketState === "CLOSED";
          return h(
            "section",
            { class: `board-column${closed ? " closed" : ""}`, "aria-label": `${label}: ${records.length}` },
            h("h3", {}, label, " ", h("span", { class: "count" }, `(${records.length})`)),
            records.length
              ? h("ul", {}, records.map((record) => card(context, objectType, record)))
              : h("p", { class: "muted" }, "Empty."),
          );
        }),
      ),
    );
  };
  await show();
  view.onChange(show);
}
