"""Keep an in-memory build of a site current: watch its sources, rebuild after each burst of changes, swap it in."""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Callable, Mapping

from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileAttribEvent, FileClosedEvent,
                             FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent,
                             FileSystemEvent, FileSystemEventHandler)
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from site_builder.commands.build import build_site, summary
from site_builder.incremental.store import Memory
from site_builder.incremental.workers import tidy
from site_builder.config import SiteConfig
from site_builder.inputs import INPUT_DIRS, is_input
from site_builder.errors import SiteError

log = logging.getLogger(__name__)

WATCHED_DIRS = INPUT_DIRS
# Quiet time after the last change before rebuilding: long enough to gather an editor's save or a
# `git checkout` into one rebuild, short enough not to be felt.
DEBOUNCE_SECONDS = 0.03
# After a rebuild, once no change has come for this long, cyclic garbage is collected and what is left is
# frozen (gc.freeze): a rebuild then never stops to walk the whole kept site, which costs about 0.25 s at
# 10,000 items.
TIDY_AFTER_SECONDS = 1.0
# Reads (opened, closed without writing) and a folder's own "modified" (always paired with an event
# about the child that changed) are left out: the build itself reads every file.
_EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent, FileAttribEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]

Configure = Callable[[], SiteConfig]  # reads site.toml (and applies command-line overrides) afresh


# Whether a change at a path can change the site: the one input rule (site_builder/inputs.py).
is_relevant = is_input


def event_paths(event: FileSystemEvent) -> list[str]:
    """The paths an event is about: both ends of a move (an atomic save is a rename onto the file)."""
    if event.is_directory and event.event_type == "modified":
        return []
    if event.event_type not in ("created", "deleted", "modified", "moved", "closed", "attrib"):
        return []
    paths = [event.src_path, getattr(event, "dest_path", "") or ""]
    return [p if isinstance(p, str) else p.decode() for p in paths if p]


class RebuildLoop:
    """Calls `rebuild` on its own thread once changes have been quiet for `delay` seconds.

    Any number of changes during the quiet time make one rebuild; changes that arrive while a rebuild
    runs make exactly one more after it. `rebuild` should not raise; if it does, the error is logged
    and the loop carries on.
    """

    def __init__(self, rebuild: Callable[[], None], delay: float = DEBOUNCE_SECONDS) -> None:
        self._rebuild = rebuild
        self._delay = delay
        self._cond = threading.Condition()
        self._pending = False
        self._last_change = 0.0
        self._stopping = False
        # A daemon, so Ctrl-C during a long rebuild does not have to wait for it to finish.
        self._thread = threading.Thread(target=self._run, name="site-builder-rebuild", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def changed(self) -> None:
        """Note a change (safe from any thread; cheap)."""
        with self._cond:
            self._pending = True
            self._last_change = time.monotonic()
            self._cond.notify_all()

    def stop(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        if hasattr(signal, "pthread_sigmask"):
            # Ctrl-C is handled on the main thread anyway; blocking it here also blocks it in the worker
            # processes a build forks from this thread, so a terminal's Ctrl-C does not make each of them
            # print a traceback.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        while self._wait_for_quiet():
            try:
                self._rebuild()
            except Exception:  # noqa: BLE001 - the loop must outlive any bug in a rebuild
                log.error("rebuild failed unexpectedly; still serving the last site", exc_info=True)
            self._tidy_when_idle()

    def _tidy_when_idle(self) -> None:
        with self._cond:
            if self._cond.wait_for(lambda: self._pending or self._stopping, TIDY_AFTER_SECONDS):
                return
        tidy()

    def _wait_for_quiet(self) -> bool:
        """Block until there are changes and `delay` has passed since the last one; False when stopping."""
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            while not self._stopping:
                remaining = self._last_change + self._delay - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            self._pending = False
            return not self._stopping


class Watcher:
    """Reports relevant changes under a site root to `changed` (from watchdog's thread).

    The root itself is watched without recursion (site.toml, and the source folders appearing or
    vanishing); each source folder that exists is watched recursively, and is watched afresh when it
    is created, deleted or moved after start.
    """

    def __init__(self, root: Path, changed: Callable[[], None]) -> None:
        self.root = root
        self._changed = changed
        self._observer = Observer()
        self._handler = _Handler(self)
        self._folders: dict[str, ObservedWatch] = {}

    def start(self) -> None:
        self._observer.schedule(self._handler, str(self.root), recursive=False, event_filter=_EVENT_TYPES)
        for name in WATCHED_DIRS:
            self._rewatch(name)
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join()

    def on_event(self, event: FileSystemEvent) -> None:
        paths = event_paths(event)
        if event.is_directory:
            for path in map(PurePath, paths):
                if path.parent == PurePath(self.root) and path.name in WATCHED_DIRS:
                    self._rewatch(path.name)
        if any(is_relevant(path, self.root) for path in paths):
            log.debug("change: %s %s", event.event_type, " -> ".join(paths))
            self._changed()

    def _rewatch(self, name: str) -> None:
        """Drop the watch on root/name (it may be dead: the folder was deleted) and watch it again if it exists."""
        old = self._folders.pop(name, None)
        if old is not None:
            try:
                self._observer.unschedule(old)
            except KeyError:
                log.debug("watch on %s/ was already gone", name)
        folder = self.root / name
        if folder.is_dir():
            try:
                self._folders[name] = self._observer.schedule(self._handler, str(folder), recursive=True,
                                                              event_filter=_EVENT_TYPES)
            except OSError as exc:
                log.warning("cannot watch %s/: %s", name, exc)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        super().__init__()
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._watcher.on_event(event)


# ------------------------------------------------------------------ building

@dataclass(frozen=True)
class BuildOutcome:
    """One build as serve sees it: the files (None when it failed) or the error lines."""

    files: Mapping[str, bytes] | None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    base_path: str = "/"
    summary: str = ""
    memory: Memory = field(default_factory=Memory)  # what the next build starts from


def build_preview(configure: Configure, previous: Memory) -> BuildOutcome:
    """The one place serve builds the site: site.toml is read again (so its edits count), and the last
    good build's in-memory cache is reused (nothing is read from or written to output/). Never raises."""
    started = time.perf_counter()
    try:
        config = configure()
        result = build_site(config, previous)
    except SiteError as exc:
        return BuildOutcome(None, tuple(str(exc).splitlines()) or (type(exc).__name__,), memory=previous)
    except Exception as exc:  # noqa: BLE001 - a bug in a rebuild must not take the preview down
        log.error("unexpected error while building", exc_info=log.isEnabledFor(logging.DEBUG))
        # The next build starts from an empty cache, in case the bug left this one inconsistent.
        return BuildOutcome(None, (f"internal error: {type(exc).__name__}: {exc} "
                                   "(a site-builder bug; run with --debug for the traceback)",))
    files = MappingProxyType({f.rel_path: f.data for f in result.files})
    return BuildOutcome(files, (), tuple(result.warnings), config.base_path,
                        summary(result.report(), None, time.perf_counter() - started), result.memory)


# ------------------------------------------------------------------ the live site

@dataclass(frozen=True)
class Snapshot:
    """What is being served: the last good site, and the last build's errors while the site is broken."""

    files: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    errors: tuple[str, ...] = ()
    base_path: str = "/"
    generation: int = 0

    @property
    def has_site(self) -> bool:
        return bool(self.files)


class LiveSite:
    """The Snapshot being served, replaced whole under a lock; event streams wait here for the next one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._snapshot = Snapshot()
        self._closed = False

    def current(self) -> Snapshot:
        with self._cond:
            return self._snapshot

    def publish(self, outcome: BuildOutcome) -> Snapshot:
        """Swap in a finished build (or, for a failed one, its errors over the last good site) and wake the streams."""
        with self._cond:
            old = self._snapshot
            if outcome.files is not None:
                new = Snapshot(outcome.files, (), outcome.base_path, old.generation + 1)
            else:
                new = Snapshot(old.files, outcome.errors, old.base_path, old.generation + 1)
            self._snapshot = new
            self._cond.notify_all()
        return new

    def wait_for_change(self, generation: int, timeout: float) -> int | None:
        """The current generation once it differs from `generation` or `timeout` passes; None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._snapshot.generation != generation, timeout)
            return None if self._closed else self._snapshot.generation

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
