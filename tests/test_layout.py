"""Book machinery checked on the laid-out pages: no heading is the last thing on a page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dossier.build import prepare, render_prepared

HEADINGS = {"h1", "h2", "h3"}


@pytest.fixture(scope="module")
def pages() -> list[Any]:
    from weasyprint import CSS, HTML

    p = prepare(Path("content"))
    html, css = render_prepared(p)
    document = HTML(string=html, base_url=str(Path("content").resolve()) + "/").render(stylesheets=[CSS(string=css)])
    return document.pages


def _walk(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    yield box
    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return
    for child in getattr(box, "children", []) or []:
        yield from _walk(child)


def test_no_heading_is_the_last_line_of_a_page(pages: list[Any]) -> None:
    from weasyprint.formatting_structure import boxes

    checked = 0
    for number, page in enumerate(pages, start=1):
        body = [b for b in _walk(page._page_box) if not isinstance(b, (boxes.MarginBox, boxes.FootnoteAreaBox))]
        lines = [b for b in body if isinstance(b, boxes.LineBox)]
        for heading in (b for b in body if isinstance(b, boxes.BlockBox) and b.element_tag in HEADINGS):
            if "cover-title" in (heading.element.get("class") or ""):
                continue
            title = "".join(heading.element.itertext()).strip()
            bottom = heading.position_y + heading.margin_height() - heading.margin_bottom
            below = [line for line in lines if line.position_y >= bottom - 0.5]
            assert below, f"page {number}: heading '{title}' ends the page"
            checked += 1
    assert checked > 20


def test_chronology_rows_are_never_split(pages: list[Any]) -> None:
    from weasyprint.formatting_structure import boxes

    seen: dict[str, int] = {}
    for number, page in enumerate(pages, start=1):
        for b in _walk(page._page_box):
            if isinstance(b, boxes.TableRowBox) and "event" in (b.element.get("class") or ""):
                key = id(b.element)
                assert str(key) not in seen, f"a chronology row continues on page {number}"
                seen[str(key)] = number
    assert len(seen) >= 25
