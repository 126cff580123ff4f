"""Stage 4 (render), the timeline: a layout written as SVG, and as HTML with links over it.

The graphic is drawn in millimetres (the viewBox is its size in mm) to be set inline in the HTML
that WeasyPrint typesets, where it stays vector: lines, rectangles, circles and text.

Links.  Anchored marks and labels are wrapped in `<a href="#id">`.  WeasyPrint 70 draws what is
inside an SVG `<a>` but makes no PDF link of it; `timeline_html` therefore sets the SVG in a box
with transparent HTML links laid over those marks and labels, which WeasyPrint does turn into
PDF links.
"""

from __future__ import annotations

from html import escape

from .geometry import ASCENT, DOT_R, FONT_SIZE, LINE, RULE_GAP, Box, Layout, TimelineEvent
from .measure import clean
from .place import layout
from .style import Style


def _n(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _href(anchor: str) -> str:
    return "#" + escape(clean(anchor).replace(" ", ""))


def _render(lay: Layout, language: str, alt: str, style: Style) -> str:
    family = escape(style.font_family, quote=False).replace('"', "&quot;")  # quoted for CSS; the attribute is in double quotes
    bold = f' font-weight="{style.bold}"'
    w, h, ay = lay.width, lay.height, lay.axis_y
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}mm" height="{_n(h)}mm" viewBox="0 0 {_n(w)} {_n(h)}" '
        f'class="timeline" role="img" xml:lang="{escape(clean(language))}" font-family="{family}" font-size="{_n(FONT_SIZE)}">'
    ]
    if alt:
        out.append(f"<title>{escape(alt)}</title>")
    # Scaffolding: ticks, axis, breaks.
    has_months = bool(lay.month_ticks)
    year_len = 1.2 + LINE if has_months else 1.2
    out.append(f'<g class="ticks" stroke="{style.tick}" stroke-width="0.18" fill="none">')
    for x in lay.year_ticks:
        out.append(f'<line x1="{_n(x)}" y1="{_n(ay)}" x2="{_n(x)}" y2="{_n(ay + year_len)}"/>')
    for x in lay.month_ticks:
        out.append(f'<line x1="{_n(x)}" y1="{_n(ay)}" x2="{_n(x)}" y2="{_n(ay + 0.7)}"/>')
    out.append("</g>")
    out.append(f'<g class="axis" stroke="{style.accent}" stroke-width="0.35" stroke-linecap="butt" fill="none">')
    for i, (x0, x1) in enumerate(lay.axis_runs):
        left = x0 - (1.2 if i == 0 else 0.0)
        right = x1 + (1.2 if i == len(lay.axis_runs) - 1 else 0.0)
        if i > 0:
            left = lay.breaks[i - 1].x + lay.breaks[i - 1].w - 0.9
        if i < len(lay.axis_runs) - 1:
            right = lay.breaks[i].x + 0.9
        out.append(f'<line x1="{_n(left)}" y1="{_n(ay)}" x2="{_n(right)}" y2="{_n(ay)}"/>')
    out.append("</g>")
    for b in lay.breaks:
        cx, cy = b.x + b.w / 2, b.y + b.h / 2
        out.append(f'<g class="axis-break" stroke="{style.accent}" stroke-width="0.3" fill="none">')
        for dx in (-0.55, 0.55):
            out.append(f'<line x1="{_n(cx + dx - 0.5)}" y1="{_n(cy + 1.3)}" x2="{_n(cx + dx + 0.5)}" y2="{_n(cy - 1.3)}"/>')
        out.append("</g>")
    # Tick labels.
    out.append('<g class="tick-labels">')
    for t in lay.tick_labels:
        base = t.box.y + (LINE - FONT_SIZE) / 2 + ASCENT * FONT_SIZE
        colour, weight = (style.ink, bold) if t.year else (style.muted, "")
        out.append(f'<text x="{_n(t.box.x)}" y="{_n(base)}" fill="{colour}"{weight}>{escape(t.text)}</text>')
    out.append("</g>")
    # Leaders under the marks.
    out.append(f'<g class="leaders" stroke="{style.leader}" stroke-width="0.2">')
    for lab in lay.labels:
        out.append(f'<line x1="{_n(lab.stem_x)}" y1="{_n(lab.stem_y0)}" x2="{_n(lab.stem_x)}" y2="{_n(lab.stem_y1)}"/>')
    out.append("</g>")
    # Marks: one element per event.
    out.append('<g class="marks">')
    for m in lay.marks:
        b = m.box
        if m.shape == "bar":
            el = (
                f'<rect class="event-mark period" x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" '
                f'rx="{_n(min(0.35, b.h / 3))}" fill="{style.bar_fill}" stroke="{style.accent}" stroke-width="{_n(0.3 if b.h > 1.2 else 0.22)}"/>'
            )
        elif m.shape == "tick":
            el = f'<rect class="event-mark tick" x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" fill="{style.accent}"/>'
        else:
            el = (
                f'<circle class="event-mark" cx="{_n(b.x + b.w / 2)}" cy="{_n(b.y + b.h / 2)}" r="{_n(DOT_R)}" '
                f'fill="{style.accent}" stroke="{style.paper}" stroke-width="0.25"/>'
            )
        anchor = lay.anchors[m.index]
        out.append(f'<a href="{_href(anchor)}">{el}</a>' if anchor else el)
    out.append("</g>")
    # Labels: text on a rule, which the leader meets.
    out.append(f'<g class="labels" fill="{style.ink}">')
    for lab in lay.labels:
        b = lab.box
        rule_y = b.y1 if lab.above else b.y
        text_top = b.y if lab.above else b.y + RULE_GAP
        parts = [f'<line x1="{_n(b.x)}" y1="{_n(rule_y)}" x2="{_n(b.x1)}" y2="{_n(rule_y)}" stroke="{style.leader}" stroke-width="0.2"/>']
        for k, line in enumerate(lab.lines):
            base = text_top + (LINE - FONT_SIZE) / 2 + ASCENT * FONT_SIZE + k * LINE
            if k == 0:
                body = f'<tspan{bold} fill="{style.accent}">{escape(lab.date_text)}</tspan>'
                if line:
                    body += " " + escape(line)
            else:
                body = escape(line)
            parts.append(f'<text x="{_n(b.x)}" y="{_n(base)}">{body}</text>')
        anchor = lay.anchors[lab.index]
        inner = "".join(parts)
        out.append(f'<a href="{_href(anchor)}"><g class="event-label">{inner}</g></a>' if anchor else f'<g class="event-label">{inner}</g>')
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def timeline_svg(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en", alt: str = "", style: Style | None = None) -> str:
    """The chronology as a standalone SVG string, `width_mm` wide, sized and drawn in mm; `alt`
    is its `<title>`, which WeasyPrint writes as the figure's alternative text (`/Alt`)."""
    style = style or Style()
    return _render(layout(events, width_mm, language, style), language, alt, style)


def link_areas(lay: Layout) -> list[tuple[str, Box]]:
    """Boxes (mm, from the graphic's top left) that should link to an event's entry: its mark and its label."""
    areas: list[tuple[str, Box]] = []
    for m in lay.marks:
        anchor = lay.anchors[m.index]
        if anchor:
            b = m.box
            areas.append((anchor, Box(b.x - 0.4, b.y - 0.4, b.w + 0.8, b.h + 0.8)))
    for lab in lay.labels:
        anchor = lay.anchors[lab.index]
        if anchor:
            areas.append((anchor, lab.box))
    return areas


def timeline_html(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en", alt: str = "", style: Style | None = None) -> str:
    """The SVG in a box with transparent HTML links over anchored marks and labels.

    WeasyPrint 70 makes no PDF links from `<a>` inside SVG; these overlays make the graphic's
    events clickable in the PDF.
    """
    style = style or Style()
    lay = layout(events, width_mm, language, style)
    out = [f'<div class="timeline-figure" style="position: relative; width: {_n(lay.width)}mm; height: {_n(lay.height)}mm">']
    out.append(_render(lay, language, alt, style).replace("<svg ", '<svg style="display: block" ', 1))
    for anchor, b in link_areas(lay):
        out.append(
            f'<a href="{_href(anchor)}" style="position: absolute; display: block; left: {_n(b.x)}mm; top: {_n(b.y)}mm; '
            f'width: {_n(b.w)}mm; height: {_n(b.h)}mm"></a>'
        )
    out.append("</div>")
    return "\n".join(out)
