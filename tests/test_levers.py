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
    # At 10x the example WeasyPrint 70 alone printed 234 of 240 contents numbers one page off:
    # its layout loop stopped re-making the contents before the numbers had settled.
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth.py"), str(tmp_path / "d"), "--scale", "10"], check=True, capture_output=True)
    out = tmp_path / "long.pdf"
    build.build(tmp_path / "d", out)
    entries = contents_numbers(out)
    assert len(entries) > 200
    wrong = [e for e in entries if e[2] != e[3]]
    assert not wrong, wrong[:5]


# -- the pandoc cache and the store's wiring ---------------------------------------------------


def _cli_build(src: Path, out: Path, *flags: str) -> bytes:
    from dossier.cli import main

    assert main(["build", str(src), "-o", str(out), *flags]) == 0
    return out.read_bytes()


def _no_bridge(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on running pandoc's bridge fails the build (the child is forked: it inherits this)."""
    from dossier import sandbox

    run = sandbox.run_command

    def refuse(argv: list[str], *rest: Any, **kw: Any) -> Any:
        assert "lua" not in argv, "pandoc ran although its output was in the cache"
        return run(argv, *rest, **kw)

    monkeypatch.setattr(sandbox, "run_command", refuse)


def test_a_warm_build_reads_pandoc_and_fonts_from_the_cache_to_the_same_bytes(
    tmp_path: Path, example_pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "cache"
    _cli_build(ROOT / "content", tmp_path / "cold.pdf", "--cache", str(store))
    assert list((store / "pandoc").rglob("*"))
    assert list((store / "font").rglob("*"))
    _no_bridge(monkeypatch)
    from dossier import pdffonts

    def no_subsetting(data: bytes, cids: set[int]) -> Any:
        raise AssertionError("a font was subset although the subset was in the cache")

    monkeypatch.setattr(pdffonts, "_cff_subset", no_subsetting)
    warm = _cli_build(ROOT / "content", tmp_path / "warm.pdf", "--cache", str(store))
    assert warm == example_pdf.read_bytes()  # the fixture: a build with no store at all


def test_the_font_key_changes_with_the_font_and_the_glyphs() -> None:
    from dossier.pdffonts import subset_key

    base = subset_key(b"font", {1, 2})
    assert subset_key(b"font", {2, 1}) == base
    assert len({base, subset_key(b"font", {1, 3}), subset_key(b"font", {1}), subset_key(b"font2", {1, 2})}) == 4


def test_no_cache_keeps_nothing_and_the_default_is_dossier_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dossier_copy: Path) -> None:
    from dossier import cache

    default = tmp_path / "default"
    monkeypatch.setenv("DOSSIER_CACHE", str(default))
    pruned: list[int] = []
    prune = cache.Store.prune
    monkeypatch.setattr(cache.Store, "prune", lambda self, *a: pruned.append(1) or prune(self, *a))
    off = _cli_build(dossier_copy, tmp_path / "off.pdf", "--no-cache")
    assert not default.exists() and not pruned
    on = _cli_build(dossier_copy, tmp_path / "on.pdf")
    assert list((default / "pandoc").rglob("*")) and pruned == [1]
    assert on == off
    monkeypatch.setenv("DOSSIER_CACHE", "off")
    _cli_build(dossier_copy, tmp_path / "off2.pdf", "--cache", str(tmp_path / "named"))
    assert list((tmp_path / "named" / "pandoc").rglob("*"))  # --cache DIR wins over the environment


def test_an_edit_after_a_cached_build_is_in_the_pdf(tmp_path: Path, dossier_copy: Path) -> None:
    store = tmp_path / "cache"
    before = _cli_build(dossier_copy, tmp_path / "a.pdf", "--cache", str(store))
    yaml = dossier_copy / "dossier.yaml"
    lines = yaml.read_text(encoding="utf-8").splitlines(keepends=True)
    at = lines.index("summary: |\n") + 1  # one line of the summary's text
    lines[at] = lines[at].replace(lines[at].lstrip(), "Edited. " + lines[at].lstrip(), 1)
    yaml.write_text("".join(lines), encoding="utf-8")
    warm = _cli_build(dossier_copy, tmp_path / "b.pdf", "--cache", str(store))
    clean = _cli_build(dossier_copy, tmp_path / "c.pdf", "--no-cache")
    assert warm == clean != before


def test_the_pandoc_key_changes_with_each_input_and_not_with_the_nonce(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dossier import cache
    from dossier.pandoc import bridge_key

    csl = tmp_path / "style.csl"
    csl.write_bytes(b"<style/>")
    payload: dict[str, Any] = {
        "formats": {"block": "markdown"},
        "fields": [{"key": "f1", "text": "Text [@a].", "mode": "block"}],
        "references": '[{"id": "a"}]',
        "bibtex": ["@book{b, title={B}}"],
        "bibtex_lang": "en",
        "csl": str(csl),
        "lang": "en-US",
        "punctuation_in_quote": True,
        "nonce": "1234",
        "max_depth": 150,
    }
    base = bridge_key(payload, csl, "pandoc 3.1")
    assert bridge_key({**payload, "nonce": "5678"}, csl, "pandoc 3.1") == base
    other = tmp_path / "elsewhere.csl"
    other.write_bytes(b"<style/>")
    assert bridge_key({**payload, "csl": str(other)}, other, "pandoc 3.1") == base  # the style's bytes, not its path
    changed = [
        {**payload, "fields": [{"key": "f1", "text": "Text [@a]!", "mode": "block"}]},
        {**payload, "fields": [{"key": "f1", "text": "Text [@a].", "mode": "inline"}]},
        {**payload, "references": '[{"id": "a", "title": "T"}]'},
        {**payload, "bibtex": ["@book{b, title={C}}"]},
        {**payload, "bibtex_lang": "de"},
        {**payload, "lang": "en-GB"},
        {**payload, "max_depth": 100},
    ]
    keys = {bridge_key(p, csl, "pandoc 3.1") for p in changed}
    assert len(keys) == len(changed) and base not in keys
    assert bridge_key(payload, csl, "pandoc 3.2") != base
    csl.write_bytes(b"<style class='note'/>")
    assert bridge_key(payload, csl, "pandoc 3.1") != base
    csl.write_bytes(b"<style/>")
    assert bridge_key(payload, csl, "pandoc 3.1") == base
    from dossier import pandoc

    monkeypatch.setattr(cache, "versions", lambda: "dossier=0;weasyprint=0")
    assert bridge_key(payload, csl, "pandoc 3.1") != base
    monkeypatch.undo()
    bridge = tmp_path / "bridge.lua"
    bridge.write_bytes(pandoc.BRIDGE.read_bytes() + b"\n-- edited\n")
    monkeypatch.setattr(pandoc, "BRIDGE", bridge)
    assert bridge_key(payload, csl, "pandoc 3.1") != base
