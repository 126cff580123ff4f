"""User-facing errors: every problem carries a FILE:LINE:COL location.

A build collects problems (errors and warnings) in a `Report`; once a stage
is done, `Report.check()` raises `DossierError` if any error was recorded, so
that the user sees every mistake of one run at once (MkDocs style).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .characters import printable

QUOTE_MAX = 80  # characters of content a message quotes
MESSAGE_MAX = 400  # characters of one message, whatever it quotes


def display(path: Path) -> str:
    """A path as messages show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; line and column count from 1."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{max(self.col, 1)}"


@dataclass(frozen=True)
class Problem:
    """One error or warning, printed as `FILE:LINE:COL: message`."""

    location: Location
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return printable(f"{self.location}: {prefix}{bounded(self.message)}")


_QUOTED = re.compile(rf"(?<!\w)'([^']{{{QUOTE_MAX + 1},}})'(?!\w)")  # a quotation, not the apostrophe of "SVG's"
_EXPECTED = re.compile(r"[,;:]? expected ")


def bounded(message: str) -> str:
    """A message of at most MESSAGE_MAX characters: content it quotes ('…') cut to QUOTE_MAX
    characters with "…", and, if still too long, its middle cut, keeping the start (what is
    wrong) and the end (what was expected). A 1.5 MB line of content stays a readable line."""
    message = _QUOTED.sub(lambda m: f"'{m.group(1)[: QUOTE_MAX - 1]}…'", message)
    if len(message) <= MESSAGE_MAX:
        return message
    tails = list(_EXPECTED.finditer(message))
    tail = message[tails[-1].start() :] if tails else ""
    if len(tail) > MESSAGE_MAX // 2:
        tail = tail[: MESSAGE_MAX // 2 - 1] + "…"
    return message[: MESSAGE_MAX - len(tail) - 1] + "…" + tail


class DossierError(Exception):
    """The build stopped because of the problems it carries."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def at(cls, location: Location, message: str) -> DossierError:
        return cls([Problem(location, message)])


@dataclass
class Report:
    """Collects the problems of one build, in the order they were found."""

    problems: list[Problem] = field(default_factory=list)
    # Files of the dossier that could not be read at all (a syntax error, say). What
    # they would define is unknown, so checks that need it (links to ids, citation
    # keys) are skipped rather than reported as false knock-on errors.
    unreadable: set[str] = field(default_factory=set)

    def error(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message))

    def warning(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def check(self) -> None:
        """Raise `DossierError` with every error so far, if there is one."""
        if self.errors:
            raise DossierError(self.errors)
