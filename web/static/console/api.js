// A small client of Berth's API on this page's own origin
// (/api/v3/organizations/{org}/...), with the signed-in token.

const STORE = "berth.console";

/** The saved sign-in ({org, token}) or null. */
export function session() {
  try {
    const s = JSON.parse(localStorage.getItem(STORE) || "null");
    return s && s.org && s.token ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(org, token) {
  localStorage.setItem(STORE, JSON.stringify({ org, token }));
}

export function clearSession() {
  localStorage.removeItem(STORE);
}

/** An API error, with the problem detail the API answered. */
export class APIError extends Error {
  constructor(status, problem) {
    super(problemText(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function problemText(status, p) {
  if (!p || typeof p !== "object") return `HTTP ${status}`;
  let text = p.detail || p.message || p.title || `HTTP ${status}`;
  if (p.errors && typeof p.errors === "object") {
    for (const [field, msgs] of Object.entries(p.errors)) {
      text += `\n${field}: ${[].concat(msgs).join("; ")}`;
    }
  }
  return text;
}

const enc = encodeURIComponent;

/** The path of an organisation's resource: orgPath("applications", app). */
export function orgPath(org, ...segments) {
  return `/api/v3/organizations/${enc(org)}` + segments.map((s) => "/" + enc(s)).join("");
}

/**
 * Calls the API: method and path, with an optional JSON body and query.
 * Resolves to the parsed JSON (null for 204) or throws APIError.
 */
export async function call(method, path, { body, query, headers = {}, token } = {}) {
  const s = session();
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  const h = { Accept: "application/json", Authorization: `Bearer ${token || (s && s.token)}`, ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  const res = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

/** A fresh Idempotency-Key. */
export function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
