// Stacked bars per day by event type, drawn as plain SVG.
import { h, number, s } from "./dom.js";

// Okabe–Ito: told apart by people with the common colour-vision deficiencies.
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

export function colours(types) {
  return new Map(types.map((type, i) => [type, PALETTE[i % PALETTE.length]]));
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value);
}

export function stackedBars(days, types, colour) {
  // A fixed drawing width, scaled to the figure: the text keeps its size whatever the number of days.
  const width = 560;
  const height = 300;
  const left = 44;
  const bottom = 26;
  const slot = (width - left - 8) / days.length;
  const totals = days.map((d) => Object.values(d.metrics).reduce((a, b) => a + b, 0));
  const top = niceMax(Math.max(...totals, 0));
  const y = (v) => height - bottom - ((height - bottom - 8) * v) / top;
  const labelEvery = Math.ceil(days.length / Math.max(1, Math.floor((width - left) / 48)));
  const busiest = Math.max(...totals);
  const chart = s("svg", {
    viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", id: "chart",
    "aria-label": `Events per day, stacked by type, ${days[0].date} to ${days[days.length - 1].date}; the busiest day has ${number(busiest)}.`,
  });
  for (const tick of [0, top / 2, top]) {
    chart.append(
      s("line", { x1: left, x2: width - 4, y1: y(tick), y2: y(tick), class: "grid" }),
      s("text", { x: left - 6, y: y(tick) + 4, class: "axis", "text-anchor": "end" }, number(tick)),
    );
  }
  days.forEach((day, i) => {
    const x = left + i * slot + slot * 0.15;
    let base = 0;
    for (const type of types) {
      const count = day.metrics[type] || 0;
      if (!count) continue;
      chart.append(s("rect", {
        x, width: slot * 0.7, y: y(base + count), height: y(base) - y(base + count), fill: colour.get(type),
        "data-date": day.date, "data-type": type, "data-count": count,
      }, s("title", {}, `${day.date} · ${type}: ${number(count)}`)));
      base += count;
    }
    if (i % labelEvery === 0) {
      chart.append(s("text", { x: x + slot * 0.35, y: height - 8, class: "axis", "text-anchor": "middle" },
        day.date.slice(5)));
    }
  });
  return chart;
}

export function legend(types, colour) {
  return h("ul", { class: "legend", "aria-label": "Event types" }, types.map((type) => h("li", {},
    s("svg", { class: "swatch", width: 12, height: 12, "aria-hidden": "true" },
      s("rect", { width: 12, height: 12, rx: 2, fill: colour.get(type) })), type)));
}
