"""Glyph coverage: every character of the content must be in a theme font.

WeasyPrint (through Pango) silently falls back to any installed font, or draws
a blank box, when the theme's fonts lack a character. Before typesetting we
ask fontconfig for the character sets of the families the theme names in
`theme.yaml` and report each uncovered character where it is written.
`char_problem()` is the one policy for a character of a value of content (control
characters as `characters` defines them, non-characters, bidi controls, coverage);
the check runs in time linear in the text, whatever the number of problems.
"""

from __future__ import annotations

import bisect
import html
import re
import shutil
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import yaml

from . import bibtex, sandbox
from .characters import control_problem, is_control
from .errors import DossierError, Location, Report
from .load import SourceFile, location
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


CHECKING = "checking the characters against the theme fonts"  # the stage, as ceilings reached in it are reported


@lru_cache(maxsize=4)
def coverage(families: tuple[str, ...], theme_file: str = "templates/theme.yaml") -> Coverage:
    """Ask fontconfig which characters the families cover; fail if one is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise DossierError.at(Location(theme_file, 1, 1), "fc-list not found, expected fontconfig (run make)")
    ranges: list[tuple[int, int]] = []
    for family in families:
        proc = sandbox.run_command(
            [fc_list, "--format", "%{charset}\n", f":family={family}"],
            b"",
            CHECKING,
            Location(theme_file, 1, 1),
        )
        sets = [line for line in proc.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
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
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _noncharacter(cp: int) -> bool:
    """U+FDD0..U+FDEF and the last two code points of every plane: reserved, never text."""
    return 0xFDD0 <= cp <= 0xFDEF or cp & 0xFFFE == 0xFFFE


def _referenced(entity: str) -> str:
    """The characters an HTML entity stands for, as pandoc reads it: a numeric reference is its
    code point, whatever it is (Python's html.unescape drops control characters and maps
    0x80–0x9F through Windows-1252, so `&#x1b;` would escape the check); '' if none."""
    if entity.startswith("&#"):
        digits = entity[2:-1]
        cp = int(digits[1:], 16) if digits[:1] in "xX" and digits[:1] else int(digits)
        return chr(cp) if 0 < cp <= 0x10FFFF else ""
    named = html.unescape(entity)
    return named if named != entity else ""


def char_problem(char: str, cover: Coverage) -> str | None:
    """What is wrong with one character of content text (a message), or None if it may be typeset."""
    cp = ord(char)
    category = unicodedata.category(char)
    if is_control(char):
        return control_problem(char)
    if _noncharacter(cp):
        return f"non-character U+{cp:04X}, expected printable text"
    if category in ("Zl", "Zp"):  # U+2028/U+2029: no glyph, and YAML 1.1 reads them as line breaks
        return f"line or paragraph separator U+{cp:04X}, expected a plain newline or a space"
    if char in _BIDI_CONTROLS:  # "Trojan Source": text that displays other than it reads
        return f"bidirectional control U+{cp:04X} ({unicodedata.name(char)}), expected text without direction overrides (write the script itself)"
    if char not in cover:
        name = unicodedata.name(char, "unnamed character")
        shown = f"'{char}' " if char.isprintable() else ""
        return f"character {shown}(U+{cp:04X} {name}) is in no theme font, expected text the fonts cover"
    return None


class _Places:
    """Where the nth occurrence of a string of a value is written in its file, found in one pass.

    A YAML value differs from its source (escapes, folded lines), so the nth occurrence in the
    value is taken to be the nth in the node's source, as `Text.locate` does; a raw file (BibTeX)
    is its own source. Each index is built once per text, so the whole check is linear."""

    def __init__(self, text: Text):
        self.text = text
        self.span: tuple[str, int, int] | None = None
        if text.node is not None and text.source is not None:
            self.span = (text.source.text, text.node.start_mark.index, text.node.end_mark.index)
        elif text.source is not None and text.value is text.source.text:
            self.span = (text.value, 0, len(text.value))
        self.indexes: dict[str, dict[str, list[int]]] = {}

    def at(self, needle: str, nth: int, pattern: str) -> Location:
        if self.span is None or self.text.source is None:
            return self.text.loc
        if pattern not in self.indexes:
            src, start, end = self.span
            index: dict[str, list[int]] = {}
            for match in re.compile(pattern).finditer(src, start, end):
                index.setdefault(match.group(), []).append(match.start())
            self.indexes[pattern] = index
        found = self.indexes[pattern].get(needle, [])
        if nth >= len(found):
            return self.text.loc
        return Location(self.text.loc.file, *self.text.source.position(found[nth]))


def content_texts(docs: Iterable[tuple[yaml.Node | None, SourceFile]]) -> list[Text]:
    """Every scalar of every content file (composed nodes and their source, as `discover` reads
    them), for the glyph check; a file kept as text (BibTeX) is checked as it is written."""
    out: list[Text] = []

    def walk(node: yaml.Node | None, src: SourceFile) -> None:
        if isinstance(node, yaml.ScalarNode):
            out.append(Text(node.value, location(src.name, node), node, src))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, src)
        elif isinstance(node, yaml.MappingNode):
            for _key, value in node.value:
                walk(value, src)

    for node, src in docs:
        walk(node, src)
        if node is None and src.text:  # BibTeX: check the raw text
            out.append(Text(src.text, Location(src.name, 1, 1), None, src))
    return out


def check_texts(texts: Iterable[Text], cover: Coverage, report: Report) -> None:
    """Report every character no theme font covers, at the place it is written; characters
    written as HTML entities (`&#x10000;`, which Markdown turns into the character) too."""
    for text in texts:
        value = text.value
        raw = text.node is None and text.source is not None and value is text.source.text
        problems = {c: m for c in set(value) if not (raw and c in bibtex.SPACE) and (m := char_problem(c, cover))}
        places = _Places(text)
        if problems:
            chars = "[" + "".join(re.escape(c) for c in problems) + "]"
            seen: dict[str, int] = {}
            for match in re.finditer(chars, value):
                char = match.group()
                nth = seen[char] = seen.get(char, -1) + 1
                report.error(places.at(char, nth, chars), problems[char])
        if "&" not in value:
            continue
        seen = {}
        for match in _ENTITY.finditer(value):
            entity = match.group()
            nth = seen[entity] = seen.get(entity, -1) + 1
            for char in _referenced(entity):
                if message := char_problem(char, cover):
                    report.error(places.at(entity, nth, _ENTITY.pattern), message)


def check_entries(entries: Iterable[Any], cover: Coverage, report: Report) -> None:
    """BibTeX's TeX (`^^1b`, `\\"o`, `\\textbf`) becomes characters only when pandoc reads it: each
    character pandoc made that the .bib does not hold as written is checked too, at its entry."""
    written: dict[str, set[str]] = {}
    for entry in entries:
        if entry.bibtex is None:
            continue
        raw = written.setdefault(entry.bibtex, set(entry.bibtex))
        found: set[str] = set()
        for value in _strings(entry.csl):
            for char in sorted(set(value) - raw - found):
                if message := char_problem(char, cover):
                    found.add(char)
                    report.error(entry.loc, f"entry '{entry.id}': {message} (written as TeX)")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# fontconfig's names for the CSS weights (fontconfig counts weights on its own scale).
_FC_WEIGHTS = {
    100: "thin",
    200: "extralight",
    300: "light",
    400: "regular",
    500: "medium",
    600: "demibold",
    700: "bold",
    800: "extrabold",
    900: "black",
}


@lru_cache(maxsize=16)
def font_file(family: str, weight: int = 400, what: str = "", where: Location | None = None) -> str | None:
    """The file of the face of `family` fontconfig picks at CSS `weight` (100–900), the face
    WeasyPrint (through Pango) sets text in; None without fontconfig, or when fontconfig can only
    offer another family (it substitutes rather than failing). A ceiling reached while fontconfig
    runs is reported as `what` at `where` (default: finding this font, at the dossier)."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    name = re.sub(r"([\\:,-])", r"\\\1", family)  # fontconfig's pattern syntax
    pattern = name if weight == 400 else f"{name}:weight={_FC_WEIGHTS.get(round(weight, -2), 'regular')}"
    proc = sandbox.run_command([fc_match, "-f", "%{file}\n%{family}", pattern], b"", what or f"finding the font file of '{family}'", where)
    path, _, families = proc.stdout.decode("utf-8", "replace").partition("\n")
    if proc.returncode != 0 or not path or family not in families.split(","):
        return None
    return path
