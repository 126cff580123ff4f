"""`dossier watch`: a rebuild on every change to what the build reads, the located errors of a
broken file with the last good PDF kept, no rebuild for the output's own writes, Ctrl-C quiet.

The watcher runs as the user runs it, in its own process; each test waits for the lines it
expects with a generous timeout and never asserts how fast they come."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from dossier import build, theme
from dossier.cli import main
from dossier.watch import ignored, watched

ROOT = Path(__file__).resolve().parents[1]
WAIT = 240.0  # seconds: a build on a busy machine, never a measure of speed


@pytest.fixture(autouse=True)
def _no_home_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Builds in this process (a clean build to compare with, main()) keep nothing in ~/.cache."""
    monkeypatch.setenv("DOSSIER_CACHE", str(tmp_path / "cache"))


class Watcher:
    """`dossier watch DIR -o PDF` in its own process; its standard error read line by line."""

    def __init__(self, folder: Path, output: Path, cache: Path) -> None:
        env = dict(os.environ, DOSSIER_CACHE=str(cache), PYTHONPATH=str(ROOT / "src"))
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "dossier", "watch", str(folder), "-o", str(output)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, start: str) -> str:
        """The next line starting with `start` (the lines before it are kept in self.lines)."""
        deadline = time.monotonic() + WAIT
        while True:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line starting {start!r} within {WAIT:g} s; got {self.lines}") from None
            if line is None:
                raise AssertionError(f"watch ended (status {self.proc.wait()}) before a line starting {start!r}; got {self.lines}")
            self.lines.append(line)
            if line.startswith(start):
                return line

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C: the exit status and everything it printed on both streams after."""
        self.proc.send_signal(signal.SIGINT)
        status = self.proc.wait(timeout=WAIT)
        while (line := self._queue.get(timeout=WAIT)) is not None:
            self.lines.append(line)
        assert self.proc.stdout is not None
        return status, self.proc.stdout.read() + "\n".join(self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def started(dossier_copy: Path, tmp_path: Path) -> Iterator[tuple[Watcher, Path, Path]]:
    """The small dossier, with a theme file of its own (templates/cover.html), under watch; the
    PDF is written into the dossier folder, so that the build's own writes are seen."""
    (dossier_copy / "templates").mkdir()
    shutil.copy(theme.default_theme() / "cover.html", dossier_copy / "templates" / "cover.html")
    output = dossier_copy / "small.pdf"  # inside the watched folder: its writes must not count
    w = Watcher(dossier_copy, output, tmp_path / "cache")
    try:
        w.expect("wrote ")
        w.expect("watching ")
        yield w, dossier_copy, output
    finally:
        w.stop()


def _text(pdf: Path) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.layout  # the watcher's builds (conftest sees no build call in a subprocess's argv)
def test_edit_error_fix_and_ctrl_c(started: tuple[Watcher, Path, Path], tmp_path: Path) -> None:
    w, folder, output = started
    first = w.lines[-2]
    assert first.startswith(f"wrote {output}: ") and first.endswith(" s")
    assert "Blubberwal" not in _text(output)

    _edit(folder / "dossier.yaml", "Sovereignty with equal rights", "Sovereignty of the Blubberwal")
    line = w.expect("rebuilt ")
    assert line.startswith(f"rebuilt {output}: ") and " pages, " in line and line.endswith(" s")
    assert "Blubberwal" in _text(output)
    good = output.read_bytes()

    _edit(folder / "dossier.yaml", "title: The Svalbard", "title: [The Svalbard")
    error = w.expect(f"{folder}/dossier.yaml:")
    assert error.startswith(f"{folder}/dossier.yaml:1:8: YAML syntax error:")
    assert w.expect("dossier: ") == "dossier: stopped with 1 error(s); nothing was written"
    assert output.read_bytes() == good  # the last good PDF stays

    _edit(folder / "dossier.yaml", "title: [The Svalbard", "title: The Svalbard")
    w.expect("rebuilt ")
    assert "Blubberwal" in _text(output)
    clean = tmp_path / "clean.pdf"
    build.build(folder, clean)  # warm and rebuilt gives the bytes of a clean build
    assert output.read_bytes() == clean.read_bytes()

    status, printed = w.interrupt()
    assert status == 0
    assert "Traceback" not in printed and "KeyboardInterrupt" not in printed


@pytest.mark.layout  # the watcher's builds (conftest sees no build call in a subprocess's argv)
def test_theme_edits_rebuild_and_the_output_does_not(started: tuple[Watcher, Path, Path]) -> None:
    w, folder, output = started
    # Writes to the output, its temporary files and a build/ folder: no reason to rebuild.
    output.write_bytes(output.read_bytes())
    (output.parent / f".{output.name}.abcd1234.tmp").write_bytes(b"")
    (folder / "build").mkdir()
    (folder / "build" / "other.pdf").write_bytes(b"%PDF-")
    time.sleep(1)  # apart from the edit below, so that a rebuild they caused would be one of its own

    _edit(folder / "templates" / "cover.html", "{{ d.title }}</h1>", "{{ d.title }}</h1><p>Zeppelinfisch</p>")
    w.expect("rebuilt ")
    _edit(folder / "dossier.yaml", "Sovereignty with equal rights", "Sovereignty of the Blubberwal")
    w.expect("rebuilt ")
    text = _text(output)
    assert "Zeppelinfisch" in text and "Blubberwal" in text
    status, printed = w.interrupt()
    assert status == 0
    assert len([line for line in w.lines if line.startswith("rebuilt ")]) == 2, w.lines


@pytest.mark.layout  # the watcher's builds (conftest sees no build call in a subprocess's argv)
def test_a_change_during_a_rebuild_is_built_too(started: tuple[Watcher, Path, Path]) -> None:
    w, folder, output = started
    _edit(folder / "dossier.yaml", "Sovereignty with equal rights", "Sovereignty of the Blubberwal")
    w.expect("rebuilt ")
    _edit(folder / "dossier.yaml", "Sovereignty of the Blubberwal", "Sovereignty of the Zeppelinfisch")
    time.sleep(0.3)  # most likely while the rebuild of this edit runs:
    _edit(folder / "dossier.yaml", "Sovereignty of the Zeppelinfisch", "Sovereignty of the Tiefseekrake")
    while "Tiefseekrake" not in _text(output):  # the last edit always ends in the PDF
        w.expect("rebuilt ")


def test_what_is_watched_and_what_is_not(dossier_copy: Path, tmp_path: Path) -> None:
    (dossier_copy / "assets").mkdir()
    paths = watched(dossier_copy)
    assert paths[0] == dossier_copy.resolve()
    assert theme.default_theme().resolve() in paths
    assert not any(p != q and p.is_relative_to(q) for p in paths for q in paths)  # each folder once
    output = tmp_path / "out" / "x.pdf"
    skip = ignored(output, dossier_copy)
    assert skip(output) and skip(output.parent / ".x.pdf.k2j_9xz0.tmp")
    assert skip(dossier_copy.resolve() / "build" / "briefing.pdf") and skip(ROOT / "build" / "briefing.pdf")
    assert not skip(dossier_copy.resolve() / "dossier.yaml") and not skip(dossier_copy.resolve() / "assets" / "map.png")
    assert not skip(theme.default_theme().resolve() / "style.css") and not skip(output.parent / "y.pdf")


def test_a_missing_folder_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "no/such/dir"]) == 1
    assert capsys.readouterr().err.splitlines()[0].startswith("no/such/dir:1:1: ")
    for argv in (["watch", "--profile", "nope"], ["watch", "--bleed", "3mm"], ["watch", "--timeout", "0"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2


def test_an_output_the_build_reads_is_refused(dossier_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", str(dossier_copy), "-o", str(dossier_copy / "chronology.yaml")]) == 1
    assert "a file of the dossier that the build reads" in capsys.readouterr().err
