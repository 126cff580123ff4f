"""Stage 6: write the PDF atomically, or not at all.

The bytes are checked (a PDF header, an end-of-file marker), written to a
temporary file in the target's folder, flushed to disk, then renamed over
the old PDF (Lektor's `atomic_open`). A failure at any point leaves the
previous PDF exactly as it was.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from .errors import DossierError, Location, display


def check_pdf(data: bytes) -> str | None:
    """What is wrong with these bytes as a PDF, or None (header, trailer, and a full parse)."""
    if not data.startswith(b"%PDF-"):
        return "output does not start with %PDF-"
    if b"%%EOF" not in data[-1024:]:
        return "output does not end with %%EOF"
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if len(reader.pages) == 0:
            return "output has no pages"
    except (PyPdfError, ValueError, KeyError) as exc:
        return f"output does not parse as PDF: {exc}"
    return None


def check_target(path: Path) -> None:
    """The output path must be a regular file or not exist: renaming over a folder fails, and over
    a device or a symlink it replaces that node, not the file the user meant."""
    where = Location(display(path), 1, 1)
    if path.is_symlink():
        raise DossierError.at(where, "output is a symbolic link, expected a plain file path to write the PDF to")
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        raise DossierError.at(where, f"output is {what}, expected a file path to write the PDF to (-o FILE.pdf)")


def write_atomic(path: Path, data: bytes) -> None:
    check_target(path)
    try:
        _write(path, data)
    except OSError as exc:  # a full disk, no permission: the previous PDF is still in place
        raise DossierError.at(Location(display(path), 1, 1), f"could not write the PDF: {exc.strerror or exc}") from None


def _write(path: Path, data: bytes) -> None:
    problem = check_pdf(data)
    if problem:
        raise DossierError.at(Location(str(path)), f"refusing to write a broken PDF: {problem}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a PDF is a normal file
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
