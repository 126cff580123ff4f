"""Bibliography loading and checking, and the choice of CSL style.

Reads `bibliography.yaml` (CSL YAML: a bare list or pandoc's
`references:` mapping), `bibliography.json` (CSL-JSON, Zotero's export) or
`bibliography.bib` (BibTeX/BibLaTeX, converted by pandoc), checks every
entry against CSL 1.0.2 (types and variables), and gives CSL-JSON ready for
pandoc's citeproc, which `richtext.py` runs once per build. Formatting itself
is pandoc's: it is the CSL reference implementation (see the README).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import DossierError, Location, Report
from .load import SourceFile, kind, location
from .model import KEY_RE

STYLES_DIR = Path(__file__).parent / "styles"
BUNDLED_STYLES = ("chicago-author-date", "chicago-notes-bibliography")

CSL_TYPES = frozenset(
    """
article article-journal article-magazine article-newspaper bill book broadcast chapter classic
collection dataset document entry entry-dictionary entry-encyclopedia event figure graphic hearing
interview legal_case legislation manuscript map motion_picture musical_score pamphlet
paper-conference patent performance periodical personal_communication post post-weblog regulation
report review review-book software song speech standard thesis treaty webpage
""".split()
)
NAME_VARS = frozenset(
    """
author chair collection-editor compiler composer container-author contributor curator director
editor editorial-director editor-translator executive-producer guest host illustrator interviewer
narrator organizer original-author performer producer recipient reviewed-author script-writer
series-creator translator
""".split()
)
DATE_VARS = frozenset("accessed available-date event-date issued original-date submitted".split())
TEXT_VARS = frozenset(
    """
abstract annote archive archive_collection archive_location archive-place authority call-number
chapter-number citation-key citation-label collection-number collection-title container-title
container-title-short dimensions division DOI edition event event-title event-place genre ISBN
ISSN issue jurisdiction keyword language license medium note number number-of-pages
number-of-volumes original-publisher original-publisher-place original-title page page-first
part-number part-title PMCID PMID printing-number publisher publisher-place references
reviewed-genre reviewed-title scale section source status supplement-number title title-short
URL version volume volume-title volume-title-short year-suffix
""".split()
)
NAME_PARTS = frozenset("family given dropping-particle non-dropping-particle suffix comma-suffix static-ordering literal parse-names".split())
DATE_PARTS = frozenset("date-parts season circa literal raw".split())
_ISO_DATE = re.compile(r"^(-?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:/(-?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?)?$")


@dataclass
class Entry:
    """One bibliography entry: its key, where it was written, and its CSL-JSON.

    `bibtex` is the text of the .bib file it comes from: pandoc's citeproc formats those
    entries from the BibTeX itself (see pandoc_bridge.lua), since CSL-JSON loses what its
    BibTeX reader keeps (case protection of `{{Title}}`, TeX math); `csl` is for our checks.
    """

    id: str
    loc: Location
    csl: dict[str, Any]
    bibtex: str | None = None


def with_translation(csl: dict[str, Any]) -> None:
    """Extension `translated-title`: Chicago sets a translation in brackets after the
    original title ("Протокольная запись … [Record of the conversation …]"); CSL 1.0.2
    has no variable for it, so the bracket joins the title pandoc formats."""
    translated = csl.pop("translated-title", None)
    if translated and csl.get("title"):
        csl.setdefault("title-short", csl["title"])  # citations keep the original alone
        csl["title"] = f"{csl['title']} [{translated}]"


def style_path(root: Path, name: str | None, loc: Location) -> Path:
    """The .csl file for `citation_style`: a bundled name or a path in the dossier."""
    if not name:
        return STYLES_DIR / "chicago-author-date.csl"
    if name in BUNDLED_STYLES:
        return STYLES_DIR / f"{name}.csl"
    if not name.endswith(".csl"):
        raise DossierError.at(loc, f"citation_style: unknown style '{name}', expected one of {', '.join(BUNDLED_STYLES)} or a .csl path")
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise DossierError.at(loc, f"citation_style: '{name}' is not a .csl file inside the dossier")
    _check_style(path, root, loc)
    return path


def _check_style(path: Path, root: Path, loc: Location) -> None:
    """A dossier's own .csl: well-formed, no DTD, independent, macros that end (see cslstyle)."""
    from .cslstyle import check_style
    from .errors import display

    check_style(path.read_text(encoding="utf-8", errors="replace"), display(path))


LINK_VARS = ("URL", "DOI")
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)


def link_problem(name: str, value: str) -> str | None:
    """Why an entry's URL or DOI cannot be a live link in the PDF, or None if it can."""
    if name == "URL" and not _URL.fullmatch(value):
        return f"URL: '{value}' is not a web address, expected one starting http:// or https:// with no spaces"
    if name == "DOI" and not re.fullmatch(r"(https?://(dx\.)?doi\.org/)?10\.\S+", value, re.IGNORECASE):
        return f"DOI: '{value}' is not a DOI, expected e.g. 10.1000/xyz123 with no spaces"
    return None


class _EntryChecker:
    """Checks one CSL entry given as located YAML nodes."""

    def __init__(self, report: Report, src: SourceFile):
        self.report = report
        self.src = src

    def error(self, node: object, message: str) -> None:
        self.report.error(location(self.src.name, node), message)

    def entry(self, node: Node, ids: dict[str, Location]) -> Entry | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"bibliography entry: expected a mapping with 'id' and 'type', got {kind(node)}")
            return None
        csl: dict[str, Any] = {}
        type_node: Node = node
        for key, value in node.value:
            name = key.value
            if name.startswith("x-"):
                continue
            if name in ("id", "type", "translated-title") or name in TEXT_VARS:
                if not isinstance(value, ScalarNode):
                    self.error(value, f"{name}: expected text, got {kind(value)}")
                    continue
                csl[name] = value.value
                if name == "type":
                    type_node = value
                if name in LINK_VARS and (problem := link_problem(name, value.value)):
                    self.error(value, problem)
            elif name in NAME_VARS:
                names = self.names(value, name)
                if names is not None:
                    csl[name] = names
            elif name in DATE_VARS:
                date = self.date(value, name)
                if date is not None:
                    csl[name] = date
            else:
                self.error(key, f"unknown CSL variable '{name}', expected a CSL 1.0.2 variable such as title, author, issued")
        ident = csl.get("id")
        if not ident:
            self.error(node, "bibliography entry: 'id' is required")
            return None
        if not KEY_RE.match(ident):
            self.error(node, f"id: '{ident}' is not a citation key, expected letters, digits and _:.#$%&-+?<>~/")
            return None
        if "type" not in csl:
            self.error(node, f"bibliography entry '{ident}': 'type' is required, expected a CSL type such as book or webpage")
        elif csl["type"] not in CSL_TYPES:
            self.error(type_node, f"type: '{csl['type']}' is not a CSL 1.0.2 type, expected e.g. book, chapter, article-journal, webpage")
        with_translation(csl)
        loc = location(self.src.name, node)
        if ident in ids:
            self.error(node, f"duplicate bibliography id '{ident}' (first at {ids[ident]}), expected each id once")
            return None
        ids[ident] = loc
        return Entry(ident, loc, csl)

    def names(self, node: Node, what: str) -> list[dict[str, str]] | None:
        if isinstance(node, MappingNode):
            node = SequenceNode("tag:yaml.org,2002:seq", [node], node.start_mark, node.end_mark)
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what}: expected a list of names (family/given or literal), got {kind(node)}")
            return None
        out = []
        for item in node.value:
            if not isinstance(item, MappingNode):
                self.error(item, f"{what}: expected a name with family/given or literal, got {kind(item)}")
                continue
            name: dict[str, str] = {}
            for key, value in item.value:
                if key.value not in NAME_PARTS:
                    self.error(key, f"unknown name part '{key.value}', expected family, given, literal, suffix …")
                elif not isinstance(value, ScalarNode):
                    self.error(value, f"{key.value}: expected text, got {kind(value)}")
                else:
                    name[key.value] = value.value
            out.append(name)
        return out

    def date(self, node: Node, what: str) -> dict[str, Any] | None:
        if isinstance(node, ScalarNode):
            match = _ISO_DATE.match(node.value.strip())
            if not match:
                return {"literal": node.value}
            g = match.groups()
            parts = [[int(x) for x in g[0:3] if x]]
            if g[3]:
                parts.append([int(x) for x in g[3:6] if x])
            return {"date-parts": parts} if self.on_calendar(node, what, parts) else None
        if not isinstance(node, MappingNode):
            self.error(node, f"{what}: expected a date (YYYY-MM-DD or date-parts), got {kind(node)}")
            return None
        out: dict[str, Any] = {}
        for key, value in node.value:
            if key.value not in DATE_PARTS:
                self.error(key, f"unknown date part '{key.value}', expected date-parts, literal, season, circa or raw")
            elif key.value == "date-parts":
                date_parts = self.date_parts(value, what)
                if date_parts is not None:
                    out["date-parts"] = date_parts
            elif isinstance(value, ScalarNode):
                out[key.value] = value.value
            else:
                self.error(value, f"{key.value}: expected text, got {kind(value)}")
        return out

    def date_parts(self, node: Node, what: str) -> list[list[int]] | None:
        rows = node.value if isinstance(node, SequenceNode) else None
        if not rows or not all(isinstance(r, SequenceNode) for r in rows):
            self.error(node, f"{what}: date-parts expected [[year, month, day]], got {kind(node)}")
            return None
        out = []
        for row in rows:
            values = []
            for part in row.value:
                if not isinstance(part, ScalarNode) or not re.fullmatch(r"-?\d{1,4}", part.value):
                    self.error(part, f"{what}: date part '{getattr(part, 'value', '')}' is not a number, expected [[year, month, day]]")
                    return None
                values.append(int(part.value))
            if not 1 <= len(values) <= 3:
                self.error(row, f"{what}: expected 1 to 3 date parts, got {len(values)}")
                return None
            out.append(values)
        return out if self.on_calendar(node, what, out) else None

    def on_calendar(self, node: Node, what: str, parts: list[list[int]]) -> bool:
        """Each [year, month, day] is a real date (months 21–24 are CSL's seasons)."""
        import calendar

        for row in parts:
            year, month, day = (row + [0, 0])[:3]
            if len(row) > 1 and not (1 <= month <= 12 or (21 <= month <= 24 and len(row) == 2)):
                self.error(node, f"{what}: month {month} is not on the calendar, expected 1–12 (or a season, 21–24)")
                return False
            if len(row) > 2 and not 1 <= day <= calendar.monthrange(year if year > 0 else 2000, month)[1]:
                self.error(node, f"{what}: {year}-{month:02d}-{day:02d} is not on the calendar, expected a real day")
                return False
        return True


def read_bibliography(node: Node | None, src: SourceFile, report: Report, ids: dict[str, Location] | None = None) -> list[Entry]:
    """Entries of a CSL YAML file, checked."""
    if node is None:
        report.error(Location(src.name, 1, 1), "file is empty, expected a list of bibliography entries ('- id: ...') or no file")
        return []
    if isinstance(node, MappingNode):
        refs = [v for k, v in node.value if k.value == "references"]
        for k, _ in node.value:
            if k.value != "references" and not k.value.startswith("x-"):
                report.error(location(src.name, k), f"unknown key '{k.value}', expected 'references' or a bare list of entries")
        if not refs:
            report.error(location(src.name, node), "bibliography: expected a list of entries or 'references:'")
            return []
        node = refs[0]
    if not isinstance(node, SequenceNode):
        report.error(location(src.name, node), f"bibliography: expected a list of entries, got {kind(node)}")
        return []
    checker = _EntryChecker(report, src)
    ids = {} if ids is None else ids
    return [e for item in node.value if (e := checker.entry(item, ids)) is not None]


def read_bibtex(src: SourceFile, pandoc: str, lang: str, report: Report, ids: dict[str, Location] | None = None) -> list[Entry]:
    """Entries of a BibTeX/BibLaTeX file, converted to CSL-JSON by pandoc.

    Pandoc turns the titles of English entries (those without a `langid` when the
    default language is English) into sentence case, which CSL title-cases back only
    for English; its BibTeX reader takes that default from `LANG`. `LANG` is set to
    the dossier's language, as pandoc does when it reads a `.bib` for a document of
    that `lang`, so a German dossier keeps "Nachrichten aus Japan" and the user's own
    locale never changes the result.
    """
    import os

    from .bibtex import MAX_EXPANDED, TooLarge, check_crossrefs, for_pandoc, scan
    from .sandbox import run_command

    try:
        scanned = scan(src.text)  # None: pandoc cannot read it either, and says where
    except TooLarge as exc:
        report.error(
            Location(src.name, *src.position(exc.at)),
            f"@string names make the field values longer than {MAX_EXPANDED:,} characters here, expected @string for short recurring text",
        )
        report.unreadable.add(Path(src.name).name)
        return []
    if scanned is not None and not check_crossrefs(scanned, src, report):
        report.unreadable.add(Path(src.name).name)
        return []
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env["LANG"] = lang
    # Under the build's ceilings: a crossref cycle once took pandoc to 24 GB.
    text = for_pandoc(src.text)  # the same text for this conversion and for the bridge's citeproc
    proc = run_command(
        [pandoc, "-f", "biblatex", "-t", "csljson"], text.encode("utf-8"), "reading the bibliography with pandoc", Location(src.name, 1, 1), env
    )
    if proc.returncode != 0:
        message = " ".join(proc.stderr.decode("utf-8", "replace").split())
        at = re.search(r"line (\d+), column (\d+)", message)
        where = Location(src.name, int(at.group(1)), int(at.group(2))) if at else Location(src.name, 1, 1)
        report.error(where, f"BibTeX could not be read: {message[:300]}, expected BibTeX or BibLaTeX entries")
        report.unreadable.add(Path(src.name).name)
        return []
    entries = []
    ids = {} if ids is None else ids
    written: dict[str, list[int]] = {}  # key → offsets of its entries, in file order
    for e in scanned or []:
        written.setdefault(e.key, []).append(e.at)
    for csl in json.loads(proc.stdout or b"[]"):
        with_translation(csl)
        ident = csl.get("id", "")
        offsets = written.get(ident)
        loc = Location(src.name, *src.position(offsets.pop(0))) if offsets else Location(src.name, 1, 1)
        if ident in ids:
            report.error(loc, f"duplicate bibliography id '{ident}' (first at {ids[ident]}), expected each id once")
            continue
        ids[ident] = loc
        for name in LINK_VARS:  # trimmed, as BibTeX does (and the bridge); an empty one is left out
            if isinstance(csl.get(name), str) and csl[name].strip() and (problem := link_problem(name, csl[name].strip())):
                report.error(loc, f"entry '{ident}': {problem}")
        entries.append(Entry(ident, loc, csl, text))
    return entries


# What a CSL type needs for a complete Chicago reference; `a|b` means either will do.
NEEDED: dict[str, tuple[str, ...]] = {
    "book": ("author|editor", "title", "issued", "publisher"),
    "chapter": ("author", "title", "container-title", "issued", "publisher"),
    "article-journal": ("title", "container-title", "issued", "volume|issue", "page"),
    "article-magazine": ("title", "container-title", "issued"),
    "article-newspaper": ("title", "container-title", "issued"),
    "webpage": ("title", "URL", "issued|accessed"),
    "post-weblog": ("title", "URL", "issued|accessed"),
    "report": ("title", "author|publisher", "issued"),
    "thesis": ("author", "title", "publisher", "issued"),
    "paper-conference": ("author", "title", "container-title|event-title", "issued"),
    "treaty": ("title", "issued"),
    "legislation": ("title", "issued"),
}


def missing_fields(entry: Entry) -> list[str]:
    """Variables the entry's type needs that it lacks (for the citation report of `dossier check`)."""
    needed = NEEDED.get(str(entry.csl.get("type")), ("title", "issued"))
    return [need for need in needed if not any(entry.csl.get(v) for v in need.split("|"))]
