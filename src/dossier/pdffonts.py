"""Finishing pass: re-subset every embedded font to the glyphs the pages show, losslessly.

WeasyPrint 70 subsets with "retain glyph ids" and then keeps every glyph id from 0 to the
highest one used, so a Noto CJK face that shows 34 glyphs carries a CFF charset and
horizontal and vertical metrics for some 46 000 (about 300 KB of the example's 547 KB).

The glyphs used are read from the content streams, not guessed: every text-showing
operator (Tj, TJ, ' and ") of the font, in the pages, the form XObjects and tiling
patterns they draw, and the appearance streams of annotations. No content stream
changes, so each code they show (a CID, with Identity-H) must keep naming its glyph:

- a CID-keyed CFF font (CIDFontType0) maps a CID to its glyph through the CFF charset.
  fontTools' subsetter keeps the CIDs in the charset (glyph `cid01234` stays CID 1234 at
  whatever glyph index), but a viewer reads the charset only in a bare CFF program: in an
  OpenType wrapper FreeType, hence poppler, takes the CID for a glyph index (seen: every
  Japanese glyph lost). So the program is written back as the bare CFF table
  (`/Subtype /CIDFontType0C`, PDF 1.3, allowed by PDF/A); the wrapper's other tables
  (hmtx, vmtx, cmap, OS/2) are not read by a PDF viewer: widths come from /W.
- a TrueType font (CIDFontType2) maps a CID to a glyph index through /CIDToGIDMap,
  Identity here. Compacting it would need a CIDToGIDMap as large as the empty entries it
  removes: measured on the example, 35 232 → 35 126 bytes for its six faces together, so
  TrueType faces are left as WeasyPrint wrote them.

Widths (/W), ToUnicode and the content streams stay as they are. Whatever the pass
cannot account for (a font reached from a place it does not read, text shown with no
font set, a font set through an ExtGState) leaves that font, or every font, untouched.
The output is deterministic: no timestamp is written (the CFF table has none).

Subsetting the two CJK faces is most of this pass's time; with a `cache.Store` each result
is kept under the kind "font", keyed by the font program WeasyPrint wrote, the CIDs shown
and the versions of fontTools and dossier (`subset_key`), and read back on the next build.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pikepdf

from . import cache

_CID_NAME = re.compile(r"cid(\d+)")
SHOW = {"Tj", "TJ", "'", '"'}  # the operators that show text (pdfcodes.py reads them too)


class Unknown(Exception):
    """Text this pass cannot attribute to a font: leave every font as it is."""


def _streams_of(appearance: Any) -> Iterator[pikepdf.Stream]:
    """The streams of an annotation's /AP entry (/N, /R, /D: a stream or a dict of states)."""
    for key in ("/N", "/R", "/D"):
        entry = appearance.get(key)
        if isinstance(entry, pikepdf.Stream):
            yield entry
        elif isinstance(entry, pikepdf.Dictionary):
            yield from (v for v in entry.values() if isinstance(v, pikepdf.Stream))


class Usage:
    """The codes each Type0 font shows, found by reading every content stream once: `page()` for
    each page (its annotations' appearances too); `Unknown` when text cannot be attributed."""

    def __init__(self) -> None:
        self.codes: dict[tuple[int, int], set[int]] = {}  # font objgen -> codes shown
        self.read: set[tuple[int, int]] = set()  # objgen of every content owner read
        self.unknown: set[tuple[int, int]] = set()  # fonts used in a way not accounted for

    def page(self, page: pikepdf.Page) -> None:
        self.read.add(page.obj.objgen)
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        self.content(page.obj, resources)
        for annot in page.obj.get("/Annots", []):
            for stream in _streams_of(annot.get("/AP", pikepdf.Dictionary())):
                self.form(stream, resources)

    def form(self, stream: pikepdf.Stream, inherited: Any) -> None:
        if stream.objgen in self.read and stream.objgen != (0, 0):
            return
        self.read.add(stream.objgen)
        self.content(stream, stream.get("/Resources", inherited))

    def content(self, owner: Any, resources: Any) -> None:
        fonts = resources.get("/Font", pikepdf.Dictionary())
        font: Any = None
        stack: list[Any] = []
        for instruction in pikepdf.parse_content_stream(owner):
            operands, op = instruction.operands, str(instruction.operator)
            if op == "q":
                stack.append(font)
            elif op == "Q":
                font = stack.pop() if stack else None
            elif op == "Tf":
                font = fonts.get(str(operands[0]))
                if font is None:
                    raise Unknown(f"font {operands[0]} not in the resources")
            elif op in SHOW:
                if font is None:
                    raise Unknown("text shown with no font set")
                strings = operands[-1] if op == "TJ" else [operands[-1]]
                codes = self.codes.setdefault(font.objgen, set())
                for s in strings:
                    if isinstance(s, pikepdf.String):
                        data = bytes(s)
                        codes.update(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2))
            elif op == "gs":
                state = resources.get("/ExtGState", pikepdf.Dictionary()).get(str(operands[0]))
                if state is not None and "/Font" in state:
                    raise Unknown("a font set through an ExtGState")
            elif op == "Do":
                xobject = resources.get("/XObject", pikepdf.Dictionary()).get(str(operands[0]))
                if xobject is not None and xobject.get("/Subtype") == "/Form":
                    self.form(xobject, resources)
        for pattern in resources.get("/Pattern", pikepdf.Dictionary()).values():
            if isinstance(pattern, pikepdf.Stream) and pattern.get("/PatternType") == 1:
                self.form(pattern, resources)

    def unread(self, doc: pikepdf.Pdf) -> None:
        """Fonts of resources owned by an object this pass did not read are not to be touched."""
        for obj in doc.objects:
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) and "/Resources" in obj and obj.objgen not in self.read:
                resources = obj.get("/Resources")
                if isinstance(resources, pikepdf.Dictionary):
                    for f in resources.get("/Font", pikepdf.Dictionary()).values():
                        self.unknown.add(f.objgen)


def _cff_subset(data: bytes, cids: set[int]) -> tuple[bytes, set[int]] | None:
    """The bare CFF program of an OpenType/CFF font with only .notdef and the glyphs of
    `cids`, each keeping its CID, and the CIDs it has; None if it is not a CID-keyed CFF
    whose glyphs are named by CID."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    if "CFF " not in font or not hasattr(font["CFF "].cff.topDictIndex[0], "ROS"):
        return None
    order = font.getGlyphOrder()
    by_cid = {}
    for name in order[1:]:
        match = _CID_NAME.fullmatch(name)
        if match is None:
            return None
        by_cid[int(match.group(1))] = name
    kept = {c for c in cids if c in by_cid}  # a code the font lacks showed .notdef, and still does
    options = subset.Options(
        glyph_names=True,
        notdef_outline=True,
        hinting=True,
        desubroutinize=False,
        passthrough_tables=True,
        name_IDs=["*"],
        name_languages=["*"],
        name_legacy=True,
        layout_features=["*"],
        legacy_kern=True,
        recalc_bounds=False,
        recalc_timestamp=False,
        prune_unicode_ranges=False,
        drop_tables=[],
    )
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=[by_cid[c] for c in sorted(kept)])
    subsetter.subset(font)
    cff = font["CFF "].cff
    out = io.BytesIO()
    cff.compile(out, font)
    return out.getvalue(), kept | {0}


def subset_key(data: bytes, cids: set[int]) -> str:
    """The key of `_cff_subset(data, cids)`'s result: the font program, the CIDs, and the
    versions of fontTools (the subsetter) and of dossier and its libraries."""
    from importlib.metadata import version

    return cache.key("cff subset", data, json.dumps(sorted(cids)), f"fonttools={version('fonttools')}", cache.versions())


def _cached_subset(data: bytes, cids: set[int], store: cache.Store | None) -> tuple[bytes, set[int]] | None:
    """`_cff_subset`, read from `store` when it was made before. An entry is the CIDs kept as a
    JSON line, then the program; "null" for a font that is not a CID-keyed CFF."""
    if store is None or store.root is None:
        return _cff_subset(data, cids)
    digest = subset_key(data, cids)
    kept = store.get("font", digest)
    if kept is not None:
        header, _, program = kept.partition(b"\n")
        try:
            present = json.loads(header)
        except ValueError:
            present = False  # a damaged entry is a miss
        if present is None:
            return None
        if isinstance(present, list) and program:
            return program, {int(c) for c in present}
    subset = _cff_subset(data, cids)
    entry = b"null\n" if subset is None else json.dumps(sorted(subset[1])).encode() + b"\n" + subset[0]
    store.put("font", digest, entry)
    return subset


def _cid_set(cids: set[int]) -> bytes:
    """A /CIDSet stream's bits: one per CID, most significant first (PDF 32000-1, 9.8.3.1)."""
    bits = bytearray((max(cids) // 8) + 1)
    for c in cids:
        bits[c // 8] |= 0x80 >> (c % 8)
    return bytes(bits)


def resubset(doc: pikepdf.Pdf, store: cache.Store | None = None) -> dict[str, tuple[int, int]]:
    """Shrink every CID-keyed CFF font program to the glyphs shown; returns, per font name,
    the program's decoded size before and after (for the build's figures and the tests).
    With `store`, a font subset the same way before is read from it."""
    usage = Usage()
    try:
        for page in doc.pages:
            usage.page(page)
    except Unknown:
        return {}
    usage.unread(doc)

    files: dict[tuple[int, int], tuple[pikepdf.Stream, list[Any], set[int]]] = {}
    blocked: set[tuple[int, int]] = set()
    for obj in doc.objects:
        if not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/Type0"):
            continue
        descendant: Any = obj.get("/DescendantFonts", [None])[0]
        descriptor: Any = descendant.get("/FontDescriptor") if descendant is not None else None
        program: Any = descriptor.get("/FontFile3") if descriptor is not None else None
        if program is None:
            continue
        if (
            obj.get("/Encoding") not in ("/Identity-H", "/Identity-V")
            or descendant.get("/Subtype") != "/CIDFontType0"
            or program.get("/Subtype") != "/OpenType"
            or obj.objgen in usage.unknown
        ):
            blocked.add(program.objgen)
            continue
        _, descriptors, cids = files.setdefault(program.objgen, (program, [], set()))
        descriptors.append(descriptor)
        cids |= usage.codes.get(obj.objgen, set())

    sizes = {}
    for key, (program, descriptors, cids) in files.items():
        if key in blocked or not cids:
            continue  # a font shown nowhere WeasyPrint would not have embedded: leave it
        before = program.read_bytes()
        subset = _cached_subset(before, cids, store)
        if subset is None or len(subset[0]) >= len(before):
            continue
        after, present = subset
        program.write(after)  # compressed again when the file is saved
        program.Subtype = pikepdf.Name.CIDFontType0C
        for descriptor in descriptors:
            if "/CIDSet" in descriptor:  # PDF/A: it must name exactly the CIDs the program has
                descriptor.CIDSet = doc.make_stream(_cid_set(present))
        sizes[str(descriptors[0].get("/FontName", key))] = (len(before), len(after))
    return sizes
