"""The theme's own words in the dossier's language (templates/words.yaml), and the running head."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from dossier.build import build, check
from dossier.errors import DossierError, Location
from dossier.model import Dossier, Text
from dossier.render import RUNNING_TITLE_WIDTH, running_title
from dossier.theme import default_theme
from dossier.words import css_content, fill, theme_words


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _set(root: Path, old: str, new: str) -> None:
    path = root / "dossier.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_german_dossier_reads_german_throughout(dossier_copy: Path, tmp_path: Path) -> None:
    _set(dossier_copy, "language: en", "language: de-AT")
    build(dossier_copy, tmp_path / "de.pdf")
    text = _text(tmp_path / "de.pdf")
    squashed = text.replace(" ", "")  # letter-spaced capitals come out of pdftotext as "E C K D A T E N"
    assert "ECKDATEN" in squashed and "HINTERGRUNDPAPIER" in squashed
    for word in (
        "Inhalt",
        "Zusammenfassung",
        "Chronologie",
        "Quellentexte",
        "Deutungen",
        "Literatur",
        "DATUM",
        "EREIGNIS",
        "Quelle",
        "ORIGINAL, FRANZÖSISCH",
        "Siehe auch:",
        "Abbildung 1.",
        "Seite 2 von",
        "Ausgabe",
        "Autor",
    ):
        assert word in text, word
    assert re.search(r"first article \(S\.\s\d+\)", text)  # a cross-reference's page
    for english in ("Contents", "Key facts", "Primary texts", "Page 2 of", "See also", "Figure 1"):
        assert english not in text, english


def test_a_language_without_words_falls_back_to_english() -> None:
    words = theme_words([default_theme()], "sv")
    assert words["contents"] == "Contents"
    assert theme_words([default_theme()], "ru-RU")["contents"] == "Содержание"


def test_every_theme_language_gives_every_word() -> None:
    import yaml

    data = yaml.safe_load((default_theme() / "words.yaml").read_text(encoding="utf-8"))
    assert set(data) >= {"en", "de", "fr", "es", "ru", "ja"}
    for lang, words in data.items():
        assert set(words) == set(data["en"]), lang


def test_a_dossier_changes_one_word_and_keeps_the_rest(dossier_copy: Path, tmp_path: Path) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "words.yaml").write_text("en:\n  summary: Overview\n  excerpts: The texts\n")
    build(dossier_copy, tmp_path / "o.pdf")
    text = _text(tmp_path / "o.pdf")
    assert "Overview" in text and "The texts" in text
    assert "Chronology" in text and "Primary texts" not in text


@pytest.mark.parametrize(
    ("words", "line", "message"),
    [
        ("en:\n  sumary: Overview\n", "2:3", "words.yaml: unknown word 'sumary', expected one of: "),
        ("de:\n  page_of: Seite {page}\n", "2:12", "words.yaml: de: 'page_of' expected {page}, {pages}, as in English"),
        ("de:\n  contents: [Inhalt]\n", "2:13", "words.yaml: de: 'contents' expected a non-empty text"),
        ("deutsch_1:\n  contents: Inhalt\n", "1:1", "words.yaml: 'deutsch_1' is not a BCP 47 tag, expected e.g. en, de, ru, ja"),
    ],
)
def test_mistakes_in_a_dossier_words_file_are_located(dossier_copy: Path, words: str, line: str, message: str) -> None:
    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "words.yaml").write_text(words)
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert len(info.value.problems) == 1
    assert str(info.value.problems[0]).startswith(f"{dossier_copy}/templates/words.yaml:{line}: {message}")


def test_fill_escapes_the_word_and_keeps_markup_values() -> None:
    from markupsafe import Markup

    assert fill("No. {number} <b>", number="7 & 8") == "No. 7 &amp; 8 &lt;b&gt;"
    assert fill("Cited on pp. {pages}", pages=Markup('<a href="#x">3</a>')) == 'Cited on pp. <a href="#x">3</a>'


def test_css_content_quotes_and_escapes_the_word() -> None:
    assert css_content("Page {page} of {pages}", page="counter(page)", pages="counter(pages)") == ('"Page " counter(page) " of " counter(pages)')
    assert css_content('Say "hi" \\ </style>') == '"Say \\22 hi\\22  \\5c  \\3c /style\\3e "'
    assert css_content("{page}", page="counter(page)") == "counter(page)"


def _dossier(title: str, short: str | None = None) -> Dossier:
    loc = Location("dossier.yaml", 1, 1)
    return Dossier(root=Path("."), title=Text(title, loc), short_title=Text(short, loc) if short else None)


def test_running_title_cuts_a_long_title_at_a_word() -> None:
    long = (
        "Der Vertrag von Shimoda (1855) und die Grenzziehung zwischen Urup und Iturup – Entstehung, Wortlaut, "
        "Auslegung und Nachwirkungen einer russisch-japanischen Vereinbarung"
    )
    head = running_title(_dossier(long))
    assert head.endswith("…") and len(head) <= RUNNING_TITLE_WIDTH
    assert long.startswith(head[:-1]) and long[len(head) - 1] == " "
    assert running_title(_dossier("Soviet–Japanese Joint Declaration of 1956")) == "Soviet–Japanese Joint Declaration of 1956"
    assert running_title(_dossier(long, "Der Vertrag von Shimoda")) == "Der Vertrag von Shimoda"
    cjk = running_title(_dossier("日ソ共同宣言" * 10))
    assert cjk.endswith("…") and 2 * (len(cjk) - 1) <= RUNNING_TITLE_WIDTH


def test_short_title_is_the_running_head(dossier_copy: Path, tmp_path: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text() + "short_title: Svalbard 1920\n")
    build(dossier_copy, tmp_path / "o.pdf")
    pages = _text(tmp_path / "o.pdf").split("\f")
    assert pages[1].lstrip().startswith("Svalbard 1920")
    assert "The Svalbard Treaty of 1920" in pages[0]  # the cover keeps the full title
