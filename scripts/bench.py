"""Benchmark the example build: medians of several runs, cold (new process) and warm (in-process).

Usage: python scripts/bench.py [DOSSIER_DIR] [--runs N]
Prints one line per measure; never asserts a time (these machines are noisy).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dossier", nargs="?", default="content", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp()) / "bench.pdf"

    cold = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dossier", "build", str(args.dossier), "-o", str(out)], check=True, capture_output=True)
        cold.append(time.perf_counter() - start)

    from dossier import build
    from dossier.typeset import typeset

    stages: dict[str, list[float]] = {"prepare (load, check, pandoc)": [], "render (Jinja)": [], "typeset (WeasyPrint)": []}
    for _ in range(args.runs):
        t0 = time.perf_counter()
        p = build.prepare(args.dossier)
        t1 = time.perf_counter()
        html, css = build.render_prepared(p)
        t2 = time.perf_counter()
        pdf = typeset(html, css, args.dossier, p.theme_dirs)
        t3 = time.perf_counter()
        for key, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            stages[key].append(value)

    from pypdf import PdfReader

    pages = len(PdfReader(out).pages)
    print(f"dossier: {args.dossier}, {pages} pages, {len(pdf)} bytes, median of {args.runs} runs")
    print(f"cold build (new process):   {statistics.median(cold):.2f} s  (min {min(cold):.2f}, max {max(cold):.2f})")
    warm = [sum(v) for v in zip(*stages.values(), strict=True)]
    print(f"warm rebuild (in process):  {statistics.median(warm):.2f} s")
    for key, values in stages.items():
        print(f"  {key:<30} {statistics.median(values):.3f} s")


if __name__ == "__main__":
    main()
