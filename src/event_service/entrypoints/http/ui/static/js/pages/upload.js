// Upload: pick or drop a file, strict mode, a progress bar while it is sent, then the counts and first errors.
import { ApiError, uploadFile } from "../api.js";
import { errorTable, h, notice, number, title } from "../dom.js";

export function render(main) {
  let chosen = null;
  const input = h("input", { type: "file", id: "file", name: "file", accept: ".csv,.gz,text/csv,application/gzip" });
  const chosenText = h("span", { class: "chosen", id: "chosen" }, "No file chosen yet.");
  const strict = h("input", { type: "checkbox", id: "strict", name: "strict" });
  const submit = h("button", { type: "submit", class: "primary", disabled: true }, "Upload");
  const bar = h("progress", { id: "upload-progress", max: 100, value: 0 });
  const percent = h("span", { class: "muted" }, "0%");
  const stage = h("label", { for: "upload-progress" }, "Sending");
  const progress = h("div", { class: "progress", hidden: true }, stage, bar, percent);
  const result = h("section", { id: "result", "aria-live": "polite" });

  const choose = (file) => {
    chosen = file || null;
    submit.disabled = !chosen;
    chosenText.textContent = chosen ? `${chosen.name} (${number(chosen.size)} bytes)` : "No file chosen yet.";
  };
  input.addEventListener("change", () => choose(input.files[0]));

  const drop = h("div", { class: "drop", id: "drop" },
    h("p", {}, h("strong", {}, "Drop a CSV file here"), " or "),
    h("label", { for: "file", class: "button" }, "Choose a file"), input, chosenText);
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    choose(e.dataTransfer.files[0]);
  });

  const form = h("form", { class: "card", id: "upload-form" }, drop,
    h("div", { class: "field-check" }, strict, h("label", { for: "strict" },
      "Strict mode: store nothing if any row is invalid")),
    h("div", { class: "actions" }, submit), progress);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!chosen) return;
    submit.disabled = true;
    progress.hidden = false;
    bar.value = 0;
    percent.textContent = "0%";
    stage.textContent = "Sending";
    result.replaceChildren();
    try {
      const body = await uploadFile(chosen, strict.checked, (sent, total) => {
        const share = Math.round((sent / total) * 100);
        bar.value = share;
        percent.textContent = `${share}%`;
        // Once every byte is sent the service still reads and checks the rows before it answers.
        if (sent === total) stage.textContent = "Sent; checking the rows";
      });
      result.replaceChildren(...outcome(body));
    } catch (error) {
      result.replaceChildren(...failure(error));
    } finally {
      submit.disabled = !chosen;
      progress.hidden = true;
    }
  });

  main.append(
    title("Upload events"),
    h("p", { class: "lead" }, "A CSV file with the columns ", h("code", {}, "user_id"), ", ", h("code", {}, "event_type"),
      " and ", h("code", {}, "timestamp"), " (optionally ", h("code", {}, "event_id"),
      "), plain or gzip-compressed. Every row is checked; valid rows are stored even when others are not, unless you ask for strict mode."),
    form,
    result,
  );
}

function counts(body) {
  const items = [
    ["Rows", body.rows_total],
    ["Accepted", body.rows_accepted],
    ["Rejected", body.rows_rejected],
  ];
  if (body.rows_duplicate) items.push(["Already stored", body.rows_duplicate]);
  return h("dl", { class: "counts", id: "upload-counts" },
    items.filter(([, value]) => value !== undefined).map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", { "data-count": label.toLowerCase() },
      number(value)))));
}

function outcome(body) {
  const link = `/ui/batches/${encodeURIComponent(body.batch_id)}`;
  const parts = [
    h("h2", {}, body.duplicate ? "This file was already uploaded" : "Uploaded"),
    notice("success", body.duplicate ? "Nothing was stored twice; this is the batch it made then. " : "Stored as a batch. ",
      h("a", { href: link, id: "batch-link" }, `Open batch ${body.batch_id}`),
      " to process it into the daily metrics."),
    counts(body),
  ];
  if (body.errors.length) {
    const caption = body.errors_total > body.errors.length
      ? `The first ${body.errors.length} of ${number(body.errors_total)} row errors (all of them are on the batch's page)`
      : `Row errors (${body.errors.length})`;
    parts.push(errorTable(body.errors, caption));
  }
  return parts;
}

function failure(error) {
  const parts = [notice("error", h("strong", {}, "The file was not stored. "), error.message)];
  if (error instanceof ApiError && error.body && Array.isArray(error.body.errors) && error.body.errors.length) {
    parts.push(counts(error.body), errorTable(error.body.errors, "Rows that are invalid"));
  }
  return parts;
}
