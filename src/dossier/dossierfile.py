"""Stage 2: the reader of dossier.yaml, and `read_dossier`, which builds the whole model.

`DOSSIER` is the field table of dossier.yaml: one line per key, naming how its value is
read and whether it is required. The allowed keys, the "unknown key … expected one of"
message and the order the fields are read (and their errors reported) come from it, so a
new field is one line here and one attribute of `model.Dossier`. The section files are
read by `sectionfiles`, after dossier.yaml (stances refer to its questions).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from yaml.nodes import MappingNode, Node

from . import paper as paper_sizes
from . import sectionfiles
from .dates import DateValue
from .errors import Location, Report
from .load import SourceFile
from .model import (
    BIB_FILES,
    BIB_SUFFIXES,
    CONTENT_FILES,
    LANG_RE,
    PAPERS,
    SECTION_FILES,
    SECTIONS,
    Author,
    Dossier,
    KeyFact,
    Name,
    Question,
    Text,
)
from .tables import Field, FieldReader, as_list, empty, reading_order


def _title(r: FieldReader, node: Node | None) -> Text | None:
    title = r.line(node, "title")
    if title is None and node is not None and empty(node):
        r.error(node, "title: blank, expected the briefing's title")
    return title


def _edition(r: FieldReader, node: Node | None) -> DateValue | None:
    edition = r.date(node, "edition")
    if edition is not None and edition.end is not None:
        assert node is not None
        r.error(node, f"edition: '{node.value}' is a range, expected the one date of this edition")
        return None
    return edition


def _language(r: FieldReader, node: Node | None) -> str | None:
    lang = r.text(node, "language")
    if lang is None or LANG_RE.match(lang.value):
        return None if lang is None else lang.value
    r.error(lang.node, f"language: '{lang.value}' is not a BCP 47 tag, expected e.g. en, en-GB, ja, ru")
    return None


def _authors(r: FieldReader, node: Node | None) -> list[Author]:
    out = []
    for item in r.items(node, "authors"):
        am = r.mapping(item, "author", ("name", "affiliation"), ("name",))
        # the affiliation is read only with a name: no second error for an entry left out
        if am and (name := r.text(am.get("name"), "author name")):
            out.append(Author(name, r.text(am.get("affiliation"), "affiliation")))
    return out


KEY_FACT = (
    Field("label", lambda r, n: r.line(n, "key fact label"), required=True),
    Field("value", lambda r, n: r.rich(n, "key fact value", "inline"), required=True),
)


def _key_facts(r: FieldReader, node: Node | None) -> list[KeyFact]:
    records = (r.record(item, "key fact", KEY_FACT) for item in r.items(node, "key_facts"))
    return [KeyFact(v["label"], v["value"]) for v in records if v is not None]


def _paper(r: FieldReader, node: Node | None) -> str | None:
    paper = r.text(node, "paper")
    if paper is None or paper.value.lower() in PAPERS:
        return None if paper is None else PAPERS[paper.value.lower()]
    r.error(paper.node, f"paper: '{paper.value}' is not a paper size, expected one of {paper_sizes.names()}")
    return None


QUESTION = (
    Field("id", lambda r, n: r.ident(n, "id"), required=True),
    Field("text", lambda r, n: r.text(n, "text"), required=True),
)


def _questions(r: FieldReader, node: Node | None) -> list[Question]:
    records = (r.record(item, "question", QUESTION) for item in r.items(node, "questions"))
    return [Question(v["id"], v["text"]) for v in records if v is not None]


def _forms(r: FieldReader, node: Node | None) -> dict[str, Text]:
    """A name's forms in other scripts, by language tag."""
    forms: dict[str, Text] = {}
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if not LANG_RE.match(key.value):
                r.error(key, f"forms: '{key.value}' is not a BCP 47 language tag, expected e.g. ja, ru")
            elif (form := r.text(value, f"forms.{key.value}")) is not None:
                forms[key.value] = form
    elif node is not None:
        r.error(node, "forms: expected a mapping of language tags to forms, e.g. 'ja: 歯舞群島'")
    return forms


NAME = (
    Field("term", lambda r, n: r.text(n, "term"), required=True),
    Field("forms", _forms, required=True),
    Field("note", lambda r, n: r.rich(n, "note", "inline")),
)


def _names(r: FieldReader, node: Node | None) -> list[Name]:
    records = (r.record(item, "name", NAME) for item in r.items(node, "names"))
    return [Name(v["term"], v["forms"], v["note"]) for v in records if v is not None]


def _backrefs(r: FieldReader, node: Node | None) -> bool | None:
    backrefs = r.text(node, "backrefs")
    if backrefs is None or backrefs.value in ("true", "false"):
        return None if backrefs is None else backrefs.value == "true"
    r.error(backrefs.node, f"backrefs: '{backrefs.value}' is not true or false, expected true or false")
    return None


def _keywords(r: FieldReader, node: Node | None) -> list[Text]:
    return [keyword for item in r.items(node, "keywords") if (keyword := r.line(item, "keyword")) is not None]


# The keys of dossier.yaml, in the order the "expected one of" message lists them and
# the fields are read; a reader's None leaves the default of `model.Dossier`.
DOSSIER = (
    Field("title", _title, required=True),
    Field("subtitle", lambda r, n: r.line(n, "subtitle")),
    Field("short_title", lambda r, n: r.line(n, "short_title")),
    Field("edition", _edition),
    Field("version", lambda r, n: r.text(n, "version")),
    Field("language", _language),
    Field("authors", _authors),
    Field("organisation", lambda r, n: r.text(n, "organisation")),
    Field("marking", lambda r, n: r.text(n, "marking")),
    Field("summary", lambda r, n: r.rich(n, "summary")),
    Field("key_facts", _key_facts),
    Field("citation_style", lambda r, n: r.text(n, "citation_style")),
    Field("paper", _paper),
    Field("sections", lambda r, n: _sections(r, n, r.files, r.dossier), after=True),
    Field("series", lambda r, n: r.text(n, "series")),
    Field("number", lambda r, n: r.text(n, "number")),
    Field("disclaimer", lambda r, n: r.rich(n, "disclaimer", "inline")),
    Field("questions", _questions),
    Field("names", _names),
    Field("bibliography", lambda r, n: _bibliography_files(r, n, r.dossier.root), attr="bibliography_files"),
    Field("backrefs", _backrefs),
    Field("keywords", _keywords),
)


def read_dossier(root: Path, docs: dict[str, tuple[Node | None, SourceFile]], report: Report) -> Dossier | None:
    """Build the model from composed files (`docs` maps file name to node and source)."""
    node, src = docs["dossier.yaml"]
    if node is None:
        report.error(Location(src.name, 1, 1), "file is empty, expected a mapping with at least 'title'")
        return None
    d = Dossier(root=root, title=Text("", Location(src.name, 1, 1)))
    r = FieldReader(report, src, d, node, files=docs.keys())
    m = r.mapping(node, "dossier.yaml", tuple(f.name for f in DOSSIER), tuple(f.name for f in DOSSIER if f.required))
    if m is None:
        return None
    d.extra = r.extras(node)
    for f in reading_order(DOSSIER):
        # set as read: later fields check earlier ones (`sections` the summary, names, bibliography)
        value = f.read(r, m.get(f.name))
        if value is not None:
            setattr(d, f.attr or f.name, value)

    def reader(name: str) -> FieldReader:
        return FieldReader(report, docs[name][1], d, docs[name][0])

    if "chronology.yaml" in docs:
        d.chronology = sectionfiles.chronology(reader("chronology.yaml"), docs["chronology.yaml"][0])
    if "excerpts.yaml" in docs:
        d.excerpts = sectionfiles.excerpts(reader("excerpts.yaml"), docs["excerpts.yaml"][0])
    if "interpretations.yaml" in docs:
        d.interpretations = sectionfiles.interpretations(reader("interpretations.yaml"), docs["interpretations.yaml"][0])
    return d


def _bibliography_files(r: FieldReader, node: Node | None, root: Path) -> list[Text]:
    """The files `bibliography` names: relative paths inside the dossier, CSL YAML, CSL-JSON or BibTeX."""
    out: list[Text] = []
    for item in r.items(as_list(node), "bibliography"):
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


def _present(section: str, docs: Collection[str], bib_present: bool, d: Dossier, m_has_summary: bool) -> bool:
    if section == "summary":
        return m_has_summary
    if section == "names":
        return bool(d.names)
    if section == "bibliography":
        return bib_present
    return SECTION_FILES[section] in docs or (d.root / SECTION_FILES[section]).is_file()  # present, if unreadable


def _sections(r: FieldReader, node: Node | None, docs: Collection[str], d: Dossier) -> list[str]:
    bib_present = bool(d.bibliography_files) or any((d.root / n).is_file() for n in BIB_FILES)
    has_summary = d.summary is not None or bool(d.key_facts)
    present = {s for s in SECTIONS if _present(s, docs, bib_present, d, has_summary)}
    if node is None or empty(node):
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
