"""The ceilings cover every stage and every process: pandoc, the parent's own work, the child.

Pandoc is made big or slow by a fake (`DOSSIER_PANDOC`) that misbehaves in one mode and runs
the real pandoc otherwise: a deterministic test of the mechanism (RLIMIT_AS set before exec,
the build's time budget, the process group killed, death with the parent), whatever input
would make the real one misbehave.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from dossier import pandoc
from dossier.build import build, check
from dossier.errors import DossierError
from dossier.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here needs pandoc to run: a cached output (from another test of the same
    content, in the suite's shared DOSSIER_CACHE) would skip the very process under test."""
    monkeypatch.setenv("DOSSIER_CACHE", "off")


FAKE = textwrap.dedent("""\
    import mmap, os, sys, time
    argv = sys.argv[1:]
    mode = "lua" if argv[:1] == ["lua"] else "bib" if "biblatex" in argv else "other"
    if mode == os.environ["FAKE_MODE"]:
        with open(os.environ["FAKE_PIDFILE"], "w") as f:
            f.write(str(os.getpid()))
        if os.environ["FAKE_DOES"] == "allocate":  # 2 GiB, never touched: only RLIMIT_AS refuses it
            try:
                mmap.mmap(-1, 2 << 30)
            except OSError:
                sys.stderr.write("pandoc: out of memory\\n")
                sys.exit(251)
            sys.stderr.write("no memory ceiling\\n")
            sys.exit(3)
        time.sleep(600)
    os.execv(os.environ["FAKE_REAL"], [os.environ["FAKE_REAL"], *argv])
""")


@pytest.fixture
def fake_pandoc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Install the fake: `fake_pandoc(mode, does)`; returns the file the fake writes its pid to."""
    real = pandoc.pandoc_path()
    script = tmp_path / "fake-pandoc"
    script.write_text(f"#!{sys.executable}\n" + FAKE)
    script.chmod(0o755)
    pidfile = tmp_path / "fake.pid"

    def install(mode: str, does: str) -> Path:
        monkeypatch.setenv("DOSSIER_PANDOC", str(script))
        monkeypatch.setenv("FAKE_REAL", real)
        monkeypatch.setenv("FAKE_MODE", mode)
        monkeypatch.setenv("FAKE_DOES", does)
        monkeypatch.setenv("FAKE_PIDFILE", str(pidfile))
        return pidfile

    return install


def _with_bibtex(dossier: Path) -> None:
    """Replace the CSL YAML bibliography by the same two entries in BibTeX."""
    (dossier / "bibliography.yaml").unlink()
    (dossier / "bibliography.bib").write_text(
        "@book{ulfstein1995,\n  title = {The Svalbard Treaty},\n  author = {Ulfstein, Geir},\n"
        "  publisher = {Universitetsforlaget},\n  year = {1995}\n}\n\n"
        "@misc{treaty1920,\n  title = {Treaty concerning Spitsbergen},\n  date = {1920-02-09}\n}\n\n"
        "@book{uncited2000,\n  title = {Uncited},\n  author = {Nobody, A.},\n  publisher = {P},\n  year = {2000}\n}\n"
    )


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")  # a zombie runs nothing


@pytest.mark.parametrize("command", ["build", "check"])
def test_pandoc_for_rich_text_runs_under_the_memory_ceiling(dossier_copy: Path, tmp_path: Path, fake_pandoc, command: str) -> None:  # type: ignore[no-untyped-def]
    fake_pandoc("lua", "allocate")
    limits = Limits(memory_mib=1024)
    with pytest.raises(DossierError) as info:
        build(dossier_copy, tmp_path / "o.pdf", limits) if command == "build" else check(dossier_copy, limits)
    assert [str(p) for p in info.value.problems] == [
        f"{dossier_copy}/dossier.yaml:1:1: formatting rich text and citations needed more than 1024 MiB, expected less (see --memory)"
    ]


def test_pandoc_for_bibtex_runs_under_the_memory_ceiling(dossier_copy: Path, fake_pandoc) -> None:  # type: ignore[no-untyped-def]
    _with_bibtex(dossier_copy)
    fake_pandoc("bib", "allocate")
    with pytest.raises(DossierError) as info:
        check(dossier_copy, Limits(memory_mib=1024))
    assert f"{dossier_copy}/bibliography.bib:1:1: reading the bibliography with pandoc needed more than 1024 MiB, expected less (see --memory)" in [
        str(p) for p in info.value.problems
    ]


@pytest.mark.parametrize(("mode", "what"), [("lua", "formatting rich text and citations"), ("bib", "reading the bibliography with pandoc")])
def test_pandoc_runs_under_the_time_ceiling_and_is_killed(dossier_copy: Path, fake_pandoc, mode: str, what: str) -> None:  # type: ignore[no-untyped-def]
    _with_bibtex(dossier_copy)
    pidfile = fake_pandoc(mode, "sleep")
    with pytest.raises(DossierError) as info:
        check(dossier_copy, Limits(seconds=4))
    where = "dossier.yaml" if mode == "lua" else "bibliography.bib"
    messages = [str(p) for p in info.value.problems]
    assert f"{dossier_copy}/{where}:1:1: {what} took longer than 4 s, expected less (see --timeout)" in messages
    pid = int(pidfile.read_text())
    for _ in range(100):  # killed with the build, not left sleeping
        if _gone(pid):
            break
        time.sleep(0.1)
    assert _gone(pid)


def test_real_pandoc_gets_the_memory_ceiling(dossier_copy: Path) -> None:
    """The real pandoc (GHC's runtime) cannot start under 200 MiB: proof that the ceiling reaches it."""
    proc = subprocess.run(
        [sys.executable, "-m", "dossier", "check", str(dossier_copy), "--memory", "200"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.returncode == 1, proc.stderr
    assert f"{dossier_copy}/dossier.yaml:1:1: formatting rich text and citations needed more than 200 MiB" in proc.stderr


@pytest.mark.parametrize("mib", ["1", "32", "100"])
def test_a_ceiling_below_what_python_needs_is_a_located_error(dossier_copy: Path, tmp_path: Path, mib: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dossier", "build", str(dossier_copy), "-o", str(tmp_path / "o.pdf"), "--memory", mib],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[-1] == "dossier: stopped with 1 error(s); nothing was written"
    assert lines[-2].startswith(f"{dossier_copy}/dossier.yaml:1:1: ") and f" {mib} MiB" in lines[-2], lines
    assert "Traceback" not in proc.stderr and not (tmp_path / "o.pdf").exists()


@pytest.mark.slow
def test_reading_runs_under_the_memory_ceiling_not_in_the_parent(dossier_copy: Path) -> None:
    """Four 2 MiB bibliographies once took the parent to 2.7 GB under --memory 256, blamed on
    typesetting. The parent only waits: its own peak stays small, and the stage is named."""
    # 1 MB of one-letter scalars: a node each, hundreds of MiB in PyYAML.
    (dossier_copy / "more.yaml").write_text("- [" + ", ".join("abcdefgh" * 41_000) + "]\n")
    with (dossier_copy / "dossier.yaml").open("a") as f:
        f.write("bibliography: [bibliography.yaml, more.yaml]\n")
    probe = (
        "import resource, sys; from pathlib import Path; from dossier.build import check; from dossier.sandbox import Limits\n"
        "try:\n    check(Path(sys.argv[1]), Limits(seconds=60, memory_mib=128))\nexcept Exception as e:\n    print(e)\n"
        # VmHWM, the peak of this process's own memory: ru_maxrss would also count the pytest
        # process that forked it (Linux keeps the larger of the two across exec).
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')) // 1024)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(dossier_copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    *message, peak = proc.stdout.splitlines()
    # The stage is named (never "typesetting"); on a loaded machine the time ceiling may come first.
    assert len(message) == 1 and message[0] in (
        f"{dossier_copy}/dossier.yaml:1:1: reading the bibliography needed more than 128 MiB, expected less (see --memory)",
        # if even reporting it failed, the child died: still the stage, the ceiling and the place
        f"{dossier_copy}/dossier.yaml:1:1: reading the bibliography died (exit status 1), most likely above the memory"
        " ceiling of 128 MiB, expected less (see --memory)",
        f"{dossier_copy}/dossier.yaml:1:1: reading the bibliography took longer than 60 s, expected less (see --timeout)",
    ), proc
    assert int(peak) < 100, peak  # MiB of the parent; reading the file in it took more than 500


def test_huge_extension_value_is_checked_in_linear_time(dossier_copy: Path) -> None:
    """A 1 MB `x-` value with characters no font covers: quadratic once (197 s under --timeout 5)."""
    lines = ["w" * (n % 900) + chr(0xE000 + n) + "w" * (999 - n % 900) for n in range(1000)]
    with (dossier_copy / "dossier.yaml").open("a") as f:
        f.write("x-notes: |\n" + "".join(f"  {line}\n" for line in lines))
    first = (dossier_copy / "dossier.yaml").read_text().count("\n") - len(lines) + 1
    # The quadratic check took 197 s on this input; 60 s is far from both (no timing is asserted).
    with pytest.raises(DossierError) as info:
        check(dossier_copy, Limits(seconds=60))
    assert [str(p) for p in info.value.problems] == [
        f"{dossier_copy}/dossier.yaml:{first + n}:{3 + n % 900}: character (U+{0xE000 + n:04X} unnamed character)"
        " is in no theme font, expected text the fonts cover"
        for n in range(1000)
    ]


def test_bibtex_form_feed_is_white_space(dossier_copy: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    _with_bibtex(dossier_copy)
    bib = dossier_copy / "bibliography.bib"
    bib.write_text(bib.read_text().replace("\n\n@misc", "\n\f\n@misc").replace("Treaty concerning", "Treaty\fconcerning"))
    build(dossier_copy, tmp_path / "o.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "o.pdf").pages)
    assert "Treaty Concerning Spitsbergen" in " ".join(text.split())


def _marked(marker: str) -> list[int]:
    """Processes whose environment carries the marker: the build and all it started."""
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes() and not _gone(int(entry.name)):
                out.append(int(entry.name))
        except OSError:
            continue
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("stage", ["pandoc", "templates"])
def test_kill_9_of_dossier_leaves_no_process(dossier_copy: Path, tmp_path: Path, fake_pandoc, stage: str) -> None:  # type: ignore[no-untyped-def]
    pidfile = tmp_path / "never"
    if stage == "pandoc":
        pidfile = fake_pandoc("lua", "sleep")
    else:
        (dossier_copy / "templates").mkdir()
        (dossier_copy / "templates" / "contents.html").write_text(
            "<nav>{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}</nav>\n"
        )
    marker = f"DOSSIER_TEST_{uuid.uuid4().hex}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dossier", "build", str(dossier_copy), "-o", str(tmp_path / "o.pdf"), "--timeout", "120"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), marker: "1"},
    )
    try:
        for _ in range(300):  # until the child (and the fake pandoc) run
            if len(_marked(marker)) >= 2 and (stage != "pandoc" or pidfile.exists()):
                break
            time.sleep(0.1)
        assert len(_marked(marker)) >= 2 + (stage == "pandoc")
        os.kill(proc.pid, signal.SIGKILL)  # the parent alone, as a user's kill -9 does
        proc.wait()
        for _ in range(100):
            if not _marked(marker):
                break
            time.sleep(0.1)
        assert _marked(marker) == []
    finally:
        for pid in _marked(marker):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("debug", [False, True])
def test_native_lines_of_the_child_reach_the_terminal_only_with_debug(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    """GLib prints its own line near the memory ceiling, beside the located error: the child's
    standard error is dropped unless --debug (DOSSIER_DEBUG) asks for it."""
    from dossier.errors import Location
    from dossier.sandbox import run_limited

    if debug:
        monkeypatch.setenv("DOSSIER_DEBUG", "1")
    else:
        monkeypatch.delenv("DOSSIER_DEBUG", raising=False)
    assert run_limited(lambda: os.write(2, b"GLib-ERROR: creating thread failed\n"), Limits(), Location("d"), "reading") > 0
    assert ("GLib-ERROR" in capfd.readouterr().err) is debug


@pytest.mark.parametrize(
    "entity, message",
    [
        ("&#x1b;", "control character U+001B, expected printable text"),
        ("&#27;", "control character U+001B, expected printable text"),
        ("&#x85;", "control character U+0085, expected printable text"),  # not Windows-1252's '…'
        ("&#8232;", "line or paragraph separator U+2028, expected a plain newline or a space"),
    ],
)
def test_a_character_written_as_an_entity_is_checked_as_pandoc_reads_it(dossier_copy: Path, entity: str, message: str) -> None:
    """Python's html.unescape drops control characters and maps 0x80-0x9F through Windows-1252;
    pandoc makes them the code point, which reached WeasyPrint as a blank glyph at style.css."""
    path = dossier_copy / "dossier.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("value: 14 August 1925", f'value: "14 August {entity} 1925"'), encoding="utf-8")
    line = text[: text.index("value: 14 August 1925")].count("\n") + 1
    col = path.read_text(encoding="utf-8").splitlines()[line - 1].index(entity) + 1
    with pytest.raises(DossierError) as info:
        check(dossier_copy)
    assert [str(p) for p in info.value.problems] == [f"{dossier_copy}/dossier.yaml:{line}:{col}: {message}"]
