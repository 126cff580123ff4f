"""The theme's own words ("Contents", "Page 3 of 12") in the dossier's language.

`words.yaml` maps a language tag to the theme's words in that language. The
theme's file must give every word in `en`; other languages may give some and
fall back to English for the rest. A dossier's own `templates/words.yaml` is
merged over the theme's, word by word, so a dossier can add a language or
change one word without copying the file.

A word may hold placeholders such as `{page}`; a translation must hold the same
ones as the English word. Templates fill them with the `fill` filter (HTML) or
`css_content` (a CSS `content:` value, for page margins and generated text).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from markupsafe import Markup, escape

from . import load
from .errors import DossierError, Location, Report, display
from .model import LANG_RE

FILE = "words.yaml"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def _placeholder_problem(lang: str, key: str, text: str, english: str) -> str | None:
    """A translation must fill the same `{placeholders}` as the English word."""
    if _placeholders(text) == _placeholders(english):
        return None
    wanted = ", ".join(f"{{{p}}}" for p in sorted(_placeholders(english))) or "no placeholder"
    return f"words.yaml: {lang}: '{key}' expected {wanted}, as in English"


def _read(path: Path, report: Report, known: dict[str, str] | None) -> dict[str, dict[str, tuple[str, Location]]]:
    """language → word → (text, where): one words.yaml, checked as far as it can be alone."""
    node, src = load.load_yaml(path, display(path))
    out: dict[str, dict[str, tuple[str, Location]]] = {}
    if not isinstance(node, yaml.MappingNode):
        report.error(
            load.location(src.name, node) if node else Location(src.name, 1, 1),
            "words.yaml: expected a mapping of language tags (en, de, ru, ...) to words",
        )
        return out
    for lang_node, words_node in node.value:
        lang = str(lang_node.value)
        if not LANG_RE.match(lang):
            report.error(load.location(src.name, lang_node), f"words.yaml: '{lang}' is not a BCP 47 tag, expected e.g. en, de, ru, ja")
            continue
        if not isinstance(words_node, yaml.MappingNode):
            report.error(load.location(src.name, words_node), f"words.yaml: {lang}: expected a mapping of words, e.g. 'contents: Contents'")
            continue
        words = out.setdefault(lang.lower(), {})
        for key, value in words_node.value:
            where = load.location(src.name, value)
            if known is not None and key.value not in known:
                report.error(load.location(src.name, key), f"words.yaml: unknown word '{key.value}', expected one of: {', '.join(sorted(known))}")
            elif not isinstance(value, yaml.ScalarNode) or not value.value.strip():
                report.error(where, f"words.yaml: {lang}: '{key.value}' expected a non-empty text")
            elif known is not None and (problem := _placeholder_problem(lang, key.value, value.value, known[key.value])):
                report.error(where, problem)
            else:
                words[key.value] = (value.value, where)
    return out


def theme_words(dirs: list[Path], language: str) -> dict[str, str]:
    """The words for `language` (exact tag, then its primary subtag, then English)."""
    report = Report()
    files = [d / FILE for d in reversed(dirs) if (d / FILE).is_file()]  # the theme's first, the dossier's over it
    if not files or files[0].parent != dirs[-1]:
        raise DossierError.at(Location(f"{display(dirs[-1])}/{FILE}", 1, 1), "words.yaml not found, expected the theme's words")
    base = _read(files[0], report, None)
    english = {k: text for k, (text, _) in base.get("en", {}).items()}
    if not english:
        report.error(Location(display(files[0]), 1, 1), "words.yaml: expected the theme's words in English, under 'en'")
    for lang, words in base.items():
        for key, (text, where) in words.items():
            if key not in english:
                report.error(where, f"words.yaml: {lang}: '{key}' has no English form under 'en', expected every word there first")
            elif problem := _placeholder_problem(lang, key, text, english[key]):
                report.error(where, problem)
    merged = {lang: {k: t for k, (t, _) in words.items()} for lang, words in base.items()}
    for path in files[1:]:
        for lang, words in _read(path, report, english).items():
            merged.setdefault(lang, {}).update({k: t for k, (t, _) in words.items()})
    report.check()
    tag = language.lower()
    chosen = dict(merged.get("en", {}))
    chosen.update(merged.get(tag.split("-")[0], {}))
    chosen.update(merged.get(tag, {}))
    return chosen


def fill(template: str, **values: object) -> Markup:
    """A word with its placeholders filled, as HTML: `{{ words.number|fill(number=d.number) }}`."""
    parts = _PLACEHOLDER.split(str(template))
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(escape(values[part]) if part in values else escape("{" + part + "}"))
        else:
            out.append(escape(part))
    return Markup("".join(out))


def _css_string(text: str) -> str:
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\\n\r\f' or ord(c) < 0x20 or c in "<>&" else c for c in text)
    return f'"{escaped}"'


def css_content(template: str, **values: str) -> Markup:
    """A word as a CSS `content:` value, placeholders replaced by CSS (e.g. `counter(page)`).

    `{{ words.page_of|css_content(page="counter(page)", pages="counter(pages)") }}` gives
    `"Page " counter(page) " of " counter(pages)`. The values are the template's own CSS;
    the word's text is always a quoted, escaped CSS string.
    """
    parts = _PLACEHOLDER.split(str(template))
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(values[part] if part in values else _css_string("{" + part + "}"))
        elif part:
            out.append(_css_string(part))
    return Markup(" ".join(out) or '""')
