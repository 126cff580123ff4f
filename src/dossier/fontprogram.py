"""Merging font programs that subset one face keeping glyph ids (fontTools), for fontmerge.py.

WeasyPrint subsets each part's font with HarfBuzz's "retain gids": glyph N of the face is glyph
N of every subset (the content streams show glyph ids), the glyphs a part does not use are
empty slots up to the highest id it uses, and its font's /W lists every glyph it drew. So the
merge needs no outline comparison, only the glyphs each part uses:

- TrueType (`glyf`): the subset with the most slots is the base; each empty slot of it that
  another part uses takes that part's glyph bytes (a composite's components come along: they
  are named by glyph id, the same in every subset) and its horizontal metrics; `loca` is
  written anew (long offsets). No glyph is parsed or re-encoded. The summary values (bounding
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
import struct
from types import SimpleNamespace
from typing import Any

from .fontcff import CffError, CidCff, cff_table


class NotMergeable(Exception):
    """These programs cannot be merged safely: keep the fonts apart."""


def merge_programs(programs: list[bytes], used: list[set[int]], cff: bool) -> bytes:
    """One program with the glyphs each of `programs` is used for (`used`, its glyph ids: the
    CIDs of its font's /W, where WeasyPrint lists every glyph it drew), see the module's
    docstring: a TrueType program, or for CFF a bare CID-keyed CFF program (`/CIDFontType0C`)."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        if cff:
            return _compact_cff(programs, used)
        fonts = [TTFont(io.BytesIO(p), recalcTimestamp=False, recalcBBoxes=False, lazy=True) for p in programs]
        if any("glyf" not in f or "loca" not in f or "hmtx" not in f for f in fonts):
            raise NotMergeable("not TrueType programs")
        counts = [int(f["maxp"].numGlyphs) for f in fonts]
        base_index = max(range(len(fonts)), key=lambda i: (counts[i], -i))
        base = fonts[base_index]
        others = [(f, u) for i, (f, u) in enumerate(zip(fonts, used, strict=True)) if i != base_index]
        _merge_glyf(base, others)
        _bounds(base, [f for f, _ in others])
        out = io.BytesIO()
        base.save(out, reorderTables=False)
    except (TTLibError, AssertionError, KeyError, IndexError, ValueError, AttributeError, TypeError, struct.error) as exc:
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


def _glyphs(font: Any) -> list[bytes]:
    """The `glyf` bytes of each glyph id, cut at the `loca` offsets (no glyph is parsed)."""
    count = int(font["maxp"].numGlyphs)
    loca, glyf = font.reader["loca"], font.reader["glyf"]
    if font["head"].indexToLocFormat == 0:
        offsets = [2 * x for x in struct.unpack(f">{count + 1}H", loca[: 2 * (count + 1)])]
    else:
        offsets = list(struct.unpack(f">{count + 1}I", loca[: 4 * (count + 1)]))
    return [glyf[offsets[i] : offsets[i + 1]] for i in range(count)]


def _components(data: bytes) -> list[int]:
    """The glyph ids a composite glyph is made of (OpenType `glyf`: component records)."""
    out, i = [], 10
    while True:
        flags, gid = struct.unpack(">HH", data[i : i + 4])
        out.append(gid)
        i += 4 + (4 if flags & 0x0001 else 2)  # ARG_1_AND_2_ARE_WORDS
        i += 2 if flags & 0x0008 else 4 if flags & 0x0040 else 8 if flags & 0x0080 else 0  # the scale
        if not flags & 0x0020:  # MORE_COMPONENTS
            return out


def _merge_glyf(base: Any, others: list[tuple[Any, set[int]]]) -> None:
    """Fill the base's empty slots with the glyphs the other parts use (and their components),
    on the tables' bytes: glyph data is copied as it is, `loca` rewritten (long offsets), and
    the horizontal metrics of each glyph copied where both fonts keep one per glyph."""
    from fontTools.ttLib.tables.DefaultTable import DefaultTable

    glyphs = _glyphs(base)
    hmtx = bytearray(base.reader["hmtx"])
    metrics = int(base["hhea"].numberOfHMetrics)
    for other, used in others:
        theirs = _glyphs(other)
        their_hmtx, their_metrics = other.reader["hmtx"], int(other["hhea"].numberOfHMetrics)
        stack = sorted(used, reverse=True)
        done: set[int] = set()
        while stack:
            gid = stack.pop()
            if gid in done or gid == 0:
                continue
            done.add(gid)
            if gid >= len(theirs) or gid >= len(glyphs):
                raise NotMergeable("a glyph used beyond the program's glyphs")
            data = theirs[gid]
            if len(data) >= 10 and struct.unpack(">h", data[:2])[0] == -1:
                stack.extend(_components(data))
            if not data or glyphs[gid]:
                continue  # nothing to draw (a space), or the base has it
            glyphs[gid] = data
            if gid < metrics and gid < their_metrics:
                hmtx[4 * gid : 4 * gid + 4] = their_hmtx[4 * gid : 4 * gid + 4]
    offsets, chunks, at = [0], [], 0
    for data in glyphs:
        padded = data + b"\0" * (-len(data) % 4)
        chunks.append(padded)
        at += len(padded)
        offsets.append(at)
    base["head"].indexToLocFormat = 1
    for tag, raw in (("glyf", b"".join(chunks)), ("loca", struct.pack(f">{len(offsets)}I", *offsets)), ("hmtx", bytes(hmtx))):
        table = DefaultTable(tag)
        table.data = raw
        base.tables[tag] = table


def _compact_cff(programs: list[bytes], used: list[set[int]]) -> bytes:
    """One bare CID-keyed CFF program of every glyph any of the subsets draws, as pdffonts.py
    writes a re-subset program. Each glyph is named by its glyph id, the code the content
    streams show: a bare CFF program is read by CID through its charset, and WeasyPrint's
    subsets carry a few glyphs whose CID differs from their id (Noto CJK's highest ids).
    The glyphs are read with fontcff.py; fontTools writes the program from the first subset's
    top and font dicts, never reading its tens of thousands of empty slots."""
    from fontTools.cffLib import CFFFontSet, CharStrings, FDSelect
    from fontTools.misc.psCharStrings import T2CharString

    try:
        tables = [cff_table(p) for p in programs]
        readers = [CidCff(t) for t in tables]
    except CffError as exc:
        raise NotMergeable(str(exc)) from None
    if any(r.privates != readers[0].privates for r in readers):
        raise NotMergeable("other font dicts")
    glyphs: dict[int, tuple[bytes, int]] = {0: (readers[0].charstring(0), readers[0].fd(0))}
    for reader, gids in zip(readers, used, strict=True):
        for gid in sorted(gids):
            if gid in glyphs:
                continue
            if gid >= reader.count:
                raise NotMergeable("a glyph used beyond the program's glyphs")
            glyphs[gid] = (reader.charstring(gid), reader.fd(gid))
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(tables[0]), None)
    top = cff.topDictIndex[0]
    kept = sorted(glyphs)
    names = [".notdef"] + [f"cid{gid:05d}" for gid in kept[1:]]
    fds = list(top.FDArray)
    select = FDSelect()
    select.gidArray = [glyphs[g][1] for g in kept]
    charstrings = CharStrings(None, names, cff.GlobalSubrs, None, select, top.FDArray)
    for name, gid in zip(names, kept, strict=True):
        code, fd = glyphs[gid]
        charstrings[name] = T2CharString(bytecode=code, private=fds[fd].Private, globalSubrs=cff.GlobalSubrs)
    top.charset = names
    top.FDSelect = select
    top.CharStrings = charstrings
    top.numGlyphs = len(names)
    out = io.BytesIO()
    cff.compile(out, SimpleNamespace(recalcBBoxes=False))  # the compiler asks the font only this
    return out.getvalue()
