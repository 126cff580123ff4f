"""Property: whatever bytes a dossier holds, the only outcomes are success or located dossier errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossier.build import check
from dossier.errors import DossierError

SMALL = Path(__file__).parent / "fixtures" / "small"
FILES = sorted(p.name for p in SMALL.iterdir() if p.suffix == ".yaml")
TOKENS = [
    ":", ": ", " #", "[", "]", "{", "}", "@", "@ulfstein1995", "&a", "*a", "!!python/object:os.system", "\t", "\n", "- ",
    "|", ">", "'", '"', "---", "\\", "^[", "](#", "](file:///etc/passwd)", "<a href=x>", "{{ d }}", "{% if %}",
    "1956-02-30", "no", "010", "\u00e9", "歯舞", "\U0001f600", "\x00", "\ufeff", "  ", "id: summary", "x-k: v",
]
LOCATED = re.compile(r"^.+:\d+:\d+: \S")


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(FILES))
    data = (SMALL / name).read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "raw"]))
        if kind == "insert":
            data = data[:pos] + draw(st.sampled_from(TOKENS)).encode() + data[pos:]
        elif kind == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 20)):]
        elif kind == "replace":
            data = data[:pos] + draw(st.sampled_from(TOKENS)).encode() + data[pos + draw(st.integers(1, 5)):]
        elif kind == "duplicate":
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            data = b"\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
        else:
            data = data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
    return name, data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations())
def test_mutated_dossiers_succeed_or_fail_with_located_errors(tmp_path: Path, case: tuple[str, bytes]) -> None:
    name, data = case
    root = tmp_path / "d"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(SMALL, root)
    (root / name).write_bytes(data)
    try:
        check(root)
    except DossierError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert LOCATED.match(str(problem)), str(problem)
