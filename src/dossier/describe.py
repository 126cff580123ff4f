"""Stage 6 (finishing, input): what the tagged PDF says about the briefing, as plain data.

The finishing step (`finish`) writes the document's XMP from `DocMeta` and gives each link
the alternative text of its target; both are taken here from the checked model and the
formatted bibliography, so `finish` needs neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import model
from .dates import format_date
from .fields import Formatted
from .words import theme_words

if TYPE_CHECKING:
    from .finish import DocMeta


def described(d: model.Dossier, formatted: Formatted, theme_dirs: list[Path]) -> tuple[DocMeta, tuple[tuple[str, str], ...]]:
    """What the tagged PDF says about the briefing (its XMP) and about each link target (the
    alternative text of links to it): plain data for the finishing step."""
    from .finish import DocMeta  # loaded with the finishing step (pikepdf), not by `dossier check`

    meta = DocMeta(
        title=d.title.value,
        authors=tuple(a.name.value for a in d.authors),
        language=d.language,
        subtitle=d.subtitle.value if d.subtitle else "",
        edition=d.edition.start.iso() if d.edition else "",
        version=d.version.value if d.version else "",
        keywords=tuple(k.value for k in d.keywords),
    )
    words = theme_words(theme_dirs, d.language)
    targets = {s: words[s] for s in d.sections if s in words}
    targets["positions"] = words["positions"]
    for e in d.chronology:
        if e.id:
            targets[e.id] = f"{format_date(e.date, d.language)}: {e.title.value}"
    targets.update((x.id, x.document.value) for x in d.excerpts)
    targets.update((i.anchor, i.party.value) for i in d.interpretations)
    targets.update((q.id, q.text.value) for q in d.questions)
    for key, html in formatted.bibliography:
        targets[f"ref-{key}"] = shortened(html.striptags())
    return meta, tuple(targets.items())


def shortened(text: str, limit: int = 200) -> str:
    """At most `limit` characters, cut at a word with '…'."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
