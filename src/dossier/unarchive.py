"""Reading an archive back out (the `extract` and `verify` commands, outside the build).

`read_attachments` reads the files of an archive PDF (archive.py says what goes in), trusting
nothing in it: the name tree may loop, a small stream may inflate to gigabytes, and a name
may point anywhere. `extract` writes them under a folder, every name checked before anything
is written, no link followed and nothing overwritten without `force`; `verify` checks them
against the SHA-256 the manifest records.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from .characters import shows_on_terminal
from .errors import DossierError, Location, Problem, display
from .sourcedate import MANIFEST

MAX_FILES = 10_000  # attachments extract and verify read at most
MAX_BYTES = 2**30  # bytes they decompress at most, all files together


def _where(archive: Path) -> Location:
    return Location(display(archive), 1, 1)


def read_attachments(archive: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of every file in the archive's EmbeddedFiles name tree, in tree order,
    duplicates kept (for the caller to refuse). The name is the file specification's own."""
    import pikepdf

    where = _where(archive)
    try:
        doc = pikepdf.open(archive)
    except (pikepdf.PdfError, OSError) as exc:
        raise DossierError.at(where, f"cannot be read as a PDF ({exc}), expected an archive built with --profile archive") from None
    with doc:
        tree = doc.Root.get("/Names")
        names = tree.get("/EmbeddedFiles") if isinstance(tree, pikepdf.Dictionary) else None
        if not isinstance(names, pikepdf.Dictionary):
            raise DossierError.at(where, "holds no attached files, expected an archive built with --profile archive")
        out: list[tuple[str, bytes]] = []
        seen: set[tuple[int, int]] = set()

        def visit(node: Any, depth: int) -> None:
            if not isinstance(node, pikepdf.Dictionary):
                raise DossierError.at(where, "its name tree of attached files is broken, expected a tree of dictionaries")
            if depth > 32 or (node.is_indirect and node.objgen in seen):
                raise DossierError.at(where, "its name tree of attached files loops or is too deep, expected a tree")
            if node.is_indirect:
                seen.add(node.objgen)
            for kid in node.get("/Kids", pikepdf.Array()):
                visit(kid, depth + 1)
            pairs = list(node.get("/Names", pikepdf.Array()))
            for key, spec in zip(pairs[::2], pairs[1::2], strict=False):
                name = spec.get("/UF", spec.get("/F", key)) if isinstance(spec, pikepdf.Dictionary) else key
                ef = spec.get("/EF") if isinstance(spec, pikepdf.Dictionary) else None
                stream = ef.get("/F") if isinstance(ef, pikepdf.Dictionary) else None
                if not isinstance(stream, pikepdf.Stream) or not isinstance(name, pikepdf.String):
                    raise DossierError.at(where, f"attachment '{name}' has no embedded file or no name, expected both")
                if len(out) >= MAX_FILES:
                    raise DossierError.at(where, f"holds more than {MAX_FILES} attached files, expected a dossier's sources")
                out.append((str(name), _decoded(stream, str(name), where, MAX_BYTES - sum(len(d) for _, d in out))))

        try:
            visit(names, 0)
        except pikepdf.PdfError as exc:
            raise DossierError.at(where, f"an attached file cannot be read ({exc}), expected an intact archive") from None
    return out


def _decoded(stream: Any, name: str, where: Location, room: int) -> bytes:
    """An attached file's bytes, decompressed no further than `room`: a small stream may inflate
    to gigabytes (a decompression bomb). dossier writes them Flate-compressed or plain."""
    import zlib

    import pikepdf

    filters = stream.get("/Filter", pikepdf.Array())
    filters = [filters] if isinstance(filters, pikepdf.Name) else list(filters)
    if filters not in ([], [pikepdf.Name.FlateDecode]) or "/DecodeParms" in stream:
        raise DossierError.at(where, f"attachment '{name}' is encoded with {filters}, expected Flate-compressed or plain data")
    raw: bytes = stream.read_raw_bytes()
    if not filters:
        data = raw
    else:
        inflate = zlib.decompressobj()
        try:
            data = inflate.decompress(raw, room + 1)
        except zlib.error as exc:
            raise DossierError.at(where, f"attachment '{name}' cannot be decompressed ({exc}), expected an intact archive") from None
    if len(data) > room:
        raise DossierError.at(where, f"attachment '{name}' takes the attached files over {MAX_BYTES // 2**20} MiB, expected a dossier's sources")
    return data


def _name_problem(name: str) -> str | None:
    """Why an attachment name may not become a file under the extraction folder, or None."""
    if not name or len(name) > 1024:
        return "an empty or overlong name"
    if not all(shows_on_terminal(c) for c in name):
        return "a control character (NUL, a line break …) in its name"
    if "\\" in name or ":" in name:
        return "a backslash or colon in its name (a Windows path or drive letter)"
    if name.startswith("/"):
        return "an absolute name"
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "a name with an empty, '.' or '..' part"
    if any(len(p.encode()) > 255 or p != p.rstrip(". ") for p in parts):
        return "a name part that is overlong or ends in a dot or space"
    return None


def _plan(archive: Path, files: list[tuple[str, bytes]], folder: Path, force: bool) -> list[tuple[Path, bytes]]:
    """Where each file goes, every name checked before anything is written."""
    where = _where(archive)
    problems = []
    folded: dict[str, str] = {}
    names = [name for name, _ in files]
    for name in names:
        why = _name_problem(name)
        if why is None and name.casefold() in folded:
            other = folded[name.casefold()]
            why = "a name given twice" if other == name else f"the same file name as '{other}' on a case-insensitive file system"
        if why is None:  # a file and a folder of one name: 'a' and 'a/b'
            parts = name.casefold().split("/")
            prefixes = {"/".join(parts[:i]) for i in range(1, len(parts))}
            clash = next((n for n in names if n.casefold() in prefixes), None)
            if clash:
                why = f"a name that is both a file and a folder of '{clash}'"
        if why:
            problems.append(Problem(where, f"attachment '{name}' refused: {why}, expected a relative file name inside the folder"))
        else:
            folded[name.casefold()] = name
    if problems:
        raise DossierError(problems)
    plan = []
    for name, data in files:
        target = folder.joinpath(*name.split("/"))
        step = folder
        for part in name.split("/")[:-1]:
            step = step / part
            if step.is_symlink() or (step.exists() and not step.is_dir()):
                problems.append(
                    Problem(
                        Location(display(step), 1, 1),
                        f"a link or file where attachment '{name}' needs a folder, expected a plain folder (or nothing of that name)",
                    )
                )
                break
        else:
            if target.is_symlink() or (target.exists() and not target.is_file()):
                problems.append(Problem(Location(display(target), 1, 1), "a link or folder, expected a plain file (or nothing) to write to"))
            elif target.exists() and not force:
                problems.append(Problem(Location(display(target), 1, 1), "exists, expected a new file (use --force to overwrite)"))
            elif target.exists() and target.stat().st_nlink > 1:  # overwriting it would change the other name's file too
                problems.append(
                    Problem(
                        Location(display(target), 1, 1), "a file with another name (a hard link), expected a file of the folder's own to overwrite"
                    )
                )
        plan.append((target, data))
    if problems:
        raise DossierError(problems)
    return plan


def extract(archive: Path, folder: Path, force: bool = False) -> list[str]:
    """Write the archive's files under `folder` (created if need be); return their names.
    Nothing lands outside it, no link is followed, nothing is overwritten without `force`."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise DossierError.at(Location(display(folder), 1, 1), "not a folder, expected a folder to extract into")
    files = read_attachments(archive)
    plan = _plan(archive, files, folder, force)
    folder.mkdir(parents=True, exist_ok=True)
    for target, data in plan:
        step = folder
        for part in target.relative_to(folder).parts[:-1]:
            step = step / part
            if not step.is_dir():
                step.mkdir()
            if step.is_symlink():  # made by someone else since the plan
                raise DossierError.at(Location(display(step), 1, 1), "became a link while extracting, expected a folder")
        flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_TRUNC if force else os.O_EXCL)
        try:
            fd = os.open(target, flags, 0o644)
        except OSError as exc:  # made by someone else since the plan, or a name the file system refuses
            raise DossierError.at(Location(display(target), 1, 1), f"cannot be written ({exc.strerror}), expected a new file") from None
        with os.fdopen(fd, "wb") as out:
            if not stat.S_ISREG(os.fstat(out.fileno()).st_mode):
                raise DossierError.at(Location(display(target), 1, 1), "not a regular file, expected a file to write")
            out.write(data)
    return [name for name, _ in files]


def verify(archive: Path) -> int:
    """Check every attached file against the manifest and every manifest entry attached;
    return the number of files checked, or raise with one line per file that differs."""
    where = _where(archive)
    files = read_attachments(archive)
    found = dict(files)
    if MANIFEST not in found:
        raise DossierError.at(where, f"has no {MANIFEST}, expected an archive built with --profile archive")
    try:
        listed = json.loads(found.pop(MANIFEST))["files"]
        assert isinstance(listed, dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise DossierError.at(where, f"its {MANIFEST} is not a manifest, expected the one dossier writes") from None
    problems = []
    if len(files) != len(found) + 1:
        problems.append(Problem(where, "holds two attachments of one name, expected each file once"))
    for name, data in sorted(found.items()):
        entry = listed.get(name)
        if not isinstance(entry, dict):
            problems.append(Problem(where, f"'{name}' is attached but not in the manifest, expected only the files it lists"))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.get("sha256"):
            problems.append(Problem(where, f"'{name}' changed: its SHA-256 is {digest[:16]}…, the manifest records {str(entry.get('sha256'))[:16]}…"))
    for name in sorted(set(listed) - set(found)):
        problems.append(Problem(where, f"'{name}' is in the manifest but not attached, expected every file it lists"))
    if problems:
        raise DossierError(problems)
    return len(found)
