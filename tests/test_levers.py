"""The cheap levers of issue 11: fewer page layouts, a cache for pandoc's output, and the
store's wiring. Each gives the bytes a clean sequential build gives; none is timed here."""

from __future__ import annotations

import re
import subprocess
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from dossier import build, weasy
from dossier.profiles import Profile
from dossier.typeset import typeset

ROOT = Path(__file__).resolve().parents[1]
EPOCH = 1700000000


def _typeset_example(settled: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, int]:
    """The example laid out in process, with or without `weasy.settled_counters`; and how many
    page layouts WeasyPrint made."""
    root = ROOT / "content"
    p = build.prepare(root)
    html, css = build.render_prepared(p)
    if not settled:

        def plain() -> AbstractContextManager[None]:
            return nullcontext()

        monkeypatch.setattr(weasy, "settled_counters", plain)
    layouts: list[int] = []
    with weasy.counting_layouts(layouts.append):
        pdf = typeset(html, css, root, p.theme_dirs, Profile(), EPOCH)
    monkeypatch.undo()
    return pdf, len(layouts)


def test_the_example_is_laid_out_fewer_times_to_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    settled, fewer = _typeset_example(True, monkeypatch)
    plain, more = _typeset_example(False, monkeypatch)
    assert fewer < more  # 37 and 51 with WeasyPrint 70
    assert settled == plain


def _words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Every word of every page with its box (x0, y0, x1, y1 from the top left), by pdftotext."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages: list[list[tuple[float, float, float, float, str]]] = []
    for line in out.splitlines():
        if line.strip().startswith("<page "):
            pages.append([])
        found = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if found and pages:
            pages[-1].append((float(found[1]), float(found[2]), float(found[3]), float(found[4]), found[5]))
    return pages


def contents_numbers(pdf: Path) -> list[tuple[int, str, int, int]]:
    """(page, words, number printed, page the link goes to) of every contents entry: a link whose
    text runs into a dot leader and ends in a number."""
    doc = pikepdf.open(pdf)
    names = pikepdf.NameTree(doc.Root.Names.Dests)
    index = {page.objgen: number for number, page in enumerate(doc.pages, 1)}
    words = _words(pdf)
    out = []
    for number, page in enumerate(doc.pages, 1):
        height = float(page.MediaBox[3])
        for annot in page.get("/Annots", []):
            dest: Any = annot.get("/Dest")
            if annot.get("/Subtype") != "/Link" or dest is None:
                continue
            if isinstance(dest, pikepdf.String):
                dest = names[str(dest)]
            if isinstance(dest, pikepdf.Dictionary):
                dest = dest.D
            r = [float(v) for v in annot.Rect]
            x0, x1, y0, y1 = min(r[0], r[2]), max(r[0], r[2]), min(r[1], r[3]), max(r[1], r[3])
            inside = [w for w in words[number - 1] if w[0] >= x0 - 1 and w[2] <= x1 + 1 and height - w[3] >= y0 - 1 and height - w[1] <= y1 + 1]
            if inside and inside[-1][4].isdigit() and any(w[4] == "." for w in inside):
                text = " ".join(w[4] for w in inside if w[4] != ".")
                out.append((number, text, int(inside[-1][4]), index[dest[0].objgen]))
    return out


def test_the_contents_of_a_long_dossier_print_the_pages_their_links_go_to(tmp_path: Path) -> None:
    # At 10x the example WeasyPrint 70 alone printed 306 of 312 contents numbers one page off:
    # its layout loop stopped re-making the contents before the numbers had settled.
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth.py"), str(tmp_path / "d"), "--scale", "10"], check=True, capture_output=True)
    out = tmp_path / "long.pdf"
    build.build(tmp_path / "d", out)
    entries = contents_numbers(out)
    assert len(entries) > 300
    wrong = [e for e in entries if e[2] != e[3]]
    assert not wrong, wrong[:5]
