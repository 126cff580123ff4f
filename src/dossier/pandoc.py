"""Stage 3, the pandoc call: every field of the dossier through one pandoc process.

`pandoc_bridge.lua` runs inside pandoc (`pandoc lua`): pandoc's Markdown reader parses the
fields (pandoc citation syntax, inline footnotes, `lang` spans) and its citeproc formats every
citation and the bibliography with the dossier's CSL style. This module builds the bridge's
JSON payload, runs pandoc under the build's ceilings and returns pandoc's JSON AST.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from . import sandbox
from .cite import Entry
from .errors import DossierError, Location, display
from .fields import Field

BRIDGE = Path(__file__).parent / "pandoc_bridge.lua"
_BASE = (
    "markdown-raw_html-raw_tex-raw_attribute-native_divs-native_spans-fenced_divs-link_attributes"
    "-yaml_metadata_block-pandoc_title_block-mmd_title_block-tex_math_dollars-tex_math_single_backslash"
    "-auto_identifiers-implicit_header_references-header_attributes-fenced_code_attributes"
    "-inline_code_attributes-latex_macros-implicit_figures-example_lists-footnotes+inline_notes+smart"
)
FORMATS = {"block": _BASE, "inline": _BASE, "quote": _BASE + "-citations", "cite": _BASE}
JSON_DEPTH = 150  # levels of a field's JSON AST (2-3 a level of the AST) the bridge lets through


def pandoc_path() -> str:
    """The pandoc binary shipped by the pypandoc-binary wheel (pandoc 3, with citeproc)."""
    override = os.environ.get("DOSSIER_PANDOC")
    if override:
        return override
    import pypandoc  # noqa: PLC0415 - imported late: only its path is needed

    # The wheel's own binary, found without running it: pypandoc's lookup runs `pandoc
    # --version`, which would fail (and print a traceback) under a low memory ceiling.
    bundled = Path(pypandoc.__file__).parent / "files" / "pandoc"
    return str(bundled) if bundled.is_file() else str(pypandoc.get_pandoc_path())


def run_pandoc(fields: list[Field], entries: list[Entry], csl: Path, lang: str) -> dict[str, Any]:
    """One pandoc call for the whole dossier; returns pandoc's JSON AST."""
    payload = json.dumps(
        {
            "formats": FORMATS,
            "fields": [{"key": f.key, "text": f.text, "mode": f.mode} for f in fields],
            "references": json.dumps([e.csl for e in entries if e.bibtex is None], ensure_ascii=False),
            "bibtex": list(dict.fromkeys(e.bibtex for e in entries if e.bibtex is not None)),
            "bibtex_lang": lang,
            "csl": str(csl),
            "lang": _csl_lang(lang),
            "punctuation_in_quote": _csl_lang(lang) == "en-US",
            "nonce": secrets.token_hex(8),
            "max_depth": JSON_DEPTH,
        },
        ensure_ascii=False,
    ).encode("utf-8", "replace")  # a lone surrogate (YAML "\udfff") is reported by the glyph check
    try:
        # Under the build's ceilings: nested or cyclic input can make pandoc huge or slow.
        proc = sandbox.run_command(
            [pandoc_path(), "lua", str(BRIDGE)],
            payload,
            "formatting rich text and citations",
            env={**os.environ, "LANG": "C.UTF-8"},
        )
    except FileNotFoundError:
        raise DossierError.at(Location(str(csl)), "pandoc not found, expected the pypandoc-binary package (run make)") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        lines = lines[: next((i for i, x in enumerate(lines) if x.startswith("stack traceback")), len(lines))]
        message = " ".join(" ".join(lines).split())[:300]  # one line: no Lua traceback, no wall of text
        raise DossierError.at(Location(display(csl), 1, 1), f"citation processing failed: {message}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _csl_lang(lang: str) -> str:
    return "en-US" if lang == "en" else lang
