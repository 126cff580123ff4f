"""The peers of the bench (scripts/bench.py): Typst and pandoc Markdown → xelatex on the same
content as dossier (scripts/peers/), each a fresh process timed as dossier's builds are.

Typst is the Python package (`typst.compile`), run by $TYPST_PYTHON, or by this Python when it
imports typst. pandoc + xelatex run when xelatex is on PATH, with the pandoc dossier runs (Debian's texlive-xetex,
texlive-lang-cjk and texlive-lang-chinese for xeCJK, texlive-fonts-recommended)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import bench_proc as bp
from bench_proc import ROOT, summary

sys.path.insert(0, str(ROOT / "scripts" / "peers"))

import convert  # noqa: E402

PEERS = ("typst", "pandoc+xelatex")
_TYPST = "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3])"


def typst_python() -> tuple[str | None, str]:
    """The Python that has the typst package and its version, or None and why not."""
    candidates = [c for c in (os.environ.get("TYPST_PYTHON"), sys.executable) if c]
    for python in candidates:
        try:
            done = subprocess.run([python, "-c", "import typst; print(typst.__version__)"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return python, done.stdout.strip()
    return None, "typst is not installed (pip install typst; set TYPST_PYTHON to a Python that has it)"


def available() -> dict[str, str | None]:
    """Each peer: None when it can run, else why it is skipped."""
    python, why = typst_python()
    missing = [name for name, found in (("pandoc", bp.pandoc()), ("xelatex", shutil.which("xelatex"))) if found is None]
    return {
        "typst": None if python else why,
        "pandoc+xelatex": None if not missing else " and ".join(missing) + " not on PATH (apt-get install pandoc texlive-xetex)",
    }


def _argv(peer: str, dossier: Path, folder: Path, out: Path) -> list[str]:
    """Write the peer's sources for `dossier` into `folder`; the command that typesets them into `out`."""
    if peer == "typst":
        python, _ = typst_python()
        assert python is not None
        template = convert.typst_folder(dossier, folder)
        return [python, "-c", _TYPST, str(template), str(out), str(folder)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dossier.md").write_text(convert.markdown(dossier), encoding="utf-8")
    preamble = ROOT / "scripts" / "peers" / "cjk.tex"
    binary = bp.pandoc()
    assert binary is not None
    return [binary, str(folder / "dossier.md"), "--citeproc", "--pdf-engine=xelatex", "-H", str(preamble), "-o", str(out)]


def measure(peer: str, name: str, dossier: Path, runs: int, work: Path) -> dict[str, Any]:
    """`runs` fresh processes of the peer on the dossier's content: wall, peak memory, PDF, pages."""
    folder = work / f"peer-{peer.replace('+', '-')}-{name}"
    out = work / f"peer-{peer.replace('+', '-')}-{name}.pdf"
    argv = _argv(peer, dossier, folder, out)
    walls: list[float] = []
    peaks: list[float] = []
    for i in range(runs):
        proc = bp.run(argv, bp.env(), cwd=folder)
        if proc.code != 0:
            return {"peer": peer, "name": name, "error": f"exit {proc.code}: " + proc.output[-2000:]}
        walls.append(proc.wall)
        peaks.append(proc.peak_mb)
        print(f"  {name}: {peer} {i + 1}/{runs}: {proc.wall:.2f} s, {proc.peak_mb:.0f} MB", file=sys.stderr, flush=True)
    return {"peer": peer, "name": name, "wall": summary(walls), "peak_mb": max(peaks), "pdf_bytes": out.stat().st_size, "pages": bp.pages(out)}
