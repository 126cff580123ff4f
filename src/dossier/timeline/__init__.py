"""Stage 4 (render): the chronology as a timeline graphic, a pure function from events to SVG.

`render` calls `timeline_html` with the chronology's events and the theme's `Style`. The
package's modules, in the order the graphic is made: `measure` (text widths in the theme's font,
labels wrapped), `scale` (time to x, with breaks, and the ticks), `place` (marks and labels
placed without overlap: `layout`), `svg` (the layout written as SVG, and as HTML with links);
`geometry` holds the sizes and the records of a layout, `style` the font and colours.
"""

from .geometry import Box, Label, Layout, Mark, TickLabel, TimelineEvent
from .place import layout
from .style import Style
from .svg import link_areas, timeline_html, timeline_svg

__all__ = ["Box", "Label", "Layout", "Mark", "Style", "TickLabel", "TimelineEvent", "layout", "link_areas", "timeline_html", "timeline_svg"]
