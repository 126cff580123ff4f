"""The four outputs of one dossier: `standard`, `print`, `email`, `archive`.

A profile is plain data, chosen on the command line (`dossier build --profile NAME`) and
handed to every stage that differs by use: the templates see its name (`profile`, and the
class `profile-NAME` on `<html>`), typesetting its WeasyPrint options, and the finishing
step (finish.py) the passes it runs on the PDF. Every profile is a tagged PDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NAMES = ("standard", "print", "email", "archive")
DEFAULT_MAX_SIZE = 2_000_000  # bytes: the email profile warns above this


@dataclass(frozen=True)
class Profile:
    name: str = "standard"
    bleed_mm: float = 0.0  # print: paper beyond the trim on every side (TrimBox, BleedBox)
    marks: bool = False  # print: crop marks in the bleed area
    max_size: int = DEFAULT_MAX_SIZE  # email: warn when the file is larger

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise ValueError(f"unknown profile '{self.name}', expected one of {', '.join(NAMES)}")

    def default_output(self, folder: Path = Path("build"), stem: str = "briefing") -> Path:
        """build/briefing.pdf for standard, build/briefing-NAME.pdf for the others."""
        return folder / (f"{stem}.pdf" if self.name == "standard" else f"{stem}-{self.name}.pdf")

    @property
    def options(self) -> dict[str, object]:
        """What the templates see as `profile_options` (plain data)."""
        return {"bleed_mm": self.bleed_mm, "marks": self.marks, "max_size": self.max_size}


_UNITS_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}


def parse_length(value: str) -> float:
    """A CSS-like length ('3mm', '0.125in', '9pt') in millimetres; a bare 0 is allowed."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(mm|cm|in|pt|pc|px)?\s*", value)
    if not match or (match.group(2) is None and float(match.group(1)) != 0):
        raise ValueError(f"'{value}' is not a length, expected a number with a unit such as 3mm or 0.125in")
    mm = float(match.group(1)) * _UNITS_MM[match.group(2) or "mm"]
    if mm > 25.4:
        raise ValueError(f"'{value}' is more bleed than a print shop uses, expected at most 1in (25.4mm)")
    return mm


def parse_size(value: str) -> int:
    """A file size ('2MB', '500kB', '1.5MiB', '300000') in bytes."""
    units = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*", value, re.IGNORECASE)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"'{value}' is not a file size, expected a number with a unit such as 2MB or 500kB")
    return int(float(match.group(1)) * units[(match.group(2) or "").lower()])


def human_size(size: int) -> str:
    """A file size as the tool prints it: '198 KB', '2.4 MB' (powers of 1000, as --max-size)."""
    if size < 1000**2:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1000**2:.1f} MB"
