"""The bench's measuring tools (scripts/bench.py): fresh processes timed with their peak memory,
medians with min and max, the one-line edit, and the machine's description."""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 3600.0  # the build's own --timeout (default 300 s) would stop a 50x build: the bench measures, it does not cut


def env(cache: str | Path = "off", **extra: str) -> dict[str, str]:
    """The environment of a build: this checkout's src first; the cache `off` or a folder of the bench's."""
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), out.get("PYTHONPATH", "")) if p)
    out["DOSSIER_CACHE"] = str(cache)
    out.update(extra)
    return out


@dataclass
class Proc:
    """One finished process: wall seconds, peak memory and what it said."""

    wall: float
    peak_mb: float  # ru_maxrss from wait4: the largest resident set of the process and of every process it waited for
    code: int
    output: str
    started: float  # time.time() at the start, for the phases


def wait(pid: int) -> tuple[int, float]:
    """wait4 a child: its exit code and peak memory in MB (Linux reports ru_maxrss in KiB)."""
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024


def start(argv: list[str], environ: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, cwd=cwd, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run(argv: list[str], environ: dict[str, str], cwd: Path = ROOT) -> Proc:
    """Run a fresh process to its end; wall time from spawn to reaping."""
    started = time.time()
    t0 = time.perf_counter()
    proc = start(argv, environ, cwd)
    assert proc.stdout is not None
    output = proc.stdout.read()
    code, peak = wait(proc.pid)
    proc.returncode = code
    return Proc(time.perf_counter() - t0, peak, code, output.decode(errors="replace"), started)


def checked(proc: Proc, what: str) -> Proc:
    if proc.code != 0:
        sys.exit(f"bench: {what} failed (exit {proc.code}):\n{proc.output[-4000:]}")
    return proc


def summary(values: list[float]) -> dict[str, Any]:
    """Median, min and max of the runs, and the runs themselves."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


_BLOCK = re.compile(r"^\s*(?:-\s+)?text:\s*[|>][-+]?\s*$")


def edit_line(dossier: Path, n: int) -> Path:
    """A one-line edit of content, as an author makes it: the first line of the first event's
    text (a block scalar, so any words stay valid YAML) gets ` Edit N.` at its end."""
    for name in ("chronology.yaml", "excerpts.yaml", "interpretations.yaml"):
        path = dossier / name
        if not path.exists():
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines[:-1]):
            if _BLOCK.match(line) and lines[i + 1].strip():
                lines[i + 1] = re.sub(r"( Edit \d+\.)?$", f" Edit {n}.", lines[i + 1], count=1)
                path.write_text("\n".join(lines), encoding="utf-8")
                return path
    raise SystemExit(f"bench: no block of text to edit in {dossier}")


def pandoc() -> str | None:
    """The pandoc dossier runs (the pypandoc-binary wheel's pandoc 3), else the one on PATH: the
    pandoc + xelatex peer runs the same binary."""
    sys.path.insert(0, str(ROOT / "src"))
    try:
        from dossier.pandoc import pandoc_path

        return pandoc_path()
    except Exception:  # noqa: BLE001 - any failure: fall back to PATH
        return shutil.which("pandoc")


def _first_line(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


def _meminfo() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine(typst_version: str | None) -> dict[str, Any]:
    """What the figures were measured on: CPU, cores, memory, load, and every tool's version."""
    model = ""
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        import weasyprint

        weasy: str | None = weasyprint.__version__
    except ImportError:
        weasy = None
    binary = pandoc()
    version = _first_line([binary, "--version"]) if binary else None
    xelatex = _first_line(["xelatex", "--version"])
    return {
        "cpu_model": model,
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gib": _meminfo(),
        "load_average": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "weasyprint": weasy,
        "pandoc": version.split()[-1] if version else None,
        "typst": typst_version,
        "xelatex": xelatex,
    }
