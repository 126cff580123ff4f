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
- no XMP metadata: `pdfmeta.write_metadata` writes it, and the document information to match,
  its dates from `Job.epoch` only.

- each run of text is a `Span` of its own (1,811 in the example): a `Span` that says nothing
  gives its marked content to its parent, and grouping elements left empty go;
- no `/Lang` but the document's, and footnotes as `Span`s: `tagged_at_source()` wraps
  WeasyPrint's tree builder while it writes the PDF, for `/Lang` from `lang` attributes and
  a `Note` with an `/ID` for each footnote.

Each step works on the PDF objects with pikepdf and is a function of the open PDF and plain
data; the checks in tests/test_tags.py walk the result the way a PDF/UA checker does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pikepdf

from . import weasy
from .finish import DocMeta
from .pdfmeta import write_metadata


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
    write_metadata(doc, meta, epoch)


@contextmanager
def tagged_at_source() -> Iterator[None]:
    """While WeasyPrint writes a tagged PDF: the structure element of every HTML element with a
    `lang` attribute gets `/Lang` (a `[歯舞群島]{lang=ja}` span, a Japanese original), so a screen
    reader switches voice (WeasyPrint 70 declares the document's language only); and each
    footnote in a page's footnote area is a `Note` with an `/ID` (WeasyPrint makes it a `Span`).

    The element objects are WeasyPrint's (see `weasy.editing_tags`): this only adds keys to them."""
    count = [0]

    def edit(box: weasy.TaggedBox, element: dict[str, Any]) -> None:
        lang = box.element.get("lang") if box.element is not None else None
        if lang and "Lang" not in element:
            element["Lang"] = weasy.pdf_string(lang)
        if box.in_footnote_area and element.get("S") in ("/Span", "/NonStruct", "/P", "/Div"):
            count[0] += 1  # a footnote: a Note, with the unique ID PDF/UA wants
            element["S"] = "/Note"
            element["ID"] = weasy.pdf_string(f"note-{count[0]}")

    with weasy.editing_tags(edit):
        yield


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
