"""Rich text: Markdown, pandoc citations, footnotes, links, lang spans; content never becomes markup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dossier.build import prepare
from dossier.errors import DossierError


def _summary_html(root: Path, text: str) -> str:
    path = root / "dossier.yaml"
    body = "\n".join("  " + line for line in text.splitlines())
    source = path.read_text()
    start = source.index("summary: |")
    end = source.index("key_facts:")
    path.write_text(source[:start] + "summary: |\n" + body + "\n" + source[end:])
    p = prepare(root)
    return str(p.formatted.html[p.dossier.summary.key])


def _summary_error(root: Path, text: str) -> list[str]:
    with pytest.raises(DossierError) as info:
        _summary_html(root, text)
    return [str(p) for p in info.value.problems]


def test_citation_forms(dossier_copy: Path) -> None:
    html = _summary_html(
        dossier_copy,
        "A [@ulfstein1995, p. 33]. B [see @ulfstein1995, pp. 33-35 and passim]. "
        "C [-@ulfstein1995]. D @ulfstein1995 [ch. 2]. E [@ulfstein1995; @treaty1920, art. 1].",
    )
    text = re.sub(r"<[^>]+>", "", html)
    assert "(Ulfstein 1995, 33)" in text
    assert "(see Ulfstein 1995, 33–35 and passim)" in text
    assert "C (1995)" in text
    assert "Ulfstein (1995, ch.\u00a02)" in text
    assert 'href="#ref-ulfstein1995"' in html
    assert 'data-cites="ulfstein1995 treaty1920"' in html


def test_email_and_escaped_at_are_not_citations(dossier_copy: Path) -> None:
    html = _summary_html(dossier_copy, "Write to desk@example.org or \\@ulfstein1995.")
    assert "desk@example.org" in html and "@ulfstein1995" in html and "citation" not in html


def test_footnote_becomes_a_footnote_span(dossier_copy: Path) -> None:
    html = _summary_html(dossier_copy, "Text.^[A note with [@ulfstein1995, p. 2].]")
    assert re.search(r'<span class="footnote" data-note="n1" data-src="[^"]+/dossier.yaml:12:8">A note with <span class="citation"', html)


def test_lang_span(dossier_copy: Path) -> None:
    assert '<span lang="ja">歯舞群島</span>' in _summary_html(dossier_copy, "[歯舞群島]{lang=ja}")


def test_internal_link_and_web_link(dossier_copy: Path) -> None:
    html = _summary_html(dossier_copy, "[Art. 1](#art1), [home](https://example.org), [mail](mailto:a@b.org)")
    assert '<a class="xref" href="#art1">Art. 1</a>' in html
    # the address a printed copy shows after a link whose text is not the address itself
    assert '<a class="url" href="https://example.org" data-address="https://example.org">home</a>' in html
    assert '<a class="url" href="mailto:a@b.org" data-address="a@b.org">mail</a>' in html
    html = _summary_html(dossier_copy, "[example.org](https://www.example.org/), <https://example.org/a>")
    assert "data-address" not in html


@pytest.mark.parametrize(
    "text",
    [
        '<a rel="attachment" href="file:///etc/passwd">x</a>',
        '<img src="file:///etc/hostname">',
        "{{ 7*7 }} {% raw %}",
        "<script>alert(1)</script>",
    ],
)
def test_raw_html_and_template_code_print_as_text(dossier_copy: Path, text: str) -> None:
    html = _summary_html(dossier_copy, text)
    assert "<a rel" not in html and "<img" not in html and "<script" not in html
    assert "&lt;" in html or "{{ 7*7 }}" in html


def test_link_reference_definition_prints_as_text(dossier_copy: Path) -> None:
    html = _summary_html(dossier_copy, "[x]: https://example.org\n\nSee [x].")
    assert "[x]: https://example.org" in html


def test_unknown_citation_key_is_located_at_the_key(dossier_copy: Path) -> None:
    errors = _summary_error(dossier_copy, "Fine.\nThen [@nosuchkey, p. 3] here.")
    assert errors == [f"{dossier_copy}/dossier.yaml:13:9: citation key 'nosuchkey' is not in the bibliography, expected one of its ids"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("# Heading", "heading 'Heading' is not allowed in rich text"),
        ("[x](javascript:alert(1))", "link target 'javascript:alert(1)' is not allowed"),
        ("[x](file:///etc/passwd)", "link target 'file:///etc/passwd' is not allowed"),
        ("[x](#nowhere)", "link to '#nowhere', but no id 'nowhere' exists"),
        ("![map](../secret.png)", "image '../secret.png': '..' is not allowed"),
        ("![map](https://example.org/a.png)", "image 'https://example.org/a.png': expected a file in the dossier's assets/, not a URL"),
        ("![map](assets/missing.png)", "image 'assets/missing.png': file not found in assets/"),
        ("[x]{.red}", "span attributes are not allowed except lang"),
    ],
)
def test_refused_content_is_located(dossier_copy: Path, text: str, message: str) -> None:
    errors = _summary_error(dossier_copy, text)
    assert len(errors) == 1
    assert errors[0].startswith(f"{dossier_copy}/dossier.yaml:12:")
    assert message in errors[0]


def test_image_from_assets(dossier_copy: Path) -> None:
    (dossier_copy / "assets").mkdir()
    (dossier_copy / "assets" / "map.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    assert '<img src="assets/map.svg" alt="map">' in _summary_html(dossier_copy, "![map](assets/map.svg)")


def test_image_with_a_space_in_its_name(dossier_copy: Path) -> None:
    (dossier_copy / "assets").mkdir()
    (dossier_copy / "assets" / "карта 1.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    html = _summary_html(dossier_copy, "![a](<assets/карта 1.svg>) ![b](assets/карта%201.svg)")
    assert html.count("<img src=") == 2


def test_excerpt_text_prints_handles_and_escaped_keys_as_written(dossier_copy: Path) -> None:
    """Quoted wording cites nothing: an @handle, an e-mail and \\@key stay text (a key in
    the bibliography written bare is an error: tests/fixtures/invalid/excerpt-text-cites)."""
    path = dossier_copy / "excerpts.yaml"
    path.write_text(
        path.read_text().replace(
            "over the Archipelago of Spitsbergen.",
            "over the Archipelago of Spitsbergen, as @MID_RF wrote to info@example.org (\\@ulfstein1995).",
        )
    )
    p = prepare(dossier_copy)
    html = re.sub(r"<[^>]+>", "", str(p.formatted.html[p.dossier.excerpts[0].text.key]))
    assert "as @MID_RF wrote to info@example.org (@ulfstein1995)." in html


def test_cross_reference_inside_parentheses_prints_its_page_after_a_comma(dossier_copy: Path) -> None:
    html = _summary_html(dossier_copy, "Signed (see [Article 1](#art1)), then (the [signing](#signing) (1920)) and [the list](#chronology).")
    links = re.findall(r'<a class="([^"]+)" href="#(\w+)"', html)
    assert links == [("xref in-parens", "art1"), ("xref", "signing"), ("xref", "chronology")]
