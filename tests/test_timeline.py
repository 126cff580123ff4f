"""The timeline graphic: what a reader of the chronology page sees.

One mark per event, periods as bars, a broken axis that gives dense years room and empty decades
little, labels that never overlap, links from anchored events, escaped content, a 300-event
chronology, and vector content (no raster image) once WeasyPrint has set it in a PDF.
"""

from __future__ import annotations

import io
import random
import re
import xml.etree.ElementTree as ET
from itertools import combinations
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from dossier.dates import parse_date
from dossier.timeline import Layout, TimelineEvent, layout, timeline_html, timeline_svg

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
MIN_FONT_MM = 6.5 * 25.4 / 72  # 6.5 pt


def ev(date: str, label: str = "An event", anchor: str | None = None) -> TimelineEvent:
    return TimelineEvent(parse_date(date), label, anchor)


def random_events(n: int, seed: int) -> list[TimelineEvent]:
    """Dates 1850–2025 at day, month or year precision; about one in five a range."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        year = rng.randint(1850, 2025)
        kind = rng.random()
        if kind < 0.6:
            text = f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif kind < 0.85:
            text = f"{year:04d}-{rng.randint(1, 12):02d}"
        else:
            text = f"{year:04d}"
        if rng.random() < 0.2:
            text += f"/{min(2025, year + rng.randint(0, 8)):04d}"
        words = rng.randint(2, 14)
        label = " ".join(rng.choice(["treaty", "talks", "signed", "Moscow", "visit", "declaration", "islands"]) for _ in range(words))
        out.append(TimelineEvent(parse_date(text), f"Event {k}: {label}", f"e{k}" if rng.random() < 0.3 else None))
    return out


@pytest.fixture(scope="module")
def example() -> list[TimelineEvent]:
    """The example dossier's chronology, as the theme hands it over."""
    from dossier.build import prepare

    prepared = prepare(ROOT / "content")
    return [TimelineEvent(e.date, e.title.value, e.id) for e in prepared.dossier.chronology]


def marks(svg: str) -> list[ET.Element]:
    return [el for el in ET.fromstring(svg).iter() if "event-mark" in (el.get("class") or "").split()]


def mark_x(lay: Layout, index: int) -> float:
    box = lay.marks[index].box
    return box.x + box.w / 2


def assert_no_overlaps(lay: Layout) -> None:
    """No two labels touch; no label touches a mark, a scale label or a break; no leader runs
    through a label or a mark other than its own."""
    for a, b in combinations(lay.labels, 2):
        assert not a.box.overlaps(b.box), (a, b)
    for t, u in combinations(lay.tick_labels, 2):
        assert not t.box.overlaps(u.box), (t, u)
    for lab in lay.labels:
        assert 0 <= lab.box.x and lab.box.x1 <= lay.width and 0 <= lab.box.y and lab.box.y1 <= lay.height, lab
        for other in [m.box for m in lay.marks] + [t.box for t in lay.tick_labels] + list(lay.breaks):
            assert not lab.box.overlaps(other), (lab, other)
        x, y0, y1 = lab.stem_x, lab.stem_y0, lab.stem_y1
        assert lab.box.x <= x <= lab.box.x1  # the leader meets its own label's rule
        crossed = [o.index for o in lay.labels if o is not lab and o.box.x < x < o.box.x1 and o.box.y < y1 and y0 < o.box.y1]
        crossed += [m.index for m in lay.marks if m.index != lab.index and m.box.x < x < m.box.x1 and m.box.y < y1 and y0 < m.box.y1]
        crossed += [t.text for t in lay.tick_labels if t.box.x < x < t.box.x1 and t.box.y < y1 and y0 < t.box.y1]
        assert not crossed, (lab, crossed)


def test_one_mark_per_event(example: list[TimelineEvent]) -> None:
    for events in (example, random_events(40, 1), [ev("1920-02-09")]):
        svg = timeline_svg(events)
        assert len(marks(svg)) == len(events)
        assert svg.count('class="event-mark') == len(events)
        lay = layout(events)
        assert [m.index for m in lay.marks] == list(range(len(events)))


def test_periods_are_bars_and_moments_dots() -> None:
    events = [ev("1956-07/1956-08", "Talks"), ev("1956-10-19", "Signed"), ev("1956-10-13/1956-10-19", "Negotiations"), ev("1956")]
    found = marks(timeline_svg(events))
    assert [el.tag for el in found] == [SVG + "rect", SVG + "circle", SVG + "rect", SVG + "circle"]
    assert all("period" in (el.get("class") or "") for el in found if el.tag == SVG + "rect")
    lay = layout(events)
    talks, negotiations = lay.marks[0].box, lay.marks[2].box
    assert talks.w > 4 * talks.h  # two months: a long bar
    assert talks.w > negotiations.w > negotiations.h  # a week: a shorter bar, still a bar


def test_empty_decades_are_compressed_and_dense_years_opened_out() -> None:
    # 1941–1960: one event a year and twelve more in 1956; then nothing until 2021.
    events = [ev(f"{y}-01-01") for y in range(1941, 1961)] + [ev(f"1956-{m:02d}-15") for m in range(1, 13)] + [ev("2021-06-01")]
    lay = layout(events)
    first, last_dense, late = mark_x(lay, 0), mark_x(lay, 19), mark_x(lay, len(events) - 1)
    assert late - last_dense < (last_dense - first) / 4  # sixty empty years take less room than twenty busy ones
    assert len(lay.breaks) == 1 and last_dense < lay.breaks[0].x < late  # ...shown as a break in the axis
    assert 'class="axis-break"' in timeline_svg(events)
    # The year with thirteen events is far wider than a year with one.
    busy = mark_x(lay, 16) - mark_x(lay, 15)  # 1956-01-01 to 1957-01-01
    quiet = mark_x(lay, 2) - mark_x(lay, 1)  # 1942 to 1943
    assert busy > 4 * quiet
    # Time still runs left to right.
    xs = [mark_x(lay, i) for i in sorted(range(len(events)), key=lambda i: events[i].date.key)]
    assert xs == sorted(xs)


@pytest.mark.parametrize("width", [160.0, 100.0])
def test_labels_never_overlap_on_the_example(example: list[TimelineEvent], width: float) -> None:
    for events in (example, [TimelineEvent(e.date, e.label, None) for e in example]):
        lay = layout(events, width)
        assert_no_overlaps(lay)
        assert len(lay.labels) >= len(events) // 5


def test_example_is_compact_legible_and_labels_every_linked_event(example: list[TimelineEvent]) -> None:
    lay = layout(example, 160.0)
    assert lay.height <= 90.0
    anchored = {i for i, e in enumerate(example) if e.anchor}
    assert anchored <= {lab.index for lab in lay.labels}
    assert len(lay.labels) >= 20
    years = {t.text for t in lay.tick_labels if t.year}
    assert {"1855", "1875", "1941", "1956", "1960", "1973", "1991", "2022"} <= years
    assert len(lay.breaks) == 4  # 1855 | 1875 | 1941–1960 | 1973 | 1991–2022
    svg = timeline_svg(example)
    sizes = [float(v) for v in re.findall(r'font-size="([\d.]+)"', svg)]
    assert sizes and min(sizes) >= MIN_FONT_MM - 0.01
    assert "font-family=\"'Noto Sans'" in svg


def test_labels_are_short_dates_and_clipped_titles() -> None:
    title = "Japanese official tells the Diet the renounced Kurils include the southern islands and much more besides"
    lay = layout([ev("1951-10-19", title), ev("1956-10-13/1956-10-19", "Negotiations in Moscow")])
    first, second = lay.labels
    assert first.date_text == "19 Oct 1951" and second.date_text == "13–19 Oct 1956"
    assert 1 <= len(first.lines) <= 3 and first.lines[-1].endswith("…")
    assert " ".join(first.lines).removesuffix("…") in title  # cut after a whole word
    assert layout([ev("1956-10-19", "x")], language="en-US").labels[0].date_text == "Oct 19, 1956"


def test_anchored_events_link_to_their_entries() -> None:
    events = [ev("1956-10-19", "Signed", "signing"), ev("1956-12-12", "In force"), ev("1960-01-27", "Memorandum", "memo")]
    root = ET.fromstring(timeline_svg(events))
    links = [a for a in root.iter(SVG + "a")]
    hrefs = {a.get("href") for a in links}
    assert hrefs == {"#signing", "#memo"}
    linked_marks = [el for a in links for el in a.iter() if "event-mark" in (el.get("class") or "")]
    assert len(linked_marks) == 2  # the mark of each anchored event, once
    linked_text = ["".join(t.itertext()) for a in links for t in a.iter(SVG + "text")]
    assert any("Signed" in t for t in linked_text) and any("Memorandum" in t for t in linked_text)
    assert not any("In force" in t for t in linked_text)


def test_content_is_escaped() -> None:
    label = 'A <b>bold</b> & "quoted" claim <script>x</script>\x00\x0b'
    svg = timeline_svg([ev("1956-10-19", label, 'a"b<c>&d'), ev("1957", "Plain")])
    root = ET.fromstring(svg)  # well-formed XML
    assert [el.tag for el in root.iter() if el.tag in ("b", "script", SVG + "b", SVG + "script")] == []
    assert "<b>" not in svg and "<script>" not in svg and "\x00" not in svg
    text = " ".join(" ".join("".join(t.itertext()).split()) for t in root.iter(SVG + "text"))
    assert 'A <b>bold</b> & "quoted" claim <script>x</script>' in text  # printed as written
    assert root.find(f".//{SVG}a").get("href") == '#a"b<c>&d'


def test_same_input_same_drawing(example: list[TimelineEvent]) -> None:
    assert timeline_svg(example) == timeline_svg(list(example))
    assert timeline_svg(example, 120.0, "ja") == timeline_svg(example, 120.0, "ja")


def test_few_events_and_none() -> None:
    for events in ([], [ev("1920-02-09", "Svalbard Treaty", "svalbard")], [ev("1956")] * 3):
        svg = timeline_svg(events)
        ET.fromstring(svg)
        assert len(marks(svg)) == len(events)
        assert_no_overlaps(layout(events))
    assert re.match(r'<svg xmlns="http://www.w3.org/2000/svg" width="160mm" height="[\d.]+mm" viewBox="0 0 160 [\d.]+"', timeline_svg([ev("1956")]))


def test_japanese_titles_wrap_and_do_not_overlap(example: list[TimelineEvent]) -> None:
    titles = ["下田条約", "樺太・千島交換条約により樺太と千島列島を交換する", "日ソ中立条約", "ソ連が中立条約の不延長を通告"]
    events = [TimelineEvent(e.date, t, e.anchor) for e, t in zip(example, titles, strict=False)]
    lay = layout(events, 160.0, "ja")
    assert_no_overlaps(lay)
    assert lay.labels[0].date_text == "1855年2月7日"


def test_three_hundred_events_draw_legibly() -> None:
    """How fast is measured by `make bench`, never asserted in a test: these machines are noisy."""
    events = random_events(300, 2026)
    svg = timeline_svg(events)
    assert len(marks(svg)) == 300
    lay = layout(events)
    assert_no_overlaps(lay)
    assert 20.0 <= lay.height <= 95.0
    assert len(lay.labels) >= 10
    # Labels spread over the whole width, not bunched at one end.
    fifths = {int(5 * (lab.stem_x / lay.width)) for lab in lay.labels}
    assert len(fifths) >= 4


def _xobject_subtypes(resources: DictionaryObject) -> list[str]:
    found = []
    xobjects = resources.get("/XObject")
    for ref in (xobjects.get_object() if xobjects else {}).values():
        obj = ref.get_object()
        found.append(str(obj.get("/Subtype")))
        if "/Resources" in obj:
            found += _xobject_subtypes(obj["/Resources"].get_object())
    return found


def test_vector_in_the_pdf(example: list[TimelineEvent]) -> None:
    html = f"<html><body><h2>Chronology</h2>{timeline_svg(example)}</body></html>"
    page = PdfReader(io.BytesIO(weasyprint.HTML(string=html).write_pdf())).pages[0]
    subtypes = _xobject_subtypes(page["/Resources"].get_object())
    assert "/Image" not in subtypes
    text = re.sub(r"\s+", "", page.extract_text())
    assert "JointDeclaration" in text and "19Oct1956" in text  # real text, not pictures of it
    content = page.get_contents().get_data() + b"".join(ref.get_object().get_data() for ref in page["/Resources"]["/XObject"].values())
    assert re.search(rb"\bre\b|\bl\b|\bc\b", content)  # rectangles, lines, curves
    fonts = page["/Resources"]["/Font"].get_object()
    assert any("NotoSans" in str(f.get_object()["/BaseFont"]).replace("-", "") for f in fonts.values())


def test_links_in_the_pdf() -> None:
    events = [ev("1956-10-19", "Signed", "signing"), ev("1956-12-12", "In force"), ev("1960-01-27", "Memorandum", "memo")]
    html = f'<html><body>{timeline_html(events)}<p id="signing">Signing</p><p id="memo">Memo</p></body></html>'
    page = PdfReader(io.BytesIO(weasyprint.HTML(string=html).write_pdf())).pages[0]
    dests = [str(a.get_object().get("/Dest")) for a in page.get("/Annots", [])]
    assert sorted(set(dests)) == ["memo", "signing"]
    assert dests.count("signing") == 2  # the mark and the label


def test_month_ticks_are_standalone_month_names() -> None:
    """Axis ticks name a month on its own: Russian 'май', not the genitive 'мая' of '1 мая'."""
    events = [ev(f"1956-{m:02d}-10", f"event {m}") for m in range(1, 13)] * 2
    months = {t.text for t in layout(events, language="ru").tick_labels if not t.year}
    assert "май" in months and "мая" not in months


def test_the_calendar_s_first_and_last_days_draw() -> None:
    lay = layout([ev("0001-01-01", "first"), ev("9999-12-31", "last"), ev("9999-12", "month"), ev("9999", "year")])
    assert len(lay.marks) == 4
