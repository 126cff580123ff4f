"""Finishing pass of the email profile: the same pages in fewer bytes.

After the fonts (pdffonts.py, every profile), the example's bytes are mostly WeasyPrint's
content streams, which show text glyph by glyph: `[<0028>0<0039>0<>-30.65812122321919
<0028>0] TJ`, each code its own string with a zero adjustment, empty strings carrying
letter-spacing to 14 decimals, and every text position to 6 decimals. Here:

- a TJ array is written compactly: adjacent strings joined (a zero adjustment moves
  nothing), adjacent adjustments summed (an empty string shows nothing), adjustments to
  3 decimals (a millionth of an em), strings as literal bytes rather than hex;
- the position of a text matrix (Tm) and the points of a path are written to 3 decimals
  of a user unit (0.75 pt here, so within 0.0004 pt, a ten-thousandth of a millimetre); a
  text matrix's scale is kept exact;
  a Tm that only moves the line is written as the move (`Td`), exactly, in decimal;
- marked content in fewer pieces, runs of marked text in one text object, state set to
  the value it has and `q … Q` that save nothing dropped (pdfmarked.py); text shown with
  one byte per glyph (pdfcodes.py);
- the structure tree in fewer objects: OBJRs inside their element, no optional
  `/Type /StructElem`, a `Span` or `NonStruct` that says nothing gives its content to its
  parent (pdfmarked.flatten);
- link rectangles and destinations to 3 decimals of a point; entries a reader assumes
  (`/Type /Annot`, boxes equal to the media box) left out;
- TrueType programs without the tables a reader never reads; ToUnicode CMaps in ranges;
- every Flate stream is compressed again at zlib's highest level.

Nothing a reader sees or reads is dropped: what is drawn, the structure and its reading
order, the text a reader copies. The example: 248 KB -> 199 KB; in poppler the same text
and, at 72 dpi, the same pixels but for a few of antialiasing on three pages (a rounded
point of a rule; a `Td` lands a double's rounding away from the `Tm` it replaces, and poppler
snaps glyph origins to quarter pixels). Images are made smaller before this, when
WeasyPrint loads them (the email options of typeset.py: 150 dpi at their printed size, JPEG quality 75).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Literal

import pikepdf

from . import pdfcodes, pdfmarked

_ESCAPES = {ord("\\"): b"\\\\", ord("("): b"\\(", ord(")"): b"\\)", ord("\r"): b"\\r", ord("\n"): b"\\n"}


def _number(value: float, places: int = 3) -> bytes:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return b"0" if text in ("", "-0") else text.encode()


def _literal(data: bytes) -> bytes:
    """A PDF literal string of any bytes (the line ends escaped: a reader normalises them)."""
    return b"(" + b"".join(_ESCAPES.get(b, bytes((b,))) for b in data) + b")"


def _tj(array: Any) -> bytes:
    parts: list[bytes | float] = []
    for item in array:
        if isinstance(item, pikepdf.String):
            data = bytes(item)
            if not data:
                continue
            if parts and isinstance(parts[-1], bytes):
                parts[-1] += data
            else:
                parts.append(data)
        else:
            value = float(item)
            if parts and isinstance(parts[-1], float):
                parts[-1] += value
            else:
                parts.append(value)
    joined: list[bytes] = []  # a sum that rounds to zero moves nothing: the strings around it join
    for part in parts:
        if isinstance(part, float):
            number = _number(part)
            if number != b"0":
                joined.append(number)
        elif joined and joined[-1].startswith(b"("):
            joined[-1] = joined[-1][:-1] + _literal(part)[1:]
        else:
            joined.append(_literal(part))
    return b"[" + b"".join(joined) + b"] TJ"


def _tm(operands: Any) -> tuple[bytes, ...]:
    """A text matrix as it is written: its scale exact (to 9 decimals), its position to 3."""
    return (*(_number(float(x), 9) for x in operands[:4]), *(_number(float(x)) for x in operands[4:]))


def _td(line: tuple[bytes, ...] | None, matrix: tuple[bytes, ...]) -> bytes:
    """`matrix` set from the text line matrix `line`: as the move `Td` from it where the two
    differ only in their position and the scale is ±1 with no rotation (WeasyPrint's
    `1 0 0 -1 x y Tm` for every line: `0 -19.333 Td` says the same as `1 0 0 -1 90.709
    124.882 Tm` after `1 0 0 -1 90.709 105.549 Tm`, exactly, in decimal), else as `Tm`."""
    if line is not None and line[:4] == matrix[:4] and matrix[1] == matrix[2] == b"0" and matrix[0] in (b"1", b"-1") and matrix[3] in (b"1", b"-1"):
        a, d = Decimal(matrix[0].decode()), Decimal(matrix[3].decode())
        tx = (Decimal(matrix[4].decode()) - Decimal(line[4].decode())) / a
        ty = (Decimal(matrix[5].decode()) - Decimal(line[5].decode())) / d
        return _number(float(tx)) + b" " + _number(float(ty)) + b" Td"
    return b" ".join(matrix) + b" Tm"


# Path construction: its points to 3 decimals of a user unit, as text positions (Tm).
_PATH = {"m", "l", "c", "v", "y", "re"}


def compact(instructions: list[Any]) -> bytes:
    """A content stream's instructions, written compactly."""
    lines = []
    line: tuple[bytes, ...] | None = None  # the text line matrix, as written, where it is known
    for instruction in instructions:
        operands, op = instruction.operands, str(instruction.operator)
        if op == "TJ" and len(operands) == 1 and isinstance(operands[0], pikepdf.Array):
            lines.append(_tj(operands[0]))
        elif op == "Tm" and len(operands) == 6 and all(isinstance(x, (int, Decimal)) for x in operands):
            matrix = _tm(operands)
            lines.append(_td(line, matrix))
            line = matrix
        elif op in _PATH and all(isinstance(x, (int, Decimal)) for x in operands):
            lines.append(b" ".join([*(_number(float(x)) for x in operands), op.encode()]))
        else:
            if op == "BT":
                line = (b"1", b"0", b"0", b"1", b"0", b"0")
            elif op in ("Tm", "Td", "TD", "T*", "'", '"', "ET"):
                line = None
            lines.append(pikepdf.unparse_content_stream([instruction]))
    return b"\n".join(lines)


def _rounded(array: Any, places: int = 3) -> pikepdf.Array:
    """An array with its real numbers to `places` decimals (names, references and integers kept)."""
    return pikepdf.Array([Decimal(_number(float(x), places).decode()) if isinstance(x, Decimal) else x for x in array])


def _positions(doc: pikepdf.Pdf) -> None:
    """Link rectangles and destinations to 3 decimals of a point (WeasyPrint writes 6): a
    thousandth of a point moves where a click lands or a jump scrolls by less than a pixel
    at any zoom a reader offers."""
    for obj in doc.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        if obj.get("/Type") == "/Annot" and isinstance(obj.get("/Rect"), pikepdf.Array):
            obj.Rect = _rounded(obj.Rect)
        if isinstance(obj.get("/Dest"), pikepdf.Array):  # outline items
            obj.Dest = _rounded(obj.Dest)
    names = doc.Root.get("/Names", pikepdf.Dictionary()).get("/Dests")
    pending: list[Any] = [names] if isinstance(names, pikepdf.Dictionary) else []
    while pending:  # the name tree of destinations, its leaves' arrays
        node = pending.pop()
        pending.extend(node.get("/Kids", []))
        pairs = node.get("/Names")
        if isinstance(pairs, pikepdf.Array):
            node.Names = pikepdf.Array([_rounded(v) if isinstance(v, pikepdf.Array) else v for v in pairs])


def _defaults(doc: pikepdf.Pdf) -> None:
    """Entries that say what a reader assumes without them: `/Type /Annot` of an annotation
    (optional, PDF 32000-1 table 164) and a page's trim and bleed boxes equal to its media box
    where there is no crop box (they default to the crop box, which defaults to the media box)."""
    for page in doc.pages:
        for annot in page.obj.get("/Annots", []):
            if isinstance(annot, pikepdf.Dictionary) and annot.get("/Type") == "/Annot":
                del annot["/Type"]
        media = page.obj.get("/MediaBox")
        if "/CropBox" in page.obj or not isinstance(media, pikepdf.Array):
            continue
        for key in ("/TrimBox", "/BleedBox"):
            box = page.obj.get(key)
            if isinstance(box, pikepdf.Array) and [float(x) for x in box] == [float(x) for x in media]:
                del page.obj[key]


def _structure(doc: pikepdf.Pdf) -> None:
    """The structure tree in fewer objects and bytes, the same tree: an object reference
    (`OBJR`, one per link annotation) is written inside its element's `/K` rather than as an
    object of its own, without a `/Pg` its element already gives; `/Type /StructElem`, which
    is optional and says what `/S` and the tree already say, goes."""
    for obj in doc.objects:
        if not (isinstance(obj, pikepdf.Dictionary) and "/S" in obj and "/P" in obj and obj.get("/Type") != "/OBJR"):
            continue
        if obj.get("/Type") == "/StructElem":
            del obj["/Type"]
        kids = obj.get("/K")
        if not isinstance(kids, pikepdf.Array):
            continue
        page = obj.get("/Pg")
        direct: list[Any] = []
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR" and kid.is_indirect:
                ref = pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=kid.Obj)
                if "/Pg" in kid and (page is None or kid.Pg.objgen != page.objgen):
                    ref.Pg = kid.Pg
                direct.append(ref)
            else:
                direct.append(kid)
        obj.K = pikepdf.Array(direct)


# What a PDF reader never reads from an embedded TrueType program of a CID font: glyphs are
# reached by CID through /CIDToGIDMap, widths come from /W, text from /ToUnicode, and nothing
# is shaped again: names ('name'), glyph names ('post'), the shaping classes ('GDEF'), the
# rasteriser's hinting ranges for a font with no hints ('gasp').
_UNREAD = ("name", "post", "GDEF", "GSUB", "GPOS", "gasp")


def _truetype(doc: pikepdf.Pdf) -> None:
    """Each embedded TrueType program of a CID font without the tables a PDF reader never reads."""
    from fontTools.ttLib import TTFont

    for obj in doc.objects:
        if not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/CIDFontType2"):
            continue
        program = obj.get("/FontDescriptor", pikepdf.Dictionary()).get("/FontFile2")
        if not isinstance(program, pikepdf.Stream):
            continue
        font = TTFont(io.BytesIO(program.read_bytes()), recalcTimestamp=False, recalcBBoxes=False)
        unread = [tag for tag in _UNREAD if tag in font]
        if not unread:
            continue
        for tag in unread:
            del font[tag]
        out = io.BytesIO()
        font.save(out, reorderTables=False)
        program.write(out.getvalue())
        program.Length1 = len(out.getvalue())


def _unicode_maps(doc: pikepdf.Pdf) -> None:
    """Every ToUnicode CMap of a composite font written in runs (WeasyPrint writes one line
    per glyph): the same code-to-text map, read back and compared before it replaces the old."""
    for obj in doc.objects:
        if not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0"):
            continue
        stream = obj.get("/ToUnicode")
        if not isinstance(stream, pikepdf.Stream):
            continue
        mapping = pdfcodes.unicode_map(stream.read_bytes())
        if not mapping:
            continue
        data = pdfcodes.unicode_cmap(mapping, len(next(iter(mapping))))
        if pdfcodes.unicode_map(data) == mapping:
            stream.write(data)


def slim(doc: pikepdf.Pdf) -> None:
    """Rewrite every content stream compactly, link positions and the structure tree in fewer
    bytes, and leave every Flate stream to be compressed again (at the level `compression()`
    sets) when the file is saved."""
    _positions(doc)
    _defaults(doc)
    _structure(doc)
    _truetype(doc)
    _unicode_maps(doc)
    forms: dict[tuple[int, int], pikepdf.Stream] = {}
    pdfmarked.flatten(doc)
    recoded = pdfcodes.renumber(doc)
    for page in doc.pages:
        instructions = pdfmarked.merge(doc, page.obj, list(pikepdf.parse_content_stream(page.obj)))
        instructions = pdfcodes.recode(instructions, page.obj.get("/Resources"), recoded)
        instructions = pdfmarked.tidy(pdfmarked.nesting(instructions), page.obj.get("/Resources"), page=True)
        data = compact(pdfmarked.text_runs(instructions))
        page.obj.Contents = doc.make_stream(data)
        for xobject in page.obj.get("/Resources", pikepdf.Dictionary()).get("/XObject", pikepdf.Dictionary()).values():
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form":
                forms[xobject.objgen] = xobject
    for form in forms.values():
        instructions = pdfcodes.recode(list(pikepdf.parse_content_stream(form)), form.get("/Resources"), recoded)
        form.write(compact(pdfmarked.tidy(instructions, form.get("/Resources"), page=False)))
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Filter") == "/FlateDecode" and "/DecodeParms" not in obj:
            obj.write(obj.read_bytes())  # decoded: compressed again on save


@contextmanager
def compression(level: Literal[-1, 9]) -> Iterator[None]:
    """zlib's level for the streams qpdf compresses while saving (a global setting of pikepdf)."""
    pikepdf.settings.set_flate_compression_level(level)
    try:
        yield
    finally:
        pikepdf.settings.set_flate_compression_level(-1)
