"""The cases of `tests/fixtures/invalid/` hold only what differs from `tests/fixtures/small`.

A case folder is the small fixture dossier overlaid with the case's own entries:
each top-level file or folder of the case replaces the one of the same name in
the base (a folder may replace a file: `chronology.yaml/` as a folder), and the
names listed under `delete:` in the case's `case.yaml` are left out of the base
(a case that needs a base file absent, `Excerpts.yaml` without `excerpts.yaml`).
`expected.err` is copied too, so the dossier checked is the whole folder a user
would have had.

The errors name the case as `tests/fixtures/invalid/NAME/FILE`: `materialize`
builds the dossier at that same relative path under a scratch folder, and the
check runs from there.

From the repository root:

    .venv/bin/python tests/invalid_case.py check NAME    # what `dossier check` prints for the case
    .venv/bin/python tests/invalid_case.py reduce NAME   # drop the files a new case copied unchanged

To add a case: `cp -r tests/fixtures/small tests/fixtures/invalid/NAME`, make the one
mistake, run `reduce NAME`, then `check NAME`, read the message critically, and write
what the tool *should* print to `tests/fixtures/invalid/NAME/expected.err`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "fixtures" / "small"
INVALID = ROOT / "tests" / "fixtures" / "invalid"
RELATIVE = INVALID.relative_to(ROOT)
MANIFEST = "case.yaml"


def deleted(case: Path) -> list[str]:
    """The base files a case leaves out: `delete:` of its `case.yaml`, if it has one."""
    manifest = case / MANIFEST
    if not manifest.is_file():
        return []
    data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    unknown = set(data) - {"delete"}
    if unknown:
        raise ValueError(f"{manifest}: unknown keys {sorted(unknown)}, expected delete")
    names = list(data.get("delete") or [])
    for name in names:
        if not (BASE / name).exists():
            raise ValueError(f"{manifest}: delete: {name!r} is not a file of {BASE.relative_to(ROOT)}")
    return names


def materialize(case: Path, scratch: Path) -> Path:
    """The whole dossier of `case`, at `scratch/tests/fixtures/invalid/NAME`; returns that folder.

    Run the check from `scratch`, on the returned folder's path relative to it, and the
    messages name the files as they would in a full copy inside the repository."""
    dest = scratch / RELATIVE / case.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    gone = set(deleted(case))
    shutil.copytree(BASE, dest, symlinks=True, ignore=lambda _d, names: [n for n in names if n in gone])
    for entry in sorted(case.iterdir()):
        if entry.name == MANIFEST:
            continue
        target = dest / entry.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True)
        else:
            shutil.copy2(entry, target, follow_symlinks=False)
    return dest


def reduce(case: Path) -> list[str]:
    """Remove the files of `case` that are byte copies of the base, and list under `delete:` the
    base files the case lacks (so that `materialize` gives back exactly the folder it was).
    Returns the names removed."""
    removed = []
    for base_file in sorted(BASE.iterdir()):
        mine = case / base_file.name
        if mine.is_file() and not mine.is_symlink() and mine.read_bytes() == base_file.read_bytes():
            mine.unlink()
            removed.append(base_file.name)
    absent = [p.name for p in sorted(BASE.iterdir()) if p.name not in removed and not (case / p.name).exists() and not (case / p.name).is_symlink()]
    absent = sorted(set(absent) | set(deleted(case)))
    if absent:
        (case / MANIFEST).write_text(yaml.safe_dump({"delete": absent}, sort_keys=False), encoding="utf-8")
    return removed


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("check", "reduce"):
        print(__doc__, file=sys.stderr)
        return 2
    command, name = argv
    case = INVALID / name
    if not case.is_dir():
        print(f"{case}: no such case", file=sys.stderr)
        return 2
    if command == "reduce":
        print("removed:", " ".join(reduce(case)) or "nothing")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = materialize(case, Path(scratch))
        cmd = [sys.executable, "-m", "dossier", "check", str(folder.relative_to(scratch))]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        return subprocess.run(cmd, cwd=scratch, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
