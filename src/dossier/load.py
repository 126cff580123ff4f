"""Stage 1: read YAML files into nodes that remember where they came from.

The result is PyYAML's node tree (`ScalarNode`, `SequenceNode`,
`MappingNode`), every node carrying `start_mark`. Nothing is resolved to
Python values here: a scalar stays the text the author typed, so `no`, `010`
and `1.10` keep their meaning until the model decides what a field is.

Refused, each with a located error: anchors, aliases and explicit tags, a
duplicate key in one mapping (naming both lines), keys that are not plain
strings, nesting deeper than `MAX_DEPTH`, files larger than `MAX_BYTES`,
invalid UTF-8, a byte-order mark, tab indentation and every YAML syntax error.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .characters import control_problem, controls
from .errors import DossierError, Location

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32

__all__ = ["MAX_BYTES", "MAX_DEPTH", "SourceFile", "load_yaml", "location"]


class SourceFile:
    """A YAML file's text and name, kept so errors can quote and locate it."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text
        self._line_starts: list[int] | None = None

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of a character index in the text."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        import bisect

        line = bisect.bisect_right(self._line_starts, index) - 1
        return line + 1, index - self._line_starts[line] + 1


def location(name: str, node_or_mark: object) -> Location:
    """Location of a node (its start) or of a PyYAML mark."""
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return Location(name, getattr(mark, "line", -1) + 1, getattr(mark, "column", -1) + 1)


class _Loader(Reader, Scanner, Parser, Composer, BaseResolver):
    """PyYAML's pure-Python pipeline with the checks above added to composing."""

    def __init__(self, text: str, name: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)
        self.dossier_name = name
        self.depth = 0

    def _fail(self, mark: object, message: str) -> DossierError:
        return DossierError.at(location(self.dossier_name, mark), message)

    def compose_node(self, parent: Node | None, index: object) -> Node:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent):
            raise self._fail(event.start_mark, f"alias '*{event.anchor}' is not allowed, expected the value written out")
        if isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent)):
            if event.anchor is not None:
                raise self._fail(event.start_mark, f"anchor '&{event.anchor}' is not allowed, expected the value written out")
            tag = event.tag
            if tag is not None and tag != "!":
                raise self._fail(event.start_mark, f"tag '{tag}' is not allowed, expected a plain value")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._fail(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels, expected a flatter structure")
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type,return-value]
        finally:
            self.depth -= 1

    def compose_mapping_node(self, anchor: object) -> MappingNode:
        node: MappingNode = super().compose_mapping_node(anchor)  # type: ignore[arg-type]
        seen: dict[str, Node] = {}
        for key, _value in node.value:
            if not isinstance(key, ScalarNode):
                raise self._fail(key.start_mark, "a key must be a plain name, expected 'name: value'")
            if key.value in seen:
                first = seen[key.value].start_mark.line + 1
                raise self._fail(key.start_mark, f"duplicate key '{key.value}' (first at line {first}), expected each key once")
            seen[key.value] = key
        return node


_QUOTE_HINT = "a value starting with '{c}' must be quoted or written as a | block"


def _syntax_error(name: str, exc: yaml.MarkedYAMLError, text: str) -> DossierError:
    """PyYAML's error, placed where the author went wrong and with a hint at the usual cause."""
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    mark, cmark = exc.problem_mark, exc.context_mark
    opener = text[cmark.index] if cmark is not None and cmark.index < len(text) else ""
    if context.startswith("while scanning a quoted scalar") and cmark is not None:
        return DossierError.at(
            location(name, cmark),
            f"YAML syntax error: '{opener}' is never closed; expected a closing '{opener}' or the value written as a | block",
        )
    if context.startswith(("while parsing a flow sequence", "while parsing a flow mapping")) and cmark is not None:
        return DossierError.at(location(name, cmark), f"YAML syntax error: '{opener}' is never closed; {_QUOTE_HINT.format(c=opener)}")
    message = f"{context}, {problem}" if problem.startswith("but ") and context else (problem or context or "invalid YAML")
    before = text[: mark.index].rstrip(" ") if mark is not None else ""
    line = ""
    if mark is not None:
        end = text.find("\n", mark.index)
        line = text[text.rfind("\n", 0, mark.index) + 1 : end if end >= 0 else len(text)]
    value = line.split(": ", 1)[1].lstrip() if ": " in line else line.lstrip().lstrip("- ")
    if "mapping values are not allowed" in problem:
        hint = "a ': ' inside text must be quoted or written as a | block"
    elif "found character '\\t'" in problem:
        hint = "indent with spaces, not tabs"
    elif "cannot start any token" in problem:
        first = value[:1] if value[:1] and value[:1] in "[{@`" else text[mark.index] if mark is not None else "@"
        hint = _QUOTE_HINT.format(c=first)
    elif "expected <block end>" in problem:
        if before.endswith("'"):
            hint = "a ' inside '...' must be doubled (''), expected the value in \"...\" or a | block"
        elif before.endswith('"'):
            hint = 'a " inside "..." must be written \\", expected the value in \'...\' or a | block'
        elif before.endswith(("]", "}")):
            hint = _QUOTE_HINT.format(c="[" if before.endswith("]") else "{")
        else:
            hint = "this line is indented differently from the lines above it, expected the keys of one mapping to line up"
    elif "found another document" in problem:
        hint = "expected one document per file, without '---'"
    else:
        hint = "expected valid YAML"
    return DossierError.at(location(name, mark or cmark), f"YAML syntax error: {message}; {hint}")


def decode(name: str, data: bytes, yaml_file: bool = True, space: str = "") -> str:
    """Bytes of a content file to text, refusing what YAML would misread (in a YAML file:
    JSON and BibTeX read tabs as spaces and U+2028 as a character) and every control
    character but line ends, tabs and the white space `space` of the file's format."""
    if len(data) > MAX_BYTES:
        raise DossierError.at(Location(name, 1, 1), f"file is {len(data)} bytes, expected at most {MAX_BYTES}")
    if data.startswith(b"\xef\xbb\xbf"):
        raise DossierError.at(Location(name, 1, 1), "file starts with a byte-order mark, expected UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        raise DossierError.at(Location(name, line, col), f"invalid UTF-8 byte 0x{data[exc.start]:02x}, expected UTF-8 text") from None
    source = SourceFile(name, text)
    for match in re.finditer(r"^[ ]*\t", text if yaml_file else "", re.MULTILINE):
        raise DossierError.at(Location(name, *source.position(match.end() - 1)), "tab in indentation, expected spaces")
    # U+0085 in YAML is the line break below, with its own message.
    for match in controls(text, "\t\n\r" + space + ("\x85" if yaml_file else "")):
        raise DossierError.at(Location(name, *source.position(match.start())), control_problem(match.group()))
    for match in re.finditer("[\u0085\u2028\u2029]", text if yaml_file else ""):
        # YAML 1.1 (PyYAML) reads these as line breaks: every line number after them would be off.
        raise DossierError.at(
            Location(name, *source.position(match.start())),
            f"character U+{ord(match.group()):04X}, which YAML reads as a line break, expected a plain newline or a space",
        )
    return text


def load_yaml(path: Path, name: str) -> tuple[Node | None, SourceFile]:
    """Compose one YAML file; `None` stands for an empty document."""
    text = decode(name, path.read_bytes())
    loader = _Loader(text, name)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # belt and braces: MAX_DEPTH should stop this first
            raise DossierError.at(Location(name, 1, 1), "nesting too deep, expected a flatter structure") from None
        except yaml.MarkedYAMLError as exc:
            raise _syntax_error(name, exc, text) from None
        except yaml.YAMLError as exc:
            raise DossierError.at(Location(name, 1, 1), f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    return node, SourceFile(name, text)


def kind(node: Node) -> str:
    """What a node is, in words for error messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"'{node.value}'" if node.value != "" else "nothing"
