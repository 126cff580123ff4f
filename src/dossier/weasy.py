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


def _missing_counters(collector: Any, box: Any) -> tuple[list[str], dict[str, list[str]]] | None:
    """The counters a box's `content` prints and does not have: its own (page-based ones) and,
    by anchor, its targets'; None when its content is not a list WeasyPrint computes.

    WeasyPrint 70's `compute_content_list` collects these into one variable it rebinds at each
    `target-counter()`, so a target's counters are also taken for the box's own, and a target
    named by `attr(href)` is filed under the anchor None, where a change of its page never finds
    it. This walks the same content list the same way (`lookup_target`'s anchor resolution, and
    its stop at a target not laid out yet) and files each counter where it belongs."""
    from weasyprint.css.targets import anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    content = box.style["content"]
    own_values = box.cached_counter_values
    if not isinstance(content, (list, tuple)) or own_values is None:
        return None
    own: list[str] = []
    targets: dict[str, list[str]] = {}
    for kind, value in content:
        if kind in ("counter()", "counters()"):
            if value[-1] != "none" and value[0] not in own_values and value[0] not in own:
                own.append(value[0])
        elif kind in ("target-counter()", "target-counters()", "target-text()"):
            # target-counter: (anchor, name, style); target-counters: (anchor, name, separator,
            # style); target-text: (anchor, what)
            if kind != "target-text()" and value[-1] == "none":
                continue
            token = value[0]
            if token[0] == "attr()":
                attr_name, attr_type, fallback = token[1]
                attr_value = box.element.get(attr_name, fallback)
                token = ("string", attr_value) if attr_type == "string" else ("url", get_url_tuple(attr_value, box.style.base_url))
            anchor = anchor_name_from_token(token)
            item = collector.target_lookup_items.get(anchor)
            if item is None or item.state != "up-to-date":
                break  # where WeasyPrint stops computing the content
            if kind != "target-text()" and value[1] not in item.target_box.cached_counter_values:
                names = targets.setdefault(anchor, [])
                if value[1] not in names:
                    names.append(value[1])
            if kind == "target-counters()" and value[2][0] != "string":
                break
    return own, targets


@contextmanager
def settled_counters() -> Iterator[None]:
    """While WeasyPrint lays a document out, re-lay a page for the `target-counter()`s on it only
    when a counter value they print has changed, and then always.

    In WeasyPrint 70 a `target-counter(attr(href), page)` (our contents and cross-references)
    is filed under no anchor (see `_missing_counters`), so a change of its target's page does not
    re-lay the page citing it; it is taken for a box printing its own page counters instead, and
    re-made whenever any counter of its own page changes (`pages` included, whose value is set
    only after each pass). So every such page was laid out once more after the numbers had
    settled (the example: 51 page layouts for 23 pages), while a target that moved to another
    page in a later pass did not update the pages citing it: on a long document the contents
    printed wrong page numbers. Here each counter is filed under its anchor, and a page citing
    one is re-laid when the value it prints, and only that, changes.

    Relies on `weasyprint.css.targets`: `TargetCollector.collect_missing_counters(parent_box,
    css_token, parse_again_function, missing_counters, missing_target_counters)` and
    `cache_target_page_counters(anchor_name, page_counter_values, page_maker_index,
    page_maker)`, both replaced for the duration and restored after; the collector's
    `collecting`, `target_lookup_items` (with `state`, `target_box`, `page_maker_index` and
    `cached_page_counter_values`) and `counter_lookup_items` (keyed by (box, css token), with
    `missing_target_counters`, `page_maker_index`, `pending`, `cached_page_counter_values` and
    `parse_again`); `anchor_name_from_token`, `weasyprint.urls.get_url_tuple`; the boxes'
    `style` (its `content` list and `base_url`), `element` and `cached_counter_values`; and
    the page maker's entries ending in their remake state (a dict with 'content_changed').
    Without them (another WeasyPrint), nothing changes."""
    import copy

    try:
        from weasyprint.css.targets import TargetCollector

        original_cache = TargetCollector.cache_target_page_counters
        original_collect = TargetCollector.collect_missing_counters
    except (ImportError, AttributeError):
        yield
        return

    def collect_missing_counters(
        self: Any, parent_box: Any, css_token: str, parse_again: Any, missing: list[str], missing_targets: dict[Any, list[str]]
    ) -> None:
        if css_token == "content" and self.collecting and missing_targets:
            found = _missing_counters(self, parent_box)
            if found is not None:
                missing, missing_targets = found
        original_collect(self, parent_box, css_token, parse_again, missing, missing_targets)

    def cache_target_page_counters(
        self: Any, anchor_name: str, page_counter_values: dict[str, list[int]], page_maker_index: int, page_maker: list[Any]
    ) -> None:
        if self.collecting:  # only while paginating, as WeasyPrint's own
            return
        item = self.target_lookup_items.get(anchor_name)
        if not item or item.state != "up-to-date":
            return
        item.page_maker_index = page_maker_index
        before = item.cached_page_counter_values
        if before == page_counter_values:
            return
        item.cached_page_counter_values = copy.deepcopy(page_counter_values)
        for (_box, css_token), lookup in self.counter_lookup_items.items():
            used = lookup.missing_target_counters.get(anchor_name) if css_token == "content" else None
            if not used or all(before.get(n) == page_counter_values.get(n) for n in used):
                continue  # not printed here, or printed as it was
            if lookup.page_maker_index is None or lookup.page_maker_index >= len(page_maker):
                lookup.pending = True  # made again when its page is laid out
                continue
            page_maker[lookup.page_maker_index][-1]["content_changed"] = True
            lookup.parse_again(lookup.cached_page_counter_values)

    TargetCollector.cache_target_page_counters = cache_target_page_counters
    TargetCollector.collect_missing_counters = collect_missing_counters
    try:
        yield
    finally:
        TargetCollector.cache_target_page_counters = original_cache
        TargetCollector.collect_missing_counters = original_collect


@contextmanager
def counting_layouts(count: Callable[[int], None]) -> Iterator[None]:
    """Call `count(index)` each time WeasyPrint lays out a page (index from 0), a page laid out
    again included: how the tests see how often pages are laid out.

    Relies on `weasyprint.layout.page.remake_page(index, context, root_box, html)`, which
    `make_all_pages` calls through its module: replaced for the duration and restored after."""
    from weasyprint.layout import page as weasy_page

    original = weasy_page.remake_page

    def remake_page(index: int, *rest: Any) -> Any:
        count(index)
        return original(index, *rest)

    weasy_page.remake_page = remake_page
    try:
        yield
    finally:
        weasy_page.remake_page = original
