"""The benchmark's peers read the same content as dossier (scripts/bench.py, issue 11).

Usage: python scripts/peers/convert.py DOSSIER_DIR OUT_DIR

Writes, from a dossier folder's YAML:
  * OUT_DIR/dossier.md: pandoc Markdown with the same title page facts, summary, key facts,
    chronology, excerpts (with their originals), interpretations, names and bibliography (the
    entries as CSL YAML in the metadata, formatted by --citeproc in the dossier's citation style
    when it is one pandoc knows, chicago-author-date otherwise), for pandoc → xelatex with
    scripts/peers/cjk.tex;
  * OUT_DIR/refs.yml: the same bibliography as Hayagriva YAML, which the Typst template
    (scripts/peers/dossier.typ, copied beside it with the dossier's YAML files) reads.
`[text]{lang=xx}` spans lose their language in the Markdown (xeCJK and the fonts set every
script without babel's language switching); their text stays.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SECTIONS = ("chronology.yaml", "excerpts.yaml", "interpretations.yaml")
_LANG = re.compile(r"\]\{lang=[A-Za-z-]+\}")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None


def _md(text: Any) -> str:
    return _LANG.sub("]{}", str(text).strip()) if text is not None else ""


def _heading(level: int, text: str, ident: Any = None) -> str:
    anchor = f" {{#{ident}}}" if isinstance(ident, str) else ""
    return f"{'#' * level} {_md(text)}{anchor}\n"


def _quote(text: Any) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in _md(text).splitlines()) + "\n"


def markdown(root: Path) -> str:
    """The dossier as one pandoc Markdown document (metadata block with the references)."""
    d = _load(root / "dossier.yaml") or {}
    references = _load(root / "bibliography.yaml") or []
    meta: dict[str, Any] = {
        "title": d.get("title", ""),
        "subtitle": d.get("subtitle", ""),
        "author": [a.get("name", "") for a in d.get("authors", []) if isinstance(a, dict)],
        "date": str(d.get("edition", "")),
        "lang": d.get("language", "en"),
        "toc": True,
        "numbersections": True,
        "papersize": "a4",
        "geometry": "margin=2.2cm",
        "references": references,
        "link-citations": True,
    }
    out = ["---", yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000).strip(), "---", ""]
    out += [_heading(1, "Summary"), _md(d.get("summary")), ""]
    facts = d.get("key_facts") or []
    if facts:
        out += [_heading(1, "Key facts")]
        for fact in facts:
            out += [f"{_md(fact.get('label'))}", f":   {_md(fact.get('value'))}", ""]
    sections = {name: _load(root / name) or [] for name in SECTIONS}
    if sections["chronology.yaml"]:
        out.append(_heading(1, "Chronology"))
        for event in sections["chronology.yaml"]:
            out += [_heading(3, f"{event.get('date', '')} — {event.get('title', '')}", event.get("id")), _md(event.get("text")), ""]
    if sections["excerpts.yaml"]:
        out.append(_heading(1, "Excerpts"))
        for x in sections["excerpts.yaml"]:
            locator = f", {x['locator']}" if x.get("locator") else ""
            out += [_heading(2, x.get("document", ""), x.get("id")), _quote(x.get("text")), f"[@{x.get('source')}{locator}]", ""]
            for original in x.get("originals") or []:
                out += [_quote(original.get("text")), ""]
            out += [_md(x.get("note")), ""]
    if sections["interpretations.yaml"]:
        out.append(_heading(1, "Interpretations"))
        for r in sections["interpretations.yaml"]:
            out += [_heading(2, r.get("party", ""), r.get("id")), f"*{_md(r.get('position'))}*", ""]
            for question, stance in (r.get("stances") or {}).items():
                out += [question, f":   {_md(stance)}", ""]
            out += [_md(r.get("text")), ""]
    if d.get("names"):
        out.append(_heading(1, "Names"))
        for n in d["names"]:
            forms = "; ".join(str(v) for v in (n.get("forms") or {}).values())
            out += [_md(n.get("term")), f":   {forms} — {_md(n.get('note'))}", ""]
    out += [_heading(1, "Bibliography", "bibliography"), "::: {#refs}", ":::", ""]
    return "\n".join(out)


_TYPES = {
    "book": "book",
    "article-journal": "article",
    "article-newspaper": "article",
    "webpage": "web",
    "treaty": "legislation",
    "report": "report",
    "chapter": "chapter",
    "thesis": "thesis",
}
_PARENTS = {"article-journal": "periodical", "article-newspaper": "newspaper", "chapter": "book", "webpage": "web"}


def _date(value: Any) -> str | None:
    parts = value.get("date-parts") if isinstance(value, dict) else None
    if not parts or not parts[0]:
        return None
    return "-".join(f"{int(p):02d}" if i else f"{int(p):04d}" for i, p in enumerate(parts[0][:3]))


def _names(names: Any) -> list[str]:
    out = []
    for n in names or []:
        if isinstance(n, dict):
            out.append(n.get("literal") or ", ".join(p for p in (n.get("family"), n.get("given")) if p))
    return out


def hayagriva_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """One CSL entry as a Hayagriva entry (the fields Typst's chicago-author-date prints)."""
    kind = str(entry.get("type", ""))
    out: dict[str, Any] = {"type": _TYPES.get(kind, "misc"), "title": str(entry.get("title", ""))}
    if authors := _names(entry.get("author")):
        out["author"] = authors
    if editors := _names(entry.get("editor")):
        out["editor"] = editors
    if date := _date(entry.get("issued")):
        out["date"] = date
    if entry.get("publisher"):
        out["publisher"] = {"name": str(entry["publisher"]), **({"location": str(entry["publisher-place"])} if entry.get("publisher-place") else {})}
    for csl, field in (("volume", "volume"), ("issue", "issue"), ("page", "page-range"), ("language", "language"), ("note", "note")):
        if entry.get(csl) not in (None, ""):
            out[field] = str(entry[csl])
    if entry.get("URL"):
        out["url"] = {"value": str(entry["URL"]), **({"date": d} if (d := _date(entry.get("accessed"))) else {})}
    if entry.get("container-title"):
        out["parent"] = {"type": _PARENTS.get(kind, "misc"), "title": str(entry["container-title"])}
    return out


def hayagriva(root: Path) -> str:
    entries = _load(root / "bibliography.yaml") or []
    data = {str(e["id"]): hayagriva_entry(e) for e in entries if isinstance(e, dict) and "id" in e}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def typst_folder(root: Path, out: Path) -> Path:
    """A folder Typst compiles: the dossier's YAML, refs.yml and the template; returns the template."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("dossier.yaml", *SECTIONS):
        if (root / name).exists():
            shutil.copyfile(root / name, out / name)
    (out / "refs.yml").write_text(hayagriva(root), encoding="utf-8")
    template = out / "dossier.typ"
    shutil.copyfile(HERE / "dossier.typ", template)
    return template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dossier", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dossier.md").write_text(markdown(args.dossier), encoding="utf-8")
    typst_folder(args.dossier, args.out)
    print(f"wrote {args.out}/dossier.md, {args.out}/refs.yml and {args.out}/dossier.typ")


if __name__ == "__main__":
    main()
