// Metrics: a range of UTC days, a stacked bar chart per day by type, and the same numbers in a table.
import { api } from "../api.js";
import { colours, legend, stackedBars } from "../chart.js";
import { h, notice, number, title } from "../dom.js";

const iso = (d) => d.toISOString().slice(0, 10);

function defaults() {
  const today = new Date();
  const start = new Date(today.getTime() - 13 * 86400000);
  return [iso(start), iso(today)];
}

export function render(main) {
  const params = new URLSearchParams(window.location.search);
  const [defaultFrom, defaultTo] = defaults();
  const from = h("input", { type: "date", id: "from", name: "from", required: true, value: params.get("from") || defaultFrom });
  const to = h("input", { type: "date", id: "to", name: "to", required: true, value: params.get("to") || defaultTo });
  const form = h("form", { class: "card range", id: "range" },
    h("div", { class: "field" }, h("label", { for: "from" }, "From (UTC day)"), from),
    h("div", { class: "field" }, h("label", { for: "to" }, "To, inclusive"), to),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Show")));
  const result = h("section", { id: "metrics-result", "aria-live": "polite" });
  main.append(title("Metrics"),
    h("p", { class: "lead" }, "Events per UTC day and type, from processed batches. Up to 366 days at a time."),
    form, result);

  const show = async () => {
    const query = new URLSearchParams({ from: from.value, to: to.value });
    window.history.replaceState(null, "", `?${query}`);
    result.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    let answer;
    try {
      answer = await api(`/metrics?${query}`);
    } catch (error) {
      result.replaceChildren(notice("error", error.message));
      return;
    }
    result.replaceChildren(...draw(answer));
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    show();
  });
  show();
}

function draw(answer) {
  const days = answer.days;
  const types = [...new Set(days.flatMap((d) => Object.keys(d.metrics)))].sort();
  if (!types.length) {
    return [h("div", { class: "empty-state", id: "metrics-empty" },
      h("h2", {}, "No events in this range"),
      h("p", {}, `Nothing was counted from ${answer.from} to ${answer.to}. Upload a file and process its batch, `,
        "or pick days its events fall on."),
      h("p", {}, h("a", { href: "/ui/upload" }, "Upload a file")))];
  }
  const colour = colours(types);
  const total = (d) => Object.values(d.metrics).reduce((a, b) => a + b, 0);
  const typeTotals = types.map((t) => days.reduce((sum, d) => sum + (d.metrics[t] || 0), 0));
  const table = h("table", { class: "data", id: "metrics-table" },
    h("caption", {}, `Events per day, ${answer.from} to ${answer.to}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), types.map((t) => h("th", { scope: "col", class: "num" }, t)),
      h("th", { scope: "col", class: "num" }, "Total"))),
    h("tbody", {}, days.map((d) => h("tr", { "data-date": d.date, class: total(d) ? "" : "quiet" },
      h("th", { scope: "row" }, d.date),
      types.map((t) => h("td", { class: "num", "data-type": t }, number(d.metrics[t] || 0))),
      h("td", { class: "num", "data-type": "total" }, number(total(d)))))),
    h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, "All days"),
      typeTotals.map((n) => h("td", { class: "num" }, number(n))),
      h("td", { class: "num" }, number(typeTotals.reduce((a, b) => a + b, 0))))));
  return [h("div", { class: "metrics-grid" },
    h("figure", { class: "card" }, stackedBars(days, types, colour), h("figcaption", {}, legend(types, colour))),
    h("div", { class: "table-scroll" }, table))];
}
