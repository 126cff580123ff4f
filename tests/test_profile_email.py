"""Fonts re-subset in every profile, and the email profile: read from real builds.

The font pass (pdffonts.py) is checked against the same WeasyPrint output saved without
it: the pages render pixel-identical in poppler, their text extracts identically, every
font stays embedded, and each CJK font keeps exactly the glyphs its content streams show,
under the same CIDs. The email profile is checked on the example and on an image-heavy
copy of the small fixture.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from fontTools.cffLib import CFFFontSet
from PIL import Image, ImageChops, ImageFilter

from dossier import build, pdffonts
from dossier.cli import main
from dossier.finish import Job, finish
from dossier.profiles import Profile
from dossier.typeset import EMAIL_DPI, typeset

ROOT = Path(__file__).resolve().parents[1]
SMALL = Path(__file__).parent / "fixtures" / "small"
CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


# -- fixtures: each PDF built once --------------------------------------------------------------


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """WeasyPrint's PDF of the example, before any finishing pass."""
    p = build.prepare(ROOT / "content")
    html, css = build.render_prepared(p)
    return typeset(html, css, ROOT / "content", p.theme_dirs, Profile(), 0)


@pytest.fixture(scope="module")
def before(raw: bytes, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same PDF saved as finish() saves it, without the passes."""
    out = tmp_path_factory.mktemp("fonts") / "before.pdf"
    with pikepdf.open(io.BytesIO(raw)) as doc:
        doc.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out


@pytest.fixture(scope="module")
def after(raw: bytes, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fonts") / "after.pdf"
    out.write_bytes(finish(raw, Job()))
    return out


@pytest.fixture(scope="module")
def email(example_email: tuple[Path, list[str]]) -> tuple[Path, list[str]]:
    """The example built with --profile email and a budget it exceeds; the lines printed."""
    return example_email  # built once per session, in conftest.py


def _photos(root: Path) -> None:
    """Three large photographs (smooth colour with grain, as a camera gives) in assets/,
    shown in the summary the way content shows images."""
    (root / "assets").mkdir()
    refs = []
    for n in range(3):
        noise = Image.effect_noise((3000, 2000), 60 + 10 * n).filter(ImageFilter.GaussianBlur(1.2))
        gradient = Image.linear_gradient("L").resize((3000, 2000)).rotate(30 * n)
        photo = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
        photo.save(root / "assets" / f"photo{n}.jpg", quality=92)
        refs.append(f"![Photograph {n}](assets/photo{n}.jpg)")
    d = root / "dossier.yaml"
    d.write_text(d.read_text(encoding="utf-8").replace("summary: |\n", "summary: |\n  " + "\n\n  ".join(refs) + "\n\n", 1), encoding="utf-8")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The image-heavy dossier built in the standard and the email profile."""
    root = tmp_path_factory.mktemp("photos") / "d"
    shutil.copytree(SMALL, root)
    _photos(root)
    standard, emailed = root.parent / "standard.pdf", root.parent / "email.pdf"
    build.build(root, standard)
    build.build(root, emailed, profile=Profile("email"))
    yield standard, emailed


# -- helpers ----------------------------------------------------------------------------------


@functools.cache
def _open(pdf: Path) -> pikepdf.Pdf:
    return pikepdf.open(pdf)  # kept open: the objects read from it live as long as the file


def _fonts(pdf: Path) -> dict[str, Any]:
    """BaseFont name → Type0 font dictionary, for every font of the file."""
    doc = _open(pdf)
    return {str(o.BaseFont): o for o in doc.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"}


def _program(font: Any) -> pikepdf.Stream:
    descriptor = font.DescendantFonts[0].FontDescriptor
    return next(descriptor[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor)


def _pages_text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.split("\f")


def _render(pdf: Path, page: int, folder: Path) -> Image.Image:
    prefix = folder / f"{pdf.stem}-{page}"
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(prefix)], check=True)
    return Image.open(f"{prefix}.pgm")


def _cff_cids(font: Any) -> set[int]:
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(_program(font).read_bytes()), None)
    return {int(name[3:]) for name in cff[cff.fontNames[0]].charset if name != ".notdef"}


def _shown(pdf: Path) -> dict[str, set[int]]:
    """The codes each font shows, read from the content streams by the pass's own reader."""
    doc = _open(pdf)
    usage = pdffonts.Usage()
    for page in doc.pages:
        usage.page(page)
    return {
        str(o.BaseFont): usage.codes.get(o.objgen, set()) for o in doc.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"
    }


# -- fonts, every profile ---------------------------------------------------------------------


def test_pages_render_pixel_identical_after_resubsetting(before: Path, after: Path, tmp_path: Path) -> None:
    texts = _pages_text(before)
    japanese = [n for n, t in enumerate(texts, 1) if CJK.search(t)]
    assert len(japanese) >= 3, "the example has Japanese on several pages"
    for page in sorted({1, 2, *japanese}):
        a, b = _render(before, page, tmp_path), _render(after, page, tmp_path)
        assert ImageChops.difference(a, b).getbbox() is None, f"page {page} renders differently"


def test_text_extracts_identically(before: Path, after: Path) -> None:
    assert _pages_text(after) == _pages_text(before)


def test_every_font_still_embedded_with_its_widths_and_unicode_map(before: Path, after: Path) -> None:
    old, new = _fonts(before), _fonts(after)
    assert new.keys() == old.keys()
    for name, font in new.items():
        assert _program(font).read_bytes(), name
        assert font.DescendantFonts[0].W == old[name].DescendantFonts[0].W, name
        assert font.ToUnicode.read_bytes() == old[name].ToUnicode.read_bytes(), name
    assert "yes" in subprocess.run(["pdffonts", str(after)], capture_output=True, text=True, check=True).stdout


def test_cjk_fonts_keep_exactly_the_glyphs_shown_under_their_cids(after: Path) -> None:
    shown = _shown(after)
    cjk = {name: font for name, font in _fonts(after).items() if "CJK" in name}
    assert len(cjk) >= 2
    for name, font in cjk.items():
        assert _program(font).get("/Subtype") == "/CIDFontType0C", name  # bare CFF: viewers map CIDs by its charset
        assert _cff_cids(font) == shown[name], name


def test_fonts_shrink(before: Path, after: Path) -> None:
    old = sum(len(_program(f).read_raw_bytes()) for f in _fonts(before).values())
    new = sum(len(_program(f).read_raw_bytes()) for f in _fonts(after).values())
    print(f"font programs: {old} -> {new} bytes; file: {before.stat().st_size} -> {after.stat().st_size} bytes")
    assert new < old / 3
    assert after.stat().st_size < before.stat().st_size * 0.6


def test_resubsetting_and_slimming_are_deterministic(raw: bytes, after: Path) -> None:
    assert finish(raw, Job()) == after.read_bytes()
    assert finish(raw, Job(Profile("email"))) == finish(raw, Job(Profile("email")))


def _program_sizes(doc: pikepdf.Pdf) -> dict[str, int]:
    return {
        str(o.BaseFont): len(_program(o).read_bytes()) for o in doc.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"
    }


def test_text_shown_with_no_font_leaves_every_font_alone(raw: bytes) -> None:
    with pikepdf.open(io.BytesIO(raw)) as doc:
        doc.pages[0].contents_add(doc.make_stream(b"BT (AB) Tj ET"), prepend=True)
        sizes = _program_sizes(doc)
        assert pdffonts.resubset(doc) == {}
        assert _program_sizes(doc) == sizes


def test_a_font_of_resources_the_pass_does_not_read_is_left_alone(raw: bytes) -> None:
    with pikepdf.open(io.BytesIO(raw)) as doc:
        fonts = {str(o.BaseFont): o for o in doc.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"}
        name = next(n for n in fonts if "Sans-CJK" in n)
        unread = pikepdf.Dictionary(Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=fonts[name])))
        doc.make_indirect(unread)  # an object holding resources that nothing here reads (a stand-in for an unknown use)
        sizes = _program_sizes(doc)
        shrunk = pdffonts.resubset(doc)
        assert name not in shrunk and shrunk  # the others are still cut down
        assert _program_sizes(doc)[name] == sizes[name]


def test_no_oblique_or_italic_cjk_face(after: Path) -> None:
    cjk = [name for name in _fonts(after) if "CJK" in name]
    assert cjk and not [n for n in cjk if "Italic" in n or "Oblique" in n]


def test_emphasised_japanese_is_set_upright() -> None:
    """A bibliography title in Japanese is emphasised by the CSL style: its run is marked
    for the theme to set upright, whatever its entry's language."""
    p = build.prepare(ROOT / "content")
    html, _css = build.render_prepared(p)
    titles = re.findall(r"<em>(.*?)</em>", html)
    japanese = [t for t in titles if CJK.search(t)]
    assert japanese
    assert all(re.fullmatch(r'(<span class="cjk">[^<]*</span>|[^<\u3040-\u9fff])*', t) for t in japanese), japanese


# -- email --------------------------------------------------------------------------------------


def test_email_prints_size_and_warns_above_max_size(email: tuple[Path, list[str]]) -> None:
    pdf, lines = email
    size = pdf.stat().st_size
    assert lines[-1] == f"wrote {pdf} ({round(size / 1000)} KB, {len(pikepdf.open(pdf).pages)} pages)"
    warning = [line for line in lines if "--max-size" in line]
    assert warning == [
        f"{pdf}:1:1: warning: the email PDF is {round(size / 1000)} KB, more than --max-size 100 KB: "
        "use fewer or smaller images in assets/ (they are already downsampled to 150 dpi), "
        "or pass a larger --max-size"
    ]


def test_no_warning_within_max_size(tmp_path: Path) -> None:
    out = tmp_path / "small-email.pdf"
    err = io.StringIO()
    with redirect_stderr(err):
        assert main(["build", str(SMALL), "--profile", "email", "-o", str(out)]) == 0
    assert "--max-size" not in err.getvalue()
    assert err.getvalue().splitlines()[-1].startswith(f"wrote {out} (")


def test_email_is_smaller_and_reads_the_same(email: tuple[Path, list[str]], after: Path, tmp_path: Path) -> None:
    pdf, _lines = email
    assert pdf.stat().st_size < after.stat().st_size
    assert _pages_text(pdf) == _pages_text(after)
    for page in (1, 5, len(pikepdf.open(pdf).pages)):  # the same pages: at most a pixel's antialiasing here and there
        diff = ImageChops.difference(_render(after, page, tmp_path), _render(pdf, page, tmp_path))
        changed = sum(diff.histogram()[32:])
        assert changed < diff.width * diff.height / 1000, f"page {page}: {changed} pixels differ"


def test_example_email_at_most_200_kb(email: tuple[Path, list[str]]) -> None:
    assert email[0].stat().st_size <= 200_000


def test_image_heavy_email_is_at_most_a_third(photos: tuple[Path, Path]) -> None:
    standard, emailed = photos
    print(f"image-heavy dossier: standard {standard.stat().st_size} bytes, email {emailed.stat().st_size} bytes")
    assert emailed.stat().st_size <= standard.stat().st_size / 3


def _ppi(pdf: Path) -> list[tuple[float, float]]:
    """(x-ppi, y-ppi) of every image drawn, as poppler measures them at their printed size."""
    out = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    return [(float(r[12]), float(r[13])) for r in rows if r[2] == "image"]


def test_email_images_are_downsampled_to_150_dpi(photos: tuple[Path, Path]) -> None:
    standard, emailed = photos
    assert len(_ppi(standard)) == len(_ppi(emailed)) == 3
    assert all(x > 2 * EMAIL_DPI for x, _y in _ppi(standard))  # the photographs are sharper than email needs
    for x, y in _ppi(emailed):
        assert EMAIL_DPI * 0.9 <= x <= EMAIL_DPI * 1.02 and EMAIL_DPI * 0.9 <= y <= EMAIL_DPI * 1.02, (x, y)
