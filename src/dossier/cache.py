"""A content-addressed store for work a build can reuse (typeset sections, pandoc's output).

An entry is found only by a key that hashes everything its bytes were made from: the inputs
themselves, and the versions of dossier and of every program or library that made them
(`versions()`). So a stale entry is never found, only unused: an edit changes the key, and the
changed part is made again. Entries are written atomically (a temporary file, then a rename),
so a build killed mid-write, or two builds at once, never leave a torn entry; an entry that
cannot be read is a miss. `prune()` keeps the store under a size, dropping what was used least
recently.

Where: `--cache DIR`, else `$DOSSIER_CACHE`, else `$XDG_CACHE_HOME/dossier`, else
`~/.cache/dossier`; `--no-cache` (or `DOSSIER_CACHE=off`) uses none, and every build then
does all its work, as a cached one gives the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

MAX_BYTES = 512 * 1024 * 1024  # prune() keeps the store under this by default
_OFF = ("off", "no", "none", "0", "")


def key(*parts: bytes | str) -> str:
    """The SHA-256 of the parts, each length-prefixed (so ("ab", "c") and ("a", "bc") differ)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def default_root() -> Path | None:
    """The store's folder when none is given: $DOSSIER_CACHE, $XDG_CACHE_HOME/dossier or
    ~/.cache/dossier; None when $DOSSIER_CACHE says off."""
    named = os.environ.get("DOSSIER_CACHE")
    if named is not None:
        return None if named.strip().lower() in _OFF else Path(named)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "dossier" if xdg else Path.home() / ".cache" / "dossier"


def versions() -> str:
    """dossier's, WeasyPrint's, pydyf's and pikepdf's versions: part of every key, so that an
    upgrade never reuses what another version made."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("dossier", "weasyprint", "pydyf", "pikepdf"):
        try:
            out.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}=?")
    return ";".join(out)


class Store:
    """Entries by kind ("section", "pandoc", …) and key; a Store with no root keeps nothing."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, digest: str) -> Path:
        assert self.root is not None
        return self.root / kind / digest[:2] / digest

    def get(self, kind: str, digest: str) -> bytes | None:
        if self.root is None:
            return None
        path = self._path(kind, digest)
        try:
            data = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        try:
            os.utime(path)  # used now: prune() drops the least recently used first
        except OSError:
            pass
        self.hits += 1
        return data

    def put(self, kind: str, digest: str, data: bytes) -> None:
        """Keep the entry; a store that cannot be written (read-only, full) is skipped silently:
        a cache never fails a build."""
        if self.root is None:
            return
        path = self._path(kind, digest)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass

    def entries(self) -> Iterable[Path]:
        if self.root is None or not self.root.is_dir():
            return []
        return (p for p in self.root.glob("*/*/*") if p.is_file() and not p.name.startswith(".tmp-"))

    def prune(self, max_bytes: int = MAX_BYTES) -> int:
        """Drop the least recently used entries until the store holds at most max_bytes; return
        how many were dropped."""
        found = []
        for p in self.entries():
            try:
                st = p.stat()
            except OSError:
                continue
            found.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in found)
        dropped = 0
        for _, size, p in sorted(found, key=lambda t: (t[0], str(t[2]))):
            if total <= max_bytes:
                break
            try:
                p.unlink()
            except OSError:
                continue
            total -= size
            dropped += 1
        return dropped
