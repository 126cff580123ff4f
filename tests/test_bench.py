"""`make bench` (scripts/bench.py) in its quickest form on the small fixture: every figure is in
build/bench.json and the table prints. Times are never asserted: only that each was measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_proc  # noqa: E402
from peers import convert  # noqa: E402


def _stats(value: Any) -> None:
    assert set(value) >= {"median", "min", "max", "runs"}
    assert value["min"] <= value["median"] <= value["max"]
    assert all(isinstance(v, float) for v in value["runs"])


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), DOSSIER_CACHE="off")
    done = subprocess.run(
        [sys.executable, "scripts/bench.py", "tests/fixtures/small", "--quick", "--no-peers", "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


@pytest.mark.layout
@pytest.mark.slow
def test_json_has_every_figure(bench: tuple[dict[str, Any], str]) -> None:
    result, _ = bench
    machine = result["machine"]
    for key in ("cpu_model", "cpus", "ram_gib", "load_average", "python", "weasyprint", "pandoc", "typst", "xelatex"):
        assert key in machine
    assert machine["cpus"] >= 1 and len(machine["load_average"]) == 3
    example = result["example"]
    _stats(example["wall"])
    assert set(example["phases"]) == {"start", "prepare", "render", "typeset", "finish"}
    for stats in example["phases"].values():
        _stats(stats)
    # Each phase was seen in the build's own stages (DOSSIER_TIMINGS): none is left empty.
    assert all(stats["max"] > 0 for stats in example["phases"].values())
    for row in (example, *result["synthetic"]):
        assert row["pages"] >= 1 and row["pdf_bytes"] > 1000 and row["peak_mb"] > 10 and row["references"] >= 1
    assert [row["scale"] for row in result["synthetic"]] == [1]
    (watch,) = result["watch"]
    assert "rebuild" in watch or "skipped" in watch
    if "rebuild" in watch:
        _stats(watch["rebuild"])
    make = result["make"]
    assert "noop" in make or "skipped" in make
    if "noop" in make:
        _stats(make["noop"])
        _stats(make["edit"])
    two = result["two_at_once"]
    _stats(two["sequential"])
    _stats(two["parallel"])
    assert two["ratio"] > 0
    assert result["peers"] == [] and result["settings"]["peer_scales"] == []
    assert {t["what"] for t in result["targets"]} >= {"example, cold build, median (s)", "make with nothing changed (s)"}


@pytest.mark.layout
@pytest.mark.slow
def test_table_prints(bench: tuple[dict[str, Any], str]) -> None:
    _, table = bench
    for heading in ("machine:", "cold builds", "phases of the example", "dossier watch", "make", "two dossiers", "peers", "targets"):
        assert heading in table
    assert "wrote " in table.splitlines()[-1]


def test_one_line_edit_changes_one_line(tmp_path: Path) -> None:
    for name in ("chronology.yaml", "dossier.yaml"):
        (tmp_path / name).write_text((ROOT / "tests/fixtures/small" / name).read_text(encoding="utf-8"), encoding="utf-8")
    before = (tmp_path / "chronology.yaml").read_text(encoding="utf-8").split("\n")
    bench_proc.edit_line(tmp_path, 1)
    bench_proc.edit_line(tmp_path, 2)
    after = (tmp_path / "chronology.yaml").read_text(encoding="utf-8").split("\n")
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1] == changed[0][0] + " Edit 2."


def test_peers_read_the_same_content() -> None:
    """The pandoc Markdown and the Hayagriva bibliography carry the example's records and entries."""
    import yaml

    text = convert.markdown(ROOT / "content")
    meta = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))
    entries = yaml.safe_load((ROOT / "content/bibliography.yaml").read_text(encoding="utf-8"))
    assert [e["id"] for e in meta["references"]] == [e["id"] for e in entries]
    assert "{#art9}" in text and "[@unts263, art. 9]" in text and "{lang=" not in text
    refs = yaml.safe_load(convert.hayagriva(ROOT / "content"))
    assert list(refs) == [e["id"] for e in entries]
    assert refs["unts263"]["date"] == "1957" and refs["unts263"]["type"] == "legislation"


def test_phases_from_the_stages_the_build_names(tmp_path: Path) -> None:
    """A second layout pass (templates, then typesetting again) counts to render and typeset;
    a program run in a stage (pandoc) to the phase it runs in."""
    import bench_cases

    log = tmp_path / "timings.tsv"
    stages = [
        (101.0, "reading the dossier"),
        (102.0, "pandoc"),
        (103.0, "formatting rich text and citations"),
        (104.0, "rendering the templates"),
        (105.0, "typesetting"),
        (107.0, "rendering the templates"),
        (107.5, "typesetting"),
        (108.0, "finishing the PDF"),
    ]
    log.write_text("".join(f"{t:.6f}\t42\t{name}\n" for t, name in stages), encoding="utf-8")
    proc = bench_proc.Proc(wall=10.0, peak_mb=1.0, code=0, output="", started=100.0)
    phases = bench_cases.phases_of(proc, log)
    assert phases == pytest.approx({"start": 1.0, "prepare": 3.0, "render": 1.5, "typeset": 2.5, "finish": 2.0})
