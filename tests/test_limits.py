"""Typesetting runs under a time and a memory ceiling; a kill at any moment leaves the previous PDF intact."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dossier.build import build
from dossier.errors import DossierError
from dossier.sandbox import Limits

ROOT = Path(__file__).resolve().parents[1]


def test_time_ceiling(dossier_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(DossierError) as info:
        build(dossier_copy, tmp_path / "o.pdf", Limits(seconds=0.01))
    # The ceiling covers every stage: at 0.01 s (and the parent's half-second of grace) the
    # build is still reading or formatting, and names the stage, never "typesetting"; or it is
    # running the templates for the print order (render.print_order), and names their line.
    [message] = [str(p) for p in info.value.problems]
    assert re.fullmatch(
        r".*(dossier\.yaml|theme\.yaml):1:1: (reading the dossier|reading the bibliography|checking the characters "
        r"against the theme fonts|formatting rich text and citations) took longer than 0\.01 s, expected less \(see --timeout\)"
        r"|.*(dossier\.yaml:1|\.html:\d+):1: rendering the templates took longer than the 0\.01 s of the build, expected less \(see --timeout\)",
        message,
    ), message
    assert not (tmp_path / "o.pdf").exists()


def test_memory_ceiling(dossier_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(DossierError) as info:
        build(dossier_copy, tmp_path / "o.pdf", Limits(memory_mib=64))
    message = str(info.value.problems[0])
    # Formatting runs the templates first (render.print_order): the ceiling may be reached there,
    # and is then reported at the template line that was running, as in rendering.
    if message.endswith("template needed more memory than the ceiling allows, expected less (see --memory)"):
        assert re.match(r"\S+\.html:\d+:1: ", message), message
        return
    assert message.startswith(f"{dossier_copy}/dossier.yaml:1:1: ")
    assert "needed more than 64 MiB" in message or "above the memory ceiling of 64 MiB" in message


def test_kill_at_any_moment_leaves_previous_pdf(dossier_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.pdf"
    build(dossier_copy, out)
    previous = out.read_bytes()
    (dossier_copy / "dossier.yaml").write_text((dossier_copy / "dossier.yaml").read_text().replace("Test fixture", "Changed"))
    for delay in (0.3, 0.8, 1.5, 2.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "dossier", "build", str(dossier_copy), "-o", str(out)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        data = out.read_bytes()
        assert data == previous or (data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]), delay
        previous = data


@pytest.mark.parametrize("command", ["build", "check"])
@pytest.mark.parametrize(
    ("limits", "message"),
    [
        # the templates' own ceiling
        (Limits(render_seconds=1), "rendering the templates took longer than 1 s, expected less (a runaway loop in a template?)"),
        # --timeout at or below the templates' own 60 s: the build's ceiling still names the line
        (Limits(seconds=20), "rendering the templates took longer than the 20 s of the build, expected less (see --timeout)"),
    ],
)
def test_runaway_template_loop_stops_at_its_line(dossier_copy: Path, tmp_path: Path, command: str, limits: Limits, message: str) -> None:
    from dossier.build import check

    (dossier_copy / "templates").mkdir()
    (dossier_copy / "templates" / "contents.html").write_text(
        "<nav>\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n</nav>\n"
    )
    with pytest.raises(DossierError) as info:
        build(dossier_copy, tmp_path / "o.pdf", limits) if command == "build" else check(dossier_copy, limits)
    assert [str(p) for p in info.value.problems] == [f"{dossier_copy}/templates/contents.html:2:1: {message}"]


@pytest.mark.parametrize("command", ["build", "check"])
def test_template_that_builds_a_huge_string_stops_at_the_memory_ceiling(dossier_copy: Path, tmp_path: Path, command: str) -> None:
    from dossier.build import check

    (dossier_copy / "templates").mkdir()
    # Doubling a string: each step is within the sandbox's bounds on `*`, the sum is not.
    (dossier_copy / "templates" / "contents.html").write_text(
        "<nav>{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}</nav>\n"
    )
    with pytest.raises(DossierError) as info:
        if command == "build":
            build(dossier_copy, tmp_path / "o.pdf", Limits(memory_mib=1024))
        else:
            check(dossier_copy, Limits(memory_mib=1024))
    message = str(info.value.problems[0])
    assert message == f"{dossier_copy}/templates/contents.html:1:1: template needed more memory than the ceiling allows, expected less (see --memory)"
