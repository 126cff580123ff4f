"""What the build reads and writes: -o never onto an input, temporary files of a killed build,
images checked where the content names them, and every printed line escaped and bounded."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from dossier import build as build_module
from dossier import output
from dossier.cli import main
from dossier.errors import MESSAGE_MAX, QUOTE_MAX, DossierError, Report, bounded

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "fixtures" / "small"


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip() and not line.startswith("dossier:") and ": warning: " not in line]


@pytest.fixture
def dossier(tmp_path: Path) -> Path:
    dest = tmp_path / "d"
    shutil.copytree(SMALL, dest)
    return dest


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


# -- -o onto an input -------------------------------------------------------------------------


def _refused(root: Path, out: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """Build with `-o out`; it must stop before any work with one error at the output path."""

    def no_work(*_args: object) -> None:
        raise AssertionError("the output should be refused before the dossier is read")

    monkeypatch.setattr(build_module, "prepare", no_work)
    assert main(["build", str(root), "-o", out]) == 1
    lines = _errors(capsys.readouterr().err)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{build_module.display(Path(out))}:1:1: output "), lines
    assert "expected a PDF path outside the files the build reads" in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "spelling",
    [
        "{d}/dossier.yaml",
        "{d}/../d/dossier.yaml",
        "{d}/templates/../dossier.yaml",
        "{d}/./chronology.yaml",
        "{d}/bibliography.yaml",
        "{d}/new-notes.yaml",
        "{d}/refs.BIB",
        "{d}/style.csl",
        "{d}/assets/new.pdf",
        "{d}/templates/briefing.pdf",
        "{d}/templates/sub/briefing.pdf",
    ],
)
def test_output_onto_an_input_is_refused(spelling: str, dossier: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (dossier / "templates" / "sub").mkdir(parents=True)
    (dossier / "assets").mkdir()
    before = {p: p.read_bytes() for p in dossier.rglob("*") if p.is_file()}
    _refused(dossier, spelling.format(d=dossier), monkeypatch, capsys)
    assert {p: p.read_bytes() for p in dossier.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("name", ["templates", "assets", "Assets"])
def test_output_named_as_a_folder_of_the_dossier_is_refused(
    name: str, dossier: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _refused(dossier, f"{dossier}/{name}", monkeypatch, capsys)
    assert f"output would become a file of the dossier that the build reads ('{name}')" in line
    assert not (dossier / name).exists()


def test_output_relative_to_the_working_folder(dossier: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(dossier)
    line = _refused(Path("."), "dossier.yaml", monkeypatch, capsys)
    assert "('dossier.yaml')" in line


def test_output_through_a_symlinked_folder(dossier: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    link = dossier.parent / "link"
    link.symlink_to(dossier)
    _refused(dossier, f"{link}/excerpts.yaml", monkeypatch, capsys)
    (dossier / "assets").mkdir()
    _refused(dossier, f"{link}/assets/x.pdf", monkeypatch, capsys)


def test_output_that_is_a_hard_link_of_an_input(dossier: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (dossier / "refs").mkdir()
    (dossier / "refs" / "main.bib").write_text("@book{a, title={A}}\n", encoding="utf-8")
    for name in ("dossier.yaml", "refs/main.bib"):
        alias = dossier.parent / f"alias-{name.replace('/', '-')}.pdf"
        os.link(dossier / name, alias)
        line = _refused(dossier, str(alias), monkeypatch, capsys)
        assert f"the same file as {dossier}/{name} (a hard link)" in line


def test_output_into_the_theme_is_refused(dossier: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(dossier, "templates/briefing.pdf", monkeypatch, capsys)
    _refused(dossier, "src/dossier/styles/x.pdf", monkeypatch, capsys)


def test_a_pdf_beside_the_content_is_allowed(dossier: Path) -> None:
    output.check_target(dossier / "briefing.pdf", dossier, [dossier / "templates", dossier / "assets"])
    output.check_target(dossier / "out" / "briefing.pdf", dossier, [dossier / "templates"])


# -- temporary files of a killed build --------------------------------------------------------

_KILLED_AT_FSYNC = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from dossier import output
    os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # killed during the final fsync
    output.write_atomic(Path(sys.argv[1]), Path(sys.argv[2]).read_bytes())
""")


def test_a_later_build_removes_the_temporary_file_of_a_killed_one(tmp_path: Path) -> None:
    pdf = tmp_path / "new.pdf"
    pdf.write_bytes(_pdf())
    out = tmp_path / "out" / "briefing.pdf"
    out.parent.mkdir()
    out.write_bytes(b"%PDF-1.7 previous\n%%EOF\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-c", _KILLED_AT_FSYNC, str(out), str(pdf)], env=env, check=False)
    assert proc.returncode == -9
    left = [p.name for p in out.parent.iterdir() if p.name != "briefing.pdf"]
    assert len(left) == 1 and left[0].startswith(".briefing.pdf.") and left[0].endswith(".tmp"), left
    assert out.read_bytes() == b"%PDF-1.7 previous\n%%EOF\n"
    others = [".other.pdf.abcd1234.tmp", ".briefing.pdf.keep.tmp", "briefing.pdf.abcd1234.tmp"]
    for name in others:  # not this target's temporary files: never touched
        (out.parent / name).write_bytes(b"x")

    output.write_atomic(out, pdf.read_bytes())
    assert out.read_bytes() == pdf.read_bytes()
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([*others, "briefing.pdf"])


# -- images -----------------------------------------------------------------------------------

_GOOD_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<!-- drawn by hand -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="100">
  <title>Map of Svalbard</title>
  <style>.sea { fill: url(#g) } text { font-family: Noto Sans }</style>
  <defs>
    <linearGradient id="g"><stop offset="0" stop-color="#9cf"/><stop offset="1" stop-color="#36c"/></linearGradient>
    <path id="coast" d="M10 10 L50 50 Z"/>
  </defs>
  <rect class="sea" width="200" height="100"/>
  <use xlink:href="#coast" style="stroke: black; fill: url(#g)"/>
  <text x="10" y="90">Longyearbyen — Шпицберген</text>
</svg>
"""


def _image(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "teal").save(buf, fmt)
    return buf.getvalue()


def _with_images(root: Path) -> None:
    (root / "assets").mkdir()
    (root / "assets" / "map.svg").write_text(_GOOD_SVG, encoding="utf-8")
    (root / "assets" / "photo.jpg").write_bytes(_image("JPEG"))
    (root / "assets" / "plan.png").write_bytes(_image("PNG"))
    d = root / "dossier.yaml"
    d.write_text(
        d.read_text(encoding="utf-8").replace(
            "summary: |\n", "summary: |\n  ![map](assets/map.svg) ![photo](assets/photo.jpg) ![plan](assets/plan.png)\n\n", 1
        ),
        encoding="utf-8",
    )


def test_images_that_draw_only_from_themselves_pass(dossier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _with_images(dossier)
    assert main(["check", str(dossier)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().err.endswith(": no errors, 1 warning(s)\n")


def test_images_build_and_a_pdf_beside_the_content(dossier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _with_images(dossier)
    out = dossier / "briefing.pdf"
    assert main(["build", str(dossier), "-o", str(out)]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "Warning" not in err and "warning: " not in err.replace("warning: entry 'uncited2000'", "")
    text = "".join(p.extract_text() or "" for p in PdfReader(out).pages)
    assert "Longyearbyen" in text


def test_no_pillow_warning_reaches_the_terminal(dossier: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A JPEG over Pillow's own limit (89 Mpx) made Pillow print a DecompressionBombWarning."""
    (dossier / "assets").mkdir()
    data = bytearray(_image("JPEG", (64, 48)))
    i = data.index(b"\xff\xc0")
    data[i + 5 : i + 9] = (10000).to_bytes(2, "big") + (16000).to_bytes(2, "big")
    (dossier / "assets" / "big.jpg").write_bytes(bytes(data))
    d = dossier / "dossier.yaml"
    d.write_text(d.read_text(encoding="utf-8").replace("summary: |\n", "summary: |\n  ![big](assets/big.jpg)\n\n", 1), encoding="utf-8")
    assert main(["check", str(dossier)]) == 1
    err = capfd.readouterr().err
    assert "DecompressionBomb" not in err and "PIL" not in err
    assert _errors(err) == [f"{dossier}/dossier.yaml:12:10: image 'assets/big.jpg': a JPEG of 16000×10000 pixels, expected at most 50,000,000 pixels"]


# -- printed lines ----------------------------------------------------------------------------


def test_a_folder_name_with_escape_sequences_is_printed_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "d\x1b[2J\x07"
    shutil.copytree(SMALL, root)
    assert main(["check", str(root)]) == 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert err.splitlines()[-1] == f"{tmp_path}/d\\u001b[2J\\u0007: no errors, 1 warning(s)"

    def built(_root: Path, output: Path, *_args: object, **_options: object) -> Report:  # the success line of build
        pdf = pikepdf.new()
        pdf.add_blank_page()
        pdf.save(output)
        return Report()

    monkeypatch.setattr(build_module, "build", built)
    assert main(["build", str(root), "-o", str(tmp_path / "out\x1b]0;x\x07.pdf")]) == 0
    assert capsys.readouterr().err == f"wrote {tmp_path}/out\\u001b]0;x\\u0007.pdf (1 KB, 1 page)\n"


def test_every_message_is_bounded(dossier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line of 1.5 MB before: content quoted at most QUOTE_MAX characters, the location and
    what was expected kept."""
    long = "x" * 20_000  # far more would only slow the test down
    (dossier / "chronology.yaml").write_text(
        f"- date: 1920\n  title: a\n  text: see [a]({long})\n- date: '1920{long}'\n  title: b\n", encoding="utf-8"
    )
    assert main(["check", str(dossier)]) == 1
    lines = _errors(capsys.readouterr().err)
    cut = "x" * (QUOTE_MAX - 1) + "…"
    assert lines == [
        f"{dossier}/chronology.yaml:3:17: link target '{cut}' is not allowed, expected #id, http:, https: or mailto:",
        f"{dossier}/chronology.yaml:4:9: date: expected YYYY, YYYY-MM, YYYY-MM-DD or a range A/B of these, got '1920{cut[4:]}'",
    ]


def test_a_message_without_quotes_keeps_its_start_and_what_was_expected() -> None:
    message = bounded("a problem with " + "y" * 5000 + ", expected something shorter")
    assert len(message) <= MESSAGE_MAX
    assert message.startswith("a problem with yyy") and message.endswith("…, expected something shorter")


def test_an_apostrophe_is_not_a_quotation() -> None:
    message = "image 'assets/map.svg': line 3 of the SVG: " + "z" * 100 + " refers to another file, expected the SVG's own parts"
    assert bounded(message) == message


def test_without_a_folder_lock_the_pdf_is_written_and_other_temp_files_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file system without flock: no way to tell a live writer's temporary file from a dead one's."""

    def no_lock(*_args: object) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(output.fcntl, "flock", no_lock)
    out = tmp_path / "briefing.pdf"
    (tmp_path / ".briefing.pdf.abcd1234.tmp").write_bytes(b"x")
    output.write_atomic(out, _pdf())
    assert out.read_bytes().startswith(b"%PDF-")
    assert (tmp_path / ".briefing.pdf.abcd1234.tmp").exists()


# Red-team round two: what a symlinked folder inside templates/ or assets/ reaches is checked.


def _linked_folder(dossier: Path, target: Path) -> Path:
    """templates/a → a folder elsewhere in the dossier, and a cover that includes a file from it."""
    (dossier / "templates").mkdir()
    (dossier / "templates" / "a").symlink_to(target, target_is_directory=True)
    cover = (ROOT / "templates" / "cover.html").read_text(encoding="utf-8")
    (dossier / "templates" / "cover.html").write_text('<p>{% include "a/part.html" %}</p>\n' + cover, encoding="utf-8")
    return target


def test_a_file_reached_through_a_symlinked_folder_may_not_link_out(dossier: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CANARY", encoding="utf-8")
    other = dossier / "other"
    other.mkdir()
    (other / "part.html").symlink_to(secret)
    _linked_folder(dossier, other)
    assert main(["check", str(dossier)]) == 1
    assert _errors(capsys.readouterr().err) == [
        f"{dossier}/templates/a/part.html:1:1: links to a place outside the dossier, expected a file or folder of the dossier itself"
    ]


@pytest.mark.parametrize("spelling", ["other/part.html", "templates/a/part.html", "templates/new.html", "assets/x.pdf"])
def test_output_may_not_land_where_templates_are_read_even_through_a_link_or_before_the_folder_exists(
    dossier: Path, capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    other = dossier / "other"
    other.mkdir()
    (other / "part.html").write_text("<p>PART</p>\n", encoding="utf-8")
    _linked_folder(dossier, other)
    before = (other / "part.html").read_bytes()
    assert main(["build", str(dossier), "-o", str(dossier / spelling)]) == 1
    [line] = _errors(capsys.readouterr().err)
    assert line.startswith(f"{dossier / spelling}:1:1: output is inside ") and "a folder whose every file the build reads" in line
    assert (other / "part.html").read_bytes() == before and not (dossier / "assets").exists()


def test_a_folder_named_as_a_theme_file_is_an_error(dossier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dossier / "templates" / "style.css").mkdir(parents=True)
    assert main(["check", str(dossier)]) == 1
    assert _errors(capsys.readouterr().err) == [f"{dossier}/templates/style.css:1:1: a folder, expected the file style.css (or nothing of that name)"]


def test_a_hard_link_in_assets_is_an_error(dossier: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("SECRET-CANARY", encoding="utf-8")
    (dossier / "assets").mkdir()
    os.link(outside, dossier / "assets" / "notes.txt")
    assert main(["check", str(dossier)]) == 1
    assert _errors(capsys.readouterr().err) == [
        f"{dossier}/assets/notes.txt:1:1: a file with another name (a hard link, which may lie outside the dossier), "
        "expected a file of the dossier's own (copy it)"
    ]


# -- a broken PDF never replaces the previous one -----------------------------------------------


def _broken_variants(good: bytes) -> dict[str, bytes]:
    body = good[: good.rindex(b"startxref")]
    return {
        "not a pdf": b"<html>" + good,
        "no end marker": good[: good.rindex(b"%%EOF")],
        "cut in half": good[: len(good) // 2] + b"\n%%EOF\n",
        "no cross-reference offset": body + b"%%EOF\n",
        "garbage with a header": b"%PDF-1.7\n" + b"x" * 2000 + b"\n%%EOF\n",
        "an offset into nowhere": body + b"startxref\n99999999\n%%EOF\n",
    }


@pytest.mark.parametrize("case", sorted(_broken_variants(_pdf())))
def test_a_broken_pdf_is_refused_and_the_previous_one_stays(case: str, tmp_path: Path) -> None:
    out = tmp_path / "briefing.pdf"
    previous = _pdf()
    output.write_atomic(out, previous)
    with pytest.raises(DossierError) as caught:
        output.write_atomic(out, _broken_variants(previous)[case])
    assert "refusing to write a broken PDF" in str(caught.value)
    assert out.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["briefing.pdf"]


def test_a_pdf_without_pages_is_refused() -> None:
    empty = PdfWriter()
    buf = io.BytesIO()
    empty.write(buf)
    assert output.check_pdf(buf.getvalue()) == "output has no pages"
