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
  so the subsets of one face are merged into one program, widths and ToUnicode map; and every
  other stream the parts share (ICC profiles, images, their masks, forms) once.

The output is deterministic: the same parts give the same bytes (qpdf's deterministic /ID,
no timestamps, everything written in part and page order).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pikepdf

from .fontmerge import merge_fonts
from .pdfjointree import copy_object, merge_structure

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
            out.Root[key] = copy_object(out, first, first.Root[key])
        if "/Info" in first.trailer:
            out.trailer.Info = copy_object(out, first, first.trailer.Info)
        starts = _pages(out, sources, parts)
        dests = _dests(out, sources)
        for number, (source, start) in enumerate(zip(sources, starts, strict=True), 1):
            _links(out, source, start, dests, number)
        _outline(out, sources)
        _labels(out, sources, starts)
        merge_structure(out, sources, starts)
        merge_fonts(out)
        _share(out)
        buffer = io.BytesIO()
        version = max((s.pdf_version for s in sources), key=lambda v: tuple(int(x) for x in v.split(".")))
        out.save(buffer, deterministic_id=True, min_version=version, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()
    finally:
        for source in sources:
            source.close()


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
                names[name] = copy_object(out, source, dest)
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
                copy_object(out, source, item.Title) if "/Title" in item else pikepdf.String(""),
                copy_object(out, source, dest if dest is not None else action) if (dest is not None or action is not None) else None,
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


# Page labels ---------------------------------------------------------


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
            nums.append(copy_object(out, source, value))
    out.Root.PageLabels = pikepdf.Dictionary(Nums=nums)


# Shared resources ----------------------------------------------------------------------------------


def _share(out: pikepdf.Pdf) -> None:
    """Streams reached from the pages' resources and the output intents that are identical
    (dictionary and encoded bytes: an ICC profile, an image and its soft mask, a form) are
    written once: each reference goes to the first one reached, in page order."""
    first: dict[tuple[Any, ...], pikepdf.Stream] = {}
    canonical: dict[tuple[int, int], pikepdf.Stream] = {}
    walked: set[tuple[int, int]] = set()

    def key(value: Any) -> Any:
        return ("ref", value.objgen) if isinstance(value, pikepdf.Object) and value.is_indirect else repr(value)

    def stream(obj: pikepdf.Stream) -> pikepdf.Stream:
        if obj.objgen in canonical:
            return canonical[obj.objgen]
        canonical[obj.objgen] = obj  # while its own dictionary is walked (a cycle stays as it is)
        walk(obj)
        raw = obj.read_raw_bytes()
        entries = tuple(sorted((k, key(v)) for k, v in obj.items() if k != "/Length"))
        found = first.setdefault((entries, len(raw), hashlib.sha256(raw).digest()), obj)
        canonical[obj.objgen] = found
        return found

    def walk(container: Any) -> None:
        keys: list[Any] = list(container.keys()) if not isinstance(container, pikepdf.Array) else list(range(len(container)))
        for k in keys:
            if k in ("/Parent", "/P", "/Pg", "/StructParent", "/StructParents"):
                continue
            value = container[k]
            if isinstance(value, pikepdf.Stream):
                shared = stream(value)
                if shared.objgen != value.objgen:
                    container[k] = shared
            elif isinstance(value, (pikepdf.Dictionary, pikepdf.Array)):
                if value.is_indirect:
                    if value.objgen in walked:
                        continue
                    walked.add(value.objgen)
                walk(value)

    for page in out.pages:
        resources = page.obj.get("/Resources")
        if isinstance(resources, pikepdf.Dictionary) and not (resources.is_indirect and resources.objgen in walked):
            if resources.is_indirect:
                walked.add(resources.objgen)
            walk(resources)  # a direct dictionary is the page's own: changed in place
    if "/OutputIntents" in out.Root:
        walk(out.Root.OutputIntents)
