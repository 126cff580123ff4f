"""`dossier watch`: rebuild a dossier's PDF on every change to what the build reads, in one
long-lived process that stays warm.

The process imports what every build needs (WeasyPrint, pikepdf, pydyf, Jinja, fontTools and
every stage of dossier) and asks fontconfig about the theme's fonts once, before the first
build; each build then runs as before in `sandbox.run_limited`'s forked child, under the same
ceilings, and so starts with all of that already in memory. What a build made and may reuse
lives in the content-addressed store (`cache.Store`), which is kept across rebuilds.

What is watched (watchfiles, on the kernel's file events): the dossier folder, its templates/
and assets/ and every folder reached through links in them, and the theme folders
(`discover.read_folders`). Changes that come together (an editor's save: a temporary file, a
rename, a chmod) give one rebuild; a change arriving while a build runs gives one more build
after it. The output file, its temporary files and any `build/` folder are never a reason to
rebuild, nor are editors' swap and backup files or Python's caches.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import re
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from . import build, discover, theme
from .cache import Store
from .errors import DossierError, Report, bounded, display
from .profiles import Profile, human_size
from .sandbox import Limits

Say = Callable[[str], None]

# What every build imports: loaded once here, so each build's forked child starts with it.
LIBRARIES = (
    "weasyprint",
    "weasyprint.text.fonts",
    "weasyprint.pdf",
    "pydyf",
    "pikepdf",
    "jinja2",
    "jinja2.sandbox",
    "markupsafe",
    "fontTools.subset",
    "fontTools.ttLib",
    "fontTools.cffLib",
    "babel.dates",
    "PIL.Image",
    "tinycss2",
    "yaml",
)
_NOT_BUILD = {"__main__", "cli", "watch"}  # dossier's modules a build never imports
STEP_MS = 50  # a change is taken once nothing more has changed for this long
DEBOUNCE_MS = 1600  # and at most this long after the first change of a burst
_PACKAGE = Path(__file__).resolve().parent


def warm(root: Path) -> None:
    """Import what builds use and ask fontconfig about the theme's fonts, in this process, before
    any build forks from it. Nothing here can fail a build: what cannot be done now is done by the
    build itself, which reports any problem at its place."""
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    package = __name__.rpartition(".")[0]
    for module in pkgutil.walk_packages([str(_PACKAGE)], prefix=f"{package}."):
        if module.name.rpartition(".")[2] not in _NOT_BUILD:
            try:
                importlib.import_module(module.name)
            except ImportError:
                pass
    from . import fonts

    try:  # fontconfig's answers are cached per process (fonts.coverage, fonts.font_file)
        declared = theme.read_theme(theme.theme_dirs(root))
        fonts.coverage(declared.fonts, declared.file)
    except (DossierError, OSError):
        pass
    # What is loaded now is never collected: each build's child then leaves these pages shared
    # with this process rather than touching (and so copying) them in its collections.
    gc.freeze()


def watched(root: Path) -> list[Path]:
    """The folders to watch, each once: the dossier and `discover.read_folders` (its templates/
    and assets/, folders linked from them, the theme), without those inside another."""
    found: list[Path] = []
    for folder in (root, *discover.read_folders(root)):
        real = folder.resolve()
        if real.is_dir() and real not in found:
            found.append(real)
    return [f for f in found if not any(f != g and f.is_relative_to(g) for g in found)]


def ignored(output: Path, root: Path) -> Callable[[Path], bool]:
    """Whether a changed path is no reason to rebuild: the output, its temporary files
    (`output.write_atomic`), anything in a `build/` folder of the dossier or of the working
    folder, and dossier's own code (a running process would not see a change to it anyway)."""
    out = output.resolve()
    temp = re.compile(rf"\.{re.escape(out.name)}\.[a-z0-9_]{{8}}\.tmp")
    builds = [root.resolve() / "build", Path.cwd().resolve() / "build"]

    def check(path: Path) -> bool:
        if path == out or (path.parent == out.parent and temp.fullmatch(path.name)):
            return True
        if any(path == b or path.is_relative_to(b) for b in builds):
            return True
        return path.suffix == ".py" and path.is_relative_to(_PACKAGE)

    return check


class Changes:
    """The kernel's file events under `paths` (recursively), kept from the moment this is made:
    what changes while a build runs comes with the next `wait()`. watchfiles' own backend
    (`RustNotify`, documented in its API) is used directly rather than `watchfiles.watch`, whose
    generator starts watching only when first asked for a change, after the first build."""

    def __init__(self, paths: list[Path], skip: Callable[[Path], bool]) -> None:
        from watchfiles import DefaultFilter
        from watchfiles._rust_notify import RustNotify

        self.paths = paths
        self._skip = skip
        self._default = DefaultFilter()  # editors' swap and backup files, VCS and cache folders
        self._notify = RustNotify([str(p) for p in paths], False, False, 300, True, False)

    def wait(self) -> set[Path]:
        """The next burst of changes that are a reason to rebuild (a change, then STEP_MS with
        none, or DEBOUNCE_MS at most); KeyboardInterrupt on Ctrl-C."""
        from watchfiles import Change

        while True:
            raw = self._notify.watch(DEBOUNCE_MS, STEP_MS, 0, None)
            if raw == "signal":
                raise KeyboardInterrupt
            if isinstance(raw, str):  # "timeout" or "stop": neither is asked for
                continue
            kept = {Path(p) for c, p in raw if self._default(Change(c), p) and not self._skip(Path(p))}
            if kept:
                return kept

    def close(self) -> None:
        self._notify.close()


def error_lines(exc: DossierError) -> list[str]:
    """A failed build's lines, exactly as `dossier build` prints them: the problems in file order,
    then the count."""
    errors = [p for p in exc.problems if p.severity == "error"]
    return [str(p) for p in sorted(exc.problems, key=lambda p: p.location)] + [f"dossier: stopped with {len(errors)} error(s); nothing was written"]


def _pages(pdf: Path) -> int:
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return len(doc.pages)


def build_once(
    root: Path, output: Path, limits: Limits, profile: Profile, store: Store | None, verb: str, say: Say, debug: bool, jobs: int = 1
) -> bool:
    """One build; says what it wrote (`VERB FILE: N pages, SIZE, SECONDS s`) or its errors.
    True when the PDF was written."""
    start = time.monotonic()
    try:
        report: Report = build.build(root, output, limits, profile, store=store, jobs=jobs)
    except DossierError as exc:
        for line in error_lines(exc):
            say(line)
        return False
    except Exception as exc:  # an internal error: said plainly; the watch goes on
        if debug:
            import traceback

            traceback.print_exc()
        say(f"dossier: internal error: {type(exc).__name__}: {bounded(str(exc))} (run with --debug for the traceback)")
        return False
    seconds = time.monotonic() - start
    for p in report.warnings:
        say(str(p))
    pages = _pages(output)
    say(f"{verb} {display(output)}: {pages} page{'s' if pages != 1 else ''}, {human_size(output.stat().st_size)}, {seconds:.1f} s")
    return True


def _names(paths: Iterable[Path]) -> str:
    return ", ".join(f"{display(p)}/" for p in paths)


def watch(
    root: Path,
    output: Path,
    limits: Limits,
    profile: Profile,
    store: Store | None,
    say: Say,
    debug: bool = False,
    jobs: int = 1,
) -> int:
    """Build, then rebuild on every change until interrupted (Ctrl-C: exit status 0, quietly).
    1 when there is nothing to watch (no dossier folder, an output the build would read)."""
    from .output import check_target

    if not root.is_dir():  # nothing to watch: the build says what is wrong, as `dossier build` does
        build_once(root, output, limits, profile, store, "wrote", say, debug, jobs)
        return 1
    try:
        check_target(output, root, discover.read_folders(root))
    except DossierError as exc:
        for line in error_lines(exc):
            say(line)
        return 1
    # Ctrl-C stops the watch, even where the shell started it with SIGINT ignored (`dossier watch &`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    skip = ignored(output, root)
    changes: Changes | None = None
    try:
        warm(root)
        changes = Changes(watched(root), skip)  # before the first build: an edit during it counts
        build_once(root, output, limits, profile, store, "wrote", say, debug, jobs)
        say(f"watching {_names(changes.paths)} for changes (Ctrl-C stops)")
        while True:
            changes.wait()
            build_once(root, output, limits, profile, store, "rebuilt", say, debug, jobs)
            paths = watched(root)
            if paths != changes.paths:  # a folder linked or unlinked: watch the new set, and build
                changes.close()  # once more for what changed while the watch moved
                changes = Changes(paths, skip)
                say(f"watching {_names(paths)} for changes (Ctrl-C stops)")
                build_once(root, output, limits, profile, store, "rebuilt", say, debug, jobs)
    except KeyboardInterrupt:
        return 0
    finally:
        if changes is not None:
            changes.close()
