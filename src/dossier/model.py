"""Stage 2: the typed content model, validated from located YAML nodes.

One class per section of the content format (see the README's
"The content format"). `read_dossier()` turns the
nodes of every file into a `Dossier`, recording every mistake it finds in a
`Report` with the place it was written, and never stops at the first one.

Rules enforced here: unknown keys (except `x-…`), missing required fields,
the type of each field (a string where a string belongs, a list where a list
belongs), ids (syntax, one namespace, reserved section names), dates,
`sections`, paper sizes, and the citation-key syntax of `sources` lists.
Rich text is only captured here; `richtext.py` parses it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import paper as paper_sizes
from .dates import DateValue, parse_date
from .errors import Location, Report
from .load import SourceFile, kind, location

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


def plain(node: Node) -> Any:
    """A node as plain Python data (strings, lists, dicts), for `x-` keys."""
    if isinstance(node, MappingNode):
        return {k.value: plain(v) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [plain(v) for v in node.value]
    return node.value


def yaml_paths(root: Node | None) -> dict[int, str]:
    """The JSON pointer (`/3/text`) of every node of a document, by node identity: one walk,
    without recursion (nesting depth is the content's)."""
    out: dict[int, str] = {}
    stack: list[tuple[Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, path = stack.pop()
        out[id(node)] = path
        if isinstance(node, MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, ScalarNode) else "?"
                stack.append((value, path + "/" + name.replace("~", "~0").replace("/", "~1")))
        elif isinstance(node, SequenceNode):
            stack += [(item, f"{path}/{n}") for n, item in enumerate(node.value)]
    return out


class FieldReader:
    """Reads the nodes of one file, reporting mistakes with their place."""

    def __init__(self, report: Report, src: SourceFile, dossier: Dossier, root: Node | None = None):
        self.report = report
        self.src = src
        self.dossier = dossier
        self.file = Path(src.name).name  # content files lie at the top of the dossier
        self.paths = yaml_paths(root)

    def key(self, node: Node) -> str:
        """The stable name of what `node` holds: `FILE#/json/pointer` (see `RichText`)."""
        return f"{self.file}#{self.paths.get(id(node), '')}"

    def loc(self, node: object) -> Location:
        return location(self.src.name, node)

    def error(self, node: object, message: str) -> None:
        self.report.error(self.loc(node), message)

    def mapping(self, node: Node | None, what: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Node] | None:
        """A mapping's values by key, after checking keys against the allowed set."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{what}: expected a mapping of keys to values, got {kind(node) if node else 'nothing'}")
            return None
        out: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value
            if name.startswith("x-"):
                continue
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
                hint = f" (a typo of '{close[0]}'?)" if close else ""
                self.error(key, f"unknown key '{name}' in {what}{hint}, expected one of: {', '.join(allowed)}")
                continue
            out[name] = value
        for name in required:
            if name not in out or _empty(out[name]):
                where = out.get(name, node)
                self.error(where, f"{what}: '{name}' is required, expected a value")
        return out

    def extras(self, node: Node) -> dict[str, Any]:
        assert isinstance(node, MappingNode)
        return {k.value: plain(v) for k, v in node.value if k.value.startswith("x-")}

    def text(self, node: Node | None, what: str) -> Text | None:
        if node is None or _empty(node):
            return None
        if not isinstance(node, ScalarNode):
            hint = ""
            if isinstance(node, SequenceNode) and node.flow_style:
                hint = "; a value starting with '[' must be quoted or written as a | block"
            self.error(node, f"{what}: expected text, got {kind(node)}{hint}")
            return None
        return Text(node.value, self.loc(node), node, self.src)

    def line(self, node: Node | None, what: str) -> Text | None:
        """A one-line text: a title, a party, a label."""
        value = self.text(node, what)
        if value is None:
            return None
        if not value.value.strip():
            self.error(node, f"{what}: blank, expected text")
        elif len(value.value) > LINE_MAX:
            self.error(node, f"{what}: {len(value.value)} characters, expected at most {LINE_MAX} (one line)")
        elif "\n" in value.value.strip():
            self.error(node, f"{what}: several lines, expected one line (a '|' block keeps the line breaks; use '>' or one line)")
        return value

    def rich(self, node: Node | None, what: str, mode: str = "block") -> RichText | None:
        value = self.text(node, what)
        if value is None:
            return None
        assert isinstance(node, ScalarNode)
        if node.style is None and "#" in self._line_tail(node):
            self.error(node, f"{what}: ' #' starts a YAML comment and cuts the text, expected the value quoted or written as a | block")
        return RichText(value.value, value.loc, node, self.src, mode, self.key(node))

    def _line_tail(self, node: ScalarNode) -> str:
        """Source text after a plain scalar on its last line (a comment YAML dropped)."""
        end = node.end_mark.index
        stop = self.src.text.find("\n", end)
        return self.src.text[end : stop if stop >= 0 else len(self.src.text)]

    def date(self, node: Node | None, what: str) -> DateValue | None:
        value = self.text(node, what)
        if value is None:
            return None
        try:
            return parse_date(value.value)
        except ValueError as exc:
            self.error(node, f"{what}: {exc}")
            return None

    def items(self, node: Node | None, what: str) -> list[Node]:
        if node is None or _empty(node):
            return []
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what}: expected a list, got {kind(node)}")
            return []
        return list(node.value)

    def keys(self, node: Node | None, what: str) -> list[Text]:
        out = []
        for item in self.items(node, what):
            key = self.text(item, what)
            if key is None:
                continue
            if key.value.startswith("@"):
                key.value = key.value[1:]
            if not KEY_RE.match(key.value):
                self.error(item, f"{what}: '{key.value}' is not a citation key, expected letters, digits and _:.#$%&-+?<>~/")
                continue
            out.append(key)
        return out

    def ident(self, node: Node | None, what: str) -> str | None:
        value = self.text(node, what)
        if value is None:
            return None
        if not ID_RE.match(value.value):
            self.error(node, f"{what}: '{value.value}' is not a valid id, expected a letter then letters, digits, '_' or '-'")
            return None
        if value.value in SECTIONS:
            self.error(node, f"{what}: '{value.value}' is reserved for the section of that name, expected another id")
            return None
        if value.value in THEME_IDS or value.value.startswith(THEME_ID_PREFIXES):
            self.error(
                node,
                f"{what}: '{value.value}' is an id the theme gives its own parts (contents, positions, ref-…, interp-…, cite-…), expected another id",
            )
            return None
        first = self.dossier.ids.get(value.value)
        if first is not None:
            self.error(node, f"duplicate id '{value.value}' (first at {first}), expected each id once")
            return None
        self.dossier.ids[value.value] = value.loc
        return value.value


def _empty(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.value == "" and node.style is None


def read_dossier(root: Path, docs: dict[str, tuple[Node | None, SourceFile]], report: Report) -> Dossier | None:
    """Build the model from composed files (`docs` maps file name to node and source)."""
    node, src = docs["dossier.yaml"]
    if node is None:
        report.error(Location(src.name, 1, 1), "file is empty, expected a mapping with at least 'title'")
        return None
    placeholder = Dossier(root=root, title=Text("", Location(src.name, 1, 1)))
    r = FieldReader(report, src, placeholder, node)
    allowed = (
        "title",
        "subtitle",
        "short_title",
        "edition",
        "version",
        "language",
        "authors",
        "organisation",
        "marking",
        "summary",
        "key_facts",
        "citation_style",
        "paper",
        "sections",
        "series",
        "number",
        "disclaimer",
        "questions",
        "names",
        "bibliography",
        "backrefs",
        "keywords",
    )
    m = r.mapping(node, "dossier.yaml", allowed, ("title",))
    if m is None:
        return None
    d = placeholder
    d.extra = r.extras(node)
    d.title = r.line(m.get("title"), "title") or d.title
    if not d.title.value.strip() and "title" in m and _empty(m["title"]):
        r.error(m["title"], "title: blank, expected the briefing's title")
    d.subtitle = r.line(m.get("subtitle"), "subtitle")
    d.short_title = r.line(m.get("short_title"), "short_title")
    d.edition = r.date(m.get("edition"), "edition")
    if d.edition is not None and d.edition.end is not None:
        r.error(m["edition"], f"edition: '{m['edition'].value}' is a range, expected the one date of this edition")
        d.edition = None
    d.version = r.text(m.get("version"), "version")
    lang = r.text(m.get("language"), "language")
    if lang is not None:
        if LANG_RE.match(lang.value):
            d.language = lang.value
        else:
            r.error(lang.node, f"language: '{lang.value}' is not a BCP 47 tag, expected e.g. en, en-GB, ja, ru")
    for item in r.items(m.get("authors"), "authors"):
        am = r.mapping(item, "author", ("name", "affiliation"), ("name",))
        if am and (name := r.text(am.get("name"), "author name")):
            d.authors.append(Author(name, r.text(am.get("affiliation"), "affiliation")))
    d.organisation = r.text(m.get("organisation"), "organisation")
    d.marking = r.text(m.get("marking"), "marking")
    d.summary = r.rich(m.get("summary"), "summary")
    for item in r.items(m.get("key_facts"), "key_facts"):
        km = r.mapping(item, "key fact", ("label", "value"), ("label", "value"))
        if km:
            label = r.line(km.get("label"), "key fact label")
            value = r.rich(km.get("value"), "key fact value", "inline")
            if label and value:
                d.key_facts.append(KeyFact(label, value))
    d.citation_style = r.text(m.get("citation_style"), "citation_style")
    paper = r.text(m.get("paper"), "paper")
    if paper is not None:
        if paper.value.lower() in PAPERS:
            d.paper = PAPERS[paper.value.lower()]
        else:
            r.error(paper.node, f"paper: '{paper.value}' is not a paper size, expected one of {paper_sizes.names()}")
    d.series = r.text(m.get("series"), "series")
    d.number = r.text(m.get("number"), "number")
    d.disclaimer = r.rich(m.get("disclaimer"), "disclaimer", "inline")
    for item in r.items(m.get("questions"), "questions"):
        qm = r.mapping(item, "question", ("id", "text"), ("id", "text"))
        if qm:
            qid = r.ident(qm.get("id"), "id")
            qtext = r.text(qm.get("text"), "text")
            if qid and qtext:
                d.questions.append(Question(qid, qtext))
    for item in r.items(m.get("names"), "names"):
        nm = r.mapping(item, "name", ("term", "forms", "note"), ("term", "forms"))
        if nm is None:
            continue
        term = r.text(nm.get("term"), "term")
        forms: dict[str, Text] = {}
        fnode = nm.get("forms")
        if isinstance(fnode, MappingNode):
            for key, value in fnode.value:
                if not LANG_RE.match(key.value):
                    r.error(key, f"forms: '{key.value}' is not a BCP 47 language tag, expected e.g. ja, ru")
                elif (form := r.text(value, f"forms.{key.value}")) is not None:
                    forms[key.value] = form
        elif fnode is not None:
            r.error(fnode, "forms: expected a mapping of language tags to forms, e.g. 'ja: 歯舞群島'")
        note = r.rich(nm.get("note"), "note", "inline")
        if term and forms:
            d.names.append(Name(term, forms, note))
    d.bibliography_files = _bibliography_files(r, m.get("bibliography"), root)
    backrefs = r.text(m.get("backrefs"), "backrefs")
    if backrefs is not None:
        if backrefs.value in ("true", "false"):
            d.backrefs = backrefs.value == "true"
        else:
            r.error(backrefs.node, f"backrefs: '{backrefs.value}' is not true or false, expected true or false")
    for item in r.items(m.get("keywords"), "keywords"):
        if (keyword := r.line(item, "keyword")) is not None:
            d.keywords.append(keyword)
    d.sections = _sections(r, m.get("sections"), docs, d)

    if "chronology.yaml" in docs:
        d.chronology = _chronology(FieldReader(report, docs["chronology.yaml"][1], d, docs["chronology.yaml"][0]), docs["chronology.yaml"][0])
    if "excerpts.yaml" in docs:
        d.excerpts = _excerpts(FieldReader(report, docs["excerpts.yaml"][1], d, docs["excerpts.yaml"][0]), docs["excerpts.yaml"][0])
    if "interpretations.yaml" in docs:
        d.interpretations = _interpretations(
            FieldReader(report, docs["interpretations.yaml"][1], d, docs["interpretations.yaml"][0]), docs["interpretations.yaml"][0]
        )
    return d


def _bibliography_files(r: FieldReader, node: Node | None, root: Path) -> list[Text]:
    """The files `bibliography` names: relative paths inside the dossier, CSL YAML, CSL-JSON or BibTeX."""
    out: list[Text] = []
    for item in r.items(_as_list(node), "bibliography"):
        name = r.text(item, "bibliography")
        if name is None:
            continue
        path = (root / name.value).resolve()
        if Path(name.value).is_absolute() or not path.is_relative_to(root.resolve()):
            r.error(item, f"bibliography: '{name.value}' is outside the dossier, expected a path inside its folder")
        elif path.suffix not in BIB_SUFFIXES:
            r.error(item, f"bibliography: '{name.value}' is not .yaml, .json or .bib, expected CSL YAML, CSL-JSON or BibTeX")
        elif path.is_dir():
            r.error(item, f"bibliography: '{name.value}' is a folder, expected a bibliography file in the dossier")
        elif path.exists() and not path.is_file():
            r.error(item, f"bibliography: '{name.value}' is not a regular file (a FIFO, a device?), expected a bibliography file")
        elif not path.is_file():
            r.error(item, f"bibliography: '{name.value}' not found, expected a file in the dossier")
        elif path.parent == root.resolve() and path.name in CONTENT_FILES:
            r.error(item, f"bibliography: '{name.value}' is a content file of the dossier, expected a bibliography file")
        elif name.value in [t.value for t in out]:
            r.error(item, f"bibliography: '{name.value}' is listed twice, expected each file once")
        else:
            out.append(name)
    return out


def _present(section: str, docs: dict[str, Any], bib_present: bool, d: Dossier, m_has_summary: bool) -> bool:
    if section == "summary":
        return m_has_summary
    if section == "names":
        return bool(d.names)
    if section == "bibliography":
        return bib_present
    return SECTION_FILES[section] in docs or (d.root / SECTION_FILES[section]).is_file()  # present, if unreadable


def _sections(r: FieldReader, node: Node | None, docs: dict[str, Any], d: Dossier) -> list[str]:
    bib_present = bool(d.bibliography_files) or any((d.root / n).is_file() for n in BIB_FILES)
    has_summary = d.summary is not None or bool(d.key_facts)
    present = {s for s in SECTIONS if _present(s, docs, bib_present, d, has_summary)}
    if node is None or _empty(node):
        return [s for s in SECTIONS if s in present]
    out: list[str] = []
    for item in r.items(node, "sections"):
        name = r.text(item, "sections")
        if name is None:
            continue
        if name.value not in SECTIONS:
            r.error(item, f"sections: unknown section '{name.value}', expected one of: {', '.join(SECTIONS)}")
        elif name.value in out:
            r.error(item, f"sections: '{name.value}' is listed twice, expected each section once")
        elif name.value not in present:
            what = {
                "summary": "summary or key_facts in dossier.yaml",
                "names": "names in dossier.yaml",
                "bibliography": "a bibliography file",
            }.get(name.value) or SECTION_FILES[name.value]
            r.error(item, f"sections: '{name.value}' is listed but the dossier has no {what}, expected it or the name removed")
        else:
            out.append(name.value)
    for section in SECTIONS:
        if section in present and section not in out:
            r.report.warning(r.loc(node), f"sections: '{section}' has content but is not listed, so it is left out")
    return out


def _top_list(r: FieldReader, node: Node | None, what: str) -> list[Node]:
    if node is None:
        r.report.error(Location(r.src.name, 1, 1), f"file is empty, expected a list of {what} entries ('- ...') or no file")
        return []
    if not isinstance(node, SequenceNode):
        r.error(node, f"{what}: expected a list of entries ('- ...'), got {kind(node)}")
        return []
    return list(node.value)


def _chronology(r: FieldReader, node: Node | None) -> list[Event]:
    events = []
    for order, item in enumerate(_top_list(r, node, "chronology")):
        m = r.mapping(item, "event", ("date", "title", "text", "sources", "id"), ("date", "title"))
        if m is None:
            continue
        date = r.date(m.get("date"), "date")
        title = r.line(m.get("title"), "title")
        text = r.rich(m.get("text"), "text")
        sources = r.keys(m.get("sources"), "sources")
        ident = r.ident(m.get("id"), "id") if "id" in m else None
        if date and title:
            events.append(Event(date, r.loc(m["date"]), title, text, sources, ident, order, r.key(item)))
    events.sort(key=lambda e: (e.date.key, e.order))
    return events


def _excerpts(r: FieldReader, node: Node | None) -> list[Excerpt]:
    out = []
    allowed = ("id", "document", "source", "locator", "text", "originals", "note")
    for item in _top_list(r, node, "excerpts"):
        m = r.mapping(item, "excerpt", allowed, ("id", "document", "source", "text"))
        if m is None:
            continue
        ident = r.ident(m.get("id"), "id")
        document = r.line(m.get("document"), "document")
        keys = r.keys(_as_list(m.get("source")), "source")
        locator = r.text(m.get("locator"), "locator")
        text = r.rich(m.get("text"), "text", "quote")
        originals = []
        for o in r.items(m.get("originals"), "originals"):
            om = r.mapping(o, "original", ("lang", "text"), ("lang", "text"))
            if om is None:
                continue
            lang = r.text(om.get("lang"), "lang")
            otext = r.rich(om.get("text"), "text", "quote")
            if lang and not LANG_RE.match(lang.value):
                r.error(lang.node, f"lang: '{lang.value}' is not a BCP 47 tag, expected e.g. ja, ru")
            elif lang and otext:
                originals.append(Original(lang.value, otext))
        note = r.rich(m.get("note"), "note")
        if ident and document and keys and text:
            out.append(Excerpt(ident, document, keys[0], locator, text, originals, note, r.key(item)))
    return out


def _as_list(node: Node | None) -> Node | None:
    """A single scalar key as a one-item list, so `source:` shares the key checks."""
    if isinstance(node, ScalarNode) and not _empty(node):
        return SequenceNode("tag:yaml.org,2002:seq", [node], node.start_mark, node.end_mark)
    return node


def _interpretations(r: FieldReader, node: Node | None) -> list[Interpretation]:
    out = []
    allowed = ("id", "party", "position", "text", "sources", "period", "stances")
    questions = {q.id for q in r.dossier.questions}
    for item in _top_list(r, node, "interpretations"):
        m = r.mapping(item, "interpretation", allowed, ("party", "position", "text"))
        if m is None:
            continue
        ident = r.ident(m.get("id"), "id") if "id" in m else None
        party = r.line(m.get("party"), "party")
        position = r.line(m.get("position"), "position")
        text = r.rich(m.get("text"), "text")
        sources = r.keys(m.get("sources"), "sources")
        period = r.date(m.get("period"), "period")
        stances: dict[str, RichText] = {}
        snode = m.get("stances")
        if isinstance(snode, MappingNode):
            for key, value in snode.value:
                if key.value not in questions:
                    known = ", ".join(sorted(questions)) or "none: add 'questions' to dossier.yaml"
                    r.error(key, f"stances: '{key.value}' is not a question id, expected one of: {known}")
                elif (answer := r.rich(value, f"stances.{key.value}", "inline")) is not None:
                    stances[key.value] = answer
        elif snode is not None and not _empty(snode):
            r.error(snode, "stances: expected a mapping of question ids to short answers")
        if party and position and text:
            out.append(Interpretation(ident, party, position, text, sources, period, stances, r.key(item)))
    for n, interpretation in enumerate(out, 1):
        interpretation.anchor = interpretation.id or f"interp-{n}"
    return out
