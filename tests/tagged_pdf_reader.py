"""Reads back a tagged PDF with pikepdf: its structure tree, marked contents and parent tree.

Used by test_tagged_pdf.py; every check returns the list of problems found (empty: fine), so
that a loop over many sheets can report all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}
# Operators that paint: a path, an image or form, a shading (PDF/UA: all of it tagged or artifact).
PAINT_OPERATORS = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "Do", "sh"}
# The operators marked_contents looks at: qpdf leaves out the others (four in five of a
# sheet's: path construction, state, text positioning), which Python need not go through.
MARKED_CONTENT_OPERATORS = " ".join(sorted({"BDC", "BMC", "EMC", *TEXT_OPERATORS, *PAINT_OPERATORS}))


@dataclass
class Element:
    role: str
    obj: pikepdf.Dictionary
    depth: int
    alt: str | None
    mcids: list[tuple[int, int]] = field(default_factory=list)  # (page index, MCID)
    annotations: list[pikepdf.Dictionary] = field(default_factory=list)
    text: str = ""


def _page_index(pdf: pikepdf.Pdf) -> dict[tuple[int, int], int]:
    return {page.obj.objgen: index for index, page in enumerate(pdf.pages)}


def elements(pdf: pikepdf.Pdf) -> list[Element]:
    """The structure elements under the Document element, in tree (reading) order."""
    pages = _page_index(pdf)
    found: list[Element] = []

    def walk(obj: pikepdf.Dictionary, depth: int) -> None:
        alt = obj.get("/Alt")
        elem = Element(str(obj["/S"])[1:], obj, depth, str(alt) if alt is not None else None)
        found.append(elem)
        page = pages.get(obj["/Pg"].objgen) if "/Pg" in obj else None
        kids = obj.get("/K")
        for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, int):
                elem.mcids.append((page, int(kid)))
            elif isinstance(kid, pikepdf.Dictionary):
                kind = kid.get("/Type")
                if kind == "/MCR":
                    elem.mcids.append((pages[kid["/Pg"].objgen], int(kid["/MCID"])))
                elif kind == "/OBJR":
                    elem.annotations.append(kid["/Obj"])
                elif "/S" in kid:
                    walk(kid, depth + 1)

    walk(pdf.Root.StructTreeRoot["/K"], 0)
    return found


def marked_contents(pdf: pikepdf.Pdf) -> tuple[dict[int, list[int]], list[str]]:
    """The MCIDs of each page's content stream, in stream order, and the problems found:
    text shown or anything painted outside both a marked content with an MCID and an artifact."""
    by_page: dict[int, list[int]] = {}
    problems: list[str] = []
    for index, page in enumerate(pdf.pages):
        stack: list[str] = []  # "mcid" or "artifact" or "other" per open sequence
        mcids = by_page.setdefault(index, [])
        for operands, operator in pikepdf.parse_content_stream(page, MARKED_CONTENT_OPERATORS):
            op = str(operator)
            if op in ("BDC", "BMC"):
                tag = str(operands[0])
                if tag == "/Artifact":
                    stack.append("artifact")
                elif op == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                    if "mcid" in stack or "artifact" in stack:
                        problems.append(f"page {index + 1}: {tag} MCID nested in another marked content")
                    mcids.append(int(operands[1]["/MCID"]))
                    stack.append("mcid")
                else:
                    stack.append("other")
            elif op == "EMC":
                if not stack:
                    problems.append(f"page {index + 1}: EMC without BDC")
                else:
                    stack.pop()
            elif op in TEXT_OPERATORS and "mcid" not in stack and "artifact" not in stack:
                problems.append(f"page {index + 1}: text outside the tree and artifacts: {operands}")
            elif op in PAINT_OPERATORS and "mcid" not in stack and "artifact" not in stack:
                problems.append(f"page {index + 1}: {op} paints outside the tree and artifacts")
        if stack:
            problems.append(f"page {index + 1}: {len(stack)} marked contents left open")
    return by_page, problems


def parent_tree(pdf: pikepdf.Pdf) -> dict[int, object]:
    nums = pdf.Root.StructTreeRoot.ParentTree["/Nums"]
    return {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}


def check(path: Path) -> list[str]:
    """Every invariant of the tagged sheet at `path` that does not depend on its content."""
    problems: list[str] = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        if root.get("/MarkInfo", {}).get("/Marked") is not True:
            problems.append("no /MarkInfo /Marked true")
        if str(root.get("/Lang")) != "fr-FR":
            problems.append(f"/Lang is {root.get('/Lang')}")
        if root.get("/ViewerPreferences", {}).get("/DisplayDocTitle") is not True:
            problems.append("no DisplayDocTitle")
        with pdf.open_metadata() as meta:
            if meta.get("pdfuaid:part") != "1":
                problems.append("no pdfuaid:part 1 in the XMP")
            if not meta.get("dc:title") or meta.get("dc:language") is None:
                problems.append("XMP without dc:title or dc:language")
        tree = elements(pdf)
        by_page, stream_problems = marked_contents(pdf)
        problems += stream_problems
        parents = parent_tree(pdf)
        # Every MCID of the streams in the tree, once, and the other way round.
        in_tree: dict[tuple[int, int], Element] = {}
        for elem in tree:
            for key in elem.mcids:
                if key in in_tree:
                    problems.append(f"MCID {key} in two elements")
                in_tree[key] = elem
        in_streams = {(page, mcid) for page, mcids in by_page.items() for mcid in mcids}
        if len(in_streams) != sum(len(m) for m in by_page.values()):
            problems.append("an MCID used twice on a page")
        if set(in_tree) != in_streams:
            problems.append(
                f"MCIDs only in the tree: {sorted(set(in_tree) - in_streams)[:5]}, "
                f"only in the streams: {sorted(in_streams - set(in_tree))[:5]}"
            )
        for index, page in enumerate(pdf.pages):
            key = page.obj.get("/StructParents")
            if key is None:
                problems.append(f"page {index + 1} without /StructParents")
                continue
            array = parents.get(int(key))
            for mcid in by_page[index]:
                elem = in_tree.get((index, mcid))
                if array is None or mcid >= len(array) or elem is None or array[mcid].objgen != elem.obj.objgen:
                    problems.append(f"page {index + 1}: MCID {mcid} not mapped to its element by the parent tree")
            annotations = page.obj.get("/Annots") or []
            if len(annotations) and page.obj.get("/Tabs") != "/S":
                problems.append(f"page {index + 1} has annotations but no /Tabs /S")
            for annotation in annotations:
                if not str(annotation.get("/Contents", "")):
                    problems.append(f"page {index + 1}: link annotation without /Contents")
                link = parents.get(int(annotation.get("/StructParent", -1)))
                if (
                    link is None
                    or link.get("/S") != "/Link"
                    or not any(
                        isinstance(kid, pikepdf.Dictionary)
                        and kid.get("/Type") == "/OBJR"
                        and kid["/Obj"].objgen == annotation.objgen
                        for kid in _kids(link)
                    )
                ):
                    problems.append(f"page {index + 1}: annotation not in a Link element with its OBJR")
        for elem in tree:
            if elem.role == "Figure" and not (elem.alt or "").strip():
                problems.append("a Figure without /Alt")
        headings = [int(e.role[1]) for e in tree if e.role in ("H1", "H2", "H3", "H4")]
        if not headings or headings[0] != 1:
            problems.append("the first heading is not H1")
        for before, after in zip(headings, headings[1:]):
            if after > before + 1:
                problems.append(f"heading level skips from H{before} to H{after}")
        with pdf.open_outline() as outline:
            if len(outline.root) < 6:
                problems.append(f"only {len(outline.root)} bookmarks")
    return problems


def _kids(obj: pikepdf.Dictionary) -> list:
    kids = obj.get("/K")
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]
