"""Content is data: markup, template code and local-file references in any field print as text.

One hostile dossier is written into a temporary folder and built once (a build
takes a few seconds); the tests then read the PDF with pypdf. Every kind of
text field carries the same payload: raw HTML that would attach or embed a
local file if obeyed (`<a rel=attachment>`, `<img src=file:...>`), Jinja
expressions and statements, and a link-reference definition pointing at a
local file. The PDF must show all of it as literal text, embed no file,
link to no local file, and contain no byte of the files named.

The local files are real: besides /etc/passwd and /etc/hostname, the payload
names a secret text file and a secret PNG written beside the dossier, each
holding a marker that cannot occur by chance, so "not embedded" can be
checked byte for byte.
"""

from __future__ import annotations

import re
import secrets
import struct
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from dossier.build import build
from dossier.cli import main

ROOT = Path(__file__).resolve().parents[1]
PREVIOUS_PDF = b"%PDF-1.7 previous\n%%EOF\n"

# Every kind of text field of the content format, with the tag that marks its copy of the payload.
FIELDS = {
    "TagTitle": "dossier title",
    "TagSubtitle": "dossier subtitle",
    "TagOrganisation": "organisation",
    "TagMarking": "marking",
    "TagAuthor": "author name",
    "TagAffiliation": "author affiliation",
    "TagSummary": "summary (rich text)",
    "TagFactLabel": "key-fact label",
    "TagFactValue": "key-fact value (inline rich text)",
    "TagEventTitle": "event title",
    "TagEventText": "event text (rich text)",
    "TagDocument": "excerpt document",
    "TagExcerptText": "excerpt text",
    "TagOriginalText": "excerpt original text",
    "TagExcerptNote": "excerpt note (rich text)",
    "TagParty": "interpretation party",
    "TagPosition": "interpretation position",
    "TagInterpretationText": "interpretation text (rich text)",
    "TagBibTitle": "bibliography entry title",
}


@dataclass
class Hostile:
    pdf: Path
    reader: PdfReader
    text: str  # every page's extracted text, hyphenation undone, whitespace collapsed to single spaces
    flat: str  # the same, lower-cased, with no whitespace at all (line breaks fall anywhere in a long payload)
    secret_text: bytes
    secret_png_marker: bytes


def _png(marker: bytes) -> bytes:
    """A valid 1×1 PNG carrying `marker` in a text chunk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"Comment\x00" + marker)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _payload(tag: str, secret_txt: Path, secret_png: Path) -> str:
    return (
        f'{tag} <a rel=attachment href="file:///etc/passwd">x</a> <img src="file:///etc/hostname"> '
        f'<a rel=attachment href="file://{secret_txt}">y</a> <img src="file://{secret_png}"> '
        "{{ 7*7 }} {% raw %} {{ d.title }}"
    )


def _one_line(value: str) -> str:
    """A YAML single-quoted scalar (the payload holds no single quote)."""
    assert "'" not in value
    return f"'{value}'"


def _block(value: str, indent: int) -> str:
    pad = " " * indent
    return "|\n" + "".join(f"{pad}{line}\n" for line in value.splitlines())


def write_hostile_dossier(root: Path, secret_txt: Path, secret_png: Path) -> None:
    def p(tag: str) -> str:
        return _payload(tag, secret_txt, secret_png)

    root.mkdir()
    (root / "dossier.yaml").write_text(
        f"title: {_one_line(p('TagTitle'))}\n"
        f"subtitle: {_one_line(p('TagSubtitle'))}\n"
        "edition: 2026-03-01\n"
        "language: en\n"
        "authors:\n"
        f"  - name: {_one_line(p('TagAuthor'))}\n"
        f"    affiliation: {_one_line(p('TagAffiliation'))}\n"
        f"organisation: {_one_line(p('TagOrganisation'))}\n"
        f"marking: {_one_line(p('TagMarking'))}\n"
        "summary: "
        + _block(
            p("TagSummary")
            + " [@hostile2000]\n\n"
            + "A reference-style link to a local file: [the file][ref].\n\n"
            + f"[ref]: file://{secret_txt}\n",
            2,
        )
        + "key_facts:\n"
        f"  - label: {_one_line(p('TagFactLabel'))}\n"
        f"    value: {_one_line(p('TagFactValue'))}\n",
        encoding="utf-8",
    )
    (root / "chronology.yaml").write_text(
        f"- date: 2001-02-03\n  title: {_one_line(p('TagEventTitle'))}\n  text: " + _block(p("TagEventText"), 4) + "  sources: [hostile2000]\n",
        encoding="utf-8",
    )
    (root / "excerpts.yaml").write_text(
        "- id: passage\n"
        f"  document: {_one_line(p('TagDocument'))}\n"
        "  source: hostile2000\n"
        "  text: " + _block(p("TagExcerptText"), 4) + "  originals:\n"
        "    - lang: fr\n"
        "      text: " + _block(p("TagOriginalText"), 8) + "  note: " + _block(p("TagExcerptNote"), 4),
        encoding="utf-8",
    )
    (root / "interpretations.yaml").write_text(
        "- id: reading\n"
        f"  party: {_one_line(p('TagParty'))}\n"
        f"  position: {_one_line(p('TagPosition'))}\n"
        "  text: " + _block(p("TagInterpretationText") + " [@hostile2000]", 4),
        encoding="utf-8",
    )
    (root / "bibliography.yaml").write_text(
        f"- id: hostile2000\n  type: book\n  title: {_one_line(p('TagBibTitle'))}\n  publisher: Fixture Press\n  issued: 2000\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def hostile() -> Iterator[Hostile]:
    # A short folder of its own: the payloads name it, and the cover holds a bounded length of
    # author line (pytest's own temporary folders grow longer under pytest-xdist).
    with tempfile.TemporaryDirectory(prefix="h") as folder:
        yield _hostile(Path(folder))


def _hostile(base: Path) -> Hostile:
    secret_text = f"SECRET-TEXT-{secrets.token_hex(12)}".encode()
    secret_png_marker = f"SECRET-PNG-{secrets.token_hex(12)}".encode()
    secret_txt = base / "secret.txt"
    secret_png = base / "secret.png"
    secret_txt.write_bytes(secret_text + b"\n")
    secret_png.write_bytes(_png(secret_png_marker))
    root = base / "dossier"
    write_hostile_dossier(root, secret_txt, secret_png)
    out = base / "hostile.pdf"
    build(root, out)
    reader = PdfReader(out)
    # U+2010 at a line end is a hyphen the typesetter added; some styles upper- or title-case text.
    raw = "\n".join(re.sub("\u2010\n", "", page.extract_text() or "") for page in reader.pages)
    text = " ".join(raw.split())
    flat = re.sub(r"\s+", "", raw).lower()
    return Hostile(out, reader, text, flat, secret_text, secret_png_marker)


def _all_objects(reader: PdfReader) -> list[Any]:
    """Every indirect object of the PDF, resolved."""
    out = []
    size: Any = reader.trailer["/Size"]
    for num in range(1, int(size)):
        try:
            out.append(reader.get_object(IndirectObject(num, 0, reader)))
        except Exception:  # a free or compressed-away slot
            continue
    return [o for o in out if o is not None]


def _stream_bytes(reader: PdfReader) -> bytes:
    """Every stream of the PDF, decoded (raw where pypdf cannot decode it)."""
    parts = []
    for obj in _all_objects(reader):
        if isinstance(obj, StreamObject):
            try:
                parts.append(obj.get_data())
            except Exception:
                parts.append(getattr(obj, "_data", b""))  # e.g. an image filter pypdf cannot decode
    return b"\n".join(parts)


LITERAL_TEMPLATE = "{{7*7}}{%raw%}{{d.title}}"  # the payload's template code, whitespace removed
LITERAL_HTML = ("<arel=attachmenthref=", "file:///etc/passwd", "x</a>", "<imgsrc=", "file:///etc/hostname")


def _payloads(hostile: Hostile, tag: str) -> list[str]:
    """Every printed copy of one field's payload: from its tag to the end of its template code."""
    pattern = re.escape(tag.lower()) + "(.{0,2000}?)" + re.escape(LITERAL_TEMPLATE)  # the payload names two temporary paths
    return re.findall(pattern, hostile.flat)


def test_every_field_is_printed_with_its_whole_payload(hostile: Hostile) -> None:
    missing = [f"{tag} ({what})" for tag, what in FIELDS.items() if not _payloads(hostile, tag)]
    assert not missing, missing


def test_template_code_prints_as_literal_text(hostile: Hostile) -> None:
    assert hostile.flat.count(LITERAL_TEMPLATE) >= len(FIELDS)
    assert not re.search(r"(?<!\S)49(?!\S)", hostile.text), "{{ 7*7 }} was evaluated"
    assert "{{ 49" not in hostile.text


def test_html_prints_as_literal_text(hostile: Hostile) -> None:
    for tag in FIELDS:
        for payload in _payloads(hostile, tag):
            for needle in LITERAL_HTML:
                assert needle in payload, (tag, needle)
    assert "[ref]: file://" in hostile.text, "a link-reference definition prints as text"


def test_no_file_is_embedded_or_attached(hostile: Hostile) -> None:
    catalog: Any = hostile.reader.trailer["/Root"]
    names = catalog.get("/Names")
    assert names is None or "/EmbeddedFiles" not in names.get_object()
    assert "/AF" not in catalog
    for obj in _all_objects(hostile.reader):
        if isinstance(obj, DictionaryObject):
            assert obj.get("/Type") not in ("/EmbeddedFile", "/Filespec"), obj
            assert obj.get("/Subtype") != "/FileAttachment", obj
    for page in hostile.reader.pages:
        annots: Any = page.get("/Annots") or ArrayObject()
        for annot in annots:
            a: Any = annot.get_object()
            assert a.get("/Subtype") != "/FileAttachment", a
            action: Any = (a.get("/A") or DictionaryObject()).get_object()
            assert action.get("/S") not in ("/Launch", "/GoToR", "/JavaScript", "/ImportData"), a
            uri = str(action.get("/URI", ""))
            assert not uri.lower().startswith(("file:", "javascript:", "data:")), uri


def test_no_image_is_embedded(hostile: Hostile) -> None:
    """The dossier has no legitimate image: any image XObject came from the payload."""
    for obj in _all_objects(hostile.reader):
        if isinstance(obj, StreamObject):
            assert obj.get("/Subtype") != "/Image", "an image was embedded"


def test_no_byte_of_the_named_files_reaches_the_pdf(hostile: Hostile) -> None:
    data = hostile.pdf.read_bytes() + _stream_bytes(hostile.reader)
    assert hostile.secret_text not in data
    assert hostile.secret_png_marker not in data
    passwd = Path("/etc/passwd")
    if passwd.is_file():
        first = passwd.read_bytes().splitlines()[0]
        assert first not in data
    hostname = Path("/etc/hostname").read_bytes().strip() if Path("/etc/hostname").is_file() else b""
    if len(hostname) >= 6:  # a two-letter host name would match by chance anywhere
        assert hostname not in data
        assert hostname.decode(errors="replace") not in hostile.text


def test_metadata_keeps_the_title_literal(hostile: Hostile) -> None:
    meta = hostile.reader.metadata
    assert meta.title.startswith("TagTitle <a rel=attachment href=")
    assert "{{ 7*7 }} {% raw %} {{ d.title }}" in meta.title


def test_a_theme_stylesheet_cannot_read_local_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A dossier's own style.css naming a local file fails the build; nothing is written."""
    monkeypatch.chdir(ROOT)
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png(b"SECRET-CSS-" + secrets.token_hex(8).encode()))
    root = tmp_path / "d"
    (root / "templates").mkdir(parents=True)
    (root / "dossier.yaml").write_text("title: A dossier with a hostile stylesheet\n", encoding="utf-8")
    theme_css = (ROOT / "templates" / "style.css").read_text(encoding="utf-8")
    (root / "templates" / "style.css").write_text(theme_css + f"\nbody {{ background-image: url('file://{secret}'); }}\n", encoding="utf-8")
    out = tmp_path / "briefing.pdf"
    out.write_bytes(PREVIOUS_PDF)
    status = main(["build", str(root), "-o", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert status == 1, err
    assert out.read_bytes() == PREVIOUS_PDF
    assert f"refused to read '{str(secret)[:60]}" in err, err  # a long path is cut short with '…'


# -- links and special files: nothing outside the dossier is read ------------------------------


def _symlink_assets(root: Path, secret: Path) -> None:
    (root / "assets").symlink_to(secret.parent, target_is_directory=True)


def _symlink_template(root: Path, secret: Path) -> None:
    (root / "templates").mkdir()
    (root / "templates" / "cover.html").symlink_to(secret)


def _symlink_templates_folder(root: Path, secret: Path) -> None:
    (root / "templates").symlink_to(secret.parent, target_is_directory=True)


def _symlink_content(root: Path, secret: Path) -> None:
    (root / "chronology.yaml").unlink()
    (root / "chronology.yaml").symlink_to(secret)


def _fifo(root: Path, secret: Path) -> None:
    import os

    (root / "chronology.yaml").unlink()
    os.mkfifo(root / "chronology.yaml")


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (_symlink_assets, "assets", "links to a place outside the dossier"),
        (_symlink_template, "templates/cover.html", "links to a place outside the dossier"),
        (_symlink_templates_folder, "templates", "links to a place outside the dossier"),
        (_symlink_content, "chronology.yaml", "links to a place outside the dossier"),
        (_fifo, "chronology.yaml", "not a regular file"),
    ],
)
def test_links_out_of_the_dossier_and_special_files_are_refused(
    dossier_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, name: str, message: str
) -> None:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("- date: 1920\n  title: SECRETCANARY\n")
    make(dossier_copy, secret)
    out = tmp_path / "o.pdf"
    out.write_bytes(b"%PDF-1.7 previous\n%%EOF\n")
    assert main(["build", str(dossier_copy), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(f"{dossier_copy}/{name}:1:1: {message}")
    assert "SECRETCANARY" not in err
    assert out.read_bytes() == b"%PDF-1.7 previous\n%%EOF\n"
