"""Command line: `dossier build`, `dossier check`, `dossier watch`, `dossier extract`, `dossier verify`;
a thin front over build.py, watch.py and unarchive.py.

Problems print one per line as `FILE:LINE:COL: message` on standard error,
then a count; the exit status is 1 if the build failed, 0 otherwise. A
traceback is shown only with `--debug`.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from . import cache, profiles
from .characters import printable
from .errors import DossierError, Problem, bounded, display

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


def _say(line: str) -> None:
    """Print one line to standard error, as every line of the tool is: no control character of
    a folder name or of content reaches the terminal."""
    print(printable(line), file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse quotes what it cannot parse (`--timeout $'\\e[2J'`): its messages are escaped too."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        if message:
            super()._print_message("\n".join(printable(line) for line in message.split("\n")), file)


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a positive number")
    return number


def _length(value: str) -> float:
    try:
        return profiles.parse_length(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _size(value: str) -> int:
    try:
        return profiles.parse_size(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of processes, expected 1, 2, …")
    return int(value)


def _figures(pdf: Path) -> str:
    """'198 KB, 23 pages': what the file weighs and holds, for the line saying it was written."""
    import pikepdf

    with pikepdf.open(pdf) as doc:
        pages = len(doc.pages)
    return f"{profiles.human_size(pdf.stat().st_size)}, {pages} page{'s' if pages != 1 else ''}"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dossier", description="Typeset a folder of YAML content into a PDF briefing.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="check the dossier and write its PDF", description="Check a dossier and write its PDF.")
    w = sub.add_parser(
        "watch",
        help="build the PDF, then rebuild it on every change",
        description="Build a dossier's PDF, then rebuild it on every change to its content, assets or templates (or the theme's), until Ctrl-C.",
    )
    for p in (b, w):
        p.add_argument("dossier", nargs="?", default="content", type=Path, help="dossier folder (default: content)")
        p.add_argument(
            "-o",
            "--output",
            type=Path,
            default=None,
            help="PDF to write (default: build/briefing.pdf, or build/briefing-PROFILE.pdf for another profile)",
        )
        p.add_argument(
            "--profile",
            choices=profiles.NAMES,
            default="standard",
            help="what the PDF is for: standard, print (duplex, bleed, printed URLs), email (smallest file), "
            "archive (PDF/A-3 with its sources inside); default: standard",
        )
        p.add_argument(
            "--bleed",
            type=_length,
            default=0.0,
            metavar="LENGTH",
            help="print: paper beyond the trim on each side, such as 3mm (TrimBox and BleedBox in the PDF)",
        )
        p.add_argument("--marks", action="store_true", help="print: crop marks in the bleed area")
        p.add_argument(
            "--max-size",
            type=_size,
            default=profiles.DEFAULT_MAX_SIZE,
            metavar="SIZE",
            help="email: warn when the PDF is larger than this (default: 2MB)",
        )
        p.add_argument(
            "--jobs",
            type=_jobs,
            default=None,
            metavar="N",
            help="typeset a theme's parts (theme.yaml parts: true) in N processes; 1: one after the other "
            "in this one (default: the number of cores, at most 4)",
        )
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of internal errors")
    c = sub.add_parser("check", help="check the dossier without writing a PDF", description="Check a dossier; write nothing.")
    c.add_argument("dossier", nargs="?", default="content", type=Path, help="dossier folder (default: content)")
    c.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of internal errors")
    c.add_argument(
        "--profile",
        choices=profiles.NAMES,
        default="standard",
        help="render the templates as for this profile (they may differ by profile); default: standard",
    )
    x = sub.add_parser(
        "extract",
        help="write the sources of an archive PDF into a folder",
        description="Write the files attached to an archive PDF (--profile archive) into a folder.",
    )
    x.add_argument("archive", type=Path, help="PDF built with --profile archive")
    x.add_argument("folder", type=Path, help="folder to write into (created if need be)")
    x.add_argument("--force", action="store_true", help="overwrite files that already exist in the folder")
    v = sub.add_parser(
        "verify",
        help="check the sources of an archive PDF against its manifest",
        description="Check every file attached to an archive PDF against the SHA-256 its manifest records.",
    )
    v.add_argument("archive", type=Path, help="PDF built with --profile archive")
    for p in (x, v):
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of internal errors")
    for p in (b, c, w):
        p.add_argument(
            "--timeout",
            type=_positive,
            default=300.0,
            metavar="SECONDS",
            help="stop rendering and typesetting after this long (default: 300; templates alone: 60)",
        )
        p.add_argument(
            "--memory",
            type=lambda v: int(_positive(v)),
            default=4096,
            metavar="MIB",
            help="stop rendering and typesetting above this much memory (default: 4096)",
        )
        kept = p.add_mutually_exclusive_group()
        kept.add_argument(
            "--cache",
            type=Path,
            default=None,
            metavar="DIR",
            help="keep reusable work (pandoc's output) here (default: $DOSSIER_CACHE, else $XDG_CACHE_HOME/dossier or ~/.cache/dossier)",
        )
        kept.add_argument("--no-cache", action="store_true", help="reuse nothing and keep nothing (as DOSSIER_CACHE=off)")
    return parser


def _store(args: argparse.Namespace) -> cache.Store | None:
    """The cache `--cache`/`--no-cache` name, or the default one; None for none."""
    root = None if args.no_cache else args.cache or cache.default_root()
    return None if root is None else cache.Store(root)


def _print(problems: list[Problem]) -> None:
    for p in problems:
        _say(str(p))


def _output_settings(args: argparse.Namespace) -> tuple[profiles.Profile, Path, int]:
    """What `build` and `watch` write, and how: the profile, the PDF's path, the processes. A
    path not ending in .pdf is written as asked, with a warning (a viewer may not open it)."""
    from .workers import default_jobs

    if args.profile != "print" and (args.bleed or args.marks):
        _parser().error("--bleed and --marks are options of --profile print")
    profile = profiles.Profile(args.profile, args.bleed, args.marks, args.max_size)
    output: Path = args.output or profile.default_output()
    if output.suffix.lower() != ".pdf" and not output.is_dir():  # a folder is an error of its own
        _say(f"{display(output)}:1:1: warning: the output name does not end in .pdf, expected FILE.pdf (written as asked)")
    return profile, output, args.jobs or default_jobs()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from . import build
    from .sandbox import Limits

    if args.debug:  # the build's child keeps its standard error (native libraries' own lines)
        os.environ["DOSSIER_DEBUG"] = "1"

    try:
        if args.command == "build":
            profile, output, jobs = _output_settings(args)
            report = build.build(args.dossier, output, Limits(args.timeout, args.memory), profile, store=_store(args), jobs=jobs)
            _print(report.warnings)
            _say(f"wrote {display(output)} ({_figures(output)})")
        elif args.command == "watch":
            from . import watch

            profile, output, jobs = _output_settings(args)
            limits = Limits(args.timeout, args.memory)
            return watch.watch(args.dossier, output, limits, profile, _store(args), _say, args.debug, jobs)
        elif args.command == "extract":
            from . import unarchive

            names = unarchive.extract(args.archive, args.folder, args.force)
            _say(f"wrote {len(names)} file(s) into {display(args.folder)}")
        elif args.command == "verify":
            from . import unarchive

            try:
                count = unarchive.verify(args.archive)
            except DossierError as exc:
                _print(exc.problems)
                _say(f"dossier: {len(exc.problems)} problem(s) in {display(args.archive)}")
                return 1
            _say(f"{display(args.archive)}: {count} file(s) match the manifest")
        else:
            report = build.check(args.dossier, Limits(args.timeout, args.memory), profiles.Profile(args.profile), store=_store(args))
            _print(report.warnings)
            _say(f"{display(args.dossier)}: no errors, {len(report.warnings)} warning(s)")
        return 0
    except DossierError as exc:
        if args.debug:
            traceback.print_exc()
        errors = [p for p in exc.problems if p.severity == "error"]
        # In file order, as a reader fixes them; all of one run at once.
        _print(sorted(exc.problems, key=lambda p: p.location))
        _say(f"dossier: stopped with {len(errors)} error(s); nothing was written")
        return 1
    except KeyboardInterrupt:
        _say("dossier: interrupted; nothing was written")
        return 130
    except Exception as exc:  # an internal error: say so plainly, traceback only on request
        if args.debug:
            traceback.print_exc()
        else:
            _say(f"dossier: internal error: {type(exc).__name__}: {bounded(str(exc))} (run with --debug for the traceback)")
        return 2


if __name__ == "__main__":
    sys.exit(main())
