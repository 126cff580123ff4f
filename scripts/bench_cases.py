"""What the bench measures (scripts/bench.py): cold builds and their phases, `watch` after a
one-line edit, `make` with nothing to do and after an edit, two dossiers at once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from functools import cache
from pathlib import Path
from typing import Any

import bench_proc as bp
from bench_proc import ROOT, Proc, summary

PHASES = ("start", "prepare", "render", "typeset", "finish")


@cache
def _help(command: str) -> str | None:
    """`dossier COMMAND --help`, or None when there is no such command."""
    done = subprocess.run([sys.executable, "-m", "dossier", command, "--help"], env=bp.env(), capture_output=True, text=True, cwd=ROOT)
    return done.stdout if done.returncode == 0 else None


def cache_flag() -> list[str]:
    """`--no-cache` where `dossier build` has it; otherwise DOSSIER_CACHE=off (bp.env) does the same."""
    return ["--no-cache"] if "--no-cache" in (_help("build") or "") else []


def build_argv(dossier: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "dossier", "build", str(dossier), "-o", str(out), "--timeout", f"{bp.TIMEOUT:g}", *cache_flag()]


def _phase(name: str, current: str) -> str:
    """Which phase a stage named by sandbox.stage belongs to; a stage no phase names (pandoc,
    fc-list) belongs to the phase it runs in."""
    n = name.lower()
    if "typeset" in n or "laying out" in n:
        return "typeset"
    if "render" in n:
        return "render"
    if "finish" in n or "collect" in n or "writing" in n:
        return "finish"
    return "prepare" if current == "start" else current


def phases_of(proc: Proc, log: Path) -> dict[str, float]:
    """Seconds per phase of one process from its DOSSIER_TIMINGS log: start (Python and imports, to
    the first stage), prepare (reading, checks, pandoc), render (Jinja), typeset (WeasyPrint),
    finish (pikepdf, writing the file, the process's exit)."""
    out = dict.fromkeys(PHASES, 0.0)
    stamps: list[tuple[float, str]] = []
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            when, _, name = line.split("\t", 2)
            stamps.append((float(when), name))
    stamps.sort()
    end = proc.started + proc.wall
    current, at = "start", proc.started
    for when, name in stamps:
        out[current] += max(0.0, when - at)
        current, at = _phase(name, current), when
    out[current] += max(0.0, end - at)
    return out


def cold(name: str, dossier: Path, runs: int, work: Path, *, with_phases: bool = False) -> dict[str, Any]:
    """`runs` cold builds, each a fresh process with no cache: wall, peak memory, PDF size, pages."""
    out = work / f"{name}.pdf"
    walls: list[float] = []
    peaks: list[float] = []
    per_phase: dict[str, list[float]] = {p: [] for p in PHASES}
    for i in range(runs):
        log = work / f"{name}-timings-{i}.tsv"
        log.unlink(missing_ok=True)
        extra = {"DOSSIER_TIMINGS": str(log)} if with_phases else {}
        proc = bp.checked(bp.run(build_argv(dossier, out), bp.env("off", **extra)), f"the build of {dossier}")
        walls.append(proc.wall)
        peaks.append(proc.peak_mb)
        if with_phases:
            for key, value in phases_of(proc, log).items():
                per_phase[key].append(value)
        print(f"  {name}: cold build {i + 1}/{runs}: {proc.wall:.2f} s, {proc.peak_mb:.0f} MB", file=sys.stderr, flush=True)
    row: dict[str, Any] = {
        "name": name,
        "dossier": str(dossier),
        "wall": summary(walls),
        "peak_mb": max(peaks),
        "pdf_bytes": out.stat().st_size,
        "pages": bp.pages(out),
        "references": references(dossier),
    }
    if with_phases:
        row["phases"] = {key: summary(values) for key, values in per_phase.items()}
    return row


def references(dossier: Path) -> int:
    import yaml

    total = 0
    for path in sorted(dossier.glob("bibliography*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        total += len(data) if isinstance(data, list) else 0
    return total


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _until_replaced(path: Path, before: tuple[int, int, int] | None, limit: float, proc: subprocess.Popen[bytes]) -> float | None:
    """Seconds until `path` is a new file (inode, mtime or size changed), None if the process ended
    or `limit` passed first."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        now = _identity(path)
        if now is not None and now != before:
            return time.perf_counter() - t0
        if proc.poll() is not None:
            return None
        time.sleep(0.002)
    return None


def _stop(proc: subprocess.Popen[bytes]) -> float:
    """Ctrl-C to the watch's process group (it was started in a session of its own), then
    harder; returns its peak memory in MB."""
    for sig, grace in ((signal.SIGINT, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < grace:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                return usage.ru_maxrss / 1024
            time.sleep(0.05)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024


def watch(name: str, dossier: Path, runs: int, work: Path) -> dict[str, Any]:
    """`dossier watch` on a copy of the dossier: the first build, then `runs` one-line edits, each
    timed from the write of the edit to the atomic replacement of the PDF (its inode or mtime)."""
    if _help("watch") is None:
        return {"name": name, "skipped": "`dossier watch` does not exist in this checkout"}
    copy = work / f"watch-{name}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(dossier, copy)
    out = work / f"watch-{name}.pdf"
    argv = [sys.executable, "-m", "dossier", "watch", str(copy), "-o", str(out), "--timeout", f"{bp.TIMEOUT:g}"]
    lines: list[str] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=bp.env(work / f"cache-watch-{name}"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    stream = proc.stdout
    reader = threading.Thread(target=lambda: lines.extend(line.decode(errors="replace").rstrip() for line in stream), daemon=True)
    reader.start()
    result: dict[str, Any] = {"name": name, "dossier": str(dossier)}
    try:
        first = _until_replaced(out, None, bp.TIMEOUT, proc)
        if first is None:
            return {**result, "error": "the first build of `dossier watch` gave no PDF: " + " | ".join(lines[-5:])}
        result["first_build"] = time.perf_counter() - t0
        latencies: list[float] = []
        for i in range(runs):
            time.sleep(0.5)  # the watcher settles after the write of the PDF
            before = _identity(out)
            bp.edit_line(copy, i + 1)
            latency = _until_replaced(out, before, bp.TIMEOUT, proc)
            if latency is None:
                return {**result, "error": f"no new PDF after edit {i + 1}: " + " | ".join(lines[-5:])}
            latencies.append(latency)
            print(f"  {name}: watch rebuild {i + 1}/{runs}: {latency:.2f} s", file=sys.stderr, flush=True)
        result["rebuild"] = summary(latencies)
    finally:
        result["peak_mb"] = _stop(proc)
        reader.join(timeout=5)
        result["lines"] = lines[-(runs + 3) :]
    return result


def make(dossier: Path, runs: int, work: Path) -> dict[str, Any]:
    """`make` in a mirror of this checkout (its Makefile, src, templates and .venv linked; the
    dossier copied as content/): the first build, `runs` runs with nothing to do, then `runs`
    runs each after a one-line edit. The setup stamps are fresh files of the mirror, so make
    never reinstalls anything."""
    if shutil.which("make") is None:
        return {"skipped": "make is not on PATH"}
    if not (ROOT / ".venv" / "bin" / "dossier").exists():
        return {"skipped": "no .venv/bin/dossier: run make first"}
    mirror = work / "make"
    shutil.rmtree(mirror, ignore_errors=True)
    mirror.mkdir()
    for name in ("Makefile", "src", "templates", "scripts", "pyproject.toml", "constraints.txt", ".venv"):
        if (ROOT / name).exists():
            (mirror / name).symlink_to(ROOT / name)
    shutil.copytree(dossier, mirror / "content")
    sysdeps, stamp = mirror / ".bench-sysdeps", mirror / ".bench-installed"
    sysdeps.touch()
    stamp.touch()
    argv = ["make", "-s", "-C", str(mirror), f"STAMP={stamp}", f"SYSDEPS={sysdeps}"]
    environ = bp.env(work / "cache-make")
    pdf = mirror / "build" / "briefing.pdf"
    first = bp.checked(bp.run(argv, environ), "the first make")
    noop = [bp.checked(bp.run(argv, environ), "a no-op make") for _ in range(runs)]
    if _identity(pdf) is None:
        return {"skipped": "make wrote no build/briefing.pdf"}
    edits: list[Proc] = []
    for i in range(runs):
        before = _identity(pdf)
        bp.edit_line(mirror / "content", i + 1)
        edits.append(bp.checked(bp.run(argv, environ), "make after an edit"))
        if _identity(pdf) == before:
            return {"error": "make after a one-line edit did not rebuild build/briefing.pdf"}
        print(f"  make after edit {i + 1}/{runs}: {edits[-1].wall:.2f} s", file=sys.stderr, flush=True)
    return {
        "first": first.wall,
        "noop": summary([p.wall for p in noop]),
        "edit": summary([p.wall for p in edits]),
        "edit_peak_mb": max(p.peak_mb for p in edits),
    }


def two_at_once(dossier: Path, runs: int, work: Path) -> dict[str, Any]:
    """The same two cold builds one after the other and both at once; ratio = sequential / parallel."""
    copies = [work / "twice-a", work / "twice-b"]
    for c in copies:
        shutil.rmtree(c, ignore_errors=True)
        shutil.copytree(dossier, c)
    sequential: list[float] = []
    parallel: list[float] = []
    peaks: list[float] = []
    for i in range(runs):
        t0 = time.perf_counter()
        for c in copies:
            bp.checked(bp.run(build_argv(c, work / f"{c.name}.pdf"), bp.env()), "a sequential build")
        sequential.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        argvs = [build_argv(c, work / f"{c.name}.pdf") for c in copies]
        procs = [
            subprocess.Popen(a, cwd=ROOT, env=bp.env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for a in argvs
        ]
        for p in procs:
            code, peak = bp.wait(p.pid)
            p.returncode = code
            peaks.append(peak)
            if code != 0:
                sys.exit(f"bench: a parallel build failed (exit {code})")
        parallel.append(time.perf_counter() - t0)
        print(f"  two at once {i + 1}/{runs}: {sequential[-1]:.2f} s after each other, {parallel[-1]:.2f} s at once", file=sys.stderr)
    seq, par = summary(sequential), summary(parallel)
    return {"dossier": str(dossier), "sequential": seq, "parallel": par, "ratio": seq["median"] / par["median"], "peak_mb": max(peaks)}
