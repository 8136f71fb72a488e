// DOM helpers. Every value from the API goes into the page as a text node or an attribute, never as
// HTML, so a record property cannot inject markup.

const SVG = "http://www.w3.org/2000/svg";

function setAttributes(element, attributes) {
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (key === "value" && "value" in element && element.namespaceURI !== SVG) {
      element.value = value;
    } else if (key === "checked" || key === "selected") {
      element[key] = Boolean(value);
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** An HTML element: h("a", {href: "#/x"}, "text", otherNode). */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  return append(element, children);
}

/** An SVG element. */
export function svg(tag, attributes, ...children) {
  const element = document.createElementNS(SVG, tag);
  setAttributes(element, attributes);
  return append(element, children);
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

let counter = 0;
/** A fresh id for label/aria wiring. */
export function uid(prefix = "c") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form control: <div class="field"><label for>text</label> control</div>. */
export function field(labelText, control, hint) {
  control.id = control.id || uid("f");
  const parts = [h("label", { for: control.id }, labelText), control];
  if (hint) {
    const hintId = uid("hint");
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, parts);
}

export function select(options, value, attributes = {}) {
  return h(
    "select",
    attributes,
    options.map(([optionValue, text]) =>
      h("option", { value: optionValue, selected: String(optionValue) === String(value ?? "") }, text),
    ),
  );
}

/** A cell that heads its row (<th scope="row">), for table(). */
export function rowHeader(content) {
  return { rowHeader: content };
}

function cell(content) {
  if (content && typeof content === "object" && "rowHeader" in content) {
    return h("th", { scope: "row" }, content.rowHeader);
  }
  return h("td", {}, content);
}

/** A table with a caption, column headers and rows (arrays of cells; rowHeader() for a row's header). */
export function table(caption, headers, rows, attributes = {}) {
  return h(
    "table",
    attributes,
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map(cell)))),
  );
}

/** A button of a pager (Previous page / Next page). */
export function pagerButton(label, disabled, onclick) {
  return h("button", { type: "button", disabled, onclick }, label);
}

/** The polite live region in the page's layout: short updates read out by screen readers. */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}

// ---------------------------------------------------------------- formatting

const DATE = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: "UTC",
});

/** "Tue 1 Dec 2026, 08:00 UTC" in a <time> element (the API's instants are UTC). */
export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return h("time", { datetime: iso }, `${DATE.format(date)} UTC`);
}

export function whenText(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : `${DATE.format(date)} UTC`;
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** "1 day 2 hours" for {days, hours, minutes}. */
export function span({ days = 0, hours = 0, minutes = 0 } = {}) {
  const parts = [];
  if (days) parts.push(plural(days, "day"));
  if (hours) parts.push(plural(hours, "hour"));
  if (minutes) parts.push(plural(minutes, "minute"));
  return parts.length ? parts.join(" ") : "no time";
}

/** "2 days 3 hours" for a number of seconds (the two largest units). */
export function seconds(total) {
  let left = Math.max(0, Math.round(total));
  const days = Math.floor(left / 86400);
  left -= days * 86400;
  const hours = Math.floor(left / 3600);
  left -= hours * 3600;
  const minutes = Math.floor(left / 60);
  const parts = [];
  if (days) parts.push(plural(days, "day"));
  if (hours) parts.push(plural(hours, "hour"));
  if (minutes && parts.length < 2) parts.push(plural(minutes, "minute"));
  if (!parts.length) parts.push(plural(left - minutes * 60, "second"));
  return parts.slice(0, 2).join(" ");
}

export function percent(rate) {
  return `${(100 * (rate || 0)).toFixed(1)}%`;
}

export function truncate(text, length) {
  const value = String(text ?? "");
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

/** A compact, readable rendering of a log entry's detail object. */
export function detailText(detail) {
  if (!detail || typeof detail !== "object") return "";
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === "object" && value !== null ? JSON.stringify(value) : value}`)
    .join("; ");
}

/** A message box: role=alert for errors, role=status otherwise. */
export function message(text, kind = "error") {
  return h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/**
 * A modal dialog (<dialog>, which keeps focus inside and closes on Escape) with a form; resolves with
 * the form's FormData when confirmed, null when cancelled. Focus goes back where it was.
 */
export function ask(title, content, confirmText) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = uid("dialog-title");
    let answer = null;
    const dialog = h("dialog", { "aria-labelledby": titleId });
    const form = h(
      "form",
      {
        onsubmit: (event) => {
          event.preventDefault();
          answer = new FormData(form);
          dialog.close();
        },
      },
      h("h2", { id: titleId }, title),
      content,
      h(
        "div",
        { class: "buttons" },
        h("button", { type: "submit", class: "primary" }, confirmText),
        h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      ),
    );
    dialog.append(form);
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
