"""The one date a build writes into its PDF, so that the same inputs give the same bytes.

In order: the `SOURCE_DATE_EPOCH` environment variable (reproducible-builds.org), else the
date recorded in the `manifest.json` of a folder written by `dossier extract` (so that an
extracted archive rebuilds to the identical file wherever it lies), else the last git commit
touching the dossier folder (when git is installed and the folder is in a repository), else
the dossier's edition. None when there is none of these: the PDF then carries no date.
WeasyPrint itself reads none of them; typeset.py hands the date to its metadata.
"""

from __future__ import annotations

import calendar
import json
import os
import shutil
import stat
import time
from pathlib import Path

from . import sandbox
from .dates import DateValue
from .errors import DossierError, Location, display

MANIFEST = "manifest.json"
_LATEST = 2**33  # seconds: year 2242, far beyond any honest date, and within PDF's date syntax


def w3c_date(epoch: int) -> str:
    """The build's date as XMP and WeasyPrint's metadata write it (UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def pdf_date(epoch: int) -> str:
    """The build's date as a PDF date string (document information, attachments; UTC)."""
    return time.strftime("D:%Y%m%d%H%M%SZ", time.gmtime(epoch))


def source_epoch(root: Path, edition: DateValue | None) -> int | None:
    """Seconds since 1970 (UTC) for every date the build writes, or None."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env is not None and env.strip():
        if not env.strip().isdigit() or int(env) >= _LATEST:
            raise DossierError.at(Location("SOURCE_DATE_EPOCH", 0, 0), f"'{env}' is not a date, expected whole seconds since 1970-01-01 UTC")
        return int(env)
    recorded = manifest_epoch(root)
    if recorded is not None:
        return recorded
    committed = _git_epoch(root)
    if committed is not None:
        return committed
    if edition is not None:
        s = edition.start
        return calendar.timegm((s.year, s.month or 1, s.day or 1, 0, 0, 0))
    return None


def manifest_epoch(root: Path) -> int | None:
    """The `source_date_epoch` of an extracted archive's manifest.json, if the folder holds one."""
    path = root / MANIFEST
    try:
        info = path.lstat()
    except OSError:
        return None
    where = Location(f"{display(root)}/{MANIFEST}", 1, 1)
    # Read as any content file is: the dossier's own regular file, no link to elsewhere.
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1 or info.st_size > 2**20:
        raise DossierError.at(where, "not a regular file of the dossier, expected the manifest.json written by dossier extract")
    try:
        epoch = json.loads(path.read_bytes()).get("source_date_epoch")
    except (ValueError, AttributeError):
        raise DossierError.at(where, "not a manifest, expected the manifest.json written by dossier extract") from None
    if epoch is None:
        return None
    if not isinstance(epoch, int) or isinstance(epoch, bool) or not 0 <= epoch < _LATEST:
        raise DossierError.at(where, f"source_date_epoch: '{epoch}' is not a date, expected whole seconds since 1970")
    return epoch


def _git_epoch(root: Path) -> int | None:
    """The commit time of the last commit touching the folder, if git knows it."""
    git = shutil.which("git")
    if git is None:
        return None
    # Only the date of a commit: no configuration of the user's can make git print anything else.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent", "LC_ALL": "C"}
    proc = sandbox.run_command([git, "-C", str(root), "log", "-1", "--format=%ct", "--", "."], b"", "reading the date of the last commit", env=env)
    out = proc.stdout.decode("ascii", "replace").strip()
    return int(out) if proc.returncode == 0 and out.isdigit() else None
