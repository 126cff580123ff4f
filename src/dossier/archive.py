"""The archive profile: a PDF/A-3 file that carries its own sources, and reads them back.

What goes in (`collect`, in the build's child): every content file the build read
(`/AFRelationship /Source`), the theme files and CSL style it used (`/Supplement`) and
`manifest.json` (`/Data`: the versions of the software and fonts, the profile, the date
and the SHA-256 of every other file). `attach` writes them into the PDF with pikepdf, one
`/AF` entry and one name-tree entry per file, each with its MIME type, a description and
the build's fixed date. unarchive.py reads them back out.

Names are those of the dossier folder, wherever the files came from: content as named in
the dossier (`chronology.yaml`, `assets/map.png`, `templates/cover.html` for the dossier's
own theme files), the default theme under `theme/` and a bundled CSL style under
`styles/`. An extracted folder therefore rebuilds to the identical PDF: `theme/` and
`styles/` are not read by the build (the installed theme and styles are used, and the
manifest says which were), and `manifest.json` gives the build its date (sourcedate.py).

Why PDF/A-3u and not 3a: level A requires a complete logical structure (every piece of
content tagged in reading order, every figure with alternative text, every link inside a
`Link` element, artifacts marked). WeasyPrint 70's tags were measured short of that, and
no validator installs here to show that the repaired structure is complete; the file is
tagged all the same, and claims 3u (every character mapped to Unicode), which is checked.
The XMP packet also claims PDF/UA-1 (`pdfuaid:part`, pdfmeta.claim_pdfua), in the same `rdf:RDF` as
WeasyPrint's own PDF/A identification.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import os
import platform
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__, weasy
from .profiles import Profile
from .sourcedate import MANIFEST, pdf_date

FORMAT = "dossier archive 1"
MIME = {  # what mimetypes does not know, or names differently across systems
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".json": "application/json",
    ".bib": "application/x-bibtex",
    ".csl": "application/vnd.citationstyles.style+xml",
    ".html": "text/html",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".md": "text/markdown",
    ".txt": "text/plain",
}
SUPPLEMENT_DIRS = ("templates", "theme", "styles")


@dataclass(frozen=True)
class Attachment:
    """One file to attach: its name in the archive (a relative POSIX path) and its bytes."""

    name: str
    data: bytes

    @property
    def relationship(self) -> str:
        """/Source for content, /Supplement for theme and style, /Data for the manifest: by
        name alone, so that a rebuild of an extracted folder says the same."""
        if self.name == MANIFEST:
            return "Data"
        if self.name.split("/", 1)[0] in SUPPLEMENT_DIRS or self.name.endswith(".csl"):
            return "Supplement"
        return "Source"

    @property
    def mime(self) -> str:
        suffix = PurePosixPath(self.name).suffix.lower()
        return MIME.get(suffix) or mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    @property
    def description(self) -> str:
        what = {
            "Data": "the manifest of this archive: software, fonts, profile and the SHA-256 of every file",
            "Supplement": "a theme file or citation style the briefing was typeset with",
            "Source": "a content file of the dossier",
        }[self.relationship]
        return f"{self.name}: {what}"


# --- what the build read -------------------------------------------------------------------


def _files_under(root: Path, folder: str) -> Iterator[tuple[str, Path]]:
    from .discover import walk

    for path in walk(root / folder):
        if path.is_file():
            yield path.relative_to(root).as_posix(), path


def source_files(root: Path, bibliographies: Iterable[str], csl: Path, theme: Path) -> list[tuple[str, Path]]:
    """(name in the archive, file) of every input: content, bibliographies, the dossier's
    assets/ and templates/, the CSL style, and the default theme's files not shadowed by the
    dossier's own (words.yaml always: the dossier's is merged over it)."""
    from .model import CONTENT_FILES

    files = [(n, root / n) for n in CONTENT_FILES if (root / n).is_file()]
    files += [(PurePosixPath(os.path.normpath(n)).as_posix(), root / n) for n in bibliographies]
    files += [*_files_under(root, "assets"), *_files_under(root, "templates")]
    real = root.resolve()
    if csl.resolve().is_relative_to(real):
        files.append((csl.resolve().relative_to(real).as_posix(), csl))
    else:
        files.append((f"styles/{csl.name}", csl))
    own = {n for n, _ in files}
    for path in sorted(theme.iterdir()):
        if path.is_file() and (f"templates/{path.name}" not in own or path.name == "words.yaml"):
            files.append((f"theme/{path.name}", path))
    seen: dict[str, Path] = {}
    for name, path in files:
        seen.setdefault(name, path)
    return sorted(seen.items())


def software() -> dict[str, str]:
    """The versions of what made the file (run in the build's child)."""
    import pikepdf
    import pydyf
    import weasyprint

    return {
        "python": platform.python_version(),
        "weasyprint": weasyprint.__version__,
        "pydyf": pydyf.__version__,
        "pango": weasy.pango_version(),
        "harfbuzz": _harfbuzz_version(),
        "pandoc": _pandoc_version(),
        "pikepdf": pikepdf.__version__,
        "qpdf": pikepdf.__libqpdf_version__,
    }


def _harfbuzz_version() -> str:
    """HarfBuzz's version, from the library WeasyPrint loaded (its bindings do not declare it)."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef("const char *hb_version_string (void);")
    for name in ("libharfbuzz.so.0", "libharfbuzz.0.dylib", "harfbuzz"):
        try:
            return str(ffi.string(ffi.dlopen(name).hb_version_string()).decode())
        except OSError:
            continue
    return "unknown"


def _pandoc_version() -> str:
    from .pandoc import pandoc_path
    from .sandbox import run_command

    proc = run_command([pandoc_path(), "--version"], b"", "asking pandoc its version")
    first = proc.stdout.decode("utf-8", "replace").splitlines()[:1]
    return first[0].removeprefix("pandoc").strip() if proc.returncode == 0 and first else "unknown"


def fonts_used(document: Any) -> list[dict[str, object]]:
    """The font files WeasyPrint drew with (after `write_pdf`, which fills `document.fonts`):
    family, PostScript name, version and SHA-256 of each whole file, never its path."""
    from fontTools.ttLib import TTFont

    out: dict[tuple[str, int], dict[str, object]] = {}
    for family, index, data in weasy.drawn_fonts(document):
        digest = hashlib.sha256(data).hexdigest()
        if (digest, index) in out:
            continue
        names = TTFont(io.BytesIO(data), fontNumber=index, lazy=True)["name"]
        out[(digest, index)] = {
            "family": family,
            "postscript_name": names.getDebugName(6),
            "version": names.getDebugName(5),
            "index": index,
            "sha256": digest,
            "size": len(data),
        }
    return [out[k] for k in sorted(out)]


def manifest(files: list[Attachment], profile: Profile, epoch: int | None, tools: dict[str, str], fonts: list[dict[str, object]]) -> Attachment:
    """manifest.json: everything needed to say what made this file and to check its inputs."""
    body = {
        "format": FORMAT,
        "dossier": __version__,
        "profile": {"name": profile.name, **profile.options},
        "source_date_epoch": epoch,
        "software": tools,
        "fonts": fonts,
        "files": {
            f.name: {"sha256": hashlib.sha256(f.data).hexdigest(), "size": len(f.data), "relationship": f.relationship, "mime": f.mime} for f in files
        },
    }
    return Attachment(MANIFEST, (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode())


def collect(sources: list[tuple[str, Path]], profile: Profile, epoch: int | None, fonts: list[dict[str, object]]) -> tuple[Attachment, ...]:
    """Every file to attach, the manifest last."""
    files = [Attachment(name, path.read_bytes()) for name, path in sources]
    return (*files, manifest(files, profile, epoch, software(), fonts))


# --- into the PDF ---------------------------------------------------------------------------


def attach(doc: Any, files: tuple[Attachment, ...], epoch: int | None) -> None:
    """Embed the files, each once in the EmbeddedFiles name tree and once in the catalog's /AF."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    tree = pikepdf.NameTree.new(doc)
    associated = Array()
    for f in files:
        params = Dictionary(Size=len(f.data), CheckSum=String(hashlib.md5(f.data).digest()))  # noqa: S324 - PDF's checksum is MD5
        if epoch is not None:
            params.CreationDate = params.ModDate = String(pdf_date(epoch))
        stream = pikepdf.Stream(doc, f.data)
        stream.Type, stream.Subtype, stream.Params = Name.EmbeddedFile, Name("/" + f.mime), params
        spec = doc.make_indirect(
            Dictionary(
                Type=Name.Filespec,
                F=String(f.name),
                UF=String(f.name),
                Desc=String(f.description),
                AFRelationship=Name("/" + f.relationship),
                EF=Dictionary(F=stream, UF=stream),
            )
        )
        tree[f.name] = spec
        associated.append(spec)
    if "/Names" not in doc.Root:
        doc.Root.Names = Dictionary()
    doc.Root.Names.EmbeddedFiles = tree.obj
    doc.Root.AF = doc.make_indirect(associated)
