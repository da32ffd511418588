"""The store: what the last build knew, kept for the next one in one SQLite file (data only, written in
one transaction), so a build re-parses only changed files and re-renders only outputs whose keys changed.

It lives in `.site-builder-cache/store.sqlite` under the site root (git-ignored). It holds the parsed
visible items with their files' stat stamps and keys, the write stage's record of output/ (out path ->
key and stat stamp: the dependency record, each key a digest of every input the output read, keys.py),
the inputs key and the last report, and the site's layout (incremental/layout.py: every page and feed
as planned, the extra files made from the layout, each item's place and what the layout read of it), read
back piece by piece: a build that reuses the layout decodes only the items and pages it renders.
Hidden items are never stored, not even by name; a --drafts build
stores nothing. Rows of items that became hidden are deleted with SQLite's secure_delete, which
overwrites their bytes in the file. A store that cannot be read (damaged, truncated, hostile, from
another version) is discarded with one warning and the build goes on cold: nothing in it is ever run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from site_builder.config import SiteConfig
from site_builder.incremental import codec
from site_builder.incremental.keys import RACY_NS
from site_builder.model import Item, Known, Seen
from site_builder.stages.collect import hidden_reason
from site_builder.stages.write import Record, Written

log = logging.getLogger(__name__)

CACHE_DIR = ".site-builder-cache"   # the build's own folder in the site root (git-ignored); fetch keeps state there too
STORE_DIR = CACHE_DIR
STORE_FILE = "store.sqlite"
FORMAT = "site-builder store 2"   # changes whenever the tables change
_TABLES = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (rel_path TEXT PRIMARY KEY, stamp TEXT NOT NULL, digest TEXT NOT NULL, key TEXT NOT NULL,
                    mtime_dated INTEGER NOT NULL, item TEXT NOT NULL);
CREATE TABLE outputs (rel_path TEXT PRIMARY KEY, key TEXT NOT NULL, stamp TEXT NOT NULL);
CREATE TABLE placed (rel_path TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, url TEXT NOT NULL,
                     placement TEXT NOT NULL, reads INTEGER NOT NULL, shown_on TEXT NOT NULL);
CREATE TABLE pages (path TEXT PRIMARY KEY, planned TEXT NOT NULL);
CREATE TABLE extras (rel_path TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


@dataclass(frozen=True)
class Stored:
    """What the last build left for this one (empty when there is no usable store)."""

    stamp: str = ""
    started_ns: int = 0                                    # when the build that saved it started
    known: dict[str, Seen] = field(default_factory=dict)   # rel_path -> a content file as it was parsed
    record: Record = field(default_factory=dict)           # the write stage's record of output/
    inputs: str = ""
    report: dict[str, Any] | None = None
    layout: dict[str, Any] | None = None                   # the layout's site-wide part (layout.py), if saved
    damaged: bool = False     # it could not be read (and the user was told): don't try again this build


class StoreError(ValueError):
    """A stored row that is not what this version wrote: the store is damaged (the build goes on cold)."""


@dataclass(frozen=True)
class Memory:
    """What a running `serve` keeps between its in-memory builds (never written anywhere): every parsed
    file (hidden ones too: memory is not disk), every file's key and bytes, the compiled templates and
    the item views by item key. Dropped whole when the stamp changes."""

    stamp: str = ""
    known: dict[str, Known] = field(default_factory=dict)
    rendered: dict[str, tuple[str, bytes]] = field(default_factory=dict)   # out path -> (key, bytes)
    env: Any = None                                                       # jinja2.Environment
    views: dict[str, dict[str, Any]] = field(default_factory=dict)         # placed item key -> item view
    planned: Any = None                                                   # the last build's Planned (build.py)
    laid: Any = None                                                      # and its layout (layout.Laid)


def store_path(config: SiteConfig) -> Path:
    return config.root / STORE_DIR / STORE_FILE


def load_store(config: SiteConfig, stamp: str) -> Stored:
    """The last build's store if it was made with this stamp; else an empty one: only what tells that
    nothing changed (with_known adds the content files' index; load_items their items)."""
    path = store_path(config)
    if not config.use_cache or not path.is_file():
        return Stored(stamp=stamp)
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            meta = dict(db.execute("SELECT name, value FROM meta"))
            if meta.get("format") != FORMAT or meta.get("stamp") != stamp:
                return Stored(stamp=stamp)
            record = {rel: Written(key, stamp_of(st)) for rel, key, st in
                      db.execute("SELECT rel_path, key, stamp FROM outputs")}
            report = json.loads(meta["report"]) if meta.get("report") else None
            layout = json.loads(meta["layout"]) if meta.get("layout") else None
            if layout is not None and type(layout) is not dict:
                raise ValueError("a damaged layout")
            return Stored(stamp, int(meta["started_ns"]), {}, record, meta.get("inputs", ""), report, layout)
    except (sqlite3.Error, ValueError, TypeError, KeyError) as exc:
        warn_damaged(config, exc)
        return Stored(stamp=stamp, damaged=True)


def with_known(config: SiteConfig, stored: Stored) -> Stored:
    """`stored` (loaded without items) with its index of content files (not their items: load_items)."""
    if not stored.started_ns:
        return stored
    try:
        with closing(sqlite3.connect(f"file:{store_path(config)}?mode=ro", uri=True)) as db:
            return replace(stored, known=_known(db, stored.started_ns))
    except (sqlite3.Error, ValueError, TypeError) as exc:
        warn_damaged(config, exc)
        return Stored(stamp=stored.stamp, damaged=True)


def warn_damaged(config: SiteConfig, exc: Exception) -> None:
    """The one warning of a store that cannot be read (the build goes on without it)."""
    log.warning("ignoring the build cache %s: it cannot be read (%s); building without it",
                _shown(store_path(config), config.root), exc)


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _known(db: sqlite3.Connection, started_ns: int) -> dict[str, Seen]:
    known: dict[str, Seen] = {}
    for rel, stamp, digest, key, mtime_dated in db.execute(
            "SELECT rel_path, stamp, digest, key, mtime_dated FROM items"):
        file_stamp = stamp_of(stamp)
        if len(file_stamp) != 4:
            raise ValueError(f"a damaged stamp for {rel!r}")
        if file_stamp[2] >= started_ns - RACY_NS:
            continue  # changed in the same moment as that build: it may have changed again unseen
        known[rel] = Seen(file_stamp, digest, key, bool(mtime_dated))
    return known


def load_items(config: SiteConfig, rel_paths: Iterable[str]) -> dict[str, Item]:
    """The stored items of these files (each checked to be an Item of that path). Raises StoreError."""
    return {rel: _item(rel, text) for rel, text in
            read_rows(config, "SELECT rel_path, item FROM items WHERE rel_path IN ({})", rel_paths)}


def load_placed(config: SiteConfig, slugs: Iterable[str]) -> dict[str, tuple[str, Any, int, list[str]]]:
    """slug -> (rel_path, placement, reads, shown_on) as the layout placed the item. Raises StoreError."""
    rows = read_rows(config, "SELECT slug, rel_path, placement, reads, shown_on FROM placed WHERE slug IN ({})", slugs)
    return {slug: (rel, codec.loads(placement), reads, json.loads(shown)) for slug, rel, placement, reads, shown in rows}


def load_pages(config: SiteConfig, paths: Iterable[str]) -> dict[str, Any]:
    """The planned pages and feed specs at these paths (layout.py's rows). Raises StoreError."""
    return {path: codec.loads(text) for path, text in read_rows(config, "SELECT path, planned FROM pages "
                                                                    "WHERE path IN ({})", paths)}


def load_extras(config: SiteConfig) -> dict[str, bytes]:
    """The layout's own files (sitemap, robots.txt, redirects, the search shards list). Raises StoreError."""
    return {rel: bytes(data) for rel, data in read_rows(config, "SELECT rel_path, data FROM extras", None)}


def _item(rel: str, text: str) -> Item:
    item = codec.loads(text)
    if type(item) is not Item or item.rel_path != rel:
        raise StoreError(f"a damaged item for {rel!r}")
    return item


def read_rows(config: SiteConfig, query: str, keys: Iterable[str] | None) -> list[tuple]:
    """The rows of a query over the store, `{}` filled with a placeholder per key (in chunks). Raises StoreError."""
    path = store_path(config)
    if keys is not None:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return []
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            if keys is None:
                return db.execute(query).fetchall()
            rows: list[tuple] = []
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows += db.execute(query.format(",".join("?" * len(chunk))), chunk).fetchall()
            return rows
    except (sqlite3.Error, ValueError, TypeError) as exc:
        raise StoreError(f"the build cache cannot be read ({exc})") from None


def save_store(config: SiteConfig, stored: Stored, layout: LayoutRows | None = None,
               loaded: Stored | None = None) -> None:
    """Replace the store with `stored` in one transaction (a killed build leaves the old store or the new
    one), with the layout's rows when the build made a new layout (else the stored one stays). Hidden
    items are left out here; --drafts builds never save at all. `loaded` is the store as this build
    loaded it: while the file still holds that very store, only rows that differ from it are written,
    without reading the table back (an edit changes a few output rows of hundreds of thousands)."""
    folder = config.root / STORE_DIR
    path = store_path(config)
    try:
        folder.mkdir(exist_ok=True)
        gitignore = folder / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("*\n")
        for old in ("manifest.pickle", "layout.pickle", *(f"items-{n:02d}.pickle" for n in range(16))):
            (folder / old).unlink(missing_ok=True)  # an earlier version's cache: pickles are never read
        shutil.rmtree(folder / "templates", ignore_errors=True)  # nor compiled templates (code) from one
        try:
            _save(path, stored, layout, loaded)
        except sqlite3.DatabaseError as exc:
            # Damaged beyond what SQLite will write to (loading it has warned already): start a new file.
            log.debug("replacing the damaged build cache %s (%s)", path, exc)
            path.unlink(missing_ok=True)
            _save(path, stored, layout)
    except (sqlite3.Error, OSError) as exc:
        log.warning("could not save the build cache %s (%s); the next build starts without it", path, exc)


@dataclass(frozen=True)
class LayoutRows:
    """A layout as the store keeps it (incremental/layout.py makes it): the site-wide part, and rows."""

    meta: dict[str, Any]
    placed: list[tuple[str, str, str, str, int, str]]   # rel_path, slug, url, placement, reads, shown_on
    pages: list[tuple[str, str]]                    # out path (a feed's: its folder), planned page or feed
    extras: list[tuple[str, bytes]]


def forget(config: SiteConfig, hidden: set[str]) -> None:
    """After a build that stores nothing (--drafts, --no-cache, serve): the store must not keep what it
    holds of items that are hidden now (stored while they were visible). If it holds any of them, its
    file is overwritten with zeros and removed (the next build is cold)."""
    if not hidden:
        return
    path = store_path(config)
    try:
        if path.is_file():
            try:
                with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                    held = any(db.execute("SELECT 1 FROM items WHERE rel_path = ?", (rel,)).fetchone()
                               for rel in sorted(hidden))
            except sqlite3.Error:
                held = True  # unreadable: it may hold anything
            if held:
                _erase(path)
                _erase(path.with_name(STORE_FILE + "-journal"))
    except OSError as exc:
        log.warning("could not remove the build cache %s (%s): it may hold items hidden since; delete "
                    "the folder %s", path, exc, CACHE_DIR)


def _erase(path: Path) -> None:
    """Overwrite a file with zeros, then remove it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with open(path, "r+b") as handle:
        handle.write(bytes(size))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()


def _save(path: Path, stored: Stored, layout: LayoutRows | None, loaded: Stored | None = None) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("PRAGMA secure_delete = ON")  # a deleted row's bytes are overwritten, not left behind
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("BEGIN IMMEDIATE")
        try:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            meta = dict(db.execute("SELECT name, value FROM meta")) if "meta" in tables else {}
            if meta.get("format") != FORMAT or meta.get("stamp") != stored.stamp or stored.damaged:
                for name in tables:
                    db.execute(f'DROP TABLE "{name}"')
                for statement in filter(str.strip, _TABLES.split(";")):
                    db.execute(statement)
                meta = {}
            same = loaded is not None and not loaded.damaged and loaded.started_ns > 0 \
                and meta.get("started_ns") == str(loaded.started_ns) and meta.get("stamp") == loaded.stamp
            _save_items(db, stored.known)
            _save_record(db, stored.record, loaded.record if same else None)
            layout_meta = meta.get("layout", "")
            if layout is not None or not layout_meta:
                for table in ("placed", "pages", "extras"):
                    db.execute(f"DELETE FROM {table}")
                layout_meta = ""
            if layout is not None:
                db.executemany("INSERT INTO placed VALUES (?, ?, ?, ?, ?, ?)", layout.placed)
                db.executemany("INSERT INTO pages VALUES (?, ?)", layout.pages)
                db.executemany("INSERT INTO extras VALUES (?, ?)", layout.extras)
                layout_meta = json.dumps(layout.meta)
            db.execute("DELETE FROM meta")
            db.executemany("INSERT INTO meta VALUES (?, ?)", (
                ("format", FORMAT), ("stamp", stored.stamp), ("started_ns", str(stored.started_ns)),
                ("inputs", stored.inputs), ("report", json.dumps(stored.report) if stored.report else ""),
                ("layout", layout_meta)))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _save_record(db: sqlite3.Connection, record: Record, held: Record | None) -> None:
    """Write only the output records that changed (an edit changes a few of tens of thousands): those
    that differ from `held`, what the table holds, or, when it is not given, from the table read back."""
    if held is None:
        have = {rel: (key, stamp) for rel, key, stamp in db.execute("SELECT rel_path, key, stamp FROM outputs")}
        gone = have.keys() - record.keys()
        rows = ((rel, w.key, stamp_text(w.stamp)) for rel, w in record.items())
        changed = [row for row in rows if have.get(row[0]) != row[1:]]
    else:
        gone = held.keys() - record.keys()
        changed = [(rel, w.key, stamp_text(w.stamp)) for rel, w in record.items() if held.get(rel) != w]
    db.executemany("DELETE FROM outputs WHERE rel_path = ?", ((rel,) for rel in gone))
    db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)", changed)


def stamp_text(stamp: tuple[int, ...]) -> str:
    """A stat stamp as the store keeps it: JSON's list of whole numbers, '[1, 2, 3, 4]'."""
    return "[" + ", ".join(map(str, stamp)) + "]"


def stamp_of(text: str) -> tuple[int, ...]:
    """stamp_text undone; ValueError for anything else (a damaged store)."""
    if type(text) is not str or text[:1] != "[" or text[-1:] != "]":
        raise ValueError(f"a damaged stamp {text!r:.40}")
    return tuple(int(part) for part in text[1:-1].split(", ")) if text != "[]" else ()


def _save_items(db: sqlite3.Connection, known: dict[str, Seen | Known]) -> None:
    """Write only rows that changed: an edit rewrites one row, not the whole store (a file only touched
    gets its new stamp). Hidden items are never written, whoever asks: the store keeps them out itself
    (their rows, if any, are deleted). A Seen entry is a row already stored (a visible item)."""
    known = {rel: k for rel, k in known.items() if type(k) is Seen or hidden_reason(k.item) is None}
    have = dict(db.execute("SELECT rel_path, stamp || ' ' || key FROM items"))
    gone = [(rel,) for rel in have.keys() - known.keys()]
    db.executemany("DELETE FROM items WHERE rel_path = ?", gone)
    changed = [(rel, k) for rel, k in known.items() if have.get(rel) != f"{stamp_text(k.stamp)} {k.key}"]
    db.executemany("UPDATE items SET stamp = ? WHERE rel_path = ?",
                   ((stamp_text(k.stamp), rel) for rel, k in changed if type(k) is Seen))
    db.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?)",
                   ((rel, stamp_text(k.stamp), k.digest, k.key, int(k.item.date_from_mtime), k.text or codec.dumps(k.item))
                    for rel, k in changed if type(k) is Known))
