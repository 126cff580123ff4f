"""The YAML loader: values keep the text the author typed; YAML's traps are refused with a location."""

from __future__ import annotations

from pathlib import Path

import pytest
from yaml.nodes import MappingNode, ScalarNode

from dossier.errors import DossierError
from dossier.load import MAX_DEPTH, load_yaml


def _load(tmp_path: Path, text: str | bytes) -> MappingNode:
    path = tmp_path / "f.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    node, _ = load_yaml(path, "f.yaml")
    assert isinstance(node, MappingNode)
    return node


def _error(tmp_path: Path, text: str | bytes) -> str:
    with pytest.raises(DossierError) as info:
        _load(tmp_path, text)
    assert len(info.value.problems) == 1
    return str(info.value.problems[0])


@pytest.mark.parametrize(
    "source, value",
    [("no", "no"), ("on", "on"), ("010", "010"), ("1.10", "1.10"), ("12:30", "12:30"), ("1956-10-19", "1956-10-19"), ("~", "~")],
)
def test_scalars_keep_their_source_text(tmp_path: Path, source: str, value: str) -> None:
    node = _load(tmp_path, f"v: {source}\n")
    scalar = node.value[0][1]
    assert isinstance(scalar, ScalarNode) and scalar.value == value


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    assert _error(tmp_path, "title: a\nsubtitle: b\ntitle: c\n") == ("f.yaml:3:1: duplicate key 'title' (first at line 1), expected each key once")


def test_anchor_and_alias_refused(tmp_path: Path) -> None:
    assert "anchor '&a' is not allowed" in _error(tmp_path, "a: &a x\nb: c\n")
    assert _error(tmp_path, "a: x\nb: *a\n").startswith("f.yaml:2:4: alias '*a' is not allowed")


def test_python_tag_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, "a: !!python/object:os.system x\n")
    assert message == "f.yaml:1:4: tag 'tag:yaml.org,2002:python/object:os.system' is not allowed, expected a plain value"


def test_tab_indentation(tmp_path: Path) -> None:
    assert _error(tmp_path, "a:\n\t- b\n") == "f.yaml:2:1: tab in indentation, expected spaces"


def test_invalid_utf8_located(tmp_path: Path) -> None:
    assert _error(tmp_path, b"a: b\nc: d\xff\n") == "f.yaml:2:5: invalid UTF-8 byte 0xff, expected UTF-8 text"


@pytest.mark.parametrize(
    "char, message",
    [
        ("\x1b", "f.yaml:2:6: control character U+001B, expected printable text"),
        ("\x0c", "f.yaml:2:6: control character U+000C, expected printable text"),  # a form feed is BibTeX's, not YAML's
        # C1 controls and U+FFFF: PyYAML's reader refused them with an internal error at no line
        ("\x80", "f.yaml:2:6: control character U+0080, expected printable text"),
        ("\x9f", "f.yaml:2:6: control character U+009F, expected printable text"),
        ("\uffff", "f.yaml:2:6: control character U+FFFF, expected printable text"),
        ("\x85", "f.yaml:2:6: character U+0085, which YAML reads as a line break, expected a plain newline or a space"),
    ],
)
def test_control_characters_located(tmp_path: Path, char: str, message: str) -> None:
    assert _error(tmp_path, f"a: b\nc: d {char}e\n") == message


def test_line_ends_and_tabs_are_text(tmp_path: Path) -> None:
    node = _load(tmp_path, "a: b\r\nc: 'd\te'\r\n")
    assert [v.value for _k, v in node.value] == ["b", "d\te"]


def test_bom_refused(tmp_path: Path) -> None:
    assert "byte-order mark" in _error(tmp_path, b"\xef\xbb\xbfa: b\n")


def test_deep_nesting_is_a_clear_error_not_recursion(tmp_path: Path) -> None:
    message = _error(tmp_path, "a: " + "[" * 500 + "]" * 500 + "\n")
    assert f"nesting deeper than {MAX_DEPTH} levels" in message


def test_syntax_error_hint_for_colon_in_text(tmp_path: Path) -> None:
    message = _error(tmp_path, "a:\n  text: Note: this breaks\n")
    assert message.startswith("f.yaml:2:")
    assert "must be quoted or written as a | block" in message


def test_citation_at_start_of_plain_value_hint(tmp_path: Path) -> None:
    message = _error(tmp_path, "text: @brown2016 says\n")
    assert message.startswith("f.yaml:1:7:")
    assert "'@'" in message and "| block" in message


def test_too_big(tmp_path: Path) -> None:
    from dossier import load

    assert "expected at most" in _error(tmp_path, "a: " + "x" * (load.MAX_BYTES + 1))


def test_empty_file_is_none(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("# only a comment\n")
    node, _ = load_yaml(path, "e.yaml")
    assert node is None
