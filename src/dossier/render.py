"""Stage 4: the theme's Jinja templates and the model to one HTML string.

Templates are looked up in the dossier's own `templates/` first, then in the
theme (MkDocs' `custom_dir`), file by file. Jinja runs sandboxed
(`template_sandbox.py`: calls on an allow-list, bounded work), with autoescape and
StrictUndefined: content is data and can never become markup or template
code, and a misspelt name in a template is an error naming `template:line`,
never an empty string. Templates see frozen records of plain data
(`view.py`), never the model's objects.

The templates also run once before formatting (`print_order`), with `rich` and `sources`
filters that only note each key: what they print, in that order, is the order citeproc is
sent the fields, so the order is written once, in the templates, whatever theme or dossier
override prints them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from markupsafe import Markup

from . import paper, theme, view, words
from .dates import DateValue, format_date
from .errors import DossierError, Location, Report, display
from .fields import Formatted, model_fields
from .model import SECTIONS, Dossier
from .profiles import Profile
from .template_sandbox import ThemeSandbox

TIMELINE_WIDTH_MM = 160.0  # the timeline's width at most; never wider than the page's text block
RUNNING_TITLE_WIDTH = 76  # columns (a CJK character counts two) that fit the running head of A4 on one line


def timeline_alt(d: Dossier, theme_words: Mapping[str, str]) -> str:
    """The timeline's alternative text, in the dossier's language: how many events, their span
    and each event in order (a screen reader cannot read the graphic's labels as a list)."""
    language = d.language
    events = "; ".join(
        words.fill(theme_words["timeline_alt_event"], date=format_date(e.date, language), title=e.title.value).unescape() for e in d.chronology
    )
    last = max(d.chronology, key=lambda e: (e.date.end or e.date.start).key)
    return words.fill(
        theme_words["timeline_alt"],
        count=len(d.chronology),
        events=events,
        first=format_date(DateValue(d.chronology[0].date.start), language),
        last=format_date(DateValue(last.date.end or last.date.start), language),
    ).unescape()


def running_title(d: Dossier) -> str:
    """The title in the running head: `short_title`, else `title`, cut at a word before it wraps
    (on A4 at RUNNING_TITLE_WIDTH columns, on other paper at as many as its text width holds)."""
    import unicodedata

    if d.short_title is not None:
        return d.short_title.value
    columns = int(RUNNING_TITLE_WIDTH * min(1.0, paper.page(d.paper).text_width / paper.page("A4").text_width))
    title = " ".join(d.title.value.split())
    widths = [2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in title]
    if sum(widths) <= columns:
        return title
    end, used = 0, 0
    while used + widths[end] <= columns - 1:
        used += widths[end]
        end += 1
    cut = title.rfind(" ", 0, end + 1)
    head = title[: cut if cut > end // 2 else end].rstrip(" ,;:–—-")
    return head + "…"


def environment(dirs: list[Path], filters: dict[str, Any]) -> ThemeSandbox:
    """The sandbox the templates of `dirs` run in, with the theme's `filters` besides Jinja's."""
    return ThemeSandbox(
        filters,
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def backrefs(citations: dict[str, list[str]], pages: dict[str, int]) -> dict[str, list[tuple[int, str]]]:
    """For each entry, the pages citing it, once each, with the first citation on that page."""
    out: dict[str, list[tuple[int, str]]] = {}
    for key, ids in citations.items():
        seen: dict[int, str] = {}
        for ident in ids:
            if ident in pages:
                seen.setdefault(pages[ident], ident)
        out[key] = sorted(seen.items())
    return out


def render_html(
    d: Dossier,
    formatted: Formatted,
    dirs: list[Path],
    cited_on: dict[str, list[tuple[int, str]]] | None = None,
    profile: Profile | None = None,
) -> tuple[str, str]:
    """The whole briefing as one HTML document, and its stylesheet (`style.css`), for a
    profile (standard, print, email, archive): templates see `profile` (its name),
    `profile_options` (bleed_mm, marks, max_size) and `page`, the paper's geometry in mm
    (size, width, height, top, bottom, inside, outside, text_width, cover_*; paper.py)."""

    def html(what: str, key: str) -> Markup:
        return _formatted(formatted.html if what == "rich" else formatted.sources, key, what)

    page = _Page(tuple(formatted.bibliography), formatted.notes > 0, cited_on or {}, profile or Profile())
    html_text, css = _render(d, dirs, html, page, full=True)
    assert css is not None
    return html_text, css


def print_order(d: Dossier, dirs: list[Path], report: Report, profile: Profile) -> list[str]:
    """The keys of the rich-text fields and `sources` citations the templates print, in the
    order they print them: the order citeproc must see (`fields.in_print_order`). The templates
    run once with recording `rich` and `sources` filters (about 0.1 s), without the timeline,
    the bibliography or citations, which formatting makes; a field no section formats is the
    same error as in the real rendering. A template error is added to `report`, at its line,
    and what was recorded until then is returned: the build stops before rendering again, so
    the error is reported once. The caller runs it under the templates' own time ceiling
    (`sandbox.templates_ceiling`), as it runs rendering."""
    formattable = {"rich": set[str](), "sources": set[str]()}
    for f in model_fields(d):
        formattable["sources" if f.mode == "cite" else "rich"].add(f.owner)
    printed: dict[str, None] = {}

    def record(what: str, key: str) -> Markup:
        if key not in formattable[what]:
            _formatted({}, key, what)  # raises, as the real rendering would
        printed.setdefault(key)
        return Markup("")

    try:
        _render(d, dirs, record, _Page((), False, {}, profile), full=False)
    except DossierError as exc:
        report.problems.extend(exc.problems)
    return list(printed)


@dataclass(frozen=True)
class _Page:
    """What the templates see of formatting besides the fields: the bibliography, whether there
    are notes, the pages citing each entry (second pass), and the profile."""

    bibliography: tuple[tuple[str, Markup], ...]
    has_notes: bool
    cited_on: dict[str, list[tuple[int, str]]]
    profile: Profile


def _render(d: Dossier, dirs: list[Path], html: Callable[[str, str], Markup], page: _Page, full: bool) -> tuple[str, str | None]:
    """base.html rendered with the field HTML that `html(filter, key)` gives, and, `full` (not
    the recording pass of `print_order`), with the timeline and style.css; every template
    error raised as a DossierError at its template line."""
    profile = page.profile
    language = d.language

    def rich(obj: object) -> Markup:
        """A rich-text field's HTML; nothing for a field left empty (`{{ e.text|rich }}`)."""
        if obj is None:
            return Markup("")
        if not isinstance(obj, view.RichText):
            raise TypeError(f"rich: got {_kind(obj)}, expected a rich-text field such as d.summary or e.text")
        return html("rich", obj.key)

    def sources(obj: object) -> Markup:
        """The citation of an item's sources; nothing for an event or interpretation without them."""
        if isinstance(obj, (view.Event, view.Interpretation)) and not obj.sources:
            return Markup("")
        if not isinstance(obj, (view.Event, view.Excerpt, view.Interpretation)):
            raise TypeError(f"sources: got {_kind(obj)}, expected an event, excerpt or interpretation (e, x, i)")
        return html("sources", obj.key)

    def date(value: DateValue | None) -> str:
        return format_date(value, language) if value is not None else ""

    def language_name(tag: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            return str(Locale.parse(tag.replace("-", "_")).get_display_name(language.replace("-", "_")) or tag)
        except (UnknownLocaleError, ValueError):
            return tag

    def form_languages(names: tuple[view.Name, ...]) -> tuple[str, ...]:
        """Language tags of the names' forms, in order of first use: the columns of the names table."""
        return tuple(dict.fromkeys(tag for n in names for tag in n.forms))

    env = environment(
        dirs,
        dict(
            rich=rich,
            sources=sources,
            date=date,
            language_name=language_name,
            form_languages=form_languages,
            fill=words.fill,
            css_content=words.css_content,
        ),
    )
    theme_words = words.theme_words(dirs, language)
    geometry = paper.page(d.paper, profile.name)
    timeline = Markup("")
    if full and "chronology" in d.sections and d.chronology:
        from .timeline import TimelineEvent, timeline_html

        # timeline_html escapes every label; the overlays make its events links in the PDF.
        events = [TimelineEvent(e.date, e.title.value, e.id) for e in d.chronology]
        width = min(TIMELINE_WIDTH_MM, geometry.text_width)  # an SVG does not reflow: drawn to fit
        timeline = Markup(timeline_html(events, width, language, timeline_alt(d, theme_words), theme.read_theme(dirs).timeline))
    context: dict[str, Any] = {  # plain data only (see view.py): templates are code
        "timeline": timeline,
        "d": view.dossier_view(d),
        "sections": tuple(d.sections),
        "words": view.frozen(theme_words),
        "section_titles": view.frozen({s: theme_words[s] for s in SECTIONS}),
        "running_title": running_title(d),
        "bibliography": page.bibliography,
        "has_notes": page.has_notes,
        "cited_on": view.frozen(page.cited_on),
        "profile": profile.name,
        "profile_options": view.frozen(profile.options),
        "page": view.frozen(geometry.css()),
    }
    try:
        body = env.get_template("base.html").render(context)
        if not full:
            return body, None
        css = env.get_template("style.css").render(context)
        return body, css + page_options(d.paper, profile)
    except jinja2.TemplateSyntaxError as exc:
        raise DossierError.at(
            _template_location(exc.filename or exc.name or "?", exc.lineno),
            f"template syntax error: {exc.message}",
        ) from None
    except jinja2.TemplateNotFound as exc:
        file, line = _failing_template(sys.exc_info()[2], dirs)
        raise DossierError.at(_template_location(file, line), f"template '{exc.name}' not found in the dossier or the theme") from None
    except Exception as exc:  # any error raised while a template runs is that template's error, at its line
        file, line = _failing_template(sys.exc_info()[2], dirs)
        if isinstance(exc, jinja2.UndefinedError):
            message = "undefined name: " + re.sub(r"'[\w.]*?(\w+) object'", r"'\1'", str(exc))
        elif isinstance(exc, TimeoutError):  # sandbox.time_limit: stopped at the line that was running
            message = str(exc)
        elif isinstance(exc, MemoryError):  # under the memory ceiling of sandbox.run_limited
            message = "template needed more memory than the ceiling allows, expected less (see --memory)"
        else:
            message = f"template error: {exc}"
        raise DossierError.at(_template_location(file, line), message) from None


def page_options(size: str, profile: Profile) -> str:
    """The CSS of what the command line and dossier.yaml decide, not the theme: the paper size,
    and in print the bleed and crop marks. Appended after the theme's style.css (the default or
    a dossier's own), so it holds whatever that sets. WeasyPrint makes the page box the TrimBox
    and the bleed around it the MediaBox; without --bleed, `--marks` gets WeasyPrint's 6 pt."""
    rules = [f"size: {size};"]
    if profile.bleed_mm:
        rules.append(f"bleed: {profile.bleed_mm:g}mm;")
    if profile.marks:
        rules.append("marks: crop;")
    return "\n@page { " + " ".join(rules) + " }\n"


def _formatted(html: dict[str, Markup], key: str, what: str) -> Markup:
    """The HTML richtext made under `key`: a field it did not format is an error, never an empty string."""
    if key not in html:
        raise LookupError(f"{what}: no HTML for '{key}', expected a field of a section listed in 'sections'")
    return html[key]


def _kind(obj: object) -> str:
    return "text" if isinstance(obj, str) else f"'{type(obj).__name__}'"


def _failing_template(tb: TracebackType | None, dirs: list[Path]) -> tuple[str, int]:
    """The innermost template frame of a traceback (Jinja maps frames to template lines)."""
    found = ("base.html", 1)
    roots = [str(d) for d in dirs]
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if any(filename.startswith(r) for r in roots):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _template_location(filename: str, line: int | None) -> Location:
    return Location(display(Path(filename)), line or 1, 1)
