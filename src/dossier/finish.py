"""Stage 5b: the finishing passes on WeasyPrint's PDF, by profile (pikepdf, on qpdf).

WeasyPrint writes the pages; what it cannot do, or does wrong, is done here on the
PDF's objects, each concern in its own module, each pass a function of the open PDF
and the plain-data `Job`. The file is then written once, deterministically: the same
input bytes and job give the same output bytes (`deterministic_id`, no timestamps).

pikepdf, not hand-written PDF parsing: it reads and writes every object qpdf can,
keeps object streams and cross-references valid, and is what the tests read PDFs with.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from .archive import Attachment, attach
from .profiles import Profile


@dataclass(frozen=True)
class Job:
    """What the finishing passes need to know besides the PDF itself: plain data only."""

    profile: Profile = field(default_factory=Profile)
    epoch: int = 0  # seconds since 1970 (UTC) for every date written into the file
    root: Path = Path(".")  # the dossier folder
    theme_dirs: tuple[Path, ...] = ()
    attachments: tuple[Attachment, ...] = ()  # archive: the files to embed (archive.collect)


def finish(pdf: bytes, job: Job) -> bytes:
    """Run the profile's passes on the PDF and write it deterministically."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        if job.attachments:
            attach(doc, job.attachments, job.epoch)
        out = io.BytesIO()
        doc.save(
            out,
            deterministic_id=True,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
    return out.getvalue()
