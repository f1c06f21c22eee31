// The services' routes, called with the person's token (same origin: the portal and the
// services are behind one HTTP API). A 401 means the session ended: the person logs in again
// and comes back, with their drafts.
import { sessionExpired, validToken } from "/portal/static/js/session.js";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

function newIdempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/** The HTTP API answers a token its authorizer refuses (expired, revoked, of a disabled person)
 * with a bare 403 `{"message": "Forbidden"}`; a route's own 403 always names its `error`. */
async function refusedByTheAuthorizer(response) {
  const body = await response.clone().json().catch(() => null);
  return Boolean(body) && !("error" in body) && body.message === "Forbidden";
}

async function send(method, path, { body, idempotent = false, accept = "application/json" } = {}) {
  const token = await validToken();
  if (!token) {
    sessionExpired();
    return new Promise(() => {}); // the page is leaving
  }
  const headers = { Authorization: `Bearer ${token}`, Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotent) headers["Idempotency-Key"] = newIdempotencyKey();
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit",
    });
  } catch {
    throw new ApiError(0, { message: "network" });
  }
  if (response.status === 401 || (response.status === 403 && await refusedByTheAuthorizer(response))) {
    sessionExpired();
    return new Promise(() => {});
  }
  return response;
}

async function json(method, path, options) {
  const response = await send(method, path, options);
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const api = {
  get: (path) => json("GET", path),
  post: (path, body = {}, { idempotent = false } = {}) => json("POST", path, { body, idempotent }),
  put: (path, body = {}) => json("PUT", path, { body }),
  delete: (path) => json("DELETE", path),

  /** Fetches a document (a PDF) and hands it to the browser as a download named `filename`. */
  async download(path, filename, accept = "application/pdf") {
    const response = await send("GET", path, { accept });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement("a"), { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  },

  /** Fetches a document and opens it in a new tab (e.g. to print a receipt). */
  async open(path, accept = "application/pdf") {
    const response = await send("GET", path, { accept });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const url = URL.createObjectURL(await response.blob());
    window.open(url, "_blank", "noopener");
    setTimeout(() => URL.revokeObjectURL(url), 600_000);
  },
};
