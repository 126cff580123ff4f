"""Markdown that pandoc would print as it stands, or could not afford to parse: checked before pandoc.

Pandoc never fails on Markdown: an opening bracket, backtick or `*` that is never closed,
or an attribute block it cannot read, is simply printed as typed ("[(Svalbard Treaty 1920),
art. 1", "[Svalbardloven]{lang=norsk bokmål}"). Each such opener is an error at the place
it opens here, found by one linear scan of the field's source that skips escapes (`\\[`),
code spans, link addresses and autolinks, the way pandoc's reader does.

The same scan caps nesting before pandoc runs: its inline parser backtracks over nested
brackets (about 2.5 times the work per level; 12 bare levels take over 20 s, 3,000 nested
`^[` several GB) and deep lists and block quotes are slow to parse and to render. At most
BRACKETS_MAX nested brackets (links, spans, citations, notes) and CONTAINERS_MAX nested
lists and block quotes are accepted. A field with such an error is not sent to pandoc.

What stays literal text and passes: `[sic]`, `5 * 3`, `5*3`, `snake_case`, `a_b_c`, `C++`,
`x^2`, `~5 km`, `;*)`, `\\[`, `\\*`, and anything inside backticks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .errors import Location, Report
from .model import Text

BRACKETS_MAX = 5  # e.g. a note holding a citation whose suffix has a span with a link: 4
CONTAINERS_MAX = 16  # lists and block quotes inside each other
EMPHASIS_MAX = 8  # *, **, _, ~~ inside each other
ERRORS_MAX = 10  # per field: the first few tell the author what to fix

_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
_MARKER = re.compile(r" {0,3}(?:>|(?:[-+*]|\d{1,9}[.)]|#\.|\(?[A-Za-z0-9]{1,2}[.)])(?=[ \t]|$))[ \t]?")
_BLANK = re.compile(r"^[\s>]*$")
# Pandoc's attribute block: {#id .class key=value key="value" key='value' -}
_ATTRS = re.compile(r"""\{\s*(?:(?:[#.][\w:.-]+|-|[\w:.-]+=(?:"[^"]*"|'[^']*'|[^\s}"']+))\s*)*\}""")
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*|[^\s<>@]+@[^\s<>]+)>")
_AUTOLINK_OPEN = re.compile(r"<(?:[A-Za-z][A-Za-z0-9+.-]*://|mailto:)")
_RUN = re.compile(r"`+|\*+|_+|~+")  # a run of one delimiter character (matched where one starts)
# Lines that pandoc would print as typed, since the constructs they open are not read here.
_FENCED_DIV = re.compile(r"^[ \t>]*(:::)")  # pandoc prints it as typed: fenced_divs is off
# An attribute block that pandoc reads only after a span's ']': anywhere else it prints as typed.
_STRAY_ATTRS = re.compile(r"""\{\s*(?:[#.][\w:-]|[\w:-]+=)""")
_NOTE_REF = re.compile(r"\[\^[^\]\s\[^]+\]")  # [^1], [^note]: pandoc's footnote references, not read here
_KEY_BEFORE = re.compile(r"(?<![\w\\])-?@\w[\w:.#$%&+?<>~/-]*\s+$")
_CITE_KEY = re.compile(r"(?<![\w\\])-?@\w")
ATTRS_MAX = 300  # characters of an attribute block: {lang=ja} is 9; a longer one is a mistake
_CLOSING_PUNCT = ".,;:!?)]}>\"'”’"


class _TooDeep(Exception):
    def __init__(self, index: int, message: str):
        self.index, self.message = index, message


@dataclass
class _Opener:
    char: str
    length: int
    offset: int
    quiet: bool  # within a word (`5*3`): literal when unclosed, not a mistake


def check_field(text: Text, report: Report) -> bool:
    """Report unclosed markup and too deep nesting in one field; whether it may go to pandoc."""
    problems = scan(text.value, citations=getattr(text, "mode", "block") != "quote")
    for offset, message in problems[:ERRORS_MAX]:
        report.error(at(text, offset), message)
    return not problems


def at(text: Text, offset: int) -> Location:
    """Where the character at `offset` of the value is written in the file."""
    char = text.value[offset]
    return text.locate(char, text.value.count(char, 0, offset))


def scan(source: str, citations: bool = True) -> list[tuple[int, str]]:
    """(offset, message) of every unclosed opener and of the first too deep nesting."""
    problems: list[tuple[int, str]] = []
    paragraph: list[tuple[int, str]] = []  # (offset of the line, line) of the current paragraph
    containers: list[int] = []  # content column of each open list item / block quote
    fence: str | None = None
    previous_blank = True
    offset = 0
    closers = _closers(source)
    for line in source.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        body = line.rstrip("\r\n")
        if fence is not None:  # inside a fenced code block: literal, to its closing fence
            if body.strip(" \t>").startswith(fence) and not body.strip(" \t>").strip(fence[0]):
                fence = None
            continue
        found = _FENCE.match(body)
        if found and not _closes(closers, found.group(1), start):
            found = None  # pandoc reads a fence that never closes as text (`~~~~` is an empty subscript)
        if found and body[found.end() :].lstrip().startswith("{"):
            problems.append((start + found.end(), "attributes on a code block are not allowed, expected ``` alone (the theme sets code)"))
        elif not found and (div := _FENCED_DIV.match(body)):
            problems.append((start + div.start(1), "a fenced div (:::) is not allowed, expected paragraphs (spans take [text]{lang=xx})"))
            continue  # its attributes are part of this one mistake
        if found or _BLANK.match(body):
            if _inline(paragraph, problems, citations):
                return problems
            paragraph, previous_blank = [], True
            fence = found.group(1) if found else None
            continue
        indent = len(body) - len(body.lstrip(" \t"))
        base = containers[-1] if containers else 0
        if previous_blank and indent >= base + 4 and not _MARKER.match(body, indent):
            continue  # an indented code block
        previous_blank = False
        in_list = bool(containers)
        depth = _containers(body, indent, containers)
        if depth is not None:
            problems.append(
                (start + depth, f"lists and block quotes nested more than {CONTAINERS_MAX} deep, expected at most {CONTAINERS_MAX} levels")
            )
            return problems
        if in_list and _MARKER.match(body, indent):  # a new list item: a new block
            if _inline(paragraph, problems, citations):
                return problems
            paragraph = []
        paragraph.append((start, body))
        if len(problems) >= ERRORS_MAX:
            return problems
    _inline(paragraph, problems, citations)
    return problems


def _closers(source: str) -> dict[str, tuple[list[int], list[int]]]:
    """For ` and ~: the offsets of the lines that could close a fence of that character, and for
    each, the longest such line from it on (a fence closes on a line at least as long)."""
    found: dict[str, list[tuple[int, int]]] = {"`": [], "~": []}
    offset = 0
    for line in source.splitlines(keepends=True):
        bare = line.rstrip("\r\n").strip(" \t>")
        if len(bare) >= 3 and bare[0] in "`~" and not bare.strip(bare[0]):
            found[bare[0]].append((offset, len(bare)))
        offset += len(line)
    out = {}
    for ch, lines in found.items():
        longest, best = [], 0
        for _, length in reversed(lines):
            best = max(best, length)
            longest.append(best)
        out[ch] = ([o for o, _ in lines], longest[::-1])
    return out


def _closes(closers: dict[str, tuple[list[int], list[int]]], fence: str, start: int) -> bool:
    """Whether a line after `start` can close this fence: pandoc reads one that never closes as text."""
    import bisect

    offsets, longest = closers[fence[0]]
    i = bisect.bisect_right(offsets, start)
    return i < len(offsets) and longest[i] >= len(fence)


def _containers(body: str, indent: int, stack: list[int]) -> int | None:
    """Update the open containers for one line; the column where nesting goes too deep, if it does."""
    while stack and indent < stack[-1]:
        stack.pop()
    pos = indent
    while True:
        m = _MARKER.match(body, pos)
        if not m or m.end() == pos:
            return None
        stack.append(m.end())
        if len(stack) > CONTAINERS_MAX:
            return pos
        pos = m.end()
        pos += len(body) - pos - len(body[pos:].lstrip(" \t"))


def _inline(lines: list[tuple[int, str]], problems: list[tuple[int, str]], citations: bool = True) -> bool:
    """Scan one paragraph's inline markup; append its problems (offsets in the field).
    True when the field is nested too deep: nothing after that is scanned."""
    if not lines:
        return False
    text = "\n".join(body for _, body in lines)
    starts = [s for s, _ in lines]
    line_at = [0]
    for _, body in lines[:-1]:
        line_at.append(line_at[-1] + len(body) + 1)

    def where(i: int) -> int:  # offset in the field of index i of the paragraph text
        n = max(k for k, s in enumerate(line_at) if s <= i) if len(line_at) > 1 else 0
        return starts[n] + i - line_at[n]

    def report(i: int, message: str) -> None:
        problems.append((where(i), message))

    # [index, emphasis openers before it, first link inside or -1, a citation key since the last ';']
    brackets: list[list[int]] = []  # (the last is None in a footnote's brackets)
    emphasis: list[_Opener] = []
    i, n = 0, len(text)
    while i < n and len(problems) < ERRORS_MAX:
        ch = text[i]
        if ch == "\\":
            i += 2
        elif ch == "`":
            run = _RUN.match(text, i).end() - i  # type: ignore[union-attr]
            close = re.compile(f"(?<!`){'`' * run}(?!`)").search(text, i + run)
            if close is None:
                report(i, f"code opened with {'`' * run} is never closed, expected {'`' * run} after the code (write \\` for a literal backtick)")
                i += run
            else:
                i = close.end()
                if text.startswith("{", i) and (m := _ATTRS.match(text[i : i + ATTRS_MAX])):
                    report(i, "attributes on code are not allowed, expected `code` alone (spans take [text]{lang=xx})")
                    i += m.end()
        elif ch == "{" and _STRAY_ATTRS.match(text, i):
            report(i, "attributes are read only right after a span's ']', expected [text]{lang=xx} (write \\{ for a literal brace)")
            i += 1
        elif ch == "@" and citations and brackets and brackets[-1][3] is not None and _CITE_KEY.match(text, i - (text[i - 1 : i] == "-")):
            if brackets[-1][3]:
                report(i, "a second citation key inside one citation, expected ';' between citations: [@a; @b]")
            brackets[-1][3] = True
            i += 1
        elif ch == ";" and brackets and brackets[-1][3] is not None:
            brackets[-1][3] = False
            i += 1
        elif ch == "<":
            m = _AUTOLINK.match(text, i)
            if m:
                if brackets and brackets[-1][2] < 0:
                    brackets[-1][2] = i
                i = m.end()
            else:
                if _AUTOLINK_OPEN.match(text, i):
                    report(i, "a link opened with '<' is never closed, expected '>' after the address")
                i += 1
        elif ch == "[":
            if citations and brackets and brackets[-1][3] and _KEY_BEFORE.search(text, max(0, i - 120), i):
                # `@key [p. 3]` is the in-text form; inside a citation's brackets pandoc ends the
                # suffix at the first ']' and prints the rest as typed
                report(i, "a locator in brackets after a key inside a citation, expected [@key, p. 3]")
            if _NOTE_REF.match(text, i):
                report(i, "a footnote reference [^…] is not read, expected the note where it belongs: ^[text]")
            # a footnote's brackets hold prose, where `@a and @b` are two in-text citations
            brackets.append([i, len(emphasis), -1, None if text[i - 1 : i] == "^" else False])  # type: ignore[list-item]
            if len(brackets) > BRACKETS_MAX:
                report(
                    i, f"brackets nested more than {BRACKETS_MAX} deep (links, spans, citations, footnotes), expected at most {BRACKETS_MAX} levels"
                )
                return True
            i += 1
        elif ch == "]":
            i += 1
            if not brackets:
                continue  # a lone ']' prints as it stands, as the author meant
            opened, mark, inner, _cited = brackets.pop()
            for o in emphasis[mark:]:  # emphasis opened inside the brackets ends with them
                if not o.quiet:
                    report(o.offset, _unclosed_emphasis(o))
            del emphasis[mark:]
            if inner >= 0 and brackets and brackets[-1][2] < 0 and not text.startswith("(", i):
                brackets[-1][2] = inner  # a link in a span or citation is still inside the outer brackets
            if text.startswith("(", i):
                end = _destination_end(text, i)
                if end is None:
                    report(i, "a link whose address is never closed, expected ')' after the address")
                    i += 1
                else:
                    if inner >= 0:  # pandoc reads no link inside a link: it would print as typed
                        report(inner, "a link inside a link's text, expected plain text there")
                    elif brackets and brackets[-1][2] < 0:
                        brackets[-1][2] = opened
                    i = end
                    if text.startswith("{", i) and (m := _ATTRS.match(text[i : i + ATTRS_MAX])):
                        report(i, "attributes on a link are not allowed, expected [text](address) (spans take [text]{lang=xx})")
                        i += m.end()
            elif text.startswith("{", i):
                m = _ATTRS.match(text[i : i + ATTRS_MAX], 0)
                if m is None:
                    report(
                        i,
                        "span attributes that cannot be read, expected e.g. [text]{lang=ja} "
                        "(a value with spaces in quotes; write \\{ for a literal brace)",
                    )
                    i += 1
                else:
                    i += m.end()
                    if text.startswith("{", i):
                        report(i, "a second attribute block, expected one: [text]{lang=xx}")
                        second = _ATTRS.match(text[i : i + ATTRS_MAX])
                        i += second.end() if second else 1
        elif ch in "*_~":
            run = _RUN.match(text, i).end() - i  # type: ignore[union-attr]
            if ch != "~" or run >= 2:  # a single ~ (subscript) left open is literal, like x^2
                try:
                    _delimiter(text, i, run, emphasis, brackets[-1][1] if brackets else 0, report)
                except _TooDeep as exc:
                    report(exc.index, exc.message)
                    return True
            i += run
        else:
            i += 1
    for index, _, _, _ in brackets:
        note = text[index - 1 : index] == "^"
        kind = (
            "a footnote opened with '^['"
            if note
            else (
                "a citation opened with '['" if text[index + 1 : index + 2] in ("@", "-") or "@" in text[index : index + 40].split("]")[0] else "'['"
            )
        )
        report(index - note, f"{kind} is never closed, expected ']' (write \\[ for a literal bracket)")
    for o in emphasis:
        if not o.quiet:
            report(o.offset, _unclosed_emphasis(o))
    return False


def _delimiter(text: str, i: int, run: int, stack: list[_Opener], floor: int, report: Callable[[int, str], None]) -> None:
    """One run of `*`, `_` or `~~`: close the nearest open one of its kind, or open one."""
    ch = text[i]
    prev = text[i - 1] if i > 0 else " "
    after = text[i + run] if i + run < len(text) else " "
    can_close = not prev.isspace()
    can_open = not after.isspace() and after not in _CLOSING_PUNCT
    if ch == "_":  # intraword underscores are literal (snake_case)
        can_open = can_open and not prev.isalnum()
        can_close = can_close and not after.isalnum()
    if ch != "~" and run > 3 and (can_open or can_close):  # pandoc prints `****x****` as typed
        report(i, f"'{ch * run}' is not emphasis (pandoc prints it as typed), expected at most '{ch * 3}' (write \\{ch} for a literal {ch})")
        return
    if can_close:
        for k in range(len(stack) - 1, floor - 1, -1):
            if stack[k].char == ch:
                opener = stack[k]
                if run == 1 and opener.length == 2:  # pandoc never closes '**' or '__' with one
                    report(
                        i,
                        f"'{ch}' cannot close the '{ch * 2}' opened before it (pandoc prints both as typed), "
                        f"expected '{ch * 2}' (write \\{ch} for a literal {ch})",
                    )
                    return
                for o in stack[k + 1 :]:  # opened inside this emphasis and never closed there
                    if not o.quiet:
                        report(o.offset, _unclosed_emphasis(o))
                del stack[k + 1 :]
                if run < opener.length:
                    opener.length -= run
                else:
                    stack.pop()
                return
    if can_open:
        stack.append(_Opener(ch, run, i, prev.isalnum()))
        if sum(not o.quiet for o in stack) > EMPHASIS_MAX:
            raise _TooDeep(i, f"emphasis nested more than {EMPHASIS_MAX} deep, expected at most {EMPHASIS_MAX} levels")


def _unclosed_emphasis(o: _Opener) -> str:
    mark = o.char * o.length
    what = {"*": "emphasis", "_": "emphasis", "~": "strikeout"}[o.char]
    return f"{what} opened with '{mark}' is never closed, expected a closing '{mark}' (write \\{o.char} for a literal {o.char})"


def _destination_end(text: str, i: int) -> int | None:
    """The index after the `)` closing the link address that opens at `text[i] == '('`."""
    depth, j = 0, i
    while j < len(text):
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "\n" and text.startswith("\n", j + 1):
            return None
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return None
