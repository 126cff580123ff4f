"""Stage 4 (render), the timeline: sizes of the graphic in mm, and the records of a layout.

Every module of the package draws in the same units (the SVG's viewBox is its size in mm); the
records here are what `place.layout` computes and `svg` writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..dates import DateValue

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
