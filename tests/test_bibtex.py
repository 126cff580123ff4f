"""BibTeX as pandoc reads it (issue 8, holes 4 and 12): crossref/xdata refused before pandoc
follows them without end, entries located where they are written, real files read as pandoc
reads them. Located errors of single files are cases in fixtures/invalid/bibtex-*."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from dossier.bibtex import MAX_INHERITED, check_crossrefs, scan
from dossier.build import prepare
from dossier.errors import DossierError, Report
from dossier.load import SourceFile
from dossier.pandoc import pandoc_path

REAL = sorted((Path(__file__).parent / "fixtures" / "citations").glob("*.bib"))


def _check(text: str) -> Report:
    entries = scan(text)
    report = Report()
    check_crossrefs(entries, SourceFile("refs.bib", text), report)
    return report


def _entry(key: str, extra: str = "") -> str:
    return f"@book{{{key},\n  title = {{Title {key}}},\n  year = 2001,{extra}\n}}\n"


def test_a_long_crossref_chain_is_fine_and_a_cycle_at_its_end_is_found() -> None:
    """Thousands of entries in a chain: no recursion limit, no false alarm; closing it is an error at the field."""
    n = 5000
    chain = "".join(_entry(f"e{i}", f"\n  crossref = {{e{i + 1}}}") for i in range(n)) + _entry(f"e{n}")
    assert _check(chain).problems == []
    closed = chain.replace(_entry(f"e{n}"), _entry(f"e{n}", "\n  crossref = {e0}"))
    (problem,) = _check(closed).problems
    assert problem.message.startswith(f"entry 'e{n}': crossref: 'e0' leads back to this entry (e{n} → e0 → e1")
    assert problem.location.line == closed.count("\n") - 1 and problem.location.col == 3


def test_xref_is_not_followed_by_pandoc_and_not_refused() -> None:
    assert _check(_entry("a", "\n  xref = {b}") + _entry("b", "\n  xref = {a}")).problems == []


def test_nested_fields_that_multiply_are_refused() -> None:
    """No cycle: `mid` names twelve entries of ten fields in one xdata, and pandoc takes every
    combination of their fields for an entry that crossrefs `mid` (10^12)."""
    parts = [_entry(f"d{i}", "".join(f"\n  note{j} = {{n}}," for j in range(8))) for i in range(12)]
    parts.append(_entry("mid", "\n  xdata = {" + ",".join(f"d{i}" for i in range(12)) + "}"))
    parts.append(_entry("base", "\n  crossref = {mid}"))
    (problem,) = _check("".join(parts)).problems
    assert problem.message.startswith("entry 'base': crossref: the entries it names gather more than")
    assert f"{MAX_INHERITED:,}" in problem.message


def test_deeply_nested_braces_are_no_internal_error() -> None:
    text = "@book{deep,\n  title = " + "{" * 200_000 + "x" + "}" * 200_000 + ",\n  year = 2001\n}\n"
    entries = scan(text)
    assert entries is not None and entries[0].key == "deep"
    assert scan(text[:-3]) is None  # unclosed


@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
def test_entries_are_split_as_pandoc_splits_them(path: Path) -> None:
    entries = scan(path.read_text(encoding="utf-8"))
    proc = subprocess.run([pandoc_path(), "-f", "biblatex", "-t", "csljson", str(path)], capture_output=True, check=True)
    assert [e.key for e in entries] == [ref["id"] for ref in json.loads(proc.stdout)]


def test_a_cycle_stops_the_build_before_pandoc(dossier_copy: Path) -> None:
    (dossier_copy / "bibliography.yaml").unlink()
    (dossier_copy / "bibliography.bib").write_text(
        _entry("ulfstein1995", "\n  crossref = {treaty1920}") + _entry("treaty1920", "\n  xdata = {ulfstein1995}")
    )
    with pytest.raises(DossierError) as exc:
        prepare(dossier_copy)
    messages = [p.message for p in exc.value.problems]
    assert any("leads back to this entry" in m for m in messages)
    assert not any("is not in the bibliography" in m for m in messages)  # the file is unreadable, not empty


def _bib_html(root: Path) -> str:
    return " ".join(str(html) for _, html in prepare(root).formatted.bibliography)


def test_tex_math_and_protected_titles_print_as_pandoc_prints_them(dossier_copy: Path) -> None:
    (dossier_copy / "bibliography.yaml").unlink()
    (dossier_copy / "bibliography.bib").write_text(
        "@misc{ulfstein1995,\n  author = {Ulfstein, Geir},\n  title = {{$\\beta$-Divergence of the Svalbard treaty}},\n  year = {1995}\n}\n"
        "@inproceedings{treaty1920,\n  title = {Spitsbergen},\n  booktitle = {29th $\\{$USENIX$\\}$ Security Symposium},\n"
        "  author = {Doe, Jane},\n  year = {2020}\n}\n"
    )
    text = re.sub(r"<[^>]+>", "", _bib_html(dossier_copy))
    assert "β-Divergence of the Svalbard treaty" in text  # math as texmath prints it, the case as written
    assert "29th {USENIX} Security Symposium" in text
    assert "$" not in text and "\\" not in text


def test_urls_with_spaces_inside_their_braces_are_trimmed_and_empty_ones_left_out(dossier_copy: Path) -> None:
    (dossier_copy / "bibliography.yaml").unlink()
    (dossier_copy / "bibliography.bib").write_text(
        "@online{ulfstein1995,\n  author = {Ulfstein, Geir},\n  title = {The Svalbard Treaty},\n  year = {1995},\n"
        "  url = { https://example.org/svalbard\t}\n}\n"
        "@book{treaty1920,\n  title = {Treaty},\n  year = {1920},\n  publisher = {P},\n  doi = {},\n  url = {}\n}\n"
    )
    html = _bib_html(dossier_copy)
    assert 'href="https://example.org/svalbard"' in html
    assert 'href=""' not in html and "doi.org" not in html
