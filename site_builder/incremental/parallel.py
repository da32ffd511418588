"""Run a function over many inputs on all cores, in forked workers that share the parent's memory."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
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


def fork_map(func: Callable[[Any], Any], inputs: Sequence[Any], workers: int | None = None,
             min_per_worker: int = 100) -> list[Any]:
    """[func(x) for x in inputs], spread over forked processes when there is enough work to pay for them.

    Results (and exceptions) come back pickled; func itself never crosses a process boundary.
    """
    return list(fork_imap(func, inputs, workers, min_per_worker))


def fork_imap(func: Callable[[Any], Any], inputs: Sequence[Any], workers: int | None = None,
              min_per_worker: int = 100) -> Iterator[Any]:
    """fork_map as a generator: results in order, each span of them as soon as it is done, so the caller
    can use (and drop) them while the workers go on."""
    workers = min(workers or cpu_count(), len(inputs) // min_per_worker)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(func, inputs)
        return
    global _work
    _work = (func, inputs)
    try:
        # Small spans: results come back as each is done, so a worker never holds thousands of pages.
        size = min(-(-len(inputs) // (workers * 4)), MAX_SPAN)
        spans = [(start, min(start + size, len(inputs))) for start in range(0, len(inputs), size)]
        with multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_sigint) as pool:
            for chunk in pool.imap(_run_span, spans):
                yield from chunk
    finally:
        _work = None


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle: workers just end with it, without a traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_span(span: tuple[int, int]) -> list[Any]:
    assert _work is not None
    func, inputs = _work
    return [func(inputs[i]) for i in range(*span)]
