"""The theme: where its files are looked up, and what `theme.yaml` declares.

A dossier may override any theme file by putting one of the same name in its
own `templates/` (MkDocs' `custom_dir`): lookup is file by file, the dossier's
folder first. `theme.yaml` is read from the first folder that has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from . import load
from .errors import DossierError, Location, display

THEME_DIR = Path(__file__).resolve().parents[2] / "templates"


def theme_dirs(root: Path, theme: Path | None = None) -> list[Path]:
    """Template folders in lookup order: the dossier's own, then the theme."""
    dirs = []
    own = root / "templates"
    if own.is_dir():
        dirs.append(own.resolve())
    dirs.append((theme or default_theme()).resolve())
    return dirs


def default_theme() -> Path:
    """The default theme: `templates/` of a source checkout, else the copy shipped in the package."""
    if (THEME_DIR / "base.html").is_file():
        return THEME_DIR
    return Path(__file__).parent / "theme"


@dataclass(frozen=True)
class Theme:
    """What `theme.yaml` declares: the font families text is set in (the glyph check covers
    every character of the content with them), and the file that said so."""

    fonts: tuple[str, ...]
    file: str


def read_theme(dirs: list[Path]) -> Theme:
    """`theme.yaml` of the first of `dirs` that has one (the dossier's own first)."""
    path = next((d / "theme.yaml" for d in dirs if (d / "theme.yaml").is_file()), None)
    if path is None:
        raise DossierError.at(Location("templates/theme.yaml", 1, 1), "theme.yaml not found, expected the theme to name its fonts")
    node, src = load.load_yaml(path, display(path))
    fonts_node = None
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value != "fonts":
                raise DossierError.at(load.location(src.name, key), f"unknown key '{key.value}' in theme.yaml, expected fonts")
            fonts_node = value
    families = tuple(n.value for n in getattr(fonts_node, "value", []) if isinstance(n, yaml.ScalarNode) and n.value)
    if not isinstance(fonts_node, yaml.SequenceNode) or not families:
        raise DossierError.at(load.location(src.name, fonts_node or node or Location(src.name, 1, 1)), "fonts: expected a list of font family names")
    return Theme(families, src.name)
