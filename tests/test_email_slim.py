"""The email profile's slimming of the tagged PDF (pdfslim.py, pdfmarked.py, pdfcodes.py),
read from real builds of the example: the same structure, text, glyph positions and pages
as the standard build, in fewer bytes, each saving where it says it is."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from dossier import pdfcodes

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def emailed(example_email_pdf: Path) -> Path:
    return example_email_pdf  # built once per session, in conftest.py


def _kids(e: Any) -> list[Any]:
    k = e.get("/K")
    return [] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k]


def _elements(pdf: pikepdf.Pdf) -> list[Any]:
    out, pending = [], list(_kids(pdf.Root.StructTreeRoot))
    while pending:
        e = pending.pop()
        if isinstance(e, pikepdf.Dictionary) and "/S" in e and e.get("/Type") not in ("/OBJR", "/MCR"):
            out.append(e)
            pending.extend(_kids(e))
    return out


def _mcids(page: pikepdf.Page) -> list[int]:
    return [
        int(op.operands[1].MCID)
        for op in pikepdf.parse_content_stream(page, "BDC")
        if isinstance(op.operands[1], pikepdf.Dictionary) and "/MCID" in op.operands[1]
    ]


def _words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """Every word pdftotext finds, with its box (poppler's reading of glyph positions and widths)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [
        (w, float(a), float(b), float(c), float(d))
        for a, b, c, d, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out)
    ]


def test_every_mcid_is_shown_once_and_held_once_by_its_element(emailed: Path) -> None:
    """After merging and numbering again: each page shows MCIDs 0…n-1, each once, and the
    parent tree's element for each holds it exactly once in its /K, for that page."""
    with pikepdf.open(emailed) as pdf:
        arrays = dict(pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree).items())
        for page in pdf.pages:
            shown = _mcids(page)
            array = arrays[int(page.obj.StructParents)]
            assert sorted(shown) == list(range(len(array)))
            for mcid, element in enumerate(array):
                held = [
                    k
                    for k in _kids(element)
                    if (isinstance(k, int) and k == mcid and element.Pg.objgen == page.obj.objgen)
                    or (
                        isinstance(k, pikepdf.Dictionary)
                        and k.get("/Type") == "/MCR"
                        and int(k.MCID) == mcid
                        and k.get("/Pg", element.get("/Pg")).objgen == page.obj.objgen
                    )
                ]
                assert len(held) == 1, (mcid, str(element.S))


def test_fewer_marked_pieces_and_elements_than_standard(emailed: Path, example_pdf: Path) -> None:
    with pikepdf.open(emailed) as email, pikepdf.open(example_pdf) as standard:
        pieces = [sum(len(_mcids(p)) for p in pdf.pages) for pdf in (email, standard)]
        elements = [len(_elements(pdf)) for pdf in (email, standard)]
        silent = [
            e
            for e in _elements(email)
            if e.get("/S") in ("/Span", "/NonStruct")
            and set(e.keys()) <= {"/S", "/P", "/K", "/Pg", "/Type"}
            and not any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR" for k in _kids(e))
        ]
        objrs = [k for e in _elements(email) for k in _kids(e) if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
    assert pieces[0] < pieces[1] * 0.8, pieces
    assert elements[0] < elements[1], elements
    assert silent == []  # a Span or NonStruct that says nothing gave its content to its parent
    assert objrs and all(not k.is_indirect for k in objrs)  # written inside their Link


def test_same_text_and_glyph_positions_as_standard(emailed: Path, example_pdf: Path) -> None:
    """The words, in order, and their boxes within a hundredth of a point (the standard build
    writes positions to 6 decimals, the email build to 3)."""
    raw = [subprocess.run(["pdftotext", "-raw", str(p), "-"], capture_output=True, text=True, check=True).stdout for p in (emailed, example_pdf)]
    assert raw[0] == raw[1]
    words = [_words(p) for p in (emailed, example_pdf)]
    assert [w[0] for w in words[0]] == [w[0] for w in words[1]]
    worst = max(abs(a - b) for x, y in zip(*words, strict=True) for a, b in zip(x[1:], y[1:], strict=True))
    assert worst < 0.01


def test_truetype_fonts_show_one_byte_per_glyph(emailed: Path, example_pdf: Path) -> None:
    """Every TrueType face of the example: a 1-byte embedded CMap, a program holding only the
    glyphs shown (and .notdef), the same widths and text for each glyph as in the standard build."""

    def fonts(pdf: pikepdf.Pdf) -> dict[str, Any]:
        return {
            str(o.BaseFont): o
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0" and o.DescendantFonts[0].Subtype == "/CIDFontType2"
        }

    with pikepdf.open(emailed) as email, pikepdf.open(example_pdf) as standard:
        new, old = fonts(email), fonts(standard)
        assert new.keys() == old.keys() and len(new) >= 4
        for name, font in new.items():
            assert isinstance(font.Encoding, pikepdf.Stream) and b"<00> <ff>" in font.Encoding.read_bytes()
            new_text = pdfcodes.unicode_map(font.ToUnicode.read_bytes())
            old_text = pdfcodes.unicode_map(old[name].ToUnicode.read_bytes())
            assert all(len(code) == 1 for code in new_text)
            assert set(new_text.values()) <= set(old_text.values())
            new_w = pdfcodes._widths(font.DescendantFonts[0].W)
            old_w = pdfcodes._widths(old[name].DescendantFonts[0].W)
            by_text_new = {new_text[bytes((c,))]: w for c, w in new_w.items() if bytes((c,)) in new_text}
            by_text_old = {old_text[c.to_bytes(2, "big")]: w for c, w in old_w.items() if c.to_bytes(2, "big") in old_text}
            assert all(by_text_old[t] == w for t, w in by_text_new.items())
            program = TTFont(io.BytesIO(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()))
            assert program["maxp"].numGlyphs <= 256
            assert "name" not in program and "post" not in program


def test_qpdf_check_is_clean(emailed: Path) -> None:
    result = subprocess.run(["qpdf", "--check", str(emailed)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
