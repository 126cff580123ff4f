"""Ceilings for a build: no input can take more time or memory than `--timeout` and `--memory`.

`run_limited()` runs the whole build (reading, checking, pandoc, templates, WeasyPrint) in a
forked child under an address-space ceiling, while the parent only waits for it with the
wall-clock ceiling; the child tells the parent which stage it is in, so a ceiling reached is
reported for the stage that reached it. `run_command()` runs an external program (pandoc,
fc-list) under the same ceilings: the memory ceiling set in the program before exec, the time
left of the build's budget, killed with its process group when that runs out. The child and
every program die with their parent (a `kill -9` of `dossier` leaves nothing running).
"""

from __future__ import annotations

import ctypes
import errno
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from .errors import DossierError, Location


@dataclass(frozen=True)
class Limits:
    """Ceilings for one build: wall-clock seconds and address space in MiB (per process)."""

    seconds: float = 300.0
    memory_mib: int = 4096
    # Templates alone: the example renders in 0.1 s, so a minute means a runaway loop. Reported at
    # the template line that was running (the whole-run ceiling can only name the dossier).
    render_seconds: float = 60.0

    def render_ceiling(self) -> float:
        """Seconds for the templates alone; 0 (none) where the whole run's ceiling is as tight."""
        return self.render_seconds if self.render_seconds < self.seconds else 0


@dataclass
class _Run:
    """The limited run this process is the child of: its ceilings, deadline and current stage."""

    limits: Limits
    deadline: float  # time.monotonic()
    where: Location
    stage: str
    conn: Connection | None


_RUN: _Run | None = None
_GRACE = 0.5  # seconds

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when its parent dies; if the parent is already gone
    (it died between fork and here), go now. Safe between fork and exec (no allocation)."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(137)


def stage(name: str) -> None:
    """Say which stage of the build runs now (named in a ceiling's message). With
    DOSSIER_TIMINGS=FILE, also append `TIME<TAB>PID<TAB>STAGE` to FILE (scripts/bench.py's phases)."""
    timings = os.environ.get("DOSSIER_TIMINGS")
    if timings:
        with open(timings, "a", encoding="utf-8") as log:
            log.write(f"{time.time():.6f}\t{os.getpid()}\t{name}\n")
    if _RUN is not None:
        _RUN.stage = name
        if _RUN.conn is not None:
            _RUN.conn.send(("stage", name))


def run_limits() -> Limits:
    """The ceilings of the limited run this process is (the defaults outside one): for work that
    keeps a ceiling of its own, such as the templates run before formatting (build.prepare)."""
    return _RUN.limits if _RUN is not None else Limits()


def templates_ceiling(limits: Limits, where: Location) -> AbstractContextManager[None]:
    """The time the templates alone may take, reported at the template line that was running:
    every run of the templates (the print-order run, rendering, the second pass) goes under it."""
    return time_limit(limits.render_ceiling(), where, "rendering the templates")


def _memory_message(what: str, limits: Limits) -> str:
    return f"{what} needed more than {limits.memory_mib} MiB, expected less (see --memory)"


def _time_message(what: str, limits: Limits) -> str:
    return f"{what} took longer than {limits.seconds:g} s, expected less (see --timeout)"


def run_command(
    argv: list[str], stdin: bytes, what: str, where: Location | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run a program under the build's ceilings: its own address space limited to `--memory`,
    the time left of `--timeout`, and killed (with everything it started) when that runs out or
    when this process dies. A ceiling reached is a DossierError at `where` (default: the dossier)
    naming `what` ran out; any other failure is returned for the caller to read."""
    run = _RUN
    limits = run.limits if run is not None else Limits()
    where = where or (run.where if run is not None else Location("dossier.yaml", 1, 1))
    remaining = (run.deadline - time.monotonic()) if run is not None else limits.seconds
    if remaining <= 0:
        raise DossierError.at(where, _time_message(what, limits))
    previous = run.stage if run is not None else what
    stage(what)
    ceiling = limits.memory_mib * 1024 * 1024
    parent = os.getpid()

    def before_exec() -> None:  # in the forked program, before exec
        _die_with(parent)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))

    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            preexec_fn=before_exec,
            start_new_session=True,  # noqa: PLW1509 - no threads run here
        )
    except OSError as exc:
        if exc.errno == errno.ENOMEM:  # the program does not even fit under the ceiling
            raise DossierError.at(where, _memory_message(what, limits)) from None
        raise
    try:
        out, err = proc.communicate(stdin, timeout=remaining)
    except subprocess.TimeoutExpired:
        raise DossierError.at(where, _time_message(what, limits)) from None
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the program and whatever it started
            proc.communicate()
    stage(previous)
    # GHC's runtime (pandoc) exits 251 with "out of memory" when an allocation fails.
    if proc.returncode == 251 or b"out of memory" in err[-400:]:
        raise DossierError.at(where, _memory_message(what, limits))
    if proc.returncode < 0:  # below ~250 MiB, GHC's runtime crashes instead (SIGSEGV)
        raise DossierError.at(
            where,
            f"{what} died (signal {-proc.returncode}), most likely above the memory ceiling of {limits.memory_mib} MiB, expected less (see --memory)",
        )
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


class TimeUp(TimeoutError):
    """Raised into running Python code by `time_limit` (render.py reports it at the template line)."""


@contextmanager
def time_limit(seconds: float, where: Location, what: str) -> Iterator[None]:
    """Stop Python code (a template's nested loops) that runs longer than `seconds`, or than
    what is left of the run's `--timeout` if that comes first (so that the run's ceiling, too,
    is reported at the template line that was running, not only at the dossier).

    SIGALRM interrupts between bytecodes, so this works in the main thread only;
    elsewhere it does nothing and the outer ceiling of `run_limited` still holds."""
    message = f"{what} took longer than {seconds:g} s, expected less (a runaway loop in a template?)"
    run = _RUN
    if run is not None:
        left = run.deadline - time.monotonic()
        if seconds <= 0 or left < seconds:
            seconds = max(left, 0.001)
            message = f"{what} took longer than the {run.limits.seconds:g} s of the build, expected less (see --timeout)"
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise TimeUp(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TimeUp:  # outside any template: report it at the dossier
        raise DossierError.at(where, message) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _peak_address_space() -> int:
    """Peak virtual memory of this process in bytes (what RLIMIT_AS limits), 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _outcome(exc: BaseException, ceiling: int) -> tuple[str, Any]:
    """What the child reports for an exception that stopped its work."""
    stage = _RUN.stage if _RUN is not None else ""
    if isinstance(exc, MemoryError):
        return ("memory", stage)
    # At the ceiling, failed allocations surface as anything: a font that will not
    # load ('.notdef glyph rendered'), a SystemError. Name the real cause.
    if isinstance(exc, DossierError) and any("memory" in p.message for p in exc.problems):
        return ("problems", exc.problems)  # already located (a template line, pandoc)
    if _peak_address_space() >= 0.9 * ceiling:
        return ("memory", stage)
    if isinstance(exc, DossierError):
        return ("problems", exc.problems)
    return ("crash", f"{type(exc).__name__}: {exc}")  # the parent reports it as an internal error


def _quiet_native_stderr() -> None:
    """Native libraries print their own lines on failure (GLib near the memory ceiling: "creating
    thread … Resource temporarily unavailable"), beside the one located error the user gets. The
    child's standard error goes nowhere unless `--debug` asked for everything (DOSSIER_DEBUG)."""
    if os.environ.get("DOSSIER_DEBUG"):
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    os.dup2(null, 2)
    os.close(null)


def _child(conn: Connection, parent: int, limits: Limits, deadline: float, where: Location, what: str, work: Callable[[], Any]) -> None:
    """Runs in the forked process: `work()` under the memory ceiling; sends back its result or problems."""
    global _RUN  # noqa: PLW0603 - this process is the run
    _die_with(parent)
    _quiet_native_stderr()
    ceiling = limits.memory_mib * 1024 * 1024
    _RUN = _Run(limits, deadline, where, what, conn)
    reserve = bytearray(1 << 20)  # freed at the ceiling, to have room to say so
    outcome: tuple[str, Any]
    try:
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        outcome = ("ok", work())
    except BaseException as exc:
        reserve.clear()  # room to handle it
        try:
            outcome = _outcome(exc, ceiling)
        except MemoryError:
            outcome = ("memory", _RUN.stage)
    # Out of the handler, the frames the exception held (and their data) are freed.
    del reserve
    try:
        conn.send(outcome)
    except MemoryError:  # a result too big to send under the ceiling
        del outcome
        conn.send(("memory", _RUN.stage))
    finally:
        conn.close()


def become_worker(parent: int) -> None:
    """In a process forked from the limited child to share its work (workers.py): die with the
    child, and leave the child's line to its parent alone (`stage()` then only records). The
    ceilings are the child's: a forked process inherits its memory limit, and it dies with it."""
    _die_with(parent)
    if _RUN is not None:
        _RUN.conn = None


def worker_outcome(exc: BaseException) -> tuple[str, Any]:
    """What a worker reports for an exception that stopped its work, as the limited child would."""
    ceiling = resource.getrlimit(resource.RLIMIT_AS)[0]
    return _outcome(exc, ceiling if ceiling > 0 else 1 << 62)


def worker_error(kind: str, value: Any, what: str) -> BaseException:
    """The error a worker's outcome is in the process that waits for it: located problems, the
    memory ceiling reached or a worker that died, as `run_limited` reports them."""
    limits = run_limits()
    where = _RUN.where if _RUN is not None else Location("dossier.yaml", 1, 1)
    if kind == "problems":
        return DossierError(value)
    if kind == "memory":
        return DossierError.at(where, _memory_message(value or what, limits))
    if kind == "died":
        return DossierError.at(where, f"{what} died, most likely above the memory ceiling of {limits.memory_mib} MiB, expected less (see --memory)")
    return RuntimeError(value)


def run_limited(work: Callable[[], Any], limits: Limits, where: Location, what: str) -> Any:
    """`work()` in a forked child with a time and a memory ceiling, so a hostile or huge
    dossier (or template) cannot hang the build or exhaust the machine. Its result must
    pickle; a DossierError it raises comes back as the same problems. `what` names the
    work until it names its stages with `stage()`."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    deadline = time.monotonic() + limits.seconds
    # Forked, not spawned: `work` (a closure) is inherited, not pickled.
    process = context.Process(target=_child, args=(sender, os.getpid(), limits, deadline, where, what, work))
    process.start()
    sender.close()
    kind: str = "time"
    value: Any = None
    current = what
    try:
        # A moment's grace past the deadline: a child waiting on pandoc reports the timeout
        # itself, at the file pandoc was reading; a child stuck in Python code cannot.
        while receiver.poll(max(0.0, deadline + _GRACE - time.monotonic())):
            try:
                kind, value = receiver.recv()
            except EOFError:
                kind, value = "died", None
                break
            if kind != "stage":
                break
            current, kind = value, "time"
    finally:
        if process.is_alive():
            process.kill()  # the programs it runs die with it
        process.join()
        receiver.close()
    if kind == "ok":
        return value
    if kind == "problems":
        raise DossierError(value)
    if kind == "time":
        raise DossierError.at(where, _time_message(current, limits))
    if kind == "memory":
        raise DossierError.at(where, _memory_message(value or current, limits))
    if kind == "died":
        # Native code (Pango, HarfBuzz) aborts rather than raising MemoryError when an allocation fails.
        raise DossierError.at(
            where,
            f"{current} died (exit status {process.exitcode}), most likely above the memory ceiling of "
            f"{limits.memory_mib} MiB, expected less (see --memory)",
        )
    raise RuntimeError(value)
