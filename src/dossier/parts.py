"""Stage 5a (parts): the rendered HTML cut into parts typeset each on its own, and the numbers
that cross parts filled in as text.

A theme marks each part's root element, a child of `<body>`, with `data-part="NAME"` (the
default theme: the cover, which takes the contents with it, and each section); what lies
between two marked elements belongs to the part before. Elements marked `data-part-carry` in
the first part (the running title and marking of the cover) are copied into every later one,
as the first children of its root, so running heads and feet read the same on every page.

Each part is a whole document (the same `<head>` and stylesheet, its own body). CSS cannot
see into another document, so what needs another part's layout is written as text, and
`pager.py` settles it by a fixed point:

- a link `<a href="#ID">` gets `data-page="N"`, the page of ID in the whole briefing, and
  `target-counter(attr(href), page)` in the stylesheet becomes `attr(data-page)` (the contents,
  "see p. N"); a link to an anchor in another part becomes `href="dossier-anchor:ID"`
  (`pdfjoin.EXTERNAL`), which the joiner turns into a link inside the joined file;
- `counter(pages)` ("Page X of Y") becomes the total as a string;
- the part's first page number and the footnotes before it become `counter-reset`s.

Everything here is a pure function of strings and plain data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser

EXTERNAL = "dossier-anchor:"  # pdfjoin.EXTERNAL: a link to an anchor in another part
UNKNOWN = "00"  # the page of an anchor not laid out yet: two digits, as most are
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
_LINK = re.compile(r'<a\b[^>]*?\shref="#([^"]*)"[^>]*>')
_ID = re.compile(r'<[^>!]*?\sid="([^"]*)"')
_NOTE = re.compile(r'<span class="footnote" data-note="')
_TARGET_PAGE = re.compile(r"target-counter\(\s*attr\(\s*href\s*\)\s*,\s*page\s*\)")
_PAGES = re.compile(r"\bcounter\(\s*pages\s*\)")


@dataclass(frozen=True)
class Part:
    """One part of the body: its name, its HTML, where its root's opening tag ends in it (where
    carried elements go), whether it opens on a right-hand page, its ids and its footnotes."""

    name: str
    body: str
    root_end: int
    opens_right: bool
    ids: frozenset[str]
    notes: int


@dataclass(frozen=True)
class Split:
    """The document cut into parts: what comes before the body's content, the parts, what comes
    after, and the carried elements."""

    head: str
    parts: tuple[Part, ...]
    tail: str
    carry: str = ""

    def owner(self) -> dict[str, int]:
        """The part each id is in."""
        return {ident: i for i, p in enumerate(self.parts) for ident in p.ids}


@dataclass(frozen=True)
class Numbers:
    """What crosses parts: each anchor's page in the whole briefing, each part's first page (after
    the page left blank before it, if any) and whether one is, and the total."""

    pages: Mapping[str, int] = field(default_factory=dict)
    starts: tuple[int, ...] = ()
    blanks: tuple[bool, ...] = ()
    total: int = 0


class _Scanner(HTMLParser):
    """Offsets of the body, of its marked children and of the carried elements."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.lines = [0]
        for match in re.finditer("\n", html):
            self.lines.append(match.end())
        self.stack: list[str] = []
        self.body_start = self.body_end = -1
        self.marks: list[tuple[int, int, str, bool]] = []  # (start, end of opening tag, name, opens right)
        self.carry: list[tuple[int, int]] = []  # (depth, start) while open, then (start, end)
        self.open_carry: list[tuple[int, int]] = []

    def here(self) -> int:
        line, col = self.getpos()
        return self.lines[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self.here()
        text = self.get_starttag_text() or ""
        names = dict(attrs)
        if tag == "body" and self.body_start < 0:
            self.body_start = start + len(text)
        elif self.body_start >= 0 and self.body_end < 0:
            if len(self.stack) == self.depth_of_body() and "data-part" in names:
                self.marks.append((start, start + len(text), names["data-part"] or "", names.get("data-part-opens") == "right"))
            if "data-part-carry" in names and tag not in _VOID:
                self.open_carry.append((len(self.stack), start))
        if tag not in _VOID:
            self.stack.append(tag)

    def depth_of_body(self) -> int:
        return self.stack.index("body") + 1 if "body" in self.stack else 0

    def handle_endtag(self, tag: str) -> None:
        start = self.here()
        if tag == "body" and self.body_end < 0:
            self.body_end = start
        if tag in self.stack:
            while self.stack:
                popped = self.stack.pop()
                while self.open_carry and self.open_carry[-1][0] >= len(self.stack):
                    _, begin = self.open_carry.pop()
                    self.carry.append((begin, self.html.index(">", start) + 1))
                if popped == tag:
                    break


def split(html: str) -> Split | None:
    """The document's parts, or None if it marks fewer than two (it is typeset whole)."""
    scan = _Scanner(html)
    scan.feed(html)
    scan.close()
    if scan.body_start < 0 or scan.body_end < 0 or len(scan.marks) < 2:
        return None
    bounds = [scan.body_start] + [m[0] for m in scan.marks[1:]] + [scan.body_end]
    parts = []
    for i, (_start, tag_end, name, right) in enumerate(scan.marks):
        body = html[bounds[i] : bounds[i + 1]]
        parts.append(Part(name, body, tag_end - bounds[i], right, frozenset(_ID.findall(body)), len(_NOTE.findall(body))))
    carry = "".join(html[a:b] for a, b in sorted(scan.carry) if a < bounds[1])
    return Split(html[: scan.body_start], tuple(parts), html[scan.body_end :], carry)


def guess(s: Split) -> Numbers:
    """The numbers before any layout: every part from page 1, no page known."""
    n = len(s.parts)
    return Numbers({}, (1,) * n, (False,) * n, 0)


def fill(s: Split, index: int, numbers: Numbers, css: str) -> tuple[str, str]:
    """Part `index` as a document of its own, and its stylesheet, with the numbers written in."""
    part = s.parts[index]
    owner = s.owner()

    def link(match: re.Match[str]) -> str:
        tag, ident = match.group(0), match.group(1)
        if ident not in owner:
            return tag  # a link to nothing, as in the whole document
        page = numbers.pages.get(ident)
        number = str(page) if page is not None else UNKNOWN
        if owner[ident] != index:
            tag = tag.replace(f'href="#{ident}"', f'href="{EXTERNAL}{ident}"', 1)
        return f'{tag[:-1]} data-page="{number}">'

    body = part.body
    if index > 0 and s.carry:
        body = body[: part.root_end] + s.carry + body[part.root_end :]
    html = s.head + _LINK.sub(link, body) + s.tail
    total = str(numbers.total) if numbers.total else UNKNOWN
    css = _PAGES.sub(f'"{total}"', _TARGET_PAGE.sub("attr(data-page)", css))
    start = numbers.starts[index] if index < len(numbers.starts) else 1
    notes = sum(p.notes for p in s.parts[:index])
    extra = []
    if start != 1:
        extra.append(f"@page :first {{ counter-reset: page {start}; }}")
    if notes:
        extra.append(f"html {{ counter-reset: footnote {notes}; }}")
    if extra:
        css += "\n/* dossier: this part's place in the briefing (parts.py) */\n" + "\n".join(extra) + "\n"
    return html, css


def settle(s: Split, counts: list[int], anchors: list[Mapping[str, int]]) -> Numbers:
    """The numbers a layout gives: parts follow each other, one that opens on a right-hand page
    after a blank page where the one before ends on a right-hand (odd) page."""
    starts: list[int] = []
    blanks: list[bool] = []
    pages: dict[str, int] = {}
    page = 1
    for part, count, where in zip(s.parts, counts, anchors, strict=True):
        blank = part.opens_right and page % 2 == 0
        page += blank
        starts.append(page)
        blanks.append(blank)
        for ident, local in where.items():
            pages.setdefault(ident, page + local - 1)
        page += count
    return Numbers(pages, tuple(starts), tuple(blanks), page - 1)
