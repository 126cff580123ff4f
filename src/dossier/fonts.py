"""Glyph coverage: every character of the content must be in a theme font.

WeasyPrint (through Pango) silently falls back to any installed font, or draws
a blank box, when the theme's fonts lack a character. Before typesetting we
ask fontconfig for the character sets of the families the theme names in
`theme.yaml` and report each uncovered character where it is written.
"""

from __future__ import annotations

import bisect
import html
import re
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


_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _unprintable(char: str) -> bool:
    """A control character, surrogate or non-character: never text, whatever the fonts."""
    return unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t" or char in ("\ufffe", "\uffff")


def check_texts(texts: Iterable[Text], cover: Coverage, report: Report) -> None:
    """Report every character no theme font covers, at the place it is written; characters
    written as HTML entities (`&#x10000;`, which Markdown turns into the character) too."""
    for text in texts:
        for offset, char in enumerate(text.value):
            _check_char(char, text, char, text.value[:offset].count(char), cover, report)
        for match in _ENTITY.finditer(text.value):
            nth = text.value[: match.start()].count(match.group())
            for char in html.unescape(match.group()) if html.unescape(match.group()) != match.group() else "":
                _check_char(char, text, match.group(), nth, cover, report)


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _check_char(char: str, text: Text, needle: str, nth: int, cover: Coverage, report: Report) -> None:
    if _unprintable(char):
        report.error(text.locate(needle, nth), f"control character U+{ord(char):04X}, expected printable text")
    elif char in _BIDI_CONTROLS:  # "Trojan Source": text that displays other than it reads
        report.error(text.locate(needle, nth), f"bidirectional control U+{ord(char):04X} ({unicodedata.name(char)}), "
                                               "expected text without direction overrides (write the script itself)")
    elif char not in cover and char not in "\n\t\r":
        name = unicodedata.name(char, "unnamed character")
        shown = f"'{char}' " if char.isprintable() else ""
        report.error(text.locate(needle, nth), f"character {shown}(U+{ord(char):04X} {name}) is in no theme font, expected text the fonts cover")


def char_problem(char: str, cover: Coverage) -> str | None:
    """What is wrong with `char` in text the PDF prints, or None: the one per-character policy
    (control characters, bidirectional controls, the fonts' coverage) for content and for the
    text an SVG draws."""
    if _unprintable(char):
        return f"control character U+{ord(char):04X}, expected printable text"
    if char in _BIDI_CONTROLS:  # "Trojan Source": text that displays other than it reads
        return (f"bidirectional control U+{ord(char):04X} ({unicodedata.name(char)}), "
                "expected text without direction overrides (write the script itself)")
    if char not in cover and char not in "\n\t\r":
        name = unicodedata.name(char, "unnamed character")
        shown = f"'{char}' " if char.isprintable() else ""
        return f"character {shown}(U+{ord(char):04X} {name}) is in no theme font, expected text the fonts cover"
    return None
