"""The chronology as a timeline graphic: a pure function from events to a standalone SVG.

The graphic is drawn in millimetres (the viewBox is its size in mm) to be set inline in the
HTML that WeasyPrint typesets, where it stays vector: lines, rectangles, circles and text.

Scale.  Time runs left to right on one axis cut into *segments*, runs of years that hold events.
Where more than 8 years (or 7 % of the whole span, if that is more) pass without an event, the
axis breaks: the empty stretch gets a fixed small width and a break symbol (two slanted strokes);
at most a quarter of the width goes to breaks, the longest gaps first.  Inside the segments a
moment's position blends two measures: the calendar time before it (compressed as above) and
the number of events before it, each event spreading its unit over its own span (a day, a month,
a year or its range).  The second gives each event a guaranteed share of the width, so a year
with twenty events opens out while an empty decade stays narrow; year ticks (and month ticks in
years that have opened out) show the scale.  With only a few events the scale is nearly linear.

Marks.  Exactly one mark element per event, with `class="event-mark"`: a dot for a moment, a bar
for a period (a range); where events are too dense for dots, a short upright tick.  Marks sit on
the axis; marks that would touch stack upward in levels, so none hides another.

Labels.  A label is the short date in bold and the title, on at most three lines (ellipsized
after a whole word), standing on a thin rule; a leader runs from the mark to meet the rule.
Labels sit in rows above the axis and below the scale, and a label may slide sideways along its
rule, so labels of a dense cluster fan out to both sides.  Rows are filled alternately above and
below, nearest the axis first; each row takes the set of labels that is worth most (an anchored
event, which the text links to, counts three times) less a cost for every leader of a
not-yet-labelled event that its boxes cover (that event could then never be labelled on that
side), solved exactly by weighted interval scheduling.  Rows stop at a height budget (90 mm at
160 mm wide); events left over keep their marks unlabelled.  A few costs are tried and the
layout labelling the most anchored events, then the most events, then the lowest, is kept.
Boxes never overlap one another, the marks, the scale labels or another label's leader.

Text widths are the advance widths of the installed Noto Sans (WeasyPrint sets SVG text letter
by letter, without kerning, so the sum of advances is exactly what it draws), found with
fontconfig and read with fontTools; without them a conservative estimate is used.

Links.  Anchored marks and labels are wrapped in `<a href="#id">`.  WeasyPrint 70 draws what is
inside an SVG `<a>` but makes no PDF link of it; `timeline_html` therefore sets the SVG in a box
with transparent HTML links laid over those marks and labels, which WeasyPrint does turn into
PDF links.  `layout` exposes every placed box, for tests and for such overlays.
"""

from __future__ import annotations

import bisect
import calendar
import math
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .dates import DateValue, PartialDate, _locale

__all__ = ["Box", "Label", "Layout", "Mark", "TimelineEvent", "layout", "link_areas", "timeline_html", "timeline_svg"]

# Colours: navy accent, near-black text, greys for the scaffolding.  Meaning never rests on
# colour alone: a moment is a dot, a period a bar; labels are text.
ACCENT = "#1f3a5f"
INK = "#1a1a1a"
MUTED = "#4a4f57"
LEADER = "#8a929c"
TICK = "#6b717a"
BAR_FILL = "#b4c2d3"
FONT_FAMILY = "'Noto Sans', 'Noto Sans CJK JP', sans-serif"

# Geometry in mm.
FONT_SIZE = 2.3  # 6.52 pt
LINE = 2.75  # line pitch of labels
ASCENT = 0.80  # baseline below the top of a line box, in em, after half the leading
MARGIN = 3.0  # between the axis and the sides
GAP_WIDTH = 6.0  # width of a break in the axis
DOT_R = 0.8
BAR_H = 1.6
MARK_GAP = 0.35  # between marks side by side
LEVEL_GAP = 0.5  # between levels of stacked marks
MAX_LEVELS = 8
DENSE_SPACING = 2.4  # below this much axis per event, moments are ticks rather than dots
TICK_W = 0.4
TICK_H = 2.6
BAR_H_DENSE = 1.1
MARK_GAP_DENSE = 0.15
RULE_GAP = 0.4  # between a label's text and its rule
RULE_END = 0.4  # a leader meets the rule at least this far from its ends
RULE_OVERHANG = 0.4  # the rule runs on past the longest line (and covers any error in measuring)
LABEL_GAP_X = 1.4
LABEL_GAP_Y = 0.75
STEM_CLEAR = 0.7  # a leader keeps this far from other boxes
STEM_SEP = 0.8  # two leaders are at least this far apart
RANK_SHARE = 0.7  # share of the axis width given out by event count rather than by time
MONTH_MIN_YEAR = 22.0  # a year at least this wide gets month ticks
TOP_PAD = 1.0
BOTTOM_PAD = 0.8
MAX_LABEL_LINES = 3
KILL_COSTS = (0.5, 0.8, 1.0, 1.3)  # what covering a not-yet-labelled event's leader may cost, against 1 for labelling one
ANCHOR_WEIGHT = 3.0  # an anchored event (the text links to it) is worth this many others


@dataclass(frozen=True)
class TimelineEvent:
    date: DateValue  # start, optional end (a range = a period)
    label: str  # short label (the event title)
    anchor: str | None = None  # id of the chronology entry to link to, or None


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in SVG user units (mm), y downward."""

    x: float
    y: float
    w: float
    h: float

    @property
    def x1(self) -> float:
        return self.x + self.w

    @property
    def y1(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box, gap_x: float = 0.0, gap_y: float = 0.0) -> bool:
        """True if the boxes come closer than the gaps (touching at exactly the gap is fine)."""
        return (
            self.x < other.x1 + gap_x - 1e-9
            and other.x < self.x1 + gap_x - 1e-9
            and self.y < other.y1 + gap_y - 1e-9
            and other.y < self.y1 + gap_y - 1e-9
        )

    def shifted(self, dy: float) -> Box:
        return Box(self.x, self.y + dy, self.w, self.h)


@dataclass(frozen=True)
class Mark:
    index: int  # position of the event in the input list
    shape: str  # "dot" (a moment), "bar" (a period) or "tick" (a moment, where events are dense)
    box: Box
    level: int  # 0 on the axis, then stacked upward

    @property
    def period(self) -> bool:
        return self.shape == "bar"


@dataclass(frozen=True)
class Label:
    index: int  # position of the event in the input list
    date_text: str  # bold, at the head of the first line
    lines: tuple[str, ...]  # title text per line (the first follows the date)
    box: Box  # the text and the rule it sits on (under it above the axis, over it below)
    stem_x: float  # the leader, from the mark to the label's rule
    stem_y0: float  # top of the leader
    stem_y1: float  # bottom of the leader
    above: bool  # above the axis (else below the scale)


@dataclass(frozen=True)
class TickLabel:
    text: str
    box: Box
    year: bool  # a year (else a month)


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    axis_y: float
    marks: tuple[Mark, ...]  # one per event, in input order
    labels: tuple[Label, ...]
    tick_labels: tuple[TickLabel, ...]
    year_ticks: tuple[float, ...]  # x of year boundaries
    month_ticks: tuple[float, ...]
    axis_runs: tuple[tuple[float, float], ...]  # x extents of the axis segments
    breaks: tuple[Box, ...]  # break symbols
    anchors: tuple[str | None, ...]  # per event


# ---------------------------------------------------------------------------
# Text measurement


@lru_cache(maxsize=4)
def _font_advances(bold: bool) -> dict[int, float] | None:
    """Advance widths in em of the Noto Sans face fontconfig picks, by code point."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    pattern = "Noto Sans:weight=bold" if bold else "Noto Sans"
    try:
        path = subprocess.run([fc_match, "-f", "%{file}", pattern], capture_output=True, text=True, check=True).stdout
        from fontTools.ttLib import TTFont

        font = TTFont(path, lazy=True)
        units = font["head"].unitsPerEm
        cmap = font.getBestCmap()
        hmtx = font["hmtx"].metrics
        if "Noto Sans" not in font["name"].getDebugName(1):
            return None
        return {cp: hmtx[name][0] / units for cp, name in cmap.items()}
    except Exception:  # no font, unreadable font: fall back to the estimate
        return None


def _char_width(char: str, bold: bool) -> float:
    """Advance of one character in em (conservative where the font is unknown)."""
    table = _font_advances(bold)
    if table is not None:
        width = table.get(ord(char))
        if width is not None:
            return width
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    return 0.62 if bold else 0.58


def _widths(text: str, bold: bool = False) -> list[float]:
    return [_char_width(c, bold) * FONT_SIZE for c in text]


def text_width(text: str, bold: bool = False) -> float:
    """Width in mm of `text` set at the label size."""
    return sum(_widths(text, bold))


# ---------------------------------------------------------------------------
# Dates


def _frac(day: date) -> float:
    start = date(day.year, 1, 1).toordinal()
    return day.year + (day.toordinal() - start) / (366 if calendar.isleap(day.year) else 365)


def _first(p: PartialDate) -> date:
    return date(p.year, p.month or 1, p.day or 1)


def _frac_after(p: PartialDate) -> float:
    """The end of the last day the partial date covers, in fractional years (9999-12-31 included:
    no `date` past the calendar's last day is built)."""
    if p.day:
        return _frac(_first(p)) + 1 / (366 if calendar.isleap(p.year) else 365)
    if p.month and p.month < 12:
        return _frac(date(p.year, p.month + 1, 1))
    return float(p.year + 1)


def _span(value: DateValue) -> tuple[float, float]:
    """The stretch of time a date covers, in fractional years (from its first day to the day after its last)."""
    a, b = _frac(_first(value.start)), _frac_after(value.end or value.start)
    return (a, b) if a < b else (b, a + 1 / 365)  # (a range written backwards still draws)


def _is_period(value: DateValue) -> bool:
    return value.end is not None and value.end != value.start


@lru_cache(maxsize=2048)
def _short_date(value: DateValue, language: str) -> str:
    from babel.dates import format_interval, format_skeleton

    locale = _locale(language)
    skel = {"yMMMMd": "yMMMd", "yMMMM": "yMMM", "y": "y"}
    start, end = value.start, value.end
    if end is None or end == start:
        text = str(format_skeleton(skel[start.skeleton], _first(start), locale=locale))
    elif start.skeleton == end.skeleton:
        text = str(format_interval(_first(start), _first(end), skel[start.skeleton], locale=locale))
    else:
        a = format_skeleton(skel[start.skeleton], _first(start), locale=locale)
        b = format_skeleton(skel[end.skeleton], _first(end), locale=locale)
        text = f"{a} – {b}"
    # "13–19 Oct 1956", "Jul–Aug 1956", but "8 Sept 1955 – 14 Sept 1956".
    text = re.sub(r"^(\S+)[ \u2009]([–—])[ \u2009]", r"\1\2", text)
    return text.replace("\u2009", " ")


@lru_cache(maxsize=16)
def _month_names(language: str) -> tuple[str, ...]:
    from babel.dates import get_month_names

    names = get_month_names("abbreviated", context="stand-alone", locale=_locale(language))  # axis ticks: nominative (ru "май", not "мая")
    return tuple(str(names[m]).rstrip(".") for m in range(1, 13))


# ---------------------------------------------------------------------------
# Scale


class _Scale:
    """Piecewise-linear map from fractional years to x, with breaks between segments."""

    def __init__(self, spans: list[tuple[float, float]], x_left: float, x_right: float):
        lo = min(a for a, _ in spans)
        hi = max(b for _, b in spans)
        threshold = max(8.0, 0.07 * (math.ceil(hi) - math.floor(lo)))
        years = sorted((math.floor(a), max(math.ceil(b), math.floor(a) + 1)) for a, b in spans)
        runs: list[list[int]] = []  # whole years that hold events, merged where they touch
        for a, b in years:
            if runs and a <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], b)
            else:
                runs.append([a, b])
        # The empty stretches long enough to break the axis; at most as many as take a quarter
        # of the width, the longest first.
        gaps = sorted(((runs[k + 1][0] - runs[k][1], k) for k in range(len(runs) - 1)), key=lambda g: (-g[0], g[1]))
        most = int(0.25 * (x_right - x_left) // GAP_WIDTH)
        cut = {k for size, k in gaps[:most] if size >= threshold}
        segments: list[list[int]] = [list(runs[0])]
        for k in range(1, len(runs)):
            if k - 1 in cut:
                segments.append(list(runs[k]))
            else:
                segments[-1][1] = runs[k][1]
        self.segments = [(a, b) for a, b in segments]
        self.starts = [a for a, _ in segments]
        breaks = len(segments) - 1
        axis_w = x_right - x_left - breaks * GAP_WIDTH
        total_years = sum(b - a for a, b in segments)
        cum = [0.0]
        for a, b in segments:
            cum.append(cum[-1] + (b - a))
        slope_change: dict[float, float] = {}
        for t0, t1 in spans:
            w = 1.0 / (t1 - t0)
            slope_change[t0] = slope_change.get(t0, 0.0) + w
            slope_change[t1] = slope_change.get(t1, 0.0) - w
        knots = sorted(set(slope_change) | {float(a) for a, _ in segments} | {float(b) for _, b in segments})
        # A handful of events need no opening out (and one event would swallow the axis).
        share = RANK_SHARE * min(1.0, (len(spans) - 1) / 10)
        time_w = (1 - share) * axis_w / total_years
        rank_w = share * axis_w / len(spans)
        self.knots = knots
        self.xs: list[float] = []
        mass, slope, prev = 0.0, 0.0, knots[0]
        for t in knots:
            mass += slope * (t - prev)
            slope += slope_change.get(t, 0.0)
            prev = t
            i = max(0, bisect.bisect_right(self.starts, t) - 1)
            self.xs.append(x_left + i * GAP_WIDTH + time_w * (cum[i] + t - segments[i][0]) + rank_w * mass)

    def __call__(self, t: float) -> float:
        k = bisect.bisect_left(self.knots, t)
        if k < len(self.knots) and self.knots[k] == t:
            return self.xs[k]
        if k == 0:
            return self.xs[0]
        if k == len(self.knots):
            return self.xs[-1]
        t0, t1 = self.knots[k - 1], self.knots[k]
        x0, x1 = self.xs[k - 1], self.xs[k]
        return x0 + (x1 - x0) * (t - t0) / (t1 - t0)


# ---------------------------------------------------------------------------
# Labels


def _units(title: str) -> list[tuple[str, bool]]:
    """Break units of a title: (text, preceded by a space).  Wide (CJK) characters break anywhere."""
    out: list[tuple[str, bool]] = []
    for word in title.split():
        if any(unicodedata.east_asian_width(c) in ("W", "F") for c in word):
            run = ""
            first = True
            for c in word:
                if unicodedata.east_asian_width(c) in ("W", "F") and c not in "、。）」』】":
                    if run:
                        out.append((run, first))
                        first = False
                    run = c
                else:
                    run += c
            if run:
                out.append((run, first))
        else:
            out.append((word, True))
    return out


def _fit(text: str, max_w: float) -> str:
    """Cut `text` to fit `max_w` with an ellipsis, after a whole word where that loses little."""
    widths = _widths(text)
    ell = text_width("…")
    total = 0.0
    cut = 0
    for i, w in enumerate(widths):
        if total + w + ell > max_w:
            break
        total += w
        cut = i + 1
    space = text.rfind(" ", 0, cut + 1)
    if cut < len(text) and space > 0 and sum(widths[:space]) >= 0.3 * max_w:
        cut = space
    return text[:cut].rstrip(" ,;:.–—-(") + "…"


def _join(units: list[tuple[str, bool]]) -> str:
    text = ""
    for unit, spaced in units:
        text += (" " if text and spaced else "") + unit
    return text


def _wrap(date_text: str, title: str, max_w: float) -> tuple[tuple[str, ...], float]:
    """Lines of a label (the first follows the bold date) and the widest line's width."""
    space = text_width(" ")
    head = text_width(date_text, bold=True) + space
    units: list[tuple[str, bool]] = []
    for unit, spaced in _units(title):
        while text_width(unit) > max_w - 1.0:  # an overlong word: break it by force
            widths, total, cut = _widths(unit), 0.0, 0
            while cut < len(unit) - 1 and total + widths[cut] <= max_w - 1.0:
                total += widths[cut]
                cut += 1
            units.append((unit[:cut], spaced))
            unit, spaced = unit[cut:], False
        units.append((unit, spaced))
    lines: list[list[tuple[str, bool]]] = [[]]
    used = head
    for unit, spaced in units:
        w = text_width(unit) + (space if lines[-1] and spaced else 0.0)
        if used + w > max_w and (lines[-1] or len(lines) == 1):
            lines.append([])
            used, w = 0.0, text_width(unit)
        lines[-1].append((unit, spaced))
        used += w
    texts = [_join(line) for line in lines[:MAX_LABEL_LINES]]
    if len(lines) > MAX_LABEL_LINES:
        rest = _join([u for line in lines[MAX_LABEL_LINES - 1 :] for u in line])
        texts[-1] = _fit(rest, max_w - (head if MAX_LABEL_LINES == 1 else 0.0))
    widths = [text_width(t) for t in texts]
    widths[0] = head + widths[0] if texts[0] else head - space
    return tuple(texts), max(widths)


def _clean(text: str) -> str:
    """Drop characters XML cannot carry and fold whitespace."""
    text = "".join(c for c in text if c in "\t\n\r" or (ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF and c not in "\ufffe\uffff"))
    return " ".join(text.split())


@dataclass
class _Cand:
    """An event that may still be labelled on one side of the axis."""

    index: int
    stem: float  # x of its leader
    width: float
    weight: float  # worth of labelling it
    kill: float = 0.0  # cost of making it unlabellable on this side


def _solve_row(cands: list[_Cand], width: float) -> tuple[list[tuple[_Cand, float]], set[int]]:
    """Labels for one row of labels: which events, each at which x, and which events' leaders
    the chosen boxes cover (those can no longer be labelled further out on this side).

    Boxes in a row must not overlap, and a box must contain its own leader (the leader meets
    the label's rule).  A box that covers another candidate's leader ends that candidate's
    chances on this side, at its `kill` cost.  Weighted interval scheduling over a few
    positions per event: pointing right (box starts at its leader), pointing left, or slid
    just clear of a neighbour's leader.
    """
    stems = [c.stem for c in cands]
    prefix = [0.0]
    for c in cands:
        prefix.append(prefix[-1] + c.kill)
    options: list[tuple[float, float, float, int, float, int, int]] = []  # (end, start, value, k, x, first, last)
    for k, c in enumerate(cands):
        lo = max(0.4, c.stem - c.width + RULE_END)
        hi = min(width - 0.4 - c.width, c.stem - RULE_END)
        if lo > hi + 1e-9:
            continue
        xs = {hi: 0.02, lo: 0.01}
        for j in (k - 1, k - 2):
            if j >= 0 and lo <= stems[j] + STEM_CLEAR + 0.01 <= hi:
                xs.setdefault(stems[j] + STEM_CLEAR + 0.01, 0.0)
        for j in (k + 1, k + 2):
            if j < len(cands) and lo <= stems[j] - STEM_CLEAR - 0.01 - c.width <= hi:
                xs.setdefault(stems[j] - STEM_CLEAR - 0.01 - c.width, 0.0)
        for x, bonus in xs.items():
            first = min(bisect.bisect_left(stems, x - STEM_CLEAR), bisect.bisect_left(stems, c.stem - STEM_SEP))
            last = max(bisect.bisect_right(stems, x + c.width + STEM_CLEAR), bisect.bisect_right(stems, c.stem + STEM_SEP))
            value = c.weight + bonus - (prefix[last] - prefix[first] - c.kill)
            if value > 0:
                options.append((x + c.width, x, value, k, x, first, last))
    options.sort()
    ends = [o[0] for o in options]
    best = [0.0] * (len(options) + 1)
    take = [False] * len(options)
    prev = [0] * len(options)
    for j, (_, start, value, *_rest) in enumerate(options):
        prev[j] = bisect.bisect_right(ends, start - LABEL_GAP_X + 1e-9, 0, j)
        with_j = value + best[prev[j]]
        take[j] = with_j > best[j] + 1e-9
        best[j + 1] = with_j if take[j] else best[j]
    chosen: list[tuple[_Cand, float]] = []
    covered: set[int] = set()
    j = len(options) - 1
    while j >= 0:
        if take[j]:
            _, _, _, k, x, first, last = options[j]
            chosen.append((cands[k], x))
            covered.update(cands[i].index for i in range(first, last))
            j = prev[j] - 1
        else:
            j -= 1
    chosen.reverse()
    return chosen, covered


def _leader_x(mark: Mark, blocked: list[Box]) -> float | None:
    """Where a leader can leave a mark without crossing any of the `blocked` boxes (marks and
    obstacles between the mark and the labels): the centre of a dot; along a bar, its start
    first."""
    b = mark.box
    if mark.period:
        xs = [b.x + min(0.6, b.w / 2), b.x + b.w / 2, b.x1 - min(0.6, b.w / 2)]
    else:
        xs = [b.x + b.w / 2]
    for x in xs:
        if not any(o.x - 0.3 < x < o.x1 + 0.3 for o in blocked):
            return x
    return None


# ---------------------------------------------------------------------------
# Layout


def _marks(events: list[TimelineEvent], spans: list[tuple[float, float]], scale: _Scale, axis_w: float) -> list[Mark]:
    """One mark per event on the axis (y = 0): a dot for a moment, a bar for a period; where
    events are too dense for dots, a short upright tick.  Marks that would touch stack upward
    in levels."""
    dense = axis_w / len(events) < DENSE_SPACING
    half = TICK_W / 2 if dense else DOT_R
    bar_h = BAR_H_DENSE if dense else BAR_H
    point_h = TICK_H if dense else 2 * DOT_R
    gap = MARK_GAP_DENSE if dense else MARK_GAP
    extents: list[tuple[float, float, bool]] = []
    for e, (a, b) in zip(events, spans, strict=True):
        if _is_period(e.date):
            x0, x1 = scale(a), scale(b)
            if x1 - x0 < 2 * DOT_R:
                mid = (x0 + x1) / 2
                x0, x1 = mid - DOT_R, mid + DOT_R
            extents.append((x0, x1, True))
        else:
            x = scale((a + b) / 2)
            extents.append((x - half, x + half, False))
    level_end: list[float] = []
    levels = [0] * len(events)
    # Moments first, so that they sit on the axis and periods stack above them where they meet.
    for i in sorted(range(len(events)), key=lambda i: (extents[i][2], extents[i][0], extents[i][1], i)):
        x0, x1, _ = extents[i]
        for level, end in enumerate(level_end):  # noqa: B007 (the level found is used after the loop)
            if x0 >= end + gap:
                break
        else:
            if len(level_end) < MAX_LEVELS:
                level = len(level_end)
                level_end.append(-math.inf)
            else:  # out of levels: overlap where the least is hidden
                level = min(range(len(level_end)), key=lambda k: (level_end[k], k))
        level_end[level] = max(level_end[level], x1)
        levels[i] = level
    heights = [0.0] * len(level_end)
    for i, (_, _, period) in enumerate(extents):
        heights[levels[i]] = max(heights[levels[i]], bar_h if period else point_h)
    centres = [0.0]
    for level in range(1, len(heights)):
        centres.append(centres[-1] - heights[level - 1] / 2 - LEVEL_GAP - heights[level] / 2)
    marks: list[Mark] = []
    for i, (x0, x1, period) in enumerate(extents):
        h = bar_h if period else point_h
        shape = "bar" if period else "tick" if dense else "dot"
        marks.append(Mark(i, shape, Box(x0, centres[levels[i]] - h / 2, x1 - x0, h), levels[i]))
    return marks


_TickCand = tuple[int, float, float, float, str, bool]  # (priority, centre, lo, hi, text, year)


def _ticks(scale: _Scale, language: str) -> tuple[list[float], list[float], list[_TickCand], float]:
    """Year ticks, month ticks (in years wide enough to show months), candidate tick labels, and the
    y of the year row (below the month row if there is one)."""
    year_ticks: list[float] = []
    month_ticks: list[float] = []
    cands: list[_TickCand] = []
    months = _month_names(language)
    for a, b in scale.segments:
        xs = [scale(float(y)) for y in range(a, b + 1)]
        for k, y in enumerate(range(a, b + 1)):
            left = xs[k] - xs[k - 1] if k > 0 else math.inf
            right = xs[k + 1] - xs[k] if k < len(xs) - 1 else math.inf
            if y in (a, b) or y % 10 == 0 or min(left, right) >= 2.0 or (y % 5 == 0 and min(left, right) >= 1.0):
                year_ticks.append(xs[k])
        for k, y in enumerate(range(a, b)):
            x0, x1 = xs[k], xs[k + 1]
            wide = x1 - x0 >= MONTH_MIN_YEAR
            prio = 1 if wide else 0 if y in (a, b - 1) else 2 if y % 10 == 0 else 3 if y % 5 == 0 else 4
            centre = (x0 + x1) / 2
            # Other years only where their own span is about as wide as their label.
            if prio < 4 or x1 - x0 >= 0.8 * text_width(str(y), bold=True):
                cands.append((prio, centre, x0 if wide else centre, x1 if wide else centre, str(y), True))
            if wide:
                edges = [scale(_frac(date(y, m, 1))) for m in range(1, 13)] + [x1]
                month_ticks.extend(edges[1:12])
                for m in range(12):
                    lo, hi = edges[m], edges[m + 1]
                    cands.append((5 if m % 3 == 0 else 6, (lo + hi) / 2, lo, hi, months[m], False))
    return year_ticks, month_ticks, cands, 1.5 + (LINE if month_ticks else 0.0)


def _place_ticks(cands: list[_TickCand], placed: list[TickLabel], width: float, year_row: float, stems: list[float], only: int | None = None) -> None:
    """Place tick labels clear of each other and of the leaders crossing the scale (x in `stems`).

    A label centred in a wide span may slide along it to find room; `only` limits to one priority.
    """
    for prio, centre, lo, hi, text, year in sorted(cands, key=lambda c: (c[0], c[1])):
        if only is not None and prio != only:
            continue
        w = text_width(text, bold=year)
        if not year and w > hi - lo - 0.3:
            continue
        row = year_row if year else 1.5
        start = centre - w / 2
        shifts = [0.0]
        if hi - lo > w:
            k = 1
            while start - 0.5 * k >= lo or start + 0.5 * k + w <= hi:
                shifts += [s for s in (-0.5 * k, 0.5 * k) if lo <= start + s and start + s + w <= hi]
                k += 1
        for shift in shifts:
            x = max(0.2, min(width - 0.2 - w, start + shift))
            box = Box(x, row, w, LINE)
            if any(box.overlaps(t.box, 1.8 if year else 1.0, 0.0) for t in placed if t.year == year):
                continue
            if any(box.x - STEM_CLEAR < sx < box.x1 + STEM_CLEAR for sx in stems):
                continue
            placed.append(TickLabel(text, box, year))
            break


class _Rows:
    """Rows of labels, alternately above the axis and below the scale.

    Each row is filled as well as it can be (`_solve_row`): an anchored event is worth
    ANCHOR_WEIGHT, another 1, less what the row's boxes cost by covering the leaders of events
    not yet labelled (half as much if the event can still go on the other side).
    """

    def __init__(
        self,
        events: list[TimelineEvent],
        marks: list[Mark],
        texts: list[tuple[str, tuple[str, ...], float]],
        stems: tuple[list[float | None], list[float | None]],
        floors: tuple[float, float],
        room: float,
        width: float,
    ):
        self.events, self.marks, self.texts = events, marks, texts
        self.stems, self.floors, self.room, self.width = stems, floors, room, width

    def fill(self, kill_cost: float) -> tuple[dict[int, Label], float]:
        """The labels placed, and the height they take on both sides."""
        n = len(self.events)
        alive = [{i for i in range(n) if self.stems[side][i] is not None} for side in (0, 1)]
        used = [0.0, 0.0]
        full = [False, False]
        placed: dict[int, Label] = {}
        row_h = MAX_LABEL_LINES * LINE + RULE_GAP + LABEL_GAP_Y
        while not all(full):
            for side in (0, 1):
                if full[side]:
                    continue
                stems = self.stems[side]
                # Covering a leader costs less as the room runs out (there is less of a future
                # to keep), and nothing at all if the row would otherwise stay empty.
                future = min(1.0, max(0.0, (self.room - used[side] - row_h) / (2 * row_h)))
                chosen: list[tuple[_Cand, float]] = []
                covered: set[int] = set()
                for factor in (kill_cost * future, 0.0):
                    cands = []
                    for i in sorted(alive[side] - placed.keys(), key=lambda i: (stems[i], i)):
                        weight = ANCHOR_WEIGHT if self.events[i].anchor else 1.0
                        other = 0.5 if i in alive[1 - side] else 1.0
                        cands.append(_Cand(i, stems[i] or 0.0, self.texts[i][2], weight, weight * factor * other))
                    chosen, covered = _solve_row(cands, self.width)
                    if chosen:
                        break
                height = max((len(self.texts[c.index][1]) * LINE + RULE_GAP for c, _ in chosen), default=0.0)
                if not chosen or used[side] + height > self.room:
                    full[side] = True
                    continue
                for c, x in chosen:
                    date_text, lines, _ = self.texts[c.index]
                    h = len(lines) * LINE + RULE_GAP
                    mark = self.marks[c.index].box
                    if side == 0:  # rule at the bottom of the row, leader up from the mark's top
                        rule = self.floors[0] - used[0]
                        placed[c.index] = Label(c.index, date_text, lines, Box(x, rule - h, c.width, h), c.stem, rule, mark.y, True)
                    else:  # rule at the top of the row, leader down from the mark's foot
                        rule = self.floors[1] + used[1]
                        placed[c.index] = Label(c.index, date_text, lines, Box(x, rule, c.width, h), c.stem, mark.y1, rule, False)
                used[side] += height + LABEL_GAP_Y
                alive[side] -= covered
        return placed, used[0] + used[1]


def layout(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en") -> Layout:
    """Place the axis, one mark per event and as many labels as fit without overlap."""
    width = float(width_mm)
    n = len(events)
    if n == 0:
        return Layout(width, 8.0, 4.0, (), (), (), (), (), ((MARGIN, width - MARGIN),), (), ())
    spans = [_span(e.date) for e in events]
    scale = _Scale(spans, MARGIN, width - MARGIN)
    marks = _marks(events, spans, scale, width - 2 * MARGIN - GAP_WIDTH * (len(scale.segments) - 1))
    runs = tuple((scale(float(a)), scale(float(b))) for a, b in scale.segments)
    breaks = [Box((r0[1] + r1[0]) / 2 - 1.6, -1.5, 3.2, 3.0) for r0, r1 in zip(runs, runs[1:], strict=False)]
    year_ticks, month_ticks, tick_cands, year_row = _ticks(scale, language)
    scale_bottom = year_row + LINE
    # The first and last years of each run of the axis are labelled before the events, so that
    # leaders from below keep clear of them; the other tick labels then fit between the leaders.
    tick_labels: list[TickLabel] = []
    _place_ticks(tick_cands, tick_labels, width, year_row, [], only=0)

    max_w = min(42.0, max(24.0, 0.17 * width))
    texts: list[tuple[str, tuple[str, ...], float]] = []
    for e in events:
        date_text = _short_date(e.date, language)
        lines, text_w = _wrap(date_text, _clean(e.label), max_w)
        texts.append((date_text, lines, text_w + RULE_OVERHANG))

    # Where each event's leader leaves its mark, up and down; None where marks stacked above
    # (or marks, breaks and scale labels below) are in the way.
    floor_up = min(m.box.y for m in marks) - LABEL_GAP_Y
    floor_down = scale_bottom + LABEL_GAP_Y + 0.3  # y of the top of the first row below
    stem_up: list[float | None] = []
    stem_down: list[float | None] = []
    below = breaks + [t.box for t in tick_labels]
    for m in marks:
        overlapping = [o for o in marks if o.index != m.index and o.box.x < m.box.x1 + 0.3 and o.box.x1 > m.box.x - 0.3]
        stem_up.append(_leader_x(m, [o.box for o in overlapping if o.box.y < m.box.y]))
        # Only marks on the axis take labels below: a leader from a stacked mark would seem to
        # leave the axis.
        stem_down.append(_leader_x(m, below) if m.level == 0 else None)

    # The room for labels: the height budget less the axis and scale, half on each side.
    budget = max(40.0, 0.5625 * width)
    room = max(12.0, (budget - TOP_PAD - BOTTOM_PAD - scale_bottom + floor_up) / 2)
    rows = _Rows(events, marks, texts, (stem_up, stem_down), (floor_up, floor_down), room, width)
    # The rows are filled greedily; how much to spare leaders for later rows is tried a few ways
    # and the layout that labels the most anchored events, then the most events, then is the
    # lowest, is kept.
    best: tuple[tuple[int, int, float], dict[int, Label]] | None = None
    for kill_cost in KILL_COSTS:
        placed, extent = rows.fill(kill_cost)
        score = (sum(1 for i in placed if events[i].anchor), len(placed), -extent)
        if best is None or score > best[0]:
            best = (score, placed)
    assert best is not None
    placed = best[1]

    _place_ticks([c for c in tick_cands if c[0] > 0], tick_labels, width, year_row, [lab.stem_x for lab in placed.values() if not lab.above])
    tick_labels.sort(key=lambda t: (t.box.y, t.box.x))
    labels = [placed[i] for i in sorted(placed)]
    top = min([m.box.y for m in marks] + [lab.box.y for lab in labels] + [b.y for b in breaks])
    bottom = max([scale_bottom] + [lab.box.y1 for lab in labels])
    dy = TOP_PAD - top
    return Layout(
        width=width,
        height=round(dy + bottom + BOTTOM_PAD, 2),
        axis_y=dy,
        marks=tuple(Mark(m.index, m.shape, m.box.shifted(dy), m.level) for m in marks),
        labels=tuple(
            Label(lab.index, lab.date_text, lab.lines, lab.box.shifted(dy), lab.stem_x, lab.stem_y0 + dy, lab.stem_y1 + dy, lab.above)
            for lab in labels
        ),
        tick_labels=tuple(TickLabel(t.text, t.box.shifted(dy), t.year) for t in tick_labels),
        year_ticks=tuple(sorted(set(year_ticks))),
        month_ticks=tuple(sorted(set(month_ticks))),
        axis_runs=runs,
        breaks=tuple(b.shifted(dy) for b in breaks),
        anchors=tuple(e.anchor for e in events),
    )


# ---------------------------------------------------------------------------
# SVG


def _n(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")


def _href(anchor: str) -> str:
    return "#" + _esc(_clean(anchor).replace(" ", ""))


def _render(lay: Layout, language: str, alt: str = "") -> str:
    w, h, ay = lay.width, lay.height, lay.axis_y
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}mm" height="{_n(h)}mm" viewBox="0 0 {_n(w)} {_n(h)}" '
        f'class="timeline" role="img" xml:lang="{_esc(_clean(language))}" font-family="{FONT_FAMILY}" font-size="{_n(FONT_SIZE)}">'
    ]
    if alt:
        out.append(f"<title>{_esc(alt)}</title>")
    # Scaffolding: ticks, axis, breaks.
    has_months = bool(lay.month_ticks)
    year_len = 1.2 + LINE if has_months else 1.2
    out.append(f'<g class="ticks" stroke="{TICK}" stroke-width="0.18" fill="none">')
    for x in lay.year_ticks:
        out.append(f'<line x1="{_n(x)}" y1="{_n(ay)}" x2="{_n(x)}" y2="{_n(ay + year_len)}"/>')
    for x in lay.month_ticks:
        out.append(f'<line x1="{_n(x)}" y1="{_n(ay)}" x2="{_n(x)}" y2="{_n(ay + 0.7)}"/>')
    out.append("</g>")
    out.append(f'<g class="axis" stroke="{ACCENT}" stroke-width="0.35" stroke-linecap="butt" fill="none">')
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
        out.append(f'<g class="axis-break" stroke="{ACCENT}" stroke-width="0.3" fill="none">')
        for dx in (-0.55, 0.55):
            out.append(f'<line x1="{_n(cx + dx - 0.5)}" y1="{_n(cy + 1.3)}" x2="{_n(cx + dx + 0.5)}" y2="{_n(cy - 1.3)}"/>')
        out.append("</g>")
    # Tick labels.
    out.append('<g class="tick-labels">')
    for t in lay.tick_labels:
        base = t.box.y + (LINE - FONT_SIZE) / 2 + ASCENT * FONT_SIZE
        colour, weight = (INK, ' font-weight="700"') if t.year else (MUTED, "")
        out.append(f'<text x="{_n(t.box.x)}" y="{_n(base)}" fill="{colour}"{weight}>{_esc(t.text)}</text>')
    out.append("</g>")
    # Leaders under the marks.
    out.append(f'<g class="leaders" stroke="{LEADER}" stroke-width="0.2">')
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
                f'rx="{_n(min(0.35, b.h / 3))}" fill="{BAR_FILL}" stroke="{ACCENT}" stroke-width="{_n(0.3 if b.h > 1.2 else 0.22)}"/>'
            )
        elif m.shape == "tick":
            el = f'<rect class="event-mark tick" x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" fill="{ACCENT}"/>'
        else:
            el = (
                f'<circle class="event-mark" cx="{_n(b.x + b.w / 2)}" cy="{_n(b.y + b.h / 2)}" r="{_n(DOT_R)}" '
                f'fill="{ACCENT}" stroke="#ffffff" stroke-width="0.25"/>'
            )
        anchor = lay.anchors[m.index]
        out.append(f'<a href="{_href(anchor)}">{el}</a>' if anchor else el)
    out.append("</g>")
    # Labels: text on a rule, which the leader meets.
    out.append(f'<g class="labels" fill="{INK}">')
    for lab in lay.labels:
        b = lab.box
        rule_y = b.y1 if lab.above else b.y
        text_top = b.y if lab.above else b.y + RULE_GAP
        parts = [f'<line x1="{_n(b.x)}" y1="{_n(rule_y)}" x2="{_n(b.x1)}" y2="{_n(rule_y)}" stroke="{LEADER}" stroke-width="0.2"/>']
        for k, line in enumerate(lab.lines):
            base = text_top + (LINE - FONT_SIZE) / 2 + ASCENT * FONT_SIZE + k * LINE
            if k == 0:
                body = f'<tspan font-weight="700" fill="{ACCENT}">{_esc(lab.date_text)}</tspan>'
                if line:
                    body += " " + _esc(line)
            else:
                body = _esc(line)
            parts.append(f'<text x="{_n(b.x)}" y="{_n(base)}">{body}</text>')
        anchor = lay.anchors[lab.index]
        inner = "".join(parts)
        out.append(f'<a href="{_href(anchor)}"><g class="event-label">{inner}</g></a>' if anchor else f'<g class="event-label">{inner}</g>')
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def timeline_svg(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en", alt: str = "") -> str:
    """The chronology as a standalone SVG string, `width_mm` wide, sized and drawn in mm; `alt`
    is its `<title>`, which WeasyPrint writes as the figure's alternative text (`/Alt`)."""
    return _render(layout(events, width_mm, language), language, alt)


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


def timeline_html(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en", alt: str = "") -> str:
    """The SVG in a box with transparent HTML links over anchored marks and labels.

    WeasyPrint 70 makes no PDF links from `<a>` inside SVG; these overlays make the graphic's
    events clickable in the PDF.
    """
    lay = layout(events, width_mm, language)
    out = [f'<div class="timeline-figure" style="position: relative; width: {_n(lay.width)}mm; height: {_n(lay.height)}mm">']
    out.append(_render(lay, language, alt).replace("<svg ", '<svg style="display: block" ', 1))
    for anchor, b in link_areas(lay):
        out.append(
            f'<a href="{_href(anchor)}" style="position: absolute; display: block; left: {_n(b.x)}mm; top: {_n(b.y)}mm; '
            f'width: {_n(b.w)}mm; height: {_n(b.h)}mm"></a>'
        )
    out.append("</div>")
    return "\n".join(out)
