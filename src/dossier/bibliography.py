"""Stage 2: the dossier's bibliography, whichever files it is written in, and its citation style.

`cite` reads CSL YAML and CSL-JSON, `cite.read_bibtex` BibTeX (through pandoc); this module
chooses which files are read (those `bibliography` lists, else the one default file found),
reads each with its reader into one id namespace, and chooses the CSL style. Citation checks
that need the formatted text are in `citecheck`.
"""

from __future__ import annotations

from pathlib import Path

from . import cite, model, pandoc
from .discover import Docs, read_one
from .errors import DossierError, Location, Report, display


def bibliography_names(root: Path, d: model.Dossier) -> list[str]:
    """The bibliography files read: those `bibliography` names, else the default files found."""
    if d.bibliography_files:
        return [t.value for t in d.bibliography_files]
    return [n for n in model.BIB_FILES if (root / n).is_file()]


def read_entries(root: Path, d: model.Dossier, docs: Docs, report: Report) -> list[cite.Entry]:
    """Entries of every bibliography file: those `bibliography` names, else the one default file."""
    names = bibliography_names(root, d)
    if not d.bibliography_files:
        if len(names) > 1:
            report.error(
                Location(f"{display(root)}/{names[1]}", 1, 1),
                f"two bibliographies, {names[0]} and {names[1]}, expected only one of {', '.join(model.BIB_FILES)}"
                " (or list them all in 'bibliography')",
            )
            names = names[:1]
    ids: dict[str, Location] = {}  # one namespace across files: a duplicate names both places
    entries: list[cite.Entry] = []
    for name in names:
        read_one(root, name, docs, report)
        if name not in docs:
            continue
        node, src = docs[name]
        if name.endswith(".bib"):
            entries += cite.read_bibtex(src, pandoc.pandoc_path(), d.language, report, ids)
        else:
            entries += cite.read_bibliography(node, src, report, ids)
    return entries


def citation_style(root: Path, d: model.Dossier, report: Report) -> Path:
    """The .csl file of `citation_style`; if that is wrong (reported), the default style, so the
    rest of the dossier is still checked in the same run."""
    style_loc = d.citation_style.loc if d.citation_style else Location(f"{display(root)}/dossier.yaml", 1, 1)
    try:
        return cite.style_path(root, d.citation_style.value if d.citation_style else None, style_loc)
    except DossierError as exc:
        report.problems.extend(exc.problems)
        return cite.style_path(root, None, style_loc)
