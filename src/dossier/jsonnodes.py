"""CSL-JSON read into located YAML nodes, so one checker (cite.py) serves CSL YAML and CSL-JSON.

JSON is read by a JSON scanner, not by the YAML loader: valid JSON that is not valid YAML
(tab indentation, which Zotero and `jq --tab` write) is read, and every node carries the
line and column where it is written. The refusals match the YAML loader's: a duplicate key
in one object, nesting deeper than `load.MAX_DEPTH`.
"""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]

from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import DossierError, Location
from .load import MAX_DEPTH, SourceFile

_SPACE = re.compile(r"[ \t\n\r]*")
# A number or literal, as written (Python's json also reads NaN and Infinity).
_ATOM = re.compile(r"true|false|null|NaN|-?Infinity|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class _Reader:
    def __init__(self, src: SourceFile):
        self.src = src
        self.text = src.text

    def mark(self, index: int) -> Mark:
        line, col = self.src.position(index)
        return Mark(self.src.name, index, line - 1, col - 1, "", 0)

    def fail(self, index: int, message: str) -> DossierError:
        return DossierError.at(Location(self.src.name, *self.src.position(index)), message)

    def skip(self, i: int) -> int:
        match = _SPACE.match(self.text, i)
        assert match is not None
        return match.end()

    def value(self, i: int, depth: int) -> tuple[Node, int]:
        """The node starting at i (after white space) and the index after it."""
        c = self.text[i]
        if c == '"':
            text, end = scanstring(self.text, i + 1)
            return ScalarNode(_STR, text, self.mark(i), self.mark(end), style='"'), end
        if c in "[{":
            if depth >= MAX_DEPTH:
                raise self.fail(i, f"nesting deeper than {MAX_DEPTH} levels, expected a flatter structure")
            return self.array(i, depth) if c == "[" else self.object(i, depth)
        match = _ATOM.match(self.text, i)
        if match is None:
            raise self.fail(i, "JSON syntax error: expected a value")
        return ScalarNode(_STR, match.group(), self.mark(i), self.mark(match.end())), match.end()

    def array(self, i: int, depth: int) -> tuple[Node, int]:
        items: list[Node] = []
        j = self.skip(i + 1)
        while self.text[j] != "]":
            item, j = self.value(j, depth + 1)
            items.append(item)
            j = self.skip(j)
            if self.text[j] == ",":
                j = self.skip(j + 1)
        return SequenceNode(_SEQ, items, self.mark(i), self.mark(j + 1)), j + 1

    def object(self, i: int, depth: int) -> tuple[Node, int]:
        pairs: list[tuple[Node, Node]] = []
        seen: dict[str, Node] = {}
        j = self.skip(i + 1)
        while self.text[j] != "}":
            key, j = self.value(j, depth + 1)
            if key.value in seen:
                first = seen[key.value].start_mark.line + 1
                raise self.fail(key.start_mark.index, f"duplicate key '{key.value}' (first at line {first}), expected each key once")
            seen[key.value] = key
            j = self.skip(self.skip(j) + 1)  # the ':'
            value, j = self.value(j, depth + 1)
            pairs.append((key, value))
            j = self.skip(j)
            if self.text[j] == ",":
                j = self.skip(j + 1)
        return MappingNode(_MAP, pairs, self.mark(i), self.mark(j + 1)), j + 1


def json_to_nodes(text: str, name: str) -> Node | None:
    """CSL-JSON text as located YAML nodes; a located error for invalid JSON."""
    reader = _Reader(SourceFile(name, text))
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise DossierError.at(Location(name, exc.lineno, exc.colno), f"JSON syntax error: {exc.msg}") from None
    except RecursionError:  # nested far deeper than MAX_DEPTH: find where the reader's limit is crossed
        try:
            reader.value(reader.skip(0), 0)
        except (IndexError, ValueError):
            pass
        raise DossierError.at(Location(name, 1, 1), f"nesting deeper than {MAX_DEPTH} levels, expected a flatter structure") from None
    node, _ = reader.value(reader.skip(0), 0)
    return node
