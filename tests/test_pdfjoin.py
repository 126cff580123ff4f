"""The joiner (pdfjoin.py): parts of the example typeset on their own, joined, give the PDF a
whole-document build gives: pages, destinations, links, outline, metadata, structure, fonts."""

from __future__ import annotations

import io
import logging
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest

from dossier import build
from dossier.describe import described
from dossier.finish import Job, finish
from dossier.pdfjoin import EXTERNAL, JoinError, Part, join
from dossier.profiles import Profile
from dossier.typeset import typeset

ROOT = Path(__file__).resolve().parents[1]
EPOCH = 1700000000


class _CrossPart(logging.Filter):
    """A part's `target-counter()` of an anchor in another part has nothing to count: WeasyPrint
    says so; the build of parts gives those numbers otherwise, so the warning is left out here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "undefined anchor" not in record.getMessage()


@dataclass
class Example:
    whole: bytes
    parts: list[bytes]
    job: Job


def _split(html: str) -> list[str]:
    """The example's HTML as parts: cover and contents, then each section; a link to an id of
    another part written as `dossier-anchor:ID`, as the parts' builder writes it."""
    head, body = html.split("<body>", 1)
    body, tail = body.rsplit("</body>", 1)
    pieces = re.split(r'(?=<section class="section" id=)', body)
    out = []
    for piece in pieces:
        ids = set(re.findall(r'\bid="([^"]+)"', piece))

        def external(m: re.Match[str], ids: set[str] = ids) -> str:
            return m.group(0) if m.group(1) in ids else f'href="{EXTERNAL}{m.group(1)}"'

        out.append(head + "<body>" + re.sub(r'href="#([^"]+)"', external, piece) + "</body>" + tail)
    return out


@pytest.fixture(scope="module")
def example() -> Iterator[Example]:
    root = ROOT / "content"
    profile = Profile()
    p = build.prepare(root, profile)
    html, css = build.render_prepared(p, profile)
    quiet = _CrossPart()
    logging.getLogger("weasyprint").addFilter(quiet)
    try:
        whole = typeset(html, css, root, p.theme_dirs, profile, EPOCH)
        parts = [typeset(h, css, root, p.theme_dirs, profile, EPOCH) for h in _split(html)]
    finally:
        logging.getLogger("weasyprint").removeFilter(quiet)
    meta, targets = described(p.dossier, p.formatted, p.theme_dirs)
    yield Example(whole, parts, Job(profile, EPOCH, root, tuple(p.theme_dirs), meta, targets, ()))


@pytest.fixture(scope="module")
def joined(example: Example) -> bytes:
    return join([Part(pdf) for pdf in example.parts])


def _open(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def _dests(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Each named destination and the index of its page."""
    index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    tree = pikepdf.NameTree(pdf.Root.Names.Dests)
    return {str(name): index[dest[0].objgen] for name, dest in tree.items()}


def _outline(pdf: pikepdf.Pdf) -> list[tuple[int, str, int]]:
    """(level, title, page index) of every bookmark, in order."""
    index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    found: list[tuple[int, str, int]] = []

    def walk(item: object, level: int) -> None:
        while isinstance(item, pikepdf.Dictionary):
            found.append((level, str(item.Title), index[item.Dest[0].objgen]))
            walk(item.get("/First"), level + 1)
            item = item.get("/Next")

    if "/Outlines" in pdf.Root:
        walk(pdf.Root.Outlines.get("/First"), 1)
    return found


def _text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-raw", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _starts(parts: list[bytes]) -> list[int]:
    starts, total = [], 0
    for data in parts:
        starts.append(total)
        with _open(data) as pdf:
            total += len(pdf.pages)
    return starts


def test_pages_in_order(example: Example, joined: bytes) -> None:
    contents = []
    for data in example.parts:
        with _open(data) as part:
            contents.extend(page.obj.Contents.read_bytes() for page in part.pages)
    with _open(joined) as pdf, _open(example.whole) as whole:
        assert [page.obj.Contents.read_bytes() for page in pdf.pages] == contents
        assert len(pdf.pages) == len(whole.pages)


def test_blank_pages_where_asked(example: Example) -> None:
    parts = [Part(pdf, blank_before=i == 2) for i, pdf in enumerate(example.parts)]
    out = join(parts)
    blank = _starts(example.parts)[2]
    with _open(out) as pdf, _open(example.parts[2]) as third:
        assert len(pdf.pages) == sum(len(_open(p).pages) for p in example.parts) + 1
        page = pdf.pages[blank]
        assert page.obj.MediaBox == third.pages[0].obj.MediaBox
        assert page.obj.TrimBox == third.pages[0].obj.TrimBox
        assert "/Annots" not in page.obj
        assert pdf.pages[blank + 1].obj.Contents.read_bytes() == third.pages[0].obj.Contents.read_bytes()
    assert _text(out).split("\f")[blank].strip() == ""


def test_every_destination_on_its_page(example: Example, joined: bytes) -> None:
    expected: dict[str, int] = {}
    for data, start in zip(example.parts, _starts(example.parts), strict=True):
        with _open(data) as part:
            for name, page in _dests(part).items():
                expected.setdefault(name, start + page)
    with _open(joined) as pdf, _open(example.whole) as whole:
        dests = _dests(pdf)
        assert dests == expected
        assert set(dests) == set(_dests(whole))  # the same anchors as the whole document
        assert pikepdf.NameTree(pdf.Root.Names.Dests).obj.is_indirect


def test_links_across_parts_go_to_their_anchor(example: Example, joined: bytes) -> None:
    with _open(joined) as pdf, _open(example.whole) as whole:
        dests = _dests(pdf)
        links = []
        for i, page in enumerate(pdf.pages):
            for annot in page.obj.get("/Annots", []):
                action = annot.get("/A")
                if isinstance(action, pikepdf.Dictionary) and action.get("/S") == "/URI":
                    assert not str(action.URI).startswith(EXTERNAL)
                    links.append((i, "uri", str(action.URI)))
                else:
                    name = str(annot.Dest)
                    assert name in dests and str(annot.Contents) == name
                    links.append((i, "dest", name))
        in_whole = []
        for i, page in enumerate(whole.pages):
            for annot in page.obj.get("/Annots", []):
                action = annot.get("/A")
                in_whole.append((i, "uri", str(action.URI)) if isinstance(action, pikepdf.Dictionary) else (i, "dest", str(annot.Dest)))
        # The same links as in the whole document (a page may break elsewhere: pages not compared)
        # (a link broken over two lines is two annotations: their numbers are not compared)
        assert {link[1:] for link in links} == {link[1:] for link in in_whole}
        # One that crosses parts: the summary's citation of the treaty, to its bibliography entry.
        assert ("dest", "ref-unts263") in {(kind, name) for _, kind, name in links}
        assert dests["ref-unts263"] == _dests(whole)["ref-unts263"]


def test_outline_titles_levels_and_targets(example: Example, joined: bytes) -> None:
    with _open(joined) as pdf, _open(example.whole) as whole:
        assert _outline(pdf) == _outline(whole)
        assert int(pdf.Root.Outlines.Count) == int(whole.Root.Outlines.Count)


def test_metadata_of_the_first_part(example: Example, joined: bytes) -> None:
    with _open(joined) as pdf, _open(example.parts[0]) as first:
        assert dict(pdf.docinfo.items()) == dict(first.docinfo.items())
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences"):
            assert repr(pdf.Root[key]) == repr(first.Root[key])
        if "/Metadata" in first.Root:
            assert pdf.Root.Metadata.read_bytes() == first.Root.Metadata.read_bytes()


def _in_tree(pdf: pikepdf.Pdf) -> list[list[bool]]:
    """For each page, whether the element of each of its marked-content ids hangs in the tree
    (WeasyPrint's margin boxes do not: pdftags.py makes them artifacts)."""
    tree = pdf.Root.StructTreeRoot
    reachable: set[tuple[int, int]] = set()
    stack = list(tree.K)
    while stack:
        element = stack.pop()
        if not isinstance(element, pikepdf.Dictionary) or element.objgen in reachable:
            continue
        reachable.add(element.objgen)
        kids = element.get("/K", [])
        stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids])
    parents = {int(k): v for k, v in pikepdf.NumberTree(tree.ParentTree).items()}
    return [[isinstance(e, pikepdf.Dictionary) and e.objgen in reachable for e in parents[int(page.obj.StructParents)]] for page in pdf.pages]


def test_one_structure_tree_with_a_renumbered_parent_tree(example: Example, joined: bytes) -> None:
    with _open(joined) as pdf:
        tree = pdf.Root.StructTreeRoot
        assert [str(k.S) for k in tree.K] == ["/Document"]
        parents = {int(k): v for k, v in pikepdf.NumberTree(tree.ParentTree).items()}
        keys = [int(page.obj.StructParents) for page in pdf.pages]
        annots = [int(a.StructParent) for page in pdf.pages for a in page.obj.get("/Annots", [])]
        assert len(set(keys + annots)) == len(keys) + len(annots)  # no key used twice
        assert set(keys + annots) <= set(parents)
        for key in annots:  # each annotation's key names the element holding its OBJR
            assert any(k.get("/Type") == "/OBJR" for k in parents[key].K if isinstance(k, pikepdf.Dictionary))
        in_parts = []
        for data in example.parts:
            with _open(data) as part:
                in_parts.extend(_in_tree(part))
        assert _in_tree(pdf) == in_parts
        document = tree.K[0]
        assert document.P.objgen == tree.objgen
        assert all(kid.P.objgen == document.objgen for kid in document.K)


def test_text_of_the_parts(example: Example, joined: bytes) -> None:
    assert _text(joined) == "".join(_text(p) for p in example.parts)


def test_deterministic(example: Example, joined: bytes) -> None:
    assert join([Part(pdf) for pdf in example.parts]) == joined


def test_finished_like_a_whole_document(example: Example, joined: bytes) -> None:
    """finish.py takes the joined PDF as it takes a whole one: tagged, its links described."""
    out = finish(joined, example.job)
    with _open(out) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                assert not str(annot.get("/Contents", "")).startswith(EXTERNAL)
        assert str(pdf.Root.Lang) == example.job.meta.language


# Parts that cannot be joined --------------------------------------------------------------------


def _part(tmp_path: Path, body: str) -> bytes:
    html = f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body>{body}</body></html>'
    return typeset(html, "", tmp_path, [], None, EPOCH)


def test_a_link_to_an_unknown_anchor(tmp_path: Path) -> None:
    first = _part(tmp_path, '<h1 id="a">A</h1><p><a href="dossier-anchor:b">to B</a></p>')
    second = _part(tmp_path, '<h1 id="b">B</h1><p><a href="dossier-anchor:a">back to A</a></p>')
    with _open(join([Part(first), Part(second)])) as pdf:
        assert _dests(pdf) == {"a": 0, "b": 1}
        assert [str(a.Dest) for page in pdf.pages for a in page.obj.Annots] == ["b", "a"]
    lost = _part(tmp_path, '<h1 id="c">C</h1><p><a href="dossier-anchor:nowhere">lost</a></p>')
    with pytest.raises(JoinError, match="^part 3: .*'nowhere'"):
        join([Part(first), Part(second), Part(lost)])


def test_not_a_pdf_and_no_parts(tmp_path: Path) -> None:
    good = _part(tmp_path, "<p>x</p>")
    with pytest.raises(JoinError, match="part 2: not a readable PDF"):
        join([Part(good), Part(b"%PDF-1.7 broken")])
    with pytest.raises(JoinError, match="no parts"):
        join([])


# Fonts ------------------------------------------------------------------------------------------


def _faces(pdf: pikepdf.Pdf) -> list[str]:
    """The BaseFont of every Type0 font the pages use, once per font dictionary."""
    seen: dict[tuple[int, int], str] = {}
    for page in pdf.pages:
        for font in page.obj.Resources.get("/Font", {}).values():
            if font.get("/Subtype") == "/Type0":
                seen[font.objgen] = str(font.BaseFont)
    return sorted(seen.values())


def test_one_font_per_face(example: Example, joined: bytes) -> None:
    with _open(joined) as pdf, _open(example.whole) as whole:
        faces = _faces(pdf)
        assert len(faces) == len(set(faces))
        assert faces == _faces(whole)


def test_merged_fonts_draw_every_glyph(example: Example, joined: bytes, tmp_path: Path) -> None:
    """Each joined page renders (poppler) exactly as the part's own page: no glyph lost or
    swapped by the merge, in the TrueType and the CJK (CFF) faces alike."""
    (tmp_path / "joined.pdf").write_bytes(joined)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(tmp_path / "joined.pdf"), str(tmp_path / "j")], check=True)
    mine = sorted(tmp_path.glob("j-*.pgm"))
    theirs: list[Path] = []
    for n, data in enumerate(example.parts):
        (tmp_path / f"p{n}.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "40", "-gray", str(tmp_path / f"p{n}.pdf"), str(tmp_path / f"p{n}")], check=True)
        theirs.extend(sorted(tmp_path.glob(f"p{n}-*.pgm")))
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert a.read_bytes() == b.read_bytes(), (a.name, b.name)


def test_widths_and_text_maps_of_every_part(example: Example, joined: bytes) -> None:
    """The merged font keeps, for every glyph a part shows, the part's width and text."""
    from dossier.fontmerge import cid_widths, to_unicode_map

    def fonts(pdf: pikepdf.Pdf) -> dict[str, tuple[dict[int, float], dict[int, bytes]]]:
        out = {}
        for page in pdf.pages:
            for font in page.obj.Resources.get("/Font", {}).values():
                out[str(font.BaseFont)] = (cid_widths(font.DescendantFonts[0].W), to_unicode_map(font.ToUnicode.read_bytes()))
        return out

    with _open(joined) as pdf:
        merged = fonts(pdf)
    for data in example.parts:
        with _open(data) as part:
            for name, (widths, text) in fonts(part).items():
                assert widths.items() <= merged[name][0].items()
                assert text.items() <= merged[name][1].items()


def test_size_of_a_whole_build(example: Example, joined: bytes) -> None:
    """Finished, the joined PDF is no more than 2 % larger than the whole document finished."""
    assert len(finish(joined, example.job)) <= 1.02 * len(finish(example.whole, example.job))


def _ids(pdf: pikepdf.Pdf) -> tuple[list[str], list[str]]:
    """The /ID of every structure element in reading order, and every ID a /Headers names."""
    found, headers, stack = [], [], list(reversed(pdf.Root.StructTreeRoot.K))
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            if "/ID" in element:
                found.append(str(element.ID))
            attributes = element.get("/A")
            if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
                headers.extend(str(h) for h in attributes.Headers)
            kids = element.get("/K", [])
            stack.extend(reversed(list(kids) if isinstance(kids, pikepdf.Array) else [kids]))
    return found, headers


def test_structure_ids_unique_and_notes_numbered_through(example: Example, joined: bytes) -> None:
    """Each part numbers its footnotes' /ID from note-1 (pdftags.py) and WeasyPrint names table
    headers by object numbers: joined, every ID is unique, the notes are numbered as in a whole
    build, and each table cell's /Headers still names a header."""
    with _open(joined) as pdf, _open(example.whole) as whole:
        ids, headers = _ids(pdf)
        assert len(ids) == len(set(ids))
        notes = [i for i in ids if i.startswith("note-")]
        assert len(notes) > 1 and notes == [i for i in _ids(whole)[0] if i.startswith("note-")]
        assert headers and set(headers) <= set(ids)


def test_clashing_ids_renamed_with_their_headers(tmp_path: Path) -> None:
    """Two parts alike give their table headers the same IDs: the second part's are renamed,
    and its cells' /Headers name the renamed headers."""
    table = "<table><thead><tr><th>Year</th><th>Event</th></tr></thead><tbody><tr><td>1956</td><td>Declaration</td></tr></tbody></table>"
    part = _part(tmp_path, f"<h1>T</h1>{table}<p>x<span class=n>y</span></p>")
    with _open(part) as one:
        single, single_headers = _ids(one)
    assert single and single_headers
    with _open(join([Part(part), Part(part)])) as pdf:
        ids, headers = _ids(pdf)
    assert len(ids) == 2 * len(single) == len(set(ids))
    assert set(headers) <= set(ids) and len(set(headers)) == 2 * len(set(single_headers))


def test_page_labels_move_with_their_part(tmp_path: Path) -> None:
    """A part's page labels (roman front matter, say) apply to its pages in the joined file."""
    first = _part(tmp_path, "<p>i</p>")
    with _open(_part(tmp_path, '<p>1</p><p style="break-before: page">2</p>')) as second:
        second.Root.PageLabels = pikepdf.Dictionary(Nums=[0, pikepdf.Dictionary(S=pikepdf.Name.r)])
        buffer = io.BytesIO()
        second.save(buffer)
    with _open(join([Part(first), Part(buffer.getvalue(), blank_before=True)])) as pdf:
        labels = {int(k): v for k, v in pikepdf.NumberTree(pdf.Root.PageLabels).items()}
        assert sorted(labels) == [0, 2]  # the blank page counts on with the first part
        assert labels[0].S == "/D" and labels[2].S == "/r"
