"""What templates see: the model as frozen records of plain data.

Templates are code from the theme or from the dossier itself, so they get no
object that can act (a `Path` that reads and writes files) or that exposes
more than its data (a YAML node, the text of a source file, a `Location`).
`dossier_view()` copies the model once into the records below: strings,
numbers, booleans, tuples, read-only mappings, dates (`dates.DateValue`, a
frozen record of integers) and `RichText`, which carries a rich-text field's
stable key for the `rich` filter. Attribute names are the model's, so a
template writes `d.title`, `e.date`, `i.stances[q.id]`, `d.extra['x-desk']`.
A text field is a plain string (`{{ e.title }}`); `d.root` and the places
things are written (`date_loc`, `loc`, `node`, `source`) are not there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import model
from .dates import DateValue


@dataclass(frozen=True)
class RichText:
    """A rich-text field: `{{ x|rich }}` prints its HTML, found by `key`; `value` is its Markdown."""

    key: str
    value: str
    mode: str

    def __str__(self) -> str:  # as the model's Text printed: the Markdown as written, escaped
        return self.value


@dataclass(frozen=True)
class Author:
    name: str
    affiliation: str | None


@dataclass(frozen=True)
class KeyFact:
    label: str
    value: RichText


@dataclass(frozen=True)
class Event:
    key: str
    date: DateValue
    title: str
    text: RichText | None
    sources: tuple[str, ...]
    id: str | None
    order: int


@dataclass(frozen=True)
class Original:
    lang: str
    text: RichText


@dataclass(frozen=True)
class Excerpt:
    key: str
    id: str
    document: str
    source: str
    locator: str | None
    text: RichText
    originals: tuple[Original, ...]
    note: RichText | None


@dataclass(frozen=True)
class Interpretation:
    key: str
    id: str | None
    anchor: str  # the HTML id of its text: `id`, else `interp-N` (see `model.Interpretation`)
    party: str
    position: str
    text: RichText
    sources: tuple[str, ...]
    period: DateValue | None
    stances: Mapping[str, RichText]


@dataclass(frozen=True)
class Question:
    id: str
    text: str


@dataclass(frozen=True)
class Name:
    term: str
    forms: Mapping[str, str]
    note: RichText | None


@dataclass(frozen=True)
class Dossier:
    """The briefing as templates see it (`d`): the fields of `model.Dossier` but `root`."""

    title: str
    language: str
    subtitle: str | None
    short_title: str | None
    series: str | None
    number: str | None
    disclaimer: RichText | None
    questions: tuple[Question, ...]
    names: tuple[Name, ...]
    bibliography_files: tuple[str, ...]
    backrefs: bool
    edition: DateValue | None
    version: str | None
    authors: tuple[Author, ...]
    organisation: str | None
    marking: str | None
    summary: RichText | None
    key_facts: tuple[KeyFact, ...]
    citation_style: str | None
    paper: str
    sections: tuple[str, ...]
    chronology: tuple[Event, ...]
    excerpts: tuple[Excerpt, ...]
    interpretations: tuple[Interpretation, ...]
    ids: tuple[str, ...]
    extra: Mapping[str, Any]


def frozen(value: Any) -> Any:
    """Plain data as read-only data: mappings → read-only mappings, lists → tuples.

    Anything else than strings, numbers, booleans and None is refused, so no object
    reaches a template through `x-` values or the theme's words by mistake."""
    if isinstance(value, Mapping):
        return MappingProxyType({_key(k): frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"not plain data: {type(value).__name__}")


def _key(key: Any) -> Any:
    if key is None or isinstance(key, (str, int, float, bool)):
        return key
    raise TypeError(f"not plain data as a mapping key: {type(key).__name__}")


def _text(t: model.Text | None) -> str | None:
    return None if t is None else t.value


def _rich(t: model.RichText | None) -> RichText | None:
    return None if t is None else RichText(t.key, t.value, t.mode)


def _must(t: model.RichText) -> RichText:
    return RichText(t.key, t.value, t.mode)


def dossier_view(d: model.Dossier) -> Dossier:
    """The template data of a dossier: built once per rendering, from the model only."""
    return Dossier(
        title=d.title.value,
        language=d.language,
        subtitle=_text(d.subtitle),
        short_title=_text(d.short_title),
        series=_text(d.series),
        number=_text(d.number),
        disclaimer=_rich(d.disclaimer),
        questions=tuple(Question(q.id, q.text.value) for q in d.questions),
        names=tuple(Name(n.term.value, MappingProxyType({k: v.value for k, v in n.forms.items()}), _rich(n.note)) for n in d.names),
        bibliography_files=tuple(t.value for t in d.bibliography_files),
        backrefs=d.backrefs,
        edition=d.edition,
        version=_text(d.version),
        authors=tuple(Author(a.name.value, _text(a.affiliation)) for a in d.authors),
        organisation=_text(d.organisation),
        marking=_text(d.marking),
        summary=_rich(d.summary),
        key_facts=tuple(KeyFact(f.label.value, _must(f.value)) for f in d.key_facts),
        citation_style=_text(d.citation_style),
        paper=d.paper,
        sections=tuple(d.sections),
        chronology=tuple(Event(e.key, e.date, e.title.value, _rich(e.text), tuple(k.value for k in e.sources), e.id, e.order) for e in d.chronology),
        excerpts=tuple(
            Excerpt(
                x.key,
                x.id,
                x.document.value,
                x.source.value,
                _text(x.locator),
                _must(x.text),
                tuple(Original(o.lang, _must(o.text)) for o in x.originals),
                _rich(x.note),
            )
            for x in d.excerpts
        ),
        interpretations=tuple(
            Interpretation(
                i.key,
                i.id,
                i.anchor,
                i.party.value,
                i.position.value,
                _must(i.text),
                tuple(k.value for k in i.sources),
                i.period,
                MappingProxyType({q: _must(t) for q, t in i.stances.items()}),
            )
            for i in d.interpretations
        ),
        ids=tuple(d.ids),
        extra=frozen(d.extra),
    )
