"""Tagged PDF (PDF/UA-1 style) written through ReportLab's own document objects.

ReportLab draws but does not tag. `StructTree` holds the sheet's structure elements, made
by the layout in reading order (the story's order) before anything is drawn; while the
document is built, each tagged flowable wraps its drawing in a marked-content sequence
(`/P <</MCID n>> BDC … EMC`) and records (page, MCID) on its element, and page decoration
is wrapped as `/Artifact`. When the canvas saves, `StructTree.write` turns the elements
into the StructTreeRoot, its ParentTree, the Link OBJRs, the outline, /MarkInfo, /Lang and
the XMP metadata, all as pdfdoc objects: nothing is post-processed, the bytes stay
deterministic (no random id, the edition's date).
"""

from __future__ import annotations

import datetime
import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from reportlab.pdfbase.pdfdoc import (
    PDFDictionary,
    PDFName,
    PDFObject,
    PDFStream,
    PDFString,
)
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, ListFlowable
from reportlab.platypus.flowables import BulletDrawer, LIIndenter

from .pdf_paragraph import SharedParagraph


def escape(text: str) -> str:
    """`text` with &, < and > as entities, as xml.sax.saxutils.escape makes them (quotes
    left as they are), for XML and Paragraph markup. Not saxutils itself: importing it
    imports urllib.request, http.client and ssl, ~10 ms of every drawing process's start."""
    return html.escape(text, quote=False)


@dataclass(eq=False)
class MarkedContent:
    page: int  # 0-based page index
    mcid: int


@dataclass(eq=False)
class AnnotationRef:
    page: int
    annotation: PDFDictionary
    name: str = ""  # the annotation object's name in the document, given when the tree is written


@dataclass(eq=False)
class StructElem:
    """One structure element; `kids` are elements, marked contents and annotations, in order."""

    role: str
    parent: StructElem | None = None
    alt: str | None = None
    scope: str | None = None  # TH: "Column" or "Row"
    outline: str | None = None  # a bookmark with this title points at the element's first page
    link_text: bool = False  # its whole text is a link: the text goes into the Link element
    kids: list[Any] = field(default_factory=list)

    def first_page(self) -> int | None:
        for kid in self.kids:
            page = kid.first_page() if isinstance(kid, StructElem) else kid.page
            if page is not None:
                return page
        return None


class StructTree:
    """The structure elements of one PDF and the marked contents drawn for them."""

    def __init__(self, link_contents: str = "{target}"):
        self.root = StructElem("Document")
        self.link_contents = link_contents
        self._pages: dict[int, list[StructElem]] = {}  # page index -> element of each MCID
        self._open: list[StructElem] = []
        self._annotations: list[tuple[StructElem, AnnotationRef]] = []
        self._outline_count = 0
        self.elements: list[StructElem] = []  # every element, in the order made

    # -- built by the layout, in reading order ----------------------------------------
    def add(self, role: str, parent: StructElem | None = None, **attributes: Any) -> StructElem:
        parent = parent or self.root
        elem = StructElem(role, parent, **attributes)
        parent.kids.append(elem)
        self.elements.append(elem)
        return elem

    # -- while drawing ----------------------------------------------------------------
    def begin(self, canvas: Canvas, elem: StructElem) -> None:
        recorder = getattr(canvas._doc, "page_recorder", None)  # a page being recorded (pdf_replay)
        if recorder is not None:
            recorder.begin(elem)
        page = canvas.getPageNumber() - 1
        elements = self._pages.setdefault(page, [])
        mcid = len(elements)
        elements.append(elem)
        elem.kids.append(MarkedContent(page, mcid))
        if elem.outline is not None and len(elem.kids) == 1:
            self._outline_count += 1
            key = f"section{self._outline_count}"
            canvas.bookmarkPage(key)
            canvas.addOutlineEntry(elem.outline, key, level=0)
        canvas.addLiteral(f"/{elem.role} <</MCID {mcid}>> BDC")
        self._open.append(elem)

    def end(self, canvas: Canvas) -> None:
        recorder = getattr(canvas._doc, "page_recorder", None)
        if recorder is not None:
            recorder.end()
        canvas.addLiteral("EMC")
        self._open.pop()

    def annotation(self, canvas: Canvas, annotation: PDFDictionary) -> None:
        """A link annotation drawn inside the open element: a Link element with its OBJR."""
        parent = self._open[-1] if self._open else self.root
        page = canvas.getPageNumber() - 1
        existing = [kid for kid in parent.kids if isinstance(kid, StructElem) and kid.role == "Link"]
        if parent.link_text and existing:  # the same link again (its text over two lines)
            link = existing[0]
        else:
            link = StructElem("Link", parent)
            parent.kids.append(link)
        if parent.link_text:
            # The marked content being drawn is the link's text: read as the Link's.
            for kid in [kid for kid in parent.kids if isinstance(kid, MarkedContent)]:
                parent.kids.remove(kid)
                link.kids.append(kid)
                self._pages[kid.page][kid.mcid] = link
        ref = AnnotationRef(page, annotation)
        link.kids.append(ref)
        self._annotations.append((link, ref))
        action = annotation.dict.get("A")
        target = ""
        if isinstance(action, PDFDictionary):
            uri = action.dict.get("URI")
            target = getattr(uri, "s", "") or ""
        target = target.removeprefix("mailto:")
        annotation["Contents"] = PDFString(self.link_contents.format(target=target))

    def page_has_annotations(self, page: int) -> bool:
        return any(ref.page == page for _, ref in self._annotations)

    # -- when the canvas saves ----------------------------------------------------------
    def write(self, canvas: Canvas, page_count: int, lang: str, xmp: bytes) -> None:
        doc = canvas._doc
        names: dict[int, str] = {}  # id(element) -> its object's name in the document

        def prune(elem: StructElem) -> bool:
            """Leave out the elements that drew nothing; whether `elem` has content."""
            elem.kids = [kid for kid in elem.kids if not isinstance(kid, StructElem) or prune(kid)]
            return bool(elem.kids)

        def register(elem: StructElem) -> None:
            names[id(elem)] = doc.Reference(_Formatted(partial(_format_element, elem, names))).name
            for kid in elem.kids:
                if isinstance(kid, StructElem):
                    register(kid)

        prune(self.root)
        register(self.root)
        for _link, ref in self._annotations:
            ref.name = doc.Reference(ref.annotation).name
        parents = [(page, [names[id(elem)] for elem in self._pages.get(page, [])]) for page in range(page_count)]
        for key, (link, ref) in enumerate(self._annotations, start=page_count):
            ref.annotation["StructParent"] = key
            parents.append((key, names[id(link)]))
        parent_tree = doc.Reference(_Formatted(partial(_format_parent_tree, parents))).name
        next_key = page_count + len(self._annotations)
        root = names[id(self.root)]

        def format_root(document) -> bytes:
            number = document.idToObjectNumberAndVersion
            return (
                f"<< /Type /StructTreeRoot /K {_ref(number, root)} /ParentTree {_ref(number, parent_tree)}"
                f" /ParentTreeNextKey {next_key} >>"
            ).encode("ascii")

        root_ref = doc.Reference(_Formatted(format_root), "StructTreeRoot")

        catalog = doc.Catalog
        catalog.StructTreeRoot = root_ref
        catalog.MarkInfo = PDFDictionary({"Marked": "true"})
        catalog.Lang = PDFString(lang)
        metadata = PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}), xmp, filters=[])
        catalog.Metadata = doc.Reference(metadata)


class _Formatted(PDFObject):
    """A PDF object whose bytes a function writes at the final formatting pass, when every
    object has its number: far cheaper than a PDFDictionary for the hundreds of small
    dictionaries of a structure tree."""

    def __init__(self, format_function: Callable[[Any], bytes]):
        self.format_function = format_function

    def format(self, document) -> bytes:
        return self.format_function(document)


def _ref(numbers: dict, name: str) -> str:
    return "{} {} R".format(*numbers[name])


def _format_element(elem: StructElem, names: dict[int, str], document) -> bytes:
    """The StructElem dictionary of `elem`: role, parent, page, kids, /Alt, table scope."""
    number = document.idToObjectNumberAndVersion
    page = elem.first_page()
    parts = [f"<< /Type /StructElem /S /{elem.role}"]
    parent = elem.parent
    parts.append(f" /P {_ref(number, names[id(parent)]) if parent is not None else _ref(number, 'StructTreeRoot')}")
    if page is not None and elem.role != "Document":
        parts.append(f" /Pg {_ref(number, f'Page{page + 1}')}")
    kids = []
    for kid in elem.kids:
        if isinstance(kid, StructElem):
            kids.append(_ref(number, names[id(kid)]))
        elif isinstance(kid, MarkedContent):
            kids.append(
                str(kid.mcid)
                if kid.page == page
                else f"<< /Type /MCR /Pg {_ref(number, f'Page{kid.page + 1}')} /MCID {kid.mcid} >>"
            )
        else:
            kids.append(f"<< /Type /OBJR /Pg {_ref(number, f'Page{kid.page + 1}')} /Obj {_ref(number, kid.name)} >>")
    parts.append(f" /K [{' '.join(kids)}]")
    if elem.scope is not None:
        parts.append(f" /A << /O /Table /Scope /{elem.scope} >>")
    head = "".join(parts).encode("ascii")
    if elem.alt is not None:
        head += b" /Alt " + PDFString(elem.alt).format(document)
    return head + b" >>"


def _format_parent_tree(parents: list[tuple[int, Any]], document) -> bytes:
    """The ParentTree number tree: per page the elements of its MCIDs, per annotation its Link."""
    number = document.idToObjectNumberAndVersion
    nums = []
    for key, value in parents:
        if isinstance(value, list):
            nums.append(f"{key} [{' '.join(_ref(number, name) for name in value)}]")
        else:
            nums.append(f"{key} {_ref(number, value)}")
    return f"<< /Nums [{' '.join(nums)}] >>".encode("ascii")


# -- flowables and canvas ------------------------------------------------------------------


def _line_words(paragraph: SharedParagraph) -> list[list[str]]:
    """The words of each wrapped line of `paragraph` (split at ordinary spaces only)."""
    if paragraph.blPara.kind == 0:
        return [list(words) for _, words in paragraph.blPara.lines]
    return ["".join(getattr(frag, "text", "") for frag in line.words).strip(" ").split(" ") for line in paragraph.blPara.lines]


def _actual_text(text: str) -> str:
    """`text` as the PDF text string of an /ActualText (UTF-16BE with its byte order mark)."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


class TaggedParagraph(SharedParagraph):
    """A paragraph drawn as one marked content of `struct` (each part when split).

    A word hyphenated at a line end is read whole by the text extraction that honours
    /ActualText (SPEC 11): the head « exporta- » is a /Span whose ActualText is the word
    « exportations », the tail « tions » on the next line a /Span whose ActualText is empty.
    Each span stays on its own line (and page, when the paragraph is split there)."""

    struct: StructElem | None = None
    continued_tail: str | None = None  # a split part's first word ends a word hyphenated on the page before
    next_tail: str | None = None  # a split part's last line ends on a head whose tail is on the next page

    def split(self, available_width, available_height):
        lines = _line_words(self) if hasattr(self, "blPara") else []
        parts = super().split(available_width, available_height)
        for part in parts:
            part.struct = self.struct
        if len(parts) == 2:
            first, second = parts
            first.continued_tail = self.continued_tail
            second.next_tail = self.next_tail
            cut = len(first.blPara.lines)
            if 0 < cut < len(lines) and lines[cut - 1] and lines[cut - 1][-1].endswith("-"):
                first.next_tail = lines[cut][0]
                second.continued_tail = lines[cut][0]
        return parts

    def _hyphen_spans(self) -> list[tuple[str, str, str]]:
        """("head", head, whole word) and ("tail", tail, "") in the order they are drawn."""
        lines = [words for words in _line_words(self)]
        spans = []
        if self.continued_tail is not None and lines and lines[0]:
            spans.append(("tail", lines[0][0], ""))
        for index, words in enumerate(lines):
            if not words or not words[-1].endswith("-") or len(words[-1]) < 2:
                continue
            following = lines[index + 1][0] if index + 1 < len(lines) and lines[index + 1] else self.next_tail
            if following:
                spans.append(("head", words[-1], words[-1][:-1] + following))
                if index + 1 < len(lines):
                    spans.append(("tail", following, ""))
        return spans

    def beginText(self, x, y):
        text_object = super().beginText(x, y)
        spans = self._hyphen_spans() if getattr(self.canv, "struct_tree", None) is not None else []
        if spans:
            text_object._textOut = partial(_text_out_with_spans, text_object, text_object._textOut, spans)
        return text_object

    def draw(self):
        tree = getattr(self.canv, "struct_tree", None)
        if tree is None or self.struct is None:
            return super().draw()
        tree.begin(self.canv, self.struct)
        super().draw()
        tree.end(self.canv)


def _text_out_with_spans(text_object, text_out, spans: list[tuple[str, str, str]], text: str, TStar=0) -> None:  # noqa: N803 (ReportLab's name)
    """ReportLab's `_textOut` for one run of a line, the next hyphenation span (see
    TaggedParagraph) wrapped in its /Span when the run holds it: a head ends its line's
    text, a tail begins the next line's (a line's one run may hold both)."""
    if spans:
        kind, word, actual = spans[0]
        body = text.rstrip(" ") if kind == "head" else text.lstrip(" ")
        start = len(body) - len(word) if kind == "head" else len(text) - len(body)
        if (body.endswith(word) if kind == "head" else body.startswith(word)) and word:
            del spans[0]
            if start:
                text_out(text[:start])
            text_object._code.append(f"/Span <</ActualText {_actual_text(actual)}>> BDC")
            text_out(word)
            text_object._code.append("EMC")
            rest = text[start + len(word) :]
            if rest:  # a line whose tail begins it may end on a head: the same again
                _text_out_with_spans(text_object, text_out, spans, rest, TStar)
            elif TStar:
                text_object._code.append("T*")
            return
    text_out(text, TStar)


def tag_flowable(flowable: Flowable, tree: StructTree, elem: StructElem) -> Flowable:
    """`flowable` drawn as one marked content of `elem` (a chart: the Figure)."""
    draw = flowable.draw

    def tagged_draw():
        canvas = flowable.canv
        if getattr(canvas, "struct_tree", None) is not tree:
            return draw()
        tree.begin(canvas, elem)
        draw()
        tree.end(canvas)

    flowable.draw = tagged_draw
    return flowable


def artifact_flowable(flowable: Flowable) -> Flowable:
    """`flowable` drawn as layout decoration (the cover's letterhead): out of the tree."""
    draw = flowable.draw

    def artifact_draw():
        flowable.canv.addLiteral("/Artifact <</Type /Layout>> BDC")
        draw()
        flowable.canv.addLiteral("EMC")

    flowable.draw = artifact_draw
    return flowable


class _LabelDrawer(BulletDrawer):
    """A list bullet drawn as the marked content of its item's Lbl."""

    def __init__(self, bullet: BulletDrawer, tree: StructTree, label: StructElem):
        self.__dict__.update(bullet.__dict__)
        self._tree, self._label = tree, label

    def drawOn(self, indenter, canv, x, y, _sW=0):
        if getattr(canv, "struct_tree", None) is not self._tree:
            return super().drawOn(indenter, canv, x, y, _sW)
        self._tree.begin(canv, self._label)
        super().drawOn(indenter, canv, x, y, _sW)
        self._tree.end(canv)


class TaggedList(ListFlowable):
    """A bullet list whose items are LI elements: the bullet a Lbl, the paragraph its LBody.

    `labels` are the Lbl elements, one per item, in order."""

    def __init__(self, items, tree: StructTree, labels: list[StructElem], **kwargs):
        self._tags = (tree, labels)
        super().__init__(items, **kwargs)

    def _getContent(self):
        content = super()._getContent()
        tree, labels = self._tags
        indenters = [item for item in content if isinstance(item, LIIndenter) and item._bullet]
        for indenter, label in zip(indenters, labels):
            indenter._bullet = _LabelDrawer(indenter._bullet, tree, label)
        return content


class TableTags:
    """The Table / TR / TH / TD elements of a platypus Table, given as its `renderCB`:
    cells are marked contents of their TH or TD, backgrounds and rules artifacts."""

    def __init__(self, tree: StructTree, rows: int, columns: int, header_rows: int = 1, header_columns: int = 1):
        self.tree = tree
        table = tree.add("Table")
        self.cells: list[list[StructElem]] = []
        for row in range(rows):
            tr = tree.add("TR", table)
            self.cells.append(
                [
                    tree.add("TH", tr, scope="Column")
                    if row < header_rows
                    else tree.add("TH", tr, scope="Row")
                    if column < header_columns
                    else tree.add("TD", tr)
                    for column in range(columns)
                ]
            )

    def __call__(self, table, event: str, *args) -> None:
        canvas = table.canv
        if getattr(canvas, "struct_tree", None) is not self.tree:
            return
        if event in ("startBG", "startLines"):
            canvas.addLiteral("/Artifact <</Type /Layout>> BDC")
        elif event in ("endBG", "endLines", "endCell"):
            if event == "endCell":
                self.tree.end(canvas)
            else:
                canvas.addLiteral("EMC")
        elif event == "startCell":
            row, column = args[0], args[1]
            self.tree.begin(canvas, self.cells[row][column])


def tagged_canvas(base: type[Canvas], tree: StructTree, lang: str, xmp: bytes) -> type[Canvas]:
    """A canvas class that tags as it draws and writes `tree` when it saves."""

    class TaggedCanvas(base):
        struct_tree = tree

        def _addAnnotation(self, annotation, name=None, addtopage=1):
            recorder = getattr(self._doc, "page_recorder", None)  # a page being recorded (pdf_replay)
            if recorder is not None:
                recorder.link(annotation, name, addtopage)
            tree.annotation(self, annotation)
            super()._addAnnotation(annotation, name, addtopage)

        def _setAnnotations(self, page):
            super()._setAnnotations(page)
            index = self.getPageNumber() - 1
            page.__NoDefault__ = [*page.__NoDefault__, "StructParents", "Tabs"]
            page.StructParents = index
            page.Tabs = PDFName("S") if tree.page_has_annotations(index) else None

        def save(self):
            if len(self._code):
                self.showPage()
            tree.write(self, self.getPageNumber() - 1, lang, xmp)
            super().save()

    return TaggedCanvas


def begin_artifact(canvas: Canvas, kind: str = "Pagination") -> None:
    canvas.addLiteral(f"/Artifact <</Type /{kind}>> BDC")


def end_artifact(canvas: Canvas) -> None:
    canvas.addLiteral("EMC")


def xmp_metadata(title: str, creator: str, subject: str, lang: str, producer: str, created: datetime.datetime | None) -> bytes:
    """The XMP packet: Dublin Core title, creator, subject and language, pdfuaid:part 1."""
    if created is None:  # the date ReportLab writes then: SOURCE_DATE_EPOCH, or its fixed one
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        created = (
            datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
            if epoch.isdigit()
            else datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
        )
    moment = created.astimezone(datetime.UTC)
    date = f"{moment:%Y-%m-%dT%H:%M:%S}Z"
    t, c, s, p = (escape(value) for value in (title, creator, subject, producer))
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
        ' xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">\n'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{t}</rdf:li></rdf:Alt></dc:title>\n'
        f"<dc:creator><rdf:Seq><rdf:li>{c}</rdf:li></rdf:Seq></dc:creator>\n"
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{s}</rdf:li></rdf:Alt></dc:description>\n'
        f"<dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>\n"
        f"<pdf:Producer>{p}</pdf:Producer>\n"
        f"<xmp:CreatorTool>{p}</xmp:CreatorTool>\n"
        f"<xmp:CreateDate>{date}</xmp:CreateDate>\n"
        f"<xmp:ModifyDate>{date}</xmp:ModifyDate>\n"
        "<pdfuaid:part>1</pdfuaid:part>\n"
        '</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>'
    )
    return text.encode("utf-8")


HEADING_ROLES: dict[str, str] = {"title": "H1", "h1": "H2", "h2": "H3"}


def role_of_style(style: str) -> str:
    """The structure role of a paragraph style: the sheet title H1, page headings H2, their
    sub-headings H3, anything else a P."""
    return HEADING_ROLES.get(style, "P")
