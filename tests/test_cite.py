"""Bibliography inputs and the citation gate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dossier.build import prepare
from dossier.errors import DossierError


def _bib_text(root: Path) -> str:
    p = prepare(root)
    return re.sub(r"<[^>]+>", "", " ".join(str(html) for _, html in p.formatted.bibliography))


def _csl_json_entries(place: bool) -> list[dict[str, object]]:
    """The small fixture's two entries as CSL-JSON (with or without the book's place)."""
    book: dict[str, object] = {
        "id": "ulfstein1995",
        "type": "book",
        "author": [{"family": "Ulfstein", "given": "Geir"}],
        "title": "The Svalbard Treaty",
        "publisher": "Scandinavian University Press",
        **({"publisher-place": "Oslo"} if place else {}),
        "issued": {"date-parts": [[1995]]},
    }
    treaty = {
        "id": "treaty1920",
        "type": "treaty",
        "title": "Treaty concerning the Archipelago of Spitsbergen",
        "issued": {"date-parts": [[1920, 2, 9]]},
    }
    return [treaty, book]


def test_csl_json_instead_of_yaml(dossier_copy: Path) -> None:
    (dossier_copy / "bibliography.yaml").unlink()
    entries = _csl_json_entries(place=True)
    (dossier_copy / "bibliography.json").write_text(json.dumps(entries))
    assert "Ulfstein, Geir. 1995. The Svalbard Treaty. Scandinavian University Press." in _bib_text(dossier_copy)


def test_tab_indented_csl_json_is_read(dossier_copy: Path) -> None:
    """Valid JSON is read whatever its white space (tabs: `jq --tab`, some Zotero exports); issue 8, hole 11."""
    (dossier_copy / "bibliography.yaml").unlink()
    entries = _csl_json_entries(place=False)
    (dossier_copy / "bibliography.json").write_text(json.dumps(entries, indent="\t").replace(", ", ",\t\r\n\t"))
    assert "Ulfstein, Geir. 1995. The Svalbard Treaty. Scandinavian University Press." in _bib_text(dossier_copy)


def test_csl_json_nested_without_end_is_a_located_error(dossier_copy: Path) -> None:
    (dossier_copy / "bibliography.yaml").unlink()
    (dossier_copy / "bibliography.json").write_text("[\n" + "[" * 50_000 + "]" * 50_000 + "\n]")
    with pytest.raises(DossierError) as exc:
        prepare(dossier_copy)
    assert [str(p.location).rsplit("/", 1)[-1] for p in exc.value.problems if "nesting" in p.message] == ["bibliography.json:2:32"]


def test_bibtex_instead_of_yaml(dossier_copy: Path) -> None:
    (dossier_copy / "bibliography.yaml").unlink()
    (dossier_copy / "bibliography.bib").write_text(
        "@book{ulfstein1995,\n  author = {Ulfstein, Geir},\n  title = {The Svalbard Treaty},\n"
        "  publisher = {Scandinavian University Press},\n  address = {Oslo},\n  year = {1995}\n}\n"
        "@misc{treaty1920,\n  title = {Treaty concerning the Archipelago of Spitsbergen},\n  date = {1920-02-09}\n}\n"
    )
    assert "Ulfstein, Geir. 1995. The Svalbard Treaty. Scandinavian University Press." in _bib_text(dossier_copy)


def test_references_key_form_and_iso_dates(dossier_copy: Path) -> None:
    path = dossier_copy / "bibliography.yaml"
    body = "\n".join("  " + line for line in path.read_text().splitlines())
    path.write_text("references:\n" + body + "\n")
    assert "Treaty Concerning the Archipelago of Spitsbergen, February 9, 1920, 2 League of Nations Treaty Series 7." in _bib_text(dossier_copy)


def test_every_entry_is_listed_cited_or_not(dossier_copy: Path) -> None:
    text = _bib_text(dossier_copy)
    assert "An Entry Nobody Cites" in text


def test_notes_style_turns_citations_into_footnotes(dossier_copy: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text().replace("chicago-author-date", "chicago-notes-bibliography"))
    p = prepare(dossier_copy)
    html = str(p.formatted.html[p.dossier.summary.key])
    assert '<span class="footnote" data-note=' in html
    assert "Geir Ulfstein, <em>The Svalbard Treaty</em>" in html


def test_several_bibliography_files_together(dossier_copy: Path) -> None:
    (dossier_copy / "more.bib").write_text(
        "@article{hara2001,\n  author = {Hara, Kimie},\n  title = {50 Years from San Francisco},\n"
        "  journaltitle = {Pacific Affairs},\n  volume = {74},\n  number = {3},\n  pages = {361--382},\n  date = {2001}\n}\n"
    )
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text() + "bibliography: [bibliography.yaml, more.bib]\n")
    text = _bib_text(dossier_copy)
    assert "Hara, Kimie. 2001. “50 Years from San Francisco.” Pacific Affairs 74 (3): 361–82." in text
    assert "Ulfstein, Geir. 1995." in text


def test_duplicate_id_across_files_names_both_places(dossier_copy: Path) -> None:
    import pytest

    from dossier.errors import DossierError

    (dossier_copy / "more.bib").write_text("@book{ulfstein1995,\n  title = {Again},\n  date = {1995}\n}\n")
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text() + "bibliography:\n  - bibliography.yaml\n  - more.bib\n")
    with pytest.raises(DossierError) as info:
        prepare(dossier_copy)
    assert [str(p) for p in info.value.problems] == [
        f"{dossier_copy}/more.bib:1:1: duplicate bibliography id 'ulfstein1995' (first at {dossier_copy}/bibliography.yaml:8:3),"
        " expected each id once"
    ]


def test_translated_title_follows_the_original_in_brackets(dossier_copy: Path) -> None:
    path = dossier_copy / "bibliography.yaml"
    path.write_text(
        path.read_text()
        + (
            "- id: izv\n  type: article-newspaper\n  title: Совместная декларация\n  translated-title: The joint declaration\n"
            "  container-title: Известия\n  issued: 1956-10-20\n  language: ru\n"
        )
    )
    summary = dossier_copy / "dossier.yaml"
    summary.write_text(summary.read_text().replace("Russian name:", "[@izv] Russian name:"))
    p = prepare(dossier_copy)
    bib = _bib_text(dossier_copy)
    assert "Известия. 1956. “Совместная декларация [The joint declaration].” October 20." in bib
    cited = re.sub(r"<[^>]+>", "", str(p.formatted.html[p.dossier.summary.key]))
    assert "(Известия 1956)" in cited or "Совместная декларация" in cited
    assert "[The joint declaration]" not in cited  # citations keep the original title alone


def test_style_terms_follow_the_dossier_language(dossier_copy: Path) -> None:
    path = dossier_copy / "bibliography.yaml"
    path.write_text(
        path.read_text()
        + (
            "- id: two\n  type: book\n  author:\n    - {family: Dupont, given: Jean}\n    - {family: Martin, given: Paul}\n"
            "  title: Les îles\n  publisher: Gallimard\n  language: fr\n"
        )
    )
    summary = dossier_copy / "dossier.yaml"
    summary.write_text(summary.read_text().replace("language: en", "language: fr").replace("Russian name:", "[@two] Russian name:"))
    bib = _bib_text(dossier_copy)
    assert "Dupont, Jean, et Paul Martin. s.\u00a0d. Les îles. Gallimard." in bib
    assert "«\u00a0An entry nobody cites\u00a0»" in bib


def test_notes_style_sources_lines_print_the_citation_not_a_lone_note_number(dossier_copy: Path) -> None:
    """`Source`, `Sources:` and `See also:` lines hold the note's text itself in a notes style."""
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text().replace("chicago-author-date", "chicago-notes-bibliography"))
    p = prepare(dossier_copy)
    excerpt = str(p.formatted.sources[p.dossier.excerpts[0].key])
    assert "footnote" not in excerpt
    assert "Treaty Concerning the Archipelago of Spitsbergen" in re.sub(r"<[^>]+>", "", excerpt)
    event = next(e for e in p.dossier.chronology if e.sources)
    assert "footnote" not in str(p.formatted.sources[event.key])
    summary = str(p.formatted.html[p.dossier.summary.key])
    assert '<span class="footnote" data-note=' in summary  # citations in running text are still notes


def test_bibtex_url_that_is_not_a_web_address_is_an_error_at_its_entry(dossier_copy: Path) -> None:
    (dossier_copy / "bibliography.yaml").unlink()
    (dossier_copy / "bibliography.bib").write_text(
        "@book{ulfstein1995,\n  title = {The Svalbard Treaty},\n  year = {1995}\n}\n"
        "@misc{treaty1920,\n  title = {Treaty},\n  url = {javascript:alert(1)},\n  date = {1920-02-09}\n}\n"
    )
    with pytest.raises(DossierError) as info:
        prepare(dossier_copy)
    assert [str(p) for p in info.value.problems] == [
        f"{dossier_copy}/bibliography.bib:5:1: entry 'treaty1920': URL: 'javascript:alert(1)' is not a web address,"
        " expected one starting http:// or https:// with no spaces"
    ]
