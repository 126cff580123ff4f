"""Merging the subsets of one font face that separately typeset parts carry (see pdfjoin.py)."""

from __future__ import annotations

import pikepdf


def merge_fonts(doc: pikepdf.Pdf) -> None:
    """One font dictionary per face (placeholder: leaves the fonts as they are)."""
    del doc
