"""BibTeX split into entries and fields exactly as pandoc's biblatex reader splits it.

A transcription of the grammar of `Text.Pandoc.Citeproc.BibTeX` (pandoc 3: `bibEntries`,
`bibItem`, `entField`, `inBraces`, `inQuotes`, `@string` expansion), used for two things
pandoc cannot do for us:

- where each entry is written (one pass, so a large file costs linear time), and
- the `crossref` and `xdata` fields pandoc follows before it formats anything
  (`resolveCrossRefs`): a cycle (a → b → a, or an entry naming itself) makes it follow
  them without end, tens of gigabytes; and since it takes every combination of the
  entries a nested field names, fields naming several entries that each do the same
  multiply. Both are refused here, at the field, before pandoc runs. (`xref` is not
  followed by pandoc, so it is free.)

When the text is not BibTeX pandoc can read, `scan` returns None and pandoc's own
message reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import Location, Report
from .load import SourceFile

MAX_INHERITED = 100_000  # fields one entry may gather through crossref/xdata; real files need a few dozen
MAX_EXPANDED = 4 * 1024 * 1024  # characters of all field values once @string names are expanded: twice the file cap
_KEY_CHARS = set(".:;?!`'()$/*@_+=-[]*&")
_FOLLOWED = ("crossref", "xdata")
_BRACE_OR_ESCAPE = re.compile(r"\\.|\\$|[{}]", re.DOTALL)
# White space to BibTeX and pandoc's reader between and inside entries, beyond a value's tab and
# newline: a form feed (files have them between entries) and a carriage return (CRLF files).
SPACE = "\f\r"


def for_pandoc(text: str) -> str:
    """The text pandoc reads: a form feed is white space to BibTeX, but pandoc keeps one inside
    a field, so it becomes the space it means. The same text serves the conversion to CSL-JSON
    and the bridge's citeproc."""
    return text.replace("\f", " ")


@dataclass
class BibEntry:
    key: str
    type: str
    at: int  # offset of its '@'
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)  # name → (value, offset of the name)


class _Fail(Exception):
    pass


class TooLarge(Exception):
    """@string names expand to more text than any real file holds (each @string may double
    the one before: forty lines make a terabyte, which pandoc would build)."""

    def __init__(self, at: int):
        self.at = at


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.strings: dict[str, str] = {}
        self.expanded = 0  # characters of field values so far, @strings expanded

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def char(self, c: str) -> None:
        if self.peek() != c:
            raise _Fail
        self.i += 1

    def take(self, ok: object) -> str:
        start = self.i
        while self.i < len(self.text) and ok(self.text[self.i]):  # type: ignore[operator]
            self.i += 1
        if self.i == start:
            raise _Fail
        return self.text[start : self.i]

    def line_comment(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = len(self.text) if end < 0 else end + 1

    def spaces(self) -> None:
        while self.i < len(self.text):
            c = self.text[self.i]
            if c.isspace():
                self.i += 1
            elif c == "%":
                self.line_comment()
            else:
                break

    def word(self, w: str) -> None:
        if self.text[self.i : self.i + len(w)].lower() != w:
            raise _Fail
        self.i += len(w)

    def braces(self) -> str:
        """`{...}` with nested braces kept, a backslash escaping the next character; its inside."""
        self.char("{")
        start, depth, text = self.i, 1, self.text
        while depth:
            found = _BRACE_OR_ESCAPE.search(text, self.i)
            if not found or found.group() == "\\":
                raise _Fail  # unclosed, or a backslash at the very end
            c = found.group()[0]
            depth += 1 if c == "{" else -1 if c == "}" else 0
            self.i = found.end()
        return text[start : self.i - 1]

    def quotes(self) -> str:
        self.char('"')
        out: list[str] = []
        while True:
            c = self.peek()
            if c == "":
                raise _Fail
            if c == '"':
                self.i += 1
                return "".join(out)
            if c == "\\":
                if self.i + 1 >= len(self.text):
                    raise _Fail
                out.append(self.text[self.i : self.i + 2])
                self.i += 2
            elif c == "{":
                out.append("{" + self.braces() + "}")
            else:
                out.append(self.take(lambda ch: ch not in '{"\\'))

    def name(self) -> str:
        return self.take(lambda ch: ch.isalnum() or ch in "-_:+").lower()

    def value(self) -> str:
        c = self.peek()
        if c == '"':
            return self.quotes()
        if c == "{":
            return self.braces()
        word = self.name()  # a @string name, or a bare word such as a number
        return self.strings.get(word, word)

    def field(self) -> tuple[str, str, int]:
        at = self.i
        key = self.name()
        key = {"archiveprefix": "eprinttype", "primaryclass": "eprintclass"}.get(key, key)
        self.spaces()
        self.char("=")
        self.spaces()
        parts = [self.value()]
        while True:
            back = self.i
            try:
                self.spaces()
                self.char("#")
                self.spaces()
            except _Fail:
                self.i = back
                break
            parts.append(self.value())
        self.expanded += sum(len(p) for p in parts)
        if self.expanded > MAX_EXPANDED:
            raise TooLarge(at)
        self.spaces()
        return key, "".join(parts), at

    def non_entry(self) -> bool:
        """Skip text between entries, a comment, @comment, @preamble or @string; False at an entry or the end."""
        c = self.peek()
        if c == "":
            return False
        if c == "%":
            self.line_comment()
            return True
        if c != "@":
            self.take(lambda ch: ch not in "@%")
            return True
        back = self.i
        try:
            self.i += 1
            for kind in ("comment", "preamble"):
                save = self.i
                try:
                    self.word(kind)
                    self.spaces()
                    self.braces()
                    return True
                except _Fail:
                    self.i = save
            self.word("string")
            self.spaces()
            self.char("{")
            self.spaces()
            key, value, _ = self.field()
            self.char("}")
            self.strings[key] = value
            return True
        except _Fail:
            self.i = back
            return False

    def entry(self) -> BibEntry:
        at = self.i
        self.char("@")
        kind = self.take(str.isalpha).lower()
        self.spaces()
        self.char("{")
        self.spaces()
        key = self.take(lambda ch: ch.isalnum() or ch in _KEY_CHARS)
        self.spaces()
        self.char(",")
        self.spaces()
        entry = BibEntry(key, kind, at)
        while self.peek() not in ("", "}"):
            name, value, where = self.field()
            entry.fields[name] = (value, where)
            if self.peek() != ",":
                break
            self.i += 1
            self.spaces()
        self.spaces()
        self.char("}")
        return entry

    def entries(self) -> list[BibEntry]:
        out = []
        while self.non_entry():
            pass
        while self.peek() == "@":
            out.append(self.entry())
            while self.non_entry():
                pass
        if self.i != len(self.text):
            raise _Fail
        return out


def scan(text: str) -> list[BibEntry] | None:
    """The entries of a BibTeX text as pandoc reads them, or None if pandoc cannot read it;
    TooLarge if its @string names expand beyond MAX_EXPANDED."""
    try:
        return _Scanner(text).entries()
    except _Fail:
        return None


def _keys(value: str) -> list[str]:
    return [k for k in value.replace(",", " ").split(" ") if k]


def check_crossrefs(entries: list[BibEntry], src: SourceFile, report: Report) -> bool:
    """Report crossref/xdata cycles and fields that multiply without bound; True if none."""
    by_key: dict[str, list[int]] = {}
    for n, e in enumerate(entries):
        by_key.setdefault(e.key, []).append(n)

    def followed(n: int) -> list[tuple[str, str, int]]:
        return [(name, *entries[n].fields[name]) for name in _FOLLOWED if name in entries[n].fields]

    def error(n: int, name: str, where: int, message: str) -> bool:
        report.error(Location(src.name, *src.position(where)), f"entry '{entries[n].key}': {name}: {message}")
        return False

    # Depth-first over the entries a field names, without recursion (a chain may be thousands long).
    def named(n: int) -> list[tuple[str, int, int]]:
        """(field, entry it names, offset of the field), last first."""
        return [(name, m, where) for name, value, where in followed(n) for k in _keys(value) for m in by_key.get(k, [])][::-1]

    state = [0] * len(entries)  # 0 new, 1 on the current path, 2 done
    order: list[int] = []
    for start in range(len(entries)):
        if state[start]:
            continue
        state[start] = 1
        path: list[tuple[int, list[tuple[str, int, int]]]] = [(start, named(start))]
        while path:
            n, todo = path[-1]
            if not todo:
                state[n] = 2
                order.append(n)
                path.pop()
                continue
            name, m, where = todo.pop()
            if state[m] == 1:
                on_path = [p for p, _ in path]
                cycle = " → ".join(entries[p].key for p in [n] + on_path[on_path.index(m) :])
                return error(
                    n,
                    name,
                    where,
                    f"'{entries[m].key}' leads back to this entry ({cycle}), which pandoc would follow "
                    "without end, expected crossref and xdata to name entries that do not lead back",
                )
            if state[m] == 0:
                state[m] = 1
                path.append((m, named(m)))

    # How many fields pandoc gathers for each entry: a nested field naming k entries takes every
    # combination of theirs (`mapM` in the list monad), so counts multiply.
    gathered = [0] * len(entries)  # fields an entry contributes when named by another
    for n in order:  # every entry comes after the entries it names
        total = 0
        for _name, value, _ in followed(n):
            keys = _keys(value)
            combos = 1
            for k in keys:
                combos *= sum(gathered[m] for m in by_key.get(k, [])) if k in by_key else 0
                combos = min(combos, MAX_INHERITED + 1)
            total += len(keys) * combos
        gathered[n] = min(MAX_INHERITED + 1, total + len(entries[n].fields) - len(followed(n)))
    for n in range(len(entries)):
        for name, value, where in followed(n):
            count = sum(gathered[m] for k in _keys(value) for m in by_key.get(k, []))
            if count > MAX_INHERITED:
                return error(
                    n,
                    name,
                    where,
                    f"the entries it names gather more than {MAX_INHERITED:,} fields through their own "
                    "crossref and xdata fields, expected crossref and xdata to name a few entries",
                )
    return True
