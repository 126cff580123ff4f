"""Stage 3, what content may do: the rules of rich text, each refusal a located error.

The HTML renderer (`html_out.py`) walks pandoc's AST once and, at everything content could
misuse, asks this module: a heading, a footnote (inside a citation, inside a note, empty, too
long), a citation key missing from the bibliography, a link (to an id that does not exist or
whose section is left out, to a scheme other than http(s)/mailto), an image (where it may not
stand, or a file `images.py` refuses), a span with attributes other than `lang`, a citation
in an excerpt's quoted text. Each rule reports where the author wrote the offending text, in
the field's YAML source, and says what the renderer may print instead.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from . import images
from .errors import Location, Report
from .fields import Field
from .fonts import Coverage
from .model import LANG_RE

NOTE_MAX = 20000  # characters of one footnote: more can never fit (see typeset._overflowing_notes)
RENDER_DEPTH = 100  # levels of the AST the renderer descends; the bridge refuses deeper fields first
TOO_DEEP = "nested too deeply, expected at most a few levels of lists, quotes, emphasis and notes"
# What pandoc's citeproc itself puts on the spans and divs of its output (citeproc's
# Citeproc/Pandoc.hs, pandoc's Citeproc.hs): in citations and the bibliography nothing else
# is kept, whatever wrote it (a citation's prefix, a title in the bibliography), so no
# theme class (`marking-running`, `doctitle-running`) can be reached through citeproc.
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
# `@key` as pandoc would read it, were citations on: not after a letter, digit or `\`.
_QUOTED_KEY = re.compile(r"(?<![\w\\])@(\w[\w:.#$%&+?<>~/-]*)")


class TooDeep(Exception):
    """A field nested deeper than RENDER_DEPTH (the bridge refuses such fields first)."""


class Policy:
    """The rules for one field `f`, or for what citeproc printed (`f` None: the bibliography),
    which is checked where its author wrote it and here only limited to what citeproc makes."""

    def __init__(
        self,
        f: Field | None,
        report: Report,
        root: Path,
        ids: set[str] | None,
        known: set[str] | None,
        left_out: dict[str, str] | None = None,
        cover: Coverage | None = None,
    ):
        self.f = f
        self.report = report
        self.root = root
        self.ids = ids  # None: a file that defines ids could not be read, so links are not checked
        self.known = known  # None: a bibliography file could not be read, so keys are not checked
        self.left_out = left_out or {}
        self.cover = cover  # an SVG's text must stay within the fonts, as content does
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

    # -- the rules ---------------------------------------------------------
    def one_paragraph(self, blocks: list[dict[str, Any]]) -> None:
        """An inline field (a title, a stance) is one line of text."""
        if len(blocks) > 1 or (blocks and blocks[0]["t"] not in ("Para", "Plain")):
            assert self.f is not None
            self.report.error(self.f.origin.loc, "expected one line of inline text, got several paragraphs or a block")

    def heading(self, text: str) -> None:
        """The theme sets the headings: a heading in content is refused (printed as a paragraph)."""
        self.error("#" if not text else text, f"heading '{text}' is not allowed in rich text, expected paragraphs (the theme sets the headings)")

    def note_in_cite(self) -> None:
        self.error("^[", "a footnote inside a citation's brackets, expected it after them: [@key, p. 3]^[note]")

    def note_in_note(self) -> None:
        self.error("^[", "a footnote inside a footnote, expected its text in the outer note")

    def note_written(self, empty: bool) -> Location:
        """Where the author's note is written (before its body: a note inside it is the next
        `^[`); an empty one is refused."""
        if empty:
            self.error("^[", "an empty footnote, expected its text between '^[' and ']'")
        return self.where("^[")

    def note_size(self, where: Location, size: int) -> None:
        """WeasyPrint carries a split note over one page at most: fail now, not after minutes of layout."""
        if size > NOTE_MAX:
            self.report.error(
                where,
                f"footnote of {size} characters is too long for the foot of the page, expected at most "
                f"{NOTE_MAX} (about two pages of notes); put the text in the body",
            )

    def citation_key(self, key: str) -> tuple[Location, bool]:
        """Where the citation of `key` is written, and whether it names an entry (False: reported,
        but for a `sources` key, which `richtext.check_keys` reports at its list item)."""
        assert self.f is not None
        loc = self.where("@" + key)
        if self.known is not None and key not in self.known:
            if self.f.mode != "cite":
                self.report.error(loc, f"citation key '{key}' is not in the bibliography, expected one of its ids")
            return loc, False
        return loc, True

    def link(self, target: str, citeproc: bool) -> str:
        """What a link may be: `entry` (citeproc's link to a bibliography entry), `xref` (an id the
        briefing prints), `url` (http(s)/mailto with an address), or `` (its text alone; refused
        where the author wrote it, quietly dropped where citeproc made it)."""
        if target.startswith("#"):
            ident = target[1:]
            key = ident.removeprefix("ref-")
            if citeproc and ident.startswith("ref-") and (self.known is None or key in self.known):
                return "entry"
            if self.ids is not None and ident not in self.ids:
                if not citeproc:
                    self.error(
                        target, f"link to '#{ident}', but no id '{ident}' exists, expected the id of an event, excerpt, interpretation or section"
                    )
                return ""
            if ident in self.left_out:
                if not citeproc:
                    self.error(
                        target,
                        f"link to '#{ident}', but its section '{self.left_out[ident]}' is not in 'sections', "
                        "expected a link to a part the briefing prints",
                    )
                return ""
            return "xref"
        scheme = target.split(":", 1)[0].lower() if ":" in target else ""
        if scheme in ("http", "https", "mailto"):
            if not re.fullmatch(r"(?i)(https?://[^\s/?#]+.*|mailto:[^\s@]+@\S+)", target):
                if not citeproc:
                    self.error(target, f"link target '{target}' has no address, expected e.g. https://example.org/ or mailto:name@example.org")
                return ""
            return "url"
        if not citeproc:  # (a link citeproc made of an entry's URL is refused where the entry is checked)
            self.error(target, f"link target '{target}' is not allowed, expected #id, http:, https: or mailto:")
        return ""

    def image(self, target: str, in_cite: bool) -> bool:
        """Whether an image may be printed: in a block field, outside a citation, of a file in
        `assets/` that `images.py` accepts."""
        if in_cite or (self.f is not None and self.f.mode == "inline"):
            where = (
                "in a citation, expected them in a block field, outside the citation"
                if in_cite
                else ("in inline text, expected them in a block field")
            )
            self.error_at([(f"]({target}", 2), target], f"images are not allowed {where}")
            return False
        problem = images.problem(self.root, target, self.cover)
        if problem:
            self.error_at([(f"]({target}", 2), (f"](<{unquote(target)}", 3), target], f"image '{unquote(target)}': {problem}")
            return False
        return True

    def span(self, ident: str, classes: list[str], attrs: list[list[str]], text: str) -> str | None:
        """The `lang` of an author's span, or None: spans carry nothing else."""
        keys = [k for k, _ in attrs]
        if ident or classes or keys != ["lang"]:
            self.error_at([(f"[{text}]{{", 1), "]{", text or "{"], "span attributes are not allowed except lang, expected [text]{lang=xx}")
            return None
        lang = attrs[0][1]
        if not LANG_RE.match(lang):
            self.error_at([f"lang={lang}", f'lang="{lang}"', lang], f"lang '{lang}' is not a BCP 47 tag, expected e.g. ja or ru")
            return None
        return lang

    def no_citations_in_quotes(self, known: set[str]) -> None:
        """Excerpt text is quoted wording and cites nothing: it prints `@x` as it stands.

        A handle such as `@MID_RF` in a quoted post stays literal text; `[@key]` naming
        an entry of the bibliography is a citation in the wrong place, an error.
        """
        assert self.f is not None
        for m in _QUOTED_KEY.finditer(self.f.text):
            key = m.group(1).rstrip(":.#$%&+?<>~/-")
            if key in known:
                self.error(
                    "@" + key,
                    f"citation '@{key}' in an excerpt's text, which is the document's own wording and cites nothing;"
                    " expected the source in 'source' and 'locator' (write \\@ for a literal @)",
                )
