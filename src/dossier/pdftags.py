"""The finishing pass that makes WeasyPrint's tagged PDF accessible (PDF/UA-style), in every profile.

WeasyPrint 70 (`pdf_tags=True`) writes a structure tree, but one a PDF/UA check faults:

- the text of the page margins (running title, section, marking, "Page x of y") is marked
  as content whose structure elements hang outside the tree: here it becomes `/Artifact`
  (pagination) and leaves the parent tree;
- a link whose text holds an element of its own (`<a><span lang=ru>…</span></a>`, a
  citation in italics) gets one annotation per box, and those of the inner boxes sit in a
  `Span` or `NonStruct`, not in the `Link`: here every annotation's `OBJR` moves to its
  nearest `Link`, a `Link` inside a `Link` (a pseudo-element) becomes a `Span` whose
  annotations are the outer `Link`'s, and a link rectangle of no area (a line-break
  fragment) is dropped;
- `/Contents` of a link annotation is its bare target ("ref-unts263"): here it says where
  the link goes (the entry, event or section named by `Job.targets`, or the web address),
  and a `Link` with no text of its own (the transparent links over the timeline) gets that
  description as `/Alt` too;
- header cells carry no `/Scope`: a header in a row of headers is `/Column`, one in a row of
  data cells `/Row` (as the templates' `scope` attributes say, which WeasyPrint reads for
  `/Headers` but does not write);
- no XMP metadata: `xmp()` writes one packet (one `rdf:RDF`) with title, authors,
  description, edition, version, language and keywords, its dates from `Job.epoch` only.
  An identification the PDF's existing XMP carries (PDF/A `pdfaid`, PDF/UA `pdfuaid` and
  their extension schemas, written by WeasyPrint's `pdf_variant`) is kept in the same packet.

- each run of text is a `Span` of its own (1,811 in the example): a `Span` that says nothing
  gives its marked content to its parent, and grouping elements left empty go;
- no `/Lang` but the document's, and footnotes as `Span`s: `tagged_at_source()` wraps
  WeasyPrint's tree builder while it writes the PDF, for `/Lang` from `lang` attributes and
  a `Note` with an `/ID` for each footnote.

Each step works on the PDF objects with pikepdf and is a function of the open PDF and plain
data; the checks in tests/test_tags.py walk the result the way a PDF/UA checker does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pikepdf

from .finish import DocMeta
from .sourcedate import pdf_date, w3c_date

__all__ = ["DocMeta", "tagged_at_source", "tag", "xmp", "xmp_description"]


def tag(doc: pikepdf.Pdf, meta: DocMeta, epoch: int | None, targets: Mapping[str, str]) -> None:
    """Make the structure tree, annotations and metadata of a WeasyPrint PDF accessible."""
    root = doc.Root
    if "/StructTreeRoot" in root:
        tree = _Tree(doc)
        tree.artifacts()
        tree.links(targets)
        tree.scopes()
        tree.flatten()
        tree.prune()
        tree.save()
        for page in doc.pages:
            if "/Annots" in page.obj:
                page.obj.Tabs = pikepdf.Name.S  # tab order follows the structure
    root.MarkInfo = pikepdf.Dictionary(Marked=True)
    root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    root.Lang = pikepdf.String(meta.language)
    _docinfo(doc, meta, epoch)
    kept = _identification(doc)
    stream = pikepdf.Stream(doc, xmp(meta, epoch, str(doc.docinfo.get("/Producer", "")), kept))
    stream.Type = pikepdf.Name.Metadata
    stream.Subtype = pikepdf.Name.XML
    root.Metadata = doc.make_indirect(stream)


@contextmanager
def tagged_at_source() -> Iterator[None]:
    """While WeasyPrint writes a tagged PDF: the structure element of every HTML element with a
    `lang` attribute gets `/Lang` (a `[歯舞群島]{lang=ja}` span, a Japanese original), so a screen
    reader switches voice (WeasyPrint 70 declares the document's language only); and each
    footnote in a page's footnote area is a `Note` with an `/ID` (WeasyPrint makes it a `Span`).

    This wraps WeasyPrint's own tree builder (`weasyprint.pdf.tags._build_box_tree`, which yields
    the element it makes for each box) for the duration: the element objects are WeasyPrint's,
    and the wrapper only adds a key to them. Without that function (another WeasyPrint), nothing
    is changed."""
    try:
        from weasyprint.formatting_structure import boxes
        from weasyprint.pdf import tags as weasy_tags

        original = weasy_tags._build_box_tree  # noqa: SLF001 - see above
        import pydyf
    except (ImportError, AttributeError):
        yield
        return

    notes: set[int] = set()  # the boxes of footnote bodies: the children of a footnote area
    count = [0]

    def build(box: Any, *rest: Any) -> Iterator[Any]:
        own = box.element is not None and box.element_tag not in ("html", "body") and not isinstance(box, boxes.PageBox)
        lang = box.element.get("lang") if own else None
        if isinstance(box, boxes.FootnoteAreaBox):
            notes.update(id(child) for child in box.children)
        for element in original(box, *rest):
            if lang and "Lang" not in element:
                element["Lang"] = pydyf.String(lang)
            if id(box) in notes and element.get("S") in ("/Span", "/NonStruct", "/P", "/Div"):
                count[0] += 1  # a footnote: a Note, with the unique ID PDF/UA wants
                element["S"] = "/Note"
                element["ID"] = pydyf.String(f"note-{count[0]}")
            yield element

    weasy_tags._build_box_tree = build  # noqa: SLF001
    try:
        yield
    finally:
        weasy_tags._build_box_tree = original  # noqa: SLF001


# The structure tree ----------------------------------------------------------------------


def _kids(element: Any) -> list[Any]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _is_objr(kid: Any) -> bool:
    return isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"


def _is_element(kid: Any) -> bool:
    return isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/OBJR", "/MCR") and "/S" in kid


class _Tree:
    """The structure tree with the index the steps need: the parent tree as a dict, and the
    elements reachable from the root."""

    def __init__(self, doc: pikepdf.Pdf):
        self.doc = doc
        self.root = doc.Root.StructTreeRoot
        self.parents: dict[int, Any] = {}
        for key, value in pikepdf.NumberTree(self.root.ParentTree).items():
            self.parents[int(key)] = value
        self.pages = {page.obj.objgen: page for page in doc.pages}

    def reachable(self) -> dict[tuple[int, int], Any]:
        found: dict[tuple[int, int], Any] = {}
        stack = [k for k in _kids(self.root) if _is_element(k)]
        while stack:
            element = stack.pop()
            if element.objgen in found:
                continue
            found[element.objgen] = element
            stack.extend(k for k in _kids(element) if _is_element(k))
        return found

    def artifacts(self) -> None:
        """Marked content whose element is not in the tree (WeasyPrint's margin boxes) becomes
        a pagination artifact, and leaves the parent tree."""
        inside = self.reachable()
        for page in self.doc.pages:
            key = page.obj.get("/StructParents")
            if key is None or int(key) not in self.parents:
                continue
            mcids = self.parents[int(key)]
            orphans = {i for i, e in enumerate(mcids) if not isinstance(e, pikepdf.Dictionary) or e.objgen not in inside}
            if not orphans:
                continue
            ops = pikepdf.parse_content_stream(page)
            changed = False
            out = []
            for instruction in ops:
                operands = list(instruction.operands)
                if str(instruction.operator) == "BDC" and len(operands) == 2 and isinstance(operands[1], pikepdf.Dictionary):
                    mcid = operands[1].get("/MCID")
                    if mcid is not None and int(mcid) in orphans:
                        artifact = [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)]
                        instruction = pikepdf.ContentStreamInstruction(artifact, instruction.operator)
                        changed = True
                out.append(instruction)
            if changed:
                page.obj.Contents = self.doc.make_stream(pikepdf.unparse_content_stream(out))
            for i in orphans:
                mcids[i] = None  # no element: the MCID is no longer used on the page

    def links(self, targets: Mapping[str, str]) -> None:
        """Every link annotation in a `Link` element, no `Link` in a `Link`, no empty `Link`."""
        inside = self.reachable()
        parent_of: dict[tuple[int, int], Any] = {}
        objr_of: dict[tuple[int, int], tuple[Any, Any]] = {}  # annotation -> (element, its OBJR)
        for element in inside.values():
            for kid in _kids(element):
                if _is_element(kid):
                    parent_of[kid.objgen] = element
                elif _is_objr(kid):
                    objr_of[kid.Obj.objgen] = (element, kid)

        def link_of(element: Any) -> Any | None:
            """The element itself if it is a Link, else its nearest Link ancestor."""
            while element is not None and element.get("/S") != "/Link":
                element = parent_of.get(element.objgen)
            return element

        # A Link inside a Link (a pseudo-element, a nested box) keeps its text as a Span; its
        # annotations belong to the outer Link.
        for element in inside.values():
            if element.get("/S") == "/Link" and link_of(parent_of.get(element.objgen)) is not None:
                element.S = pikepdf.Name.Span
        for page in self.doc.pages:
            annots = page.obj.get("/Annots")
            if annots is None:
                continue
            keep = []
            for annot in annots:
                if annot.get("/Subtype") != "/Link" or annot.objgen not in objr_of:
                    keep.append(annot)
                    continue
                holder, objr = objr_of[annot.objgen]
                link = link_of(holder) or holder
                holder.K = pikepdf.Array([k for k in _kids(holder) if not (_is_objr(k) and k.Obj.objgen == annot.objgen)])
                x0, y0, x1, y1 = (float(v) for v in annot.Rect)
                if abs(x1 - x0) < 0.01 or abs(y1 - y0) < 0.01:  # a line-break fragment: nothing to click
                    self.parents.pop(int(annot.get("/StructParent", -1)), None)
                    if "/StructParent" in annot:
                        del annot["/StructParent"]
                    continue
                link.K = pikepdf.Array([*_kids(link), objr])
                self.parents[int(annot.StructParent)] = link
                description = _describe(annot, targets)
                annot.Contents = pikepdf.String(description)
                if "/Alt" not in link and all(_is_objr(k) for k in _kids(link)):
                    link.Alt = pikepdf.String(description)  # a Link with no text: the overlays on the timeline
                keep.append(annot)
            if len(keep) != len(annots):
                if keep:
                    page.obj.Annots = pikepdf.Array(keep)
                else:
                    del page.obj["/Annots"]
        # A Link left with nothing at all (its one annotation dropped) goes too.
        for element in list(inside.values()):
            if element.get("/S") == "/Link" and not _kids(element) and (parent := parent_of.get(element.objgen)) is not None:
                parent.K = pikepdf.Array([k for k in _kids(parent) if not (_is_element(k) and k.objgen == element.objgen)])

    def scopes(self) -> None:
        """`/Scope` on every header cell: `/Column` in a row of headers, `/Row` beside data cells."""
        for element in self.reachable().values():
            if element.get("/S") != "/TR":
                continue
            cells = [k for k in _kids(element) if _is_element(k) and k.get("/S") in ("/TH", "/TD")]
            scope = pikepdf.Name.Column if all(c.S == "/TH" for c in cells) else pikepdf.Name.Row
            for cell in cells:
                if cell.S == "/TH":
                    attributes = cell.get("/A")
                    if not isinstance(attributes, pikepdf.Dictionary):
                        attributes = cell.A = pikepdf.Dictionary(O=pikepdf.Name.Table)
                    attributes.Scope = scope

    def flatten(self) -> None:
        """A `Span` that only wraps marked content (WeasyPrint makes one for every run of text)
        gives its MCIDs to its parent: the same reading, a third of the objects. A `Span` that
        says something (`/Lang`, `/Alt`, an `/ID`) or holds anything else stays."""
        plain = {"/Type", "/S", "/K", "/P", "/Pg"}
        for parent in [self.root, *self.reachable().values()]:
            kids = _kids(parent)
            if not any(_is_element(k) and k.get("/S") == "/Span" for k in kids):
                continue
            pg = parent.get("/Pg")
            out: list[Any] = []
            changed = False
            for kid in kids:
                if (
                    _is_element(kid)
                    and kid.get("/S") == "/Span"
                    and pg is not None
                    and set(kid.keys()) <= plain
                    and kid.get("/Pg") is not None
                    and kid.Pg.objgen == pg.objgen
                    and _kids(kid)
                    and all(isinstance(k, int) for k in _kids(kid))
                ):
                    array = self.parents.get(int(self.pages[pg.objgen].obj.get("/StructParents", -1))) if pg.objgen in self.pages else None
                    if array is None:
                        out.append(kid)
                        continue
                    for mcid in _kids(kid):
                        array[mcid] = parent
                        out.append(mcid)
                    changed = True
                else:
                    out.append(kid)
            if changed:
                parent.K = pikepdf.Array(out)

    def prune(self) -> None:
        """Grouping elements with nothing in them (WeasyPrint's element for the zero-size block
        that carries the running title's string) leave the tree."""
        while True:
            inside = self.reachable()
            empty = {e.objgen for e in inside.values() if e.get("/S") in _PRUNABLE and not _kids(e) and "/Alt" not in e}
            if not empty:
                return
            for element in [self.root, *inside.values()]:
                kids = _kids(element)
                if any(_is_element(k) and k.objgen in empty for k in kids):
                    element.K = pikepdf.Array([k for k in kids if not (_is_element(k) and k.objgen in empty)])

    def save(self) -> None:
        """The parent tree back as one flat number tree, in key order."""
        nums = pikepdf.Array()
        for key in sorted(self.parents):
            nums.append(key)
            nums.append(self.parents[key])
        self.root.ParentTree = self.doc.make_indirect(pikepdf.Dictionary(Nums=nums))
        self.root.ParentTreeNextKey = (max(self.parents) + 1) if self.parents else 0


_PRUNABLE = ("/Div", "/Span", "/NonStruct", "/P", "/Part", "/Art", "/Sect")


def _describe(annot: Any, targets: Mapping[str, str]) -> str:
    """What a link annotation's `/Contents` says: the target's description, or the web address."""
    action = annot.get("/A")
    if isinstance(action, pikepdf.Dictionary) and action.get("/S") == "/URI":
        return str(action.URI)
    dest = annot.get("/Dest")
    name = str(dest) if isinstance(dest, pikepdf.String) else str(annot.get("/Contents", ""))
    return targets.get(name) or str(annot.get("/Contents", "")) or name


# Metadata -------------------------------------------------------------------------------

NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
}


def xmp_description(prefix: str, uri: str, properties: Iterable[tuple[str, str]]) -> str:
    """One `rdf:Description` of simple properties in a namespace, to pass to `xmp(extra=...)`."""
    body = "".join(f"<{prefix}:{name}>{escape(value)}</{prefix}:{name}>" for name, value in properties)
    return f'<rdf:Description rdf:about="" xmlns:{prefix}={quoteattr(uri)}>{body}</rdf:Description>'


def xmp(meta: DocMeta, epoch: int | None, producer: str = "", extra: Sequence[str] = ()) -> bytes:
    """The XMP packet of the briefing: one `rdf:RDF`, the `extra` descriptions (PDF/A and PDF/UA
    identification, say) inside it; every date from `epoch`, so the bytes are reproducible
    (no date at all without one: never the time of the build)."""

    def alt(name: str, value: str) -> str:
        return f'<{name}><rdf:Alt><rdf:li xml:lang="x-default">{escape(value)}</rdf:li></rdf:Alt></{name}>'

    def seq(name: str, kind: str, values: Iterable[str]) -> str:
        items = "".join(f"<rdf:li>{escape(v)}</rdf:li>" for v in values)
        return f"<{name}><rdf:{kind}>{items}</rdf:{kind}></{name}>"

    dc = [alt("dc:title", meta.title)]
    if meta.authors:  # one entry, the text of /Author: PDF/A compares the two as strings
        dc.append(seq("dc:creator", "Seq", [", ".join(meta.authors)]))
    if meta.subtitle:
        dc.append(alt("dc:description", meta.subtitle))
    dc.append(seq("dc:language", "Bag", [meta.language]))
    if meta.edition:
        dc.append(seq("dc:date", "Seq", [meta.edition]))
    if meta.keywords:
        dc.append(seq("dc:subject", "Bag", meta.keywords))
    dc.append("<dc:format>application/pdf</dc:format>")
    props = ["<xmp:CreatorTool>dossier</xmp:CreatorTool>"]
    if epoch is not None:
        stamp = w3c_date(epoch)
        props[:0] = [
            f"<xmp:CreateDate>{stamp}</xmp:CreateDate>",
            f"<xmp:ModifyDate>{stamp}</xmp:ModifyDate>",
            f"<xmp:MetadataDate>{stamp}</xmp:MetadataDate>",
        ]
    if producer:
        props.append(f"<pdf:Producer>{escape(producer)}</pdf:Producer>")
    if meta.keywords:
        props.append(f"<pdf:Keywords>{escape(', '.join(meta.keywords))}</pdf:Keywords>")
    if meta.version:
        props.append(f"<xmpMM:VersionID>{escape(meta.version)}</xmpMM:VersionID>")
    xmlns = " ".join(f"xmlns:{p}={quoteattr(u)}" for p, u in NAMESPACES.items())
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'<rdf:Description rdf:about="" {xmlns}>{"".join(dc)}{"".join(props)}</rdf:Description>\n'
        + "".join(f"{e}\n" for e in extra)
        + "</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def _docinfo(doc: pikepdf.Pdf, meta: DocMeta, epoch: int | None) -> None:
    """The document information says what the XMP says (PDF/A wants them equal)."""
    info = doc.docinfo
    info.Title = pikepdf.String(meta.title)
    if meta.authors:
        info.Author = pikepdf.String(", ".join(meta.authors))
    if meta.subtitle:
        info.Subject = pikepdf.String(meta.subtitle)
    if meta.keywords:
        info.Keywords = pikepdf.String(", ".join(meta.keywords))
    info.Creator = pikepdf.String("dossier")
    for key in ("/CreationDate", "/ModDate"):
        if epoch is None:
            if key in info:
                del info[key]
        else:
            info[key] = pikepdf.String(pdf_date(epoch))


_KEPT = ("http://www.aiim.org/pdfa/ns/id/", "http://www.aiim.org/pdfua/ns/id/", "http://www.aiim.org/pdfa/ns/extension/")


def _identification(doc: pikepdf.Pdf) -> list[str]:
    """The `rdf:Description`s of the PDF's existing XMP that identify a standard (PDF/A, PDF/UA
    and the extension schemas PDF/A wants for them), re-serialised to go in the new packet."""
    from xml.etree import ElementTree as ET

    stream = doc.Root.get("/Metadata")
    if stream is None:
        return []
    try:
        tree = ET.fromstring(re.sub(rb"<\?xpacket[^>]*\?>", b"", stream.read_bytes()))
    except ET.ParseError:
        return []
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    kept = []
    for description in tree.iter(f"{rdf}Description"):
        names = list(description.attrib) + [c.tag for c in description]
        if any(n.startswith("{" + uri) for n in names for uri in _KEPT):
            for prefix, uri in (
                ("pdfaid", _KEPT[0]),
                ("pdfuaid", _KEPT[1]),
                ("pdfaExtension", _KEPT[2]),
                ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
                ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#"),
                ("rdf", rdf[1:-1]),
            ):
                ET.register_namespace(prefix, uri)
            # The packet's rdf:RDF declares rdf: once; ElementTree repeats it on each element it writes.
            kept.append(ET.tostring(description, encoding="unicode").replace(f' xmlns:rdf="{rdf[1:-1]}"', "", 1))
    return kept
