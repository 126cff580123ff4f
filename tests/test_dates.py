"""Dates are printed by one function, `dates.format_date`: long in the text, short on the timeline,
ranges in the language's CLDR interval format (the example's English dates print as they always did)."""

from __future__ import annotations

import pytest

from dossier.dates import format_date, parse_date
from dossier.timeline import TimelineEvent, layout


@pytest.mark.parametrize(
    "text, language, long, short",
    [
        ("1956-10-13/1956-10-19", "en", "13–19 October 1956", "13–19 Oct 1956"),
        ("1945-08-28/1945-09-05", "en", "28 August – 5 September 1945", "28 Aug – 5 Sept 1945"),
        ("1956-07/1956-08", "en", "July–August 1956", "Jul–Aug 1956"),
        ("1955-09-08/1956-09-14", "en", "8 September 1955 – 14 September 1956", "8 Sept 1955 – 14 Sept 1956"),
        ("1956/1956-10-19", "en", "1956 – 19 October 1956", "1956 – 19 Oct 1956"),
        ("1955/1956", "en", "1955–1956", "1955–1956"),
        ("1956-10-13/1956-10-19", "en-US", "October 13 – 19, 1956", "Oct 13 – 19, 1956"),
        ("1956-10-13/1956-10-19", "ru", "13—19 октября 1956\u202fг.", "13—19 окт. 1956\u202fг."),
        ("1956-10-13/1956-10-19", "ja", "1956年10月13日～19日", "1956年10月13日～19日"),
        ("1956-07/1956-08", "de", "Juli–August 1956", "Juli–Aug. 1956"),
    ],
)
def test_a_range_prints_once_long_and_once_short(text: str, language: str, long: str, short: str) -> None:
    value = parse_date(text)
    assert format_date(value, language) == long
    assert format_date(value, language, short=True) == short


def test_the_timeline_labels_with_the_short_form() -> None:
    value = parse_date("1945-08-28/1945-09-05")
    lay = layout([TimelineEvent(value, "Soviet landings in the southern Kurils")], language="ru")
    assert lay.labels[0].date_text == format_date(value, "ru", short=True) == "28 авг. — 5 сент. 1945\u202fг."
