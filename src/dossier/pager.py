"""Stage 5 with parts: typeset each part on its own (parts.py), in parallel and cached, settle the
numbers that cross parts by a fixed point, and join the parts' PDFs (pdfjoin.py).

The fixed point: the numbers (`parts.Numbers`: each anchor's page, each part's first page and
the blank page before it, the total) are written into the parts as text; the parts are laid out;
their page counts and anchors give the numbers again; until they give back the numbers they were
laid out with. The first round lays every part out from page 1 with no page known (a page not
known is "00", two digits as most are, so filling it in rarely moves a line), to learn the page
counts: only the flow is wanted from it, so it writes no PDF. Every later round lays out and
writes each part whose input changed (its HTML with the numbers filled in, its stylesheet, its
first page and parity) and checks the numbers again: usually two rounds in all. With backrefs
("cited on p. N"), the templates are rendered again with the pages each round gives, and the
flow is learnt once more (only the parts whose templates' output changed) before writing. A layout
that does not settle in MAX_ROUNDS is an error.

A part's layout is found in the store (`cache.Store`, kinds "part" and "part-flow") by a key
of everything it is made from: its filled HTML and stylesheet, its first page and parity, the
profile, the date, the bytes of every theme file and of `assets/`, and `cache.versions()`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cache, parts, pdfjoin, workers
from .errors import DossierError, Location, display
from .profiles import Profile
from .typeset import PartLayout, typeset_part

MAX_ROUNDS = 6
Rerender = Callable[[dict[str, int]], tuple[str, str]]
Fonts = Callable[[Any], list[dict[str, object]]]


@dataclass(frozen=True)
class Setting:
    """What every part of one build is laid out with (plain data)."""

    root: Path
    theme_dirs: tuple[Path, ...]
    profile: Profile
    epoch: int | None


@dataclass(frozen=True)
class Task:
    """One part to lay out: its document and stylesheet, and whether to write its PDF."""

    html: str
    css: str
    write: bool


def _files(folders: Iterable[Path]) -> Iterable[Path]:
    for folder in folders:
        if folder.is_dir():
            yield from sorted(p for p in folder.rglob("*") if p.is_file())


def salt(setting: Setting) -> str:
    """What every part's key holds besides its own input: the makers' versions, the profile, the
    date and the bytes of every file the layout may read (the theme's, `assets/`)."""
    digests = []
    for path in _files([setting.root / "assets", *setting.theme_dirs]):
        try:
            digests.append(cache.key(path.name, path.read_bytes()))
        except OSError:
            continue
    return cache.key(cache.versions(), repr(setting.profile), str(setting.epoch), *digests)


def _encode(laid: PartLayout) -> bytes:
    head = json.dumps({"pages": laid.pages, "anchors": laid.anchors, "fonts": list(laid.fonts)}, sort_keys=True)
    return head.encode("utf-8") + b"\n" + (laid.pdf or b"")


def _decode(data: bytes, write: bool) -> PartLayout | None:
    head, _, pdf = data.partition(b"\n")
    try:
        meta = json.loads(head)
        found = PartLayout(int(meta["pages"]), {str(k): int(v) for k, v in meta["anchors"].items()}, pdf or None, tuple(meta["fonts"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return found if found.pdf is not None or not write else None


class _Pager:
    """The layouts known in this build, by key, backed by the store."""

    def __init__(self, setting: Setting, jobs: int, store: cache.Store | None, fonts: Fonts | None) -> None:
        self.setting = setting
        self.jobs = jobs
        self.store = store
        self.fonts = fonts
        self.salt = salt(setting)
        self.known: dict[str, PartLayout] = {}

    def key(self, task: Task, start: int) -> str:
        return cache.key(self.salt, task.html, task.css, str(start), "odd" if start % 2 else "even")

    def lay_out(self, task: Task) -> PartLayout:
        s = self.setting
        return typeset_part(task.html, task.css, s.root, list(s.theme_dirs), s.profile, s.epoch, task.write, self.fonts)

    def layouts(self, tasks: list[Task], starts: tuple[int, ...]) -> list[PartLayout]:
        keys = [self.key(t, start) for t, start in zip(tasks, starts, strict=True)]
        kinds = ["part" if t.write else "part-flow" for t in tasks]
        todo = []
        for i, (task, digest) in enumerate(zip(tasks, keys, strict=True)):
            known = self.known.get(digest)
            if known is not None and (known.pdf is not None or not task.write):
                continue
            stored = self.store.get(kinds[i], digest) if self.store is not None else None
            found = _decode(stored, task.write) if stored is not None else None
            if found is not None:
                self.known[digest] = found
            else:
                todo.append(i)
        made = workers.run(self.lay_out, [tasks[i] for i in todo], self.jobs, "typesetting", [len(tasks[i].html) for i in todo])
        for i, laid in zip(todo, made, strict=True):
            self.known[keys[i]] = laid
            if self.store is not None:
                self.store.put(kinds[i], keys[i], _encode(laid))
        return [self.known[k] for k in keys]


def _layouts(pager: _Pager, split: parts.Split, numbers: parts.Numbers, css: str, write: bool) -> list[PartLayout]:
    """Every part laid out with the numbers; without `write` (learning the flow only) with none
    known, so that a part whose templates' output is unchanged is not laid out again."""
    if not write:
        numbers = parts.guess(split)
    tasks = [Task(*parts.fill(split, i, numbers, css), write=write) for i in range(len(split.parts))]
    return pager.layouts(tasks, numbers.starts)


def typeset_parts(
    html: str,
    css: str,
    rerender: Rerender | None,
    setting: Setting,
    jobs: int = 1,
    store: cache.Store | None = None,
    fonts: Fonts | None = None,
) -> tuple[bytes, list[dict[str, object]]] | None:
    """The joined PDF of the document's parts, and the fonts drawn (with `fonts`); None if the
    document marks no parts (it is then typeset whole). `rerender(pages)` renders the templates
    again with each anchor's page, for what the templates print from them (backrefs)."""
    split = parts.split(html)
    if split is None:
        return None
    import weasyprint  # noqa: F401 - loaded once here, before the workers are forked

    pager = _Pager(setting, jobs, store, fonts)
    numbers = parts.guess(split)
    write = False
    laid = _layouts(pager, split, numbers, css, write)
    rendered_with: dict[str, int] | None = None
    for _round in range(MAX_ROUNDS):
        new = parts.settle(split, [p.pages for p in laid], [p.anchors for p in laid])
        first_render = False
        if rerender is not None and new.pages != rendered_with:
            first_render = rendered_with is None
            html, css = rerender(dict(new.pages))
            rendered_with = dict(new.pages)
            again = parts.split(html)
            if again is None or len(again.parts) != len(split.parts):
                raise DossierError.at(_where(setting), "the templates gave other parts once page numbers were known, expected the same parts")
            split = again
        elif write and new == numbers and all(p.pdf is not None for p in laid):
            return _joined(split, numbers, laid), _fonts(laid)
        # After the first render with pages (backrefs), learn the flow once more before writing.
        write = write or not first_render
        numbers = new
        laid = _layouts(pager, split, numbers, css, write)
    raise DossierError.at(
        _where(setting),
        f"page numbers did not settle in {MAX_ROUNDS} layouts of the parts, expected a layout whose page numbers do not move "
        "the pages they are printed on (a number in the text that breaks a page differently each time)",
    )


def _where(setting: Setting) -> Location:
    return Location(f"{display(setting.root)}/dossier.yaml", 1, 1)


def _joined(split: parts.Split, numbers: parts.Numbers, laid: list[PartLayout]) -> bytes:
    pieces = [pdfjoin.Part(p.pdf or b"", blank) for p, blank in zip(laid, numbers.blanks, strict=True)]
    try:
        return pdfjoin.join(pieces)
    except pdfjoin.JoinError as exc:
        raise DossierError.at(Location("dossier.yaml", 1, 1), f"joining the parts failed: {exc}, expected parts that join") from None


def _fonts(laid: list[PartLayout]) -> list[dict[str, object]]:
    """The fonts of all parts, each once, in the order `archive.fonts_used` gives them."""
    out: dict[tuple[str, int], dict[str, object]] = {}
    for p in laid:
        for font in p.fonts:
            out.setdefault((str(font["sha256"]), int(str(font["index"]))), font)
    return [out[k] for k in sorted(out)]
