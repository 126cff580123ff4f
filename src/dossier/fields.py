"""Stage 3, what is formatted: the fields sent to pandoc, and what formatting gives back.

A `Field` is one piece of Markdown for the one pandoc call (`pandoc.py`): a rich-text field of
the model or a citation cluster made from a `sources` list or an excerpt's source. Citeproc
numbers notes and shortens repeated citations in the order it sees them, so the fields go in
the order the briefing prints them. `Formatted` is the stage's output: HTML under each field's
stable key (`model.RichText.key`), which the templates look up (`render.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup

from .model import Dossier, RichText, Text

_REFDEF = re.compile(r"^( {0,3})\[(?=[^\]\n]+\]:)", re.MULTILINE)


@dataclass
class Field:
    """One piece of Markdown sent to pandoc: a rich-text field or a generated citation cluster."""

    key: str  # the field's id in the one pandoc document (`f3`)
    text: str
    mode: str
    owner: str  # the stable key its HTML goes under: a RichText's key, or for a `sources` cluster its item's key
    origin: Text


@dataclass
class Formatted:
    """The output of this stage: HTML by stable key (see `model.RichText.key`), and the bibliography."""

    html: dict[str, Markup] = field(default_factory=dict)  # a rich-text field's key → its HTML
    sources: dict[str, Markup] = field(default_factory=dict)  # an event's, excerpt's, interpretation's key → its citation
    bibliography: list[tuple[str, Markup]] = field(default_factory=list)
    cited: set[str] = field(default_factory=set)
    citing: set[str] = field(default_factory=set)  # keys of the fields that cite
    citations: dict[str, list[str]] = field(default_factory=dict)  # key → ids of the citations of it, in order
    cite_count: int = 0
    notes: int = 0


def fields_in_order(d: Dossier) -> list[Field]:
    """The Markdown of every field and citation cluster, in the order the PDF prints them."""
    out: list[Field] = []

    def add(rt: RichText | None) -> None:
        if rt is not None:
            text = _REFDEF.sub(r"\1\\[", rt.value)
            out.append(Field(f"f{len(out)}", text, rt.mode, rt.key, rt))

    def cluster(keys: list[Text], owner: str, locator: Text | None = None) -> None:
        if keys:
            cites = "; ".join(f"@{k.value}" for k in keys)
            if locator is not None:
                # A locator is plain text: every Markdown punctuation escaped, so it prints as written.
                cites += ", " + _MD_PUNCT.sub(r"\\\g<0>", " ".join(locator.value.split()))
            out.append(Field(f"f{len(out)}", f"[{cites}]", "cite", owner, keys[0]))

    add(d.disclaimer)
    for fact in d.key_facts:
        add(fact.value)
    for section in d.sections:
        if section == "summary":
            add(d.summary)
        elif section == "names":
            for name in d.names:
                add(name.note)
        elif section == "chronology":
            for e in d.chronology:
                add(e.text)
                cluster(e.sources, e.key)
        elif section == "excerpts":
            for x in d.excerpts:
                cluster([x.source], x.key, x.locator)
                add(x.text)
                for o in x.originals:
                    add(o.text)
                add(x.note)
        elif section == "interpretations":
            for i in d.interpretations:
                for q in d.questions:
                    add(i.stances.get(q.id))
            for i in d.interpretations:
                add(i.text)
                cluster(i.sources, i.key)
    return out


_MD_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")
