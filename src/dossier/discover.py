"""Stage 1a: which files of a dossier folder the build reads, and that they stay inside it.

Before any file is composed, the folder is checked: a content file the build would read but
for its spelling (`chronology.yml`, `Chronology.yaml`) is an error at its name, and so is
anything that would lead the build out of the dossier (a symlink to /etc, a FIFO, a hard
link). Then each content file that exists is composed by `load` (YAML) or `jsonnodes`
(CSL-JSON), or kept as text (BibTeX), into `Docs`: plain nodes and sources, keyed by file name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from . import bibtex, load, model, theme
from .errors import DossierError, Location, Report, display
from .jsonnodes import json_to_nodes

# File name → its composed nodes (None: an empty YAML document, or BibTeX kept as text) and text.
Docs = dict[str, tuple[yaml.Node | None, load.SourceFile]]


def read_files(root: Path, report: Report) -> Docs:
    """The content files that exist, composed; every problem goes to the report."""
    shown = display(root)
    if not root.is_dir():
        if not root.exists():
            what = "no such folder"
        elif root.is_file():
            what = "a file, not a folder" + (" (give the folder that holds it)" if root.name in ("dossier.yaml", "dossier.yml") else "")
        else:
            what = "not a folder"
        raise DossierError.at(Location(shown, 1, 1), f"{what}, expected a dossier folder holding dossier.yaml")
    _misnamed(root, report)
    _confined(root, report)
    if not (root / "dossier.yaml").is_file() and not (root / "dossier.yml").exists() and not report.errors:
        report.error(Location(f"{shown}/dossier.yaml", 1, 1), "file not found, expected dossier.yaml with at least 'title'")
    report.check()
    docs: Docs = {}
    for name in model.CONTENT_FILES:
        if (root / name).is_file():
            read_one(root, name, docs, report)
    return docs


def _misnamed(root: Path, report: Report) -> None:
    """A file the build would read but for its spelling (`chronology.yml`, `Chronology.yaml`,
    `Assets/`) is an error at its name, never silently ignored."""
    names = {n: n for n in (*model.CONTENT_FILES, *model.BIB_FILES, "templates", "assets")}
    names |= {n[:-5] + ".yml": n for n in (*model.CONTENT_FILES, "bibliography.yaml")}
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
    paths = [(root / n, "file") for n in (*model.CONTENT_FILES, *model.BIB_FILES)]
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


def read_one(root: Path, name: str, docs: Docs, report: Report) -> None:
    """Compose one file (YAML, CSL-JSON, or BibTeX kept as text) into `docs`; a file that cannot
    be read goes to `report.unreadable`, so checks needing what it defines are skipped."""
    shown = f"{display(root)}/{name}"
    path = root / name
    try:
        if name.endswith(".yaml"):
            docs[name] = load.load_yaml(path, shown)
        else:
            text = load.decode(shown, path.read_bytes(), yaml_file=False, space=bibtex.SPACE if name.endswith(".bib") else "")
            node = json_to_nodes(text, shown) if name.endswith(".json") else None
            docs[name] = (node, load.SourceFile(shown, text))
    except DossierError as exc:
        report.problems.extend(exc.problems)
        report.unreadable.add(name)
