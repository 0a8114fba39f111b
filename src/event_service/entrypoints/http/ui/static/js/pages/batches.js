// Batches, newest first, a page at a time; the badges follow each batch until it settles.
import { api, requestProcessing } from "../api.js";
import { badge, h, notice, number, SETTLED, timeEl, title } from "../dom.js";
import { poll } from "../poll.js";

const PAGE = 20;

export function processButton(batch, onDone, messages) {
  const button = h("button", { type: "button", class: "process", "data-batch": batch.batch_id }, "Process");
  let status = batch.status;
  const sync = (current) => {
    status = current;
    button.disabled = status === "ingesting" || status === "enqueued" || status === "processing";
    button.textContent = status === "processed" ? "Process again" : "Process";
  };
  sync(batch.status);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const answer = await requestProcessing(batch.batch_id, status === "processed");
      messages.replaceChildren(notice("success", `Batch ${batch.batch_id}: ${answer.status}.`));
    } catch (error) {
      messages.replaceChildren(notice("error", `Batch ${batch.batch_id} could not be queued: ${error.message}`));
      button.disabled = false;
    }
    onDone();
  });
  return { button, sync };
}

export async function render(main) {
  const params = new URLSearchParams(window.location.search);
  const offset = Math.max(0, Number.parseInt(params.get("offset") || "0", 10) || 0);
  const messages = h("div", { class: "messages", "aria-live": "polite" });
  const body = h("tbody");
  const table = h("table", { class: "data", id: "batches" },
    h("caption", { class: "visually-hidden" }, "Batches, newest first"),
    h("thead", {}, h("tr", {}, ["Batch", "Uploaded", "Rows", "Accepted", "Rejected", "Status", ""].map((label, i) =>
      h("th", { scope: "col", class: [i >= 2 && i <= 4 ? "num" : "", i >= 1 && i <= 4 ? "wide-only" : ""].join(" ").trim() || null },
        label)))),
    body);
  const pager = h("nav", { class: "pager", "aria-label": "Pages of batches" });
  main.append(title("Batches"), messages, h("div", { class: "table-scroll" }, table), pager);

  const rows = new Map();
  let moving = false;
  const watcher = poll(async () => {
    await refresh();
    return moving;
  });

  async function refresh() {
    let page;
    try {
      page = await api(`/batches?offset=${offset}&limit=${PAGE}`);
    } catch (error) {
      messages.replaceChildren(notice("error", `The batches cannot be listed: ${error.message}`));
      return;
    }
    moving = false;
    for (const batch of page.batches) {
      let row = rows.get(batch.batch_id);
      if (!row) {
        row = newRow(batch);
        rows.set(batch.batch_id, row);
        body.append(row.tr);
      }
      row.update(batch);
      if (!SETTLED.has(batch.status) && batch.status !== "uploaded") moving = true;
    }
    if (!page.batches.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 7, class: "empty" }, "No batches yet. ",
        h("a", { href: "/ui/upload" }, "Upload a file"), " to make one.")));
    }
    drawPager(page.total);
  }

  function newRow(batch) {
    const status = h("td", { class: "status" });
    const cells = { accepted: h("td", { class: "num wide-only" }), rejected: h("td", { class: "num wide-only" }) };
    const { button, sync } = processButton(batch, () => watcher.wake(), messages);
    const link = h("a", { href: `/ui/batches/${encodeURIComponent(batch.batch_id)}` }, batch.filename || batch.batch_id);
    const tr = h("tr", { "data-batch": batch.batch_id },
      h("th", { scope: "row" }, link, h("div", { class: "muted small batch-id" }, batch.batch_id)),
      h("td", { class: "wide-only" }, timeEl(batch.created_at)),
      h("td", { class: "num wide-only" }, number(batch.rows_total)), cells.accepted,
      cells.rejected, status, h("td", {}, button));
    return {
      tr,
      update(current) {
        status.replaceChildren(badge(current.status));
        cells.accepted.textContent = number(current.rows_accepted);
        cells.rejected.textContent = number(current.rows_rejected);
        sync(current.status);
      },
    };
  }

  function drawPager(total) {
    const last = Math.min(offset + PAGE, total);
    const link = (label, to, enabled) => enabled
      ? h("a", { href: `/ui/batches?offset=${to}`, class: "button" }, label)
      : h("span", { class: "button disabled", "aria-disabled": "true" }, label);
    pager.replaceChildren(
      link("Newer", Math.max(0, offset - PAGE), offset > 0),
      h("span", { class: "muted" }, total ? `${number(offset + 1)}–${number(last)} of ${number(total)}` : ""),
      link("Older", offset + PAGE, last < total),
    );
  }

  await refresh();
  if (moving) watcher.wake();
  window.addEventListener("pagehide", () => watcher.stop());
}
