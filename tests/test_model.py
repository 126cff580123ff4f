"""The content model: dates, ordering, sections, ids, x- keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier.build import prepare
from dossier.dates import format_date, parse_date
from dossier.errors import DossierError


@pytest.mark.parametrize(
    "text, long",
    [
        ("1956-10-19", "19 October 1956"),
        ("1956-10", "October 1956"),
        ("1956", "1956"),
        ("1957-07/1958-12", "July 1957 – December 1958"),
        ("1956-10-13/1956-10-19", "13–19 October 1956"),
        ("1945-08-28/1945-09-05", "28 August – 5 September 1945"),
        ("1955/1956", "1955–1956"),
        ("1956/1956-10-19", "1956 – 19 October 1956"),
    ],
)
def test_dates_print_in_long_form(text: str, long: str) -> None:
    assert format_date(parse_date(text), "en") == long


def test_dates_follow_the_language() -> None:
    assert format_date(parse_date("1956-10-19"), "ru") == "19 октября 1956\u202fг."
    assert format_date(parse_date("1956-10-19"), "en-US") == "October 19, 1956"


@pytest.mark.parametrize(
    "text, message",
    [
        ("1956-02-30", "1956-02-30 is not on the calendar, expected a day 01–29"),
        ("1956-13", "month 13 is not on the calendar in '1956-13', expected 01–12"),
        ("19561019", "expected YYYY, YYYY-MM, YYYY-MM-DD or a range A/B of these, got '19561019'"),
        ("1957/1956", "range ends before it starts, expected A ≤ B in '1957/1956'"),
    ],
)
def test_bad_dates(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        parse_date(text)


def test_chronology_is_sorted_by_date_coarser_first_then_file_order(dossier_copy: Path) -> None:
    p = prepare(dossier_copy)
    assert [e.title.value for e in p.dossier.chronology] == [
        "Spitsbergen conference",
        "A year-only event",
        "Treaty signed in Paris",
        "Treaty enters into force",
    ]


def test_x_keys_reach_the_model(dossier_copy: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text() + "x-review: { owner: desk }\n")
    assert prepare(dossier_copy).dossier.extra == {"x-review": {"owner": "desk"}}


def test_sections_order_and_warning_for_unlisted(dossier_copy: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    # A link into a section left out has no target (an error of its own): unlink the article first.
    path.write_text(path.read_text().replace("[the first article](#art1)", "the first article") + "sections: [chronology, summary, bibliography]\n")
    p = prepare(dossier_copy)
    assert p.dossier.sections == ["chronology", "summary", "bibliography"]
    warnings = [str(w) for w in p.report.warnings]
    assert any("'excerpts' has content but is not listed" in w for w in warnings)


def test_version_stays_text(dossier_copy: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text().replace('version: "0.3"', "version: 1.10"))
    assert prepare(dossier_copy).dossier.version.value == "1.10"  # type: ignore[union-attr]


def test_uncited_entry_is_a_warning_at_the_entry(dossier_copy: Path) -> None:
    warnings = [str(w) for w in prepare(dossier_copy).report.warnings]
    assert warnings == [
        f"{dossier_copy}/bibliography.yaml:17:3: warning: entry 'uncited2000' is cited nowhere; it is still listed in the bibliography"
    ]


def test_all_errors_of_a_run_are_reported_together(dossier_copy: Path) -> None:
    (dossier_copy / "chronology.yaml").write_text("- date: 1956-02-30\n  title: a\n- title: b\n")
    (dossier_copy / "dossier.yaml").write_text("title: T\npaper: A3\n")
    with pytest.raises(DossierError) as info:
        prepare(dossier_copy)
    lines = [str(p) for p in info.value.problems]
    assert len(lines) == 3, lines
