"""Stage 3 (after rich text): the citation gate, what ties the content to the bibliography.

Run once the rich text is formatted, since a citation may be written in a field's Markdown
(`[@key]`) as well as in a `sources` list: an interpretation that cites nothing is an error;
an entry cited nowhere, or lacking what its type needs for a complete reference, a warning
(the citation report of `dossier check`). Unknown keys are `richtext.check_keys`.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import cite, model
from .errors import Report


def listed_keys(d: model.Dossier) -> list[model.Text]:
    """The citation keys of `sources` and `source` lists (events, excerpts, interpretations), in file order."""
    keys = [k for e in d.chronology for k in e.sources] + [x.source for x in d.excerpts]
    keys += [k for i in d.interpretations for k in i.sources]
    return keys


def check_interpretations_cite(d: model.Dossier, citing: set[str], report: Report) -> None:
    """An interpretation printed must cite a source, in its text or its `sources`: `citing` holds
    the keys of the fields whose text cites."""
    for i in d.interpretations if "interpretations" in d.sections else []:
        if not i.sources and i.text.key not in citing:
            report.error(i.text.loc, f"interpretation '{i.party.value}' cites no source, expected a citation in 'text' or a 'sources' list")


def warn_uncited(entries: Iterable[cite.Entry], cited: set[str], report: Report) -> None:
    """A warning at each entry no citation names (unless a file that may cite it is unreadable)."""
    for e in entries if not report.unreadable else []:  # what cites them may be in the unreadable file
        if e.id not in cited:
            report.warning(e.loc, f"entry '{e.id}' is cited nowhere; it is still listed in the bibliography")


def warn_incomplete(entries: Iterable[cite.Entry], report: Report) -> None:
    """A warning at each entry lacking what its type needs for a complete reference (`dossier check`)."""
    for e in entries:
        lacking = cite.missing_fields(e)
        if lacking:
            what = ", ".join(n.replace("issued", "date (issued)").replace("accessed", "access date").replace("|", " or ") for n in lacking)
            report.warning(e.loc, f"entry '{e.id}' ({e.csl.get('type')}) has no {what}, which its reference needs")
