"""The print profile (duplex, bleed, crop marks, printed addresses), paper sizes and the
theme's contrast, read from real builds as a print shop and a reader would see them."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dossier import build, paper, render, theme
from dossier.cli import main
from dossier.profiles import Profile

if TYPE_CHECKING:
    from PIL import Image

# pikepdf and Pillow are imported where used, not at collection: test_ceilings measures the
# peak memory of a process forked from pytest's, which a 17 MB import at collection would add to.

ROOT = Path(__file__).resolve().parents[1]
SMALL = Path(__file__).parent / "fixtures" / "small"
MM = 72 / 25.4
BLEED = "3mm"
LINK = "https://example.org/svalbard/1920/the-full-text-of-the-treaty-signed-in-paris"


@dataclass(frozen=True)
class Word:
    page: int  # 1-based
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def words(pdf: Path) -> tuple[list[tuple[float, float]], list[Word]]:
    """(width, height) of every page and every word with its box, in points from the top left
    of the page (poppler's pdftotext -bbox, which measures from the MediaBox)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    sizes, found = [], []
    for number, (w, h, body) in enumerate(re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S), 1):
        sizes.append((float(w), float(h)))
        for m in re.finditer(r'xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)<', body):
            found.append(Word(number, *map(float, m.groups()[:4]), m.group(5)))
    return sizes, found


def page_text(pdf: Path, number: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _copy(tmp: Path, name: str, src: Path, paper_size: str | None = None, extra_summary: str = "") -> Path:
    dest = tmp / name
    shutil.copytree(src, dest)
    path = dest / "dossier.yaml"
    text = path.read_text()
    if paper_size:
        text = re.sub(r"(?m)^paper: .*$", f"paper: {paper_size}", text)
    if extra_summary:
        text = text.replace("summary: |\n", "summary: |\n  " + extra_summary + "\n\n", 1)
    path.write_text(text)
    return dest


@pytest.fixture(scope="module")
def print_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example in print, with bleed and crop marks."""
    out = tmp_path_factory.mktemp("print") / "briefing-print.pdf"
    assert main(["build", str(ROOT / "content"), "--profile", "print", "--bleed", BLEED, "--marks", "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def a5_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example on A5, in print (mirrored pages, no bleed)."""
    tmp = tmp_path_factory.mktemp("a5")
    out = tmp / "a5.pdf"
    build.build(_copy(tmp, "content", ROOT / "content", "A5"), out, profile=Profile("print"))
    return out


LINKED = (
    f"The full text is [on the treaty's page]({LINK}); write to [the desk](mailto:desk@example.org) "
    "or to <mailto:arctic@example.org>; the [first article](#art1) is quoted below."
)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The small dossier with web links in its summary, on letter paper, in print and standard."""
    tmp = tmp_path_factory.mktemp("linked")
    src = _copy(tmp, "d", SMALL, "letter", LINKED)
    out = {}
    for name in ("standard", "print"):
        out[name] = tmp / f"{name}.pdf"
        build.build(src, out[name], profile=Profile(name))
    return out


def _boxes(pdf: Path) -> list[dict[str, list[float]]]:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return [{k: [float(v) for v in page.obj[k]] for k in ("/MediaBox", "/TrimBox", "/BleedBox")} for page in doc.pages]


# Bleed and marks --------------------------------------------------------------------------------


def test_bleed_gives_trim_and_bleed_boxes_around_the_paper(print_pdf: Path, example_pdf: Path) -> None:
    import pikepdf

    bleed = float(BLEED.removesuffix("mm")) * MM
    with pikepdf.open(example_pdf) as doc:
        a4 = [float(v) for v in doc.pages[0].mediabox]
        assert [float(v) for v in doc.pages[0].trimbox] == a4  # no bleed: the paper is trimmed nowhere
    for boxes in _boxes(print_pdf):
        media, trim, bleed_box = boxes["/MediaBox"], boxes["/TrimBox"], boxes["/BleedBox"]
        assert trim[2] - trim[0] == pytest.approx(a4[2] - a4[0], abs=0.01)  # the trimmed page is A4
        assert trim[3] - trim[1] == pytest.approx(a4[3] - a4[1], abs=0.01)
        assert media[2] - media[0] == pytest.approx(trim[2] - trim[0] + 2 * bleed, abs=0.01)  # trim + 2 × bleed
        assert media[3] - media[1] == pytest.approx(trim[3] - trim[1] + 2 * bleed, abs=0.01)
        for i in range(4):  # media ⊇ bleed ⊇ trim, each side
            sign = -1 if i < 2 else 1
            assert sign * media[i] >= sign * bleed_box[i] - 0.01 and sign * bleed_box[i] >= sign * trim[i] + bleed - 0.01


def _dark(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(1 for v in image.crop(box).convert("L").get_flattened_data() if v < 160)


@pytest.fixture(scope="module")
def bleed_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small dossier in print with the same bleed and no crop marks."""
    out = tmp_path_factory.mktemp("bleed") / "bleed.pdf"
    build.build(SMALL, out, profile=Profile("print", bleed_mm=float(BLEED.removesuffix("mm"))))
    return out


def test_marks_draw_crop_marks_in_the_bleed(print_pdf: Path, bleed_only: Path, tmp_path: Path) -> None:
    from PIL import Image

    dpi = 200
    bleed = round(float(BLEED.removesuffix("mm")) / 25.4 * dpi)
    for pdf, marks in ((print_pdf, True), (bleed_only, False)):
        for number in (1, 6):
            stem = tmp_path / f"{pdf.stem}-{number}"
            subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(number), "-l", str(number), "-singlefile", str(pdf), str(stem)], check=True)
            image = Image.open(f"{stem}.png")
            w, h = image.size
            # Each corner outside the trim holds the two strokes of a mark along the trim lines,
            # and only with --marks.
            for x, y in ((0, 0), (w - bleed, 0), (0, h - bleed), (w - bleed, h - bleed)):
                assert (_dark(image, (x, y, x + bleed, y + bleed)) > 0) == marks, (pdf.name, number, x, y)
            # Nothing else prints in the bleed: the middle of each edge is blank.
            for box in ((w // 2 - 40, 0, w // 2 + 40, bleed - 2), (0, h // 2 - 40, bleed - 2, h // 2 + 40)):
                assert _dark(image, box) == 0


# Duplex -----------------------------------------------------------------------------------------


def _page_numbers(pdf: Path) -> dict[int, Word]:
    """The word 'Page' of each page's 'Page N of M' foot."""
    sizes, found = words(pdf)
    return {w.page: w for w in found if w.text == "Page" and w.y0 > sizes[w.page - 1][1] * 0.85}


def test_page_numbers_on_the_outer_edge_in_print_only(print_pdf: Path, example_pdf: Path) -> None:
    sizes, _ = words(print_pdf)
    numbers = _page_numbers(print_pdf)
    assert len({n % 2 for n in numbers}) == 2  # both sides carry numbers
    for number, w in numbers.items():
        middle = sizes[number - 1][0] / 2
        assert (w.x0 > middle) if number % 2 else (w.x1 < middle), number  # right pages right, left pages left
    standard_sizes, _ = words(example_pdf)
    assert all(w.x0 > standard_sizes[0][0] / 2 for w in _page_numbers(example_pdf).values())


def test_text_block_is_mirrored_on_facing_pages(print_pdf: Path) -> None:
    sizes, found = words(print_pdf)
    geometry = paper.page("A4", "print")
    bleed = float(BLEED.removesuffix("mm")) * MM
    left: dict[int, float] = {}
    right: dict[int, float] = {}
    for w in found:
        if w.page > 2 and geometry.top * MM + bleed < w.y0 < sizes[w.page - 1][1] - geometry.bottom * MM - bleed:
            left[w.page] = min(left.get(w.page, 1e9), w.x0 - bleed)
            right[w.page] = max(right.get(w.page, 0), w.x1 - bleed)
    odd = min(v for k, v in left.items() if k % 2)
    even = min(v for k, v in left.items() if not k % 2)
    assert odd == pytest.approx(geometry.inside * MM, abs=1.5)  # right-hand pages: the wide margin at the left
    assert even == pytest.approx(geometry.outside * MM, abs=1.5)  # left-hand pages: it moves to the right
    assert geometry.inside > geometry.outside
    width = sizes[0][0] - 2 * bleed
    assert max(v for k, v in right.items() if k % 2) <= width - geometry.outside * MM + 1
    assert max(v for k, v in right.items() if not k % 2) <= width - geometry.inside * MM + 1


def test_every_section_opens_on_a_right_hand_page(print_pdf: Path, example_pdf: Path) -> None:
    import pikepdf

    with pikepdf.open(print_pdf) as doc, doc.open_outline() as outline:
        starts = {item.title: doc.pages.index(pikepdf.Page(item.destination[0])) + 1 for item in outline.root}
        count = len(doc.pages)
    assert len(starts) >= 5 and all(page % 2 == 1 for page in starts.values()), starts
    contents = next(n for n in range(1, count + 1) if "Contents" in page_text(print_pdf, n))
    assert contents % 2 == 1
    with pikepdf.open(example_pdf) as doc, doc.open_outline() as outline:  # standard: no page is left blank
        assert any((doc.pages.index(pikepdf.Page(i.destination[0])) + 1) % 2 == 0 for i in outline.root)


def test_blank_pages_carry_no_head_or_foot(print_pdf: Path) -> None:
    import pikepdf

    sizes, found = words(print_pdf)
    pages = {n: [w for w in found if w.page == n] for n in range(1, len(sizes) + 1)}
    blank = [n for n, ws in pages.items() if not ws]
    assert blank and all(n % 2 == 0 for n in blank)  # left pages, before a section
    geometry = paper.page("A4", "print")
    bleed = float(BLEED.removesuffix("mm")) * MM
    for n, ws in pages.items():  # no page holds only its head and foot
        height = sizes[n - 1][1]
        body = [w for w in ws if geometry.top * MM + bleed < w.y0 < height - geometry.bottom * MM - bleed]
        assert body or not ws, n
    with pikepdf.open(print_pdf) as doc:
        for n in blank:
            page = doc.pages[n - 1]
            assert not page.get_images() and not page.obj.get("/Annots")


# Web addresses ----------------------------------------------------------------------------------


def _squashed(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", text)  # an address broken over lines (never hyphenated), joined back


def test_web_addresses_printed_in_print_only(linked: dict[str, Path]) -> None:
    printed, standard = _squashed(linked["print"]), _squashed(linked["standard"])
    assert f"<{LINK}>" in printed and "<desk@example.org>" in printed
    assert LINK not in standard and "desk@example.org" not in standard
    # An address that is its own text (<mailto:…>, a bibliography URL) is not printed twice,
    # and a link within the briefing prints its page, never its address.
    assert printed.count("arctic@example.org") == standard.count("arctic@example.org") == 1, printed
    assert printed.count("https://example.org/uncited") == standard.count("https://example.org/uncited") == 1
    assert "#art1" not in printed and "<#" not in printed


def test_a_long_address_breaks_inside_the_text_block(linked: dict[str, Path]) -> None:
    sizes, found = words(linked["print"])
    pieces = [w for w in found if "example.org/svalbard" in w.text or "treaty-signed-in-paris" in w.text]
    assert pieces
    for w in found:
        width = sizes[w.page - 1][0]
        assert 0 <= w.x0 and w.x1 <= width - paper.page("letter", "print").outside * MM + 1, w


# Paper sizes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["a5", "letter"])
def test_paper_size_and_nothing_outside_the_text_block(which: str, a5_pdf: Path, linked: dict[str, Path]) -> None:
    import pikepdf

    pdf, name = (a5_pdf, "A5") if which == "a5" else (linked["print"], "letter")
    _css, width_mm, height_mm = paper.SIZES[name.lower()]
    geometry = paper.page(name, "print")
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            box = [float(v) for v in page.mediabox]
            assert (box[2] - box[0], box[3] - box[1]) == (pytest.approx(width_mm * MM, abs=0.05), pytest.approx(height_mm * MM, abs=0.05))
    sizes, found = words(pdf)
    assert found
    for w in found:  # every word within the page, and within its margins sideways
        width, height = sizes[w.page - 1]
        inner_left = geometry.inside if w.page % 2 else geometry.outside
        inner_right = geometry.outside if w.page % 2 else geometry.inside
        assert 0 <= w.y0 and w.y1 <= height, w
        assert inner_left * MM - 1 <= w.x0 and w.x1 <= width - inner_right * MM + 1, w


def test_the_timeline_is_drawn_to_the_text_width() -> None:
    """An SVG does not reflow: on A5 it is laid out to the narrower text block (the words of
    its labels are inside the margins, test above); on A4 it keeps its design width."""
    prepared = build.prepare(SMALL)
    widths = {}
    for size in ("A4", "A5", "B5"):
        prepared.dossier.paper = size
        html, _css = render.render_html(prepared.dossier, prepared.formatted, prepared.theme_dirs, None, Profile("print"))
        widths[size] = float(re.search(r'class="timeline-figure" style="[^"]*\bwidth: ([\d.]+)mm', html).group(1))  # type: ignore[union-attr]
        assert widths[size] <= paper.page(size, "print").text_width
    assert widths["A4"] == render.TIMELINE_WIDTH_MM and widths["A5"] < widths["B5"] < widths["A4"]


def test_the_running_title_is_cut_to_the_head_of_smaller_paper() -> None:
    from dossier.errors import Location
    from dossier.model import Dossier, Text

    title = "The Svalbard Treaty of 1920 and the Equal Rights of the Parties in the Archipelago: Fisheries, Mining and Research"
    heads = {}
    for size in ("A4", "A5"):
        d = Dossier(root=Path("."), title=Text(title, Location("dossier.yaml", 1, 1)), paper=size)
        heads[size] = render.running_title(d)
    assert heads["A4"].endswith("…") and heads["A5"].endswith("…")
    share = paper.page("A5").text_width / paper.page("A4").text_width
    assert len(heads["A5"]) <= render.RUNNING_TITLE_WIDTH * share < len(heads["A4"])


def test_unknown_paper_size_is_refused_where_written(dossier_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = dossier_copy / "dossier.yaml"
    lines = path.read_text().splitlines()
    row = next(i for i, line in enumerate(lines, 1) if line.startswith("paper:"))
    path.write_text("\n".join(re.sub(r"^paper: .*", "paper: A3", line) for line in lines) + "\n")
    assert main(["check", str(dossier_copy)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{dossier_copy}/dossier.yaml:{row}:8: paper: 'A3' is not a paper size, expected one of {paper.names()}"


def test_every_listed_paper_size_is_accepted(dossier_copy: Path) -> None:
    path = dossier_copy / "dossier.yaml"
    original = path.read_text()
    for key, (css, _w, _h) in paper.SIZES.items():
        path.write_text(re.sub(r"(?m)^paper: .*$", f"paper: {key.upper()}", original))
        assert build.prepare(dossier_copy).dossier.paper == css


# Options ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bleed", "3mm"], "--bleed and --marks are options of --profile print"),
        (["--marks"], "--bleed and --marks are options of --profile print"),
        (["--profile", "print", "--bleed", "3"], "'3' is not a length, expected a number with a unit such as 3mm or 0.125in"),
        (["--profile", "print", "--bleed", "three mm"], "'three mm' is not a length"),
        (["--profile", "print", "--bleed", "2in"], "expected at most 1in (25.4mm)"),
    ],
)
def test_bad_print_options_are_refused(args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", str(SMALL), "-o", str(tmp_path / "x.pdf"), *args])
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_bleed_and_marks_hold_with_a_dossiers_own_stylesheet(dossier_copy: Path, tmp_path: Path) -> None:
    """They are options, not design: appended after whatever style.css the dossier brings."""
    (dossier_copy / "templates").mkdir()
    own = "@page { size: A5; margin: 10mm; bleed: 0; marks: none; }\nbody { font-family: 'Noto Serif'; }\n"
    (dossier_copy / "templates" / "style.css").write_text(own)
    out = tmp_path / "own.pdf"
    build.build(dossier_copy, out, profile=Profile("print", bleed_mm=5.0, marks=True))
    boxes = _boxes(out)[0]
    a4 = paper.SIZES["a4"]  # dossier.yaml's paper wins over the stylesheet's size too
    assert boxes["/TrimBox"][2] - boxes["/TrimBox"][0] == pytest.approx(a4[1] * MM, abs=0.05)
    assert boxes["/MediaBox"][2] - boxes["/MediaBox"][0] == pytest.approx((a4[1] + 10) * MM, abs=0.05)


@pytest.mark.parametrize("profile", ["standard", "print"])
def test_the_rendered_stylesheet_keeps_the_lines_of_style_css(profile: str) -> None:
    """WeasyPrint names the line of the rendered CSS: it must be the line of style.css."""
    prepared = build.prepare(SMALL)
    css = render.render_html(prepared.dossier, prepared.formatted, prepared.theme_dirs, None, Profile(profile))[1]
    source = (theme.default_theme() / "style.css").read_text().splitlines()
    rendered = css.splitlines()
    assert len(rendered) >= len(source)
    for a, b in zip(source, rendered, strict=False):
        if "{{" not in a:
            assert a == b


# Contrast ---------------------------------------------------------------------------------------


def _luminance(colour: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0–1 channels)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in colour]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every style rule, at-rules' nested rules included, with
    var(--x) resolved from :root."""
    import tinycss2

    found: list[tuple[str, dict[str, str]]] = []

    def walk(nodes: list[object], prefix: str) -> None:
        for node in nodes:
            kind = getattr(node, "type", "")
            if kind not in ("qualified-rule", "at-rule") or getattr(node, "content", None) is None:
                continue
            head = tinycss2.serialize(node.prelude).strip()  # type: ignore[attr-defined]
            name = f"{prefix}@{node.at_keyword} {head}".strip() if kind == "at-rule" else f"{prefix}{head}"  # type: ignore[attr-defined]
            body = tinycss2.parse_blocks_contents(node.content, skip_whitespace=True, skip_comments=True)  # type: ignore[attr-defined]
            decls = {d.lower_name: tinycss2.serialize(d.value).strip() for d in body if d.type == "declaration"}
            found.append((name, decls))
            walk([b for b in body if b.type in ("qualified-rule", "at-rule")], name + " ")
            if kind == "at-rule":  # @page's margin boxes come back as at-rules inside its block
                walk(tinycss2.parse_rule_list(node.content, skip_whitespace=True, skip_comments=True), name + " ")  # type: ignore[attr-defined]

    walk(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True), "")
    root = next(d for s, d in found if s == ":root")
    return [(s, {k: re.sub(r"var\((--[\w-]+)\)", lambda m: root[m.group(1)], v) for k, v in d.items()}) for s, d in found]


def _colours(value: str) -> list[tuple[float, float, float]]:
    import tinycss2.color3

    out = []
    for token in re.findall(r"#[0-9a-fA-F]{3,8}\b|\b[a-z]+\b", value):
        parsed = tinycss2.color3.parse_color(token)
        if parsed is not None and not isinstance(parsed, str) and parsed.alpha > 0:
            out.append((parsed.red, parsed.green, parsed.blue))
    return out


@pytest.fixture(scope="module")
def stylesheets() -> dict[str, list[tuple[str, dict[str, str]]]]:
    prepared = build.prepare(SMALL)
    return {
        name: _rules(render.render_html(prepared.dossier, prepared.formatted, prepared.theme_dirs, None, Profile(name))[1])
        for name in ("standard", "print", "email", "archive")
    }


WHITE = (1.0, 1.0, 1.0)


@pytest.mark.parametrize("profile", ["standard", "print", "email", "archive"])
def test_rules_borders_and_tints_stay_visible_in_grayscale(profile: str, stylesheets: dict[str, list[tuple[str, dict[str, str]]]]) -> None:
    rules = stylesheets[profile]
    backgrounds = [c for _s, d in rules for k, v in d.items() if k in ("background", "background-color") for c in _colours(v)]
    tints = [c for c in backgrounds if _ratio(c, WHITE) < 3]
    borders = 0
    for selector, decls in rules:
        for key, value in decls.items():
            if key.startswith(("border", "outline", "column-rule")) and "none" not in value:
                for colour in _colours(value):
                    borders += 1
                    # every rule and border at least 3:1 against the paper and every tint it may cross
                    assert _ratio(colour, WHITE) >= 3, (selector, key, value)
                    assert all(_ratio(colour, t) >= 3 for t in tints), (selector, key, value)
        fills = [c for k, v in decls.items() if k in ("background", "background-color") for c in _colours(v)]
        for fill in fills:
            if _ratio(fill, WHITE) < 3:  # a light tint is decoration: a 3:1 border shows where it ends
                edges = [c for k, v in decls.items() if k.startswith("border") for c in _colours(v)]
                assert any(_ratio(c, WHITE) >= 3 for c in edges), (selector, "a tint with no border of 3:1")
            for colour in _colours(decls.get("color", "")):  # and text on a fill stays text-legible
                assert _ratio(colour, fill) >= 4.5, (selector, decls.get("color"))
    assert borders >= 10 and tints  # the stylesheet was read
