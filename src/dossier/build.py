"""The one orchestrator: load → validate → rich text & citations → render → typeset → write.

Each stage is a plain function of its inputs (see the module of each stage);
this module only wires them together, collects problems, and decides when to
stop. `check()` runs every stage up to, but not including, typesetting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import archive, bibliography, cache, cite, citecheck, discover, dossierfile, fields, fonts, model, render, richtext, theme
from .describe import described
from .errors import DossierError, Location, Report, display
from .profiles import Profile, human_size
from .sandbox import Limits, run_limited, run_limits, stage, templates_ceiling
from .sourcedate import source_epoch


@dataclass
class Prepared:
    """A dossier checked and formatted, ready to render."""

    dossier: model.Dossier
    entries: list[cite.Entry]
    formatted: fields.Formatted
    theme_dirs: list[Path]
    report: Report = field(default_factory=Report)
    csl: Path | None = None  # the citation style used
    parts: bool = False  # theme.yaml's `parts:`: typeset part by part (pager.py)


def prepare(root: Path, profile: Profile | None = None, store: cache.Store | None = None) -> Prepared:
    """Load, check and format a dossier for a profile (its templates decide the print order, so
    the citations' order); raise DossierError with every error found. `store` keeps pandoc's
    output for the next build."""
    report = Report()
    stage("reading the dossier")
    docs = discover.read_files(root, report)
    if "dossier.yaml" not in docs:
        report.check()
    d = dossierfile.read_dossier(root, docs, report)
    if d is None:
        report.check()
    assert d is not None
    stage("reading the bibliography")
    entries = bibliography.read_entries(root, d, docs, report)
    # Go on after mistakes in the model: what could be read is still checked below
    # (citation keys, glyphs, rich text), so one run reports every mistake.
    csl = bibliography.citation_style(root, d, report)
    known = {e.id for e in entries}
    keys = citecheck.listed_keys(d)
    if not richtext.bibliography_unreadable(report):
        richtext.check_keys(keys, known, report)
    stage(fonts.CHECKING)
    dirs = theme.theme_dirs(root)
    declared = theme.read_theme(dirs)
    cover = fonts.coverage(declared.fonts, declared.file)
    fonts.check_texts(fonts.content_texts(docs.values()), cover, report)
    fonts.check_entries(entries, cover, report)
    stage("formatting rich text and citations")
    # citeproc must see the fields in the order the templates print them
    with templates_ceiling(run_limits(), Location(f"{display(root)}/dossier.yaml", 1, 1)):
        printed = render.print_order(d, dirs, report, profile or Profile())
    try:
        formatted = richtext.format_dossier(d, entries, csl, report, cover, printed, store)
    except DossierError:
        report.check()  # a mistake found earlier (a broken entry, say) explains the failure: report that
        raise
    citecheck.check_interpretations_cite(d, formatted.citing, report)
    citecheck.warn_uncited(entries, formatted.cited | set(k.value for k in keys), report)
    report.check()
    return Prepared(d, entries, formatted, dirs, report, csl, declared.parts)


def render_prepared(p: Prepared, profile: Profile | None = None) -> tuple[str, str]:
    return render.render_html(p.dossier, p.formatted, p.theme_dirs, None, profile or Profile())


def build(
    root: Path,
    output: Path,
    limits: Limits | None = None,
    profile: Profile | None = None,
    *,
    store: cache.Store | None = None,
    jobs: int = 1,
) -> Report:
    """Build the PDF of a dossier in a profile (standard, print, email, archive); on any error
    the previous PDF is left untouched. A theme with `parts: true` is typeset part by part in
    up to `jobs` processes, each part's layout kept in `store` (pager.py); the bytes are the
    same whatever `jobs` and whatever the store holds."""
    from .output import check_target, write_atomic

    # Before minutes of work, not after; never onto an input (the dossier's own dossier.yaml, say).
    check_target(output, root, discover.read_folders(root))
    limits = limits or Limits()
    where = Location(f"{display(root)}/dossier.yaml", 1, 1)
    # Every stage runs in the limited child: reading a huge file or a slow check is bounded
    # as typesetting is. The parent only waits and writes the file.
    profile = profile or Profile()
    pdf, report = run_limited(lambda: _build_in_child(root, limits, where, profile, store, jobs), limits, where, "reading the dossier")
    write_atomic(output, pdf)
    if store is not None:
        store.prune()
    assert isinstance(report, Report)
    if profile.name == "email" and len(pdf) > profile.max_size:
        report.warning(
            Location(display(output), 1, 1),
            f"the email PDF is {human_size(len(pdf))}, more than --max-size {human_size(profile.max_size)}: "
            "use fewer or smaller images in assets/ (they are already downsampled to 150 dpi), "
            "or pass a larger --max-size",
        )
    return report


def _build_in_child(root: Path, limits: Limits, where: Location, profile: Profile, store: cache.Store | None, jobs: int) -> tuple[bytes, Report]:
    from .finish import Job, finish
    from .typeset import typeset

    p = prepare(root, profile, store)
    epoch = source_epoch(root, p.dossier.edition)
    second_pass = None
    if p.dossier.backrefs and "bibliography" in p.dossier.sections and p.formatted.citations:
        # The pages citing each entry are known only after layout: lay out twice.
        def second_pass(pages: dict[str, int]) -> tuple[str, str]:
            cited_on = render.backrefs(p.formatted.citations, pages)
            stage("rendering the templates")
            with templates_ceiling(limits, where):
                html, css = render.render_html(p.dossier, p.formatted, p.theme_dirs, cited_on, profile)
            stage("typesetting")
            return html, css

    stage("rendering the templates")
    with templates_ceiling(limits, where):
        html, css = render_prepared(p, profile)
    stage("typesetting")
    fonts: list[dict[str, object]] = []
    inspect = (lambda document: fonts.extend(archive.fonts_used(document))) if profile.name == "archive" else None
    joined = None
    if p.parts:
        from . import pager

        setting = pager.Setting(root, tuple(p.theme_dirs), profile, epoch)
        drawn = archive.fonts_used if profile.name == "archive" else None
        joined = pager.typeset_parts(html, css, second_pass, setting, jobs, store, drawn)
    if joined is not None:
        pdf, fonts = joined
    else:
        pdf = typeset(html, css, root, p.theme_dirs, profile, epoch, second_pass, inspect)
    attachments: tuple[archive.Attachment, ...] = ()
    if profile.name == "archive":
        stage("collecting the sources to attach")
        assert p.csl is not None
        sources = archive.source_files(root, bibliography.bibliography_names(root, p.dossier), p.csl, theme.default_theme())
        attachments = archive.collect(sources, profile, epoch, fonts)
    stage("finishing the PDF")
    meta, targets = described(p.dossier, p.formatted, p.theme_dirs)
    return finish(pdf, Job(profile, epoch, root, tuple(p.theme_dirs), meta, targets, attachments), store), p.report


def check(root: Path, limits: Limits | None = None, profile: Profile | None = None, *, store: cache.Store | None = None) -> Report:
    """Everything but typesetting: every content and template error, no PDF; and the
    citation report: entries cited nowhere, entries lacking what their type needs."""
    limits = limits or Limits()
    where = Location(f"{display(root)}/dossier.yaml", 1, 1)
    profile = profile or Profile()
    report = run_limited(lambda: _check_in_child(root, limits, where, profile, store), limits, where, "reading the dossier")
    assert isinstance(report, Report)
    return report


def _check_in_child(root: Path, limits: Limits, where: Location, profile: Profile, store: cache.Store | None) -> Report:
    p = prepare(root, profile, store)
    stage("rendering the templates")
    with templates_ceiling(limits, where):
        render_prepared(p, profile)
    citecheck.warn_incomplete(p.entries, p.report)
    return p.report
