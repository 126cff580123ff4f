"""Themes: a dossier's templates/ shadows the theme file by file; paper sizes; template errors located."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from dossier.build import build, check
from dossier.errors import DossierError


def test_dossier_template_overrides_one_theme_file(dossier_copy: Path, tmp_path: Path) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "cover.html").write_text(
        '<section class="cover"><div class="doctitle-running">{{ d.title }}</div>'
        "<h1>Custom cover for {{ d.title }}</h1><p>{{ d.extra['x-desk'] }}</p></section>\n"
    )
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text() + 'x-desk: "Arctic desk"\n')
    out = tmp_path / "o.pdf"
    build(dossier_copy, out)
    reader = PdfReader(out)
    first = reader.pages[0].extract_text()
    assert "Custom cover for The Svalbard Treaty of 1920" in first and "Arctic desk" in first
    assert "Chronology" in reader.pages[1].extract_text()  # the rest comes from the theme


def test_letter_paper(dossier_copy: Path, tmp_path: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text().replace("paper: A4", "paper: Letter"))
    out = tmp_path / "o.pdf"
    build(dossier_copy, out)
    box = PdfReader(out).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_undefined_name_in_template_is_located(dossier_copy: Path) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "contents.html").write_text("<nav>\n<p>{{ d.nonexistent }}</p>\n</nav>\n")
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert [str(p) for p in info.value.problems] == [
        f"{dossier_copy}/templates/contents.html:2:1: undefined name: 'Dossier' has no attribute 'nonexistent'"
    ]


def test_template_syntax_error_is_located(dossier_copy: Path) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "contents.html").write_text("<nav>\n{% if %}\n</nav>\n")
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    message = str(info.value.problems[0])
    assert message.startswith(f"{dossier_copy}/templates/contents.html:2:1: template syntax error:")


def test_sandbox_refuses_unsafe_attribute(dossier_copy: Path) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "contents.html").write_text("{{ d.__class__.__init__.__globals__ }}\n")
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert "contents.html:1:1:" in str(info.value.problems[0])


def test_bad_css_in_an_override_fails_the_build_at_its_line(dossier_copy: Path, tmp_path: Path) -> None:
    (dossier_copy / "templates").mkdir()
    theme_css = (Path("templates") / "style.css").read_text()
    (dossier_copy / "templates" / "style.css").write_text(theme_css + "\n.x { colr: red; }\n")
    line = theme_css.count("\n") + 2
    with pytest.raises(DossierError) as info:
        build(dossier_copy, tmp_path / "o.pdf")
    assert str(info.value.problems[0]).startswith(f"{dossier_copy}/templates/style.css:{line}:")
    assert not (tmp_path / "o.pdf").exists()


def test_theme_font_that_is_not_installed(dossier_copy: Path) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "theme.yaml").write_text("fonts:\n  - No Such Font Family\n")
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert "font family 'No Such Font Family' is not installed" in str(info.value.problems[0])


def test_typesetting_fetches_nothing_from_the_network(dossier_copy: Path, tmp_path: Path) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "cover.html").write_text(
        '<section class="cover"><div class="doctitle-running">{{ d.title }}</div><img src="http://127.0.0.1:9/x.png"></section>\n'
    )
    out = tmp_path / "o.pdf"
    with pytest.raises(DossierError) as info:
        build(dossier_copy, out)
    assert "refused to fetch 'http://127.0.0.1:9/x.png'" in str(info.value.problems[0])
    assert not out.exists()


def test_backrefs_list_each_citing_page_once(dossier_copy: Path, tmp_path: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text() + "backrefs: true\n")
    out = tmp_path / "o.pdf"
    build(dossier_copy, out)
    reader = PdfReader(out)
    texts = [page.extract_text() for page in reader.pages]
    ulfstein = [n for n, t in enumerate(texts, start=1) if "Ulfstein 1995" in t or "Ulfstein (1995" in t]
    bib = texts[-1]
    assert f"Cited on pp. {', '.join(str(n) for n in ulfstein)}" in bib
    assert "An Entry Nobody Cites" in bib and bib.count("Cited on") == 2  # the uncited entry has none


def test_a_footnote_taller_than_its_page_breaks_across_pages(dossier_copy: Path, tmp_path: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    note = " ".join(f"Sentence {i} of a very long note that goes on and on to test how notes break across pages." for i in range(90))
    path.write_text(path.read_text().replace("  Russian name:", f"  A long note follows.^[{note}] Then a short one.^[Short.]\n\n  Russian name:"))
    out = tmp_path / "o.pdf"
    build(dossier_copy, out)
    texts = [p.extract_text() for p in PdfReader(out).pages]
    squeezed = [re.sub(r"[\s\u2010\u00ad-]", "", t) for t in texts]  # undo line breaks and hyphenation
    pages = [[int(n) for n in re.findall(r"Sentence(\d+)ofaverylongnote", t)] for t in squeezed]
    used = [p for p in pages if p]
    assert len(used) == 2, pages  # the note starts on its call's page and goes on overleaf
    assert used[0] + used[1] == list(range(90))  # in order, nothing lost
    assert "3.Short." in "".join(squeezed)  # continuations take no number of their own


def test_a_footnote_that_cannot_be_split_is_a_located_error(dossier_copy: Path, tmp_path: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    note = " ".join(f"clause {i} of one endless sentence that never stops and keeps adding words" for i in range(120))
    path.write_text(path.read_text().replace("  Russian name:", f"  A long note follows.^[{note}]\n\n  Russian name:"))
    out = tmp_path / "o.pdf"
    with pytest.raises(DossierError) as info:
        build(dossier_copy, out)
    message = str(info.value.problems[0])
    assert message.startswith(f"{dossier_copy}/dossier.yaml:17:23: footnote too long for page ")
    assert "even split between its sentences it does not fit" in message
    assert not out.exists()


def test_a_note_too_long_even_split_is_one_error_at_the_note(dossier_copy: Path, tmp_path: Path) -> None:
    """Its parts and the short notes it pushes off the page are not reported on their own."""
    path = dossier_copy / "dossier.yaml"
    note = " ".join(f"Sentence {i} of a very long note that goes on and on to test how notes break across pages." for i in range(180))
    path.write_text(path.read_text().replace("  Russian name:", f"  A long note follows.^[{note}] Then a short one.^[Short.]\n\n  Russian name:"))
    with pytest.raises(DossierError) as info:
        build(dossier_copy, tmp_path / "o.pdf")
    assert [str(p).split(" for page ")[0] for p in info.value.problems] == [f"{dossier_copy}/dossier.yaml:17:23: footnote too long"]


def test_a_note_longer_than_two_pages_fails_before_layout(dossier_copy: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    note = "A sentence of the note. " * 900
    path.write_text(path.read_text().replace("  Russian name:", f"  Long.^[{note}]\n\n  Russian name:"))
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert [str(p) for p in info.value.problems] == [
        f"{dossier_copy}/dossier.yaml:17:8: footnote of 21600 characters is too long for the foot of the page,"
        " expected at most 20000 (about two pages of notes); put the text in the body"
    ]


def test_the_package_ships_the_default_theme() -> None:
    """A wheel (pip install without -e) carries templates/ as dossier/theme through a symlink."""
    import tomllib

    import dossier

    root = Path(__file__).resolve().parents[1]
    shipped = Path(dossier.__file__).parent / "theme"
    assert shipped.resolve() == (root / "templates").resolve()
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert "theme/*" in data["tool"]["setuptools"]["package-data"]["dossier"]
    assert {p.name for p in (root / "templates").iterdir()} <= {p.name for p in shipped.iterdir()}
