"""Merging font programs that subset one face keeping glyph ids (fontTools), for fontmerge.py.

WeasyPrint subsets each part's font with HarfBuzz's "retain gids": glyph N of the face is glyph
N of every subset (the content streams show glyph ids), the glyphs a part does not use are
empty slots up to the highest id it uses, and its font's /W lists every glyph it drew. So the
merge needs no outline comparison, only the glyphs each part uses:

- TrueType (`glyf`): the subset with the most slots is the base; each empty slot of it that
  another part uses takes that part's glyph (a composite's components come along, named by the
  base's glyph names) and its horizontal and vertical metrics. The summary values (bounding
  box, `hhea`/`vhea` extremes, `maxp` maxima) are the extremes of the subsets'.
- CFF, CID-keyed (Noto CJK; HarfBuzz desubroutinizes: no subroutines): one bare CFF program of
  the glyphs used, each named by its glyph id, as pdffonts.py writes a re-subset program
  (`/CIDFontType0C`, so finish leaves it as it is): the subsets must have the same font dicts
  and private dicts, and each glyph keeps its font dict (FDSelect). Only the used glyphs are
  compiled, not the tens of thousands of empty slots.

Anything else (subroutines, different font dicts, a CFF program that is not CID-keyed, a table
fontTools cannot read) raises NotMergeable and the caller keeps the fonts apart. No timestamp
is written (`recalcTimestamp=False`).
"""

from __future__ import annotations

import io
from typing import Any

_PRIVATE = (
    "BlueValues",
    "OtherBlues",
    "FamilyBlues",
    "FamilyOtherBlues",
    "BlueScale",
    "BlueShift",
    "BlueFuzz",
    "StdHW",
    "StdVW",
    "StemSnapH",
    "StemSnapV",
    "ForceBold",
    "LanguageGroup",
    "ExpansionFactor",
    "initialRandomSeed",
    "defaultWidthX",
    "nominalWidthX",
)


class NotMergeable(Exception):
    """These programs cannot be merged safely: keep the fonts apart."""


def merge_programs(programs: list[bytes], used: list[set[int]], cff: bool) -> bytes:
    """One program with the glyphs each of `programs` is used for (`used`, its glyph ids: the
    CIDs of its font's /W, where WeasyPrint lists every glyph it drew), see the module's
    docstring: a TrueType program, or for CFF a bare CID-keyed CFF program (`/CIDFontType0C`)."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        fonts = [TTFont(io.BytesIO(p), recalcTimestamp=False, recalcBBoxes=False, lazy=True) for p in programs]
        counts = [len(f.getGlyphOrder()) for f in fonts]
        base_index = max(range(len(fonts)), key=lambda i: (counts[i], -i))
        base = fonts[base_index]
        others = [(f, u) for i, (f, u) in enumerate(zip(fonts, used, strict=True)) if i != base_index]
        if cff:
            if any("CFF " not in f or len(f["CFF "].cff.GlobalSubrs) for f in fonts):
                raise NotMergeable("not CFF programs, or with subroutines")
            return _compact_cff(fonts, used)
        if "glyf" not in base or any("glyf" not in f for f, _ in others):
            raise NotMergeable("not TrueType programs")
        _merge_glyf(base, others)
        _bounds(base, [f for f, _ in others])
        out = io.BytesIO()
        base.save(out, reorderTables=False)
    except (TTLibError, AssertionError, KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        raise NotMergeable(f"unreadable program: {exc}") from None
    return out.getvalue()


_LEAST = {"head": ("xMin", "yMin"), "hhea": ("minLeftSideBearing", "minRightSideBearing"), "vhea": ("minTopSideBearing", "minBottomSideBearing")}
_MOST = {
    "head": ("xMax", "yMax"),
    "hhea": ("advanceWidthMax", "xMaxExtent"),
    "vhea": ("advanceHeightMax", "yMaxExtent"),
    "maxp": (
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
    ),
}


def _bounds(base: Any, others: list[Any]) -> None:
    """The summary values of the merged font (bounding box, extreme metrics, `maxp`'s maxima),
    each the least or most of the subsets', as fontTools would recompute them from every glyph
    (which takes seconds on a CJK face's tens of thousands of slots)."""
    fonts = [base, *others]
    for tables, pick in ((_LEAST, min), (_MOST, max)):
        for tag, fields in tables.items():
            if tag not in base or any(tag not in f for f in others):
                continue
            for field in fields:
                values = [getattr(f[tag], field) for f in fonts if hasattr(f[tag], field)]
                if len(values) == len(fonts):
                    setattr(base[tag], field, pick(values))
    if "CFF " in base:
        boxes = [f["CFF "].cff.topDictIndex[0].FontBBox for f in fonts]
        top = base["CFF "].cff.topDictIndex[0]
        top.FontBBox = [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _metrics(base: Any, other: Any, name: str, other_name: str) -> None:
    for tag in ("hmtx", "vmtx"):
        if tag in base and tag in other and other_name in other[tag].metrics:
            base[tag].metrics[name] = other[tag].metrics[other_name]
    if "VORG" in base and "VORG" in other:
        records = other["VORG"].VOriginRecords
        if other_name in records:
            base["VORG"].VOriginRecords[name] = records[other_name]


def _merge_glyf(base: Any, others: list[tuple[Any, set[int]]]) -> None:
    order = base.getGlyphOrder()
    glyf = base["glyf"]
    for other, used in others:
        other_order = other.getGlyphOrder()
        other_glyf = other["glyf"]
        done: set[int] = set()
        stack = sorted((g for g in used if 0 < g < len(other_order)), reverse=True)
        if any(g >= len(other_order) for g in used):
            raise NotMergeable("a glyph used beyond the program's glyphs")
        while stack:
            gid = stack.pop()
            if gid in done:
                continue
            done.add(gid)
            other_name, name = other_order[gid], order[gid]
            glyph = other_glyf[other_name]
            if glyph.isComposite():  # its components come along, named as in the base
                stack.extend(other.getGlyphID(c.glyphName) for c in glyph.components)
                for component in glyph.components:
                    component.glyphName = order[other.getGlyphID(component.glyphName)]
            if glyph.numberOfContours == 0 or glyf[name].numberOfContours != 0:
                continue  # nothing to draw (a space), or the base has it
            glyf[name] = glyph
            _metrics(base, other, name, other_name)


def _private(fd: Any) -> tuple[Any, ...]:
    private = fd.Private
    if hasattr(private, "Subrs") and len(private.Subrs):
        raise NotMergeable("local subroutines")
    return tuple(repr(getattr(private, key, None)) for key in _PRIVATE)


def _bytecode(index: Any, gid: int) -> bytes:
    """The charstring of glyph `gid` of a CharStrings INDEX, read without making an object."""
    item = index.items[gid]
    if item is not None:
        item.compile()
        return bytes(item.bytecode)
    start, end = index.offsets[gid], index.offsets[gid + 1]
    index.file.seek(index.offsetBase + start)
    return bytes(index.file.read(end - start))


def _compact_cff(fonts: list[Any], used: list[set[int]]) -> bytes:
    """One bare CID-keyed CFF program of every glyph any of the subsets draws, as pdffonts.py
    writes a re-subset program. Each glyph is named by its glyph id, the code the content
    streams show: a bare CFF program is read by CID through its charset, and WeasyPrint's
    subsets carry a few glyphs whose CID differs from their id (Noto CJK's highest ids)."""
    from fontTools.misc.psCharStrings import T2CharString

    base = fonts[0]
    cff = base["CFF "].cff
    top = cff.topDictIndex[0]
    if not hasattr(top, "FDArray") or not hasattr(top, "ROS"):
        raise NotMergeable("a CFF program that is not CID-keyed")
    privates = [_private(fd) for fd in top.FDArray]
    index = top.CharStrings.charStringsIndex
    glyphs: dict[int, tuple[bytes, int]] = {0: (_bytecode(index, 0), top.FDSelect[0])}
    for font, gids in zip(fonts, used, strict=True):
        other_cff = font["CFF "].cff
        other = other_cff.topDictIndex[0]
        if len(other_cff.GlobalSubrs) or not hasattr(other, "FDArray") or [_private(fd) for fd in other.FDArray] != privates:
            raise NotMergeable("global subroutines or other font dicts")
        count = len(font.getGlyphOrder())
        other_index = other.CharStrings.charStringsIndex
        for gid in sorted(gids):
            if gid in glyphs:
                continue
            if gid >= count:
                raise NotMergeable("a glyph used beyond the program's glyphs")
            glyphs[gid] = (_bytecode(other_index, gid), other.FDSelect[gid])
    kept = sorted(glyphs)
    names = [".notdef"] + [f"cid{gid:05d}" for gid in kept[1:]]
    fds = list(top.FDArray)
    index.items = [T2CharString(bytecode=glyphs[g][0], private=fds[glyphs[g][1]].Private, globalSubrs=cff.GlobalSubrs) for g in kept]
    del index.file, index.offsets
    top.FDSelect.format = None
    top.FDSelect.gidArray = [glyphs[g][1] for g in kept]
    top.CharStrings.charStrings = {name: i for i, name in enumerate(names)}
    top.charset = names
    top.numGlyphs = len(names)
    base.setGlyphOrder(names)
    out = io.BytesIO()
    cff.compile(out, base)
    return out.getvalue()
