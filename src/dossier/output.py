"""Stage 6: write the PDF atomically, or not at all.

The bytes are checked (a PDF header, an end-of-file marker), written to a
temporary file in the target's folder, flushed to disk, then renamed over
the old PDF (Lektor's `atomic_open`). A failure at any point leaves the
previous PDF exactly as it was. The writer holds a lock on the target's
folder, so that a later build can tell the temporary files of a killed one
(nobody holds the lock) from those of one still writing.

Before any work, the output path must not be one of the build's inputs, by
any spelling: see `check_target`.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import DossierError, Location, display


def check_pdf(data: bytes) -> str | None:
    """What is wrong with these bytes as a PDF, or None (header, trailer, and a full parse by
    qpdf through pikepdf, with its recovery of damaged files turned off: a file qpdf would have
    to repair is refused). pikepdf, not pypdf: the same check in about 5 ms instead of 190 ms
    on the example; the command line loads pikepdf anyway to count the pages it reports."""
    if not data.startswith(b"%PDF-"):
        return "output does not start with %PDF-"
    if b"%%EOF" not in data[-1024:]:
        return "output does not end with %%EOF"
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data), attempt_recovery=False) as pdf:
            if len(pdf.pages) == 0:
                return "output has no pages"
    except (pikepdf.PdfError, ValueError, KeyError) as exc:
        return f"output does not parse as PDF: {str(exc).removeprefix('stream ').split(': ', 1)[-1]}"
    return None


INPUT_SUFFIXES = (".yaml", ".yml", ".json", ".bib", ".csl")  # what a dossier's own files are named
FOLDER_NAMES = ("templates", "assets")


def check_target(path: Path, root: Path | None = None, folders: Iterable[Path] = ()) -> None:
    """The output path must be a regular file or not exist: renaming over a folder fails, and over
    a device or a symlink it replaces that node, not the file the user meant.

    Given the dossier `root` and the `folders` whose every file the build reads (the dossier's
    templates/ and assets/, the theme), the output must not be an input of the build, nor become
    one: not a file of those folders or in them, not a file of the dossier named as its content,
    bibliographies and styles are (.yaml, .yml, .json, .bib, .csl, templates, assets), nor the same
    file as one under another name (a hard link). Every spelling leads to the same folder, since
    folders are compared as files (`os.path.samefile`): relative or absolute, through `..` or a
    symlinked folder, in another case on a case-insensitive file system."""
    where = Location(display(path), 1, 1)
    if path.is_symlink():
        raise DossierError.at(where, "output is a symbolic link, expected a plain file path to write the PDF to")
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file"
        raise DossierError.at(where, f"output is {what}, expected a file path to write the PDF to (-o FILE.pdf)")
    problem = _input_problem(path, root, list(folders)) if root is not None else None
    if problem:
        raise DossierError.at(where, f"{problem}, expected a PDF path outside the files the build reads")


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _input_problem(path: Path, root: Path, folders: list[Path]) -> str | None:
    folder = path.parent.resolve()
    ancestors = [folder, *folder.parents]
    for protected in folders:
        # As files (any spelling of an existing folder), or as paths (one that does not exist yet).
        if any(_same(a, protected) for a in ancestors) or folder.is_relative_to(protected.resolve()):
            return f"output is inside {display(protected)}/, a folder whose every file the build reads"
    if any(_same(a, root) for a in ancestors):
        name = path.name.lower()
        if name.endswith(INPUT_SUFFIXES) or (_same(folder, root) and name in FOLDER_NAMES):
            what = "is" if path.exists() else "would become"
            return f"output {what} a file of the dossier that the build reads ('{path.name}')"
    if path.is_file() and path.stat().st_nlink > 1:  # another name of one of the inputs?
        for candidate in _inputs(root, folders):
            if _same(candidate, path):
                return f"output is the same file as {display(candidate)} (a hard link), which the build reads"
    return None


def _inputs(root: Path, folders: list[Path]) -> Iterator[Path]:
    """Every file the build may read: the dossier's files by their kinds' names, all of `folders`."""
    if root.is_dir():
        yield from (p for p in root.rglob("*") if p.name.lower().endswith(INPUT_SUFFIXES))
    for folder in folders:
        yield from folder.rglob("*")


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
    with _folder_locked(path.parent) as locked:
        if locked:
            _remove_stale_temps(path)
        _write_locked(path, data)


@contextmanager
def _folder_locked(folder: Path) -> Iterator[bool]:
    """Hold an exclusive lock on the target's folder while writing: the kernel drops it when the
    process dies, however it dies, so an unlocked folder means no dossier is writing there.
    Where the folder cannot be locked (a file system without flock), write all the same, but
    leave other temporary files alone: yields whether the lock is held."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)


def _temp_name(path: Path) -> re.Pattern[str]:
    """The names `tempfile.mkstemp` gives the temporary files of this target, and only those."""
    return re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp")


def _remove_stale_temps(path: Path) -> None:
    """Remove the temporary files of this target left by a build that was killed mid-write (a
    kill during the final fsync): called with the folder locked, so no live writer owns them."""
    pattern = _temp_name(path)
    for entry in os.scandir(path.parent):
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass


def _write_locked(path: Path, data: bytes) -> None:
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
