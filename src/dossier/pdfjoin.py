"""Joining separately typeset parts into one PDF, as a whole-document WeasyPrint build has it.

The build may lay out the cover, the contents and each section on its own (in parallel, and
cached); `join` makes one PDF of those parts that the finishing step (finish.py) takes exactly
as it takes a whole document. A pure function of bytes, on pikepdf:

- every page in order, with a blank page (the size and boxes of the part's first page)
  before a part that asks for one;
- one `/Dests` name tree holding every part's named destinations (WeasyPrint writes one for
  each id); a name in two parts keeps the first part's;
- a link to an anchor of another part, written by the part as `<a href="dossier-anchor:ID">`
  (a `/URI` action), becomes a link to the named destination `ID`, written as WeasyPrint
  writes a link within a document (`/Dest (ID)`, `/Contents (ID)`); an ID no part defines is
  a `JoinError`. Links within a part are named destinations already and keep working;
- one outline: the parts' outlines one after the other, each part's top-level items at the
  top level (a part starts at a section, the top of the bookmark levels);
- the first part's catalog entries (`/Lang`, `/ViewerPreferences`, `/MarkInfo`, XMP
  `/Metadata`, `/OutputIntents`…) and document information; page labels, if any, moved by
  the pages before each part;
- one structure tree: the kids of each part's `/Document` element under the first part's,
  the parent tree renumbered (each part's `/StructParents` and `/StructParent` keys moved past
  the previous parts'), so pdftags.py finds the tree it finds in a whole document;
- each font face once (fontmerge.py): WeasyPrint subsets a face per part, keeping glyph ids,
  so the subsets of one face are merged into one program, widths and ToUnicode map.

The output is deterministic: the same parts give the same bytes (qpdf's deterministic /ID,
no timestamps, everything written in part and page order).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pikepdf

from .fontmerge import merge_fonts

EXTERNAL = "dossier-anchor:"  # a part links to an anchor in another part as <a href="dossier-anchor:ID">
_BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")
_OWN = {"/Type", "/Pages", "/Names", "/Outlines", "/StructTreeRoot", "/PageLabels"}  # catalog keys join writes


@dataclass(frozen=True)
class Part:
    """One separately typeset part: WeasyPrint's PDF of it, and whether a blank page goes before it."""

    pdf: bytes
    blank_before: bool = False  # one blank page (the size of the part's first page) before it


class JoinError(Exception):
    """A part that cannot be joined; the message says which part (from 1) and why."""


def join(parts: Sequence[Part]) -> bytes:
    """One PDF of the parts, in order (see the module's docstring for what it holds)."""
    if not parts:
        raise JoinError("nothing to join: no parts were given")
    sources = [_open(number, part.pdf) for number, part in enumerate(parts, 1)]
    try:
        out = pikepdf.new()
        first = sources[0]
        for key in sorted(k for k in first.Root.keys() if k not in _OWN):
            out.Root[key] = _copy(out, first, first.Root[key])
        if "/Info" in first.trailer:
            out.trailer.Info = _copy(out, first, first.trailer.Info)
        starts = _pages(out, sources, parts)
        dests = _dests(out, sources)
        for number, (source, start) in enumerate(zip(sources, starts, strict=True), 1):
            _links(out, source, start, dests, number)
        _outline(out, sources)
        _labels(out, sources, starts)
        _structure(out, sources, starts)
        merge_fonts(out)
        buffer = io.BytesIO()
        version = max((s.pdf_version for s in sources), key=lambda v: tuple(int(x) for x in v.split(".")))
        out.save(buffer, deterministic_id=True, min_version=version, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()
    finally:
        for source in sources:
            source.close()


def _copy(out: pikepdf.Pdf, source: pikepdf.Pdf, obj: Any) -> Any:
    """A part's object in `out`, through qpdf's copier (each object copied once, its page
    references mapped to the copied pages). A direct array or dictionary stays direct (it is
    copied by way of an indirect object the output does not keep); a plain value is a value."""
    if isinstance(obj, pikepdf.Stream) or (isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)) and obj.is_indirect):
        return out.copy_foreign(obj)
    if isinstance(obj, pikepdf.Array):
        return pikepdf.Array(list(out.copy_foreign(source.make_indirect(obj))))
    if isinstance(obj, pikepdf.Dictionary):
        return pikepdf.Dictionary(dict(out.copy_foreign(source.make_indirect(obj)).items()))
    return obj


def _open(number: int, data: bytes) -> pikepdf.Pdf:
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise JoinError(f"part {number}: not a readable PDF ({exc})") from None
    if len(pdf.pages) == 0:
        pdf.close()
        raise JoinError(f"part {number}: it has no pages")
    return pdf


def _pages(out: pikepdf.Pdf, sources: list[pikepdf.Pdf], parts: Sequence[Part]) -> list[int]:
    """Copy every page (blank ones where asked); the index in `out` of each part's first page."""
    starts = []
    for source, part in zip(sources, parts, strict=True):
        if part.blank_before:
            model = source.pages[0].obj
            blank = pikepdf.Dictionary(Type=pikepdf.Name.Page, Resources=pikepdf.Dictionary())
            for box in _BOXES:
                if box in model:
                    blank[box] = pikepdf.Array([float(v) if not isinstance(v, int) else v for v in model[box]])
            blank.Contents = out.make_stream(b"")
            out.pages.append(pikepdf.Page(out.make_indirect(blank)))
        starts.append(len(out.pages))
        for page in source.pages:
            out.pages.append(page)
    return starts


def _tree_items(tree: Any) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in pikepdf.NameTree(tree).items()]


def _dests(out: pikepdf.Pdf, sources: list[pikepdf.Pdf]) -> set[str]:
    """One /Dests name tree of every part's named destinations (the first part's where two share
    a name); returns the names."""
    names: dict[str, Any] = {}
    for source in sources:
        tree = source.Root.get("/Names", pikepdf.Dictionary()).get("/Dests")
        if tree is None:
            continue
        for name, dest in _tree_items(tree):
            if name not in names:
                names[name] = _copy(out, source, dest)
    if names:
        joined = pikepdf.NameTree.new(out)
        for name in sorted(names):
            joined[name] = names[name]
        out.Root.Names = pikepdf.Dictionary(Dests=joined.obj)
    return set(names)


def _links(out: pikepdf.Pdf, source: pikepdf.Pdf, start: int, dests: set[str], number: int) -> None:
    """Each link to `dossier-anchor:ID` of one part (its pages from `start` in `out`) as a link to
    the named destination ID."""
    for index in range(start, start + len(source.pages)):
        for annot in out.pages[index].obj.get("/Annots", pikepdf.Array()):
            action = annot.get("/A")
            if not isinstance(action, pikepdf.Dictionary) or action.get("/S") != "/URI":
                continue
            uri = str(action.get("/URI", ""))
            if not uri.startswith(EXTERNAL):
                continue
            name = uri[len(EXTERNAL) :]
            if name not in dests:
                raise JoinError(f"part {number}: a link on its page {index - start + 1} goes to anchor '{name}', which no part has")
            del annot["/A"]
            annot.Dest = pikepdf.String(name)
            annot.Contents = pikepdf.String(name)


# The outline -------------------------------------------------------------------------------


@dataclass
class _Item:
    title: Any
    dest: Any
    count: int  # WeasyPrint's /Count: > 0 open, < 0 closed, 0 no children
    children: list[_Item]


def _read_outline(out: pikepdf.Pdf, source: pikepdf.Pdf, first: Any) -> list[_Item]:
    items = []
    seen: set[tuple[int, int]] = set()
    item = first
    while isinstance(item, pikepdf.Dictionary) and item.objgen not in seen:
        seen.add(item.objgen)
        dest = item.get("/Dest")
        action = item.get("/A")
        items.append(
            _Item(
                _copy(out, source, item.Title) if "/Title" in item else pikepdf.String(""),
                _copy(out, source, dest if dest is not None else action) if (dest is not None or action is not None) else None,
                int(item.get("/Count", 0)),
                _read_outline(out, source, item.get("/First")),
            )
        )
        item = item.get("/Next")
    return items


def _write_outline(out: pikepdf.Pdf, parent: Any, items: list[_Item]) -> int:
    """Write `items` under `parent`; returns how many items are visible below it when it is open."""
    objects = [out.make_indirect(pikepdf.Dictionary()) for _ in items]
    visible = len(items)
    for i, (item, obj) in enumerate(zip(items, objects, strict=True)):
        obj.Title = item.title
        if item.dest is not None:
            if isinstance(item.dest, pikepdf.Dictionary):
                obj.A = item.dest
            else:
                obj.Dest = item.dest
        obj.Parent = parent
        if i > 0:
            obj.Prev = objects[i - 1]
        if i + 1 < len(objects):
            obj.Next = objects[i + 1]
        below = _write_outline(out, obj, item.children) if item.children else 0
        obj.Count = 0 if not item.children else (below if item.count >= 0 else -below)
        if item.children and item.count >= 0:
            visible += below
    if objects:
        parent.First = objects[0]
        parent.Last = objects[-1]
    return visible


def _outline(out: pikepdf.Pdf, sources: list[pikepdf.Pdf]) -> None:
    items: list[_Item] = []
    for source in sources:
        outlines = source.Root.get("/Outlines")
        if isinstance(outlines, pikepdf.Dictionary):
            items.extend(_read_outline(out, source, outlines.get("/First")))
    if items:
        root = out.make_indirect(pikepdf.Dictionary())
        root.Count = _write_outline(out, root, items)
        out.Root.Outlines = root


# Page labels and the structure tree ---------------------------------------------------------


def _labels(out: pikepdf.Pdf, sources: list[pikepdf.Pdf], starts: list[int]) -> None:
    """Page labels, if any part has them: each part's ranges moved by the pages before it."""
    if not any("/PageLabels" in s.Root for s in sources):
        return
    nums = pikepdf.Array()
    for source, start in zip(sources, starts, strict=True):
        labels = source.Root.get("/PageLabels")
        entries = sorted((int(k), v) for k, v in pikepdf.NumberTree(labels).items()) if labels is not None else []
        if not entries or entries[0][0] != 0:
            entries.insert(0, (0, pikepdf.Dictionary(S=pikepdf.Name.D)))
        for key, value in entries:
            nums.append(start + key)
            nums.append(_copy(out, source, value))
    out.Root.PageLabels = pikepdf.Dictionary(Nums=nums)


def _structure(out: pikepdf.Pdf, sources: list[pikepdf.Pdf], starts: list[int]) -> None:
    """One structure tree: every part's top elements in the first part's `/Document` element
    (or under one root), the parent tree keys of each part moved past the previous parts'."""
    roots: list[Any] = [s.Root.get("/StructTreeRoot") for s in sources]
    if not all(isinstance(r, pikepdf.Dictionary) for r in roots):
        return  # untagged parts (or a mix): no tree, as WeasyPrint without pdf_tags
    tree = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    for key in sorted(k for k in roots[0].keys() if k not in ("/K", "/ParentTree", "/ParentTreeNextKey", "/Type", "/IDTree")):
        tree[key] = _copy(out, sources[0], roots[0][key])
    document: Any = None
    kids = pikepdf.Array()
    nums = pikepdf.Array()
    offset = 0
    for source, root, start in zip(sources, roots, starts, strict=True):
        assert isinstance(root, pikepdf.Dictionary)
        top = _kids_of(root)
        # The top elements' /P is the part's root: cut it before copying, so the copy does not
        # drag the part's whole root (and parent tree) along.
        for element in top:
            if isinstance(element, pikepdf.Dictionary) and "/P" in element:
                del element["/P"]
        if len(top) == 1 and top[0].get("/S") == "/Document":
            inner = _kids_of(top[0])
            for element in inner:
                if isinstance(element, pikepdf.Dictionary) and "/P" in element:
                    del element["/P"]
            if document is None:
                document = _copy(out, source, top[0])
                document.P = tree
                kids.append(document)
                moved = _kids_of(document)
            else:
                moved = [_copy(out, source, e) for e in inner]
                document.K = pikepdf.Array([*_kids_of(document), *moved])
            for element in moved:
                if isinstance(element, pikepdf.Dictionary) and "/S" in element:
                    element.P = document
        else:
            for element in top:
                copied = _copy(out, source, element)
                if isinstance(copied, pikepdf.Dictionary):
                    copied.P = tree
                kids.append(copied)
        parent_tree = root.get("/ParentTree")
        entries = sorted((int(k), v) for k, v in pikepdf.NumberTree(parent_tree).items()) if parent_tree is not None else []
        for key, value in entries:
            nums.append(key + offset)
            nums.append(_copy(out, source, value))
        for index in range(start, start + len(source.pages)):
            page = out.pages[index].obj
            if "/StructParents" in page:
                page.StructParents = int(page.StructParents) + offset
            for annot in page.get("/Annots", pikepdf.Array()):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        following = int(root.get("/ParentTreeNextKey", 0))
        offset += max(following, (entries[-1][0] + 1) if entries else 0)
    tree.K = kids
    tree.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=nums))
    out.Root.StructTreeRoot = tree


def _kids_of(element: Any) -> list[Any]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]
