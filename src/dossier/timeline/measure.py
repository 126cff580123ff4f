"""Stage 4 (render), the timeline: how wide label text is, and labels wrapped to a width.

Text widths are the advance widths of the installed face of the timeline's font (WeasyPrint sets
SVG text letter by letter, without kerning, so the sum of advances is exactly what it draws),
found with fontconfig (`fonts.font_file`) and read with fontTools; without them a conservative
estimate is used.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .. import fonts
from .geometry import FONT_SIZE, MAX_LABEL_LINES


@lru_cache(maxsize=8)
def _advances(family: str, weight: int) -> dict[int, float] | None:
    """Advance widths in em of the face of `family` fontconfig picks at `weight`, by code point."""
    path = fonts.font_file(family, weight)
    if path is None:
        return None
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(path, lazy=True)
        units = font["head"].unitsPerEm
        cmap = font.getBestCmap()
        hmtx = font["hmtx"].metrics
        return {cp: hmtx[name][0] / units for cp, name in cmap.items()}
    except Exception:  # an unreadable font: fall back to the estimate
        return None


class Measure:
    """Widths in mm of text set at the label size in one family, its regular and its bold face."""

    def __init__(self, family: str = "Noto Sans", bold_weight: int = 700):
        self.family, self.bold_weight = family, bold_weight

    def char_width(self, char: str, bold: bool) -> float:
        """Advance of one character in em (conservative where the font is unknown)."""
        table = _advances(self.family, self.bold_weight if bold else 400)
        if table is not None:
            width = table.get(ord(char))
            if width is not None:
                return width
        if unicodedata.east_asian_width(char) in ("W", "F"):
            return 1.0
        return 0.62 if bold else 0.58

    def widths(self, text: str, bold: bool = False) -> list[float]:
        """Width in mm of each character of `text`."""
        return [self.char_width(c, bold) * FONT_SIZE for c in text]

    def text_width(self, text: str, bold: bool = False) -> float:
        """Width in mm of `text` set at the label size."""
        return sum(self.widths(text, bold))

    def fit(self, text: str, max_w: float) -> str:
        """Cut `text` to fit `max_w` with an ellipsis, after a whole word where that loses little."""
        widths = self.widths(text)
        ell = self.text_width("…")
        total = 0.0
        cut = 0
        for i, w in enumerate(widths):
            if total + w + ell > max_w:
                break
            total += w
            cut = i + 1
        space = text.rfind(" ", 0, cut + 1)
        if cut < len(text) and space > 0 and sum(widths[:space]) >= 0.3 * max_w:
            cut = space
        return text[:cut].rstrip(" ,;:.–—-(") + "…"

    def wrap(self, date_text: str, title: str, max_w: float) -> tuple[tuple[str, ...], float]:
        """Lines of a label (the first follows the bold date) and the widest line's width."""
        space = self.text_width(" ")
        head = self.text_width(date_text, bold=True) + space
        units: list[tuple[str, bool]] = []
        for unit, spaced in _units(title):
            while self.text_width(unit) > max_w - 1.0:  # an overlong word: break it by force
                widths, total, cut = self.widths(unit), 0.0, 0
                while cut < len(unit) - 1 and total + widths[cut] <= max_w - 1.0:
                    total += widths[cut]
                    cut += 1
                units.append((unit[:cut], spaced))
                unit, spaced = unit[cut:], False
            units.append((unit, spaced))
        lines: list[list[tuple[str, bool]]] = [[]]
        used = head
        for unit, spaced in units:
            w = self.text_width(unit) + (space if lines[-1] and spaced else 0.0)
            if used + w > max_w and (lines[-1] or len(lines) == 1):
                lines.append([])
                used, w = 0.0, self.text_width(unit)
            lines[-1].append((unit, spaced))
            used += w
        texts = [_join(line) for line in lines[:MAX_LABEL_LINES]]
        if len(lines) > MAX_LABEL_LINES:
            rest = _join([u for line in lines[MAX_LABEL_LINES - 1 :] for u in line])
            texts[-1] = self.fit(rest, max_w - (head if MAX_LABEL_LINES == 1 else 0.0))
        widths = [self.text_width(t) for t in texts]
        widths[0] = head + widths[0] if texts[0] else head - space
        return tuple(texts), max(widths)


def _units(title: str) -> list[tuple[str, bool]]:
    """Break units of a title: (text, preceded by a space).  Wide (CJK) characters break anywhere."""
    out: list[tuple[str, bool]] = []
    for word in title.split():
        if any(unicodedata.east_asian_width(c) in ("W", "F") for c in word):
            run = ""
            first = True
            for c in word:
                if unicodedata.east_asian_width(c) in ("W", "F") and c not in "、。）」』】":
                    if run:
                        out.append((run, first))
                        first = False
                    run = c
                else:
                    run += c
            if run:
                out.append((run, first))
        else:
            out.append((word, True))
    return out


def _join(units: list[tuple[str, bool]]) -> str:
    text = ""
    for unit, spaced in units:
        text += (" " if text and spaced else "") + unit
    return text


def clean(text: str) -> str:
    """Drop characters XML cannot carry and fold whitespace."""
    text = "".join(c for c in text if c in "\t\n\r" or (ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF and c not in "\ufffe\uffff"))
    return " ".join(text.split())
