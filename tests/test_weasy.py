"""Every WeasyPrint internal dossier.weasy relies on is there, with the shape it expects.

WeasyPrint documents these as private: a release may rename or reshape any of them, and the
build would then break somewhere deep (or, worse, silently lose the `/Lang` and `Note` tags or
the PDF/UA claim). Each check here names the WeasyPrint version and the internal that changed,
so that raising the bound in pyproject.toml starts from this file. The last tests check that
each adapter function still does its job on a real (small) document.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest
import weasyprint

from dossier import weasy

VERSION = weasyprint.__version__


def _require(condition: bool, internal: str, expected: str) -> None:
    if not condition:
        pytest.fail(
            f"WeasyPrint {VERSION} changed {internal}: dossier.weasy expects {expected}. "
            "Adapt dossier/weasy.py (or keep the weasyprint bound in pyproject.toml)",
            pytrace=False,
        )


def _attribute(dotted: str) -> Any:
    """The object at `module.path:attribute.path`, or a failure naming it."""
    import importlib

    module_name, _, path = dotted.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        pytest.fail(f"WeasyPrint {VERSION} has no module {module_name} ({exc}): dossier.weasy imports it", pytrace=False)
    for part in path.split(".") if path else []:
        _require(hasattr(target, part), dotted.replace(":", "."), f"an attribute '{part}'")
        target = getattr(target, part)
    return target


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def _document(html: str) -> Any:
    return weasyprint.HTML(string=html).render()


TALL_NOTE = (
    "<style>@page { size: 120mm 80mm; margin: 10mm } .fn { float: footnote }</style>"
    "<p>Text<span class='fn' data-note='n1'>" + "A long note. " * 200 + "</span></p>"
)


def test_the_tag_tree_builder_is_a_recursive_generator_taking_the_box_first() -> None:
    build = _attribute("weasyprint.pdf.tags:_build_box_tree")
    name = "weasyprint.pdf.tags._build_box_tree"
    _require(inspect.isgeneratorfunction(build), name, "a generator function (it yields the elements it makes)")
    _require(_parameters(build)[:1] == ["box"], name, f"the box as first parameter, not {_parameters(build)}")
    # editing_tags replaces the module's name: children must be built through it, not a closure
    _require("_build_box_tree" in build.__code__.co_names, name, "a function that calls itself through its module for the children")


def test_the_box_classes_and_their_attributes_are_there() -> None:
    boxes = _attribute("weasyprint.formatting_structure:boxes")
    for cls in ("PageBox", "FootnoteAreaBox", "ParentBox", "Box"):
        _require(isinstance(getattr(boxes, cls, None), type), f"weasyprint.formatting_structure.boxes.{cls}", "a box class")
    _require(issubclass(boxes.FootnoteAreaBox, boxes.ParentBox), "boxes.FootnoteAreaBox", "a ParentBox (with children)")
    _require(issubclass(boxes.PageBox, boxes.ParentBox), "boxes.PageBox", "a ParentBox (with children)")
    _require(callable(getattr(boxes.Box, "content_box_y", None)), "boxes.Box.content_box_y", "a method")


def test_a_laid_out_page_has_its_box_tree_and_anchors() -> None:
    page = _document("<p id='here'>x</p>").pages[0]
    _require(hasattr(page, "_page_box"), "weasyprint.document.Page._page_box", "the page's laid-out box tree")
    box = page._page_box
    _require(type(box).__name__ == "PageBox", "Page._page_box", f"a PageBox, not {type(box).__name__}")
    for name in ("children", "position_y", "element", "element_tag"):
        _require(hasattr(box, name), f"boxes.PageBox.{name}", "an attribute of every box")
    _require(isinstance(page.anchors, dict) and "here" in page.anchors, "weasyprint.document.Page.anchors", "a dict keyed by id")


def test_the_fonts_drawn_are_listed_with_their_face() -> None:
    _require(_parameters(_attribute("weasyprint.text.fonts:get_hb_object_data"))[:1] == ["hb_object"], "get_hb_object_data", "hb_object first")
    document = _document("<p>x</p>")
    document.write_pdf()
    _require(
        isinstance(getattr(document, "fonts", None), dict) and document.fonts, "weasyprint.document.Document.fonts", "a dict filled by write_pdf"
    )
    for font in document.fonts.values():
        for name in ("hb_face", "index", "family"):
            _require(hasattr(font, name), f"weasyprint.pdf.fonts.Font.{name}", "an attribute of every font")


def test_pango_and_the_xmp_writer_are_there() -> None:
    _require(isinstance(_attribute("weasyprint.text.ffi:pango.pango_version")(), int), "weasyprint.text.ffi.pango.pango_version", "an int")
    ns = _attribute("weasyprint.pdf.metadata:NS")
    _require(isinstance(ns, dict) and {"rdf", "dc", "pdfuaid"} <= set(ns), "weasyprint.pdf.metadata.NS", "a dict with rdf, dc and pdfuaid")
    generate = _attribute("weasyprint.pdf.metadata:DocumentMetadata.generate_rdf_metadata")
    params = _parameters(generate)
    _require(
        params == ["self", "variant", "version", "conformance"],
        "DocumentMetadata.generate_rdf_metadata",
        f"(variant, version, conformance), not {params}",
    )


# The adapter's functions on real documents ----------------------------------------------


def test_a_note_taller_than_the_page_is_found_above_the_content() -> None:
    found = weasy.footnotes_above_content(_document(TALL_NOTE))
    assert found and all(element.get("data-note") == "n1" for _page, element in found)
    assert weasy.footnotes_above_content(_document(TALL_NOTE.replace("A long note. ", "Short. ", 1).replace("A long note. ", ""))) == []


def test_pages_by_anchor_counts_from_one() -> None:
    pages = weasy.pages_by_anchor(_document("<p id='a'>a</p><p id='b' style='break-before: page'>b</p>"))
    assert pages["a"] == 1 and pages["b"] == 2


def test_editing_tags_sees_every_element_and_restores_the_builder() -> None:
    from weasyprint.pdf import tags

    original = tags._build_box_tree
    seen: list[tuple[str | None, bool]] = []

    def edit(box: weasy.TaggedBox, element: dict[str, Any]) -> None:
        seen.append((None if box.element is None else box.element.tag, box.in_footnote_area))
        if box.element is not None and box.element.get("lang"):
            element["Lang"] = weasy.pdf_string(box.element.get("lang"))

    document = _document("<html lang='en'><p>x <span lang='ja'>歯舞</span><span style='float: footnote'>note</span></p>")
    with weasy.editing_tags(edit):
        pdf = document.write_pdf(pdf_tags=True, uncompressed_pdf=True)
    assert tags._build_box_tree is original
    assert ("p", False) in seen and any(footnote for _tag, footnote in seen)
    assert b"/Lang (ja)" in pdf


def test_drawn_fonts_are_whole_font_files() -> None:
    document = _document("<p>x</p>")
    document.write_pdf()
    fonts = weasy.drawn_fonts(document)
    assert fonts and all(
        isinstance(family, str) and index >= 0 and data[:4] in (b"\0\1\0\0", b"OTTO", b"true", b"ttcf") for family, index, data in fonts
    )


def test_pango_version_is_dotted() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", weasy.pango_version())


def test_editing_rdf_edits_the_packet_of_one_document_only() -> None:
    from weasyprint.pdf.metadata import DocumentMetadata

    edited, plain = DocumentMetadata(title="T"), DocumentMetadata(title="T")
    weasy.editing_rdf(edited, lambda rdf, ns: rdf.set("marked", ns["pdfuaid"]))
    assert b"marked=" in edited.generate_rdf_metadata("a", 3, "U")
    assert b"marked=" not in plain.generate_rdf_metadata("a", 3, "U")
