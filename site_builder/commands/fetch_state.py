"""Per-URL fetch state (ETag, Last-Modified, body digest) in .site-builder-cache/fetch.sqlite."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import OutputError, SiteError
from site_builder.incremental.store import CACHE_DIR

log = logging.getLogger(__name__)

STATE_FILE = "fetch.sqlite"
_SCHEMA = ("CREATE TABLE IF NOT EXISTS fetched (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, digest TEXT, "
           "title TEXT)")


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a URL returned: its validators and a digest of its body."""

    etag: str | None = None
    last_modified: str | None = None
    digest: str | None = None
    title: str = ""                 # the feed's title, to name the source when it is not parsed again


class FetchState:
    """A small SQLite table keyed by URL. A damaged file is only a slower fetch: it is discarded (with a
    warning) and started afresh, never trusted."""

    def __init__(self, root: Path) -> None:
        folder = root / CACHE_DIR
        try:
            folder.mkdir(exist_ok=True)
            gitignore = folder / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n")
        except OSError as exc:
            raise OutputError(f"cannot keep the fetch state here: {exc.strerror}", str(folder)) from None
        self.path = folder / STATE_FILE
        self.warnings: list[str] = []
        try:
            self._db = self._open()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):  # another fetch of this site is running: not damage
                raise SiteError("the fetch state is locked; is another `fetch` running?", str(self.path)) from None
            self._discard(exc)
        except sqlite3.DatabaseError as exc:
            self._discard(exc)

    def _discard(self, exc: Exception) -> None:
        self.warnings.append(f"{CACHE_DIR}/{STATE_FILE}: damaged ({exc}); starting afresh, "
                             "so every source is fetched in full once")
        self.path.unlink()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path)
        try:
            db.execute(_SCHEMA)
            db.execute("SELECT url, etag, last_modified, digest, title FROM fetched LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, url: str) -> Validators:
        row = self._db.execute("SELECT etag, last_modified, digest, title FROM fetched WHERE url = ?",
                               (url,)).fetchone()
        return Validators(row[0], row[1], row[2], row[3] or "") if row else Validators()

    def put(self, url: str, validators: Validators) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO fetched VALUES (?, ?, ?, ?, ?)",
                             (url, validators.etag, validators.last_modified, validators.digest, validators.title))

    def close(self) -> None:
        self._db.close()
