"""Stage 2: checked reading of located YAML nodes, the tools of the content readers.

`FieldReader` reads the nodes of one content file into model values (`Text`,
`RichText`, dates, ids, citation keys), reporting every mistake in a `Report` with
the place it was written. `Field` is one line of a field table: a key, how its
value is read, whether it is required; `FieldReader.record` reads a mapping by such a
table, so the allowed keys, the "unknown key … expected one of" message and the
order the values are read in all come from the one table.

Rules enforced here: unknown keys (except `x-…`), missing required fields, the type
of each field (a string where a string belongs, a list where a list belongs), one-line
fields, ids (syntax, one namespace, reserved section names), dates, and the
citation-key syntax of `sources` lists.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .dates import DateValue, parse_date
from .errors import Location, Report
from .load import SourceFile, kind, location
from .model import ID_RE, KEY_RE, LINE_MAX, SECTIONS, THEME_ID_PREFIXES, THEME_IDS, Dossier, RichText, Text


@dataclass(frozen=True)
class Field:
    """One key of a mapping in a content file: `read` turns its node (None when the key is
    absent) into the model's value; a `required` key must be there and not empty."""

    name: str
    read: Callable[[FieldReader, Node | None], Any]
    required: bool = False
    attr: str = ""  # the model's attribute, when it is not `name`
    after: bool = False  # read after the other fields: it checks their values (`sections`)


def reading_order(table: tuple[Field, ...]) -> list[Field]:
    """The table's fields in the order they are read: the table's, those marked `after` last."""
    return [f for f in table if not f.after] + [f for f in table if f.after]


def plain(node: Node) -> Any:
    """A node as plain Python data (strings, lists, dicts), for `x-` keys."""
    if isinstance(node, MappingNode):
        return {k.value: plain(v) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [plain(v) for v in node.value]
    return node.value


def yaml_paths(root: Node | None) -> dict[int, str]:
    """The JSON pointer (`/3/text`) of every node of a document, by node identity: one walk,
    without recursion (nesting depth is the content's)."""
    out: dict[int, str] = {}
    stack: list[tuple[Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, path = stack.pop()
        out[id(node)] = path
        if isinstance(node, MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, ScalarNode) else "?"
                stack.append((value, path + "/" + name.replace("~", "~0").replace("/", "~1")))
        elif isinstance(node, SequenceNode):
            stack += [(item, f"{path}/{n}") for n, item in enumerate(node.value)]
    return out


class FieldReader:
    """Reads the nodes of one file, reporting mistakes with their place."""

    def __init__(self, report: Report, src: SourceFile, dossier: Dossier, root: Node | None = None, files: Collection[str] = ()):
        self.report = report
        self.src = src
        self.dossier = dossier
        self.files = files  # the content files read, for checks that depend on another file (`sections`)
        self.file = Path(src.name).name  # content files lie at the top of the dossier
        self.paths = yaml_paths(root)

    def key(self, node: Node) -> str:
        """The stable name of what `node` holds: `FILE#/json/pointer` (see `RichText`)."""
        return f"{self.file}#{self.paths.get(id(node), '')}"

    def loc(self, node: object) -> Location:
        return location(self.src.name, node)

    def error(self, node: object, message: str) -> None:
        self.report.error(self.loc(node), message)

    def mapping(self, node: Node | None, what: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Node] | None:
        """A mapping's values by key, after checking keys against the allowed set."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{what}: expected a mapping of keys to values, got {kind(node) if node else 'nothing'}")
            return None
        out: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value
            if name.startswith("x-"):
                continue
            if name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
                hint = f" (a typo of '{close[0]}'?)" if close else ""
                self.error(key, f"unknown key '{name}' in {what}{hint}, expected one of: {', '.join(allowed)}")
                continue
            out[name] = value
        for name in required:
            if name not in out or empty(out[name]):
                where = out.get(name, node)
                self.error(where, f"{what}: '{name}' is required, expected a value")
        return out

    def record(self, node: Node | None, what: str, table: tuple[Field, ...], complete: bool = True) -> dict[str, Any] | None:
        """A mapping read by its field table: every field's value by key (None when absent),
        read in the table's order. None when it is no mapping or, if `complete`, when a
        required value is missing (its error is reported: the entry is left out)."""
        m = self.mapping(node, what, tuple(f.name for f in table), tuple(f.name for f in table if f.required))
        if m is None:
            return None
        values = {f.name: f.read(self, m.get(f.name)) for f in reading_order(table)}
        if complete and not all(values[f.name] for f in table if f.required):
            return None
        return values

    def extras(self, node: Node) -> dict[str, Any]:
        assert isinstance(node, MappingNode)
        return {k.value: plain(v) for k, v in node.value if k.value.startswith("x-")}

    def text(self, node: Node | None, what: str) -> Text | None:
        if node is None or empty(node):
            return None
        if not isinstance(node, ScalarNode):
            hint = ""
            if isinstance(node, SequenceNode) and node.flow_style:
                hint = "; a value starting with '[' must be quoted or written as a | block"
            self.error(node, f"{what}: expected text, got {kind(node)}{hint}")
            return None
        return Text(node.value, self.loc(node), node, self.src)

    def line(self, node: Node | None, what: str) -> Text | None:
        """A one-line text: a title, a party, a label."""
        value = self.text(node, what)
        if value is None:
            return None
        if not value.value.strip():
            self.error(node, f"{what}: blank, expected text")
        elif len(value.value) > LINE_MAX:
            self.error(node, f"{what}: {len(value.value)} characters, expected at most {LINE_MAX} (one line)")
        elif "\n" in value.value.strip():
            self.error(node, f"{what}: several lines, expected one line (a '|' block keeps the line breaks; use '>' or one line)")
        return value

    def rich(self, node: Node | None, what: str, mode: str = "block") -> RichText | None:
        value = self.text(node, what)
        if value is None:
            return None
        assert isinstance(node, ScalarNode)
        if node.style is None and "#" in self._line_tail(node):
            self.error(node, f"{what}: ' #' starts a YAML comment and cuts the text, expected the value quoted or written as a | block")
        return RichText(value.value, value.loc, node, self.src, mode, self.key(node))

    def _line_tail(self, node: ScalarNode) -> str:
        """Source text after a plain scalar on its last line (a comment YAML dropped)."""
        end = node.end_mark.index
        stop = self.src.text.find("\n", end)
        return self.src.text[end : stop if stop >= 0 else len(self.src.text)]

    def date(self, node: Node | None, what: str) -> DateValue | None:
        value = self.text(node, what)
        if value is None:
            return None
        try:
            return parse_date(value.value)
        except ValueError as exc:
            self.error(node, f"{what}: {exc}")
            return None

    def items(self, node: Node | None, what: str) -> list[Node]:
        if node is None or empty(node):
            return []
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what}: expected a list, got {kind(node)}")
            return []
        return list(node.value)

    def keys(self, node: Node | None, what: str) -> list[Text]:
        out = []
        for item in self.items(node, what):
            key = self.text(item, what)
            if key is None:
                continue
            if key.value.startswith("@"):
                key.value = key.value[1:]
            if not KEY_RE.match(key.value):
                self.error(item, f"{what}: '{key.value}' is not a citation key, expected letters, digits and _:.#$%&-+?<>~/")
                continue
            out.append(key)
        return out

    def ident(self, node: Node | None, what: str) -> str | None:
        value = self.text(node, what)
        if value is None:
            return None
        if not ID_RE.match(value.value):
            self.error(node, f"{what}: '{value.value}' is not a valid id, expected a letter then letters, digits, '_' or '-'")
            return None
        if value.value in SECTIONS:
            self.error(node, f"{what}: '{value.value}' is reserved for the section of that name, expected another id")
            return None
        if value.value in THEME_IDS or value.value.startswith(THEME_ID_PREFIXES):
            self.error(
                node,
                f"{what}: '{value.value}' is an id the theme gives its own parts (contents, positions, ref-…, interp-…, cite-…), expected another id",
            )
            return None
        first = self.dossier.ids.get(value.value)
        if first is not None:
            self.error(node, f"duplicate id '{value.value}' (first at {first}), expected each id once")
            return None
        self.dossier.ids[value.value] = value.loc
        return value.value


def empty(node: Node) -> bool:
    """Whether a node is a plain empty value (`key:` with nothing after it): the same as absent."""
    return isinstance(node, ScalarNode) and node.value == "" and node.style is None


def as_list(node: Node | None) -> Node | None:
    """A single scalar key as a one-item list, so `source:` shares the key checks."""
    if isinstance(node, ScalarNode) and not empty(node):
        return SequenceNode("tag:yaml.org,2002:seq", [node], node.start_mark, node.end_mark)
    return node


def top_list(r: FieldReader, node: Node | None, what: str) -> list[Node]:
    """The entries of a file that is a list (chronology, excerpts, interpretations)."""
    if node is None:
        r.report.error(Location(r.src.name, 1, 1), f"file is empty, expected a list of {what} entries ('- ...') or no file")
        return []
    if not isinstance(node, SequenceNode):
        r.error(node, f"{what}: expected a list of entries ('- ...'), got {kind(node)}")
        return []
    return list(node.value)
