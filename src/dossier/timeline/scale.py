"""Stage 4 (render), the timeline: where a moment falls on the axis, and the ticks that show it.

Time runs left to right on one axis cut into *segments*, runs of years that hold events.  Where
more than 8 years (or 7 % of the whole span, if that is more) pass without an event, the axis
breaks: the empty stretch gets a fixed small width and a break symbol; at most a quarter of the
width goes to breaks, the longest gaps first.  Inside the segments a moment's position blends two
measures: the calendar time before it (compressed as above) and the number of events before it,
each event spreading its unit over its own span (a day, a month, a year or its range).  The
second gives each event a guaranteed share of the width, so a year with twenty events opens out
while an empty decade stays narrow; year ticks (and month ticks in years that have opened out)
show the scale.  With only a few events the scale is nearly linear.
"""

from __future__ import annotations

import bisect
import calendar
import math
from datetime import date
from functools import lru_cache

from ..dates import DateValue, PartialDate, babel_locale, first_day
from .geometry import GAP_WIDTH, LINE, MONTH_MIN_YEAR, RANK_SHARE
from .measure import Measure


def frac(day: date) -> float:
    """A day as a fractional year (its start)."""
    start = date(day.year, 1, 1).toordinal()
    return day.year + (day.toordinal() - start) / (366 if calendar.isleap(day.year) else 365)


def _frac_after(p: PartialDate) -> float:
    """The end of the last day the partial date covers, in fractional years (9999-12-31 included:
    no `date` past the calendar's last day is built)."""
    if p.day:
        return frac(first_day(p)) + 1 / (366 if calendar.isleap(p.year) else 365)
    if p.month and p.month < 12:
        return frac(date(p.year, p.month + 1, 1))
    return float(p.year + 1)


def span(value: DateValue) -> tuple[float, float]:
    """The stretch of time a date covers, in fractional years (from its first day to the day after its last)."""
    a, b = frac(first_day(value.start)), _frac_after(value.end or value.start)
    return (a, b) if a < b else (b, a + 1 / 365)  # (a range written backwards still draws)


def is_period(value: DateValue) -> bool:
    """A range of more than one date: drawn as a bar."""
    return value.end is not None and value.end != value.start


@lru_cache(maxsize=16)
def _month_names(language: str) -> tuple[str, ...]:
    from babel.dates import get_month_names

    names = get_month_names("abbreviated", context="stand-alone", locale=babel_locale(language))  # axis ticks: nominative (ru "май", not "мая")
    return tuple(str(names[m]).rstrip(".") for m in range(1, 13))


class Scale:
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


TickCand = tuple[int, float, float, float, str, bool]  # (priority, centre, lo, hi, text, year)


def ticks(scale: Scale, language: str, measure: Measure) -> tuple[list[float], list[float], list[TickCand], float]:
    """Year ticks, month ticks (in years wide enough to show months), candidate tick labels, and the
    y of the year row (below the month row if there is one)."""
    year_ticks: list[float] = []
    month_ticks: list[float] = []
    cands: list[TickCand] = []
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
            if prio < 4 or x1 - x0 >= 0.8 * measure.text_width(str(y), bold=True):
                cands.append((prio, centre, x0 if wide else centre, x1 if wide else centre, str(y), True))
            if wide:
                edges = [scale(frac(date(y, m, 1))) for m in range(1, 13)] + [x1]
                month_ticks.extend(edges[1:12])
                for m in range(12):
                    lo, hi = edges[m], edges[m + 1]
                    cands.append((5 if m % 3 == 0 else 6, (lo + hi) / 2, lo, hi, months[m], False))
    return year_ticks, month_ticks, cands, 1.5 + (LINE if month_ticks else 0.0)
