// Calls to the service's own API. Failures become ApiError with the service's `message` in words.

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

let csrfToken = null;

function describe(status, body) {
  if (body && typeof body.message === "string" && body.message) return body.message;
  if (status === 401) return "Sign in as admin to see this.";
  if (status === 413) return "The file is larger than the service accepts.";
  if (status === 429) return "Too many requests just now; wait a minute and try again.";
  return `The service answered with an error (${status}).`;
}

async function parse(response) {
  const json = (response.headers.get("content-type") || "").includes("json");
  const body = json ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, describe(response.status, body), body);
  return body;
}

export async function api(path, { method = "GET", json } = {}) {
  const headers = { Accept: "application/json" };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "The service cannot be reached. Check that it is running, then try again.");
  }
  return parse(response);
}

export async function session() {
  const state = await api("/ui/session");
  csrfToken = state.csrf_token || null;
  return state;
}

export async function signIn(token) {
  const state = await api("/ui/session", { method: "POST", json: { token } });
  csrfToken = state.csrf_token;
  return state;
}

export async function signOut() {
  await api("/ui/session", { method: "DELETE" });
  csrfToken = null;
}

// XMLHttpRequest rather than fetch: only it reports the progress of the request body as it is sent.
export function uploadFile(file, strict, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", strict ? "/uploads?strict=true" : "/uploads");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => e.lengthComputable && onProgress(e.loaded, e.total));
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, describe(xhr.status, body), body));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "The upload was cut off: the service cannot be reached.")));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

export async function requestProcessing(batchId, force = false) {
  return api(`/batches/${encodeURIComponent(batchId)}/process${force ? "?force=true" : ""}`, { method: "POST" });
}
