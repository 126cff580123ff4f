"""The content model: dates, ordering, sections, ids, x- keys."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from dossier import dossierfile, model
from dossier.build import prepare, render_prepared
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


def _interpretation_links(html: str) -> tuple[list[str], set[str]]:
    """The `#…` targets of every link to an interpretation, and every id in the page."""
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    articles = set(re.findall(r'<article class="interpretation" id="([^"]+)"', html))
    hrefs = [h for h in re.findall(r'href="#([^"]+)"', html) if h in articles or h.startswith("interp-")]
    return hrefs, ids


def test_matrix_links_each_party_to_its_own_text(dossier_copy: Path) -> None:
    # Two id-less interpretations, only the second with stances: the matrix's one column must
    # link to the second text (interp-2), not to the first one's (the filtered list's index).
    (dossier_copy / "dossier.yaml").write_text((dossier_copy / "dossier.yaml").read_text() + "questions:\n  - id: q1\n    text: Is it?\n")
    (dossier_copy / "interpretations.yaml").write_text(
        "- party: First\n  position: A\n  text: First text.\n  sources: [ulfstein1995]\n"
        "- party: Second\n  position: B\n  text: Second text.\n  sources: [ulfstein1995]\n  stances:\n    q1: Yes\n"
    )
    p = prepare(dossier_copy)
    assert [i.anchor for i in p.dossier.interpretations] == ["interp-1", "interp-2"]
    html, _css = render_prepared(p)
    start = html.index('<table class="matrix')
    matrix = html[start : html.index("</table>", start)]
    assert re.findall(r'href="#([^"]+)">([^<]*)</a>', matrix) == [("interp-2", "Second")]
    second = html[html.index('id="interp-2"') :]
    assert "Second text." in second[: second.index("</article>")]


def test_every_link_to_an_interpretation_has_its_target(dossier_copy: Path) -> None:
    (dossier_copy / "dossier.yaml").write_text((dossier_copy / "dossier.yaml").read_text() + "questions:\n  - id: q1\n    text: Is it?\n")
    (dossier_copy / "interpretations.yaml").write_text(
        "- party: First\n  position: A\n  text: First text.\n  sources: [ulfstein1995]\n"
        "- id: named\n  party: Named\n  position: B\n  text: Named text.\n  sources: [ulfstein1995]\n  stances:\n    q1: No\n"
        "- party: Third\n  position: C\n  text: Third text.\n  sources: [ulfstein1995]\n  stances:\n    q1: Yes\n"
    )
    p = prepare(dossier_copy)
    assert [i.anchor for i in p.dossier.interpretations] == ["interp-1", "named", "interp-3"]
    html, _css = render_prepared(p)
    hrefs, ids = _interpretation_links(html)
    # the contents link each of the three, the matrix the two with stances
    assert sorted(hrefs) == sorted(["interp-1", "named", "interp-3", "named", "interp-3"])
    assert [h for h in hrefs if h not in ids] == []


def test_every_field_of_the_tables_lands_on_the_model() -> None:
    # read_dossier sets each field by its table's name: a misspelt attribute would be set
    # on the Dossier object silently and never reach the templates.
    attrs = {f.name for f in dataclasses.fields(model.Dossier)}
    assert [f.attr or f.name for f in dossierfile.DOSSIER if (f.attr or f.name) not in attrs] == []
    assert [f.name for f in dossierfile.DOSSIER if f.required] == ["title"]


def test_unknown_key_lists_the_table(dossier_copy: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text() + "subtitel: x\n")
    with pytest.raises(DossierError) as info:
        prepare(dossier_copy)
    keys = (
        "title, subtitle, short_title, edition, version, language, authors, organisation, marking, summary, key_facts, "
        "citation_style, paper, sections, series, number, disclaimer, questions, names, bibliography, backrefs, keywords"
    )
    assert keys == ", ".join(f.name for f in dossierfile.DOSSIER)  # the message's keys are the table's
    assert [p.message for p in info.value.problems] == [f"unknown key 'subtitel' in dossier.yaml (a typo of 'subtitle'?), expected one of: {keys}"]


def test_a_bad_language_tag_is_reported_even_without_the_text(dossier_copy: Path) -> None:
    path = dossier_copy / "excerpts.yaml"
    path.write_text(path.read_text().replace("    - lang: fr\n      text: |\n", "    - lang: french!\n      other: |\n", 1))
    with pytest.raises(DossierError) as info:
        prepare(dossier_copy)
    assert [p.message for p in info.value.problems] == [
        "unknown key 'other' in original, expected one of: lang, text",
        "original: 'text' is required, expected a value",
        "lang: 'french!' is not a BCP 47 tag, expected e.g. ja, ru",
    ]
