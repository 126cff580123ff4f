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


def test_the_counter_lookups_and_the_page_maker_loop_have_the_shape_settled_counters_uses() -> None:
    collector = _attribute("weasyprint.css.targets:TargetCollector")
    name = "weasyprint.css.targets.TargetCollector"
    _require(
        _parameters(collector.collect_missing_counters)[1:]
        == ["parent_box", "css_token", "parse_again_function", "missing_counters", "missing_target_counters"],
        f"{name}.collect_missing_counters",
        "(parent_box, css_token, parse_again_function, missing_counters, missing_target_counters)",
    )
    _require(
        _parameters(collector.cache_target_page_counters)[1:] == ["anchor_name", "page_counter_values", "page_maker_index", "page_maker"],
        f"{name}.cache_target_page_counters",
        "(anchor_name, page_counter_values, page_maker_index, page_maker)",
    )
    instance = collector()
    for attribute in ("collecting", "target_lookup_items", "counter_lookup_items"):
        _require(hasattr(instance, attribute), f"{name}.{attribute}", "an attribute")
    item = _attribute("weasyprint.css.targets:TargetLookupItem")()
    for attribute in ("state", "target_box", "page_maker_index", "cached_page_counter_values"):
        _require(hasattr(item, attribute), f"TargetLookupItem.{attribute}", "an attribute")
    lookup = _attribute("weasyprint.css.targets:CounterLookupItem")(None, [], {})
    for attribute in ("parse_again", "missing_counters", "missing_target_counters", "page_maker_index", "pending", "cached_page_counter_values"):
        _require(hasattr(lookup, attribute), f"CounterLookupItem.{attribute}", "an attribute")
    _require(
        _attribute("weasyprint.css.targets:anchor_name_from_token")(("string", "#x")) == "x",
        "weasyprint.css.targets.anchor_name_from_token",
        "the anchor's name from a ('string', '#name') token",
    )
    _require(_attribute("weasyprint.urls:get_url_tuple")("#x", None) == ("internal", "x"), "weasyprint.urls.get_url_tuple", "('internal', name)")
    remake = _attribute("weasyprint.layout.page:remake_page")
    _require(
        _parameters(remake) == ["index", "context", "root_box", "html"], "weasyprint.layout.page.remake_page", "(index, context, root_box, html)"
    )
    loop = _attribute("weasyprint.layout.page:make_all_pages")
    _require("remake_page" in loop.__code__.co_names, "weasyprint.layout.page.make_all_pages", "a loop calling remake_page through its module")


def test_settled_counters_lays_out_less_and_prints_the_same() -> None:
    html = (
        "<style>@page { size: 100mm 60mm } a::after { content: ' p. ' target-counter(attr(href), page) }"
        " h2 { break-before: page }</style>"
        + "".join(f"<p><a href='#s{i}'>to {i}</a></p>" for i in range(12))
        + "".join(f"<h2 id='s{i}'>Section {i}</h2><p>{'Text. ' * 40 * (i % 3 + 1)}</p>" for i in range(12))
    )
    plain: list[int] = []
    settled: list[int] = []
    with weasy.counting_layouts(plain.append):
        before = weasyprint.HTML(string=html).render()
    with weasy.counting_layouts(settled.append), weasy.settled_counters():
        after = weasyprint.HTML(string=html).render()
    assert 0 < len(settled) < len(plain)
    assert [p.anchors.keys() for p in before.pages] == [p.anchors.keys() for p in after.pages]
    assert before.write_pdf() == after.write_pdf()
    from weasyprint.css.targets import TargetCollector

    assert TargetCollector.cache_target_page_counters.__module__.startswith("weasyprint")  # restored
