"""Stage 2: the readers of the section files, chronology.yaml, excerpts.yaml and
interpretations.yaml, into the model's entries.

Each file is a list of entries; each entry's keys are a field table (`tables.Field`),
so a new key is one line of its table. An entry with a required value missing is
reported and left out; the build stops at the end of reading (see `errors.Report`).
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node

from .model import LANG_RE, Event, Excerpt, Interpretation, Original, RichText
from .tables import Field, FieldReader, as_list, empty, top_list


def _dated(r: FieldReader, node: Node | None) -> object:
    """An event's date with where it is written (the chronology reports its order there)."""
    date = r.date(node, "date")
    return None if date is None else (date, r.loc(node))


EVENT = (
    Field("date", _dated, required=True),
    Field("title", lambda r, n: r.line(n, "title"), required=True),
    Field("text", lambda r, n: r.rich(n, "text")),
    Field("sources", lambda r, n: r.keys(n, "sources")),
    Field("id", lambda r, n: r.ident(n, "id")),
)


def chronology(r: FieldReader, node: Node | None) -> list[Event]:
    """The events of chronology.yaml, by date (coarser first), then in file order."""
    events = []
    for order, item in enumerate(top_list(r, node, "chronology")):
        v = r.record(item, "event", EVENT)
        if v is not None:
            date, date_loc = v["date"]
            events.append(Event(date, date_loc, v["title"], v["text"], v["sources"], v["id"], order, r.key(item)))
    events.sort(key=lambda e: (e.date.key, e.order))
    return events


ORIGINAL = (
    Field("lang", lambda r, n: r.text(n, "lang"), required=True),
    Field("text", lambda r, n: r.rich(n, "text", "quote"), required=True),
)


def _originals(r: FieldReader, node: Node | None) -> list[Original]:
    out = []
    for o in r.items(node, "originals"):
        # read whole, so that a bad tag is reported even when the text is missing
        v = r.record(o, "original", ORIGINAL, complete=False)
        if v is None:
            continue
        lang, text = v["lang"], v["text"]
        if lang and not LANG_RE.match(lang.value):
            r.error(lang.node, f"lang: '{lang.value}' is not a BCP 47 tag, expected e.g. ja, ru")
        elif lang and text:
            out.append(Original(lang.value, text))
    return out


EXCERPT = (
    Field("id", lambda r, n: r.ident(n, "id"), required=True),
    Field("document", lambda r, n: r.line(n, "document"), required=True),
    Field("source", lambda r, n: r.keys(as_list(n), "source"), required=True),
    Field("locator", lambda r, n: r.text(n, "locator")),
    Field("text", lambda r, n: r.rich(n, "text", "quote"), required=True),
    Field("originals", _originals),
    Field("note", lambda r, n: r.rich(n, "note")),
)


def excerpts(r: FieldReader, node: Node | None) -> list[Excerpt]:
    """The excerpts of excerpts.yaml, in file order."""
    out = []
    for item in top_list(r, node, "excerpts"):
        v = r.record(item, "excerpt", EXCERPT)
        if v is not None:
            out.append(Excerpt(v["id"], v["document"], v["source"][0], v["locator"], v["text"], v["originals"], v["note"], r.key(item)))
    return out


def _stances(r: FieldReader, node: Node | None) -> dict[str, RichText]:
    """An interpretation's short answers to the dossier's questions, by question id."""
    questions = {q.id for q in r.dossier.questions}
    stances: dict[str, RichText] = {}
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if key.value not in questions:
                known = ", ".join(sorted(questions)) or "none: add 'questions' to dossier.yaml"
                r.error(key, f"stances: '{key.value}' is not a question id, expected one of: {known}")
            elif (answer := r.rich(value, f"stances.{key.value}", "inline")) is not None:
                stances[key.value] = answer
    elif node is not None and not empty(node):
        r.error(node, "stances: expected a mapping of question ids to short answers")
    return stances


INTERPRETATION = (
    Field("id", lambda r, n: r.ident(n, "id")),
    Field("party", lambda r, n: r.line(n, "party"), required=True),
    Field("position", lambda r, n: r.line(n, "position"), required=True),
    Field("text", lambda r, n: r.rich(n, "text"), required=True),
    Field("sources", lambda r, n: r.keys(n, "sources")),
    Field("period", lambda r, n: r.date(n, "period")),
    Field("stances", _stances),
)


def interpretations(r: FieldReader, node: Node | None) -> list[Interpretation]:
    """The interpretations of interpretations.yaml, in file order, each with its anchor."""
    out = []
    for item in top_list(r, node, "interpretations"):
        v = r.record(item, "interpretation", INTERPRETATION)
        if v is not None:
            out.append(Interpretation(v["id"], v["party"], v["position"], v["text"], v["sources"], v["period"], v["stances"], r.key(item)))
    # Set once here so that every link to an interpretation agrees: its `id`, else `interp-N`
    # by its place among all interpretations (never among a filtered list).
    for n, interpretation in enumerate(out, 1):
        interpretation.anchor = interpretation.id or f"interp-{n}"
    return out
