"""The one orchestrator: load → validate → rich text & citations → render → typeset → write.

Each stage is a plain function of its inputs (see the module of each stage);
this module only wires them together, collects problems, and decides when to
stop. `check()` runs every stage up to, but not including, typesetting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from . import archive, cite, fields, fonts, load, model, pandoc, render, richtext, theme
from .errors import DossierError, Location, Report, display
from .profiles import Profile, human_size
from .sandbox import Limits, run_limited, stage, time_limit
from .sourcedate import source_epoch

if TYPE_CHECKING:
    from .finish import DocMeta

CONTENT_FILES = model.CONTENT_FILES


@dataclass
class Prepared:
    """A dossier checked and formatted, ready to render."""

    dossier: model.Dossier
    entries: list[cite.Entry]
    formatted: fields.Formatted
    theme_dirs: list[Path]
    report: Report = field(default_factory=Report)
    csl: Path | None = None  # the citation style used


Docs = dict[str, tuple[yaml.Node | None, load.SourceFile]]


def _read_files(root: Path, report: Report) -> Docs:
    """The content files that exist, composed; every problem goes to the report."""
    shown = display(root)
    if not root.is_dir():
        raise DossierError.at(Location(shown, 1, 1), "not a folder, expected a dossier folder holding dossier.yaml")
    _misnamed(root, report)
    _confined(root, report)
    if not (root / "dossier.yaml").is_file() and not (root / "dossier.yml").exists() and not report.errors:
        report.error(Location(f"{shown}/dossier.yaml", 1, 1), "file not found, expected dossier.yaml with at least 'title'")
    report.check()
    docs: Docs = {}
    for name in CONTENT_FILES:
        if (root / name).is_file():
            _read_one(root, name, docs, report)
    return docs


def _misnamed(root: Path, report: Report) -> None:
    """A file the build would read but for its spelling (`chronology.yml`, `Chronology.yaml`,
    `Assets/`) is an error at its name, never silently ignored."""
    names = {n: n for n in (*CONTENT_FILES, *model.BIB_FILES, "templates", "assets")}
    names |= {n[:-5] + ".yml": n for n in (*CONTENT_FILES, "bibliography.yaml")}
    lowered = {k.lower(): v for k, v in names.items()}
    for entry in sorted(root.iterdir()):
        meant = lowered.get(entry.name.lower())
        if meant and entry.name != meant:
            why = "the .yaml extension" if entry.name.lower().endswith(".yml") else "the name in lower case"
            report.error(Location(f"{display(root)}/{entry.name}", 1, 1), f"'{entry.name}' must be named '{meant}', expected {why}")


def walk(folder: Path) -> Iterator[Path]:
    """Every entry under `folder`, sorted, going into symlinked folders too (each real folder
    once): Jinja's loader and WeasyPrint follow links, so what they can reach is checked."""
    seen: set[Path] = set()
    stack = [folder]
    while stack:
        current = stack.pop()
        real = current.resolve()
        if real in seen or not current.is_dir():
            continue
        seen.add(real)
        entries = sorted(current.iterdir())
        yield from entries
        stack += reversed([e for e in entries if e.is_dir()])


def read_folders(root: Path) -> list[Path]:
    """The folders whose every file the build reads: the dossier's templates/ and assets/ (as
    spelt, even before they exist), every real folder reached through them, and the theme."""
    folders = [root / "templates", root / "assets"]
    for folder in folders[:2]:
        folders += [e.resolve() for e in walk(folder) if e.is_dir() and e.is_symlink()]
    return [*folders, *theme.theme_dirs(root), Path(__file__).parent]


def _confined(root: Path, report: Report) -> None:
    """Every file the build may read stays inside the dossier: a symlink out of it (to /etc, to
    another project) or a FIFO or device in place of a file is an error, never followed; so is
    a hard link, which can be another name of a file outside the dossier."""
    real = root.resolve()
    paths = [(root / n, "file") for n in (*CONTENT_FILES, *model.BIB_FILES)]
    own_theme = theme.default_theme()
    for folder in ("templates", "assets"):
        paths.append((root / folder, "folder"))
        if (root / folder).is_dir() and (root / folder).resolve().is_relative_to(real):
            for p in walk(root / folder):
                # a folder named as a theme file (templates/cover.html/) would leave the theme's in use
                paths.append((p, "file" if folder == "templates" and p.parent == root / folder and (own_theme / p.name).is_file() else "any"))
    for path, kind in paths:
        if not (path.exists() or path.is_symlink()):
            continue
        where = Location(f"{display(root)}/{path.relative_to(root)}", 1, 1)
        if not path.resolve().is_relative_to(real):
            report.error(where, "links to a place outside the dossier, expected a file or folder of the dossier itself")
        elif kind == "file" and path.is_dir():  # a folder named chronology.yaml is not a chronology
            report.error(where, f"a folder, expected the file {path.name} (or nothing of that name)")
        elif kind == "folder" and not path.is_dir():
            report.error(where, f"not a folder, expected the folder {path.name}/ (or nothing of that name)")
        elif not (path.is_file() or path.is_dir()):
            report.error(where, "not a regular file (a FIFO, a device?), expected a file of the dossier")
        elif path.is_file() and path.stat().st_nlink > 1:
            report.error(
                where, "a file with another name (a hard link, which may lie outside the dossier), expected a file of the dossier's own (copy it)"
            )


def _read_one(root: Path, name: str, docs: Docs, report: Report) -> None:
    """Compose one file (YAML, CSL-JSON, or BibTeX kept as text) into `docs`."""
    shown = f"{display(root)}/{name}"
    path = root / name
    try:
        if name.endswith(".yaml"):
            docs[name] = load.load_yaml(path, shown)
        else:
            text = load.decode(shown, path.read_bytes(), yaml_file=False)
            node = cite.json_to_nodes(text, shown) if name.endswith(".json") else None
            docs[name] = (node, load.SourceFile(shown, text))
    except DossierError as exc:
        report.problems.extend(exc.problems)
        report.unreadable.add(name)


def bibliography_names(root: Path, d: model.Dossier) -> list[str]:
    """The bibliography files read: those `bibliography` names, else the default files found."""
    if d.bibliography_files:
        return [t.value for t in d.bibliography_files]
    return [n for n in model.BIB_FILES if (root / n).is_file()]


def _bibliography(root: Path, d: model.Dossier, docs: Docs, report: Report) -> list[cite.Entry]:
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
        _read_one(root, name, docs, report)
        if name not in docs:
            continue
        node, src = docs[name]
        if name.endswith(".bib"):
            entries += cite.read_bibtex(src, pandoc.pandoc_path(), d.language, report, ids)
        else:
            entries += cite.read_bibliography(node, src, report, ids)
    return entries


def prepare(root: Path) -> Prepared:
    """Load, check and format a dossier; raise DossierError with every error found."""
    report = Report()
    shown = display(root)
    stage("reading the dossier")
    docs = _read_files(root, report)
    if "dossier.yaml" not in docs:
        report.check()
    d = model.read_dossier(root, docs, report)
    if d is None:
        report.check()
    assert d is not None
    stage("reading the bibliography")
    entries = _bibliography(root, d, docs, report)
    # Go on after mistakes in the model: what could be read is still checked below
    # (citation keys, glyphs, rich text), so one run reports every mistake.
    style_loc = d.citation_style.loc if d.citation_style else Location(f"{shown}/dossier.yaml", 1, 1)
    try:
        csl = cite.style_path(root, d.citation_style.value if d.citation_style else None, style_loc)
    except DossierError as exc:
        report.problems.extend(exc.problems)
        csl = cite.style_path(root, None, style_loc)
    known = {e.id for e in entries}
    keys = [k for e in d.chronology for k in e.sources] + [x.source for x in d.excerpts]
    keys += [k for i in d.interpretations for k in i.sources]
    if not richtext.bibliography_unreadable(report):
        richtext.check_keys(keys, known, report)
    stage("checking the characters against the theme fonts")
    dirs = theme.theme_dirs(root)
    declared = theme.read_theme(dirs)
    cover = fonts.coverage(declared.fonts, declared.file)
    fonts.check_texts(_all_texts(docs), cover, report)
    fonts.check_entries(entries, cover, report)
    stage("formatting rich text and citations")
    printed = render.print_order(d, dirs, report)  # citeproc must see the fields in the templates' order
    try:
        formatted = richtext.format_dossier(d, entries, csl, report, cover, printed)
    except DossierError:
        report.check()  # a mistake found earlier (a broken entry, say) explains the failure: report that
        raise
    for i in d.interpretations if "interpretations" in d.sections else []:
        if not i.sources and i.text.key not in formatted.citing:
            report.error(i.text.loc, f"interpretation '{i.party.value}' cites no source, expected a citation in 'text' or a 'sources' list")
    cited = formatted.cited | set(k.value for k in keys)
    for e in entries if not report.unreadable else []:  # what cites them may be in the unreadable file
        if e.id not in cited:
            report.warning(e.loc, f"entry '{e.id}' is cited nowhere; it is still listed in the bibliography")
    report.check()
    return Prepared(d, entries, formatted, dirs, report, csl)


def _all_texts(docs: Docs) -> list[model.Text]:
    """Every scalar of every content file, for the glyph check."""
    out: list[model.Text] = []

    def walk(node: yaml.Node | None, src: load.SourceFile) -> None:
        if isinstance(node, yaml.ScalarNode):
            out.append(model.Text(node.value, load.location(src.name, node), node, src))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, src)
        elif isinstance(node, yaml.MappingNode):
            for _key, value in node.value:
                walk(value, src)

    for node, src in docs.values():
        walk(node, src)
        if node is None and src.text:  # BibTeX: check the raw text
            out.append(model.Text(src.text, Location(src.name, 1, 1), None, src))
    return out


def render_prepared(p: Prepared, profile: Profile | None = None) -> tuple[str, str]:
    return render.render_html(p.dossier, p.formatted, p.theme_dirs, None, profile or Profile())


def _templates_ceiling(limits: Limits, where: Location) -> AbstractContextManager[None]:
    """The time the templates alone may take, reported at the template line that was running."""
    return time_limit(limits.render_ceiling(), where, "rendering the templates")


def build(root: Path, output: Path, limits: Limits | None = None, profile: Profile | None = None) -> Report:
    """Build the PDF of a dossier in a profile (standard, print, email, archive); on any error
    the previous PDF is left untouched."""
    from .output import check_target, write_atomic

    # Before minutes of work, not after; never onto an input (the dossier's own dossier.yaml, say).
    check_target(output, root, read_folders(root))
    limits = limits or Limits()
    where = Location(f"{display(root)}/dossier.yaml", 1, 1)
    # Every stage runs in the limited child: reading a huge file or a slow check is bounded
    # as typesetting is. The parent only waits and writes the file.
    profile = profile or Profile()
    pdf, report = run_limited(lambda: _build_in_child(root, limits, where, profile), limits, where, "reading the dossier")
    write_atomic(output, pdf)
    assert isinstance(report, Report)
    if profile.name == "email" and len(pdf) > profile.max_size:
        report.warning(
            Location(display(output), 1, 1),
            f"the email PDF is {human_size(len(pdf))}, more than --max-size {human_size(profile.max_size)}: "
            "use fewer or smaller images in assets/ (they are already downsampled to 150 dpi), "
            "or pass a larger --max-size",
        )
    return report


def _build_in_child(root: Path, limits: Limits, where: Location, profile: Profile) -> tuple[bytes, Report]:
    from .finish import Job, finish
    from .typeset import typeset

    p = prepare(root)
    epoch = source_epoch(root, p.dossier.edition)
    second_pass = None
    if p.dossier.backrefs and "bibliography" in p.dossier.sections and p.formatted.citations:
        # The pages citing each entry are known only after layout: lay out twice.
        def second_pass(pages: dict[str, int]) -> tuple[str, str]:
            cited_on = render.backrefs(p.formatted.citations, pages)
            stage("rendering the templates")
            with _templates_ceiling(limits, where):
                html, css = render.render_html(p.dossier, p.formatted, p.theme_dirs, cited_on, profile)
            stage("typesetting")
            return html, css

    stage("rendering the templates")
    with _templates_ceiling(limits, where):
        html, css = render_prepared(p, profile)
    stage("typesetting")
    fonts: list[dict[str, object]] = []
    inspect = (lambda document: fonts.extend(archive.fonts_used(document))) if profile.name == "archive" else None
    pdf = typeset(html, css, root, p.theme_dirs, profile, epoch, second_pass, inspect)
    attachments: tuple[archive.Attachment, ...] = ()
    if profile.name == "archive":
        stage("collecting the sources to attach")
        assert p.csl is not None
        sources = archive.source_files(root, bibliography_names(root, p.dossier), p.csl, theme.default_theme())
        attachments = archive.collect(sources, profile, epoch, fonts)
    stage("finishing the PDF")
    meta, targets = _described(p)
    return finish(pdf, Job(profile, epoch, root, tuple(p.theme_dirs), meta, targets, attachments)), p.report


def _described(p: Prepared) -> tuple[DocMeta, tuple[tuple[str, str], ...]]:
    """What the tagged PDF says about the briefing (its XMP) and about each link target (the
    alternative text of links to it): plain data for the finishing step."""
    from .dates import format_date
    from .finish import DocMeta
    from .words import theme_words

    d = p.dossier
    meta = DocMeta(
        title=d.title.value,
        authors=tuple(a.name.value for a in d.authors),
        language=d.language,
        subtitle=d.subtitle.value if d.subtitle else "",
        edition=d.edition.start.iso() if d.edition else "",
        version=d.version.value if d.version else "",
        keywords=tuple(k.value for k in d.keywords),
    )
    words = theme_words(p.theme_dirs, d.language)
    targets = {s: words[s] for s in d.sections if s in words}
    targets["positions"] = words["positions"]
    for e in d.chronology:
        if e.id:
            targets[e.id] = f"{format_date(e.date, d.language)}: {e.title.value}"
    targets.update((x.id, x.document.value) for x in d.excerpts)
    for n, i in enumerate(d.interpretations, 1):
        targets[i.id or f"interp-{n}"] = i.party.value
    targets.update((q.id, q.text.value) for q in d.questions)
    for key, html in p.formatted.bibliography:
        targets[f"ref-{key}"] = _shortened(html.striptags())
    return meta, tuple(targets.items())


def _shortened(text: str, limit: int = 200) -> str:
    """At most `limit` characters, cut at a word with '…'."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def check(root: Path, limits: Limits | None = None, profile: Profile | None = None) -> Report:
    """Everything but typesetting: every content and template error, no PDF; and the
    citation report: entries cited nowhere, entries lacking what their type needs."""
    limits = limits or Limits()
    where = Location(f"{display(root)}/dossier.yaml", 1, 1)
    profile = profile or Profile()
    report = run_limited(lambda: _check_in_child(root, limits, where, profile), limits, where, "reading the dossier")
    assert isinstance(report, Report)
    return report


def _check_in_child(root: Path, limits: Limits, where: Location, profile: Profile) -> Report:
    p = prepare(root)
    stage("rendering the templates")
    with _templates_ceiling(limits, where):
        render_prepared(p, profile)
    for e in p.entries:
        lacking = cite.missing_fields(e)
        if lacking:
            what = ", ".join(n.replace("issued", "date (issued)").replace("accessed", "access date").replace("|", " or ") for n in lacking)
            p.report.warning(e.loc, f"entry '{e.id}' ({e.csl.get('type')}) has no {what}, which its reference needs")
    return p.report
