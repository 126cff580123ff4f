"""The one policy for control characters, for every stage: what text may hold.

Two questions, each answered here once. What a text of content may hold (`controls`,
`is_control`, `control_problem`): no control character (Unicode's Cc: C0, DEL and C1), lone
surrogate or U+FFFE/U+FFFF, but the white space of its format; `load` applies it to a file's
text, `fonts.char_problem` to each value. And what a line printed to a terminal may hold
(`shows_on_terminal`, `printable`): nothing a terminal would act on; every line the command
line prints goes through `printable`, and `archive` refuses attachment names that would not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

# Category Cc (U+0000–U+001F, U+007F–U+009F), the surrogates (Cs) and the two non-characters
# that end the BMP: none of them is text, and PyYAML's reader refuses them all.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
TEXT_SPACE = "\t\n"  # the white space a value of content may hold


@lru_cache(maxsize=8)
def _pattern(space: str) -> re.Pattern[str]:
    allowed = "".join(re.escape(c) for c in space)
    return re.compile(f"(?![{allowed}])[{_CONTROLS}]" if allowed else f"[{_CONTROLS}]")


def controls(text: str, space: str = TEXT_SPACE) -> Iterator[re.Match[str]]:
    """Each control character of `text`, in order, but the white space `space` of its format
    (a file holds line ends `\\r`, BibTeX form feeds)."""
    return _pattern(space).finditer(text)


def is_control(char: str, space: str = TEXT_SPACE) -> bool:
    """Whether one character is a control character content may not hold."""
    return _pattern(space).match(char) is not None


def control_problem(char: str) -> str:
    """The message for a control character of content."""
    return f"control character U+{ord(char):04X}, expected printable text"


def shows_on_terminal(char: str) -> bool:
    """Whether a terminal shows the character as itself (a space, or a printable character)
    rather than acting on it (ESC, BEL, CR, a line break)."""
    return char.isprintable() or char == " "


def printable(line: str) -> str:
    """One line with no control character a terminal would act on (ESC, BEL, CR, line breaks):
    a message quoting content must not move the cursor, recolour the screen or add lines.
    Every line the command line prints goes through it (file and folder names too)."""
    return "".join(c if shows_on_terminal(c) else f"\\u{ord(c):04x}" for c in line)
