"""Part of the email profile's slimming (pdfslim.py): text shown with one byte per glyph.

WeasyPrint shows every glyph of a font with a 2-byte code (`/Identity-H`: the code is the
CID), though no font of a briefing shows more than a few hundred glyphs (the example: 21 to
137). A font that shows at most 254 gets, in place of `/Identity-H`, an embedded CMap with a
1-byte codespace mapping each new code to the CID the old one named (PDF 32000-1, 9.7.5):
the CIDs, the font program, `/W` and `/CIDToGIDMap` stay as they are; the strings shown with
the font and its ToUnicode CMap are written with the new codes. Code 32 is never given out:
word spacing (`Tw`) applies to a 1-byte code 32 of a composite font, and to no code before.

A font used in a way this pass does not follow (pdffonts' reader stops, or the file has
annotation appearances, tiling patterns or forms that show text, which this pass does not
rewrite) keeps its 2-byte codes.
"""

from __future__ import annotations

import re
from typing import Any

import pikepdf

from . import pdffonts

Plan = dict[tuple[int, int], dict[int, int]]  # font objgen -> {old 2-byte code: new byte}


def plan(doc: pikepdf.Pdf) -> Plan:
    """The new codes of each font that can take them."""
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and (
            (obj.get("/Type") == "/Annot" and "/AP" in obj) or obj.get("/PatternType") == 1
        ):
            return {}
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Form" and any(
            str(i.operator) in pdffonts._SHOW for i in pikepdf.parse_content_stream(obj)
        ):
            return {}  # text in a form: pdfslim rewrites the forms of pages, not those of forms
    usage = pdffonts._Usage()
    try:
        for page in doc.pages:
            usage.page(page)
    except pdffonts._Unknown:
        return {}
    usage.unread(doc)
    codes = [c for c in range(256) if c != 32]
    out: Plan = {}
    for obj in doc.objects:
        if not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0"
                and obj.get("/Encoding") == "/Identity-H" and obj.objgen not in usage.unknown):
            continue
        shown = usage.codes.get(obj.objgen, set())
        tounicode = obj.get("/ToUnicode")
        if isinstance(tounicode, pikepdf.Stream) and unicode_map(tounicode.read_bytes()) is None:
            continue
        if shown and len(shown) <= len(codes):
            out[obj.objgen] = dict(zip(sorted(shown), codes, strict=False))
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
        elif op in pdffonts._SHOW and font is not None:
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
    return pikepdf.String(bytes(font[int.from_bytes(data[i:i + 2], "big")] for i in range(0, len(data) - 1, 2)))


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
        if (last is not None and len(text) == 2 and int.from_bytes(code, "big") == int.from_bytes(last[1], "big") + 1
                and code[:-1] == last[1][:-1] and int.from_bytes(text, "big") == int.from_bytes(last[2], "big")
                + int.from_bytes(code, "big") - int.from_bytes(last[0], "big") and text[0] == last[2][0]):
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
        return b"".join(b"%d begin%s\n%s\nend%s\n" % (len(lines[i:i + 100]), kind, b"\n".join(lines[i:i + 100]), kind)
                        for i in range(0, len(lines), 100))

    return (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<%s> <%s>\nendcodespacerange\n" % (b"00" * width, b"ff" * width)
            + blocks(b"bfchar", [b"<%s> <%s>" % (c.hex().encode(), t.hex().encode()) for c, t in chars])
            + blocks(b"bfrange", [b"<%s> <%s> <%s>" % (a.hex().encode(), b.hex().encode(), t.hex().encode())
                                  for a, b, t in runs])
            + b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")


def _encoding(doc: pikepdf.Pdf, codes: dict[int, int], info: Any, name: str) -> pikepdf.Stream:
    """The embedded CMap of 1-byte codes to the old codes' CIDs, in runs (cidrange)."""
    runs: list[list[int]] = []  # [first code, last code, first CID]
    for cid, code in sorted(codes.items(), key=lambda item: item[1]):
        if runs and code == runs[-1][1] + 1 and cid == runs[-1][2] + code - runs[-1][0]:
            runs[-1][1] = code
        else:
            runs.append([code, code, cid])
    lines = [b"<%02x> <%02x> %d" % (a, b, c) for a, b, c in runs]
    blocks = b"".join(b"%d begincidrange\n%s\nendcidrange\n" % (len(lines[i:i + 100]), b"\n".join(lines[i:i + 100]))
                      for i in range(0, len(lines), 100))
    registry, ordering, supplement = str(info.Registry), str(info.Ordering), int(info.Supplement)
    data = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (%s) /Ordering (%s) /Supplement %d >> def\n"
            b"/CMapName /%s def\n/CMapType 1 def\n1 begincodespacerange\n<00> <ff>\nendcodespacerange\n"
            % (registry.encode(), ordering.encode(), supplement, name.encode())
            + blocks + b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    stream = pikepdf.Stream(doc, data)
    stream.Type = pikepdf.Name.CMap
    stream.CMapName = pikepdf.Name("/" + name)
    stream.CIDSystemInfo = pikepdf.Dictionary(Registry=pikepdf.String(registry), Ordering=pikepdf.String(ordering),
                                              Supplement=supplement)
    return stream


def encode(doc: pikepdf.Pdf, fonts: Plan) -> None:
    """The planned fonts' /Encoding and ToUnicode in the new codes."""
    for obj in doc.objects:
        if not (isinstance(obj, pikepdf.Dictionary) and obj.objgen in fonts):
            continue
        codes = fonts[obj.objgen]
        tounicode = obj.get("/ToUnicode")
        if isinstance(tounicode, pikepdf.Stream):
            old = unicode_map(tounicode.read_bytes())
            assert old is not None  # plan() plans no font whose map it cannot read
            new = {bytes((code,)): old[c.to_bytes(2, "big")] for c, code in codes.items() if c.to_bytes(2, "big") in old}
            tounicode.write(unicode_cmap(new, 1))
        tag = str(obj.get("/BaseFont", "/F"))[1:].split("+")[0]
        obj.Encoding = doc.make_indirect(_encoding(doc, codes, obj.DescendantFonts[0].CIDSystemInfo, f"Dossier-{tag}-H"))
