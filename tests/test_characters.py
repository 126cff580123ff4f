"""The one control-character policy: what content may hold, what a terminal line may hold."""

from __future__ import annotations

import unicodedata

import pytest

from dossier.bibtex import SPACE as BIBTEX_SPACE
from dossier.characters import controls, is_control, printable


def test_content_refuses_every_control_surrogate_and_ffff_but_tab_and_newline() -> None:
    for cp in [*range(0x200), 0xD800, 0xDFFF, 0xFFFE, 0xFFFF, 0xFDD0, 0x2028, 0x202E]:
        char = chr(cp)
        expected = unicodedata.category(char) in ("Cc", "Cs") and char not in "\t\n" or cp in (0xFFFE, 0xFFFF)
        assert is_control(char) is expected, hex(cp)


def test_a_file_format_adds_its_own_white_space() -> None:
    text = "a\fb\rc\x1bd"
    assert [m.group() for m in controls(text)] == ["\f", "\r", "\x1b"]
    assert [m.start() for m in controls(text, "\t\n" + BIBTEX_SPACE)] == [5]


@pytest.mark.parametrize(
    ("line", "shown"),
    [("a\x1b[2Jb", "a\\u001b[2Jb"), ("x\ry", "x\\u000dy"), ("one\ntwo", "one\\u000atwo"), ("\u2028", "\\u2028"), ("é 字 ", "é 字 ")],
)
def test_a_terminal_line_shows_controls_escaped(line: str, shown: str) -> None:
    assert printable(line) == shown
