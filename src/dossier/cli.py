"""Command line: `dossier build`, `dossier check`; a thin front over build.py.

Problems print one per line as `FILE:LINE:COL: message` on standard error,
then a count; the exit status is 1 if the build failed, 0 otherwise. A
traceback is shown only with `--debug`.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from .errors import DossierError, Problem


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a positive number")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dossier", description="Typeset a folder of YAML content into a PDF briefing."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="check the dossier and write its PDF", description="Check a dossier and write its PDF.")
    b.add_argument("dossier", nargs="?", default="content", type=Path, help="dossier folder (default: content)")
    b.add_argument("-o", "--output", type=Path, default=Path("build/briefing.pdf"), help="PDF to write (default: build/briefing.pdf)")
    b.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of internal errors")
    c = sub.add_parser("check", help="check the dossier without writing a PDF", description="Check a dossier; write nothing.")
    c.add_argument("dossier", nargs="?", default="content", type=Path, help="dossier folder (default: content)")
    c.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of internal errors")
    for p in (b, c):
        p.add_argument("--timeout", type=_positive, default=300.0, metavar="SECONDS",
                       help="stop rendering and typesetting after this long (default: 300; templates alone: 60)")
        p.add_argument("--memory", type=lambda v: int(_positive(v)), default=4096, metavar="MIB",
                       help="stop rendering and typesetting above this much memory (default: 4096)")
    return parser


def _print(problems: list[Problem]) -> None:
    for p in problems:
        print(p, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from . import build

    try:
        if args.command == "build":
            report = build.build(args.dossier, args.output, build.Limits(args.timeout, args.memory))
            _print(report.warnings)
            print(f"wrote {build.display(args.output)}", file=sys.stderr)
        else:
            report = build.check(args.dossier, build.Limits(args.timeout, args.memory))
            _print(report.warnings)
            print(f"{build.display(args.dossier)}: no errors, {len(report.warnings)} warning(s)", file=sys.stderr)
        return 0
    except DossierError as exc:
        if args.debug:
            traceback.print_exc()
        errors = [p for p in exc.problems if p.severity == "error"]
        # In file order, as a reader fixes them; all of one run at once.
        _print(sorted(exc.problems, key=lambda p: p.location))
        print(f"dossier: stopped with {len(errors)} error(s); nothing was written", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dossier: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: say so plainly, traceback only on request
        if args.debug:
            traceback.print_exc()
        else:
            print(f"dossier: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
