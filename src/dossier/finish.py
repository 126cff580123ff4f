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
from .cache import Store
from .profiles import Profile


@dataclass(frozen=True)
class DocMeta:
    """What the XMP and the document information say about the briefing (plain data)."""

    title: str = ""
    authors: tuple[str, ...] = ()
    language: str = "en"
    subtitle: str = ""
    edition: str = ""  # ISO date of the edition, or ""
    version: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    """What the finishing passes need to know besides the PDF itself: plain data only."""

    profile: Profile = field(default_factory=Profile)
    epoch: int | None = None  # seconds since 1970 (UTC) for every date written into the file; None: no dates
    root: Path = Path(".")  # the dossier folder
    theme_dirs: tuple[Path, ...] = ()
    meta: DocMeta = field(default_factory=DocMeta)  # title, authors, … for the XMP and document information
    targets: tuple[tuple[str, str], ...] = ()  # (id, what a link to it goes to) for links' alternative text
    attachments: tuple[Attachment, ...] = ()  # archive: the files to embed (archive.collect)


def finish(pdf: bytes, job: Job, store: Store | None = None) -> bytes:
    """Run the profile's passes on the PDF and write it deterministically; `store` keeps the
    font subsets for the next build (pdffonts.py)."""
    import pikepdf

    from . import pdffonts, pdfslim
    from .pdftags import tag

    email = job.profile.name == "email"
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        tag(doc, job.meta, job.epoch, dict(job.targets))  # accessible tags and XMP (pdftags.py)
        pdffonts.resubset(doc, store)  # every profile: fonts cut down to the glyphs shown
        if email:
            pdfslim.slim(doc)  # the same pages in fewer bytes
        if job.attachments:
            attach(doc, job.attachments, job.epoch)
        out = io.BytesIO()
        with pdfslim.compression(9 if email else -1):
            doc.save(
                out,
                deterministic_id=True,
                compress_streams=True,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
            )
    return out.getvalue()
