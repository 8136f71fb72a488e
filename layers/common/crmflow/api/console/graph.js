// The action graph drawn as HubSpot's canvas: the enrollment trigger (and the goal) at the top, one box
// per action with its type, a one-line summary and how many records wait there, branches as forks.
//
// Layout: each action sits on the row of its longest path from the trigger, so every arrow points
// down. Columns come from the tree of first visits (depth first, branches in order): an action takes
// the columns of its subtree and sits in their middle, so forks spread side by side and no arrow of
// the tree crosses a box. An action reached a second time (branches that meet again) keeps its place;
// that arrow runs down the gap beside the target's column and enters it from above.

import { svg, truncate, uid } from "./dom.js";
import { ACTION_TYPES, actionSummary, criteriaLine, successors, triggerLine } from "./labels.js";

const BOX_W = 236;
const BOX_H = 76;
const GAP_X = 40;
const SLOT = BOX_W + GAP_X;
const ROW = BOX_H + 58;
const MARGIN = 28;
const END_W = 72;
const END_H = 28;
const BUS = 22; // how far below a box its arrows turn sideways
const CHARS = 31; // characters that fit on one line of a box

const FAMILIES = {
  DELAY: "delay",
  DELAY_UNTIL: "delay",
  IF_THEN: "branch",
  SEND_EMAIL: "message",
  WEBHOOK: "message",
  ENROLL_IN_WORKFLOW: "flow",
};

export function waitingText(count) {
  return `${count} waiting here`;
}

/** Nodes (trigger, goal, actions, ends) with rows and columns, and the edges between them. */
export function layout(context, definition) {
  const actions = new Map((definition.actions || []).map((action) => [action.id, action]));
  const nodes = new Map();
  const edges = [];
  let ends = 0;
  const add = (node) => {
    const made = { children: [], layer: 0, ...node };
    nodes.set(made.id, made);
    return made;
  };
  const end = () => {
    ends += 1;
    return add({ id: `end-${ends}`, kind: "end" });
  };
  const trigger = add({ id: "trigger", kind: "trigger" });
  const start = actions.has(definition.startActionId) ? definition.startActionId : null;
  const visited = new Set();

  function build(id) {
    visited.add(id);
    const node = add({ id, kind: "action", action: actions.get(id) });
    for (const next of successors(context, node.action)) {
      const edge = { from: id, label: next.label, condition: next.condition, tree: true };
      if (next.to === null || !actions.has(next.to)) {
        const stop = end();
        node.children.push(stop.id);
        edges.push({ ...edge, to: stop.id });
      } else if (!visited.has(next.to)) {
        node.children.push(next.to);
        edges.push({ ...edge, to: next.to });
        build(next.to);
      } else {
        edges.push({ ...edge, to: next.to, tree: false });
      }
    }
  }

  if (start) {
    trigger.children.push(start);
    edges.push({ from: "trigger", to: start, tree: true });
    build(start);
  } else {
    const stop = end();
    trigger.children.push(stop.id);
    edges.push({ from: "trigger", to: stop.id, tree: true });
  }

  // rows: the longest path from the trigger (the graph has no cycles: the API refuses them)
  for (let pass = 0, changed = true; changed && pass <= nodes.size; pass += 1) {
    changed = false;
    for (const edge of edges) {
      const want = nodes.get(edge.from).layer + 1;
      if (nodes.get(edge.to).layer < want) {
        nodes.get(edge.to).layer = want;
        changed = true;
      }
    }
  }

  // columns: a subtree's width is the sum of its children's (a leaf takes one column)
  const width = (node) => {
    if (node.width === undefined) {
      node.width = node.children.length
        ? node.children.reduce((sum, child) => sum + width(nodes.get(child)), 0)
        : 1;
    }
    return node.width;
  };
  const place = (node, left) => {
    node.column = left + width(node) / 2;
    let x = left;
    for (const child of node.children) {
      place(nodes.get(child), x);
      x += width(nodes.get(child));
    }
  };
  place(trigger, 0);
  let columns = width(trigger);
  if (definition.goal && criteriaLine(context, definition.goal.filterGroups)) {
    add({ id: "goal", kind: "goal", column: columns + 0.5 });
    columns += 1;
  }

  let rows = 0;
  for (const node of nodes.values()) {
    const [w, hgt] = node.kind === "end" ? [END_W, END_H] : [BOX_W, BOX_H];
    node.w = w;
    node.h = hgt;
    node.cx = MARGIN + node.column * SLOT;
    node.top = MARGIN + node.layer * ROW;
    rows = Math.max(rows, node.layer);
  }
  return {
    nodes,
    edges,
    width: 2 * MARGIN + columns * SLOT - GAP_X / 2,
    height: 2 * MARGIN + rows * ROW + BOX_H,
  };
}

function edgePath(from, to, tree) {
  const sx = from.cx;
  const sy = from.top + from.h;
  const tx = to.cx;
  const ty = to.top;
  const bus = sy + BUS;
  if (tree) return sx === tx ? `M ${sx} ${sy} V ${ty}` : `M ${sx} ${sy} V ${bus} H ${tx} V ${ty}`;
  const gutter = to.cx + BOX_W / 2 + GAP_X / 2;
  return `M ${sx} ${sy} V ${bus} H ${gutter} V ${ty - 18} H ${tx} V ${ty}`;
}

function edgeLabel(from, to, edge) {
  const text = truncate(`${edge.label}: ${edge.condition}`, 30);
  const wide = Math.min(BOX_W - 20, 12 + text.length * 6.4);
  const x = edge.tree ? to.cx : (from.cx + to.cx + BOX_W / 2 + GAP_X / 2) / 2;
  const y = edge.tree ? from.top + from.h + BUS + 18 : from.top + from.h + BUS - 12;
  return svg(
    "g",
    { class: "edge-label" },
    svg("title", {}, `${edge.label}: ${edge.condition}`),
    svg("rect", { x: x - wide / 2, y: y - 13, width: wide, height: 18, rx: 9 }),
    svg("text", { x, y, "text-anchor": "middle" }, text),
  );
}

function actionLabel(context, action, waiting) {
  const type = ACTION_TYPES[action.type] ?? action.type;
  return `Action ${action.id}, ${type}: ${actionSummary(context, action)}. ${waitingText(waiting)}.`;
}

/** A line per action for the graph's <desc>: what it does and where it leads. */
function describe(context, definition, nodes, stats) {
  const lines = [`Records enroll when: ${triggerLine(context, definition)}.`];
  if (nodes.has("goal")) lines.push(`Goal: ${criteriaLine(context, definition.goal.filterGroups)}.`);
  const order = [...nodes.values()].filter((node) => node.kind === "action").sort((a, b) => a.layer - b.layer);
  for (const node of order) {
    const leads = successors(context, node.action).map((next) => {
      const where = next.to ? `action ${next.to}` : "the end";
      return next.label ? `${next.label} (${next.condition}) goes to ${where}` : `then ${where}`;
    });
    lines.push(`${actionLabel(context, node.action, stats?.waiting?.[node.id] ?? 0)} ${leads.join("; ")}.`);
  }
  return lines.join(" ");
}

/** The canvas as an SVG element; `onSelect(actionId)` when a box is clicked or pressed. */
export function drawGraph(context, definition, stats, { onSelect } = {}) {
  const { nodes, edges, width, height } = layout(context, definition);
  const titleId = uid("graph-title");
  const descId = uid("graph-desc");
  const markerId = uid("arrow");
  const root = svg(
    "svg",
    {
      class: "graph",
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "group",
      "aria-labelledby": titleId,
      "aria-describedby": descId,
    },
    svg("title", { id: titleId }, `Action graph of ${definition.name}`),
    svg("desc", { id: descId }, describe(context, definition, nodes, stats)),
    svg(
      "defs",
      {},
      svg(
        "marker",
        {
          id: markerId,
          viewBox: "0 0 10 10",
          refX: 10,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: "auto-start-reverse",
        },
        svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }),
      ),
    ),
  );
  const lines = svg("g", { class: "edges", "aria-hidden": "true" });
  const labels = svg("g", { class: "edge-labels", "aria-hidden": "true" });
  for (const edge of edges) {
    const from = nodes.get(edge.from);
    const to = nodes.get(edge.to);
    lines.append(
      svg("path", {
        d: edgePath(from, to, edge.tree),
        class: edge.tree ? "edge" : "edge merge",
        "marker-end": `url(#${markerId})`,
      }),
    );
    if (edge.label) labels.append(edgeLabel(from, to, edge));
  }
  const boxes = svg("g", { class: "nodes" });
  // in reading order (row by row, left to right), which is the order screen readers and Tab follow
  const order = [...nodes.values()].sort((a, b) => a.layer - b.layer || a.cx - b.cx);
  for (const node of order) boxes.append(drawNode(context, definition, node, stats, onSelect));
  root.append(lines, boxes, labels);
  return root;
}

function drawNode(context, definition, node, stats, onSelect) {
  const x = node.cx - node.w / 2;
  const y = node.top;
  if (node.kind === "end") {
    return svg(
      "g",
      { class: "node end", role: "img", "aria-label": "End" },
      svg("rect", { class: "box", x, y, width: node.w, height: node.h, rx: node.h / 2 }),
      svg("text", { x: node.cx, y: y + 19, "text-anchor": "middle" }, "End"),
    );
  }
  if (node.kind === "trigger" || node.kind === "goal") {
    const trigger = node.kind === "trigger";
    const title = trigger ? "Enrollment trigger" : "Goal";
    const line = trigger ? triggerLine(context, definition) : criteriaLine(context, definition.goal.filterGroups);
    const count = trigger ? `${stats?.enrolled ?? 0} enrolled` : `${stats?.goal?.met ?? 0} met the goal`;
    return svg(
      "g",
      {
        class: `node ${node.kind}`,
        role: "img",
        "aria-label": `${title}: ${line}. ${count}.`,
        "data-node": node.kind,
      },
      svg("title", {}, `${title}: ${line}`),
      svg("rect", { class: "box", x, y, width: node.w, height: node.h, rx: 8 }),
      svg("text", { class: "kind", x: x + 16, y: y + 21 }, title),
      svg("text", { class: "summary", x: x + 16, y: y + 41 }, truncate(line, CHARS)),
      svg("text", { class: "count", x: x + 16, y: y + 62 }, count),
    );
  }
  const action = node.action;
  const waiting = stats?.waiting?.[action.id] ?? 0;
  const label = actionLabel(context, action, waiting);
  const select = () => onSelect?.(action.id);
  return svg(
    "g",
    {
      class: `node action family-${FAMILIES[action.type] ?? "record"}${waiting ? " busy" : ""}`,
      "data-action-id": action.id,
      tabindex: 0,
      role: "button",
      "aria-label": `${label} Show the records waiting here.`,
      onclick: select,
      onkeydown: (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          select();
        }
      },
    },
    svg("title", {}, label),
    svg("rect", { class: "box", x, y, width: node.w, height: node.h, rx: 8 }),
    svg("rect", { class: "band", x, y, width: 7, height: node.h, rx: 3 }),
    svg("text", { class: "kind", x: x + 18, y: y + 21 }, ACTION_TYPES[action.type] ?? action.type),
    svg("text", { class: "id", x: x + node.w - 12, y: y + 21, "text-anchor": "end" }, `#${action.id}`),
    svg("text", { class: "summary", x: x + 18, y: y + 41 }, truncate(actionSummary(context, action), CHARS)),
    svg("text", { class: "waiting", x: x + 18, y: y + 62, "data-count": waiting }, waitingText(waiting)),
  );
}

/** New counts into a drawn graph, without drawing it again (the page polls the statistics). */
export function updateCounts(root, context, definition, stats) {
  for (const group of root.querySelectorAll("g[data-action-id]")) {
    const id = group.dataset.actionId;
    const action = definition.actions.find((item) => item.id === id);
    if (!action) continue;
    const waiting = stats.waiting?.[id] ?? 0;
    const text = group.querySelector("text.waiting");
    if (text.dataset.count === String(waiting)) continue;
    text.textContent = waitingText(waiting);
    text.dataset.count = String(waiting);
    group.classList.toggle("busy", waiting > 0);
    const label = actionLabel(context, action, waiting);
    group.setAttribute("aria-label", `${label} Show the records waiting here.`);
    group.querySelector("title").textContent = label;
  }
  const enrolled = root.querySelector('g[data-node="trigger"] text.count');
  if (enrolled) enrolled.textContent = `${stats.enrolled ?? 0} enrolled`;
  const met = root.querySelector('g[data-node="goal"] text.count');
  if (met) met.textContent = `${stats.goal?.met ?? 0} met the goal`;
  const desc = root.querySelector("desc");
  if (desc) {
    const { nodes } = layout(context, definition);
    desc.textContent = describe(context, definition, nodes, stats);
  }
}

/** Draw the graph at `scale` (1 is full size); answers the scale used (from 0.3 to 1.5). */
export function zoom(root, scale) {
  const [, , width, height] = root.getAttribute("viewBox").split(" ").map(Number);
  const used = Math.min(1.5, Math.max(0.3, scale));
  root.setAttribute("width", String(Math.round(width * used)));
  root.setAttribute("height", String(Math.round(height * used)));
  return used;
}

/** The scale at which the whole graph fits in `box` (never above 1). */
export function fitScale(root, box) {
  const [, , width, height] = root.getAttribute("viewBox").split(" ").map(Number);
  return Math.min(1, (box.clientWidth - 24) / width, (box.clientHeight - 24) / height);
}
