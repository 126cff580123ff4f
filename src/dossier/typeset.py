"""Stage 5: HTML to PDF bytes with WeasyPrint, reading nothing it should not.

It runs in the forked child of `sandbox.run_limited()`, under the build's time and memory
ceilings. The URL fetcher reads only files inside the dossier's `assets/` and the
theme folders, and never the network; anything else stops the build. Every
warning or error WeasyPrint logs (a missing image, bad CSS, an unusable
font) fails the build with what caused it, since WeasyPrint itself only logs
them and carries on.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from . import weasy
from .errors import DossierError, Location, Problem, display
from .profiles import Profile
from .sourcedate import w3c_date


class _Refused(BaseException):
    """Raised inside WeasyPrint to stop rendering (its FatalURLFetchingError is a BaseException too)."""


def _fetcher_class() -> type:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class LockedFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self, roots: list[Path]):
            super().__init__(allowed_protocols=("file",), allow_redirects=False)
            self.roots = [r.resolve() for r in roots]

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            parts = urlsplit(url)
            if parts.scheme != "file":
                raise FatalURLFetchingError(f"refused to fetch '{url}': only files of the dossier and theme are read")
            path = Path(unquote(parts.path)).resolve()
            if not any(path.is_relative_to(r) for r in self.roots) or not path.is_file():
                raise FatalURLFetchingError(f"refused to read '{path}': not a file of the dossier's assets or the theme")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})

    return LockedFetcher


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _css_file(theme_dirs: list[Path]) -> str:
    """The style.css in use (the dossier's own or the theme's), as messages show it."""
    return next((display(d / "style.css") for d in theme_dirs if (d / "style.css").is_file()), "style.css")


def _located(message: str, css_name: str) -> Problem:
    """A WeasyPrint log line as a problem; CSS messages carry 'at LINE:COL' of style.css."""
    match = re.search(r"\bat (\d+):(\d+)\b", message)
    if match:
        return Problem(Location(css_name, int(match.group(1)), int(match.group(2))), f"stylesheet: {message}")
    return Problem(Location(css_name, 1, 1), f"typesetting: {message}")


def _overflowing_notes(document: Any) -> list[tuple[int, str, str]]:
    """(page, note id, where written) of each footnote on a page whose footnote area runs above
    the page's content box (see `weasy.footnotes_above_content`)."""
    return [(number, e.get("data-note") or "", e.get("data-src") or "") for number, e in weasy.footnotes_above_content(document)]


def _split_notes(html: str, notes: set[str]) -> str:
    """Split the given footnotes at their break points into a note and its continuations."""
    for ident in notes:
        found = re.search(f'<span class="footnote" data-note="{re.escape(ident)}" data-src="([^"]*)">', html)
        where = found.group(1) if found else ""  # each part names where the note is written
        html = html.replace(
            f'<wbr class="fn-split" data-note="{ident}">',
            f'</span><span class="footnote footnote-cont" data-note="{ident}" data-src="{where}">',
        )
    return html


def _too_tall(overflowing: list[tuple[int, str, str]]) -> DossierError:
    problems = []
    seen = set()
    for number, ident, where in overflowing:
        if ident in seen:  # one line per note, at its first page, whatever number of parts overflow
            continue
        seen.add(ident)
        file, _, col = where.rpartition(":")
        file, _, line = file.rpartition(":")
        loc = Location(file, int(line), int(col)) if file and line.isdigit() and col.isdigit() else Location("?", 1, 1)
        problems.append(
            Problem(
                loc,
                f"footnote too long for page {number}: even split between its sentences it does not fit, "
                "expected a shorter note (or the text in the body)",
            )
        )
    return DossierError(problems)


EMAIL_DPI = 150  # pixels per inch of printed size: sharp on screen, half of what print wants
EMAIL_JPEG_QUALITY = 75
SecondPass = Callable[[dict[str, int]], tuple[str, str]]
ARCHIVE_VARIANT = "pdf/a-3u"


def _options(profile: Profile) -> tuple[dict[str, Any], dict[str, Any]]:
    """WeasyPrint's options for a profile: those of `render()` and those of `write_pdf()`.
    Every profile is tagged. Email downsamples raster images to EMAIL_DPI at their printed
    size and re-encodes JPEGs at EMAIL_JPEG_QUALITY: WeasyPrint reads these when it loads
    the images, that is in `render()`, and ignores them in `write_pdf()`. archive is PDF/A-3u
    (with an sRGB output intent): see archive.py for why not 3a."""
    render: dict[str, Any] = {}
    if profile.name == "email":
        render = {"dpi": EMAIL_DPI, "jpeg_quality": EMAIL_JPEG_QUALITY, "optimize_images": True}
    if profile.name == "archive":
        return render, {"pdf_tags": True, "pdf_variant": ARCHIVE_VARIANT}
    return render, {"pdf_tags": True}


@dataclass(frozen=True)
class PartLayout:
    """What laying out one part gives: its page count, the page (from 1) of each id in it, and,
    when asked for, its PDF and the fonts drawn (see `typeset_part`)."""

    pages: int
    anchors: dict[str, int]
    pdf: bytes | None = None
    fonts: tuple[dict[str, object], ...] = ()


LayOut = Callable[[str, str], Any]


@contextmanager
def _weasyprint(root: Path, theme_dirs: list[Path], profile: Profile) -> Iterator[LayOut]:
    """A function laying out HTML and CSS with the locked fetcher; every WeasyPrint complaint
    while it is used fails, as a problem at the stylesheet."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import FatalURLFetchingError

    render_options, _ = _options(profile)
    fetcher = _fetcher_class()([root / "assets", *theme_dirs])
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    base = root.resolve().as_uri() + "/"

    def lay_out(html: str, css: str) -> Any:
        stylesheet = CSS(string=css, base_url=base, url_fetcher=fetcher)
        with weasy.settled_counters():  # a page is laid out again only when a number it prints changed
            return HTML(string=html, base_url=base, url_fetcher=fetcher).render(stylesheets=[stylesheet], **render_options)

    try:
        yield lay_out
    except FatalURLFetchingError as exc:
        cause = exc.__cause__ or exc
        raise DossierError.at(Location(_css_file(theme_dirs), 1, 1), f"typesetting stopped: {cause}") from None
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise DossierError([_located(m, _css_file(theme_dirs)) for m in handler.messages])


def _laid_out(lay_out: LayOut, html: str, css: str, second_pass: SecondPass | None) -> Any:
    """The laid-out document, footnotes too tall for their page split between their sentences."""
    document = lay_out(html, css)
    split: set[str] = set()
    overflowing = _overflowing_notes(document)
    if overflowing:  # split the too-tall notes between sentences so they continue overleaf
        split = {ident for _page, ident, _where in overflowing if ident}
        html = _split_notes(html, split)
        document = lay_out(html, css)
    if second_pass is not None:
        html, css = second_pass(weasy.pages_by_anchor(document))
        html = _split_notes(html, split)
        document = lay_out(html, css)
    if overflowing := _overflowing_notes(document):
        # A long note that overruns pushes the short notes after it off the page as well:
        # name the long ones (those split into parts), not their victims.
        parts = {ident for ident in split if f'footnote-cont" data-note="{ident}"' in html}
        raise _too_tall([o for o in overflowing if o[1] in parts] or overflowing)
    return document


def _written(document: Any, profile: Profile, epoch: int | None) -> bytes:
    """The laid-out document as PDF bytes, dated `epoch` (or undated), tagged."""
    from .pdftags import tagged_at_source

    _, write_options = _options(profile)
    # WeasyPrint reads no SOURCE_DATE_EPOCH: the dates are set here, or none are written
    # (not even the edition a template may give as dcterms.created).
    document.metadata.created = document.metadata.modified = None if epoch is None else w3c_date(epoch)
    if profile.name == "archive":
        from .pdfmeta import claim_pdfua

        claim_pdfua(document.metadata)
    with tagged_at_source():  # /Lang from lang attributes, footnotes as Note
        pdf = document.write_pdf(**write_options)
    assert isinstance(pdf, bytes)
    return pdf


def typeset(
    html: str,
    css: str,
    root: Path,
    theme_dirs: list[Path],
    profile: Profile | None = None,
    epoch: int | None = None,
    second_pass: SecondPass | None = None,
    inspect: Callable[[Any], None] | None = None,
) -> bytes:
    """Lay out the HTML with its stylesheet and return PDF bytes; fail on any WeasyPrint complaint.

    With `second_pass`, the first layout's page of every id is handed to it, and the HTML and
    CSS it returns are laid out again (for what needs page numbers that CSS cannot compute,
    such as the pages citing each bibliography entry, without repeats).

    `epoch` (see sourcedate.py) is the creation and modification date of the PDF, in its
    information dictionary and XMP alike; without it the PDF carries no date. `inspect` sees
    the document once it is written (the archive reads the fonts WeasyPrint drew with)."""
    profile = profile or Profile()
    with _weasyprint(root, theme_dirs, profile) as lay_out:
        document = _laid_out(lay_out, html, css, second_pass)
        pdf = _written(document, profile, epoch)
        if inspect is not None:  # after writing: WeasyPrint collects the fonts while drawing
            inspect(document)
    return pdf


def typeset_part(
    html: str,
    css: str,
    root: Path,
    theme_dirs: list[Path],
    profile: Profile,
    epoch: int | None,
    write: bool,
    fonts: Callable[[Any], list[dict[str, object]]] | None = None,
) -> PartLayout:
    """Lay out one part (parts.py) as `typeset` lays out a whole document: its page count and
    the page of each id in it; with `write`, also its PDF and (`fonts`) the fonts it drew with."""
    with _weasyprint(root, theme_dirs, profile) as lay_out:
        document = _laid_out(lay_out, html, css, None)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages, 1):
            for name in page.anchors:  # an element over several pages is at its first, as target-counter() says
                anchors.setdefault(name, number)
        if not write:
            return PartLayout(len(document.pages), anchors)
        pdf = _written(document, profile, epoch)
        drawn = tuple(fonts(document)) if fonts is not None else ()
    return PartLayout(len(document.pages), anchors, pdf, drawn)
