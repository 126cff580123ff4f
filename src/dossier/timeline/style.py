"""Stage 4 (render), the timeline: how it looks, as the theme declares it.

`theme.read_theme` reads these from the `timeline:` mapping of `theme.yaml`; the defaults are the
default theme's. Meaning never rests on colour alone: a moment is a dot, a period a bar; labels
are text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    """The timeline's font and colours (colours as `#rrggbb`)."""

    fonts: tuple[str, ...] = ("Noto Sans", "Noto Sans CJK JP")  # in fallback order; widths are measured in the first
    bold: int = 700  # CSS weight of the dates and year labels
    accent: str = "#1f3a5f"  # the axis, the marks, the dates of labels
    ink: str = "#1a1a1a"  # label titles, year labels
    muted: str = "#4a4f57"  # month labels
    leader: str = "#8a929c"  # leaders and the rules labels stand on
    tick: str = "#6b717a"  # year and month ticks
    bar_fill: str = "#b4c2d3"  # inside the bar of a period
    paper: str = "#ffffff"  # the ring around a dot, which parts it from the axis

    @property
    def font_family(self) -> str:
        """The CSS `font-family` value: the fonts quoted, then the generic sans-serif."""
        quoted = ("'" + f.replace("\\", "\\\\").replace("'", "\\'") + "'" for f in self.fonts)
        return ", ".join([*quoted, "sans-serif"])
