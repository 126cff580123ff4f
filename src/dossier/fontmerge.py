"""One font per face in a joined PDF: the subsets of a face that separately typeset parts carry,
merged into one font dictionary, program, widths and ToUnicode map (see pdfjoin.py).

WeasyPrint 70 (`weasyprint/pdf/fonts.py`) writes every face as a Type0 font, `/Identity-H`,
named `/HASH+Family-Style` where HASH comes from the face's Pango description, so the same
face has the same name in every part. It subsets with HarfBuzz keeping glyph ids ("retain
gids"): a glyph keeps its id in every part's subset, the slots of the glyphs a part does not
show are empty, and the content streams show glyph ids. So the subsets of one face number
their glyphs alike and the merge changes no content stream: one program holds the glyphs every
part uses (fontprogram.py), and the fonts' `/W` and ToUnicode maps are joined (a code in two
parts keeps the first part's entry). Every reference to a part's font then goes to the merged
one, and the others are no longer written.

A face is merged only when everything about it is as WeasyPrint writes it: Identity-H, an
identity CIDToGIDMap, a ToUnicode map of `bfchar`/`bfrange` entries, programs of one kind
(and, for CFF, the same font dicts). Otherwise its parts' fonts stay as they are: a larger
file, never a wrong glyph. A merged CID-keyed CFF program is already cut to the glyphs used,
as finish.py's pdffonts.py cuts a whole document's, and written bare, so finish leaves it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pikepdf

from .fontprogram import NotMergeable, merge_programs

_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


def merge_fonts(doc: pikepdf.Pdf) -> dict[str, int]:
    """Merge the fonts of each face into one; returns, per merged face (BaseFont), how many
    font dictionaries became one."""
    resources = list(_resource_dicts(doc))
    groups: dict[tuple[str, ...], list[pikepdf.Dictionary]] = {}
    for font in _fonts(resources):
        key = _face(font)
        if key is not None:
            groups.setdefault(key, []).append(font)
    replace: dict[tuple[int, int], pikepdf.Dictionary] = {}
    merged: dict[str, int] = {}
    for key, fonts in groups.items():
        if len(fonts) < 2:
            continue
        try:
            _merge(doc, fonts)
        except NotMergeable:
            continue
        merged[key[0]] = len(fonts)
        for other in fonts[1:]:
            replace[other.objgen] = fonts[0]
    if replace:
        for owner in resources:
            table = owner.get("/Font")
            if isinstance(table, pikepdf.Dictionary):
                for name in list(table.keys()):
                    value = table[name]
                    if isinstance(value, pikepdf.Dictionary) and value.objgen in replace:
                        table[name] = replace[value.objgen]
    return merged


def _fonts(resources: list[Any]) -> Iterator[pikepdf.Dictionary]:
    """Every Type0 font dictionary of the resource dictionaries, in the order reached (pages
    first, in page order): deterministic, and the first part's font leads its face."""
    seen: set[tuple[int, int]] = set()
    for owner in resources:
        table = owner.get("/Font")
        if not isinstance(table, pikepdf.Dictionary):
            continue
        for name in sorted(table.keys()):
            font = table[name]
            if isinstance(font, pikepdf.Dictionary) and font.is_indirect and font.get("/Subtype") == "/Type0" and font.objgen not in seen:
                seen.add(font.objgen)
                yield font


def _resource_dicts(doc: pikepdf.Pdf) -> Iterator[Any]:
    """The resource dictionaries of the pages, then of every other object that has one (forms,
    patterns, annotation appearances, Type3 fonts), each once."""
    seen: set[tuple[int, int]] = set()
    owners = [page.obj for page in doc.pages] + [
        o for o in doc.objects if isinstance(o, (pikepdf.Dictionary, pikepdf.Stream)) and o.get("/Type") != "/Page"
    ]
    for owner in owners:
        resources = owner.get("/Resources")
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        yield resources


def _face(font: pikepdf.Dictionary) -> tuple[str, ...] | None:
    """What makes two fonts the same face, or None for a font not written as WeasyPrint
    writes a vector face (left alone)."""
    descendants = font.get("/DescendantFonts")
    if not isinstance(descendants, pikepdf.Array) or len(descendants) != 1:
        return None
    cid = descendants[0]
    descriptor = cid.get("/FontDescriptor")
    if font.get("/Encoding") != "/Identity-H" or not isinstance(descriptor, pikepdf.Dictionary):
        return None
    if cid.get("/CIDToGIDMap", pikepdf.Name.Identity) != "/Identity" or not isinstance(font.get("/ToUnicode"), pikepdf.Stream):
        return None
    kinds = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
    if len(kinds) != 1 or not isinstance(descriptor[kinds[0]], pikepdf.Stream):
        return None
    program = descriptor[kinds[0]]
    return (str(font.get("/BaseFont", "")), str(cid.get("/Subtype", "")), kinds[0], str(program.get("/Subtype", "")))


def _merge(doc: pikepdf.Pdf, fonts: list[pikepdf.Dictionary]) -> None:
    """Make fonts[0] the font of all of them (raise NotMergeable, changing nothing, if they
    cannot be one)."""
    cids = [f.DescendantFonts[0] for f in fonts]
    descriptors = [c.FontDescriptor for c in cids]
    kind = next(k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptors[0])
    maps = [to_unicode_map(f.ToUnicode.read_bytes()) for f in fonts]
    widths = [cid_widths(c.get("/W", pikepdf.Array())) for c in cids]
    program = merge_programs([d[kind].read_bytes() for d in descriptors], [set(w) for w in widths], kind == "/FontFile3")
    # Everything read and merged: write.
    to_unicode: dict[int, bytes] = {}
    for m in maps:
        for code, text in m.items():
            to_unicode.setdefault(code, text)
    width: dict[int, float] = {}
    for w in widths:
        for code, value in w.items():
            width.setdefault(code, value)
    first, descriptor = fonts[0], descriptors[0]
    stream = descriptor[kind]
    extra = {k: v for k, v in stream.items() if k not in ("/Length", "/Filter", "/DecodeParms", "/Length1")}
    new = doc.make_stream(program)
    for key, entry in extra.items():
        new[key] = entry
    if kind == "/FontFile2":
        new.Length1 = len(program)
    else:
        new.Subtype = pikepdf.Name.CIDFontType0C  # a bare CFF program (fontprogram.py)
    descriptor[kind] = new
    first.ToUnicode = doc.make_stream(_cmap(to_unicode))
    cids[0].W = _w_array(width)
    bbox = [float(v) for v in descriptor.get("/FontBBox", [0, 0, 0, 0])]
    for other in descriptors[1:]:
        box = [float(v) for v in other.get("/FontBBox", [0, 0, 0, 0])]
        bbox = [min(bbox[0], box[0]), min(bbox[1], box[1]), max(bbox[2], box[2]), max(bbox[3], box[3])]
    if "/FontBBox" in descriptor:
        descriptor.FontBBox = pikepdf.Array([_number(v) for v in bbox])
    if "/CIDSet" in descriptor:
        bits = bytearray()
        for other in descriptors:
            data = other.CIDSet.read_bytes() if "/CIDSet" in other else b""
            bits.extend(b"\0" * max(0, len(data) - len(bits)))
            for i, byte in enumerate(data):
                bits[i] |= byte
        descriptor.CIDSet = doc.make_stream(bytes(bits))


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else value


def cid_widths(array: Any) -> dict[int, float]:
    """A CIDFont's /W as CID → width (PDF 32000-1, 9.7.4.3: `c [w1 w2 …]` and `c1 c2 w`)."""
    items = list(array)
    out: dict[int, float] = {}
    i = 0
    while i < len(items):
        start = int(items[i])
        if i + 1 < len(items) and isinstance(items[i + 1], pikepdf.Array):
            for offset, value in enumerate(items[i + 1]):
                out[start + offset] = float(value)
            i += 2
        elif i + 2 < len(items):
            for code in range(start, int(items[i + 1]) + 1):
                out[code] = float(items[i + 2])
            i += 3
        else:
            raise NotMergeable("a /W array cut short")
    return out


def _w_array(widths: dict[int, float]) -> pikepdf.Array:
    """Widths as WeasyPrint writes /W: each run of consecutive CIDs as `first [w …]`."""
    out = pikepdf.Array()
    run: pikepdf.Array | None = None
    previous = -2
    for code in sorted(widths):
        if code != previous + 1 or run is None:
            run = pikepdf.Array()
            out.append(code)
            out.append(run)
        run.append(_number(widths[code]))
        previous = code
    return out


def to_unicode_map(data: bytes) -> dict[int, bytes]:
    """A ToUnicode CMap as code → UTF-16BE text, from its `bfchar` and `bfrange` sections."""
    out: dict[int, bytes] = {}
    for section in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        values = _HEX.findall(section)
        if len(values) % 2:
            raise NotMergeable("a bfchar entry cut short")
        for code, text in zip(values[::2], values[1::2], strict=True):
            out[int(code, 16)] = bytes.fromhex(text.decode())
    for section in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, rest in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])", section):
            first, last = int(low, 16), int(high, 16)
            if rest.startswith(b"["):
                for code, text in zip(range(first, last + 1), _HEX.findall(rest), strict=False):
                    out[code] = bytes.fromhex(text.decode())
            else:
                base = bytes.fromhex(rest[1:-1].decode())
                for offset in range(last - first + 1):
                    value = int.from_bytes(base, "big") + offset
                    out[first + offset] = value.to_bytes(len(base), "big")
    if re.search(rb"begin(?:cidrange|cidchar|notdefrange|notdefchar)", data):
        raise NotMergeable("a ToUnicode map with entries other than bfchar and bfrange")
    return out


def _cmap(to_unicode: dict[int, bytes]) -> bytes:
    """A ToUnicode CMap as WeasyPrint writes one (bfchar entries, a hundred to a section)."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(to_unicode.items())
    for i in range(0, len(items), 100):
        batch = items[i : i + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(f"<{code:04x}> <{text.hex()}>".encode() for code, text in batch)
        lines.append(b"endbfchar")
    lines.extend([b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"])
    return b"\n".join(lines)
