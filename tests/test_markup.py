"""Issue 8, holes 3, 7, 8 and 10: content reaches no markup through citations; markup left
open, or nested past the ceilings, is a located error before pandoc runs; odd keys link.

The one-mistake cases are data in tests/fixtures/invalid/ (citation-*, *-unclosed,
*-nested-too-deep, surrogate-in-rich-text); here are the variants that need the HTML,
both citation styles, a build, or many spellings at once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from dossier.build import build, prepare
from dossier.cli import main
from dossier.content_policy import CSL_CLASSES
from dossier.errors import DossierError
from dossier.html_out import anchor
from dossier.markup import scan

NOTES = "chicago-notes-bibliography"


def _with_summary(root: Path, text: str, style: str | None = None) -> None:
    path = root / "dossier.yaml"
    source = path.read_text()
    start, end = source.index("summary: |"), source.index("key_facts:")
    body = "\n".join("  " + line for line in text.splitlines())
    source = source[:start] + "summary: |\n" + body + "\n" + source[end:]
    path.write_text(source.replace("chicago-author-date", style) if style else source)


def _errors(root: Path) -> list[str]:
    with pytest.raises(DossierError) as info:
        prepare(root)
    return [str(p) for p in info.value.problems]


def _all_html(root: Path) -> str:
    p = prepare(root)
    parts = [*map(str, p.formatted.html.values()), *map(str, p.formatted.sources.values())]
    return "".join(parts) + "".join(str(h) for _, h in p.formatted.bibliography)


# -- hole 3: citations ------------------------------------------------------------------


@pytest.mark.parametrize("style", [None, NOTES])
@pytest.mark.parametrize(
    ("cite", "needle", "skip"),
    [
        ("[@ulfstein1995, p. 4 [TEXT]{.marking-running}]", "[TEXT]{", 1),
        ("[see [X]{.doctitle-running} @ulfstein1995]", "[X]{", 1),
        ("[see [X]{lang=ja} @ulfstein1995, p. 2 [Y [Z]{.marking-running}]{lang=ru}]", "[Z]{", 1),
        ("[@ulfstein1995, p. 4 [TEXT]{#marking}]", "[TEXT]{", 1),
        ("[@ulfstein1995, p. 4 [TEXT]{.footnote}]", "[TEXT]{", 1),
        ("@ulfstein1995 [p. 4 [TEXT]{.marking-running}]", "[TEXT]{", 1),
        ("[@ulfstein1995, p. 4^[inner]]", "^[", 0),
        ("[@ulfstein1995, p. 4 ![map](assets/map.png)]", "](assets", 2),
        ("[@ulfstein1995, p. 4 [x](file:///etc/passwd)]", "file:", 0),
    ],
)
def test_a_citations_prefix_and_suffix_are_checked_where_written(dossier_copy: Path, cite: str, needle: str, skip: int, style: str | None) -> None:
    _with_summary(dossier_copy, f"Text {cite}.", style)
    errors = _errors(dossier_copy)
    col = 3 + len("Text ") + cite.index(needle) + skip
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{dossier_copy}/dossier.yaml:12:{col}: "), errors


def test_a_footnote_in_a_citation_in_a_footnote_is_located(dossier_copy: Path) -> None:
    _with_summary(dossier_copy, "Text.^[a [@ulfstein1995, ^[inner]]]")
    assert _errors(dossier_copy) == [
        f"{dossier_copy}/dossier.yaml:12:28: a footnote inside a citation's brackets, expected it after them: [@key, p. 3]^[note]"
    ]


@pytest.mark.parametrize("style", [None, NOTES])
def test_a_long_citation_suffix_is_a_long_footnote_at_the_citation(dossier_copy: Path, style: str | None) -> None:
    """In a notes style the citation is the note: its length is checked like any note's."""
    _with_summary(dossier_copy, "Text [@ulfstein1995, " + "word. " * 4000 + "].", style)
    if style is None:  # author-date: a long parenthesis, not a note
        prepare(dossier_copy)
        return
    errors = _errors(dossier_copy)
    assert len(errors) == 1 and errors[0].startswith(f"{dossier_copy}/dossier.yaml:12:9: footnote of 24"), errors


@pytest.mark.parametrize("style", [None, NOTES])
def test_citations_with_allowed_content_keep_only_citeprocs_classes(dossier_copy: Path, style: str | None) -> None:
    _with_summary(dossier_copy, "A [see [ok]{lang=ja} @ulfstein1995, p. 3 [x]{lang=ru}; @treaty1920] and @ulfstein1995 [ch. 2].", style)
    html = _all_html(dossier_copy)
    assert '<span lang="ja">ok</span>' in html and '<span lang="ru">x</span>' in html
    classes = {c for attr in re.findall(r'class="([^"]*)"', html) for c in attr.split()}
    assert classes <= CSL_CLASSES | {"citation", "cite-link", "footnote", "fn-split", "xref", "url", "smallcaps"}, classes


def test_bibliography_data_reaches_no_theme_class(dossier_copy: Path) -> None:
    """Titles may carry citeproc's mini-HTML (CSL YAML) or LaTeX (BibTeX); neither reaches a theme class."""
    bib = dossier_copy / "bibliography.yaml"
    bib.write_text(
        bib.read_text().replace(
            "title: The Svalbard Treaty\n",
            'title: \'The <span class="marking-running">X</span> <span class="nocase">iPhone</span> <i>Treaty</i>\'\n',
        )
    )
    html = _all_html(dossier_copy)
    assert 'marking-running"' not in html and 'class="marking-running' not in html
    assert "<i>" not in html


def test_bibtex_markup_reaches_no_theme_class(dossier_copy: Path) -> None:
    (dossier_copy / "bibliography.yaml").unlink()
    (dossier_copy / "bibliography.bib").write_text(
        "@book{ulfstein1995,\n  title = {The \\textsc{Svalbard} {\\color{red} Treaty} \\href{https://e.org}{L}},\n"
        "  publisher = {P}, year = {1995}\n}\n"
        "@misc{treaty1920,\n  title = {Treaty},\n  date = {1920-02-09}\n}\n"
        "@misc{uncited2000,\n  title = {Uncited},\n  date = {2000}\n}\n"
    )
    html = _all_html(dossier_copy)
    classes = {c for attr in re.findall(r'class="([^"]*)"', html) for c in attr.split()}
    assert classes <= CSL_CLASSES | {"citation", "cite-link", "footnote", "fn-split", "xref", "url", "smallcaps"}, classes


def test_an_excerpt_locator_is_plain_text(dossier_copy: Path) -> None:
    path = dossier_copy / "excerpts.yaml"
    source = path.read_text()
    locator = re.search(r"locator: .*", source)
    path.write_text(source.replace(locator.group(0), "locator: 'art. 1 [X]{.marking-running} ^[n] *a'"))
    p = prepare(dossier_copy)
    html = str(p.formatted.sources[p.dossier.excerpts[0].key])
    assert "marking-running" in html and 'class="marking-running' not in html and "footnote" not in html
    assert "[X]{.marking-running} ^[n] *a" in re.sub(r"<[^>]+>", "", html)


# -- hole 7: markup left open -----------------------------------------------------------

# One paragraph each: `5*3 … ;*)` in one paragraph is emphasis, as pandoc reads it.
LITERAL = "\n\n".join(
    [
        "A [sic] note",
        "5 * 3",
        "5*3",
        "snake_case",
        "a_b_c",
        "C++",
        "x^2",
        "~5 km",
        "\\[",
        "\\*",
        ";*)",
        ":-*",
        "`[*`",
        "[a](https://example.org/a_(b))",
        "<https://example.org/a_b>",
        "a ] alone",
        "a < b",
        "2 ** 3",
        "price* (see below)",
    ]
)


def test_literal_text_passes_and_prints_as_written(dossier_copy: Path) -> None:
    assert scan(LITERAL) == []
    _with_summary(dossier_copy, LITERAL)
    p = prepare(dossier_copy)
    text = re.sub(r"<[^>]+>", "", str(p.formatted.html[p.dossier.summary.key]))
    for literal in ("[sic]", "5 * 3", "5*3", "snake_case", "a_b_c", "C++", "x^2", "~5 km", "[\n", "*\n", ";*)", "[*", "a ] alone"):
        assert literal in text, literal


@pytest.mark.parametrize(
    ("text", "col", "what"),
    [
        ("See [@ulfstein1995, p. 1", 7, "a citation opened with '[' is never closed"),
        ("See [Svalbardloven]{lang=norsk bokmål}.", 22, "span attributes that cannot be read"),
        ("See [Svalbardloven]{lang=no", 22, "span attributes that cannot be read"),
        ("See^[a note", 6, "a footnote opened with '^[' is never closed"),
        ("See [text](https://example.org", 13, "a link whose address is never closed"),
        ("See `code", 7, "code opened with ` is never closed"),
        ("See ``code here", 7, "code opened with `` is never closed"),
        ("See **bold", 7, "emphasis opened with '**' is never closed"),
        ("See *it and *this*", 7, "emphasis opened with '*' is never closed"),
        ("See _it", 7, "emphasis opened with '_' is never closed"),
        ("See ~~struck", 7, "strikeout opened with '~~' is never closed"),
        ("See <https://example.org", 7, "a link opened with '<' is never closed"),
        ("See [a *b](#art1) c*", 10, "emphasis opened with '*' is never closed"),
        ("See [a\n\nb]", 7, "'[' is never closed"),
    ],
)
def test_markup_left_open_is_an_error_where_it_opens(dossier_copy: Path, text: str, col: int, what: str) -> None:
    _with_summary(dossier_copy, text)
    errors = _errors(dossier_copy)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{dossier_copy}/dossier.yaml:12:{col}: {what}"), errors


def test_markup_left_open_in_a_key_fact_is_located_there(dossier_copy: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    path.write_text(path.read_text().replace("value: 14 August 1925", "value: '14 August [@treaty1920, art. 1'"))
    assert _errors(dossier_copy) == [
        f"{dossier_copy}/dossier.yaml:22:23: a citation opened with '[' is never closed, expected ']' (write \\[ for a literal bracket)"
    ]


# -- hole 8: nesting and surrogates -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("^[" * 3000 + "x", "brackets nested more than 5 deep"),
        ("[" * 100, "brackets nested more than 5 deep"),
        ("[" * 6 + "x" + "]" * 6, "brackets nested more than 5 deep"),
        ("\n".join("  " * i + "- x" for i in range(120)), "lists and block quotes nested more than 16 deep"),
        ("> " * 250 + "x", "lists and block quotes nested more than 16 deep"),
        (" ".join(["*a"] * 12) + " " + " ".join(["a*"] * 12), "emphasis nested more than 8 deep"),
    ],
)
def test_nesting_past_the_ceilings_is_an_error_before_pandoc(dossier_copy: Path, text: str, what: str) -> None:
    _with_summary(dossier_copy, text)
    errors = _errors(dossier_copy)
    assert len(errors) == 1 and re.match(rf"{re.escape(str(dossier_copy))}/dossier.yaml:\d+:\d+: {what}", errors[0]), errors


def test_nesting_that_only_the_bridge_sees_is_an_error_at_the_field(dossier_copy: Path) -> None:
    """Smart quotes nest without brackets or delimiters: the bridge refuses the field."""
    _with_summary(dossier_copy, " ".join(['"a', "'a"] * 400) + " " + " ".join(["a'", 'a"'] * 400))
    assert _errors(dossier_copy) == [
        f"{dossier_copy}/dossier.yaml:11:10: nested too deeply, expected at most a few levels of lists, quotes, emphasis and notes"
    ]


def test_150_nested_block_quotes_in_build_are_a_located_error(dossier_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _with_summary(dossier_copy, "> " * 150 + "x")
    assert main(["build", str(dossier_copy), "-o", str(tmp_path / "out.pdf")]) == 1
    err = capsys.readouterr().err
    assert f"{dossier_copy}/dossier.yaml:12:35: lists and block quotes nested more than 16 deep" in err
    assert "Traceback" not in err and not (tmp_path / "out.pdf").exists()


def test_a_lone_surrogate_in_the_bibliography_is_located(dossier_copy: Path) -> None:
    bib = dossier_copy / "bibliography.yaml"
    bib.write_text(bib.read_text().replace("title: The Svalbard Treaty\n", 'title: "The \\udfff Treaty"\n'))
    errors = _errors(dossier_copy)
    assert errors == [f"{dossier_copy}/bibliography.yaml:13:10: control character U+DFFF, expected printable text"]


# -- hole 10: keys any anchor can carry ---------------------------------------------------


def test_anchor_is_injective_and_plain() -> None:
    keys = ["a%20b", "a b", "a_20_b", "a:b", "a#b", "a/b", "a.b", "ulfstein1995", "a-b", "a_b"]
    anchors = [anchor(k) for k in keys]
    assert len(set(anchors)) == len(keys)
    assert all(re.fullmatch(r"ref-[A-Za-z0-9_-]+", a) for a in anchors)
    assert anchor("ulfstein1995") == "ref-ulfstein1995"


def test_a_key_with_percent_20_builds_and_links(dossier_copy: Path, tmp_path: Path) -> None:
    for path in dossier_copy.glob("*.yaml"):
        path.write_text(re.sub(r"\bulfstein1995\b", "a%20b", path.read_text()))
    out = tmp_path / "out.pdf"
    build(dossier_copy, out)
    reader = PdfReader(out)
    names = set(reader.named_destinations)
    assert anchor("a%20b") in names


@pytest.mark.parametrize(
    ("text", "offset"),
    [("__alpha_ alpha_", 7), ("**alpha* alpha*", 7), ("**a* b* c**", 3), ("see **x*, y", 7)],
)
def test_one_delimiter_never_closes_two(text: str, offset: int) -> None:
    # pandoc prints `**a* b*` and `__a_ b_` as typed: a single '*' or '_' cannot close '**' or '__'
    problems = scan(text)
    assert problems and problems[0][0] == offset  # offset in the field
    assert "cannot close the" in problems[0][1]


@pytest.mark.parametrize("text", ["***a* b**", "***a** b*", "**a *b* c**", "__a _b_ c__", "**a _b_ c**"])
def test_emphasis_inside_strong_passes(text: str) -> None:
    assert scan(text) == []
