"""Stage 3, pandoc's JSON AST to HTML: our own small renderer, not pandoc's HTML writer.

The renderer prints only the HTML it knows: raw HTML prints as text, a heading as a
paragraph, a span carries only `lang`. What content may do (links, images, notes, citation
keys, spans) is decided by `content_policy.py`, which the renderer asks at each such node and
which reports every refusal where it is written. What citeproc prints, citations and
bibliography alike, keeps only what citeproc itself makes (CSL_CLASSES, links to entries and
web addresses), whatever wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html import escape
from typing import Any, cast

from .content_policy import CSL_CLASSES, NOTE_MAX, RENDER_DEPTH, Policy, TooDeep
from .errors import Location
from .fields import Formatted
from .model import LANG_RE

NOTE_CHUNK = 450  # characters between the places a too-tall footnote may be split
# Scripts typeset without italics (Japanese, Chinese, Korean): the Noto CJK faces have no
# italic, so an italic run of them is a synthesized oblique face that WeasyPrint embeds a
# second time (90 KB for three titles) and draws upright anyway. Such runs inside emphasis
# are marked `<span class="cjk">`, which the theme sets upright, as CJK typesetting does.
_CJK = re.compile("[\u2e80-\u2fdf\u3000-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]+")


def anchor(key: str) -> str:
    """The HTML id of a bibliography entry: `ref-` and the key with every character but letters,
    digits and `-` written `_hex_`. WeasyPrint reads `#ref-a%20b` as `ref-a b`, so a key
    such as `a%20b` could not be linked as pandoc writes it; this form reads back unchanged."""
    return "ref-" + re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m[0]):x}_", key)


def _in_parens(items: list[dict[str, Any]], n: int) -> bool:
    """Whether the inline at `n` is the last thing inside parentheses: `(… [x](#id))`."""
    after = items[n + 1] if n + 1 < len(items) else None
    if not (after and after["t"] == "Str" and after["c"].startswith(")")):
        return False
    depth = 0
    for item in reversed(items[:n]):
        if item["t"] != "Str":
            continue
        for ch in reversed(item["c"]):
            if ch == ")":
                depth += 1
            elif ch == "(":
                if depth == 0:
                    return True
                depth -= 1
    return False


def first_inlines(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for b in blocks:
        if b["t"] in ("Para", "Plain"):
            inlines: list[dict[str, Any]] = b["c"]
            return inlines
    return []


def _address(target: str, text: str) -> str:
    """`data-address` of a web link whose text is not its address, for a theme to print the
    address where a reader cannot follow the link (the print profile); none where the text
    already is the address (`<https://…>`, a bibliography URL), however it is spelt."""
    address = target[len("mailto:") :] if target.lower().startswith("mailto:") else target

    def bare(s: str) -> str:
        return re.sub(r"(?i)^(https?://|mailto:)?(www\.)?", "", s.strip()).rstrip("/").lower()

    return "" if bare(address) == bare(text) else f' data-address="{escape(address)}"'


def _attr_html(ident: str = "", classes: Iterable[str] = (), lang: str | None = None) -> str:
    parts = []
    if ident:
        parts.append(f' id="{escape(ident)}"')
    cls = " ".join(classes)
    if cls:
        parts.append(f' class="{escape(cls)}"')
    if lang:
        parts.append(f' lang="{escape(lang)}"')
    return "".join(parts)


class Renderer:
    """Pandoc AST → HTML for one field, or for what citeproc printed (the bibliography); what
    content may do is `policy`'s to decide. Mode flags say where in the AST the walk is and are
    set for a subtree by `mode()`."""

    def __init__(self, policy: Policy, out: Formatted):
        self.policy = policy
        self.f = policy.f
        self.out = out
        self.in_note = False
        self.in_cite = False  # checking the author's prefix or suffix of a citation
        # Rendering what citeproc printed (a citation, the bibliography): the author's parts of
        # it were checked where written (`cite`); here only what citeproc makes is kept.
        self.citeproc = self.f is None
        self.cite_at: Location | None = None  # where the citation being rendered is written
        self.depth = 0
        self.emphasis = 0  # inside how many Emph

    @contextmanager
    def mode(self, **flags: Any) -> Iterator[None]:
        """Mode flags (`citeproc`, `cite_at`, `in_cite`, `in_note`, `emphasis`) set for a subtree."""
        saved = {name: getattr(self, name) for name in flags}
        for name, value in flags.items():
            setattr(self, name, value)
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(self, name, value)

    # -- blocks ------------------------------------------------------------
    def blocks(self, blocks: list[dict[str, Any]]) -> str:
        return "".join(self.block(b) for b in blocks)

    def inline_field(self, blocks: list[dict[str, Any]]) -> str:
        self.policy.one_paragraph(blocks)
        return self.inlines(first_inlines(blocks))

    def block(self, b: dict[str, Any]) -> str:
        with self.deeper():
            return self._block(b)

    @contextmanager
    def deeper(self) -> Iterator[None]:
        """One level down the AST; past RENDER_DEPTH the field is refused, never a RecursionError."""
        self.depth += 1
        try:
            if self.depth > RENDER_DEPTH:
                raise TooDeep
            yield
        finally:
            self.depth -= 1

    def _block(self, b: dict[str, Any]) -> str:
        t, c = b["t"], cast(Any, b.get("c"))
        if t == "Para":
            return f"<p>{self.inlines(c)}</p>\n"
        if t == "Plain":
            return self.inlines(c)
        if t == "Header":
            text = self.plain_text(c[2])
            self.policy.heading(text)
            return f"<p>{self.inlines(c[2])}</p>\n"
        if t == "BlockQuote":
            return f"<blockquote>{self.blocks(c)}</blockquote>\n"
        if t == "BulletList":
            return "<ul>" + "".join(f"<li>{self.blocks(item)}</li>" for item in c) + "</ul>\n"
        if t == "OrderedList":
            start = c[0][0]
            items = "".join(f"<li>{self.blocks(item)}</li>" for item in c[1])
            return f'<ol start="{int(start)}">{items}</ol>\n'
        if t == "DefinitionList":
            parts = []
            for term, defs in c:
                parts.append(f"<dt>{self.inlines(term)}</dt>")
                parts += [f"<dd>{self.blocks(d)}</dd>" for d in defs]
            return "<dl>" + "".join(parts) + "</dl>\n"
        if t == "CodeBlock":
            return f"<pre><code>{escape(c[1])}</code></pre>\n"
        if t in ("RawBlock",):
            return f"<p>{escape(c[1])}</p>\n"
        if t == "LineBlock":
            return '<p class="line-block">' + "<br>".join(self.inlines(line) for line in c) + "</p>\n"
        if t == "HorizontalRule":
            return "<hr>\n"
        if t == "Table":
            return self.table(c)
        if t == "Figure":
            return f"<figure>{self.blocks(c[2])}<figcaption>{self.blocks(c[1][1])}</figcaption></figure>\n"
        if t == "Div":
            classes = [x for x in c[0][1] if x in CSL_CLASSES] if self.citeproc else []
            return f"<div{_attr_html('', classes)}>{self.blocks(c[1])}</div>" if classes else self.blocks(c[1])
        return ""

    def table(self, c: list[Any]) -> str:
        _attr, _caption, specs, head, bodies, foot = c
        aligns = [s[0]["t"] for s in specs]

        def row(r: list[Any], tag: str) -> str:
            cells = []
            for i, cell in enumerate(r[1]):
                align = cell[1]["t"] if cell[1]["t"] != "AlignDefault" else (aligns[i] if i < len(aligns) else "AlignDefault")
                style = {"AlignRight": ' class="right"', "AlignCenter": ' class="center"'}.get(align, "")
                span = f' colspan="{int(cell[3])}"' if cell[3] > 1 else ""
                scope = ' scope="col"' if tag == "th" else ""  # a Markdown table's headers are its head rows
                cells.append(f"<{tag}{scope}{style}{span}>{self.blocks(cell[4])}</{tag}>")
            return "<tr>" + "".join(cells) + "</tr>"

        parts = ["<table>"]
        if head[1]:
            parts.append("<thead>" + "".join(row(r, "th") for r in head[1]) + "</thead>")
        parts.append("<tbody>")
        for body in bodies:
            parts += [row(r, "td") for r in body[2] + body[3]]
        parts.append("</tbody>")
        if foot[1]:
            parts.append("<tfoot>" + "".join(row(r, "td") for r in foot[1]) + "</tfoot>")
        parts.append("</table>\n")
        return "".join(parts)

    # -- inlines -----------------------------------------------------------
    def inlines(self, items: list[dict[str, Any]]) -> str:
        out = []
        for n, item in enumerate(items):
            html = self.inline(item)
            if html.startswith('<a class="xref"') and _in_parens(items, n):
                # "(see [the chronology](#x))" prints "(see the chronology, p. 10)", not "(… (p. 10))".
                html = html.replace('<a class="xref"', '<a class="xref in-parens"', 1)
            out.append(html)
        return "".join(out)

    def plain_text(self, items: list[dict[str, Any]]) -> str:
        out = []
        for i in items:
            t, c = i["t"], cast(Any, i.get("c"))
            if t == "Str":
                out.append(c)
            elif t in ("Space", "SoftBreak"):
                out.append(" ")
            elif t in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps", "Underline"):
                out.append(self.plain_text(c))
            elif t in ("Span", "Link", "Quoted"):
                out.append(self.plain_text(c[1]))
        return "".join(out)

    def inline(self, i: dict[str, Any]) -> str:
        with self.deeper():
            return self._inline(i)

    def _inline(self, i: dict[str, Any]) -> str:
        t, c = i["t"], cast(Any, i.get("c"))
        simple = {
            "Strong": "strong",
            "Strikeout": "s",
            "Superscript": "sup",
            "Subscript": "sub",
            "Underline": "u",
        }
        if t == "Str":
            if self.emphasis:
                return _CJK.sub(lambda m: f'<span class="cjk">{m.group(0)}</span>', escape(c, quote=False))
            return escape(c, quote=False)
        if t in ("Space", "SoftBreak"):
            return " "
        if t == "Emph":
            with self.mode(emphasis=self.emphasis + 1):
                return f"<em>{self.inlines(c)}</em>"
        if t == "LineBreak":
            return "<br>"
        if t in simple:
            return f"<{simple[t]}>{self.inlines(c)}</{simple[t]}>"
        if t == "SmallCaps":
            return f'<span class="smallcaps">{self.inlines(c)}</span>'
        if t == "Quoted":
            q = ("“", "”") if c[0]["t"] == "DoubleQuote" else ("‘", "’")
            return f"{q[0]}{self.inlines(c[1])}{q[1]}"
        if t == "Code":
            return f"<code>{escape(c[1])}</code>"
        if t == "Math":
            return escape(c[1])
        if t == "RawInline":
            return escape(c[1])
        if t == "Cite":
            return self.cite(c)
        if t == "Note":
            return self.note(c)
        if t == "Link":
            return self.link(c)
        if t == "Image":
            return self.image(c)
        if t == "Span":
            return self.span(c)
        return ""

    def note(self, blocks: list[dict[str, Any]]) -> str:
        """A footnote: a span floated to the foot of the page by the theme.

        A note's own text carries break points between sentences (`<wbr class="fn-split">`):
        if the note turns out too tall for its page, typesetting splits it there into
        continuation notes that WeasyPrint carries over to the next page."""
        if self.in_cite:
            self.policy.note_in_cite()
            return ""
        if self.in_note:
            if not self.citeproc:
                self.policy.note_in_note()
            return self.note_body(blocks, None)
        if self.citeproc:
            if self.cite_at is None:  # no place to name: a note citeproc made outside a citation
                return self.note_body(blocks, None)
            where = self.cite_at  # a notes style: the citation, prefix and suffix, is the note
        else:
            where = self.policy.note_written(all(b["t"] in ("Para", "Plain") and not self.plain_text(b["c"]).strip() for b in blocks))
        self.out.notes += 1
        ident = f"n{self.out.notes}"
        size = sum(len(self.plain_text(b["c"])) if b["t"] in ("Para", "Plain") else NOTE_MAX for b in blocks)
        self.policy.note_size(where, size)
        with self.mode(in_note=True):
            body = self.note_body(blocks, f'<wbr class="fn-split" data-note="{ident}">')
        return f'<span class="footnote" data-note="{ident}" data-src="{escape(str(where))}">{body}</span>'

    def note_body(self, blocks: list[dict[str, Any]], split: str | None) -> str:
        """A note's blocks, paragraphs joined by line breaks (a note is set inline at the foot of
        the page) and, given a `split` marker, with it between its chunks of sentences."""
        parts = []
        for b in blocks:
            if b["t"] not in ("Para", "Plain"):
                parts.append(self.block(b))
            elif split is None:
                parts.append(self.inlines(b["c"]))
            else:
                parts.append(split.join(self.note_chunks(b["c"])))
        return "<br>".join(parts)

    def note_chunks(self, inlines: list[dict[str, Any]]) -> list[str]:
        """The inlines of a note paragraph as HTML chunks of about NOTE_CHUNK characters,
        cut only after a sentence (a Str ending in . ? or ! before a space)."""
        chunks: list[str] = []
        start, size = 0, 0
        for i, item in enumerate(inlines):
            size += len(self.plain_text([item]))
            sentence_end = item["t"] == "Str" and item["c"].endswith((".", "?", "!", ".”", "?”", "!”"))
            next_is_space = i + 1 < len(inlines) and inlines[i + 1]["t"] in ("Space", "SoftBreak")
            if size >= NOTE_CHUNK and sentence_end and next_is_space:
                chunks.append(self.inlines(inlines[start : i + 1]))
                start, size = i + 2, 0
        chunks.append(self.inlines(inlines[start:]))
        return [c for c in chunks if c]

    def cite(self, c: list[Any]) -> str:
        citations, rendered = c
        keys = [x["citationId"] for x in citations]
        if self.citeproc:  # no citation inside citeproc's output; print what it printed
            return self.inlines(rendered)
        assert self.f is not None
        self.out.citing.add(self.f.owner)
        at: Location | None = None
        for x in citations:
            # The author's words around the key are content like any other, checked where
            # written: citeproc moves them into its output, which is rendered as citeproc's.
            self.author_part(x["citationPrefix"])
            key = x["citationId"]
            loc, known = self.policy.citation_key(key)
            at = at or loc
            if known:
                self.out.cited.add(key)
            self.author_part(x["citationSuffix"])
        self.out.cite_count += 1
        ident = f"cite-{self.out.cite_count}"
        for key in keys:
            self.out.citations.setdefault(anchor(key).removeprefix("ref-"), []).append(ident)
        with self.mode(citeproc=True, cite_at=at):
            if self.f.mode == "cite" and [x["t"] for x in rendered] == ["Note"]:
                # A `sources` line in a notes style: the note's text printed in the line itself
                # ("Source: Joint Declaration …, art. 9."), not a lone note number after a label.
                inner = self.note_body(rendered[0]["c"], None)
            else:
                inner = self.inlines(rendered)
        return f'<span class="citation"{_attr_html(ident)} data-cites="{escape(" ".join(keys))}">{inner}</span>'

    def author_part(self, inlines: list[dict[str, Any]]) -> None:
        """Check a citation's prefix or suffix as the author's content (the HTML is citeproc's)."""
        with self.mode(in_cite=True):
            self.inlines(inlines)

    def link(self, c: list[Any]) -> str:
        _attr, content, (target, _title) = c
        text = self.inlines(content)
        kind = self.policy.link(target, self.citeproc)
        if kind == "entry":
            return f'<a class="cite-link" href="#{escape(anchor(target[1:].removeprefix("ref-")))}">{text}</a>'
        if kind == "xref":
            return f'<a class="xref" href="#{escape(target[1:])}">{text}</a>'
        if kind == "url":
            return f'<a class="url" href="{escape(target)}"{_address(target, self.plain_text(content))}>{text}</a>'
        return text

    def image(self, c: list[Any]) -> str:
        _attr, alt, (target, _title) = c
        alt_text = self.plain_text(alt)
        if self.citeproc or not self.policy.image(target, self.in_cite):
            return escape(alt_text)
        return f'<img src="{escape(target)}" alt="{escape(alt_text)}">'

    def span(self, c: list[Any]) -> str:
        (ident, classes, attrs), content = c
        if self.citeproc:  # only what citeproc makes: its classes, and a lang the author's span had
            lang = dict(attrs).get("lang")
            kept = [x for x in classes if x in CSL_CLASSES]
            return f"<span{_attr_html('', kept, lang if lang and LANG_RE.match(lang) else None)}>{self.inlines(content)}</span>"
        lang = self.policy.span(ident, classes, attrs, self.plain_text(content))
        if lang is None:
            return self.inlines(content)
        return f'<span lang="{escape(lang)}">{self.inlines(content)}</span>'
