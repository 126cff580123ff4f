"""Stage 3: rich text and citations to HTML fragments; this module wires its parts.

Every rich-text field of the dossier, and a citation cluster for each `sources` list and
excerpt source (`fields.py`), is sent in the order the templates print them
(`render.print_order`) to one pandoc process (`pandoc.py`, `pandoc_bridge.lua`), whose
citeproc formats every citation and the bibliography with the dossier's CSL style. Markup
left open or nested too deep is refused before pandoc runs (`markup.py`). Pandoc's JSON AST
is turned into HTML by our own renderer (`html_out.py`), which asks `content_policy.py` what
content may do; each refusal is a located error. Citation keys of `sources` lists are
checked here (`check_keys`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from markupsafe import Markup

from .cache import Store
from .cite import Entry
from .content_policy import TOO_DEEP, Policy, TooDeep
from .errors import Report
from .fields import Formatted, in_print_order, model_fields
from .fonts import Coverage
from .html_out import Renderer, anchor, first_inlines
from .markup import check_field
from .model import KEY_RE, SECTION_FILES, SECTIONS, Dossier, Text
from .pandoc import run_pandoc

ID_FILES = {"chronology.yaml", "excerpts.yaml", "interpretations.yaml"}  # files that define ids (dossier.yaml aside)


def bibliography_unreadable(report: Report) -> bool:
    """Whether a bibliography file could not be read (every other content file defines ids)."""
    return bool(report.unreadable - ID_FILES - {"dossier.yaml"})


def format_dossier(
    d: Dossier,
    entries: list[Entry],
    csl: Path,
    report: Report,
    cover: Coverage | None = None,
    printed: Sequence[str] = (),
    store: Store | None = None,
) -> Formatted:
    """Parse, cite and render every field, in the order of `printed`, the keys the templates
    print (`render.print_order`), then the fields they do not print; report every content error found.
    With `store`, pandoc's output for the same inputs is read from it (see pandoc.py)."""
    fields = in_print_order(model_fields(d), printed)
    dropped = [f for f in fields if f.mode != "cite" and not check_field(f.origin, report)]
    for f in dropped:  # unclosed or too deeply nested: not sent to pandoc (which could take minutes)
        f.text = ""
    # None: a file that would define them could not be read, so they are not checked.
    known = None if bibliography_unreadable(report) else {e.id for e in entries}
    ids = None if report.unreadable & ID_FILES else set(d.ids) | set(SECTIONS)
    left_out = _printed_ids(d)
    ast = run_pandoc(fields, entries, csl, d.language, store)
    divs = {b["c"][0][0]: b["c"][1] for b in ast["blocks"] if b["t"] == "Div"}
    too_deep = {b["c"][0][0] for b in ast["blocks"] if b["t"] == "Div" and "too-deep" in b["c"][0][1]}
    out = Formatted()
    out.citing.update(f.owner for f in dropped)  # no second error ("cites no source") on top
    for f in fields:
        policy = Policy(f, report, d.root, ids, known, left_out, cover)
        r = Renderer(policy, out)
        blocks = divs.get(f.key, [])
        if f.mode == "quote" and known:
            policy.no_citations_in_quotes(known)
        try:
            if f.key in too_deep:
                raise TooDeep
            if f.mode == "inline":
                html = r.inline_field(blocks)
            elif f.mode == "cite":
                html = r.inlines(first_inlines(blocks))
            else:
                html = r.blocks(blocks)
        except TooDeep:
            report.error(f.origin.loc, TOO_DEEP)
            html = ""
        (out.sources if f.mode == "cite" else out.html)[f.owner] = Markup(html)
    bib = Renderer(Policy(None, report, d.root, ids, known, left_out), out)
    for block in divs.get("refs", []):
        if block["t"] == "Div":
            key = block["c"][0][0].removeprefix("ref-")
            out.bibliography.append((anchor(key).removeprefix("ref-"), Markup(bib.blocks(block["c"][1]))))
    return out


def _printed_ids(d: Dossier) -> dict[str, str]:
    """Each id of a section that `sections` leaves out → that section: a link there has no target."""
    out: dict[str, str] = {s: s for s in SECTIONS if s not in d.sections}
    for ident, loc in d.ids.items():
        name = Path(loc.file).name
        section = next((s for s, f in SECTION_FILES.items() if f == name), "interpretations" if name == "dossier.yaml" else None)
        if section and section not in d.sections:
            out[ident] = section
    return out


def check_keys(keys: Iterable[Text], known: set[str], report: Report) -> None:
    """Report citation keys of `sources` lists that the bibliography lacks."""
    for k in keys:
        if KEY_RE.match(k.value) and k.value not in known:
            report.error(k.loc, f"citation key '{k.value}' is not in the bibliography, expected one of its ids")
