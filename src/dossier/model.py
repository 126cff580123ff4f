"""Stage 2: the typed content model, the output of reading the content files.

One class per section of the content format (see the README's "The content
format"), and the constants of that format (sections, files, the syntax of ids,
citation keys and language tags). The readers that build a `Dossier` from the
located YAML nodes are `dossierfile.read_dossier` (dossier.yaml, through its field
table) and `sectionfiles` (chronology, excerpts, interpretations), on the checks
of `tables.FieldReader`. Rich text is only captured here; `richtext.py` parses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import ScalarNode

from . import paper as paper_sizes
from .dates import DateValue
from .errors import Location
from .load import SourceFile

SECTIONS = ("summary", "names", "chronology", "excerpts", "interpretations", "bibliography")
SECTION_FILES = {
    "chronology": "chronology.yaml",
    "excerpts": "excerpts.yaml",
    "interpretations": "interpretations.yaml",
}
CONTENT_FILES = ("dossier.yaml", "chronology.yaml", "excerpts.yaml", "interpretations.yaml")
BIB_FILES = ("bibliography.yaml", "bibliography.json", "bibliography.bib")
BIB_SUFFIXES = (".yaml", ".json", ".bib")
ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_:.#$%&+?<>~/-]*$")
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
THEME_IDS = ("contents", "positions")  # anchors the default theme sets itself
THEME_ID_PREFIXES = ("ref-", "interp-", "cite-")  # bibliography entries, unnamed interpretations, citations
LINE_MAX = 500  # characters of a one-line field (a title, a party): more is a mistake, and slow to lay out
PAPERS = {key: css for key, (css, _w, _h) in paper_sizes.SIZES.items()}  # A4, A5, B5, letter, legal


@dataclass
class Text:
    """A string from the content, with where it was written."""

    value: str
    loc: Location
    node: ScalarNode | None = None
    source: SourceFile | None = None
    _found: dict[str, tuple[int, int]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __str__(self) -> str:
        return self.value

    def locate(self, needle: str, nth: int = 0) -> Location:
        """Where the nth occurrence of `needle` is written in the file, within this value's
        YAML source; the value's own start when it cannot be found (folded text, escapes)."""
        if self.node is None or self.source is None:
            return self.loc
        src = self.source.text
        start, end = self.node.start_mark.index, self.node.end_mark.index
        # Callers ask for the 1st, 2nd, ... occurrence in turn: go on from the last one found
        # rather than from the start (quadratic for a long value with many errors).
        k, pos = self._found.get(needle, (-1, start - 1))
        if k > nth:
            k, pos = -1, start - 1
        while k < nth:
            pos = src.find(needle, pos + 1, end)
            if pos < 0:
                return self.loc
            k += 1
        self._found[needle] = (k, pos)
        line, col = self.source.position(pos)
        return Location(self.loc.file, line, col)


@dataclass
class RichText(Text):
    """A rich-text field: `block` Markdown, `inline` Markdown, or `quote` (no citations).

    `key` names the field by where it is written, `FILE#/json/pointer` (`chronology.yaml#/3/text`):
    the same in every stage and every run, printable in messages; later stages key their output
    (the field's HTML) by it, never by the identity of Python objects."""

    mode: str = "block"
    key: str = ""


@dataclass
class Author:
    name: Text
    affiliation: Text | None = None


@dataclass
class KeyFact:
    label: Text
    value: RichText


@dataclass
class Event:
    date: DateValue
    date_loc: Location
    title: Text
    text: RichText | None
    sources: list[Text]
    id: str | None
    order: int
    key: str = ""  # where the event is written (`chronology.yaml#/3`): its `sources` are formatted under this key


@dataclass
class Original:
    lang: str
    text: RichText


@dataclass
class Excerpt:
    id: str
    document: Text
    source: Text
    locator: Text | None
    text: RichText
    originals: list[Original]
    note: RichText | None
    key: str = ""  # where the excerpt is written: its `source` is formatted under this key


@dataclass
class Interpretation:
    id: str | None
    party: Text
    position: Text
    text: RichText
    sources: list[Text]
    period: DateValue | None
    stances: dict[str, RichText] = field(default_factory=dict)
    key: str = ""  # where the interpretation is written: its `sources` are formatted under this key
    # The HTML id of its text, set once here so that every link to it agrees: its `id`, else
    # `interp-N` by its place among all interpretations (never among a filtered list).
    anchor: str = ""


@dataclass
class Question:
    """A row of the positions-of-the-parties matrix (extension: `questions`)."""

    id: str
    text: Text


@dataclass
class Name:
    """A term with its forms in other scripts (extension: `names`)."""

    term: Text
    forms: dict[str, Text]
    note: RichText | None


@dataclass
class Dossier:
    """Everything a dossier says, checked; the input of every later stage."""

    root: Path
    title: Text
    language: str = "en"
    subtitle: Text | None = None
    short_title: Text | None = None  # extension: the running head's title, when `title` is long
    series: Text | None = None
    number: Text | None = None
    disclaimer: RichText | None = None
    questions: list[Question] = field(default_factory=list)
    names: list[Name] = field(default_factory=list)
    bibliography_files: list[Text] = field(default_factory=list)
    backrefs: bool = False
    edition: DateValue | None = None
    version: Text | None = None
    keywords: list[Text] = field(default_factory=list)  # extension: the PDF's subject keywords (XMP dc:subject)
    authors: list[Author] = field(default_factory=list)
    organisation: Text | None = None
    marking: Text | None = None
    summary: RichText | None = None
    key_facts: list[KeyFact] = field(default_factory=list)
    citation_style: Text | None = None
    paper: str = "A4"
    sections: list[str] = field(default_factory=list)
    chronology: list[Event] = field(default_factory=list)
    excerpts: list[Excerpt] = field(default_factory=list)
    interpretations: list[Interpretation] = field(default_factory=list)
    ids: dict[str, Location] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
