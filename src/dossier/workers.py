"""Work shared among forked worker processes (`--jobs N`), under the build's ceilings.

`run(work, items, jobs)` is `[work(x) for x in items]`: with one job in this process, one item
after the other; with more, in up to `jobs` processes forked from this one (the limited child
of `sandbox.run_limited`), each given the next item as soon as it is free, the largest first.
Forked, not spawned: `work` and the items are inherited, not pickled, and the libraries this
process loaded (WeasyPrint) are loaded in them too; only the index of an item goes to a worker
and only its result comes back. A worker inherits the child's memory ceiling, dies with it (so
with the build's time ceiling), and reports a failure as the child does (`sandbox.worker_outcome`):
located problems as they are, the memory ceiling reached, or a worker that died, named as the
stage `what`. The first failure stops every worker and is raised here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from . import sandbox

T = TypeVar("T")
R = TypeVar("R")
MAX_JOBS = 4


def default_jobs() -> int:
    """The number of cores this process may run on, at most MAX_JOBS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_JOBS, cores))


def _serve(conn: Connection, parent: int, work: Callable[[Any], Any], items: Sequence[Any]) -> None:
    """A worker: do the items it is sent (by index) until told to stop (None)."""
    sandbox.become_worker(parent)
    while True:
        try:
            index = conn.recv()
        except EOFError:
            break
        if index is None:
            break
        try:
            outcome: tuple[str, Any] = ("ok", work(items[index]))
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the waiting process
            outcome = sandbox.worker_outcome(exc)
        try:
            conn.send((index, outcome))
        except MemoryError:
            conn.send((index, ("memory", "")))
    conn.close()


def run(work: Callable[[T], R], items: Sequence[T], jobs: int, what: str, sizes: Sequence[int] | None = None) -> list[R]:
    """`[work(x) for x in items]` in up to `jobs` forked workers (see the module); `sizes` (one per
    item) orders the work, the largest first, so the last to finish is a small one."""
    if jobs <= 1 or len(items) <= 1:
        return [work(x) for x in items]
    order = deque(sorted(range(len(items)), key=lambda i: -(sizes[i] if sizes is not None else 0)))
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    processes = []
    conns: list[Connection] = []
    results: dict[int, R] = {}
    try:
        for _ in range(min(jobs, len(items))):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, parent, work, items))
            process.start()
            theirs.close()
            processes.append(process)
            conns.append(mine)
            mine.send(order.popleft())
        busy = set(conns)
        while busy:
            for ready in wait(list(busy)):
                assert isinstance(ready, Connection)
                try:
                    index, (kind, value) = ready.recv()
                except EOFError:
                    raise sandbox.worker_error("died", None, what) from None
                if kind != "ok":
                    raise sandbox.worker_error(kind, value, what)
                results[index] = value
                if order:
                    ready.send(order.popleft())
                else:
                    ready.send(None)
                    busy.discard(ready)
    finally:
        for conn in conns:
            conn.close()
        for process in processes:
            if len(results) < len(items):  # stopped by a failure: the others' work is not wanted
                process.kill()
            process.join()
    return [results[i] for i in range(len(items))]
