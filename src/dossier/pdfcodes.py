"""Part of the email profile's slimming (pdfslim.py): text shown with one byte per glyph.

WeasyPrint shows every glyph with a 2-byte code (`/Identity-H`: the code is the CID, and for
its TrueType fonts the CID is the glyph id, up to 2,738 in the example's subsets), though no
font of a briefing shows more than a few hundred glyphs (the example: 21 to 137). Each
TrueType CID font whose glyphs shown fit in 256 ids is cut down to them (and their
components), numbered from 0 in their order (fontTools), and shown with 1-byte codes: its
`/Encoding` is an embedded CMap mapping each byte to the CID of the same number (PDF 32000-1,
9.7.5; one stream for all), `/CIDToGIDMap` stays `/Identity`, `/W` and the ToUnicode CMap
are written for the new numbers, and so is every string shown with the font. Widths, glyphs
and text are those of before; the file is smaller by about one byte per glyph shown.

Not where a content stream sets word spacing (`Tw`, `"`): it applies to a 1-byte code 32,
and to no 2-byte code. A font used in a way this pass does not follow (pdffonts' reader
stops, a program shared by two fonts, or the file has annotation appearances, tiling
patterns or forms that show text, which pdfslim does not rewrite) keeps its codes. The
CID-keyed CFF (CJK) fonts keep theirs: their CIDs are named in the CFF's charset.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pikepdf

from . import pdffonts

Plan = dict[tuple[int, int], dict[int, int]]  # font objgen -> {old 2-byte code: new byte}


def _widths(w: Any) -> dict[int, Any]:
    """CID -> width of a CIDFont's /W array (both forms: `c [w …]` and `c_first c_last w`)."""
    out: dict[int, Any] = {}
    items = list(w)
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for n, width in enumerate(items[i + 1]):
                out[first + n] = width
            i += 2
        else:
            for cid in range(first, int(items[i + 1]) + 1):
                out[cid] = items[i + 2]
            i += 3
    return out


def _w(widths: dict[int, Any]) -> pikepdf.Array:
    """A /W array of runs of consecutive CIDs."""
    out: list[Any] = []
    run: list[Any] = []
    start = last = -2
    for cid in sorted(widths):
        if cid != last + 1 and run:
            out += [start, pikepdf.Array(run)]
            run = []
        if not run:
            start = cid
        run.append(widths[cid])
        last = cid
    if run:
        out += [start, pikepdf.Array(run)]
    return pikepdf.Array(out)


def _renumbered(program: bytes, shown: set[int]) -> tuple[bytes, dict[int, int]] | None:
    """The TrueType program cut down to .notdef, the glyphs `shown` (by glyph id) and their
    components, numbered from 0 in their order; and old glyph id -> new. None if a glyph shown
    would not get a 1-byte id."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(program), recalcTimestamp=False, recalcBBoxes=False)
    order = font.getGlyphOrder()
    if "glyf" not in font or max(shown) >= len(order):
        return None
    options = subset.Options(
        retain_gids=False,
        notdef_outline=True,
        glyph_names=False,
        hinting=True,
        layout_features=[],
        name_IDs=[],
        drop_tables=["name", "post", "GDEF", "GSUB", "GPOS", "gasp"],
        recalc_bounds=False,
        recalc_timestamp=False,
        prune_unicode_ranges=False,
        notdef_glyph=True,
    )
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=sorted(shown | {0}))
    subsetter.subset(font)
    position = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    mapping = {old: position[order[old]] for old in shown}
    if max(mapping.values()) > 255:
        return None
    out = io.BytesIO()
    font.save(out, reorderTables=False)
    return out.getvalue(), mapping


def renumber(doc: pikepdf.Pdf) -> Plan:
    """Each TrueType CID font that can take 1-byte codes, cut down and numbered again with its
    /Encoding, /W and ToUnicode; returns the new code of each old one, for `recode()` to
    write into every content stream."""
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and ((obj.get("/Type") == "/Annot" and "/AP" in obj) or obj.get("/PatternType") == 1):
            return {}
        if (
            isinstance(obj, pikepdf.Stream)
            and obj.get("/Subtype") == "/Form"
            and any(str(i.operator) in pdffonts.SHOW for i in pikepdf.parse_content_stream(obj))
        ):
            return {}  # text in a form: pdfslim rewrites the forms of pages, not those of forms
    for page in doc.pages:
        if any(str(i.operator) in ("Tw", '"') for i in pikepdf.parse_content_stream(page.obj)):
            return {}
    usage = pdffonts.Usage()
    try:
        for page in doc.pages:
            usage.page(page)
    except pdffonts.Unknown:
        return {}
    usage.unread(doc)
    out: Plan = {}
    encoding: pikepdf.Object | None = None
    users: dict[tuple[int, int], int] = {}  # font program -> Type0 fonts showing with it
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0":
            for cidfont in obj.get("/DescendantFonts", []):
                program = cidfont.get("/FontDescriptor", pikepdf.Dictionary()).get("/FontFile2")
                if isinstance(program, pikepdf.Stream):
                    users[program.objgen] = users.get(program.objgen, 0) + 1
    for obj in doc.objects:
        if not (
            isinstance(obj, pikepdf.Dictionary)
            and obj.get("/Subtype") == "/Type0"
            and obj.get("/Encoding") == "/Identity-H"
            and obj.objgen not in usage.unknown
        ):
            continue
        cidfont = obj.DescendantFonts[0]
        descriptor = cidfont.get("/FontDescriptor", pikepdf.Dictionary())
        program = descriptor.get("/FontFile2")
        tounicode = obj.get("/ToUnicode")
        shown = usage.codes.get(obj.objgen, set())
        if (
            cidfont.get("/Subtype") != "/CIDFontType2"
            or cidfont.get("/CIDToGIDMap") != "/Identity"
            or not isinstance(program, pikepdf.Stream)
            or users.get(program.objgen) != 1
            or "/CIDSet" in descriptor
            or not shown
            or not isinstance(cidfont.get("/W"), pikepdf.Array)
            or not isinstance(tounicode, pikepdf.Stream)
            or unicode_map(tounicode.read_bytes()) is None
        ):
            continue
        renumbered = _renumbered(program.read_bytes(), shown)
        if renumbered is None:
            continue
        data, mapping = renumbered
        old = unicode_map(tounicode.read_bytes())
        assert old is not None
        program.write(data)
        program.Length1 = len(data)
        widths = _widths(cidfont.W)
        cidfont.W = _w({new: widths[o] for o, new in mapping.items() if o in widths})
        tounicode.write(unicode_cmap({bytes((new,)): old[o.to_bytes(2, "big")] for o, new in mapping.items() if o.to_bytes(2, "big") in old}, 1))
        if encoding is None:
            encoding = doc.make_indirect(_identity(doc))
        obj.Encoding = encoding
        out[obj.objgen] = mapping
    return out


def recode(instructions: list[Any], resources: Any, fonts: Plan) -> list[Any]:
    """A content stream's instructions with the strings of the planned fonts in their new codes."""
    if not fonts:
        return instructions
    named = resources.get("/Font", pikepdf.Dictionary()) if resources is not None else pikepdf.Dictionary()
    font: dict[int, int] | None = None
    stack: list[dict[int, int] | None] = []
    out = []
    for instruction in instructions:
        op = str(instruction.operator)
        if op == "q":
            stack.append(font)
        elif op == "Q":
            font = stack.pop() if stack else None
        elif op == "Tf":
            f = named.get(str(instruction.operands[0]))
            font = fonts.get(f.objgen) if f is not None else None
        elif op in pdffonts.SHOW and font is not None:
            operands = list(instruction.operands)
            last = operands[-1]
            if isinstance(last, pikepdf.Array):
                operands[-1] = pikepdf.Array([_string(x, font) if isinstance(x, pikepdf.String) else x for x in last])
            else:
                operands[-1] = _string(last, font)
            instruction = pikepdf.ContentStreamInstruction(operands, instruction.operator)
        out.append(instruction)
    return out


def _string(s: Any, font: dict[int, int]) -> pikepdf.String:
    data = bytes(s)
    return pikepdf.String(bytes(font[int.from_bytes(data[i : i + 2], "big")] for i in range(0, len(data) - 1, 2)))


_CMAP_PAIR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_CMAP_TRIPLE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def unicode_map(data: bytes) -> dict[bytes, bytes] | None:
    """Code -> UTF-16BE text of a ToUnicode CMap made of bfchar and bfrange blocks (with
    string destinations) under one codespace of all 1- or 2-byte codes; None for any other."""
    spaces = re.findall(rb"begincodespacerange(.*?)endcodespacerange", data, re.S)
    ranges = [tuple(x.lower() for x in m.groups()) for m in _CMAP_PAIR.finditer(spaces[0])] if len(spaces) == 1 else []
    if ranges not in ([(b"0000", b"ffff")], [(b"00", b"ff")]):
        return None
    width = len(ranges[0][0]) // 2
    mapping: dict[bytes, bytes] = {}
    blocks = re.findall(rb"begin(bfchar|bfrange)(.*?)end\1", data, re.S)
    rest = re.sub(rb"\d+\s+begin(bfchar|bfrange).*?end\1", b"", data, flags=re.S)
    if b"[" in b"".join(body for _, body in blocks) or b"bf" in rest or b"cidrange" in rest or b"cidchar" in rest:
        return None  # an array destination, or a block of another kind
    for kind, body in blocks:
        for m in (_CMAP_PAIR if kind == b"bfchar" else _CMAP_TRIPLE).finditer(body):
            if kind == b"bfchar":
                mapping[bytes.fromhex(m.group(1).decode())] = bytes.fromhex(m.group(2).decode())
            else:
                low, high = int(m.group(1), 16), int(m.group(2), 16)
                dst = bytes.fromhex(m.group(3).decode())
                for i, code in enumerate(range(low, high + 1)):
                    mapping[code.to_bytes(width, "big")] = dst[:-1] + bytes((dst[-1] + i,))
    return mapping if all(len(c) == width for c in mapping) else None


def unicode_cmap(mapping: dict[bytes, bytes], width: int = 2) -> bytes:
    """A ToUnicode CMap of `mapping` in runs: consecutive codes whose one-unit texts are
    consecutive too share a bfrange line (same first byte, no carry: PDF 32000-1, 9.10.3)."""
    ranges: list[list[Any]] = []  # [first code, last code, first text]
    chars: list[tuple[bytes, bytes]] = []
    for code in sorted(mapping):
        text = mapping[code]
        last = ranges[-1] if ranges else None
        if (
            last is not None
            and len(text) == 2
            and int.from_bytes(code, "big") == int.from_bytes(last[1], "big") + 1
            and code[:-1] == last[1][:-1]
            and int.from_bytes(text, "big") == int.from_bytes(last[2], "big") + int.from_bytes(code, "big") - int.from_bytes(last[0], "big")
            and text[0] == last[2][0]
        ):
            last[1] = code
        else:
            ranges.append([code, code, text])
    runs = []
    for first, last, text in ranges:
        if first == last:
            chars.append((first, text))
        else:
            runs.append((first, last, text))

    def blocks(kind: bytes, lines: list[bytes]) -> bytes:
        return b"".join(
            b"%d begin%s\n%s\nend%s\n" % (len(lines[i : i + 100]), kind, b"\n".join(lines[i : i + 100]), kind) for i in range(0, len(lines), 100)
        )

    return (
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        b"1 begincodespacerange\n<%s> <%s>\nendcodespacerange\n"
        % (b"00" * width, b"ff" * width)
        + blocks(b"bfchar", [b"<%s> <%s>" % (c.hex().encode(), t.hex().encode()) for c, t in chars])
        + blocks(b"bfrange", [b"<%s> <%s> <%s>" % (a.hex().encode(), b.hex().encode(), t.hex().encode()) for a, b, t in runs])
        + b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )


def _identity(doc: pikepdf.Pdf) -> pikepdf.Stream:
    """The embedded CMap of every 1-byte code to the CID of the same number (one, shared)."""
    data = (
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> def\n"
        b"/CMapName /Dossier-OneByte-Identity def\n/CMapType 1 def\n"
        b"1 begincodespacerange\n<00> <ff>\nendcodespacerange\n1 begincidrange\n<00> <ff> 0\nendcidrange\n"
        b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
    stream = pikepdf.Stream(doc, data)
    stream.Type = pikepdf.Name.CMap
    stream.CMapName = pikepdf.Name("/Dossier-OneByte-Identity")
    stream.CIDSystemInfo = pikepdf.Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0)
    return stream
