"""Citeproc sees the fields in the order the templates print them (render.print_order).

A notes style gives an entry's first citation the full note and later ones the short form,
and numbers citations in the order it is sent them: that order must be the page's, whatever
`sections` says and whichever templates a dossier overrides. HTML only, no PDF is laid out.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dossier import render, theme
from dossier.build import prepare, render_prepared
from dossier.errors import DossierError, Report
from dossier.fields import in_print_order, model_fields
from dossier.profiles import Profile

ROOT = Path(__file__).resolve().parents[1]
NOTES = "chicago-notes-bibliography"


def _notes_style(root: Path, extra: str = "") -> None:
    """The fixture in a notes style, a key fact citing the book the chronology also cites."""
    path = root / "dossier.yaml"
    source = path.read_text().replace("chicago-author-date", NOTES)
    source = source.replace("    value: 14 August 1925\n", "    value: 14 August 1925 [@ulfstein1995, p. 5]\n")
    path.write_text(source + extra)


def _ulfstein_citations(html: str) -> list[str]:
    """The text of each citation of ulfstein1995 alone, in the order the HTML prints them."""
    out = []
    for m in re.finditer(r'<span class="citation" id="cite-\d+" data-cites="ulfstein1995">', html):
        depth, at = 1, m.end()
        for tag in re.finditer(r"<(/?)span\b", html[at:]):  # to the citation's own </span>
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                out.append(re.sub(r"<[^>]+>", "", html[at : at + tag.start()]))
                break
    return out


def _cite_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="citation" id="cite-(\d+)"', html)]


def test_reordered_sections_give_the_first_printed_citation_the_full_note(dossier_copy: Path) -> None:
    """sections: [chronology, summary, …]: the chronology, printed first, has the full note
    ("Geir Ulfstein, The Svalbard Treaty (Scandinavian …"), the key facts after it the short one;
    key facts used to be sent to citeproc before any section, so they took the full note."""
    _notes_style(dossier_copy, "sections: [chronology, summary, excerpts, interpretations, bibliography]\n")
    html, _css = render_prepared(prepare(dossier_copy))
    assert html.index('id="chronology"') < html.index('id="summary"')
    notes = _ulfstein_citations(html)
    assert len(notes) >= 3
    assert notes[0] == "Geir Ulfstein, The Svalbard Treaty (Scandinavian University Press, 1995).", notes
    assert all("Ulfstein, The Svalbard Treaty" in n and "Geir" not in n for n in notes[1:]), notes
    assert notes[1] == "Ulfstein, The Svalbard Treaty, 5."  # the key fact, printed next
    assert _cite_numbers(html) == sorted(_cite_numbers(html))


def test_a_dossier_template_that_swaps_two_partials_moves_the_full_note(dossier_copy: Path) -> None:
    """The dossier's own templates/ swap the summary and chronology partials: the chronology now
    prints where the summary did, first, and citeproc follows the page, not the theme's order."""
    _notes_style(dossier_copy)
    default = render_prepared(prepare(dossier_copy))[0]
    assert default.index('id="summary"') < default.index('id="chronology"')
    assert _ulfstein_citations(default[default.index('id="chronology"') :])[0].startswith("Ulfstein, The Svalbard Treaty")
    (dossier_copy / "templates").mkdir()
    shipped = theme.default_theme()
    shutil.copy(shipped / "section-chronology.html", dossier_copy / "templates" / "section-summary.html")
    shutil.copy(shipped / "section-summary.html", dossier_copy / "templates" / "section-chronology.html")
    html = render_prepared(prepare(dossier_copy))[0]
    assert html.index('id="chronology"') < html.index('id="summary"')
    before_summary = _ulfstein_citations(html[: html.index('id="summary"')])
    assert before_summary[0] == _ulfstein_citations(html)[0] == "Geir Ulfstein, The Svalbard Treaty (Scandinavian University Press, 1995)."
    assert _cite_numbers(html) == sorted(_cite_numbers(html))


def test_the_print_order_is_the_profiles_own(dossier_copy: Path) -> None:
    """A base.html of the dossier's own that prints the chronology first only in the print
    profile: the print build gives the chronology the full note, the standard build the summary."""
    _notes_style(dossier_copy)
    (dossier_copy / "templates").mkdir()
    base = (theme.default_theme() / "base.html").read_text()
    loop = "{% for s in sections %}"
    assert loop in base
    chronology_first = '["chronology"] + sections|reject("eq", "chronology")|list'
    swapped = base.replace(loop, "{% for s in (" + chronology_first + ' if profile == "print" else sections) %}')
    (dossier_copy / "templates" / "base.html").write_text(swapped)
    full = "Geir Ulfstein, The Svalbard Treaty (Scandinavian University Press, 1995)."
    standard = render_prepared(prepare(dossier_copy))[0]
    assert _ulfstein_citations(standard[standard.index('id="chronology"') :])[0] != full
    printed = render_prepared(prepare(dossier_copy, Profile("print")), Profile("print"))[0]
    assert printed.index('id="chronology"') < printed.index('id="summary"')
    assert _ulfstein_citations(printed[printed.index('id="chronology"') :])[0] == full


def test_the_examples_order_is_the_model_order_but_the_matrix_row_by_row() -> None:
    """The example prints its sections in the model's order, so every field goes to citeproc as
    before but the positions matrix, which prints row by row (question, then party): its
    citations are numbered as printed now, where they went party by party before."""
    p = prepare(ROOT / "content")
    d = p.dossier
    report = Report()
    printed = render.print_order(d, p.theme_dirs, report, Profile())
    assert not report.problems
    model = [f.owner for f in model_fields(d)]
    ordered = [f.owner for f in in_print_order(model_fields(d), printed)]
    assert sorted(printed) == sorted(model)  # the theme prints every field it formats
    stance = re.compile(r"interpretations\.yaml#/\d+/stances/")
    assert [k for k in ordered if not stance.match(k)] == [k for k in model if not stance.match(k)]
    parties = [i for i in d.interpretations if i.stances]
    rows = [i.stances[q.id].key for q in d.questions for i in parties if q.id in i.stances]
    assert [k for k in ordered if stance.match(k)] == rows != [k for k in model if stance.match(k)]
    html = render_prepared(p)[0]
    assert _cite_numbers(html) == sorted(_cite_numbers(html)) and len(_cite_numbers(html)) > 50


def test_fields_never_printed_are_still_checked_after_the_printed_ones(dossier_copy: Path) -> None:
    """A theme that prints no summary: the summary is still formatted and checked (a link to a
    missing id is an error), and goes to citeproc after every printed field."""
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "section-summary.html").write_text('<section id="summary"></section>\n')
    p = prepare(dossier_copy)
    printed = render.print_order(p.dossier, p.theme_dirs, Report(), Profile())
    assert p.dossier.summary is not None and p.dossier.summary.key not in printed
    ordered = [f.owner for f in in_print_order(model_fields(p.dossier), printed)]
    assert ordered[: len(printed)] == printed and p.dossier.summary.key in ordered[len(printed) :]
    summary = dossier_copy / "dossier.yaml"
    summary.write_text(summary.read_text().replace("(#art1)", "(#nowhere)"))
    with pytest.raises(DossierError) as info:
        prepare(dossier_copy)
    assert [str(e) for e in info.value.problems if e.severity == "error"] == [
        f"{dossier_copy}/dossier.yaml:14:74: link to '#nowhere', but no id 'nowhere' exists, expected the id of an event, excerpt,"
        " interpretation or section"
    ]


def test_a_template_error_is_reported_once_at_its_line(dossier_copy: Path) -> None:
    """The templates run before formatting to learn the order; an error in them is still one
    error, at its template line, with the content's errors of the same run."""
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "contents.html").write_text("<nav>\n{{ d.no_such_name }}\n</nav>\n")
    summary = dossier_copy / "dossier.yaml"
    summary.write_text(summary.read_text().replace("(#art1)", "(#nowhere)"))
    with pytest.raises(DossierError) as info:
        prepare(dossier_copy)
    errors = [str(e) for e in info.value.problems if e.severity == "error"]
    assert len(errors) == 2, errors
    assert sum(e.startswith(f"{dossier_copy}/templates/contents.html:2:1: undefined name: ") for e in errors) == 1
    assert sum("link to '#nowhere'" in e for e in errors) == 1
