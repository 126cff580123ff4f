"""Dates of the content format: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` and ranges `A/B`.

Parsing is strict (a date not on the calendar is an error); printing uses the
dossier language's long form through Babel's CLDR data ("19 October 1956",
"July 1957 – December 1958"). A bare `en` prints day-month-year (en-GB), as
briefings in English outside the United States do; `en-US` prints US style.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

_PART = r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?"  # ASCII digits only, never full-width ones
_RE = re.compile(rf"^{_PART}(?:/{_PART})?$")


@dataclass(frozen=True)
class PartialDate:
    """A calendar date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def key(self) -> tuple[int, int, int]:
        """Sort key: a coarser date sorts before finer ones in its span."""
        return (self.year, self.month or 0, self.day or 0)

    @property
    def skeleton(self) -> str:
        return "yMMMMd" if self.day else "yMMMM" if self.month else "y"

    def iso(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
        if self.day:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)


@dataclass(frozen=True)
class DateValue:
    """A date or a range of dates, as written in the content."""

    start: PartialDate
    end: PartialDate | None = None

    @property
    def key(self) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        return (self.start.key, (self.end or self.start).key)

    def iso(self) -> str:
        return self.start.iso() + (f"/{self.end.iso()}" if self.end else "")


def parse_date(text: str) -> DateValue:
    """Parse the content format's date syntax; raise ValueError with what was expected."""
    match = _RE.match(text.strip())
    if not match:
        raise ValueError(f"expected YYYY, YYYY-MM, YYYY-MM-DD or a range A/B of these, got '{text}'")
    groups = match.groups()
    start = _partial(groups[0:3], text)
    end = _partial(groups[3:6], text) if groups[3] else None
    if end is not None and _last_day(end) < first_day(start):
        raise ValueError(f"range ends before it starts, expected A ≤ B in '{text}'")
    return DateValue(start, end)


def _partial(groups: tuple[str | None, ...], text: str) -> PartialDate:
    year, month, day = (int(g) if g else None for g in groups)
    assert year is not None
    if year < 1:
        raise ValueError(f"year 0000 is not on the calendar in '{text}', expected a year 0001–9999")
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"month {month:02d} is not on the calendar in '{text}', expected 01–12")
    if day is not None and month is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise ValueError(f"{year:04d}-{month:02d}-{day:02d} is not on the calendar, expected a day 01–{last}")
    return PartialDate(year, month, day)


def first_day(value: PartialDate) -> date:
    """The first day a partial date covers (1956-10 → 1 October 1956)."""
    return date(value.year, value.month or 1, value.day or 1)


def _last_day(value: PartialDate) -> date:
    month = value.month or 12
    return date(value.year, month, value.day or calendar.monthrange(value.year, month)[1])


@lru_cache(maxsize=8)
def babel_locale(language: str) -> str:
    """The Babel locale dates are printed in for a BCP 47 language: a bare `en` is en-GB, an unknown one en-GB."""
    from babel import Locale, UnknownLocaleError

    tag = language.replace("-", "_")
    if tag == "en":
        tag = "en_GB"
    try:
        return str(Locale.parse(tag))
    except (UnknownLocaleError, ValueError):
        return "en_GB"


def _format_one(value: PartialDate, language: str) -> str:
    from babel.dates import format_skeleton

    return str(format_skeleton(value.skeleton, first_day(value), locale=babel_locale(language)))


def format_date(value: DateValue, language: str = "en") -> str:
    """Long form of a date or range in the given BCP 47 language."""
    first = _format_one(value.start, language)
    if value.end is None or value.end == value.start:
        return first
    last = _format_one(value.end, language)
    if babel_locale(language).startswith("en") and babel_locale(language) != "en_US" and value.start.skeleton == value.end.skeleton:
        # Share the common tail in English: "13–19 October 1956", "28 August – 5 September 1945".
        a, b = first.split(" "), last.split(" ")
        common = 0
        while common < min(len(a), len(b)) - 1 and a[-1 - common] == b[-1 - common]:
            common += 1
        if common:
            head_a, head_b, tail = a[:-common], b[:-common], " ".join(a[-common:])
            sep = "–" if len(head_a) == 1 and len(head_b) == 1 else " – "
            return f"{' '.join(head_a)}{sep}{' '.join(head_b)} {tail}"
    if " " not in first and " " not in last:
        return f"{first}–{last}"
    return f"{first} – {last}"
