// Picks the page's module from the address and draws it into <main>.
import { h, notice } from "./dom.js";

const ROUTES = [
  [/^\/ui\/?$/, "upload", "upload"],
  [/^\/ui\/upload$/, "upload", "upload"],
  [/^\/ui\/batches$/, "batches", "batches"],
  [/^\/ui\/batches\/([^/]+)$/, "batch", "batches"],
  [/^\/ui\/metrics$/, "metrics", "metrics"],
  [/^\/ui\/admin$/, "admin", "admin"],
];

const main = document.getElementById("main");

async function start() {
  for (const [pattern, module, nav] of ROUTES) {
    const match = window.location.pathname.match(pattern);
    if (!match) continue;
    const link = document.querySelector(`[data-nav="${nav}"]`);
    if (link) link.setAttribute("aria-current", "page");
    const page = await import(`./pages/${module}.js`);
    main.replaceChildren();
    await page.render(main, ...match.slice(1).map(decodeURIComponent));
    return;
  }
  main.replaceChildren(h("h1", {}, "Not found"), notice("error", "There is no such page."));
}

start();
