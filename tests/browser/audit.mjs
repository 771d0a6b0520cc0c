// Loads each page given on the command line in Debian's Chromium (headless) and runs
// axe-core on it at WCAG 2.1 A/AA. Prints one JSON object per page on stdout:
// {page, violations: [{id, impact, nodes}], requests: [every URL the page asked for], title}.
// Used by tests/test_html.py; no browser is downloaded: Chromium is the system's.
// The lines come in the order of the pages given, whatever order they finished loading in.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const width = Number(process.env.VIEWPORT_WIDTH || 1280);
const withAxe = process.env.AXE !== "0"; // AXE=0: load and measure each page only

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
// Pages are loaded CONCURRENCY at a time (default 4) in one browser: a page's load mostly
// waits (the browser's processes, the fonts), so several in flight use the cores better.
const concurrency = Math.max(1, Number(process.env.CONCURRENCY || 4));

async function report(context, file) {
  const page = await context.newPage();
  const requests = [];
  page.on("request", (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  if (withAxe) await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async (withAxe) => {
    const report = withAxe
      ? await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
      : { violations: [], passes: [] };
    return {
      violations: report.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
                                                  target: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) })),
      passes: report.passes.length,
      title: document.title,
      lang: document.documentElement.lang,
      overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
      svgs: document.querySelectorAll("svg[role=img]").length,
    };
  }, withAxe);
  await page.close();
  return JSON.stringify({ page: file, requests, ...result });
}

try {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const files = process.argv.slice(2);
  const lines = new Array(files.length);
  let next = 0;
  async function worker() {
    while (next < files.length) {
      const index = next++;
      lines[index] = await report(context, files[index]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  // One line per page, in the order given.
  for (const line of lines) process.stdout.write(line + "\n");
} finally {
  await browser.close();
}
