// Small helpers to build the DOM from data: text always goes in as text, never as HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const h = (tag, attrs, ...children) => fill(document.createElement(tag), attrs, children);
export const s = (tag, attrs, ...children) => fill(document.createElementNS(SVG_NS, tag), attrs, children);

export const number = (n) => Number(n).toLocaleString("en-US");

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export function timeEl(iso) {
  return iso ? h("time", { datetime: iso }, when(iso)) : "—";
}

export function notice(kind, ...children) {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

export const SETTLED = new Set(["processed", "failed"]);

export function badge(status) {
  return h("span", { class: `badge badge-${status}`, "data-status": status }, status);
}

export function title(text) {
  document.title = `${text} · event-service`;
  return h("h1", {}, text);
}

export function errorTable(errors, caption) {
  return h(
    "table",
    { class: "data errors" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num" }, "Row"), h("th", { scope: "col" }, "Column"),
      h("th", { scope: "col" }, "Problem"))),
    h("tbody", {}, errors.map((e) => h("tr", {}, h("td", { class: "num" }, e.row), h("td", {}, e.column ?? "—"),
      h("td", {}, e.message)))),
  );
}
