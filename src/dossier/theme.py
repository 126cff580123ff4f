"""The theme: where its files are looked up, and what `theme.yaml` declares (its fonts, and the
timeline's font and colours).

A dossier may override any theme file by putting one of the same name in its
own `templates/` (MkDocs' `custom_dir`): lookup is file by file, the dossier's
folder first. `theme.yaml` is read from the first folder that has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from . import fonts, load
from .errors import DossierError, Location, Problem, display
from .timeline.style import Style

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
    every character of the content with them), the timeline's font and colours, and the file
    that said so."""

    fonts: tuple[str, ...]
    file: str
    timeline: Style = Style()
    parts: bool = False  # typeset each part (front matter, each section) on its own: see pager.py


def read_theme(dirs: list[Path]) -> Theme:
    """`theme.yaml` of the first of `dirs` that has one (the dossier's own first)."""
    path = next((d / "theme.yaml" for d in dirs if (d / "theme.yaml").is_file()), None)
    if path is None:
        raise DossierError.at(Location("templates/theme.yaml", 1, 1), "theme.yaml not found, expected the theme to name its fonts")
    node, src = load.load_yaml(path, display(path))
    fonts_node = timeline_node = None
    parts = False
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "fonts":
                fonts_node = value
            elif key.value == "timeline":
                timeline_node = value
            elif key.value == "parts":
                parts = read_parts(value, src.name)
            else:
                raise DossierError.at(load.location(src.name, key), f"unknown key '{key.value}' in theme.yaml, expected fonts, timeline or parts")
    families = tuple(n.value for n in getattr(fonts_node, "value", []) if isinstance(n, yaml.ScalarNode) and n.value)
    if not isinstance(fonts_node, yaml.SequenceNode) or not families:
        raise DossierError.at(load.location(src.name, fonts_node or node or Location(src.name, 1, 1)), "fonts: expected a list of font family names")
    timeline = Style() if timeline_node is None else read_timeline(timeline_node, families, src.name)
    return Theme(families, src.name, timeline, parts)


def read_parts(node: yaml.Node, file: str) -> bool:
    """`parts: true|false`: whether the theme's parts (`data-part` in its templates) are typeset
    each on its own, in parallel and cached (pager.py), or the document whole."""
    if not (isinstance(node, yaml.ScalarNode) and node.style is None and node.value in ("true", "false")):
        raise DossierError.at(load.location(file, node), f"parts: expected true or false, got {load.kind(node)}")
    return bool(node.value == "true")


_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_WEIGHTS = tuple(range(100, 1000, 100))


def read_timeline(node: yaml.Node, families: tuple[str, ...], file: str) -> Style:
    """The `timeline:` mapping of theme.yaml: what it leaves out keeps the default theme's value.
    Every mistake is reported, each where it is written."""
    keys = [f.name for f in fields(Style)]
    if not isinstance(node, yaml.MappingNode):
        raise DossierError.at(load.location(file, node), f"timeline: expected a mapping with any of {', '.join(keys)}")
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in node.value:
        name = key.value
        where = load.location(file, value)
        if name not in keys:
            problems.append(Problem(load.location(file, key), f"unknown key '{name}' in timeline, expected one of {', '.join(keys)}"))
        elif name == "fonts":
            items = value.value if isinstance(value, yaml.SequenceNode) else []
            if not items or not all(isinstance(n, yaml.ScalarNode) and n.value for n in items):
                problems.append(Problem(where, "timeline fonts: expected a list of font family names, the first to measure text in"))
                continue
            for item in items:
                if item.value not in families:
                    listed = ", ".join(families)
                    problems.append(
                        Problem(load.location(file, item), f"timeline font '{item.value}' is not in the theme's fonts, expected one of {listed}")
                    )
                elif item is items[0] and fonts.font_file(item.value, what=fonts.CHECKING, where=Location(file, 1, 1)) is None:
                    message = f"timeline font '{item.value}' is not installed, expected it on the system (run make, or install it)"
                    problems.append(Problem(load.location(file, item), message))
            values[name] = tuple(n.value for n in items)
        elif name == "bold":
            text = value.value if isinstance(value, yaml.ScalarNode) else ""
            if not (text.isdigit() and int(text) in _WEIGHTS):
                problems.append(Problem(where, f"timeline bold: expected a font weight 100, 200, … 900, got {load.kind(value)}"))
            else:
                values[name] = int(text)
        elif not (isinstance(value, yaml.ScalarNode) and _COLOUR.fullmatch(value.value)):
            problems.append(Problem(where, f"timeline {name}: expected a colour #rrggbb, got {load.kind(value)}"))
        else:
            values[name] = value.value
    if problems:
        raise DossierError(problems)
    return Style(**values)
