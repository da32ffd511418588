"""Run a function over many inputs on all cores, and the one place that switches Python's cyclic GC.

Workers are forked, so they share the parent's memory (the pages, the compiled templates) and only
indices and results cross process boundaries. Forking is safe only while the process has a single
thread: a fork copies locks held by other threads, and Python 3.12+ warns (DeprecationWarning) when
a process with threads forks. So work is spread over forked workers only from a single-threaded
process (`build`, `check`); a threaded `serve` does its (small, incremental) rebuilds in-process.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

log = logging.getLogger(__name__)

MAX_SPAN = 500
# Set just before forking so workers find the work in their copy of memory; only indices are sent.
_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def thread_count() -> int:
    """Threads of this process as the OS counts them (C libraries' threads too), else as Python does."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def start_method() -> str | None:
    """How workers are started right now: "fork" from a single-threaded process, else None (in-process)."""
    if "fork" not in multiprocessing.get_all_start_methods() or thread_count() > 1:
        return None
    return "fork"


def work_map(func: Callable[[Any], Any], inputs: Sequence[Any], workers: int | None = None,
             min_per_worker: int = 100) -> list[Any]:
    """[func(x) for x in inputs], spread over forked processes when there is enough work to pay for them.

    Results (and exceptions) come back pickled; func itself never crosses a process boundary.
    """
    return list(work_imap(func, inputs, workers, min_per_worker))


def work_imap(func: Callable[[Any], Any], inputs: Sequence[Any], workers: int | None = None,
              min_per_worker: int = 100) -> Iterator[Any]:
    """work_map as a generator: results in order, each span of them as soon as it is done, so the caller
    can use (and drop) them while the workers go on."""
    workers = min(workers or cpu_count(), len(inputs) // min_per_worker)
    method = start_method() if workers >= 2 else None
    if method is None:
        yield from map(func, inputs)
        return
    global _work
    _work = (func, inputs)
    try:
        # Small spans: results come back as each is done, so a worker never holds thousands of pages.
        size = min(-(-len(inputs) // (workers * 4)), MAX_SPAN)
        spans = [(start, min(start + size, len(inputs))) for start in range(0, len(inputs), size)]
        with multiprocessing.get_context(method).Pool(workers, initializer=_start_worker) as pool:
            for chunk in pool.imap(_run_span, spans):
                yield from chunk
    finally:
        _work = None


def _start_worker() -> None:
    # Ctrl-C is the parent's to handle: workers just end with it, without a traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.enable()  # the parent may have paused it (gc_paused); a worker's parsing and rendering make garbage


def _run_span(span: tuple[int, int]) -> list[Any]:
    assert _work is not None
    func, inputs = _work
    return [func(inputs[i]) for i in range(*span)]


# ------------------------------------------------------------------ the cyclic GC

@contextmanager
def gc_frozen() -> Iterator[None]:
    """A build makes hundreds of thousands of long-lived objects and little cyclic garbage: what exists
    when it starts (serve's kept site) is frozen so the cyclic GC does not walk it again and again, and
    forked workers share it without copying; `settled()` freezes what the build has made since."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Decoding the store, parsing and planning make hundreds of thousands of objects and next to no
    cyclic garbage: with the cyclic GC stepping in again and again (each time walking everything made
    since the last freeze) they take many times as long (decoding 50,000 items: 21 s instead of 3 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def settled() -> None:
    """Inside gc_frozen: what was made so far lives until the build ends; the GC need not walk it."""
    gc.freeze()


def tidy() -> None:
    """Once a running serve is idle: collect the cyclic garbage and freeze what is kept."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
