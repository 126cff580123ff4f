"""Stage 3: rich text and citations to HTML fragments.

Every rich-text field of the dossier, and a citation cluster for each
`sources` list and excerpt source, is sent in print order to one pandoc
process (`pandoc_bridge.lua`): pandoc's Markdown reader parses the fields
(pandoc citation syntax, inline footnotes, `lang` spans) and its citeproc
formats every citation and the bibliography with the dossier's CSL style.

Pandoc's JSON AST is then turned into HTML here, by our own small renderer:
what content may do is decided in this module, not by pandoc's HTML writer.
Raw HTML prints as text, headings are refused, links may only go to ids of
the dossier or to http(s)/mailto, images only to files in `assets/`, spans
only carry `lang`. Each refusal is a located error.

A citation's prefix and suffix are the author's words: they are checked here with the
same rules, where written (a footnote inside a citation is an error). What citeproc
prints, citations and bibliography alike, keeps only what citeproc itself makes
(CSL_CLASSES, links to entries and web addresses), whatever wrote it. Markup left open
or nested too deep is refused before pandoc runs (`markup.py`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

from markupsafe import Markup

from . import images, sandbox
from .cite import Entry
from .errors import DossierError, Location, Report, display
from .fonts import Coverage
from .markup import check_field
from .model import KEY_RE, LANG_RE, SECTION_FILES, SECTIONS, Dossier, RichText, Text

BRIDGE = Path(__file__).parent / "pandoc_bridge.lua"
_BASE = (
    "markdown-raw_html-raw_tex-raw_attribute-native_divs-native_spans-fenced_divs-link_attributes"
    "-yaml_metadata_block-pandoc_title_block-mmd_title_block-tex_math_dollars-tex_math_single_backslash"
    "-auto_identifiers-implicit_header_references-header_attributes-fenced_code_attributes"
    "-inline_code_attributes-latex_macros-implicit_figures-example_lists-footnotes+inline_notes+smart"
)
FORMATS = {"block": _BASE, "inline": _BASE, "quote": _BASE + "-citations", "cite": _BASE}
NOTE_MAX = 20000  # characters of one footnote: more can never fit (see typeset._overflowing_notes)
NOTE_CHUNK = 450  # characters between the places a too-tall footnote may be split
_REFDEF = re.compile(r"^( {0,3})\[(?=[^\]\n]+\]:)", re.MULTILINE)
# What pandoc's citeproc itself puts on the spans and divs of its output (citeproc's
# Citeproc/Pandoc.hs, pandoc's Citeproc.hs): in citations and the bibliography nothing else
# is kept, whatever wrote it (a citation's prefix, a title in the bibliography), so no
# theme class (`marking-running`, `doctitle-running`) can be reached through citeproc.
# Scripts typeset without italics (Japanese, Chinese, Korean): the Noto CJK faces have no
# italic, so an italic run of them is a synthesized oblique face that WeasyPrint embeds a
# second time (90 KB for three titles) and draws upright anyway. Such runs inside emphasis
# are marked `<span class="cjk">`, which the theme sets upright, as CJK typesetting does.
_CJK = re.compile("[\u2e80-\u2fdf\u3000-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]+")
CSL_CLASSES = frozenset(
    {
        "csl-block",
        "csl-left-margin",
        "csl-right-inline",
        "csl-indent",
        "csl-quoted",
        "csl-note",
        "csl-entry",
        "nocase",
        "nodecoration",
    }
)
RENDER_DEPTH = 100  # levels of the AST the renderer descends; the bridge refuses deeper fields first
JSON_DEPTH = 150  # levels of a field's JSON AST (2-3 a level of the AST) the bridge lets through
TOO_DEEP = "nested too deeply, expected at most a few levels of lists, quotes, emphasis and notes"


@dataclass
class Field:
    """One piece of Markdown sent to pandoc: a rich-text field or a generated citation cluster."""

    key: str  # the field's id in the one pandoc document (`f3`)
    text: str
    mode: str
    owner: str  # the stable key its HTML goes under: a RichText's key, or for a `sources` cluster its item's key
    origin: Text


@dataclass
class Formatted:
    """The output of this stage: HTML by stable key (see `model.RichText.key`), and the bibliography."""

    html: dict[str, Markup] = field(default_factory=dict)  # a rich-text field's key → its HTML
    sources: dict[str, Markup] = field(default_factory=dict)  # an event's, excerpt's, interpretation's key → its citation
    bibliography: list[tuple[str, Markup]] = field(default_factory=list)
    cited: set[str] = field(default_factory=set)
    citing: set[str] = field(default_factory=set)  # keys of the fields that cite
    citations: dict[str, list[str]] = field(default_factory=dict)  # key → ids of the citations of it, in order
    cite_count: int = 0
    notes: int = 0


def pandoc_path() -> str:
    """The pandoc binary shipped by the pypandoc-binary wheel (pandoc 3, with citeproc)."""
    override = os.environ.get("DOSSIER_PANDOC")
    if override:
        return override
    import pypandoc  # noqa: PLC0415 - imported late: only its path is needed

    # The wheel's own binary, found without running it: pypandoc's lookup runs `pandoc
    # --version`, which would fail (and print a traceback) under a low memory ceiling.
    bundled = Path(pypandoc.__file__).parent / "files" / "pandoc"
    return str(bundled) if bundled.is_file() else str(pypandoc.get_pandoc_path())


def fields_in_order(d: Dossier) -> list[Field]:
    """The Markdown of every field and citation cluster, in the order the PDF prints them."""
    out: list[Field] = []

    def add(rt: RichText | None) -> None:
        if rt is not None:
            text = _REFDEF.sub(r"\1\\[", rt.value)
            out.append(Field(f"f{len(out)}", text, rt.mode, rt.key, rt))

    def cluster(keys: list[Text], owner: str, locator: Text | None = None) -> None:
        if keys:
            cites = "; ".join(f"@{k.value}" for k in keys)
            if locator is not None:
                # A locator is plain text: every Markdown punctuation escaped, so it prints as written.
                cites += ", " + _MD_PUNCT.sub(r"\\\g<0>", " ".join(locator.value.split()))
            out.append(Field(f"f{len(out)}", f"[{cites}]", "cite", owner, keys[0]))

    add(d.disclaimer)
    for fact in d.key_facts:
        add(fact.value)
    for section in d.sections:
        if section == "summary":
            add(d.summary)
        elif section == "names":
            for name in d.names:
                add(name.note)
        elif section == "chronology":
            for e in d.chronology:
                add(e.text)
                cluster(e.sources, e.key)
        elif section == "excerpts":
            for x in d.excerpts:
                cluster([x.source], x.key, x.locator)
                add(x.text)
                for o in x.originals:
                    add(o.text)
                add(x.note)
        elif section == "interpretations":
            for i in d.interpretations:
                for q in d.questions:
                    add(i.stances.get(q.id))
            for i in d.interpretations:
                add(i.text)
                cluster(i.sources, i.key)
    return out


_MD_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")


def anchor(key: str) -> str:
    """The HTML id of a bibliography entry: `ref-` and the key with every character but letters,
    digits and `-` written `_hex_`. WeasyPrint reads `#ref-a%20b` as `ref-a b`, so a key
    such as `a%20b` could not be linked as pandoc writes it; this form reads back unchanged."""
    return "ref-" + re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m[0]):x}_", key)


def run_pandoc(fields: list[Field], entries: list[Entry], csl: Path, lang: str) -> dict[str, Any]:
    """One pandoc call for the whole dossier; returns pandoc's JSON AST."""
    payload = json.dumps(
        {
            "formats": FORMATS,
            "fields": [{"key": f.key, "text": f.text, "mode": f.mode} for f in fields],
            "references": json.dumps([e.csl for e in entries if e.bibtex is None], ensure_ascii=False),
            "bibtex": list(dict.fromkeys(e.bibtex for e in entries if e.bibtex is not None)),
            "bibtex_lang": lang,
            "csl": str(csl),
            "lang": _csl_lang(lang),
            "punctuation_in_quote": _csl_lang(lang) == "en-US",
            "nonce": secrets.token_hex(8),
            "max_depth": JSON_DEPTH,
        },
        ensure_ascii=False,
    ).encode("utf-8", "replace")  # a lone surrogate (YAML "\udfff") is reported by the glyph check
    try:
        # Under the build's ceilings: nested or cyclic input can make pandoc huge or slow.
        proc = sandbox.run_command(
            [pandoc_path(), "lua", str(BRIDGE)],
            payload,
            "formatting rich text and citations",
            env={**os.environ, "LANG": "C.UTF-8"},
        )
    except FileNotFoundError:
        raise DossierError.at(Location(str(csl)), "pandoc not found, expected the pypandoc-binary package (run make)") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        lines = lines[: next((i for i, x in enumerate(lines) if x.startswith("stack traceback")), len(lines))]
        message = " ".join(" ".join(lines).split())[:300]  # one line: no Lua traceback, no wall of text
        raise DossierError.at(Location(display(csl), 1, 1), f"citation processing failed: {message}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _csl_lang(lang: str) -> str:
    return "en-US" if lang == "en" else lang


ID_FILES = {"chronology.yaml", "excerpts.yaml", "interpretations.yaml"}  # files that define ids (dossier.yaml aside)


def bibliography_unreadable(report: Report) -> bool:
    """Whether a bibliography file could not be read (every other content file defines ids)."""
    return bool(report.unreadable - ID_FILES - {"dossier.yaml"})


def format_dossier(d: Dossier, entries: list[Entry], csl: Path, report: Report, cover: Coverage | None = None) -> Formatted:
    """Parse, cite and render every field; report every content error found."""
    fields = fields_in_order(d)
    dropped = [f for f in fields if f.mode != "cite" and not check_field(f.origin, report)]
    for f in dropped:  # unclosed or too deeply nested: not sent to pandoc (which could take minutes)
        f.text = ""
    # None: a file that would define them could not be read, so they are not checked.
    known = None if bibliography_unreadable(report) else {e.id for e in entries}
    ids = None if report.unreadable & ID_FILES else set(d.ids) | set(SECTIONS)
    printed = _printed_ids(d)
    ast = run_pandoc(fields, entries, csl, d.language)
    divs = {b["c"][0][0]: b["c"][1] for b in ast["blocks"] if b["t"] == "Div"}
    too_deep = {b["c"][0][0] for b in ast["blocks"] if b["t"] == "Div" and "too-deep" in b["c"][0][1]}
    out = Formatted()
    out.citing.update(f.owner for f in dropped)  # no second error ("cites no source") on top
    for f in fields:
        r = _Renderer(f, report, d.root, ids, known, out, printed)
        r.cover = cover  # an SVG's text must stay within the fonts, as content does
        blocks = divs.get(f.key, [])
        if f.mode == "quote" and known:
            _no_citations_in_quotes(f, r, known)
        try:
            if f.key in too_deep:
                raise TooDeep
            if f.mode == "inline":
                html = r.inline_field(blocks)
            elif f.mode == "cite":
                html = r.inlines(_first_inlines(blocks))
            else:
                html = r.blocks(blocks)
        except TooDeep:
            report.error(f.origin.loc, TOO_DEEP)
            html = ""
        (out.sources if f.mode == "cite" else out.html)[f.owner] = Markup(html)
    bib = _Renderer(None, report, d.root, ids, known, out, printed)
    for block in divs.get("refs", []):
        if block["t"] == "Div":
            key = block["c"][0][0].removeprefix("ref-")
            out.bibliography.append((anchor(key).removeprefix("ref-"), Markup(bib.blocks(block["c"][1]))))
    return out


# `@key` as pandoc would read it, were citations on: not after a letter, digit or `\`.
_QUOTED_KEY = re.compile(r"(?<![\w\\])@(\w[\w:.#$%&+?<>~/-]*)")


def _no_citations_in_quotes(f: Field, r: _Renderer, known: set[str]) -> None:
    """Excerpt text is quoted wording and cites nothing: it prints `@x` as it stands.

    A handle such as `@MID_RF` in a quoted post stays literal text; `[@key]` naming
    an entry of the bibliography is a citation in the wrong place, an error.
    """
    for m in _QUOTED_KEY.finditer(f.text):
        key = m.group(1).rstrip(":.#$%&+?<>~/-")
        if key in known:
            r.error(
                "@" + key,
                f"citation '@{key}' in an excerpt's text, which is the document's own wording and cites nothing;"
                " expected the source in 'source' and 'locator' (write \\@ for a literal @)",
            )


def _printed_ids(d: Dossier) -> dict[str, str]:
    """Each id of a section that `sections` leaves out → that section: a link there has no target."""
    out: dict[str, str] = {s: s for s in SECTIONS if s not in d.sections}
    for ident, loc in d.ids.items():
        name = Path(loc.file).name
        section = next((s for s, f in SECTION_FILES.items() if f == name), "interpretations" if name == "dossier.yaml" else None)
        if section and section not in d.sections:
            out[ident] = section
    return out


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


def _first_inlines(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


class _Renderer:
    """Pandoc AST → HTML for one field, checking what content may do."""

    cover: Coverage | None = None

    def __init__(
        self,
        f: Field | None,
        report: Report,
        root: Path,
        ids: set[str] | None,
        known: set[str] | None,
        out: Formatted,
        left_out: dict[str, str] | None = None,
    ):
        self.left_out = left_out or {}
        self.in_note = False
        self.in_cite = False  # checking the author's prefix or suffix of a citation
        self.f = f
        self.report = report
        self.root = root
        self.ids = ids
        self.known = known
        self.out = out
        # Rendering what citeproc printed (a citation, the bibliography): the author's parts of
        # it were checked where written (`cite`); here only what citeproc makes is kept.
        self.citeproc = f is None
        self.cite_at: Location | None = None  # where the citation being rendered is written
        self.depth = 0
        self.emphasis = 0  # inside how many Emph
        self.seen: dict[str, int] = {}

    # -- locations ---------------------------------------------------------
    def where(self, needle: str) -> Location:
        """Where `needle` is written in the YAML source of this field (its n-th time)."""
        assert self.f is not None
        n = self.seen.get(needle, 0)
        self.seen[needle] = n + 1
        return self.f.origin.locate(needle, n)

    def error(self, needle: str, message: str) -> None:
        self.report.error(self.where(needle), message)

    def error_at(self, needles: list[str | tuple[str, int]], message: str) -> None:
        """Report at the first of `needles` written in the field: the most specific one first
        (`](assets/x.png` before `assets/x.png`, which the prose may also hold). A needle may be
        (text, skip): the place is `skip` characters into it (the target inside `](target`)."""
        assert self.f is not None
        for item in needles:
            needle, skip = item if isinstance(item, tuple) else (item, 0)
            if needle and self.f.origin.locate(needle, self.seen.get(needle, 0)) != self.f.origin.loc:
                loc = self.where(needle)
                self.report.error(Location(loc.file, loc.line, loc.col + skip), message)
                return
        last = needles[-1]
        self.error(last[0] if isinstance(last, tuple) else last, message)

    # -- blocks ------------------------------------------------------------
    def blocks(self, blocks: list[dict[str, Any]]) -> str:
        return "".join(self.block(b) for b in blocks)

    def inline_field(self, blocks: list[dict[str, Any]]) -> str:
        if len(blocks) > 1 or (blocks and blocks[0]["t"] not in ("Para", "Plain")):
            assert self.f is not None
            self.report.error(self.f.origin.loc, "expected one line of inline text, got several paragraphs or a block")
        return self.inlines(_first_inlines(blocks))

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
            self.error("#" if not text else text, f"heading '{text}' is not allowed in rich text, expected paragraphs (the theme sets the headings)")
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
            self.emphasis += 1
            try:
                return f"<em>{self.inlines(c)}</em>"
            finally:
                self.emphasis -= 1
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
            self.error("^[", "a footnote inside a citation's brackets, expected it after them: [@key, p. 3]^[note]")
            return ""
        if self.in_note:
            if not self.citeproc:
                self.error("^[", "a footnote inside a footnote, expected its text in the outer note")
            return self.note_body(blocks, None)
        if self.citeproc:
            if self.cite_at is None:  # no place to name: a note citeproc made outside a citation
                return self.note_body(blocks, None)
            where = self.cite_at  # a notes style: the citation, prefix and suffix, is the note
        else:
            if all(b["t"] in ("Para", "Plain") and not self.plain_text(b["c"]).strip() for b in blocks):
                self.error("^[", "an empty footnote, expected its text between '^[' and ']'")
            where = self.where("^[")  # before the body: a note inside it is the next "^["
        self.out.notes += 1
        ident = f"n{self.out.notes}"
        size = sum(len(self.plain_text(b["c"])) if b["t"] in ("Para", "Plain") else NOTE_MAX for b in blocks)
        if size > NOTE_MAX:
            # WeasyPrint carries a split note over one page at most: fail now, not after minutes of layout.
            self.report.error(
                where,
                f"footnote of {size} characters is too long for the foot of the page, expected at most "
                f"{NOTE_MAX} (about two pages of notes); put the text in the body",
            )
        self.in_note = True
        try:
            body = self.note_body(blocks, f'<wbr class="fn-split" data-note="{ident}">')
        finally:
            self.in_note = False
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
            loc = self.where("@" + key)
            at = at or loc
            if self.known is not None and key not in self.known:
                if self.f.mode != "cite":  # a `sources` key is reported at the list item, by check_keys()
                    self.report.error(loc, f"citation key '{key}' is not in the bibliography, expected one of its ids")
            else:
                self.out.cited.add(key)
            self.author_part(x["citationSuffix"])
        self.out.cite_count += 1
        ident = f"cite-{self.out.cite_count}"
        for key in keys:
            self.out.citations.setdefault(anchor(key).removeprefix("ref-"), []).append(ident)
        saved = self.citeproc, self.cite_at
        self.citeproc, self.cite_at = True, at
        try:
            if self.f.mode == "cite" and [x["t"] for x in rendered] == ["Note"]:
                # A `sources` line in a notes style: the note's text printed in the line itself
                # ("Source: Joint Declaration …, art. 9."), not a lone note number after a label.
                inner = self.note_body(rendered[0]["c"], None)
            else:
                inner = self.inlines(rendered)
        finally:
            self.citeproc, self.cite_at = saved
        return f'<span class="citation"{_attr_html(ident)} data-cites="{escape(" ".join(keys))}">{inner}</span>'

    def author_part(self, inlines: list[dict[str, Any]]) -> None:
        """Check a citation's prefix or suffix as the author's content (the HTML is citeproc's)."""
        saved, self.in_cite = self.in_cite, True
        try:
            self.inlines(inlines)
        finally:
            self.in_cite = saved

    def link(self, c: list[Any]) -> str:
        _attr, content, (target, _title) = c
        text = self.inlines(content)
        if target.startswith("#"):
            ident = target[1:]
            key = ident.removeprefix("ref-")
            if self.citeproc and ident.startswith("ref-") and (self.known is None or key in self.known):
                return f'<a class="cite-link" href="#{escape(anchor(key))}">{text}</a>'
            if self.ids is not None and ident not in self.ids:
                if not self.citeproc:
                    self.error(
                        target, f"link to '#{ident}', but no id '{ident}' exists, expected the id of an event, excerpt, interpretation or section"
                    )
                return text
            if ident in self.left_out:
                if not self.citeproc:
                    self.error(
                        target,
                        f"link to '#{ident}', but its section '{self.left_out[ident]}' is not in 'sections', "
                        "expected a link to a part the briefing prints",
                    )
                return text
            return f'<a class="xref" href="#{escape(ident)}">{text}</a>'
        scheme = target.split(":", 1)[0].lower() if ":" in target else ""
        if scheme in ("http", "https", "mailto"):
            if not re.fullmatch(r"(?i)(https?://[^\s/?#]+.*|mailto:[^\s@]+@\S+)", target):
                if not self.citeproc:
                    self.error(target, f"link target '{target}' has no address, expected e.g. https://example.org/ or mailto:name@example.org")
                return text
            return f'<a class="url" href="{escape(target)}"{_address(target, self.plain_text(content))}>{text}</a>'
        if not self.citeproc:  # (a link citeproc made of an entry's URL is refused where the entry is checked)
            self.error(target, f"link target '{target}' is not allowed, expected #id, http:, https: or mailto:")
        return text

    def image(self, c: list[Any]) -> str:
        _attr, alt, (target, _title) = c
        alt_text = self.plain_text(alt)
        if self.citeproc:
            return escape(alt_text)
        if self.in_cite or (self.f is not None and self.f.mode == "inline"):
            where = (
                "in a citation, expected them in a block field, outside the citation"
                if self.in_cite
                else ("in inline text, expected them in a block field")
            )
            self.error_at([(f"]({target}", 2), target], f"images are not allowed {where}")
            return escape(alt_text)
        problem = images.problem(self.root, target, self.cover)
        if problem:
            self.error_at([(f"]({target}", 2), (f"](<{unquote(target)}", 3), target], f"image '{unquote(target)}': {problem}")
            return escape(alt_text)
        return f'<img src="{escape(target)}" alt="{escape(alt_text)}">'

    def span(self, c: list[Any]) -> str:
        (ident, classes, attrs), content = c
        if self.citeproc:  # only what citeproc makes: its classes, and a lang the author's span had
            lang = dict(attrs).get("lang")
            kept = [x for x in classes if x in CSL_CLASSES]
            return f"<span{_attr_html('', kept, lang if lang and LANG_RE.match(lang) else None)}>{self.inlines(content)}</span>"
        keys = [k for k, _ in attrs]
        text = self.plain_text(content)
        if ident or classes or keys != ["lang"]:
            self.error_at([(f"[{text}]{{", 1), "]{", text or "{"], "span attributes are not allowed except lang, expected [text]{lang=xx}")
            return self.inlines(content)
        lang = attrs[0][1]
        if not LANG_RE.match(lang):
            self.error_at([f"lang={lang}", f'lang="{lang}"', lang], f"lang '{lang}' is not a BCP 47 tag, expected e.g. ja or ru")
            return self.inlines(content)
        return f'<span lang="{escape(lang)}">{self.inlines(content)}</span>'


class TooDeep(Exception):
    """A field nested deeper than RENDER_DEPTH (the bridge refuses such fields first)."""


def check_keys(keys: Iterable[Text], known: set[str], report: Report) -> None:
    """Report citation keys of `sources` lists that the bibliography lacks."""
    for k in keys:
        if KEY_RE.match(k.value) and k.value not in known:
            report.error(k.loc, f"citation key '{k.value}' is not in the bibliography, expected one of its ids")
