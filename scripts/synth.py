"""Write a synthetic dossier at N times the example, for the benchmark (issue 11).

Usage: python scripts/synth.py OUT_DIR [--scale N] [--source content]

The example's files, with the chronology, the excerpts, the interpretations and the
bibliography repeated N times. Copy 0 is the example itself; copy k (k >= 1) gives every
record id and bibliography key the suffix ``-sK`` and renames, in that copy's text, the
citations (``@key``, ``source:``, ``sources:``) and internal links (``(#id)``) to match, so
the result checks and builds as the example does. dossier.yaml is copied as it is (it cites
copy 0). The same N gives the same bytes.

Copies k >= 1 are lean, so that the sizes are those of issue 11 (50x: ~300-500 pages and
1,650 references, where whole copies gave 751 pages): every other event of the chronology and
every other excerpt, the first paragraph only of an excerpt's note and of an interpretation's
text; every bibliography entry. A link to a record a copy leaves out goes to copy 0's; an entry
cited only in what was left out is reported as uncited (a warning).
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

SECTIONS = ("chronology.yaml", "excerpts.yaml", "interpretations.yaml")
BIBLIOGRAPHY = "bibliography.yaml"


class _Dumper(yaml.SafeDumper):
    """Block scalars for text with line breaks; no anchors or aliases (dossier rejects them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class Renamer:
    """Renames, for one copy, the bibliography keys cited and the record ids linked in text."""

    def __init__(self, keys: list[str], ids: list[str], suffix: str) -> None:
        self.suffix = suffix
        self.keys = set(keys)
        self.ids = set(ids)
        alternation = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
        # A pandoc citation: @key not preceded by a word character (an e-mail address), not
        # followed by more key characters.
        self.cite = re.compile(rf"(?<![\w@])@(?:{alternation})(?![\w])(?!-\w)(?!\.\w)(?!:\w)(?!/\w)")
        id_alternation = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        self.link = re.compile(rf"\(#(?:{id_alternation})\)") if ids else None

    def text(self, value: str) -> str:
        value = self.cite.sub(lambda m: m.group(0) + self.suffix, value)
        if self.link is not None:
            value = self.link.sub(lambda m: m.group(0)[:-1] + self.suffix + ")", value)
        return value

    def walk(self, node: Any, field: str = "") -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key == "id" and isinstance(value, str):
                    out[key] = value + self.suffix
                elif key == "source" and isinstance(value, str) and value in self.keys:
                    out[key] = value + self.suffix
                elif key == "sources" and isinstance(value, list):
                    out[key] = [v + self.suffix if isinstance(v, str) and v in self.keys else v for v in value]
                else:
                    out[key] = self.walk(value, key)
            return out
        if isinstance(node, list):
            return [self.walk(v, field) for v in node]
        if isinstance(node, str):
            return self.text(node)
        return node


def _ids(records: Any) -> list[str]:
    if not isinstance(records, list):
        return []
    return [r["id"] for r in records if isinstance(r, dict) and isinstance(r.get("id"), str)]


HALVED = ("chronology.yaml", "excerpts.yaml")
LEAN_FIELDS = {"excerpts.yaml": "note", "interpretations.yaml": "text"}


def lean(name: str, records: Any) -> Any:
    """A lean copy of a section's records: see the module's docstring."""
    if not isinstance(records, list):
        return records
    if name in HALVED:
        records = [r for i, r in enumerate(records) if i % 2 == 0]
    field = LEAN_FIELDS.get(name)
    out = []
    for record in records:
        record = copy.deepcopy(record)
        if field and isinstance(record, dict) and isinstance(record.get(field), str):
            record[field] = record[field].strip().split("\n\n")[0] + "\n"
        out.append(record)
    return out


def synthesise(source: Path, out: Path, scale: int) -> dict[str, int]:
    """Write the dossier at `scale` times `source` into `out`; return the number of records per file."""
    if scale < 1:
        raise ValueError("--scale must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir()):
        if item.name in SECTIONS or item.name == BIBLIOGRAPHY:
            continue
        target = out / item.name
        if item.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(item, target)
        else:
            shutil.copyfile(item, target)

    sections = {name: _load(source / name) for name in SECTIONS if (source / name).exists()}
    bibliography = _load(source / BIBLIOGRAPHY)
    keys = _ids(bibliography)
    lean_sections = {name: lean(name, records) for name, records in sections.items()}
    ids = [i for records in lean_sections.values() for i in _ids(records)]
    counts: dict[str, int] = {}

    copies: dict[str, list[Any]] = {name: [] for name in (*sections, BIBLIOGRAPHY)}
    for k in range(scale):
        if k == 0:
            for name, records in sections.items():
                copies[name].extend(copy.deepcopy(records))
            copies[BIBLIOGRAPHY].extend(copy.deepcopy(bibliography))
            continue
        renamer = Renamer(keys, ids, f"-s{k}")
        for name, records in lean_sections.items():
            copies[name].extend(renamer.walk(records))
        for entry in bibliography:
            renamed = copy.deepcopy(entry)
            renamed["id"] = entry["id"] + renamer.suffix
            if isinstance(renamed.get("title"), str):
                renamed["title"] = f"{renamed['title']} [{k}]"
            copies[BIBLIOGRAPHY].append(renamed)

    for name, records in copies.items():
        header = f"# Synthetic: {scale}x the example's {name} (scripts/synth.py)\n"
        (out / name).write_text(header + _dump(records), encoding="utf-8")
        counts[name] = len(records)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to write (created; its section files are replaced)")
    parser.add_argument("--scale", type=int, default=1, help="how many times the example (1, 10, 50)")
    parser.add_argument("--source", type=Path, default=Path("content"), help="the dossier to multiply")
    args = parser.parse_args()
    counts = synthesise(args.source, args.out, args.scale)
    print(f"{args.out}: {args.scale}x {args.source}: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


if __name__ == "__main__":
    main()
