"""The archive profile: a PDF/A-3 file that carries its own sources, and reads them back.

What goes in (`collect`, in the build's child): every content file the build read
(`/AFRelationship /Source`), the theme files and CSL style it used (`/Supplement`) and
`manifest.json` (`/Data`: the versions of the software and fonts, the profile, the date
and the SHA-256 of every other file). `attach` writes them into the PDF with pikepdf, one
`/AF` entry and one name-tree entry per file, each with its MIME type, a description and
the build's fixed date. `extract` writes them back out into a folder, trusting no name;
`verify` checks them against the manifest.

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
The XMP packet also claims PDF/UA-1 (`pdfuaid:part`), in the same `rdf:RDF` as
WeasyPrint's own PDF/A identification.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
import os
import platform
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .errors import DossierError, Location, Problem, display
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
MAX_FILES = 10_000  # attachments extract and verify read at most
MAX_BYTES = 2**30  # bytes they decompress at most, all files together


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
    from .build import walk

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
    from weasyprint.text.ffi import pango

    pango_version = pango.pango_version()  # major * 10000 + minor * 100 + micro
    return {
        "python": platform.python_version(),
        "weasyprint": weasyprint.__version__,
        "pydyf": pydyf.__version__,
        "pango": f"{pango_version // 10000}.{pango_version // 100 % 100}.{pango_version % 100}",
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
    from weasyprint.text.fonts import get_hb_object_data

    out: dict[tuple[str, int], dict[str, object]] = {}
    for font in document.fonts.values():
        data = get_hb_object_data(font.hb_face)  # the file, not the subset written to the PDF
        digest = hashlib.sha256(data).hexdigest()
        if (digest, font.index) in out:
            continue
        names = TTFont(io.BytesIO(data), fontNumber=font.index, lazy=True)["name"]
        out[(digest, font.index)] = {
            "family": str(font.family),
            "postscript_name": names.getDebugName(6),
            "version": names.getDebugName(5),
            "index": font.index,
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


def claim_pdfua(metadata: Any) -> None:
    """Add `pdfuaid:part` 1 to WeasyPrint's PDF/A identification, in its one `rdf:RDF`
    (WeasyPrint's `pdf_variant` takes one standard; `xmp_metadata=` would add a second RDF),
    by wrapping `generate_rdf_metadata` on this document's metadata only."""
    from xml.etree.ElementTree import fromstring, tostring

    from weasyprint.pdf.metadata import NS

    generate = metadata.generate_rdf_metadata

    def with_pdfua(variant: str, version: int, conformance: str | None) -> bytes:
        rdf = fromstring(generate(variant, version, conformance))
        description = rdf.find(f"{{{NS['rdf']}}}Description")
        assert description is not None
        description.set(f"{{{NS['pdfuaid']}}}part", "1")
        # PDF/A wants dc:creator equivalent to /Author, which WeasyPrint writes as the authors
        # joined by ", ": one entry, the same text (validators compare them as strings).
        for seq in rdf.iterfind(f".//{{{NS['dc']}}}creator/{{{NS['rdf']}}}Seq"):
            items = seq.findall(f"{{{NS['rdf']}}}li")
            if len(items) > 1:
                items[0].text = ", ".join(item.text or "" for item in items)
                for item in items[1:]:
                    seq.remove(item)
        rdf.append(_pdfua_extension_schema(NS["rdf"]))
        return bytes(tostring(rdf, encoding="utf-8"))

    metadata.generate_rdf_metadata = with_pdfua


EXTENSION = {
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}


def _pdfua_extension_schema(rdf_ns: str) -> Any:
    """The PDF/A extension schema describing `pdfuaid:part`: PDF/A admits in XMP only the
    predefined schemas (XMP's own, PDF/A's `pdfaid`) and those it is told about, and PDF/UA's
    identification schema is not predefined."""
    from xml.etree.ElementTree import Element, SubElement, register_namespace

    for prefix, uri in EXTENSION.items():
        register_namespace(prefix, uri)

    def sub(parent: Any, ns: str, tag: str, text: str | None = None, resource: bool = False) -> Any:
        element = SubElement(parent, f"{{{EXTENSION.get(ns, rdf_ns)}}}{tag}")
        if resource:
            element.set(f"{{{rdf_ns}}}parseType", "Resource")
        element.text = text
        return element

    description = Element(f"{{{rdf_ns}}}Description", {f"{{{rdf_ns}}}about": ""})
    schema = sub(sub(sub(description, "pdfaExtension", "schemas"), "rdf", "Bag"), "rdf", "li", resource=True)
    sub(schema, "pdfaSchema", "schema", "PDF/UA Universal Accessibility Schema")
    sub(schema, "pdfaSchema", "namespaceURI", "http://www.aiim.org/pdfua/ns/id/")
    sub(schema, "pdfaSchema", "prefix", "pdfuaid")
    prop = sub(sub(sub(schema, "pdfaSchema", "property"), "rdf", "Seq"), "rdf", "li", resource=True)
    sub(prop, "pdfaProperty", "name", "part")
    sub(prop, "pdfaProperty", "valueType", "Integer")
    sub(prop, "pdfaProperty", "category", "internal")
    sub(prop, "pdfaProperty", "description", "Indicates which part of ISO 14289 (PDF/UA) the file conforms to")
    return description


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


# --- out of the PDF -------------------------------------------------------------------------


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
    if any(not (c.isprintable() or c == " ") for c in name):
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
