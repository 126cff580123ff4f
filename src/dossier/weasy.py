"""The one module that reads WeasyPrint's internals (stages 5 and 6: typesetting and finishing).

WeasyPrint's API is `HTML`, `CSS`, the URL fetchers, `Document` (its `pages`, `metadata`,
`write_pdf`) and `Page` (its `anchors`): those are used where they are needed. Everything
else dossier needs lives in WeasyPrint's private modules and may change in any release:
the laid-out boxes of a page (footnote overflow), the tag-tree builder (`/Lang`, `Note`),
the fonts drawn and Pango's version (the archive's manifest), and the XMP writer (the
PDF/UA claim). Each is one small function here, its docstring naming the internal it
relies on. pyproject.toml bounds weasyprint to the release the suite ran on, and
tests/test_weasy.py checks that each internal below still exists with the shape used here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


def pages_by_anchor(document: Any) -> dict[str, int]:
    """The page number (from 1) of every id in the laid-out document, from `Page.anchors`
    (public, but what the second pass of `typeset` depends on, so checked with the rest)."""
    return {name: number for number, page in enumerate(document.pages, 1) for name in page.anchors}


def footnotes_above_content(document: Any) -> list[tuple[int, Any]]:
    """(page number, HTML element) of each footnote in a footnote area that runs above its page's
    content box: WeasyPrint 70 cannot split a footnote and moves one that does not fit whole to
    the next page, where a note taller than the page runs over text and header.

    Relies on `Page._page_box` (the laid-out tree, exposed nowhere else), the box class
    `weasyprint.formatting_structure.boxes.FootnoteAreaBox`, and the boxes' `children`,
    `position_y`, `content_box_y()` and `element`."""
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox

    out: list[tuple[int, Any]] = []
    for number, page in enumerate(document.pages, 1):
        box = page._page_box  # noqa: SLF001 - see the docstring
        for area in (c for c in box.children if isinstance(c, FootnoteAreaBox)):
            if area.position_y < box.content_box_y() - 0.5:
                out.extend((number, note.element) for note in area.children if note.element is not None)
    return out


@dataclass(frozen=True)
class TaggedBox:
    """What the tag-tree hook tells about the box a structure element is made for."""

    element: Any | None  # the box's HTML element; None for the page, `html` and `body` boxes
    in_footnote_area: bool  # a footnote's body: a child of a page's footnote area


TagEdit = Callable[[TaggedBox, dict[str, Any]], None]


@contextmanager
def editing_tags(edit: TagEdit) -> Iterator[None]:
    """While WeasyPrint writes a tagged PDF, call `edit(box, element)` on every structure element
    it makes (a `pydyf.Dictionary`: a dict of PDF names to values) before it enters the tree.

    Relies on `weasyprint.pdf.tags._build_box_tree(box, *rest)`, the generator that yields the
    elements made for a box and calls itself, through the module, for the box's children: it is
    replaced for the duration and restored after. Also the box classes `PageBox` and
    `FootnoteAreaBox` and the boxes' `element`, `element_tag` and `children`. Without that
    function (another WeasyPrint), nothing is edited."""
    try:
        from weasyprint.formatting_structure import boxes
        from weasyprint.pdf import tags as weasy_tags

        original = weasy_tags._build_box_tree  # noqa: SLF001 - see the docstring
    except (ImportError, AttributeError):
        yield
        return

    notes: set[int] = set()  # the boxes of footnote bodies: the children of a footnote area

    def build(box: Any, *rest: Any) -> Iterator[Any]:
        own = box.element is not None and box.element_tag not in ("html", "body") and not isinstance(box, boxes.PageBox)
        if isinstance(box, boxes.FootnoteAreaBox):
            notes.update(id(child) for child in box.children)
        seen = TaggedBox(box.element if own else None, id(box) in notes)
        for element in original(box, *rest):
            edit(seen, element)
            yield element

    weasy_tags._build_box_tree = build  # noqa: SLF001
    try:
        yield
    finally:
        weasy_tags._build_box_tree = original  # noqa: SLF001


def pdf_string(text: str) -> Any:
    """A text string value for a structure element `editing_tags` passes (WeasyPrint writes them
    with pydyf, its PDF writer: a `pydyf.String`)."""
    import pydyf

    return pydyf.String(text)


def drawn_fonts(document: Any) -> list[tuple[str, int, bytes]]:
    """(family, face index, whole font file) of every font WeasyPrint drew with, in its order:
    filled by `write_pdf`, so call it after. The file, not the subset written to the PDF.

    Relies on `Document.fonts` (a dict of `weasyprint.pdf.fonts.Font`), the fonts' `hb_face`,
    `index` and `family`, and `weasyprint.text.fonts.get_hb_object_data(hb_face)`."""
    from weasyprint.text.fonts import get_hb_object_data

    return [(str(font.family), font.index, get_hb_object_data(font.hb_face)) for font in document.fonts.values()]


def pango_version() -> str:
    """The version of the Pango library WeasyPrint loaded, as "1.50.12", from
    `weasyprint.text.ffi.pango.pango_version()` (major * 10000 + minor * 100 + micro)."""
    from weasyprint.text.ffi import pango

    number = int(pango.pango_version())
    return f"{number // 10000}.{number // 100 % 100}.{number % 100}"


RdfEdit = Callable[[Any, dict[str, str]], None]


def editing_rdf(metadata: Any, edit: RdfEdit) -> None:
    """Have this document's metadata pass the `rdf:RDF` element WeasyPrint writes as XMP through
    `edit(rdf, namespaces)` (an ElementTree element, and WeasyPrint's prefix-to-URI table)
    before it is serialised.

    Relies on `DocumentMetadata.generate_rdf_metadata(variant, version, conformance)`, which
    returns the RDF as bytes and is replaced on this one object, and on
    `weasyprint.pdf.metadata.NS`."""
    from xml.etree.ElementTree import fromstring, tostring

    from weasyprint.pdf.metadata import NS

    generate = metadata.generate_rdf_metadata

    def edited(variant: str, version: int, conformance: str | None) -> bytes:
        rdf = fromstring(generate(variant, version, conformance))
        edit(rdf, NS)
        return bytes(tostring(rdf, encoding="utf-8"))

    metadata.generate_rdf_metadata = edited
