"""Benchmark dossier builds (issue 11): `make bench`.

Usage: python scripts/bench.py [DOSSIER_DIR] [--runs N] [--scales 1,10,50] [--peer-scales 1,10,50]
                               [--no-peers] [--quick] [--json build/bench.json]

Every figure is the median of --runs fresh processes (default 3), with min and max:
  (a) the example's (DOSSIER_DIR, default content/) cold build, no cache (`--no-cache` where
      `dossier build` has it, and DOSSIER_CACHE=off), split into phases from the stages the
      build names itself (DOSSIER_TIMINGS): start (Python, imports), prepare (reading, checks,
      pandoc), render (Jinja), typeset (WeasyPrint), finish (pikepdf, writing the file);
  (b) `dossier watch` (when it exists): one long-lived process per synthetic dossier, each of
      --runs one-line edits timed from the write to the atomic replacement of the PDF;
  (c) synthetic dossiers (scripts/synth.py) at each --scale: 10x is 100 pages, 50x about 440 (estimated), 1,650 references;
  (d) `make` with nothing to do, and `make` after a one-line edit of content/ (in a mirror of
      this checkout, so the repository's own content/ and build/ are never touched);
  (e) the peak memory of each (wait4's ru_maxrss: the largest resident set of the process and of
      every process it waited for) and the PDF's size and pages;
  (f) two dossiers at once against the same two one after the other (ratio).
Then the peers on the same content at each --peer-scale (default: --scales), when installed:
Typst (the Python package; $TYPST_PYTHON) and pandoc Markdown → xelatex (scripts/peers/), with
the ratios dossier/peer. A table on standard output; everything in --json with the machine
(CPU, cores, memory, load, versions of Python, WeasyPrint, pandoc, Typst, xelatex).

On the 2-core machine --scales 1 takes a few minutes; 10 and 50 add tens of minutes. Builds get
--timeout 3600 (a 50x build outlasts the default 300 s). Nothing here asserts a time: read min
and max next to the median, and the load average in the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_cases as cases  # noqa: E402
import bench_peers as peers  # noqa: E402
import bench_proc as bp  # noqa: E402
from bench_proc import ROOT  # noqa: E402
from synth import synthesise  # noqa: E402

# The targets on the 2-core reference machine: (what, where in the result, at most / at least, bound).
TARGETS = (
    ("example, cold build, median (s)", ("example", "wall", "median"), "<=", 2.0),
    ("1x, wall vs pandoc + xelatex", ("ratio", "1", "pandoc+xelatex"), "<=", 0.5),
    ("50x, wall vs pandoc + xelatex", ("ratio", "50", "pandoc+xelatex"), "<=", 1.0),
    ("50x, peak memory (MB)", ("synthetic", "50", "peak_mb"), "<=", 400.0),
    ("watch rebuild after an edit, 1x (s)", ("watch", "1", "rebuild", "median"), "<=", 0.5),
    ("watch rebuild after an edit, 50x (s)", ("watch", "50", "rebuild", "median"), "<=", 3.0),
    ("make after a one-line edit (s)", ("make", "edit", "median"), "<=", 1.0),
    ("make with nothing changed (s)", ("make", "noop", "median"), "<=", 0.05),
    ("two dossiers at once vs one after the other", ("two_at_once", "ratio"), ">=", 1.7),
)


def _scales(text: str) -> list[int]:
    return sorted({int(s) for s in text.split(",") if s.strip()})


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dossier", nargs="?", default=ROOT / "content", type=Path, help="the example (default content/)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per figure (default 3)")
    parser.add_argument("--scales", default="1", help="synthetic sizes, comma-separated (default 1; 1,10,50 takes long)")
    parser.add_argument("--peer-scales", default=None, help="sizes the peers run at (default: --scales)")
    parser.add_argument("--no-peers", action="store_true", help="leave Typst and pandoc + xelatex out")
    parser.add_argument("--no-make", action="store_true", help="leave `make` out")
    parser.add_argument("--quick", action="store_true", help="one run of everything at 1x: for tests, says nothing about speed")
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--timeout", type=float, default=bp.TIMEOUT, help="--timeout of each build (default 3600 s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.scales = 1, "1"
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def _dig(data: Any, path: tuple[str, ...]) -> float | None:
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list):
            data = next((row for row in data if str(row.get("scale")) == key), None)
        else:
            return None
    return float(data) if isinstance(data, int | float) else None


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for what, path, op, bound in TARGETS:
        value = _dig(result, path)
        met = None if value is None else (value <= bound if op == "<=" else value >= bound)
        out.append({"what": what, "target": f"{op} {bound:g}", "measured": value, "met": met})
    return out


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    bp.TIMEOUT = args.timeout
    dossier = args.dossier.resolve()
    scales = _scales(args.scales)
    peer_scales = [] if args.no_peers else _scales(args.peer_scales if args.peer_scales is not None else args.scales)
    scales = sorted(set(scales) | set(peer_scales))
    can = peers.available() if not args.no_peers else dict.fromkeys(peers.PEERS, "--no-peers")
    _, typst_version = peers.typst_python()
    result: dict[str, Any] = {
        "machine": bp.machine(typst_version if can["typst"] is None else None),
        "settings": {
            "runs": args.runs,
            "scales": scales,
            "peer_scales": peer_scales,
            "quick": args.quick,
            "cold": cases.cache_flag() or ["DOSSIER_CACHE=off"],
        },
    }
    print(f"example {dossier}: {args.runs} cold builds", file=sys.stderr, flush=True)
    result["example"] = cases.cold("example", dossier, args.runs, work, with_phases=True)
    synthetic: dict[int, Path] = {}
    result["synthetic"], result["watch"], result["peers"], result["ratio"] = [], [], [], {}
    for scale in scales:
        folder = work / f"synth-{scale}x"
        synthesise(dossier, folder, scale)
        synthetic[scale] = folder
        print(f"{scale}x: {args.runs} cold builds", file=sys.stderr, flush=True)
        row = cases.cold(f"{scale}x", folder, args.runs, work)
        result["synthetic"].append({"scale": scale, **row})
        result["watch"].append({"scale": scale, **cases.watch(f"{scale}x", folder, args.runs, work)})
        if scale in peer_scales:
            ratios: dict[str, Any] = {}
            for peer in peers.PEERS:
                if can[peer] is not None:
                    result["peers"].append({"scale": scale, "peer": peer, "skipped": can[peer]})
                    continue
                got = peers.measure(peer, f"{scale}x", folder, args.runs, work)
                result["peers"].append({"scale": scale, **got})
                if "wall" in got:
                    ratios[peer] = row["wall"]["median"] / got["wall"]["median"]
                    ratios[f"{peer} memory"] = row["peak_mb"] / got["peak_mb"]
            result["ratio"][str(scale)] = ratios
    print("make", file=sys.stderr, flush=True)
    result["make"] = {"skipped": "--no-make"} if args.no_make else cases.make(dossier, args.runs, work)
    print("two at once", file=sys.stderr, flush=True)
    result["two_at_once"] = cases.two_at_once(synthetic.get(1, dossier), args.runs, work)
    result["machine"]["load_average_end"] = list(os.getloadavg())
    result["targets"] = targets(result)
    return result


def _s(stats: dict[str, Any] | None, unit: str = "s", scale: float = 1.0) -> str:
    if not stats:
        return "—"
    return f"{stats['median'] * scale:.2f} {unit} [{stats['min'] * scale:.2f}–{stats['max'] * scale:.2f}]"


def table(r: dict[str, Any]) -> str:
    m, runs = r["machine"], r["settings"]["runs"]
    lines = [
        f"machine: {m['cpu_model']}, {m['cpus']} CPUs, {m['ram_gib']} GiB, load {m['load_average'][0]:.2f}; Python {m['python']}, "
        f"WeasyPrint {m['weasyprint']}, pandoc {m['pandoc']}, Typst {m['typst']}, xelatex {(m['xelatex'] or 'none').split(' (')[0]}",
        f"cold builds, median [min–max] of {runs} fresh process(es), no cache:",
        f"  {'dossier':<9} {'wall':>26} {'peak MB':>8} {'PDF KB':>8} {'pages':>6} {'refs':>5}",
    ]
    for row in (r["example"], *r["synthetic"]):
        lines.append(
            f"  {row['name']:<9} {_s(row['wall']):>26} {row['peak_mb']:>8.0f} {row['pdf_bytes'] / 1e3:>8.0f} {row['pages']:>6} {row['references']:>5}"
        )
    lines.append("phases of the example's cold build, median [min–max]:")
    for key, stats in r["example"]["phases"].items():
        lines.append(f"  {key:<9} {_s(stats):>26}")
    lines.append("dossier watch, rebuild after a one-line edit (edit → new PDF):")
    for w in r["watch"]:
        if "rebuild" in w:
            lines.append(f"  {w['name']:<9} {_s(w['rebuild']):>26}  (first build {w['first_build']:.2f} s, peak {w['peak_mb']:.0f} MB)")
        else:
            lines.append(f"  {w['name']:<9} skipped: {w.get('skipped') or w.get('error')}")
    mk = r["make"]
    if "noop" in mk:
        lines.append(f"make: nothing to do {_s(mk['noop'], 'ms', 1000)}; after a one-line edit {_s(mk['edit'])} (peak {mk['edit_peak_mb']:.0f} MB)")
    else:
        lines.append(f"make: skipped: {mk.get('skipped') or mk.get('error')}")
    two = r["two_at_once"]
    lines.append(
        f"two dossiers ({Path(two['dossier']).name}): one after the other {_s(two['sequential'])}, at once {_s(two['parallel'])}; "
        f"ratio {two['ratio']:.2f}x"
    )
    lines.append("peers on the same content (wall; peak MB; pages) and dossier/peer:")
    for p in r["peers"]:
        head = f"  {str(p['scale']) + 'x':<5} {p['peer']:<15}"
        if "wall" not in p:
            lines.append(f"{head} skipped: {p.get('skipped') or p.get('error', '')[:200]}")
            continue
        ratio = r["ratio"].get(str(p["scale"]), {})
        lines.append(
            f"{head} {_s(p['wall']):>26} {p['peak_mb']:>6.0f} MB {p['pages']:>5} p.  "
            f"dossier/{p['peer']}: {ratio.get(p['peer'], 0):.2f}x wall, {ratio.get(p['peer'] + ' memory', 0):.2f}x memory"
        )
    if not r["peers"]:
        lines.append("  none run (--no-peers)")
    lines.append("issue 11's targets (2-core reference machine):")
    for t in r["targets"]:
        verdict = {True: "met", False: "not met", None: "not measured"}[t["met"]]
        value = "—" if t["measured"] is None else f"{t['measured']:.3g}"
        lines.append(f"  {t['what']:<46} {t['target']:>8}  {value:>8}  {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    work = Path(tempfile.mkdtemp(prefix="dossier-bench-"))
    try:
        result = measure(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
