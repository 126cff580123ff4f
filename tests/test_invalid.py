"""Broken dossiers as data: every mistake gives its exact located error, exit 1, nothing written.

Each folder under `tests/fixtures/invalid/` is the small fixture dossier with
one mistake (a few cases hold several, to pin that one run reports them all),
beside `expected.err`: the exact error lines `dossier check` must print for it,
one per mistake, `FILE:LINE:COL: message`, FILE as printed when the check runs
from the repository root (Black's `tests/data/cases`). Warnings and the final
`dossier: stopped with N error(s)` line are not part of `expected.err`.

A case holds only what differs from `tests/fixtures/small` (and, in
`case.yaml`, the base files it leaves out): `invalid_case.py` puts the whole
dossier together at the same relative path under a scratch folder, so the
messages read as for a full copy. To add or try a case, see `invalid_case.py`.

`KNOWN_GAPS` lists the cases where the tool does not yet print what
`expected.err` says (strict xfail: the test fails as soon as the tool is
fixed, so the entry can be removed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dossier.cli import main
from invalid_case import BASE, deleted, materialize

ROOT = Path(__file__).resolve().parents[1]
INVALID = ROOT / "tests" / "fixtures" / "invalid"
PREVIOUS_PDF = b"%PDF-1.7 previous\n%%EOF\n"
MAX_BYTES = 2 * 1024 * 1024  # the size cap for one content file (issue 5)

# Cases where `dossier check` does not print expected.err yet: name → what is wrong.
KNOWN_GAPS: dict[str, str] = {}

# Cases whose `dossier build` does not stop with status 1 yet (the previous PDF is still kept).
BUILD_GAPS: dict[str, str] = {}


def _cases(gaps: dict[str, str]) -> list[Any]:
    params = []
    for case in sorted(p for p in INVALID.iterdir() if p.is_dir()):
        marks = [pytest.mark.xfail(strict=True, reason=gaps[case.name])] if case.name in gaps else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def _error_lines(stderr: str) -> list[str]:
    """The error lines a user sees: not warnings, not the closing `dossier:` summary."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("dossier:") and ": warning: " not in line]


def test_every_case_has_its_expected_errors_and_every_gap_a_case() -> None:
    cases = {p.name for p in INVALID.iterdir() if p.is_dir()}
    assert len(cases) >= 40
    for name in sorted(cases):
        expected = INVALID / name / "expected.err"
        assert expected.is_file(), f"{name}: expected.err missing"
        lines = expected.read_text(encoding="utf-8").splitlines()
        assert lines, f"{name}: expected.err is empty"
        for line in lines:
            assert line.startswith(f"tests/fixtures/invalid/{name}/"), f"{name}: {line!r} does not name a file of the case"
        deleted(INVALID / name)  # a case.yaml is readable and deletes only files of the base
        for base_file in BASE.iterdir():
            mine = INVALID / name / base_file.name
            copied = mine.is_file() and not mine.is_symlink() and mine.read_bytes() == base_file.read_bytes()
            assert not copied, f"{name}: {base_file.name} is a copy of the base, remove it (invalid_case.py reduce {name})"
    assert set(KNOWN_GAPS) <= cases, set(KNOWN_GAPS) - cases
    assert set(BUILD_GAPS) <= cases, set(BUILD_GAPS) - cases


@pytest.mark.parametrize("case", _cases(KNOWN_GAPS))
def test_check_prints_exactly_the_expected_errors(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = materialize(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    status = main(["check", str(folder.relative_to(tmp_path))])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    expected = (case / "expected.err").read_text(encoding="utf-8").splitlines()
    assert _error_lines(captured.err) == expected
    assert status == 1


@pytest.mark.parametrize("case", _cases(BUILD_GAPS))
def test_failed_build_leaves_the_previous_pdf_untouched(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = materialize(case, tmp_path / "scratch")
    monkeypatch.chdir(tmp_path / "scratch")
    out = tmp_path / "briefing.pdf"
    out.write_bytes(PREVIOUS_PDF)
    status = main(["build", str(folder.relative_to(tmp_path / "scratch")), "-o", str(out)])
    capsys.readouterr()
    assert out.read_bytes() == PREVIOUS_PDF
    assert status == 1


@pytest.mark.parametrize("name", ["dossier.yaml", "chronology.yaml", "bibliography.json"])
def test_a_file_above_the_size_cap_is_refused(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Generated here rather than committed: a content file just over 2 MiB."""
    monkeypatch.chdir(ROOT)
    root = tmp_path / "big"
    root.mkdir()
    (root / "dossier.yaml").write_text("title: A big dossier\n", encoding="utf-8")
    line = {
        "dossier.yaml": "  A line of summary text, repeated until the file is too big.\n",
        "chronology.yaml": "- date: 1920\n  title: An event repeated until the file is too big\n",
        "bibliography.json": '{"id": "e", "type": "book", "title": "Repeated"},\n',
    }[name]
    head = {"dossier.yaml": "title: A big dossier\nsummary: |\n", "chronology.yaml": "", "bibliography.json": "[\n"}[name]
    tail = {"dossier.yaml": "", "chronology.yaml": "", "bibliography.json": '{"id": "last", "type": "book"}\n]\n'}[name]
    data = (head + line * (MAX_BYTES // len(line) + 1) + tail).encode("utf-8")
    assert len(data) > MAX_BYTES
    (root / name).write_bytes(data)

    status = main(["check", str(root)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert _error_lines(captured.err) == [f"{root}/{name}:1:1: file is {len(data)} bytes, expected at most {MAX_BYTES}"]
    assert status == 1

    out = tmp_path / "briefing.pdf"
    out.write_bytes(PREVIOUS_PDF)
    assert main(["build", str(root), "-o", str(out)]) == 1
    capsys.readouterr()
    assert out.read_bytes() == PREVIOUS_PDF
