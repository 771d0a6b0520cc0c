// Prints, for each PDF given, what PDF.js reads of every page: the structure tree
// (page.getStructTree()) and the text with its marked contents
// (page.getTextContent({includeMarkedContent: true})), as one JSON object:
// {"file.pdf": [{"tree": {...}, "items": [...]}, ...]}. Used by tests/test_tagged_pdf.py.
import { readFile } from "node:fs/promises";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const result = {};
for (const path of process.argv.slice(2)) {
  const data = new Uint8Array(await readFile(path));
  const pdf = await getDocument({ data, verbosity: 0, isEvalSupported: false }).promise;
  const pages = [];
  for (let number = 1; number <= pdf.numPages; number++) {
    const page = await pdf.getPage(number);
    const tree = await page.getStructTree();
    const content = await page.getTextContent({ includeMarkedContent: true });
    const items = content.items.map((item) => {
      if (item.type === "beginMarkedContent" || item.type === "beginMarkedContentProps") {
        return { begin: item.tag ?? null, id: item.id ?? null };
      }
      if (item.type === "endMarkedContent") return { end: true };
      return { str: item.str, eol: item.hasEOL };
    });
    pages.push({ tree, items });
  }
  result[path] = pages;
  await pdf.destroy();
}
process.stdout.write(JSON.stringify(result));
