// One batch: counts, status history, per-day counts by type, and its row errors a page at a time.
import { api } from "../api.js";
import { badge, errorTable, h, notice, number, SETTLED, timeEl, title } from "../dom.js";
import { poll } from "../poll.js";
import { processButton } from "./batches.js";

const ERRORS_PAGE = 50;

function history(batch) {
  return h("ol", { class: "history", id: "history" }, batch.history.map((step) => h("li", {},
    badge(step.status), " ", timeEl(step.at),
    step.attempt ? h("span", { class: "muted" }, ` attempt ${step.attempt}`) : null,
    step.error ? h("div", { class: "step-error" }, step.error) : null)));
}

function summary(batch) {
  const items = [
    ["Rows", number(batch.rows_total)],
    ["Accepted", number(batch.rows_accepted)],
    ["Rejected", number(batch.rows_rejected)],
    ["Already stored", number(batch.rows_duplicate)],
    ["Size", `${number(batch.size_bytes)} bytes`],
  ];
  return h("dl", { class: "counts" }, items.map(([label, value]) => h("div", {}, h("dt", {}, label),
    h("dd", {}, value))));
}

function perDay(counts) {
  const days = Object.keys(counts).sort();
  if (!days.length) return h("p", { class: "empty" }, "No valid rows, so no counts.");
  const types = [...new Set(days.flatMap((day) => Object.keys(counts[day])))].sort();
  return h("div", { class: "table-scroll" }, h("table", { class: "data", id: "per-day" },
    h("caption", {}, "Events per UTC day and type, as this batch counts them"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), types.map((t) => h("th", { scope: "col", class: "num" }, t)),
      h("th", { scope: "col", class: "num" }, "Total"))),
    h("tbody", {}, days.map((day) => h("tr", {}, h("th", { scope: "row" }, day),
      types.map((t) => h("td", { class: "num" }, number(counts[day][t] || 0))),
      h("td", { class: "num" }, number(Object.values(counts[day]).reduce((a, b) => a + b, 0))))))));
}

export async function render(main, batchId) {
  const path = `/batches/${encodeURIComponent(batchId)}`;
  main.append(title(`Batch ${batchId}`));
  let batch;
  try {
    batch = await api(path);
  } catch (error) {
    main.append(notice("error", error.message), h("p", {}, h("a", { href: "/ui/batches" }, "All batches")));
    return;
  }
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const status = h("p", { class: "status-line" });
  const counts = h("div");
  const steps = h("div");
  let watcher = null;
  const { button, sync } = processButton(batch, () => watcher.wake(), messages);

  const draw = (current) => {
    status.replaceChildren("Status: ", badge(current.status), current.last_error && current.status === "failed"
      ? h("span", { class: "step-error" }, ` ${current.last_error}`) : "");
    counts.replaceChildren(summary(current));
    steps.replaceChildren(history(current));
    sync(current.status);
  };
  watcher = poll(async () => {
    const current = await api(path);
    draw(current);
    return !SETTLED.has(current.status) && current.status !== "uploaded";
  });

  const errors = h("section", { "aria-labelledby": "errors-title" });
  main.append(
    h("p", { class: "muted" }, batch.filename ? `${batch.filename} · ` : "", `sha256 ${batch.sha256}`),
    messages,
    h("div", { class: "row-between" }, status, button),
    counts,
    h("section", { "aria-labelledby": "history-title" }, h("h2", { id: "history-title" }, "Status history"), steps),
    h("section", { "aria-labelledby": "days-title" }, h("h2", { id: "days-title" }, "Per day"), perDay(batch.counts)),
    errors,
  );
  draw(batch);
  if (!SETTLED.has(batch.status) && batch.status !== "uploaded") watcher.wake();
  window.addEventListener("pagehide", () => watcher.stop());
  await errorPages(errors, batchId, batch.errors_total);
}

async function errorPages(section, batchId, total) {
  const head = h("div", { class: "row-between" }, h("h2", { id: "errors-title" }, `Row errors (${number(total)})`),
    total ? h("a", { class: "button", href: `/ui/batches/${encodeURIComponent(batchId)}/errors.csv`, download: "" },
      "Download as CSV") : null);
  const body = h("div");
  const pager = h("nav", { class: "pager", "aria-label": "Pages of row errors" });
  section.append(head, body, pager);
  if (!total) {
    body.append(h("p", { class: "empty" }, "Every row was valid."));
    return;
  }
  const show = async (offset) => {
    let page;
    try {
      page = await api(`/batches/${encodeURIComponent(batchId)}/errors?offset=${offset}&limit=${ERRORS_PAGE}`);
    } catch (error) {
      body.replaceChildren(notice("error", `The row errors cannot be read: ${error.message}`));
      return;
    }
    const last = offset + page.errors.length;
    const stored = page.errors_stored < page.errors_total
      ? ` (the first ${number(page.errors_stored)} of ${number(page.errors_total)} are kept)` : "";
    body.replaceChildren(errorTable(page.errors, `Errors ${number(offset + 1)}–${number(last)}${stored}`));
    const button = (label, to, enabled) => {
      const b = h("button", { type: "button", disabled: !enabled }, label);
      b.addEventListener("click", () => show(to));
      return b;
    };
    pager.replaceChildren(button("Previous", Math.max(0, offset - ERRORS_PAGE), offset > 0),
      button("Next", last, last < page.errors_stored));
  };
  await show(0);
}
