"""Stage 3, what is formatted: the fields sent to pandoc, and what formatting gives back.

A `Field` is one piece of Markdown for the one pandoc call (`pandoc.py`): a rich-text field of
the model or a citation cluster made from a `sources` list or an excerpt's source. Citeproc
numbers notes and shortens repeated citations in the order it sees them, so the fields go in
the order the briefing prints them. `Formatted` is the stage's output: HTML under each field's
stable key (`model.RichText.key`), which the templates look up (`render.py`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from markupsafe import Markup

from .model import SECTIONS, Dossier, RichText, Text

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


def model_fields(d: Dossier) -> list[Field]:
    """The Markdown of every field and citation cluster of the sections in `sections`, in model
    order (the disclaimer, key facts, then the sections in the order of SECTIONS): what
    formatting checks. The
    order citeproc sees is the templates' (`in_print_order`); this one is only the fallback."""
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
    for section in (s for s in SECTIONS if s in d.sections):
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


def in_print_order(fields: list[Field], printed: Sequence[str]) -> list[Field]:
    """`fields` in the order the templates printed their keys (`render.print_order`, first time
    each): citeproc numbers notes and writes a full first note and short ones after it in the
    order it is sent, so that order must be the page's. Fields the templates never print are
    still checked, after the printed ones, in model order. Each gets its pandoc id (`f0`…) anew."""
    rank = {key: n for n, key in enumerate(dict.fromkeys(printed))}
    ordered = sorted(fields, key=lambda f: rank.get(f.owner, len(rank)))  # stable: the rest keep model order
    return [replace(f, key=f"f{n}") for n, f in enumerate(ordered)]


_MD_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")
