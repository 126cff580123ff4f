"""The archive profile (PDF/A-3 with its sources inside), reproducible bytes in every profile,
`dossier extract` and `dossier verify`, read from real builds with pikepdf.

No PDF/A or PDF/UA validator installs here: the structure a validator would look at first
is checked directly (XMP identification, output intent, associated files, fonts, actions).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dossier import cli, pdfmeta, unarchive
from dossier.build import build
from dossier.errors import DossierError
from dossier.profiles import Profile
from dossier.theme import default_theme

if TYPE_CHECKING:  # imported where used: the suite's collection stays small (test_ceilings
    import pikepdf  # measures a child whose peak memory includes the test process's)

FIXTURES = Path(__file__).parent / "fixtures"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
EDITION_DATE = "D:20260301000000Z"  # the small fixture's edition, 2026-03-01


@contextmanager
def source_date(value: str | None) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set (or unset) for the builds inside, whatever the caller's environment."""
    saved = os.environ.pop("SOURCE_DATE_EPOCH", None)
    if value is not None:
        os.environ["SOURCE_DATE_EPOCH"] = value
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
        if saved is not None:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def make_dossier(dest: Path) -> Path:
    """The small fixture outside any git repository, with an asset and a theme file of its own."""
    shutil.copytree(FIXTURES / "small", dest)
    (dest / "assets").mkdir()
    (dest / "assets" / "seal.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>\n')
    (dest / "templates").mkdir()
    (dest / "templates" / "words.yaml").write_text("en:\n  excerpts: Documents\n")
    return dest


def build_pdf(src: Path, out: Path, profile: Profile, epoch: str | None = None) -> Path:
    with source_date(epoch):
        build(src, out, profile=profile)
    return out


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("archive")


@pytest.fixture(scope="module")
def dossier(work: Path) -> Path:
    return make_dossier(work / "one" / "dossier")


@pytest.fixture(scope="module")
def archive_pdf(work: Path, dossier: Path) -> Path:
    return build_pdf(dossier, work / "archive.pdf", Profile("archive"))


@pytest.fixture(scope="module")
def doc(archive_pdf: Path) -> Iterator[pikepdf.Pdf]:
    import pikepdf

    with pikepdf.open(archive_pdf) as pdf:
        yield pdf


def specs(doc: pikepdf.Pdf) -> dict[str, Any]:
    """File name → file specification, from the catalog's /AF."""
    return {str(s.UF): s for s in doc.Root.AF}


def manifest_of(doc: pikepdf.Pdf) -> dict[str, Any]:
    return json.loads(specs(doc)["manifest.json"].EF.F.read_bytes())


# --- PDF/A-3 and PDF/UA identification -------------------------------------------------------


def test_xmp_claims_pdfa3_and_pdfua1_in_one_rdf_packet(doc: pikepdf.Pdf) -> None:
    xmp = doc.Root.Metadata.read_bytes().decode()
    assert xmp.count(f'xmlns:rdf="{RDF}"') == 1 and len(re.findall(r"<rdf:RDF\b", xmp)) == 1
    assert re.search(r'pdfaid:part="3"', xmp) and re.search(r'pdfaid:conformance="U"', xmp)
    assert re.search(r'pdfuaid:part="1"', xmp)
    assert "Svalbard Treaty" in xmp  # WeasyPrint's own description is kept beside it
    assert doc.pdf_version >= "1.7"  # PDF/A-3 is based on PDF 1.7


PREDEFINED_XMP = {  # schemas PDF/A-3 admits without an extension schema (XMP 2005 and ISO 19005)
    "http://purl.org/dc/elements/1.1/",
    "http://ns.adobe.com/xap/1.0/",
    "http://ns.adobe.com/xap/1.0/mm/",
    "http://ns.adobe.com/xap/1.0/rights/",
    "http://ns.adobe.com/xap/1.0/bj/",
    "http://ns.adobe.com/xap/1.0/t/pg/",
    "http://ns.adobe.com/pdf/1.3/",
    "http://ns.adobe.com/photoshop/1.0/",
    "http://ns.adobe.com/tiff/1.0/",
    "http://ns.adobe.com/exif/1.0/",
    "http://www.aiim.org/pdfa/ns/id/",
    "http://www.aiim.org/pdfa/ns/extension/",
}


def test_every_xmp_property_is_predefined_or_described_by_an_extension_schema(doc: pikepdf.Pdf) -> None:
    from xml.etree.ElementTree import fromstring

    xmp = doc.Root.Metadata.read_bytes().decode()
    root = fromstring(xmp[xmp.index("<x:xmpmeta") : xmp.rindex("</x:xmpmeta>") + len("</x:xmpmeta>")])
    described = {e.text for e in root.iter("{http://www.aiim.org/pdfa/ns/schema#}namespaceURI")}
    assert "http://www.aiim.org/pdfua/ns/id/" in described
    used = set()
    for description in root.iter(f"{{{RDF}}}Description"):
        names = [*description.attrib, *(child.tag for child in description)]
        used |= {n[1:].split("}")[0] for n in names if n.startswith("{") and not n.startswith(f"{{{RDF}}}")}
    assert "http://www.aiim.org/pdfua/ns/id/" in used
    assert used <= PREDEFINED_XMP | described, used - PREDEFINED_XMP - described


def test_output_intent_is_srgb(doc: pikepdf.Pdf) -> None:
    (intent,) = doc.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1"
    icc = intent.DestOutputProfile
    data = icc.read_bytes()
    assert icc.N == 3 and data[36:40] == b"acsp" and data[16:20] == b"RGB "
    assert "sRGB" in str(intent.OutputConditionIdentifier)


def test_pdf_and_xmp_dates_are_the_edition(doc: pikepdf.Pdf) -> None:
    assert str(doc.docinfo.CreationDate) == str(doc.docinfo.ModDate) == EDITION_DATE
    xmp = doc.Root.Metadata.read_bytes().decode()
    assert "<xmp:CreateDate>2026-03-01T00:00:00Z</xmp:CreateDate>" in xmp


# --- associated files ----------------------------------------------------------------------


def expected_files(dossier: Path) -> set[str]:
    content = {p.name for p in dossier.iterdir() if p.is_file()}
    theme = {f"theme/{p.name}" for p in default_theme().iterdir() if p.is_file()}
    return content | theme | {"assets/seal.svg", "templates/words.yaml", "styles/chicago-author-date.csl", "manifest.json"}


def test_every_input_is_attached_once_in_af_and_the_name_tree(doc: pikepdf.Pdf, dossier: Path) -> None:
    import pikepdf

    af = [str(s.UF) for s in doc.Root.AF]
    assert len(af) == len(set(af)), "a file listed twice in /AF"
    assert set(af) == expected_files(dossier)
    tree = pikepdf.NameTree(doc.Root.Names.EmbeddedFiles)
    assert sorted(tree.keys()) == sorted(af)
    assert all(tree[name].objgen == s.objgen for name, s in specs(doc).items())


def test_relationships_mime_types_descriptions_and_dates(doc: pikepdf.Pdf, dossier: Path) -> None:
    mime = {
        ".yaml": "/application/yaml",
        ".html": "/text/html",
        ".css": "/text/css",
        ".svg": "/image/svg+xml",
        ".json": "/application/json",
        ".csl": "/application/vnd.citationstyles.style+xml",
    }
    for name, spec in specs(doc).items():
        relationship = "/Data" if name == "manifest.json" else "/Supplement" if name.split("/")[0] in ("theme", "templates", "styles") else "/Source"
        assert spec.AFRelationship == relationship, name
        assert str(spec.F) == name and str(spec.Desc).startswith(name + ": ")
        stream = spec.EF.F
        assert stream.Type == "/EmbeddedFile" and stream.Subtype == mime[Path(name).suffix], name
        data = stream.read_bytes()
        assert int(stream.Params.Size) == len(data)
        assert bytes(stream.Params.CheckSum) == hashlib.md5(data).digest()  # noqa: S324 - PDF's checksum
        assert str(stream.Params.ModDate) == str(stream.Params.CreationDate) == EDITION_DATE
        if spec.AFRelationship == "/Source" and name != "manifest.json":
            assert data == (dossier / name).read_bytes()


def test_manifest_lists_versions_fonts_profile_and_the_hash_of_every_file(doc: pikepdf.Pdf) -> None:
    import weasyprint

    m = manifest_of(doc)
    attached = {name: s.EF.F.read_bytes() for name, s in specs(doc).items() if name != "manifest.json"}
    assert {n: f["sha256"] for n, f in m["files"].items()} == {n: hashlib.sha256(d).hexdigest() for n, d in attached.items()}
    for tool in ("python", "weasyprint", "pydyf", "pango", "harfbuzz", "pandoc"):
        assert re.fullmatch(r"\d+(\.\d+)+", m["software"][tool]), tool
    assert m["software"]["weasyprint"] == weasyprint.__version__
    assert m["profile"]["name"] == "archive" and m["source_date_epoch"] == 1772323200
    # every font program in the PDF comes from a font file the manifest names
    embedded = {str(d.FontName).split("+", 1)[-1] for d in _font_descriptors(doc)}
    families = {f["family"].replace(" ", "-") for f in m["fonts"]}
    assert embedded and all(any(name.startswith(family) for family in families) for name in embedded), (embedded, families)
    assert all(re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) for f in m["fonts"])


def test_no_path_of_this_machine_reaches_the_manifest(doc: pikepdf.Pdf, dossier: Path) -> None:
    text = specs(doc)["manifest.json"].EF.F.read_bytes().decode()
    assert str(dossier) not in text and str(default_theme()) not in text and "/usr/" not in text


def _font_descriptors(doc: pikepdf.Pdf) -> list[Any]:
    import pikepdf

    out = []
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
            out.append(obj)
    return out


# --- what PDF/A forbids --------------------------------------------------------------------


def test_no_encryption_javascript_or_external_reference(doc: pikepdf.Pdf, archive_pdf: Path) -> None:
    import pikepdf

    assert not doc.is_encrypted and "/Encrypt" not in doc.trailer
    assert "/JavaScript" not in doc.Root.Names and "/OpenAction" not in doc.Root and "/AA" not in doc.Root
    actions = set()
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary):
            assert "/JS" not in obj and "/AA" not in obj
            if "/S" in obj and obj.get("/Type", pikepdf.Name.Action) == "/Action":
                actions.add(str(obj.S))
            uri = obj.get("/URI")
            assert uri is None or not str(uri).lower().startswith("file:")
            assert obj.get("/FS") != "/URL"
    assert not actions & {"/Launch", "/GoToR", "/GoToE", "/ImportData", "/SubmitForm", "/JavaScript", "/Movie", "/Sound"}
    for page in doc.pages:
        for annot in page.get("/Annots", []):
            assert int(annot.F) & 4, "annotation not printable (PDF/A needs the Print flag)"


def test_every_font_is_embedded(doc: pikepdf.Pdf) -> None:
    descriptors = _font_descriptors(doc)
    assert descriptors
    for d in descriptors:
        assert any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")), str(d.FontName)


def test_qpdf_check_is_clean(archive_pdf: Path) -> None:
    result = subprocess.run(["qpdf", "--check", str(archive_pdf)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


# --- reproducible bytes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile", [Profile("standard"), Profile("print", bleed_mm=3.0, marks=True), Profile("email"), Profile("archive")], ids=lambda p: p.name
)
def test_two_builds_are_byte_identical(profile: Profile, dossier: Path, work: Path, archive_pdf: Path) -> None:
    first = archive_pdf if profile.name == "archive" else build_pdf(dossier, work / f"{profile.name}-1.pdf", profile)
    second = build_pdf(dossier, work / f"{profile.name}-2.pdf", profile)
    assert first.read_bytes() == second.read_bytes()


def test_a_copy_in_another_folder_builds_the_same_bytes(work: Path, archive_pdf: Path) -> None:
    elsewhere = make_dossier(work / "somewhere" / "else" / "renamed")
    assert build_pdf(elsewhere, work / "elsewhere.pdf", Profile("archive")).read_bytes() == archive_pdf.read_bytes()


def test_source_date_epoch_changes_the_dates_and_only_them(archive_pdf: Path, dossier: Path, work: Path) -> None:
    import pikepdf

    dated = build_pdf(dossier, work / "dated.pdf", Profile("archive"), "1234567890")  # 2009-02-13 23:31:30 UTC
    with pikepdf.open(archive_pdf) as a, pikepdf.open(dated) as b:
        assert str(b.docinfo.CreationDate) == str(b.docinfo.ModDate) == "D:20090213233130Z"
        info = {k: str(v) for k, v in a.docinfo.items() if k not in ("/CreationDate", "/ModDate")}
        assert info == {k: str(v) for k, v in b.docinfo.items() if k not in ("/CreationDate", "/ModDate")}
        xmp_a = a.Root.Metadata.read_bytes().decode().replace("2026-03-01T00:00:00Z", "DATE")
        xmp_b = b.Root.Metadata.read_bytes().decode().replace("2009-02-13T23:31:30Z", "DATE")
        assert xmp_a == xmp_b and "DATE" in xmp_a
        assert len(a.pages) == len(b.pages) and len(a.objects) == len(b.objects)
        for pa, pb in zip(a.pages, b.pages, strict=True):
            assert pa.Contents.read_bytes() == pb.Contents.read_bytes()
        files_a, files_b = specs(a), specs(b)
        assert files_a.keys() == files_b.keys()
        for name in files_a:
            assert str(files_b[name].EF.F.Params.ModDate) == "D:20090213233130Z"
            if name != "manifest.json":
                assert files_a[name].EF.F.read_bytes() == files_b[name].EF.F.read_bytes()
        manifest_a, manifest_b = manifest_of(a), manifest_of(b)
        assert manifest_b.pop("source_date_epoch") == 1234567890
        manifest_a.pop("source_date_epoch")
        assert manifest_a == manifest_b


def test_the_date_is_the_last_git_commit_of_the_content(work: Path) -> None:
    import pikepdf

    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    repo = make_dossier(work / "repo" / "dossier")
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": "@1500000000 +0000",
        "GIT_COMMITTER_DATE": "@1500000000 +0000",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "content"]):
        subprocess.run([git, "-C", str(repo.parent), *args], env=env, check=True, capture_output=True)
    with pikepdf.open(build_pdf(repo, work / "git.pdf", Profile("standard"))) as pdf:
        assert str(pdf.docinfo.CreationDate) == "D:20170714024000Z"


def test_a_bad_source_date_epoch_is_one_located_error(dossier: Path, work: Path) -> None:
    with source_date("yesterday"), pytest.raises(DossierError) as exc:
        build(dossier, work / "never.pdf")
    assert [str(p) for p in exc.value.problems] == ["SOURCE_DATE_EPOCH: 'yesterday' is not a date, expected whole seconds since 1970-01-01 UTC"]
    assert not (work / "never.pdf").exists()


# --- extract -------------------------------------------------------------------------------


def test_extract_then_rebuild_gives_the_identical_pdf(archive_pdf: Path, dossier: Path, work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = work / "extracted"
    assert cli.main(["extract", str(archive_pdf), str(out)]) == 0
    assert f"wrote {len(expected_files(dossier))} file(s) into " in capsys.readouterr().err
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names == expected_files(dossier)
    for name in ("chronology.yaml", "assets/seal.svg", "templates/words.yaml"):
        assert (out / name).read_bytes() == (dossier / name).read_bytes()
    assert (out / "theme" / "style.css").read_bytes() == (default_theme() / "style.css").read_bytes()
    # built again with SOURCE_DATE_EPOCH unset: the date comes from the extracted manifest
    assert build_pdf(out, work / "rebuilt.pdf", Profile("archive")).read_bytes() == archive_pdf.read_bytes()


def test_extract_overwrites_nothing_without_force(archive_pdf: Path, work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = work / "again"
    out.mkdir()
    (out / "dossier.yaml").write_text("mine\n")
    assert cli.main(["extract", str(archive_pdf), str(out)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"again/dossier\.yaml:1:1: exists, expected a new file \(use --force to overwrite\)", err)
    assert sorted(p.name for p in out.iterdir()) == ["dossier.yaml"]  # nothing else was written either
    assert (out / "dossier.yaml").read_text() == "mine\n"
    assert cli.main(["extract", "--force", str(archive_pdf), str(out)]) == 0
    assert (out / "dossier.yaml").read_text().startswith("title: The Svalbard Treaty")


def hostile_pdf(path: Path, names: list[str]) -> Path:
    """A PDF whose name tree attaches one small file under each name, duplicates kept."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pairs = pikepdf.Array()
    for name in names:
        stream = pikepdf.Stream(pdf, b"owned\n")
        stream.Type = pikepdf.Name.EmbeddedFile
        spec = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String(name), UF=pikepdf.String(name), EF=pikepdf.Dictionary(F=stream))
        )
        pairs.extend([pikepdf.String(name), spec])
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=pairs))
    pdf.save(path)
    return path


HOSTILE = {
    "parent": ["../evil.yaml"],
    "deep-parent": ["assets/../../evil.yaml"],
    "absolute": ["/tmp/evil.yaml"],
    "backslash": ["..\\evil.yaml"],
    "drive": ["C:evil.yaml"],
    "nul": ["evil\x00.yaml"],
    "newline": ["evil\n.yaml"],
    "empty": [""],
    "dot": ["./dossier.yaml"],
    "duplicate": ["dossier.yaml", "dossier.yaml"],
    "case": ["Dossier.yaml", "dossier.yaml"],
    "file-and-folder": ["assets", "assets/a.png"],
    "trailing-dot": ["dossier.yaml."],
}


@pytest.mark.parametrize("names", HOSTILE.values(), ids=HOSTILE.keys())
def test_extract_refuses_hostile_names_and_writes_nothing(names: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = hostile_pdf(tmp_path / "hostile.pdf", [*names, "fine.yaml"])
    out = tmp_path / "a" / "b" / "out"
    assert cli.main(["extract", str(pdf), str(out)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("dossier: stopped with ") and "refused" in lines[0]
    assert re.match(r".*hostile\.pdf:1:1: attachment '.*' refused: ", lines[0])
    assert all("'fine.yaml'" not in line for line in lines)
    assert not Path("/tmp/evil.yaml").exists()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["hostile.pdf"]


def test_extract_follows_no_symlink_in_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "assets").symlink_to(outside, target_is_directory=True)
    (out / "dossier.yaml").symlink_to(outside / "target.yaml")
    pdf = hostile_pdf(tmp_path / "links.pdf", ["assets/map.png", "dossier.yaml"])
    for force in ([], ["--force"]):
        assert cli.main(["extract", *force, str(pdf), str(out)]) == 1
        err = capsys.readouterr().err
        assert "out/assets:1:1: a link or file where attachment 'assets/map.png' needs a folder" in err
        assert "out/dossier.yaml:1:1: a link or folder, expected a plain file" in err
    assert list(outside.iterdir()) == []


def test_extract_of_a_pdf_without_attachments_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(tmp_path / "plain.pdf")
    assert cli.main(["extract", str(tmp_path / "plain.pdf"), str(tmp_path / "out")]) == 1
    assert "plain.pdf:1:1: holds no attached files, expected an archive built with --profile archive" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- verify --------------------------------------------------------------------------------


def test_verify_accepts_the_archive(archive_pdf: Path, dossier: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["verify", str(archive_pdf)]) == 0
    count = len(expected_files(dossier)) - 1
    assert f"{count} file(s) match the manifest" in capsys.readouterr().err


def _tampered(archive_pdf: Path, dest: Path, change: Any) -> Path:
    import pikepdf

    with pikepdf.open(archive_pdf) as pdf:
        change(pdf)
        pdf.save(dest)
    return dest


def test_verify_names_the_file_that_changed(archive_pdf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:

    def change(pdf: pikepdf.Pdf) -> None:
        specs(pdf)["chronology.yaml"].EF.F.write(b"- date: 1920-02-09\n  text: forged\n")

    bad = _tampered(archive_pdf, tmp_path / "changed.pdf", change)
    assert cli.main(["verify", str(bad)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and re.search(r"changed\.pdf:1:1: 'chronology.yaml' changed: its SHA-256 is [0-9a-f]{16}…", lines[0])
    assert lines[1].endswith("1 problem(s) in " + lines[0].split(":")[0])


def test_verify_names_a_file_missing_from_the_archive(archive_pdf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pikepdf

    def change(pdf: pikepdf.Pdf) -> None:

        del pikepdf.NameTree(pdf.Root.Names.EmbeddedFiles)["dossier.yaml"]
        pdf.Root.AF = pikepdf.Array([s for s in pdf.Root.AF if str(s.UF) != "dossier.yaml"])

    bad = _tampered(archive_pdf, tmp_path / "missing.pdf", change)
    assert cli.main(["verify", str(bad)]) == 1
    assert "missing.pdf:1:1: 'dossier.yaml' is in the manifest but not attached, expected every file it lists" in capsys.readouterr().err


def test_verify_names_a_file_the_manifest_does_not_list(archive_pdf: Path, tmp_path: Path) -> None:
    import pikepdf

    def change(pdf: pikepdf.Pdf) -> None:

        pdf.attachments["extra.yaml"] = pikepdf.AttachedFileSpec(pdf, b"x: 1\n", filename="extra.yaml")

    bad = _tampered(archive_pdf, tmp_path / "extra.pdf", change)
    with pytest.raises(DossierError) as exc:
        unarchive.verify(bad)
    assert [p.message for p in exc.value.problems] == ["'extra.yaml' is attached but not in the manifest, expected only the files it lists"]


def test_extract_overwrites_no_hard_link_even_with_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    os.link(outside, out / "dossier.yaml")
    pdf = hostile_pdf(tmp_path / "link.pdf", ["dossier.yaml"])
    assert cli.main(["extract", "--force", str(pdf), str(out)]) == 1
    assert "out/dossier.yaml:1:1: a file with another name (a hard link)" in capsys.readouterr().err
    assert outside.read_text() == "precious\n"


def test_extract_stops_a_decompression_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.attachments["big.yaml"] = pikepdf.AttachedFileSpec(pdf, b"0" * 100_000, filename="big.yaml")
    pdf.save(tmp_path / "bomb.pdf")  # Flate-compressed: a few hundred bytes in the file
    monkeypatch.setattr(unarchive, "MAX_BYTES", 50_000)
    assert cli.main(["extract", str(tmp_path / "bomb.pdf"), str(tmp_path / "out")]) == 1
    assert "bomb.pdf:1:1: attachment 'big.yaml' takes the attached files over" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_several_authors_are_one_dc_creator_entry_equal_to_the_info_author() -> None:
    """PDF/A compares /Author (WeasyPrint joins the authors with ', ') with dc:creator as text."""
    from weasyprint.pdf.metadata import DocumentMetadata

    metadata = DocumentMetadata(title="T", authors=["Ann Able", "Ben Baker"])
    pdfmeta.claim_pdfua(metadata)
    xmp = metadata.generate_rdf_metadata("a", 3, "U").decode()
    assert re.findall(r"<rdf:li>([^<]*)</rdf:li>", xmp) == ["Ann Able, Ben Baker"]
    assert 'pdfaid:part="3"' in xmp and 'pdfuaid:part="1"' in xmp and xmp.count("<rdf:RDF") == 1


def test_info_author_and_title_equal_their_xmp_entries(doc: pikepdf.Pdf) -> None:
    xmp = doc.Root.Metadata.read_bytes().decode()
    assert f"<dc:creator><rdf:Seq><rdf:li>{doc.docinfo.Author}</rdf:li></rdf:Seq></dc:creator>" in xmp
    assert f'<rdf:li xml:lang="x-default">{doc.docinfo.Title}</rdf:li>' in xmp
    producer = str(doc.docinfo.Producer)  # an attribute or an element: the same RDF property
    assert f'pdf:Producer="{producer}"' in xmp or f"<pdf:Producer>{producer}</pdf:Producer>" in xmp
