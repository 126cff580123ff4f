"""Benchmark dossier builds (issue 11): cold builds, phases, sizes, memory, make, two at once.

Usage: python scripts/bench.py [DOSSIER_DIR] [--runs N] [--scales 1,10,50] [--json build/bench.json]

Measures, each build a fresh `python -m dossier build` process (PYTHONPATH=src):
  * the example (DOSSIER_DIR, default content/): cold build median, min and max of --runs
    processes; the phases of one build in one process (prepare, render, typeset, finish);
  * a synthetic dossier per scale (scripts/synth.py: the example's chronology, excerpts,
    interpretations and bibliography repeated N times): cold median, min, max, pages, PDF
    size, peak memory (the largest resident set of the build and every process it waited for,
    from wait4's rusage: ru_maxrss as RUSAGE_CHILDREN reports it);
  * a no-op `make` (make is run twice; the second, with nothing to do, is timed);
  * two dossiers at once: two builds in parallel against the same two one after the other.
Then whether the peers (typst; pandoc + xelatex) are on PATH (they are not timed yet).
Everything goes to --json (build/bench.json) with a description of the machine.

Default --scales is 1 only, so `make bench` takes a few minutes; --scales 1,10,50 takes
tens of minutes on two cores: on the 2-core machine a 10x build (159 pages) takes ~100 s
and a 50x build (1,650 references, hundreds of pages) many minutes, each of --runs times.
Builds run with --timeout 3600 (the build's default of 300 s would stop a 50x build). Never asserts a time: these
machines are noisy, so read min and max next to the median.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from synth import synthesise  # noqa: E402


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    return env


# The build's own --timeout (300 s) would stop a 50x build; the bench measures, it does not cut.
TIMEOUT = 3600.0


def _command(dossier: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "dossier", "build", str(dossier), "-o", str(out), "--timeout", f"{TIMEOUT:g}"]


@dataclass
class Run:
    wall: float
    maxrss_mb: float


def run_build(dossier: Path, out: Path) -> Run:
    """One cold build in a new process: wall time, and the peak memory of its process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(_command(dossier, out), cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"build of {dossier} failed ({proc.returncode}):\n{stderr.decode(errors='replace')}")
    # Linux reports ru_maxrss in KiB: the larger of the child's own peak and its children's.
    return Run(wall, usage.ru_maxrss / 1024)


@dataclass
class Row:
    name: str
    dossier: str
    runs: list[float] = field(default_factory=list)
    maxrss_mb: list[float] = field(default_factory=list)
    pages: int = 0
    pdf_bytes: int = 0
    references: int = 0

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(median=statistics.median(self.runs), min=min(self.runs), max=max(self.runs))
        data["peak_mb"] = max(self.maxrss_mb)
        return data


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def _references(dossier: Path) -> int:
    import yaml

    total = 0
    for path in sorted(dossier.glob("bibliography*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        total += len(data) if isinstance(data, list) else 0
    return total


def cold(name: str, dossier: Path, runs: int, work: Path) -> Row:
    row = Row(name, str(dossier))
    out = work / f"{name}.pdf"
    for i in range(runs):
        run = run_build(dossier, out)
        row.runs.append(run.wall)
        row.maxrss_mb.append(run.maxrss_mb)
        print(f"  {name}: run {i + 1}/{runs} {run.wall:.2f} s, {run.maxrss_mb:.0f} MB", file=sys.stderr, flush=True)
    row.pages = _pages(out)
    row.pdf_bytes = out.stat().st_size
    row.references = _references(dossier)
    return row


def _second_pass(p: Any, profile: Any) -> Any:
    """The second layout of a dossier with back-references (as build._build_in_child makes it)."""
    from dossier import render

    def again(pages: dict[str, int]) -> tuple[str, str]:
        cited_on = render.backrefs(p.formatted.citations, pages)
        html, css = render.render_html(p.dossier, p.formatted, p.theme_dirs, cited_on, profile)
        return str(html), str(css)

    return again


def phases(dossier: Path, runs: int) -> dict[str, list[float]]:
    """The stages of one build, timed in this process (as build._build_in_child runs them)."""
    sys.path.insert(0, str(ROOT / "src"))
    from dossier import build
    from dossier.describe import described
    from dossier.finish import Job, finish
    from dossier.profiles import Profile
    from dossier.sourcedate import source_epoch
    from dossier.typeset import SecondPass, typeset

    names = ("prepare (load, check, pandoc)", "render (Jinja)", "typeset (WeasyPrint)", "finish (pikepdf)")
    stages: dict[str, list[float]] = {key: [] for key in names}
    profile = Profile()
    for _ in range(runs):
        t0 = time.perf_counter()
        p = build.prepare(dossier, profile)
        t1 = time.perf_counter()
        html, css = build.render_prepared(p, profile)
        t2 = time.perf_counter()
        epoch = source_epoch(dossier, p.dossier.edition)
        second_pass: SecondPass | None = None
        if p.dossier.backrefs and "bibliography" in p.dossier.sections and p.formatted.citations:
            second_pass = _second_pass(p, profile)
        pdf = typeset(html, css, dossier, p.theme_dirs, profile, epoch, second_pass)
        t3 = time.perf_counter()
        meta, targets = described(p.dossier, p.formatted, p.theme_dirs)
        finish(pdf, Job(profile, epoch, dossier, tuple(p.theme_dirs), meta, targets, ()))
        t4 = time.perf_counter()
        for key, value in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            stages[key].append(value)
    return stages


def noop_make() -> dict[str, Any]:
    """`make` twice in the repository; the second has nothing to do, and is timed."""
    if shutil.which("make") is None:
        return {"skipped": "make is not on PATH"}
    first = time.perf_counter()
    subprocess.run(["make", "-s"], cwd=ROOT, check=True, capture_output=True)
    first_s = time.perf_counter() - first
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(["make", "-s"], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return {"first": first_s, "runs": times, "median": statistics.median(times), "min": min(times), "max": max(times)}


def two_at_once(dossier: Path, runs: int, work: Path) -> dict[str, Any]:
    """The same two builds one after the other and both at once; ratio = sequential / parallel."""
    a, b = work / "twice-a", work / "twice-b"
    for copy in (a, b):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(dossier, copy)
    sequential: list[float] = []
    parallel: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        run_build(a, work / "twice-a.pdf")
        run_build(b, work / "twice-b.pdf")
        sequential.append(time.perf_counter() - start)
        start = time.perf_counter()
        procs = [
            subprocess.Popen(_command(d, work / f"{d.name}.pdf"), cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for d in (a, b)
        ]
        codes = [p.wait() for p in procs]
        parallel.append(time.perf_counter() - start)
        if any(codes):
            sys.exit(f"a parallel build failed: {codes}")
    seq, par = statistics.median(sequential), statistics.median(parallel)
    return {"dossier": str(dossier), "sequential": sequential, "parallel": parallel, "ratio": seq / par}


def peers() -> dict[str, Any]:
    found = {name: shutil.which(name) for name in ("typst", "pandoc", "xelatex")}
    return {
        "typst": found["typst"] or "skipped: typst is not on PATH",
        "pandoc+xelatex": (
            f"{found['pandoc']} + {found['xelatex']}"
            if found["pandoc"] and found["xelatex"]
            else "skipped: " + " and ".join(n for n in ("pandoc", "xelatex") if not found[n]) + " not on PATH"
        ),
        "timed": False,
    }


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }
    try:
        import weasyprint

        info["weasyprint"] = weasyprint.__version__
    except ImportError:
        info["weasyprint"] = None
    try:
        import pypandoc

        info["pandoc"] = pypandoc.get_pandoc_version()
    except (ImportError, OSError):
        info["pandoc"] = None
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dossier", nargs="?", default=ROOT / "content", type=Path)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per dossier (default 5)")
    parser.add_argument("--scales", default="1", help="synthetic sizes, comma-separated (default 1; 1,10,50 takes long)")
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--no-make", action="store_true", help="skip the no-op make")
    parser.add_argument("--timeout", type=float, default=3600.0, help="--timeout of each build (default 3600 s)")
    args = parser.parse_args()
    global TIMEOUT
    TIMEOUT = args.timeout
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    dossier = args.dossier.resolve()
    work = Path(tempfile.mkdtemp(prefix="dossier-bench-"))

    print(f"example {dossier}: {args.runs} cold builds", file=sys.stderr, flush=True)
    rows = [cold("example", dossier, args.runs, work)]
    print("phases in one process", file=sys.stderr, flush=True)
    stages = phases(dossier, args.runs)
    synthetic: dict[int, Path] = {}
    for scale in scales:
        folder = work / f"synth-{scale}x"
        synthesise(dossier, folder, scale)
        synthetic[scale] = folder
        print(f"{scale}x: {args.runs} cold builds", file=sys.stderr, flush=True)
        rows.append(cold(f"{scale}x", folder, args.runs, work))
    make = {"skipped": "--no-make"} if args.no_make else noop_make()
    print("two at once", file=sys.stderr, flush=True)
    pair = two_at_once(synthetic.get(1, dossier), max(1, min(args.runs, 3)), work)
    peer = peers()
    info = machine()

    print()
    print(f"machine: {info['cpus']} CPUs, {info['cpu_model']}; Python {info['python']}, ", end="")
    print(f"WeasyPrint {info['weasyprint']}, pandoc {info['pandoc']}")
    print(f"cold builds, {args.runs} fresh processes each (seconds):")
    print(f"  {'dossier':<9} {'median':>7} {'min':>7} {'max':>7} {'pages':>6} {'refs':>5} {'PDF':>9} {'peak MB':>8}")
    for row in rows:
        s = row.summary()
        print(
            f"  {row.name:<9} {s['median']:>7.2f} {s['min']:>7.2f} {s['max']:>7.2f} {row.pages:>6} "
            f"{row.references:>5} {row.pdf_bytes / 1e6:>7.2f}MB {s['peak_mb']:>8.0f}"
        )
    total = [sum(v) for v in zip(*stages.values(), strict=True)]
    print(f"example in one process (median of {args.runs}): {statistics.median(total):.2f} s")
    for key, values in stages.items():
        print(f"  {key:<30} {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
    if "median" in make:
        print(f"no-op make: {make['median'] * 1000:.0f} ms median of 5 (min {make['min'] * 1000:.0f}, max {make['max'] * 1000:.0f})")
    else:
        print(f"no-op make: {make['skipped']}")
    seq, par = statistics.median(pair["sequential"]), statistics.median(pair["parallel"])
    print(f"two dossiers ({Path(pair['dossier']).name}): one after the other {seq:.2f} s, at once {par:.2f} s, ratio {pair['ratio']:.2f}x")
    print(f"typst: {peer['typst']}")
    print(f"pandoc + xelatex: {peer['pandoc+xelatex']}")
    print("(the peers are not timed by this script yet)")

    result = {
        "machine": info,
        "runs": args.runs,
        "cold": [row.summary() for row in rows],
        "phases": {key: {"runs": v, "median": statistics.median(v)} for key, v in stages.items()},
        "noop_make": make,
        "two_at_once": pair,
        "peers": peer,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
