// Admin: sign in with the token, then queue counts and dead letters (retry, delete, purge), and the SAQ dashboard.
import { api, ApiError, session, signIn, signOut } from "../api.js";
import { h, notice, number, timeEl, title } from "../dom.js";

export async function render(main) {
  main.append(title("Admin"));
  const area = h("div");
  main.append(area);
  let state;
  try {
    state = await session();
  } catch (error) {
    area.append(notice("error", error.message));
    return;
  }
  if (state.signed_in) await signedIn(area, state);
  else signInForm(area);
}

function signInForm(area, why) {
  const token = h("input", { type: "password", id: "token", name: "token", required: true,
    autocomplete: "current-password", "aria-describedby": "token-help" });
  const messages = h("div", { "aria-live": "polite" }, why ? notice("info", why) : null);
  const form = h("form", { class: "card narrow", id: "sign-in" },
    h("h2", {}, "Sign in"),
    h("p", { id: "token-help", class: "muted" }, "The admin token is the server's ADMIN_TOKEN. Signing in keeps you ",
      "signed in in this browser for 8 hours, or until you sign out."),
    h("div", { class: "field" }, h("label", { for: "token" }, "Admin token"), token),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
    messages);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const state = await signIn(token.value);
      area.replaceChildren();
      await signedIn(area, state);
    } catch (error) {
      messages.replaceChildren(notice("error", error.message));
      token.select();
    }
  });
  area.replaceChildren(form);
  token.focus();
}

async function signedIn(area, state) {
  const out = h("button", { type: "button", id: "sign-out" }, "Sign out");
  out.addEventListener("click", async () => {
    await signOut().catch(() => null);
    signInForm(area, "You are signed out.");
  });
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const queues = h("section", { "aria-labelledby": "queues-title" });
  const letters = h("section", { "aria-labelledby": "dlq-title" });
  area.append(
    h("div", { class: "row-between" },
      h("p", {}, "Signed in until ", timeEl(state.expires_at), "."),
      h("div", { class: "actions" }, h("a", { class: "button", href: "/saq/", id: "saq-link" }, "Queue dashboard (SAQ)"),
        out)),
    messages, queues, letters);

  const expired = (error) => {
    if (error instanceof ApiError && error.status === 401) {
      signInForm(area, "Your admin session has ended; sign in again.");
      return true;
    }
    return false;
  };
  const refresh = async () => {
    let overview;
    try {
      overview = await api("/queues");
    } catch (error) {
      if (!expired(error)) messages.replaceChildren(notice("error", error.message));
      return;
    }
    queues.replaceChildren(queueTable(overview.queues));
    letters.replaceChildren(h("h2", { id: "dlq-title" }, "Dead letters"));
    for (const queue of overview.queues) letters.append(await deadLetters(queue.name, refresh, messages, expired));
  };
  await refresh();
}

function queueTable(queues) {
  const columns = ["queued", "active", "scheduled", "failed", "dead_letters", "workers"];
  return h("div", {}, h("h2", { id: "queues-title" }, "Queues"), h("div", { class: "table-scroll" },
    h("table", { class: "data", id: "queues" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Queue"),
        columns.map((c) => h("th", { scope: "col", class: "num" }, c.replace("_", " "))))),
      h("tbody", {}, queues.map((q) => h("tr", {}, h("th", { scope: "row" }, q.name),
        columns.map((c) => h("td", { class: "num", "data-column": c }, number(q[c])))))))));
}

async function deadLetters(queue, refresh, messages, expired) {
  const base = `/queues/${encodeURIComponent(queue)}/dlq`;
  const section = h("div", { class: "dlq", "data-queue": queue });
  let listing;
  try {
    listing = await api(`${base}?limit=100`);
  } catch (error) {
    if (!expired(error)) section.append(notice("error", error.message));
    return section;
  }
  const act = async (label, call) => {
    try {
      const answer = await call();
      messages.replaceChildren(notice("success", label(answer)));
    } catch (error) {
      if (expired(error)) return;
      messages.replaceChildren(notice("error", error.message));
    }
    await refresh();
  };
  if (!listing.failed_jobs.length) {
    section.append(h("p", { class: "empty", id: "dlq-empty" }, `No dead letters in ${queue}.`));
    return section;
  }
  const purge = h("button", { type: "button", class: "danger", id: "purge" }, `Purge all ${number(listing.total)}`);
  const dialog = confirmDialog(queue, listing.total, () => act((a) => `Purged ${a.purged} dead letters.`,
    () => api(base, { method: "DELETE" })));
  purge.addEventListener("click", () => dialog.showModal());
  const rows = listing.failed_jobs.map((entry) => {
    const retry = h("button", { type: "button", class: "retry" }, "Retry");
    const drop = h("button", { type: "button", class: "delete" }, "Delete");
    const path = `${base}/${encodeURIComponent(entry.id)}`;
    retry.addEventListener("click", () => act(() => `Retried ${entry.job_key}: it is queued again.`,
      () => api(`${path}/retry`, { method: "POST" })));
    drop.addEventListener("click", () => act(() => `Deleted the dead letter of ${entry.job_key}.`,
      () => api(path, { method: "DELETE" })));
    return h("tr", { "data-entry": entry.id },
      h("td", {}, timeEl(entry.failed_at)),
      h("th", { scope: "row" }, h("code", {}, entry.job_key)),
      h("td", { class: "reason" }, entry.reason),
      h("td", { class: "num" }, entry.attempts),
      h("td", {}, h("div", { class: "actions" }, retry, drop)));
  });
  section.append(
    h("div", { class: "row-between" }, h("h3", {}, `${queue}: ${number(listing.total)}`), purge),
    h("div", { class: "table-scroll" }, h("table", { class: "data", id: "dead-letters" },
      h("thead", {}, h("tr", {}, ["Failed at", "Job", "Reason", "Attempts", ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows))),
    dialog);
  return section;
}

function confirmDialog(queue, total, onConfirm) {
  const cancel = h("button", { type: "button", value: "cancel" }, "Cancel");
  const confirm = h("button", { type: "button", class: "danger", id: "purge-confirm" }, "Purge");
  const dialog = h("dialog", { "aria-labelledby": "purge-title", class: "card" },
    h("h2", { id: "purge-title" }, "Purge the dead letters?"),
    h("p", {}, `All ${number(total)} dead letters of ${queue} are deleted for good; their jobs do not run again.`),
    h("div", { class: "actions" }, cancel, confirm));
  cancel.addEventListener("click", () => dialog.close());
  confirm.addEventListener("click", () => {
    dialog.close();
    onConfirm();
  });
  return dialog;
}
