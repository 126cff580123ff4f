"""Stage 3, the pandoc call: every field of the dossier through one pandoc process.

`pandoc_bridge.lua` runs inside pandoc (`pandoc lua`): pandoc's Markdown reader parses the
fields (pandoc citation syntax, inline footnotes, `lang` spans) and its citeproc formats every
citation and the bibliography with the dossier's CSL style. This module builds the bridge's
JSON payload, runs pandoc under the build's ceilings and returns pandoc's JSON AST.

With a `cache.Store`, pandoc's output is kept under the kind "pandoc", keyed by everything it
depends on (`bridge_key`), and a build whose fields, bibliography, style and language are
unchanged reads it back instead of running pandoc: the same bytes pandoc would write.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from . import cache, sandbox
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


def pandoc_version(store: cache.Store | None = None) -> str:
    """The first line of `pandoc --version`: part of every key of pandoc's output. Kept in the
    store under the binary's path, size and modification time, so it is asked once per pandoc."""
    path = pandoc_path()
    try:
        st = os.stat(path)
        binary = f"{path}\0{st.st_size}\0{st.st_mtime_ns}"
    except OSError:
        binary = path
    digest = cache.key("pandoc --version", binary)
    if store is not None and (kept := store.get("pandoc", digest)) is not None:
        return kept.decode("utf-8", "replace")
    proc = sandbox.run_command([path, "--version"], b"", "asking pandoc its version")
    lines = proc.stdout.decode("utf-8", "replace").splitlines()
    version = lines[0] if proc.returncode == 0 and lines else ""
    if store is not None and version:
        store.put("pandoc", digest, version.encode("utf-8"))
    return version


def bridge_key(payload: dict[str, Any], csl: Path, version: str) -> str:
    """The key of pandoc's output for a payload: the payload itself (every field's text and
    mode, the CSL-JSON entries and BibTeX texts of the bibliography, the language), without the
    nonce the bridge only uses to split fields (it never reaches the output) and with the CSL
    style's bytes for its path; the bridge's Lua source; `pandoc --version`; `cache.versions()`."""
    stable = {k: v for k, v in payload.items() if k not in ("nonce", "csl")}
    try:
        style = csl.read_bytes()
    except OSError:
        style = b""  # pandoc reports the missing style: such a run is never kept
    return cache.key(
        "pandoc lua bridge",
        json.dumps(stable, ensure_ascii=False, sort_keys=True).encode("utf-8", "replace"),  # as sent
        style,
        BRIDGE.read_bytes(),
        version,
        cache.versions(),
    )


def run_pandoc(fields: list[Field], entries: list[Entry], csl: Path, lang: str, store: cache.Store | None = None) -> dict[str, Any]:
    """One pandoc call for the whole dossier; returns pandoc's JSON AST (from `store` when an
    earlier run had the same inputs)."""
    request: dict[str, Any] = {
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
    }
    digest = None
    if store is not None and store.root is not None:
        try:
            version = pandoc_version(store)
        except FileNotFoundError:
            version = ""  # no pandoc: the run below says so
        digest = bridge_key(request, csl, version) if version else None  # an unknown pandoc: no cache
        if digest is not None and (kept := store.get("pandoc", digest)) is not None:
            try:
                cached: dict[str, Any] = json.loads(kept)
                return cached
            except ValueError:
                pass  # a damaged entry is a miss
    # a lone surrogate (YAML "\udfff") is reported by the glyph check
    payload = json.dumps(request, ensure_ascii=False).encode("utf-8", "replace")
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
    if store is not None and digest is not None:
        store.put("pandoc", digest, proc.stdout)
    return result


def _csl_lang(lang: str) -> str:
    return "en-US" if lang == "en" else lang
