"""scripts/sysdeps.sh: the check `make` runs before anything else.

CI once failed because the check itself was flaky (grep -q under pipefail
kills the writer with SIGPIPE), so it is run many times here.
"""

import os
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "sysdeps.sh"


def _check(env=None):
    return subprocess.run(["bash", str(SCRIPT), "--check"], capture_output=True, text=True, env=env)


def test_check_passes_every_time_where_make_has_set_up():
    results = [_check() for _ in range(40)]
    failures = [r.stderr for r in results if r.returncode != 0]
    assert failures == []


def test_check_names_what_is_missing_and_installs_nothing(tmp_path):
    fake = tmp_path / "ldconfig"
    fake.write_text("#!/bin/sh\necho '0 libs found in cache'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    result = _check(env)
    assert result.returncode == 1
    assert result.stderr.strip() == "missing system packages: libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0"
