"""The tagged PDF, walked as a PDF/UA checker walks it (pikepdf): in every profile, the example
and the small fixture have a structure tree of standard types, every link annotation in a `Link`
element, no empty `Link`, the timeline figure with alternative text written from its events,
header cells with their scope, the page margins as artifacts, XMP with the briefing's metadata,
every font embedded. Each check collects its violations: the test wants none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml

from dossier.build import build
from dossier.profiles import NAMES, Profile

ROOT = Path(__file__).resolve().parents[1]
SMALL = Path(__file__).parent / "fixtures" / "small"

# ISO 32000-1, 14.8.4: the standard structure types.
STANDARD = {
    "Document",
    "Part",
    "Art",
    "Sect",
    "Div",
    "BlockQuote",
    "Caption",
    "TOC",
    "TOCI",
    "Index",
    "NonStruct",
    "Private",
    "P",
    "H",
    "H1",
    "H2",
    "H3",
    "H4",
    "H5",
    "H6",
    "L",
    "LI",
    "Lbl",
    "LBody",
    "Table",
    "TR",
    "TH",
    "TD",
    "THead",
    "TBody",
    "TFoot",
    "Span",
    "Quote",
    "Note",
    "Reference",
    "BibEntry",
    "Code",
    "Link",
    "Annot",
    "Ruby",
    "RB",
    "RT",
    "RP",
    "Warichu",
    "WT",
    "WP",
    "Figure",
    "Formula",
    "Form",
}


def _kids(e: Any) -> list[Any]:
    k = e.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _element(k: Any) -> bool:
    return isinstance(k, pikepdf.Dictionary) and "/S" in k and k.get("/Type") not in ("/OBJR", "/MCR")


def _objr(k: Any) -> bool:
    return isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"


def _s(e: Any) -> str:
    return str(e.S)[1:]


class Tree:
    """The structure tree in reading order, with each element's parent."""

    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        self.root = pdf.Root.StructTreeRoot
        self.order: list[Any] = []
        self.parent: dict[tuple[int, int], Any] = {}
        self.depth: dict[tuple[int, int], int] = {}

        def walk(e: Any, parent: Any, depth: int) -> None:
            self.order.append(e)
            self.parent[e.objgen] = parent
            self.depth[e.objgen] = depth
            for k in _kids(e):
                if _element(k):
                    walk(k, e, depth + 1)

        for k in _kids(self.root):
            walk(k, None, 0)
        self.inside = {e.objgen for e in self.order}
        self.parents = dict(pikepdf.NumberTree(self.root.ParentTree).items())
        self.pages = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}

    def of(self, kind: str) -> list[Any]:
        return [e for e in self.order if _s(e) == kind]

    def ancestors(self, e: Any) -> Iterator[Any]:
        p = self.parent.get(e.objgen)
        while p is not None:
            yield p
            p = self.parent.get(p.objgen)

    def annotations(self) -> list[tuple[int, Any]]:
        return [(i, a) for i, p in enumerate(self.pdf.pages) for a in p.obj.get("/Annots", []) if a.get("/Subtype") == "/Link"]


def _open(path: Path) -> pikepdf.Pdf:
    return pikepdf.open(path)


def _built(tmp: pytest.TempPathFactory, src: Path, profile: str) -> Path:
    out = tmp.mktemp(f"tags-{profile}") / f"{src.name}-{profile}.pdf"
    build(src, out, profile=Profile(profile))
    return out


@pytest.fixture(scope="module")
def small_profiles(tmp_path_factory: pytest.TempPathFactory, small_pdf: Path) -> dict[str, Path]:
    """The small fixture in every profile (standard is conftest's build)."""
    out = {"standard": small_pdf}
    for name in NAMES:
        if name != "standard":
            out[name] = _built(tmp_path_factory, SMALL, name)
    return out


@pytest.fixture(scope="module", params=["example", *[f"small-{n}" for n in NAMES]])
def tagged(request: pytest.FixtureRequest, example_pdf: Path) -> tuple[Path, Path]:
    """(dossier folder, PDF) for the example (standard) and the small fixture in each profile."""
    if request.param == "example":
        return ROOT / "content", example_pdf
    profiles = request.getfixturevalue("small_profiles")
    return SMALL, profiles[request.param.removeprefix("small-")]


def _dossier(src: Path) -> dict[str, Any]:
    return yaml.safe_load((src / "dossier.yaml").read_text(encoding="utf-8"))


# The catalogue and the metadata ---------------------------------------------------------------


def test_catalog_says_tagged_titled_and_in_the_dossiers_language(tagged: tuple[Path, Path]) -> None:
    src, path = tagged
    with _open(path) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert root.MarkInfo.Marked is True
        assert root.ViewerPreferences.DisplayDocTitle is True
        assert str(root.Lang) == _dossier(src)["language"]
        assert "/Encrypt" not in pdf.trailer


def test_xmp_has_the_briefings_metadata_in_one_rdf(tagged: tuple[Path, Path]) -> None:
    src, path = tagged
    d = _dossier(src)
    with _open(path) as pdf:
        raw = pdf.Root.Metadata.read_bytes()
        assert raw.count(b"<rdf:RDF") == 1
        meta = pdf.open_metadata()
        assert meta["dc:title"] == d["title"]
        assert meta["dc:creator"] == [a["name"] for a in d["authors"]]
        assert meta["dc:language"] == {d["language"]}
        assert meta["xmpMM:VersionID"] == str(d["version"])
        assert meta["dc:date"] == [str(d["edition"])]
        assert meta.get("dc:subject", set()) == set(d.get("keywords", []))
        # One date, the build's epoch, in the XMP and in the document information alike.
        stamp = meta["xmp:CreateDate"]
        assert meta["xmp:ModifyDate"] == meta["xmp:MetadataDate"] == stamp
        info = re.sub(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z", r"\1-\2-\3T\4:\5:\6Z", str(pdf.docinfo.CreationDate))
        assert info == stamp
        assert str(pdf.docinfo.ModDate) == str(pdf.docinfo.CreationDate)
        assert str(pdf.docinfo.Title) == d["title"]


def test_xmp_dates_come_from_the_epoch_only() -> None:
    """The packet is a function of the metadata and the epoch: no "now", no random id."""
    from dossier.finish import DocMeta
    from dossier.pdfmeta import xmp

    meta = DocMeta(title="T & <U>", authors=("A", "B"), keywords=("k",))
    packet = xmp(meta, 86400 * 365)
    assert packet == xmp(meta, 86400 * 365)
    assert b"<xmp:CreateDate>1971-01-01T00:00:00Z</xmp:CreateDate>" in packet
    assert b"T &amp; &lt;U&gt;" in packet
    extra = "<rdf:Description rdf:about='' xmlns:pdfuaid='http://www.aiim.org/pdfua/ns/id/'><pdfuaid:part>1</pdfuaid:part></rdf:Description>"
    with_id = xmp(meta, 0, extra=[extra])
    assert with_id.count(b"<rdf:RDF") == 1 and extra.encode() in with_id


def test_the_example_has_keywords() -> None:
    """The example carries the optional `keywords:` (XMP dc:subject, pdf:Keywords)."""
    assert _dossier(ROOT / "content")["keywords"]


# The structure tree ----------------------------------------------------------------------


def test_every_element_is_of_a_standard_type(tagged: tuple[Path, Path]) -> None:
    with _open(tagged[1]) as pdf:
        tree = Tree(pdf)
        rolemap = tree.root.get("/RoleMap", {})
        bad = {_s(e) for e in tree.order if _s(e) not in STANDARD and f"/{_s(e)}" not in rolemap}
        assert bad == set()
        assert [_s(e) for e in _kids(tree.root)] == ["Document"]


def test_headings_nest_without_skipping_a_level(tagged: tuple[Path, Path]) -> None:
    with _open(tagged[1]) as pdf:
        levels = [int(_s(e)[1]) for e in Tree(pdf).order if re.fullmatch(r"H[1-6]", _s(e))]
    assert levels and levels[0] == 1
    skips = [(a, b) for a, b in pairwise(levels) if b > a + 1]
    assert skips == []


def test_lists_and_tables_are_made_of_their_parts(tagged: tuple[Path, Path]) -> None:
    allowed = {
        "L": {"LI", "L", "Caption"},
        "LI": {"Lbl", "LBody"},
        "Table": {"THead", "TBody", "TFoot", "TR", "Caption"},
        "THead": {"TR"},
        "TBody": {"TR"},
        "TFoot": {"TR"},
        "TR": {"TH", "TD"},
    }
    with _open(tagged[1]) as pdf:
        tree = Tree(pdf)
        wrong = [(_s(e), _s(k)) for e in tree.order if _s(e) in allowed for k in _kids(e) if _element(k) and _s(k) not in allowed[_s(e)]]
        assert tree.of("L") and tree.of("Table")
    assert wrong == []


def test_every_marked_content_is_in_the_tree_or_an_artifact(tagged: tuple[Path, Path]) -> None:
    """No MCID maps to an element outside the tree (WeasyPrint's margin boxes did), and every
    element in the parent tree is in the tree: the footnotes are reachable too."""
    with _open(tagged[1]) as pdf:
        tree = Tree(pdf)
        outside = []
        for i, page in enumerate(pdf.pages):
            array = tree.parents.get(int(page.obj.StructParents), [])
            for op in pikepdf.parse_content_stream(page, "BDC"):
                props = op.operands[1]
                if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
                    mcid = int(props.MCID)
                    e = array[mcid] if mcid < len(array) else None
                    if not isinstance(e, pikepdf.Dictionary) or e.objgen not in tree.inside:
                        outside.append((i + 1, mcid))
        assert outside == []


def test_reading_order_follows_the_pages(tagged: tuple[Path, Path]) -> None:
    with _open(tagged[1]) as pdf:
        tree = Tree(pdf)
        document = _kids(tree.root)[0]
        pages = [tree.pages[k.Pg.objgen] for k in _kids(document) if _element(k)]
    assert pages == sorted(pages)


def _pagination(page: pikepdf.Page) -> list[bool]:
    """For each pagination artifact of a page: whether it shows text."""
    out, depth, texts = [], 0, False
    for op in pikepdf.parse_content_stream(page):
        name = str(op.operator)
        if (
            name == "BDC"
            and op.operands[0] == "/Artifact"
            and isinstance(op.operands[1], pikepdf.Dictionary)
            and op.operands[1].get("/Type") == "/Pagination"
            and depth == 0
        ):
            depth, texts = 1, False
        elif depth and name in ("BDC", "BMC"):
            depth += 1
        elif depth and name == "EMC":
            depth -= 1
            if depth == 0:
                out.append(texts)
        elif depth and name in ("Tj", "TJ", "'", '"'):
            texts = True
    return out


def test_running_heads_and_feet_are_artifacts(tagged: tuple[Path, Path]) -> None:
    """Title, section, marking and page x of y on every page after the cover are pagination
    artifacts that draw text; the cover keeps its marking only."""
    src, path = tagged
    d = _dossier(src)
    with _open(path) as pdf:
        counts = [sum(_pagination(p)) for p in pdf.pages]
        # A page the print profile leaves blank before a right-hand page draws nothing at all.
        drawn = [any(str(i.operator) in ("Tj", "TJ") for i in pikepdf.parse_content_stream(p)) for p in pdf.pages]
    assert counts[0] == (1 if d.get("marking") else 0)
    assert all(c >= 3 for c, text in zip(counts[2:], drawn[2:], strict=True) if text), counts


# Figures, tables, links ------------------------------------------------------------------


def test_every_figure_has_alternative_text(tagged: tuple[Path, Path]) -> None:
    with _open(tagged[1]) as pdf:
        figures = Tree(pdf).of("Figure")
        assert figures
        assert [str(f.get("/Alt", "")).strip() != "" for f in figures] == [True] * len(figures)


def test_the_timeline_alt_text_lists_its_events_in_order(tagged: tuple[Path, Path]) -> None:
    src, path = tagged
    events = yaml.safe_load((src / "chronology.yaml").read_text(encoding="utf-8"))
    events = events["events"] if isinstance(events, dict) else events
    titles = [e["title"] for e in sorted(events, key=lambda e: str(e["date"]))]
    with _open(path) as pdf:
        alt = next(str(f.Alt) for f in Tree(pdf).of("Figure") if "Timeline" in str(f.get("/Alt", "")))
    assert f" {len(titles)} events" in alt
    places = [alt.find(t) for t in titles]
    assert -1 not in places
    # In date order (events on the same date keep the order of the file, which this sort may not).
    dates = [str(e["date"]) for e in events]
    ordered = [alt.find(e["title"]) for e in sorted(events, key=lambda e: str(e["date"])) if dates.count(str(e["date"])) == 1]
    assert len(ordered) > 1 and ordered == sorted(ordered)


def test_header_cells_have_their_scope(tagged: tuple[Path, Path]) -> None:
    """A header in a table's head is a column header, one beside data cells a row header; each
    data cell names its headers, and those exist."""
    with _open(tagged[1]) as pdf:
        tree = Tree(pdf)
        ths = tree.of("TH")
        assert ths
        wrong = []
        for th in ths:
            scope = th.get("/A", {}).get("/Scope")
            head = _s(tree.parent[th.objgen]) == "TR" and _s(tree.parent[tree.parent[th.objgen].objgen]) == "THead"
            if scope != ("/Column" if head else "/Row") and not (
                scope == "/Column" and all(_s(k) == "TH" for k in _kids(tree.parent[th.objgen]) if _element(k))
            ):
                wrong.append((str(scope), head))
        ids = {str(th.ID) for th in ths if "/ID" in th}
        dangling = [str(h) for td in tree.of("TD") for h in td.get("/A", {}).get("/Headers", []) if str(h) not in ids]
    assert wrong == []
    assert dangling == []


def test_every_link_annotation_is_in_a_link_element(tagged: tuple[Path, Path]) -> None:
    with _open(tagged[1]) as pdf:
        tree = Tree(pdf)
        annots = tree.annotations()
        links = tree.of("Link")
        assert annots and links
        held = {k.Obj.objgen: e for e in tree.order for k in _kids(e) if _objr(k)}
        outside = [i + 1 for i, a in annots if a.objgen not in held or _s(held[a.objgen]) != "Link"]
        wrong_parent = [
            i + 1
            for i, a in annots
            if "/StructParent" not in a
            or tree.parents.get(int(a.StructParent)) is None
            or tree.parents[int(a.StructParent)].objgen != held.get(a.objgen, a).objgen
        ]
        no_contents = [i + 1 for i, a in annots if not str(a.get("/Contents", "")).strip()]
        untabbed = [i + 1 for i, p in enumerate(pdf.pages) if "/Annots" in p.obj and p.obj.get("/Tabs") != "/S"]
        objrs = sum(1 for e in links for k in _kids(e) if _objr(k))
        assert outside == []
        assert wrong_parent == []
        assert no_contents == []
        assert untabbed == []
        assert objrs == len(annots)  # the right count: one OBJR in a Link per annotation


def test_no_link_is_empty_or_inside_another(tagged: tuple[Path, Path]) -> None:
    with _open(tagged[1]) as pdf:
        tree = Tree(pdf)
        links = tree.of("Link")
        no_objr = [e for e in links if not any(_objr(k) for k in _kids(e))]
        empty = [e for e in links if all(_objr(k) for k in _kids(e)) and not str(e.get("/Alt", "")).strip()]
        nested = [e for e in links if any(_s(a) == "Link" for a in tree.ancestors(e))]
        zero = [
            a for _, a in tree.annotations() if abs(float(a.Rect[2]) - float(a.Rect[0])) < 0.01 or abs(float(a.Rect[3]) - float(a.Rect[1])) < 0.01
        ]
    assert (len(no_objr), len(empty), len(nested), len(zero)) == (0, 0, 0, 0)


def test_link_descriptions_say_where_they_go(example_pdf: Path) -> None:
    """A link's /Contents names its target (a section, an event, a bibliography entry) or its web
    address, not WeasyPrint's bare anchor ("ref-unts263")."""
    with _open(example_pdf) as pdf:
        tree = Tree(pdf)
        contents = [str(a.Contents) for _, a in tree.annotations()]
        bare = [c for c in contents if re.fullmatch(r"ref-[\w-]+", c)]
        web = [str(a.A.URI) for _, a in tree.annotations() if "/A" in a and a.A.get("/S") == "/URI"]
        assert bare == []
        assert "Chronology" in contents
        assert web and set(web) <= set(contents)


def test_every_font_is_embedded(tagged: tuple[Path, Path]) -> None:
    with _open(tagged[1]) as pdf:
        missing = []
        for page in pdf.pages:
            for name, font in page.obj.Resources.get("/Font", {}).items():
                descendants = font.get("/DescendantFonts", [font])
                for f in descendants:
                    d = f.get("/FontDescriptor")
                    if f.get("/Subtype") != "/Type3" and (d is None or not any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))):
                        missing.append((name, str(f.get("/BaseFont"))))
    assert missing == []


def test_a_markdown_table_in_content_has_column_headers(dossier_copy: Path) -> None:
    """Rich text's tables: pandoc's head rows are `<th scope="col">`, the body's cells `<td>`."""
    from dossier.build import prepare

    path = dossier_copy / "dossier.yaml"
    source = path.read_text(encoding="utf-8")
    table = "  | Party | Year |\n  |-------|------|\n  | Norway | 1920 |\n"
    path.write_text(source.replace("summary: |\n", "summary: |\n" + table + "\n", 1), encoding="utf-8")
    p = prepare(dossier_copy)
    html = str(p.formatted.html[p.dossier.summary.key])
    assert re.findall(r"<th\b[^>]*>", html) == ['<th scope="col">'] * 2
    assert "<td>" in html


@pytest.mark.parametrize("language,count,word", [("en", 3, "events"), ("de", 3, "Ereignisse"), ("ja", 3, "件")])
def test_timeline_alt_in_the_dossiers_language(language: str, count: int, word: str) -> None:
    from dossier import words
    from dossier.dates import DateValue, PartialDate
    from dossier.errors import Location
    from dossier.model import Dossier, Event, Text
    from dossier.render import timeline_alt

    loc = Location("chronology.yaml", 1, 1)
    evs = [Event(DateValue(PartialDate(1950 + i, 1, 1)), loc, Text(f"Event {i}", loc), None, [], f"e{i}", i) for i in range(count)]
    d = Dossier(root=Path("."), title=Text("T", loc), language=language, chronology=evs)
    alt = timeline_alt(d, words.theme_words([ROOT / "templates"], language))
    assert str(count) in alt and word in alt
    assert [alt.find(f"Event {i}") for i in range(count)] == sorted(alt.find(f"Event {i}") for i in range(count))


def test_a_standards_identification_in_weasyprints_xmp_is_kept() -> None:
    """The archive profile's PDF/A identification, written by WeasyPrint's `pdf_variant`, stays in
    the one packet the pass writes."""
    import io

    from weasyprint import HTML

    from dossier.finish import DocMeta
    from dossier.pdftags import tag

    raw = HTML(string="<html lang=en><title>X</title><p>Text</p>").write_pdf(pdf_variant="pdf/a-3u", pdf_tags=True)
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        tag(pdf, DocMeta(title="X"), 0, {})
        assert pdf.Root.Metadata.read_bytes().count(b"<rdf:RDF") == 1
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"], meta["dc:title"]) == ("3", "U", "X")


def test_language_changes_are_declared(tagged: tuple[Path, Path]) -> None:
    """Text marked with another language (`[Шпицберген]{lang=ru}`, a Japanese original) is in an
    element with that `/Lang`, so a screen reader switches voice."""
    with _open(tagged[1]) as pdf:
        langs = {str(e.Lang) for e in Tree(pdf).order if "/Lang" in e}
    assert {"ru", "ja"} <= langs
    assert all(re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*", lang) for lang in langs)


def test_no_empty_grouping_elements(tagged: tuple[Path, Path]) -> None:
    with _open(tagged[1]) as pdf:
        empty = [_s(e) for e in Tree(pdf).order if _s(e) in ("Div", "Span", "NonStruct", "P", "Sect") and not _kids(e)]
    assert empty == []


def test_footnotes_are_notes_with_ids(tagged: tuple[Path, Path]) -> None:
    """Each footnote of the content (`^[…]`; a note split over pages is one part per page) is a
    `Note` with its own `/ID` and its text inside."""
    src, path = tagged
    written = sum(f.read_text(encoding="utf-8").count("^[") for f in src.glob("*.yaml"))
    with _open(path) as pdf:
        notes = Tree(pdf).of("Note")
        ids = [str(n.get("/ID", "")) for n in notes]
        assert written > 0
        assert len(notes) >= written
        assert len(set(ids)) == len(ids) and "" not in ids
        assert all(any(isinstance(k, int) for k in _kids(n)) for n in notes)  # its text, marked content
