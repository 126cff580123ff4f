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

from .errors import DossierError, Location


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


def write_atomic(path: Path, data: bytes) -> None:
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
