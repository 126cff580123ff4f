"""The command line as a user meets it: help, exit status, one line per error, the previous PDF kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from dossier.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_help_for_each_command(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["build", "--help"], ["check", "--help"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
    out = capsys.readouterr().out
    assert "-o OUTPUT" in out and "dossier folder (default: content)" in out


def test_check_reports_warnings_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "tests/fixtures/small"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "tests/fixtures/small/bibliography.yaml:17:3: warning: entry 'uncited2000' is cited nowhere; it is still listed in the bibliography",
        "tests/fixtures/small: no errors, 1 warning(s)",
    ]


def test_error_lines_count_and_status(dossier_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dossier_copy / "chronology.yaml").write_text("- date: 1956-02-30\n  title: a\n  titel: b\n")
    assert main(["check", str(dossier_copy)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{dossier_copy}/chronology.yaml:1:9: date: 1956-02-30 is not on the calendar, expected a day 01–29",
        f"{dossier_copy}/chronology.yaml:3:3: unknown key 'titel' in event (a typo of 'title'?), expected one of: date, title, text, sources, id",
        "dossier: stopped with 2 error(s); nothing was written",
    ]


def test_failed_build_leaves_previous_pdf_untouched(dossier_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.pdf"
    previous = b"%PDF-1.7 previous build\n%%EOF\n"
    out.write_bytes(previous)
    (dossier_copy / "excerpts.yaml").write_text("- id: x\n  document: d\n  source: nosuch\n  text: t\n")
    assert main(["build", str(dossier_copy), "-o", str(out)]) == 1
    assert out.read_bytes() == previous
    assert "Traceback" not in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf", "d"] or sorted(p.name for p in tmp_path.iterdir()) == ["d", "out.pdf"]


def test_debug_shows_traceback(dossier_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dossier_copy / "dossier.yaml").write_text("title: [unclosed\n")
    assert main(["check", "--debug", str(dossier_copy)]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_python_dash_m_and_a_successful_build(dossier_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "b" / "x.pdf"
    proc = subprocess.run(
        [sys.executable, "-m", "dossier", "build", str(dossier_copy), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    pages = len(pikepdf.open(out).pages)
    assert proc.stderr.splitlines()[-1] == f"wrote {out} ({max(1, round(out.stat().st_size / 1000))} KB, {pages} pages)"
    assert out.read_bytes().startswith(b"%PDF-")
    assert not [p for p in out.parent.iterdir() if p.name != "x.pdf"]  # no temporary file left behind


def test_missing_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "no/such/dir"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == "no/such/dir:1:1: no such folder, expected a dossier folder holding dossier.yaml"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("dossier.yaml", "a file, not a folder (give the folder that holds it)"),
        ("notes.txt", "a file, not a folder"),
    ],
)
def test_a_file_given_for_the_folder(name: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    given = tmp_path / name
    given.write_text("title: x\n", encoding="utf-8")
    assert main(["check", str(given)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == f"{given}:1:1: {said}, expected a dossier folder holding dossier.yaml"


def test_check_reports_entries_lacking_what_their_type_needs(dossier_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = dossier_copy / "bibliography.yaml"
    path.write_text(path.read_text() + "- id: bare\n  type: book\n  title: A Book Without Publisher\n")
    summary = dossier_copy / "dossier.yaml"
    summary.write_text(summary.read_text().replace("Russian name:", "[@bare] Russian name:"))
    assert main(["check", str(dossier_copy)]) == 0
    err = capsys.readouterr().err
    assert (
        f"{dossier_copy}/bibliography.yaml:22:3: warning: entry 'bare' (book) has no author or editor, date (issued), publisher,"
        " which its reference needs" in err
    )


def test_output_that_is_a_folder_or_a_link_is_refused_before_building(dossier_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["build", str(dossier_copy), "-o", str(folder)]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (f"{folder}:1:1: output is a folder, expected a file path to write the PDF to (-o FILE.pdf)")
    target = tmp_path / "elsewhere.pdf"
    target.write_bytes(b"%PDF-1.7 keep\n%%EOF\n")
    (tmp_path / "link.pdf").symlink_to(target)
    assert main(["build", str(dossier_copy), "-o", str(tmp_path / "link.pdf")]) == 1
    assert "output is a symbolic link" in capsys.readouterr().err
    assert target.read_bytes() == b"%PDF-1.7 keep\n%%EOF\n"


def test_timeout_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", "--timeout", "-1"])
    assert info.value.code == 2
    assert "'-1' is not a positive number" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "warned"), [("brief.txt", True), ("brief", True), ("brief.PDF", False), ("brief.pdf", False)])
def test_an_output_name_not_ending_in_pdf_is_a_warning(
    name: str, warned: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The warning comes before any work, the PDF is still written where asked (here the build
    itself is replaced: what is checked is the command line's handling of the name)."""
    from dossier import build as build_module
    from dossier.errors import Report

    written: list[Path] = []

    def fake_build(root: Path, output: Path, *args: object, **kwargs: object) -> Report:
        output.write_bytes(b"%PDF-1.7\n")
        written.append(output)
        return Report()

    monkeypatch.setattr(build_module, "build", fake_build)
    monkeypatch.setattr("dossier.cli._figures", lambda pdf: "1 KB, 1 page")
    out = tmp_path / name
    assert main(["build", "content", "-o", str(out)]) == 0
    lines = capsys.readouterr().err.splitlines()
    warning = f"{out}:1:1: warning: the output name does not end in .pdf, expected FILE.pdf (written as asked)"
    assert (warning in lines) is warned
    assert written == [out]
