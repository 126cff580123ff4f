"""Stand-in for the joiner of branch `join` (replaced when it is merged): the parts' pages one
after the other, a blank page where a part asks for one. Links and structure are not joined."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

EXTERNAL = "dossier-anchor:"


@dataclass(frozen=True)
class Part:
    pdf: bytes
    blank_before: bool = False


class JoinError(Exception):
    """A part that cannot be joined."""


def join(parts: Sequence[Part]) -> bytes:
    import pikepdf

    out = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(p.pdf)) for p in parts]
    for part, source in zip(parts, sources, strict=True):
        if part.blank_before:
            box = source.pages[0].mediabox
            out.add_blank_page(page_size=(float(box[2]), float(box[3])))
        out.pages.extend(source.pages)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True)
    return buffer.getvalue()
