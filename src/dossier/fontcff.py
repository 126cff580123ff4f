"""Reading glyphs out of a CID-keyed CFF program by glyph id, without parsing the whole font.

A WeasyPrint subset of a Noto CJK face keeps every glyph slot up to the highest it uses (some
44,000), so fontTools' reader, which builds the glyph order, charset and FDSelect of every
slot, takes a good part of a second per subset. Merging subsets (fontprogram.py) needs only
the few glyphs each part uses: their charstrings, their font dict, and the private dicts to
compare. This reads those from the bytes (Adobe TN 5176, "The Compact Font Format
Specification": header, INDEXes, DICTs, FDSelect formats 0 and 3).
"""

from __future__ import annotations

import struct


class CffError(Exception):
    """A program this reader does not take (not CID-keyed, subroutines, a structure it cannot read)."""


def cff_table(opentype: bytes) -> bytes:
    """The `CFF ` table of an OpenType font file (or the bytes themselves, a bare CFF program)."""
    if opentype[:4] != b"OTTO":
        if opentype[:1] == b"\x01":
            return opentype
        raise CffError("not an OpenType/CFF font")
    (count,) = struct.unpack(">H", opentype[4:6])
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack(">4sIII", opentype[12 + 16 * i : 28 + 16 * i])
        if tag == b"CFF ":
            return opentype[offset : offset + length]
    raise CffError("no CFF table")


class _Index:
    """An INDEX: `count` items, read one at a time."""

    def __init__(self, data: bytes, pos: int):
        self.data = data
        (self.count,) = struct.unpack(">H", data[pos : pos + 2])
        if self.count == 0:
            self.end = pos + 2
            return
        self.size = data[pos + 2]
        self.offsets = pos + 3
        self.base = self.offsets + (self.count + 1) * self.size - 1
        self.end = self.base + self._offset(self.count)

    def _offset(self, i: int) -> int:
        at = self.offsets + i * self.size
        return int.from_bytes(self.data[at : at + self.size], "big")

    def __getitem__(self, i: int) -> bytes:
        if not 0 <= i < self.count:
            raise CffError(f"item {i} of an INDEX of {self.count}")
        return self.data[self.base + self._offset(i) : self.base + self._offset(i + 1)]


def _dict(data: bytes) -> dict[int, list[float]]:
    """A DICT's operators (12 x as 1200 + x) and their operands."""
    out: dict[int, list[float]] = {}
    operands: list[float] = []
    i = 0
    while i < len(data):
        b = data[i]
        if b <= 21:
            op = 1200 + data[i + 1] if b == 12 else b
            i += 2 if b == 12 else 1
            out[op] = operands
            operands = []
        elif b == 28:
            operands.append(struct.unpack(">h", data[i + 1 : i + 3])[0])
            i += 3
        elif b == 29:
            operands.append(struct.unpack(">i", data[i + 1 : i + 5])[0])
            i += 5
        elif b == 30:  # a real number: nibbles up to 0xf (its value is not needed here)
            i += 1
            while i < len(data) and (data[i] & 0x0F) != 0x0F and (data[i] >> 4) != 0x0F:
                i += 1
            i += 1
            operands.append(0.0)
        elif 32 <= b <= 246:
            operands.append(b - 139)
            i += 1
        elif 247 <= b <= 250:
            operands.append((b - 247) * 256 + data[i + 1] + 108)
            i += 2
        elif 251 <= b <= 254:
            operands.append(-(b - 251) * 256 - data[i + 1] - 108)
            i += 2
        else:
            raise CffError(f"DICT byte {b}")
    return out


class CidCff:
    """A CID-keyed CFF program without subroutines: its glyphs by glyph id, the font dict of
    each, and its private dicts."""

    def __init__(self, data: bytes):
        try:
            names = _Index(data, data[2])
            tops = _Index(data, names.end)
            strings = _Index(data, tops.end)
            subrs = _Index(data, strings.end)
            if tops.count != 1 or subrs.count:
                raise CffError("several fonts, or global subroutines")
            top = _dict(tops[0])
            if 1230 not in top or 17 not in top or 1236 not in top or 1237 not in top:
                raise CffError("not CID-keyed")
            self.data = data
            self.charstrings = _Index(data, int(top[17][0]))
            self.count = self.charstrings.count
            fdarray = _Index(data, int(top[1236][0]))
            self.privates: list[bytes] = []
            for i in range(fdarray.count):
                size, offset = (int(v) for v in _dict(fdarray[i])[18])
                private = data[offset : offset + size]
                if 19 in _dict(private):
                    raise CffError("local subroutines")
                self.privates.append(private)
            self.fdselect = int(top[1237][0])
            self.format = data[self.fdselect]
            if self.format not in (0, 3):
                raise CffError(f"FDSelect format {self.format}")
        except (IndexError, KeyError, ValueError, struct.error) as exc:
            raise CffError(f"unreadable CFF: {exc}") from None

    def charstring(self, gid: int) -> bytes:
        return self.charstrings[gid]

    def fd(self, gid: int) -> int:
        """The font dict of glyph `gid` (FDSelect format 0: one byte a glyph; 3: ranges)."""
        data, pos = self.data, self.fdselect
        if self.format == 0:
            return int(data[pos + 1 + gid])
        (ranges,) = struct.unpack(">H", data[pos + 1 : pos + 3])
        low, high = 0, ranges - 1
        while low <= high:  # the last range whose first glyph is at most gid
            mid = (low + high) // 2
            (first,) = struct.unpack(">H", data[pos + 3 + 3 * mid : pos + 5 + 3 * mid])
            if first <= gid:
                low = mid + 1
            else:
                high = mid - 1
        if high < 0:
            raise CffError(f"glyph {gid} before the first FDSelect range")
        return int(data[pos + 5 + 3 * high])
