"""Dates of the content format: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` and ranges `A/B`.

Parsing is strict (a date not on the calendar is an error); printing uses the
dossier language's long form through Babel's CLDR data ("19 October 1956",
"July 1957 – December 1958"), ranges in the language's CLDR interval format
("13–19 October 1956"), and the timeline the same with months abbreviated
(`format_date(..., short=True)`: "13–19 Oct 1956"). A bare `en` prints
day-month-year (en-GB), as briefings in English outside the United States do;
`en-US` prints US style.
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


_SHORT = {"yMMMMd": "yMMMd", "yMMMM": "yMMM", "y": "y"}  # the timeline's: months abbreviated


@lru_cache(maxsize=4096)
def format_date(value: DateValue, language: str = "en", short: bool = False) -> str:
    """A date or range in the given BCP 47 language: long in the text ("19 October 1956",
    "13–19 October 1956", "28 August – 5 September 1945"), `short` (months abbreviated) on the
    timeline ("13–19 Oct 1956"). A range follows the language's CLDR interval format."""
    locale = babel_locale(language)
    start, end = value.start, value.end
    if end is None or end == start:
        return _format_one(start, locale, short)
    if start.skeleton != end.skeleton:  # CLDR has no interval of a year and a day: both in full
        first, last = _format_one(start, locale, short), _format_one(end, locale, short)
        return f"{first}–{last}" if " " not in first and " " not in last else f"{first} – {last}"
    text = _interval(first_day(start), first_day(end), _SHORT[start.skeleton] if short else start.skeleton, locale)
    # CLDR sets the dash between thin spaces; a dash between two numbers or two words is closed up
    # ("13–19 Oct 1956", "July–August 1956"), others keep a space ("8 Sept 1955 – 14 Sept 1956").
    text = re.sub(r"^(\S+)[ \u2009]([–—])[ \u2009]", r"\1\2", text)
    return text.replace("\u2009", " ")


def _format_one(value: PartialDate, locale: str, short: bool) -> str:
    from babel.dates import format_skeleton

    return str(format_skeleton(_SHORT[value.skeleton] if short else value.skeleton, first_day(value), locale=locale))


def _interval(start: date, end: date, skeleton: str, locale: str) -> str:
    """Babel's `format_interval`, but with the month as wide as `skeleton` asks: CLDR lets a
    locale give the interval of `yMMMd` only and says to widen its fields for `yMMMMd`, which
    Babel does not do ("13–19 Oct 1956" would stand for "13–19 October 1956")."""
    from babel import Locale
    from babel.dates import format_interval, match_skeleton, parse_pattern, tokenize_pattern, untokenize_pattern

    formats = Locale.parse(locale).interval_formats
    matched = skeleton if skeleton in formats else match_skeleton(skeleton, formats)
    differs = [f for f, d in (("y", start.year != end.year), ("M", start.month != end.month), ("d", start.day != end.day)) if d]
    field = next((f for f in differs if matched and f in formats[matched]), None)
    if matched is None or field is None:
        return str(format_interval(start, end, skeleton, locale=locale))
    month = skeleton.count("M")

    def widened(pattern: str) -> str:
        tokens: list[tuple[str, str | tuple[str, int]]] = []
        for kind, value in tokenize_pattern(pattern):
            if kind == "field" and isinstance(value, tuple) and value[0] in "ML" and value[1] == 3 < month:
                value = (value[0], month)
            tokens.append((kind, value))
        return untokenize_pattern(tokens)

    return "".join(str(parse_pattern(widened(p)).apply(d, locale)) for p, d in zip(formats[matched][field], (start, end), strict=True))
