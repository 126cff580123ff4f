"""Stage 4 (render), the timeline: marks on the axis and labels placed around them.

Marks.  Exactly one mark per event: a dot for a moment, a bar for a period (a range); where events
are too dense for dots, a short upright tick.  Marks sit on the axis; marks that would touch stack
upward in levels, so none hides another.

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
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from ..dates import format_date
from .geometry import (
    ANCHOR_WEIGHT,
    BAR_H,
    BAR_H_DENSE,
    BOTTOM_PAD,
    DENSE_SPACING,
    DOT_R,
    GAP_WIDTH,
    KILL_COSTS,
    LABEL_GAP_X,
    LABEL_GAP_Y,
    LEVEL_GAP,
    LINE,
    MARGIN,
    MARK_GAP,
    MARK_GAP_DENSE,
    MAX_LABEL_LINES,
    MAX_LEVELS,
    RULE_END,
    RULE_GAP,
    RULE_OVERHANG,
    STEM_CLEAR,
    STEM_SEP,
    TICK_H,
    TICK_W,
    TOP_PAD,
    Box,
    Label,
    Layout,
    Mark,
    TickLabel,
    TimelineEvent,
)
from .measure import Measure, clean
from .scale import Scale, TickCand, is_period, span, ticks
from .style import Style


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


def _marks(events: list[TimelineEvent], spans: list[tuple[float, float]], scale: Scale, axis_w: float) -> list[Mark]:
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
        if is_period(e.date):
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


def _place_ticks(
    measure: Measure, cands: list[TickCand], placed: list[TickLabel], width: float, year_row: float, stems: list[float], only: int | None = None
) -> None:
    """Place tick labels clear of each other and of the leaders crossing the scale (x in `stems`).

    A label centred in a wide span may slide along it to find room; `only` limits to one priority.
    """
    for prio, centre, lo, hi, text, year in sorted(cands, key=lambda c: (c[0], c[1])):
        if only is not None and prio != only:
            continue
        w = measure.text_width(text, bold=year)
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


def layout(events: list[TimelineEvent], width_mm: float = 160.0, language: str = "en", style: Style | None = None) -> Layout:
    """Place the axis, one mark per event and as many labels as fit without overlap, with text
    measured in the first font of `style` (default: the default theme's)."""
    style = style or Style()
    measure = Measure(style.fonts[0], style.bold)
    width = float(width_mm)
    n = len(events)
    if n == 0:
        return Layout(width, 8.0, 4.0, (), (), (), (), (), ((MARGIN, width - MARGIN),), (), ())
    spans = [span(e.date) for e in events]
    scale = Scale(spans, MARGIN, width - MARGIN)
    marks = _marks(events, spans, scale, width - 2 * MARGIN - GAP_WIDTH * (len(scale.segments) - 1))
    runs = tuple((scale(float(a)), scale(float(b))) for a, b in scale.segments)
    breaks = [Box((r0[1] + r1[0]) / 2 - 1.6, -1.5, 3.2, 3.0) for r0, r1 in zip(runs, runs[1:], strict=False)]
    year_ticks, month_ticks, tick_cands, year_row = ticks(scale, language, measure)
    scale_bottom = year_row + LINE
    # The first and last years of each run of the axis are labelled before the events, so that
    # leaders from below keep clear of them; the other tick labels then fit between the leaders.
    tick_labels: list[TickLabel] = []
    _place_ticks(measure, tick_cands, tick_labels, width, year_row, [], only=0)

    max_w = min(42.0, max(24.0, 0.17 * width))
    texts: list[tuple[str, tuple[str, ...], float]] = []
    for e in events:
        date_text = format_date(e.date, language, short=True)
        lines, text_w = measure.wrap(date_text, clean(e.label), max_w)
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

    _place_ticks(measure, [c for c in tick_cands if c[0] > 0], tick_labels, width, year_row, [lab.stem_x for lab in placed.values() if not lab.above])
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
