// Loads each page given on the command line in Debian's Chromium (headless) and runs
// axe-core on it at WCAG 2.1 A/AA. Prints one JSON object per page on stdout:
// {page, violations: [{id, impact, nodes}], requests: [every URL the page asked for], title}.
// Used by tests/test_html.py; no browser is downloaded: Chromium is the system's.
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
try {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  for (const file of process.argv.slice(2)) {
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
    process.stdout.write(JSON.stringify({ page: file, requests, ...result }) + "\n");
    await page.close();
  }
} finally {
  await browser.close();
}
