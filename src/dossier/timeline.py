"""The chronology as a timeline graphic: a pure function from events to a standalone SVG.

The graphic is drawn in millimetres (the viewBox is the size in mm) and is meant to be
embedded inline in the HTML that WeasyPrint typesets, where it stays vector.

Scale.  Time runs left to right on one axis cut into *segments*: runs of years that hold
events.  Where more than a set number of years pass without an event (8 years, or 7 % of the
whole span if that is more) the axis breaks: the empty stretch gets a fixed small width and a
break symbol (two slanted strokes).  Inside the segments the position of a moment blends two
measures: the compressed calendar time before it, and the number of events before it (each
event spreads its unit weight over its own span: a day, a month, a year or its range).  The
second measure gives each event a guaranteed share of the width, so a year with twenty events
opens out while an empty decade stays narrow; year (and, in open years, month) ticks show the
scale.

Marks.  Exactly one mark element per event, with `class="event-mark"`: a dot for a moment, a
bar for a period (a range).  Marks sit on the axis; marks that would touch stack upward in
levels, so none hides another.

Labels.  Each label is a flag: a thin leader rises from its mark and the text (the short date in
bold, then the title on at most two lines, ellipsized) hangs beside it, to the right, or to the
left near the right edge.  Labels are placed one by one, at the lowest height where the box
clears every other label, mark and leader and its own leader crosses no other label or mark.
Anchored events are placed first (they are the ones the text links to), the rest fill the
room that is left; an event that finds no room within the height budget keeps its mark and goes
unlabelled.  Text widths come from the advance widths of the installed Noto Sans (WeasyPrint
sets SVG text letter by letter, without kerning, so the sum of advances is what it draws),
found with fontconfig and read with fontTools; without them a conservative estimate is used.

Links.  Anchored marks and labels are wrapped in `<a href="#id">`.  WeasyPrint 70 draws what is
inside an SVG `<a>` but makes no PDF link of it; `timeline_html` therefore wraps the SVG in a
box with transparent HTML links laid over the marks and labels, which WeasyPrint does turn into
PDF links.  `layout` exposes every placed box for tests and for such overlays.
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
LEVEL_PITCH = 2.1
MAX_LEVELS = 8
MARK_GAP = 0.35
FLAG_PAD = 0.75  # text starts this far from its leader
LABEL_GAP_X = 1.4
LABEL_GAP_Y = 0.75
STEM_CLEAR = 0.45  # a leader keeps this far from other boxes
STEM_SEP = 0.8  # two leaders are at least this far apart
RANK_SHARE = 0.55  # share of the axis width given out by event count rather than by time
MONTH_MIN_YEAR = 16.0  # a year at least this wide gets month ticks
TOP_PAD = 1.0
BOTTOM_PAD = 0.8
MAX_LABEL_LINES = 2
LABEL_MAX_W = 0.0


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
    period: bool  # a bar (range) rather than a dot
    box: Box
    level: int


@dataclass(frozen=True)
class Label:
    index: int  # position of the event in the input list
    date_text: str  # bold, at the head of the first line
    lines: tuple[str, ...]  # title text per line (the first follows the date)
    box: Box
    stem_x: float
    stem_y0: float  # top of the leader
    stem_y1: float  # bottom of the leader
    right: bool  # text to the right of the leader
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
def _font_advances(bold: bool) -> tuple[dict[int, float], float] | None:
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
        advances = {cp: hmtx[name][0] / units for cp, name in cmap.items()}
        return advances, advances.get(ord("0"), 0.6)
    except Exception:  # no font, unreadable font: fall back to the estimate
        return None


def _char_width(char: str, bold: bool) -> float:
    """Advance of one character in em (conservative where the font is unknown)."""
    table = _font_advances(bold)
    if table is not None:
        width = table[0].get(ord(char))
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


def _after(p: PartialDate) -> date:
    """The day after the last day the partial date covers."""
    if p.day:
        return date.fromordinal(_first(p).toordinal() + 1)
    if p.month:
        return date(p.year + (p.month == 12), p.month % 12 + 1, 1)
    return date(p.year + 1, 1, 1)


def _span(value: DateValue) -> tuple[float, float]:
    return _frac(_first(value.start)), _frac(_after(value.end or value.start))


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

    names = get_month_names("abbreviated", locale=_locale(language))
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
        segments: list[list[int]] = []
        for a, b in years:
            if segments and a - segments[-1][1] < threshold:
                segments[-1][1] = max(segments[-1][1], b)
            else:
                segments.append([a, b])
        self.segments = [(a, b) for a, b in segments]
        self.starts = [a for a, _ in segments]
        breaks = len(segments) - 1
        axis_w = x_right - x_left - breaks * GAP_WIDTH
        total_years = sum(b - a for a, b in segments)
        cum = [0.0]
        for a, b in segments:
            cum.append(cum[-1] + (b - a))
        slope_change: dict[float, float] = {}
        for a, b in spans:
            w = 1.0 / (b - a)
            slope_change[a] = slope_change.get(a, 0.0) + w
            slope_change[b] = slope_change.get(b, 0.0) - w
        knots = sorted(set(slope_change) | {float(a) for a, _ in segments} | {float(b) for _, b in segments})
        time_w = (1 - RANK_SHARE) * axis_w / total_years
        rank_w = RANK_SHARE * axis_w / len(spans)
        self.knots = knots
        self.xs: list[float] = []
        mass, slope, prev = 0.0, 0.0, knots[0]
        for t in knots:
            mass += slope * (t - prev)
            slope += slope_change.get(t, 0.0)
            prev = t
            i = max(0, bisect.bisect_right(self.starts, t) - 1)
            self.xs.append(x_left + i * GAP_WIDTH + time_w * (cum[i] + t - segments[i][0]) + rank_w * mass)
        # Pin the right end exactly (float residue of the sweep).
        self.x_right = x_right

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
    """Cut `text` to fit `max_w` with an ellipsis."""
    widths = _widths(text)
    ell = text_width("…")
    total = 0.0
    cut = 0
    for i, w in enumerate(widths):
        if total + w + ell > max_w:
            break
        total += w
        cut = i + 1
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


def _mirror(box: Box) -> Box:
    return Box(box.x, -box.y - box.h, box.w, box.h)


_Option = tuple[int, float, Label, list[int]]  # (evictions, distance from the axis, label, labels evicted)


class _Placer:
    """Greedy placement of flag labels on one side of the axis.

    Works in "upward" coordinates: labels go at y <= floor, no higher than ceiling.  The side
    below the axis is placed by a second placer working on the mirror image.
    """

    def __init__(self, width: float, floor: float, ceiling: float, marks: list[Mark], obstacles: list[Box]):
        self.width = width
        self.floor = floor
        self.ceiling = ceiling
        self.marks = marks
        self.obstacles = obstacles
        self.labels: dict[int, Label] = {}

    def find(
        self, index: int, date_text: str, lines: tuple[str, ...], text_w: float, right: bool, evict: frozenset[int]
    ) -> _Option | None:
        """The lowest free place for a label on this side; failing that, if `evict` allows, the
        place that evicts fewest of the labels in `evict`."""
        mark = self.marks[index]
        mb = mark.box
        stem_x = mb.x + min(0.45, mb.w / 2) if mark.period else mb.x + mb.w / 2
        foot = mb.y
        height = len(lines) * LINE
        if right:
            bx0, bx1 = stem_x - 0.25, stem_x + FLAG_PAD + text_w + 0.1
        else:
            bx0, bx1 = stem_x - FLAG_PAD - text_w - 0.1, stem_x + 0.25
        if bx0 < 0.4 or bx1 > self.width - 0.4:
            return None
        near_labels = [lab for lab in self.labels.values() if lab.box.x < bx1 + LABEL_GAP_X and lab.box.x1 > bx0 - LABEL_GAP_X]
        near_marks = [m for m in self.marks if m.index != index and m.box.x < bx1 + 1 and m.box.x1 > bx0 - 1]
        near_obst = [o for o in self.obstacles if o.x < bx1 + 1 and o.x1 > bx0 - 1]
        bottoms = {self.floor}
        bottoms.update(lab.box.y - LABEL_GAP_Y for lab in near_labels)
        bottoms.update(m.box.y - LABEL_GAP_Y for m in near_marks)
        bottoms.update(o.y - LABEL_GAP_Y for o in near_obst)
        best: _Option | None = None
        for bottom in sorted({min(b, self.floor, foot - LABEL_GAP_Y) for b in bottoms}, reverse=True):
            top = bottom - height
            if top < self.ceiling:
                break
            cand = Box(bx0, top, bx1 - bx0, height)
            blockers = self._blockers(cand, stem_x, top, foot, near_labels, near_marks, near_obst)
            if blockers is None or (blockers and not evict.issuperset(blockers)):
                continue
            if best is None or len(blockers) < best[0]:
                label = Label(index, date_text, lines, cand, stem_x, top, foot, right, True)
                best = (len(blockers), self.floor - bottom, label, blockers)
            if not blockers:
                break
        return best

    def commit(self, option: _Option) -> list[int]:
        for k in option[3]:
            del self.labels[k]
        self.labels[option[2].index] = option[2]
        return option[3]

    @staticmethod
    def _blockers(
        cand: Box, sx: float, s0: float, s1: float, labels: list[Label], marks: list[Mark], obstacles: list[Box]
    ) -> list[int] | None:
        """Labels in the way of a box and its leader (x = sx, from s0 down to s1); None if a mark or obstacle is."""
        for m in marks:
            if cand.overlaps(m.box, 0.6, LABEL_GAP_Y):
                return None
            if m.box.x - 0.25 < sx < m.box.x1 + 0.25 and s0 < m.box.y1 and m.box.y < s1:
                return None
        for o in obstacles:
            if cand.overlaps(o, 0.6, LABEL_GAP_Y):
                return None
            if o.x - STEM_CLEAR < sx < o.x1 + STEM_CLEAR and s0 < o.y1 and o.y < s1:
                return None
        out: list[int] = []
        for lab in labels:
            if (
                cand.overlaps(lab.box, LABEL_GAP_X, LABEL_GAP_Y)
                # its leader through my box
                or (cand.x - STEM_CLEAR < lab.stem_x < cand.x1 + STEM_CLEAR and cand.y < lab.stem_y1 and lab.stem_y0 < cand.y1)
                # my leader through its box
                or (lab.box.x - STEM_CLEAR < sx < lab.box.x1 + STEM_CLEAR and s0 < lab.box.y1 + LABEL_GAP_Y and lab.box.y < s1)
                # leaders too close side by side
                or (abs(lab.stem_x - sx) < STEM_SEP and s0 < lab.stem_y1 and lab.stem_y0 < s1)
            ):
                out.append(lab.index)
        return out


# ---------------------------------------------------------------------------
# Layout


def _marks(events: list[TimelineEvent], spans: list[tuple[float, float]], scale: _Scale) -> list[Mark]:
    """Dots and bars on the axis (y = 0), stacked upward where they would touch."""
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
            extents.append((x - DOT_R, x + DOT_R, False))
    level_end: list[float] = []
    levels = [0] * len(events)
    for i in sorted(range(len(events)), key=lambda i: (extents[i][0], extents[i][1], i)):
        x0, x1, _ = extents[i]
        for lv, end in enumerate(level_end):
            if x0 >= end + MARK_GAP:
                break
        else:
            if len(level_end) < MAX_LEVELS:
                lv = len(level_end)
                level_end.append(-math.inf)
            else:  # out of levels: overlap where the least is hidden
                lv = min(range(len(level_end)), key=lambda k: (level_end[k], k))
        level_end[lv] = max(level_end[lv], x1)
        levels[i] = lv
    marks: list[Mark] = []
    for i, (x0, x1, period) in enumerate(extents):
        cy = -levels[i] * LEVEL_PITCH
        h = BAR_H if period else 2 * DOT_R
        marks.append(Mark(i, period, Box(x0, cy - h / 2, x1 - x0, h), levels[i]))
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
            cands.append((prio, centre, x0 if wide else centre, x1 if wide else centre, str(y), True))
            if wide:
                edges = [scale(_frac(date(y, m, 1))) for m in range(1, 13)] + [x1]
                month_ticks.extend(edges[1:12])
                for m in range(12):
                    lo, hi = edges[m], edges[m + 1]
                    cands.append((5 if m % 3 == 0 else 6, (lo + hi) / 2, lo, hi, months[m], False))
    return year_ticks, month_ticks, cands, 1.5 + (LINE if month_ticks else 0.0)


def _place_ticks(
    cands: list[_TickCand], placed: list[TickLabel], width: float, year_row: float, stems: list[float], only: int | None = None
) -> None:
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


def layout(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en") -> Layout:
    """Place the axis, one mark per event and as many labels as fit without overlap."""
    width = float(width_mm)
    n = len(events)
    if n == 0:
        return Layout(width, 8.0, 4.0, (), (), (), (), (), ((MARGIN, width - MARGIN),), (), ())
    spans = [_span(e.date) for e in events]
    scale = _Scale(spans, MARGIN, width - MARGIN)
    marks = _marks(events, spans, scale)
    runs = tuple((scale(float(a)), scale(float(b))) for a, b in scale.segments)
    breaks = [Box((r0[1] + r1[0]) / 2 - 1.6, -1.5, 3.2, 3.0) for r0, r1 in zip(runs, runs[1:])]
    year_ticks, month_ticks, tick_cands, year_row = _ticks(scale, language)
    scale_bottom = year_row + LINE
    # The first and last years of each run of the axis are labelled before the events, so that
    # leaders from below keep clear of them; the other tick labels then fit between the leaders.
    tick_labels: list[TickLabel] = []
    _place_ticks(tick_cands, tick_labels, width, year_row, [], only=0)

    # Room for labels: the height budget less the axis, shared by the two sides.
    budget = max(40.0, 0.5625 * width)
    room = max(12.0, (budget - TOP_PAD - BOTTOM_PAD - scale_bottom - DOT_R - 2 * LABEL_GAP_Y) / 2)
    floor_up = -(DOT_R + LABEL_GAP_Y)
    floor_down = -(scale_bottom + LABEL_GAP_Y + 0.3)
    down_marks = [Mark(m.index, m.period, _mirror(m.box), m.level) for m in marks]
    down_obstacles = [_mirror(b) for b in breaks] + [_mirror(t.box) for t in tick_labels]

    max_w = LABEL_MAX_W if LABEL_MAX_W else min(42.0, max(26.0, 0.21 * width))
    texts: list[tuple[str, tuple[str, ...], float]] = []
    for e in events:
        date_text = _short_date(e.date, language)
        texts.append((date_text, *_wrap(date_text, _clean(e.label), max_w)))

    # Flags to the right cascade from high on the left to low on the right, so they are placed
    # right to left; near the right edge flags turn left and cascade the other way, so those go
    # first, left to right.
    def flipped(i: int) -> bool:
        return marks[i].box.x + min(0.45, marks[i].box.w / 2) + FLAG_PAD + texts[i][2] + 0.5 > width - 0.4

    def geometric(group: list[int]) -> list[int]:
        return sorted((i for i in group if flipped(i)), key=lambda i: (marks[i].box.x, i)) + sorted(
            (i for i in group if not flipped(i)), key=lambda i: (-marks[i].box.x, -i)
        )

    anchored = [i for i in range(n) if events[i].anchor]
    unanchored = [i for i in range(n) if not events[i].anchor]
    free = frozenset(unanchored)

    def attempt(order: list[int], evicting: bool) -> tuple[_Placer, _Placer]:
        up = _Placer(width, floor_up, floor_up - room, marks, breaks)
        down = _Placer(width, floor_down, floor_down - room, down_marks, down_obstacles)
        sides = (up, down)

        def place(i: int, evict: frozenset[int]) -> list[int]:
            options = [(k, opt) for k, p in enumerate(sides) if (opt := p.find(i, *texts[i], not flipped(i), evict))]
            if not options:
                return []
            k, opt = min(options, key=lambda o: (o[1][0], o[1][1], o[0]))
            return sides[k].commit(opt)

        evicted: list[int] = []
        for i in order:
            evicted += place(i, free if evicting and i not in free else frozenset())
        for i in sorted(set(evicted), key=order.index):
            if i not in up.labels and i not in down.labels:
                place(i, frozenset())
        return up, down

    # Two ways to choose which events get labels: the anchored ones (those the text links to)
    # first, or all in cascade order with anchored ones displacing others in their way.  The
    # layout that labels more anchored events, then more events, then is lower, is kept.
    best: tuple[tuple[int, int, float], _Placer, _Placer] | None = None
    for order, evicting in ((geometric(anchored) + geometric(unanchored), False), (geometric(list(range(n))), True)):
        up, down = attempt(order, evicting)
        placed = list(up.labels) + list(down.labels)
        extent = max([0.0] + [up.floor - lab.box.y for lab in up.labels.values()])
        extent += max([0.0] + [down.floor - lab.box.y for lab in down.labels.values()])
        score = (sum(1 for i in placed if events[i].anchor), len(placed), -extent)
        if best is None or score > best[0]:
            best = (score, up, down)
    assert best is not None
    _, up, down = best

    _place_ticks([c for c in tick_cands if c[0] > 0], tick_labels, width, year_row, [lab.stem_x for lab in down.labels.values()])
    tick_labels.sort(key=lambda t: (t.box.y, t.box.x))
    labels = list(up.labels.values())
    for lab in down.labels.values():
        b = _mirror(lab.box)
        labels.append(Label(lab.index, lab.date_text, lab.lines, b, lab.stem_x, -lab.stem_y1, -lab.stem_y0, lab.right, False))
    labels.sort(key=lambda lab: lab.index)
    top = min([m.box.y for m in marks] + [lab.box.y for lab in labels] + [b.y for b in breaks])
    bottom = max([scale_bottom] + [lab.box.y1 for lab in labels])
    dy = TOP_PAD - top
    return Layout(
        width=width,
        height=round(dy + bottom + BOTTOM_PAD, 2),
        axis_y=dy,
        marks=tuple(Mark(m.index, m.period, m.box.shifted(dy), m.level) for m in marks),
        labels=tuple(
            Label(lab.index, lab.date_text, lab.lines, lab.box.shifted(dy), lab.stem_x, lab.stem_y0 + dy, lab.stem_y1 + dy, lab.right, lab.above)
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


def _render(lay: Layout, language: str) -> str:
    w, h, ay = lay.width, lay.height, lay.axis_y
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}mm" height="{_n(h)}mm" viewBox="0 0 {_n(w)} {_n(h)}" '
        f'class="timeline" role="img" xml:lang="{_esc(_clean(language))}" '
        f'aria-label="Timeline of {len(lay.marks)} events" font-family="{FONT_FAMILY}" font-size="{_n(FONT_SIZE)}">'
    ]
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
        if m.period:
            el = (
                f'<rect class="event-mark period" x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" rx="0.35" '
                f'fill="{BAR_FILL}" stroke="{ACCENT}" stroke-width="0.3"/>'
            )
        else:
            el = (
                f'<circle class="event-mark" cx="{_n(b.x + b.w / 2)}" cy="{_n(b.y + b.h / 2)}" r="{_n(DOT_R)}" '
                f'fill="{ACCENT}" stroke="#ffffff" stroke-width="0.25"/>'
            )
        anchor = lay.anchors[m.index]
        out.append(f'<a href="{_href(anchor)}">{el}</a>' if anchor else el)
    out.append("</g>")
    # Labels.
    out.append(f'<g class="labels" fill="{INK}">')
    for lab in lay.labels:
        b = lab.box
        x = lab.stem_x + FLAG_PAD if lab.right else lab.stem_x - FLAG_PAD
        anchor_attr = "" if lab.right else ' text-anchor="end"'
        parts: list[str] = []
        for k, line in enumerate(lab.lines):
            base = b.y + (LINE - FONT_SIZE) / 2 + ASCENT * FONT_SIZE + k * LINE
            if k == 0:
                body = f'<tspan font-weight="700" fill="{ACCENT}">{_esc(lab.date_text)}</tspan>'
                if line:
                    body += " " + _esc(line)
            else:
                body = _esc(line)
            parts.append(f'<text x="{_n(x)}" y="{_n(base)}"{anchor_attr}>{body}</text>')
        anchor = lay.anchors[lab.index]
        inner = "".join(parts)
        out.append(f'<a href="{_href(anchor)}"><g class="event-label">{inner}</g></a>' if anchor else f'<g class="event-label">{inner}</g>')
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def timeline_svg(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en") -> str:
    """The chronology as a standalone SVG string, `width_mm` wide, sized and drawn in mm."""
    return _render(layout(events, width_mm, language), language)


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


def timeline_html(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en") -> str:
    """The SVG in a box with transparent HTML links over anchored marks and labels.

    WeasyPrint 70 makes no PDF links from `<a>` inside SVG; these overlays make the graphic's
    events clickable in the PDF.
    """
    lay = layout(events, width_mm, language)
    out = [f'<div class="timeline-figure" style="position: relative; width: {_n(lay.width)}mm; height: {_n(lay.height)}mm">']
    out.append(_render(lay, language))
    for anchor, b in link_areas(lay):
        out.append(
            f'<a href="{_href(anchor)}" style="position: absolute; display: block; left: {_n(b.x)}mm; top: {_n(b.y)}mm; '
            f'width: {_n(b.w)}mm; height: {_n(b.h)}mm"></a>'
        )
    out.append("</div>")
    return "\n".join(out)
