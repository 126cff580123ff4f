"""Glyph coverage: every character of the content must be in a theme font.

WeasyPrint (through Pango) silently falls back to any installed font, or draws
a blank box, when the theme's fonts lack a character. Before typesetting we
ask fontconfig for the character sets of the families the theme names in
`theme.yaml` and report each uncovered character where it is written.
"""

from __future__ import annotations

import bisect
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from .errors import DossierError, Location, Report
from .model import Text

# Characters that are layout, not glyphs: never need a font.
_IGNORED = {"\n", "\r", "\t", "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


class Coverage:
    """The union of the character sets of some font families."""

    def __init__(self, ranges: list[tuple[int, int]]):
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(ranges):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        self.starts = [lo for lo, _ in merged]
        self.ends = [hi for _, hi in merged]

    def __contains__(self, char: str) -> bool:
        if char in _IGNORED:
            return True
        cp = ord(char)
        i = bisect.bisect_right(self.starts, cp) - 1
        return i >= 0 and cp <= self.ends[i]


@lru_cache(maxsize=4)
def coverage(families: tuple[str, ...], theme_file: str = "templates/theme.yaml") -> Coverage:
    """Ask fontconfig which characters the families cover; fail if one is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise DossierError.at(Location(theme_file, 1, 1), "fc-list not found, expected fontconfig (run make)")
    ranges: list[tuple[int, int]] = []
    for family in families:
        proc = subprocess.run(
            [fc_list, "--format", "%{charset}\n", f":family={family}"], capture_output=True, text=True, check=False
        )
        sets = [line for line in proc.stdout.splitlines() if line.strip()]
        if not sets:
            raise DossierError.at(
                Location(theme_file, 1, 1),
                f"font family '{family}' is not installed, expected it on the system (run make, or install the Noto fonts)",
            )
        for charset in sets:
            for part in charset.split():
                lo, _, hi = part.partition("-")
                ranges.append((int(lo, 16), int(hi or lo, 16)))
    return Coverage(ranges)


def check_texts(texts: Iterable[Text], cover: Coverage, report: Report) -> None:
    """Report every character no theme font covers, at the place it is written."""
    for text in texts:
        for offset, char in enumerate(text.value):
            if char not in cover:
                name = unicodedata.name(char, "unnamed character")
                report.error(
                    text.locate(char, text.value[:offset].count(char)),
                    f"character '{char}' (U+{ord(char):04X} {name}) is in no theme font, expected text the fonts cover",
                )
