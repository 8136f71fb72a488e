// The API, called with the signed-in user's bearer token. The console holds no data of its own: every
// figure on its pages is an answer of these calls, so a user sees what the API lets them see.

const BASE = document.body.dataset.base || "";
const TOKEN_KEY = "crmflow.console.token";
const LOCAL_ADMIN = "local-admin"; // the only token the local server's /_local/* routes accept

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    cache.clear();
  },
  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    cache.clear();
  },
  get localAdmin() {
    return sessionStorage.getItem(TOKEN_KEY) === LOCAL_ADMIN;
  },
};

/** One API call; answers the parsed JSON body (null for 204), throws ApiError for any other status. */
export async function call(method, path, { body, query, token } = {}) {
  const url = new URL(BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  const headers = { Authorization: `Bearer ${token ?? session.token ?? ""}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, `The API did not answer: ${error.message}`, null);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const messageText = data && typeof data.message === "string" ? data.message : `HTTP ${response.status}`;
    if (response.status === 401 && token === undefined) {
      window.dispatchEvent(new CustomEvent("crmflow:unauthorized"));
    }
    throw new ApiError(response.status, messageText, data);
  }
  return data;
}

export const get = (path, query) => call("GET", path, { query });
export const post = (path, body) => call("POST", path, { body: body ?? {} });

/** Every item of a paged list (`paging.next.after`), up to `max`. */
export async function all(path, query = {}, max = 1000) {
  const found = [];
  let after;
  do {
    const page = await get(path, { ...query, after });
    found.push(...page.results);
    after = page.paging?.next?.after;
  } while (after && found.length < max);
  return found;
}

/** Every record a search finds (following `after`), up to `max`, and the total the API counts. */
export async function searchAll(objectType, body, max = 1000) {
  const found = [];
  let after;
  let total = 0;
  do {
    const page = await call("POST", `/crm/v3/objects/${objectType}/search`, {
      body: { limit: 200, ...body, ...(after ? { after } : {}) },
    });
    found.push(...page.results);
    total = page.total ?? found.length;
    after = page.paging?.next?.after;
  } while (after && found.length < max);
  return { results: found, total };
}

// ---------------------------------------------------------------- reference data, read once per session

const cache = new Map();

/** A GET answer kept for the session (property definitions, pipelines, users, emails...). */
export function cached(path, query) {
  const key = `${path}?${new URLSearchParams(query || {})}`;
  if (!cache.has(key)) {
    const answer = get(path, query).catch((error) => {
      cache.delete(key);
      throw error;
    });
    cache.set(key, answer);
  }
  return cache.get(key);
}
