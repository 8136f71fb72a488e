// The console's entry: the page's frame (landmarks, navigation, live region), signing in with a
// bearer token kept in sessionStorage, hash routing, and the local virtual clock.

import { ApiError, call, get, post, session } from "./api.js";
import { announce, field, h, message, whenText } from "./dom.js";
import { pipelinesBoard } from "./pipelines.js";
import { recordPage, recordsSearch } from "./records.js";
import { workflowPage, workflowsList } from "./workflows.js";

const app = document.getElementById("app");
const main = h("main", { id: "main", tabindex: -1 });
const clockSlot = h("div", { class: "clock-slot" });
const userSlot = h("div", { class: "user-slot" });
const nav = h("nav", { "aria-label": "Main" });
const skip = h(
  "a",
  {
    href: "#main",
    class: "skip",
    onclick: (event) => {
      event.preventDefault();
      main.focus();
    },
  },
  "Skip to content",
);
app.append(
  skip,
  h(
    "header",
    { class: "top" },
    h("p", { class: "brand" }, h("a", { href: "#/workflows" }, "crmflow"), h("span", {}, " console")),
    nav,
    clockSlot,
    userSlot,
  ),
  main,
  h("div", { id: "announcer", class: "sr-only", role: "status", "aria-live": "polite" }),
);

const SECTIONS = [
  ["workflows", "Workflows"],
  ["records", "Records"],
  ["pipelines", "Pipelines"],
];

function drawNav(active) {
  nav.replaceChildren(
    h(
      "ul",
      {},
      SECTIONS.map(([key, label]) =>
        h("li", {}, h("a", { href: `#/${key}`, "aria-current": key === active ? "page" : null }, label)),
      ),
    ),
  );
}

// ---------------------------------------------------------------- signing in

function signInPage(note) {
  document.title = "Sign in — crmflow console";
  nav.replaceChildren();
  clockSlot.replaceChildren();
  userSlot.replaceChildren();
  const input = h("input", { type: "password", name: "token", autocomplete: "off", required: true, size: 40 });
  const status = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "sign-in",
      "aria-labelledby": "sign-in-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        status.replaceChildren(h("p", { role: "status" }, "Checking the token…"));
        try {
          await call("GET", "/workflows", { query: { limit: 1 }, token });
        } catch (error) {
          const refused = error instanceof ApiError && error.status === 401;
          status.replaceChildren(message(refused ? "The API does not accept this token." : error.message));
          input.focus();
          return;
        }
        session.signIn(token);
        start();
      },
    },
    h("h2", { id: "sign-in-title", tabindex: -1 }, "Sign in"),
    note ? message(note) : "",
    field(
      "API token",
      input,
      "The bearer token the API takes: locally local-admin, or a user's token from POST /settings/users " +
        "(docs/local-runtime.md); on AWS your Cognito ID token. It is kept in this tab only (sessionStorage).",
    ),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
    status,
  );
  main.replaceChildren(form);
  input.focus();
}

function signOut(note) {
  session.signOut();
  stopView();
  window.location.hash = "";
  signInPage(note);
}

window.addEventListener("crmflow:unauthorized", () => signOut("The API no longer accepts the token: sign in again."));

// ---------------------------------------------------------------- the local clock

async function drawClock() {
  clockSlot.replaceChildren();
  if (!session.localAdmin) return; // /_local/* takes only the local admin token, and exists only locally
  let now;
  try {
    now = (await get("/_local/clock")).now;
  } catch {
    return; // not the local server: no clock
  }
  const time = h("span", { class: "clock-time" }, whenText(now));
  const input = h("input", {
    id: "clock-advance",
    name: "advance",
    value: "PT1H",
    size: 6,
    pattern: "P(\\d+D)?(T(\\d+H)?(\\d+M)?(\\d+S)?)?",
  });
  const buttons = [];
  const advance = async (duration) => {
    for (const button of buttons) button.disabled = true;
    announce(`Moving the clock by ${duration}…`);
    try {
      const answer = await post("/_local/clock", { advance: duration });
      time.textContent = whenText(answer.now);
      announce(`The clock is now at ${whenText(answer.now)}.`);
      window.dispatchEvent(new CustomEvent("crmflow:changed"));
    } catch (error) {
      announce(`The clock did not move: ${error.message}`);
      showError(error);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  };
  const quick = (label, duration) => {
    const button = h(
      "button",
      { type: "button", "aria-label": `Advance the clock ${label}`, onclick: () => advance(duration) },
      `+${label.replace(/^by /, "")}`,
    );
    buttons.push(button);
    return button;
  };
  const submit = h("button", { type: "submit" }, "Advance");
  buttons.push(submit);
  clockSlot.append(
    h(
      "form",
      {
        class: "clock",
        "aria-label": "Virtual clock (local server only)",
        onsubmit: (event) => {
          event.preventDefault();
          if (input.value.trim()) advance(input.value.trim().toUpperCase());
        },
      },
      h("span", { class: "clock-label" }, "Clock"),
      time,
      quick("by 1 hour", "PT1H"),
      quick("by 1 day", "P1D"),
      h(
        "label",
        { for: "clock-advance", class: "sr-only" },
        "Advance the clock by (an ISO 8601 duration such as PT30M or P2D)",
      ),
      input,
      submit,
    ),
  );
}

// ---------------------------------------------------------------- routing

let current = null; // the view on screen: {cleanups, change}
let flashed = null;

function stopView() {
  if (!current) return;
  for (const cleanup of current.cleanups) cleanup();
  current = null;
}

/** An error as an alert at the top of the view on screen (`where`: the view it belongs to). */
function showError(error, where = current?.main ?? main) {
  const text = error instanceof ApiError && error.status === 404 ? `Not found: ${error.message}` : error.message;
  where.prepend(message(text));
}

function parse() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

async function route({ focus = true } = {}) {
  if (!session.token) {
    signInPage();
    return;
  }
  stopView();
  const { parts, params } = parse();
  // each view draws into its own element: a slow page that finishes after the user moved on draws
  // into an element no longer on screen
  const view = {
    main: h("div", { class: "view" }),
    params,
    cleanups: [],
    change: null,
    onCleanup: (fn) => view.cleanups.push(fn),
    onChange: (fn) => {
      view.change = fn;
    },
    setTitle: (text) => {
      document.title = `${text} — crmflow console`;
    },
    navigate: (hash) => {
      if (window.location.hash === hash) route();
      else window.location.hash = hash;
    },
    refresh: () => route({ focus: false }),
    flash: (text, kind) => {
      flashed = [text, kind];
    },
    /** Run an action started by the user; its error is shown, not thrown. */
    run: (work, onError) =>
      Promise.resolve()
        .then(work)
        .catch((error) => (onError ? onError(error) : showError(error, view.main))),
  };
  current = view;
  const [section = "workflows", a, b] = parts;
  drawNav(section);
  main.replaceChildren(view.main);
  if (flashed) {
    view.main.append(message(flashed[0], flashed[1]));
    flashed = null;
  }
  main.setAttribute("aria-busy", "true");
  try {
    if (section === "workflows" && !a) await workflowsList(view);
    else if (section === "workflows") await workflowPage(view, a, b || "");
    else if (section === "records" && !a) view.navigate("#/records/contacts");
    else if (section === "records" && !b) await recordsSearch(view, a);
    else if (section === "records") await recordPage(view, a, b);
    else if (section === "pipelines") await (a ? pipelinesBoard(view, a) : view.navigate("#/pipelines/deals"));
    else {
      view.setTitle("Not found");
      view.main.append(h("h2", { tabindex: -1 }, "Not found"), h("p", {}, "The console has no such page."));
    }
  } catch (error) {
    showError(error, view.main);
  } finally {
    if (current === view) main.removeAttribute("aria-busy");
  }
  if (focus && current === view) (main.querySelector("h2") || main).focus();
}

window.addEventListener("hashchange", () => route());
window.addEventListener("crmflow:changed", () => {
  if (current?.change) current.run(current.change);
  else route({ focus: false });
});

function start() {
  userSlot.replaceChildren(
    h("span", { class: "muted" }, session.localAdmin ? "Local admin" : "Signed in"),
    h("button", { type: "button", onclick: () => signOut() }, "Sign out"),
  );
  drawClock();
  route();
}

if (session.token) start();
else signInPage();
