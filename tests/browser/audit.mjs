// Loads pages in Debian's Chromium (headless), one browser for all, and runs axe-core on
// those asked at WCAG 2.1 A/AA. The pages come as JSON on stdin, a list of
// {page: path, width: viewport width, axe: whether to run axe-core}; it prints one JSON
// object per page on stdout, in the order given whatever order they finished loading in:
// {page, width, violations: [{id, impact, nodes}], passes, requests: [every URL the page
// asked for], title, lang, overflow, svgs, cramped: chart labels with no visible space before
// the next on their line}.
// Used by tests/test_html.py; no browser is downloaded: Chromium is the system's.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const jobs = JSON.parse(readFileSync(0, "utf-8"));

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
// Pages are loaded CONCURRENCY at a time (default 4) in one browser: a page's load mostly
// waits (the browser's processes, the fonts), so several in flight use the cores better.
// Each of the CONCURRENCY workers loads its pages one after the other in one tab (a new
// document each time, with its own requests and axe-core run): a new tab per page cost a
// renderer process start each, nearly half of the browser's CPU.
const concurrency = Math.max(1, Number(process.env.CONCURRENCY || 4));

async function report(page, { page: file, width, axe: withAxe }) {
  const requests = [];
  const record = (request) => requests.push(request.url());
  page.on("request", record);
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  if (withAxe) await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async (withAxe) => {
    await document.fonts.ready;
    // Chart labels that end less than LABEL_GAP before the next label on their line, as the
    // browser lays them out in the page's fonts: [text, its end, the next text, its start],
    // in the chart's units (points). The PDF keeps a space or more between them.
    const LABEL_GAP = 1;
    const cramped = [];
    for (const svg of document.querySelectorAll("svg[role=img]")) {
      const lines = new Map();
      for (const text of svg.querySelectorAll("text")) {
        if (text.hasAttribute("transform")) continue; // a turned label has no line
        const x = parseFloat(text.getAttribute("x"));
        const line = lines.get(text.getAttribute("y")) || [];
        line.push([x, x + text.getComputedTextLength(), text.textContent]);
        lines.set(text.getAttribute("y"), line);
      }
      for (const line of lines.values()) {
        line.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < line.length; i++) {
          if (line[i][0] - line[i - 1][1] < LABEL_GAP) cramped.push([line[i - 1][2], line[i - 1][1], line[i][2], line[i][0]]);
        }
      }
    }
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
      cramped,
    };
  }, withAxe);
  page.off("request", record);
  return JSON.stringify({ page: file, width, requests, ...result });
}

try {
  // One context per viewport width, shared by the pages of that width.
  const contexts = new Map();
  for (const width of new Set(jobs.map((job) => job.width))) {
    contexts.set(width, await browser.newContext({ viewport: { width, height: 900 } }));
  }
  const lines = new Array(jobs.length);
  let next = 0;
  async function worker() {
    const pages = new Map(); // one tab per width, each page loaded in it in turn
    while (next < jobs.length) {
      const index = next++;
      const { width } = jobs[index];
      if (!pages.has(width)) pages.set(width, await contexts.get(width).newPage());
      lines[index] = await report(pages.get(width), jobs[index]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  for (const line of lines) process.stdout.write(line + "\n");
} finally {
  await browser.close();
}
