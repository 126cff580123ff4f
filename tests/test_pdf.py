"""What a reader of the example briefing sees: sections, contents, scripts, fonts, metadata, outline."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pypdf import PdfReader

from conftest import page_texts


def test_every_section_is_printed_with_its_heading(example: PdfReader) -> None:
    text = "\n".join(page_texts(example))
    for heading in ("Contents", "Summary", "Key facts", "Chronology", "Primary texts", "Interpretations", "Bibliography"):
        assert heading.upper() in text.upper(), heading


def test_contents_lists_sections_with_their_real_page_numbers(example: PdfReader) -> None:
    texts = page_texts(example)
    contents = texts[1]
    assert contents.startswith("Contents")
    for title in ("Summary", "Places and names", "Chronology", "Primary texts", "Interpretations", "Bibliography"):
        match = re.search(rf"^{title}[ .]*?(\d+)$", contents, re.MULTILINE)
        assert match, f"{title} missing from contents"
        page = int(match.group(1))
        assert page > 2
        # the section really starts on that page: its heading is the page's first line after the running head
        assert re.search(rf"^{title}$", texts[page - 1], re.MULTILINE), (title, page)


def test_japanese_and_russian_are_text_not_pictures(example: PdfReader) -> None:
    text = "\n".join(page_texts(example))
    for word in ("歯舞群島", "色丹島", "Хабомаи", "Сикотан", "Республик"):
        assert word in text.replace("\n", ""), word


def test_article_9_is_printed_with_both_originals_on_one_page(example: PdfReader) -> None:
    pages = [t.replace("\n", "") for t in page_texts(example)]
    hits = [t for t in pages if "Habomai Islands and the island of Shikoton" in t]
    assert hits, "Article 9 English text missing"
    assert "歯舞群島及び色丹島" in hits[0] and "острова Сикотан" in hits[0]


def test_bibliography_is_formatted_by_the_style(example: PdfReader) -> None:
    texts = page_texts(example)
    start = next(i for i, t in enumerate(texts) if re.search(r"^Bibliography$", t, re.MULTILINE) and i > 2)
    bib = " ".join(texts[start:]).replace("\n", " ")
    # Chicago author-date: Family, Given. Year. Title. Place: Publisher.
    assert "Brown, James D. J. 2016. Japan, Russia and Their Territorial Dispute" in bib
    assert "London: Routledge" in bib or "Routledge" in bib


def test_citations_are_formatted_in_author_date_style(example: PdfReader) -> None:
    text = " ".join(page_texts(example)).replace("\n", " ")
    assert "(Brown 2016, 143" in text


def test_running_heads_marking_and_page_x_of_y_on_every_page(example: PdfReader) -> None:
    texts = page_texts(example)
    n = len(texts)
    for number, text in enumerate(texts, start=1):
        assert "FOR BRIEFING USE" in text.upper(), number
        if number > 1:
            assert f"Page {number} of {n}" in text, number
            assert "Soviet–Japanese Joint Declaration of 1956" in text, number


def test_footnotes_are_set_at_the_foot_of_the_page(example: PdfReader) -> None:
    texts = page_texts(example)
    noted = [t for t in texts if re.search(r"^1\.\s", t, re.MULTILINE)]
    assert noted, "no footnote found"


def test_metadata_title_author_subject_language(example: PdfReader) -> None:
    meta = example.metadata
    assert meta.title == "Soviet–Japanese Joint Declaration of 1956"
    assert meta.author == "Briefing Team"
    assert meta.subject and "islands" in meta.subject
    assert example.trailer["/Root"]["/Lang"] == "en"


def test_outline_has_every_section_and_each_excerpt(example: PdfReader) -> None:
    top = [item.title for item in example.outline if not isinstance(item, list)]
    assert top == ["Summary", "Places and names", "Chronology", "Primary texts", "Interpretations", "Bibliography"]
    nested = [item for item in example.outline if isinstance(item, list)]
    assert any("Article 9" in x.title for x in nested[0])


def test_every_font_is_embedded_and_from_the_theme(example_pdf: Path) -> None:
    out = subprocess.run(["pdffonts", str(example_pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        name, emb = row.split()[0], row.split()[-5]
        assert emb == "yes", row
        assert re.match(r"^[A-Z]{6}\+Noto-(Serif|Sans)", name), row
    assert any("CJK-JP" in r for r in rows)


def test_internal_links_resolve_to_pages(example: PdfReader) -> None:
    """Citations link to their bibliography entries, cross-references to their targets."""
    links = 0
    for page in example.pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") == "/Link" and "/Dest" in a or (a.get("/A") or {}).get("/S") == "/GoTo":
                links += 1
    assert links > 50


def test_a_dossier_the_project_has_never_seen_builds(small_pdf: Path) -> None:
    reader = PdfReader(small_pdf)
    text = " ".join(page_texts(reader))
    assert "The Svalbard Treaty of 1920" in text
    assert "Шпицберген" in text and "スヴァールバル" in text
    assert "June–July 1914" in text


def _matrix_rows(html: str) -> list[list[str]]:
    table = html[html.index('<table class="matrix') :]
    table = table[: table.index("</table>")]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def test_positions_matrix_has_parties_as_columns_and_questions_as_rows(example: PdfReader) -> None:
    from dossier.build import prepare, render_prepared

    html, _ = render_prepared(prepare(Path("content")))
    rows = _matrix_rows(html)
    assert rows[0] == ["Question", "Soviet Union / Russian Federation", "Japan", "United States", "James D. J. Brown (political scientist)"]
    assert [r[0] for r in rows[1:]] == [
        "What did Article 9 promise?",
        "Is the territorial question closed?",
        "Which islands are at issue?",
        "Must a peace treaty come first?",
    ]
    islands = rows[3]
    assert islands[2].startswith("All four: Etorofu, Kunashiri, Shikotan and the Habomai Islands")
    assert rows[1][3] == "—"  # the United States gives no answer to what Article 9 promised
    page = next(t for t in page_texts(example) if "Positions at a glance" in t)
    assert "All four: Etorofu" in page


def test_places_and_names_table_in_three_scripts(example: PdfReader) -> None:
    page = next(t for t in page_texts(example) if re.search(r"^Places and names$", t, re.M) and "NOTE" in t)
    for form in ("Habomai Islands", "歯舞群島", "Хабомаи", "Etorofu (Iturup)", "択捉島", "Итуруп", "鳩山一郎"):
        assert form in page, form


def test_cover_has_series_number_and_disclaimer(example: PdfReader) -> None:
    cover = page_texts(example)[0]
    assert "DOSSIER EXAMPLE BRIEFING NO. 1" in cover.upper()
    assert "it states no position of its own" in cover.replace("\n", " ")


def test_cross_references_carry_the_target_page(example: PdfReader) -> None:
    texts = page_texts(example)
    art9 = next(i for i, t in enumerate(texts) if "Joint Declaration, Article 9, second paragraph" in t and i > 2) + 1
    joined = " ".join(t.replace("\n", " ") for t in texts)
    assert f"Article 9 (p. {art9})" in joined.replace("\u00a0", " ")


def test_timeline_graphic_heads_the_chronology_as_vector_with_links(example: PdfReader) -> None:
    from dossier.build import prepare

    texts = page_texts(example)
    number = next(i for i, t in enumerate(texts) if re.search(r"^Chronology$", t, re.M) and "Figure 1." in t)
    page = example.pages[number]
    assert "/Image" not in str(page["/Resources"].get("/XObject", {}))  # drawn, not a picture
    anchored = [e for e in prepare(Path("content")).dossier.chronology if e.id]
    links = [a.get_object() for a in page.get("/Annots") or [] if a.get_object().get("/Subtype") == "/Link"]
    assert len(links) >= len(anchored)  # every anchored event links to its entry (mark and label)


def test_chronology_table_repeats_its_header_row_on_every_page(example: PdfReader) -> None:
    pages = [t for t in page_texts(example) if "CHRONOLOGY" in t and "Page" in t]
    assert len(pages) >= 5
    for text in pages:
        assert re.search(r"^DATE\s+EVENT$", text, re.M) or ("DATE" in text and "EVENT" in text), text[:200]
