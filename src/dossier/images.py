"""Images in content: what `![alt](assets/x.png)` may point at, checked where it is written.

WeasyPrint reports a bad image only while laying out, at no useful place (the
theme's `style.css:1:1`), and Pillow prints its own warnings to the terminal.
So every image the content references is checked here, before layout, and
each refusal is one message for the reference in the content:

- the path: a relative file inside the dossier's `assets/` (after `..` and
  symlinks), named .png, .jpg/.jpeg or .svg;
- a raster image: Pillow must read it as the format its name says, at most
  IMAGE_MAX_PIXELS pixels, complete and undamaged, without a warning;
- an SVG: well-formed XML without a DTD, drawing only from itself: no
  reference to another file or address (only `#id` of its own parts), no
  `<image>`, `<script>`, `<foreignObject>`, no CSS at-rule (`@import`,
  `@font-face`) or `url()` other than `url(#id)`; and the text it draws holds
  only characters content may hold (the fonts' coverage, no control or
  bidirectional characters: `fonts.char_problem`).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.parsers import expat

from . import fonts

IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".svg")
IMAGE_MAX_PIXELS = 50_000_000  # a 7000×7000 photograph; a "decompression bomb" declares far more
SVG_MAX_BYTES = 10 * 1024 * 1024
SVG_MAX_DEPTH = 1000  # nesting of elements; drawings from real tools stay far below
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
_READ_AS = {"PNG": {"PNG"}, "JPEG": {"JPEG", "MPO"}}  # Pillow reads a camera's multi-picture JPEG as MPO


def problem(root: Path, target: str, cover: fonts.Coverage | None = None) -> str | None:
    """What is wrong with the image `target` (as written in content) of the dossier at `root`,
    or None. `cover`, the theme fonts' coverage, is what an SVG's text must stay within."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target) or target.startswith("//"):
        return "expected a file in the dossier's assets/, not a URL"
    target = unquote(target)  # pandoc writes 'map 1.png' as 'map%201.png'; WeasyPrint reads it back the same way
    if target.startswith("/") or "\\" in target:
        return "expected a relative path in assets/, not an absolute path"
    if ".." in Path(target).parts:
        return "'..' is not allowed, expected a path inside assets/"
    assets = (root / "assets").resolve()
    path = (root / target).resolve()
    if not path.is_relative_to(assets):
        return "expected a path inside the dossier's assets/"
    if path.suffix.lower() not in IMAGE_TYPES:
        return "expected a PNG, JPEG or SVG file"
    if not path.is_file():
        return "file not found in assets/, expected an existing PNG, JPEG or SVG file"
    st = path.stat()
    return _content_problem(str(path), (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), cover)


@lru_cache(maxsize=256)  # an image cited many times is read once (the stamp changes with the file)
def _content_problem(path: str, _stamp: tuple[int, ...], cover: fonts.Coverage | None) -> str | None:
    suffix = Path(path).suffix.lower()
    if suffix == ".svg":
        return svg_problem(Path(path), cover)
    return raster_problem(Path(path), _FORMATS[suffix])


# -- raster images (Pillow, as WeasyPrint reads them) ------------------------------------------


@contextmanager
def _strict_pillow() -> Iterator[Any]:
    """Pillow as a checker: truncated files fail (WeasyPrint, once imported, tells Pillow to pad
    them silently), its warnings are collected, not printed, and its own pixel limit is off for
    the header read: ours is lower and checked before anything is decoded, naming the size."""
    from PIL import Image, ImageFile

    saved = ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = False, None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = saved


def raster_problem(path: Path, kind: str) -> str | None:
    """The file must be what its name says, at most IMAGE_MAX_PIXELS pixels, complete (a PNG's
    chunks and checksums, a JPEG decoded at 1/8 scale), and raise no Pillow warning."""
    from PIL import Image, UnidentifiedImageError

    with _strict_pillow() as caught:
        try:
            with Image.open(path, formats=[kind]) as image:
                if image.format not in _READ_AS[kind]:
                    return f"not a {kind} image (Pillow reads it as {image.format}), expected a {kind} file"
                width, height = image.size
                if width * height > IMAGE_MAX_PIXELS:
                    return f"a {kind} of {width}×{height} pixels, expected at most {IMAGE_MAX_PIXELS:,} pixels"
                if kind == "PNG":
                    image.verify()
                else:
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
            with Image.open(path, formats=[kind]) as image:
                image.getexif()  # WeasyPrint reads the orientation: a broken EXIF block warns there
        except UnidentifiedImageError:
            return f"not a {kind} image (its content says otherwise), expected a {kind} file"
        except Exception as exc:  # noqa: BLE001 - whatever Pillow raises, the file cannot be used
            return f"a damaged {kind} ({_reason(exc)}), expected a complete {kind} file"
    for warning in caught:
        return f"a {kind} Pillow warns about ({_reason(warning.message)}), expected a clean {kind} file"
    return None


def _reason(exc: object) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


# -- SVG ------------------------------------------------------------------------------------

_REFUSED_ELEMENTS = {"image", "script", "foreignobject", "iframe", "feimage"}
_TEXT_ELEMENTS = {"text", "tspan", "textpath", "title", "desc"}
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)


class _Refused(Exception):
    pass


# Attributes that give sizes and coordinates: WeasyPrint draws non-finite or absurd numbers
# into the PDF (a width of 1e400 wrote `inf` operators) or fails at no useful place.
_GEOMETRY = frozenset("x y x1 y1 x2 y2 cx cy r rx ry dx dy width height viewbox transform points d stroke-width font-size offset".split())
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\b(?:inf|infinity|nan)\b", re.IGNORECASE)
SVG_MAX_NUMBER = 1e7  # units: far beyond any drawing, far below what overflows a PDF reader


def _check_numbers(element: str, attr: str, value: str, refuse: Callable[[str], None]) -> None:
    numbers = []
    for token in _NUMBER.findall(value):
        number = float(token)
        if not math.isfinite(number) or abs(number) > SVG_MAX_NUMBER:
            refuse(f'<{element} {attr}="{value.strip()[:40]}"> holds the number {token}, expected finite numbers of at most {SVG_MAX_NUMBER:,.0f}')
        numbers.append(number)
    if attr == "viewbox" and (len(numbers) != 4 or numbers[2] <= 0 or numbers[3] <= 0):
        refuse(f'<{element} viewBox="{value.strip()[:40]}">, expected four numbers: x y width height, with width and height above 0')


def svg_problem(path: Path, cover: fonts.Coverage | None) -> str | None:
    """What in this SVG would make WeasyPrint fetch something, or draw text content may not hold.

    Decided by what WeasyPrint acts on, which ignores namespaces: `<x:image>` is drawn as an
    image, so elements and attributes are judged by their local names."""
    if path.stat().st_size > SVG_MAX_BYTES:
        return f"an SVG of {path.stat().st_size:,} bytes, expected at most {SVG_MAX_BYTES:,}"
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[str] = []
    style: list[str] = []
    style_line = [1]  # where the text of the <style> being read starts

    def refuse(what: str, line: int = 0) -> None:
        raise _Refused(f"line {line or parser.CurrentLineNumber} of the SVG: {what}")

    def refuse_in_style(what: str, css_line: int = 1) -> None:
        refuse(what, style_line[0] + css_line - 1)

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if not stack and local != "svg":
            refuse(f"<{local}> as its root element, expected <svg>")
        stack.append(local.lower())
        if len(stack) > SVG_MAX_DEPTH:
            refuse(f"elements nested more than {SVG_MAX_DEPTH} deep, expected a flatter drawing")
        if local.lower() in _REFUSED_ELEMENTS:
            refuse(f"<{local}>, expected only drawing elements (an SVG may not embed images, scripts or HTML)")
        for attr, value in attrs.items():
            attr_local = attr.rsplit(" ", 1)[-1].lower()
            if attr_local == "href" and value.strip() and not value.strip().startswith("#"):
                refuse(
                    f'<{local} {attr_local}="{value.strip()}"> refers to another file or address, '
                    "expected only #id references to the SVG's own parts"
                )
            elif attr_local == "style":
                _check_css(value, lambda what, _line=1: refuse(what), declarations=True)
            elif "url(" in value.lower():
                _check_urls(value, refuse)
            if attr_local in _GEOMETRY or attr_local.endswith(("width", "height")):
                _check_numbers(local, attr_local, value, refuse)

    def end(_name: str) -> None:
        if stack.pop() == "style":
            _check_css("".join(style), refuse_in_style, declarations=False)
            style.clear()

    def text(data: str) -> None:
        if stack and stack[-1] == "style":
            if not style:
                style_line[0] = parser.CurrentLineNumber
            style.append(data)
        elif cover is not None and _TEXT_ELEMENTS.intersection(stack):
            for char in data:
                found = fonts.char_problem(char, cover)
                if found:
                    refuse(f"in its text, {found}")

    def doctype(*_args: object) -> None:
        refuse("a DOCTYPE (DTD), expected an SVG file without a DOCTYPE")

    def instruction(target: str, _data: str) -> None:
        refuse(f"a processing instruction <?{target} ...?>, expected none (an SVG draws from itself)")

    def external(*_args: object) -> int:
        refuse("an external entity, expected an SVG file without a DOCTYPE")
        return 0

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.ProcessingInstructionHandler = instruction
    parser.ExternalEntityRefHandler = external
    try:
        parser.Parse(path.read_bytes(), True)
    except _Refused as exc:
        return str(exc)
    except expat.ExpatError as exc:
        return f"not a well-formed SVG ({expat.ErrorString(exc.code)} at line {exc.lineno}), expected an SVG file"
    return None


def _check_css(css: str, refuse: Any, declarations: bool) -> None:
    """CSS in an SVG (`<style>`, `style=`): no at-rule (WeasyPrint fetches `@import` and
    `@font-face` sources) and no `url()` but `url(#id)`. Read with tinycss2, as WeasyPrint
    reads it, so that CSS escapes (`\\40 import`) are seen as what they mean."""
    import tinycss2

    nodes = tinycss2.parse_blocks_contents(css) if declarations else tinycss2.parse_stylesheet(css)
    pending = list(nodes)
    while pending:
        node = pending.pop(0)
        kind = getattr(node, "type", "")
        line = getattr(node, "source_line", 1)
        if kind == "at-rule":
            refuse(f"@{node.at_keyword} in its CSS, expected plain style rules (no @import, @font-face)", line)
        elif kind == "url":
            _url_target(node.value, refuse, line)
        elif kind == "function" and node.lower_name == "url":
            _url_target("".join(getattr(a, "value", "") for a in node.arguments if a.type == "string"), refuse, line)
        elif kind == "error":
            refuse(f"CSS it cannot read ({node.message}), expected well-formed CSS", line)
        for attr in ("prelude", "content", "value", "arguments"):
            children = getattr(node, attr, None)
            if isinstance(children, list):
                pending += children


def _check_urls(value: str, refuse: Any) -> None:
    for match in _URL.finditer(value):
        _url_target(match.group(2), lambda what, _line: refuse(what))


def _url_target(url: str, refuse: Any, line: int = 1) -> None:
    if not url.strip().startswith("#"):
        refuse(f"url({url.strip()}) refers to another file or address, expected only url(#id) of the SVG's own parts", line)
