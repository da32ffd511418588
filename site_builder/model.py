"""The plain data passed between build stages: Source, Item and its parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Source:
    """One content file as read from disk: its path relative to the site root, text, mtime and
    a digest of its bytes (the cache key)."""

    rel_path: str
    text: str | None      # None: unchanged since the build that cached its item, not read again
    mtime: float
    digest: str = ""
    stamp: tuple[int, ...] = ()   # inputs.file_stamp as load saw it: the store's quick "unchanged" test


@dataclass(frozen=True)
class Seen:
    """A content file as the store holds it before its item is decoded: its stat stamp, the digest of its
    bytes, its item's key, and whether that item is dated by the file's mtime."""

    stamp: tuple[int, ...]
    digest: str
    key: str
    mtime_dated: bool = False


@dataclass(frozen=True)
class Known:
    """A content file as an earlier build saw it: its stat stamp (inputs.file_stamp), the digest of its
    bytes, and the item parsed from them with that item's key (incremental/keys.py)."""

    stamp: tuple[int, ...]
    digest: str
    key: str
    item: Item
    text: str = field(default="", compare=False, repr=False)   # the item's canonical text, when just parsed

    @property
    def mtime_dated(self) -> bool:
        return self.item.date_from_mtime


@dataclass(frozen=True)
class Provider:
    name: str
    domain: str = ""


@dataclass(frozen=True)
class Image:
    """An item's picture: an http(s) URL, or a site path ('/img/x.png') served from static/."""

    url: str
    width: int | None = None
    height: int | None = None
    alt: str = ""         # what the picture shows, for people who cannot see it
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True)
class Related:
    """Coverage of the same story elsewhere, as listed in an item's `related` key."""

    title: str
    url: str
    excerpt: str = ""
    date: datetime | None = None
    provider: Provider | None = None


@dataclass(frozen=True)
class Item:
    """One news item, parsed and validated; `url` is filled in by the collect stage."""

    rel_path: str
    key: str                      # stable identity: the content path without its suffix
    slug: str
    slug_explicit: bool
    title: str
    date: datetime
    date_from_mtime: bool
    kind: str                     # "article" (Markdown), "text" (plain text) or "link" (no body)
    body_html: str = ""
    excerpt: str = ""
    updated: datetime | None = None
    original_url: str | None = None
    web_url: str | None = None
    amp_url: str | None = None
    category: str | None = None
    type: str | None = None
    quality: float | None = None
    heat: float | None = None
    published: bool = True
    draft: bool = False
    provider: Provider | None = None
    topics: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    related: tuple[Related, ...] = ()
    aliases: tuple[str, ...] = ()   # old site paths of this item ('/news/old-title/'): each gets a redirect
    guid: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    url: str = ""
    # Line of each top-level frontmatter key, so later stages can point at e.g. a clashing `slug:`.
    lines: dict[str, int] = field(default_factory=dict, hash=False, compare=False)

    @property
    def source_url(self) -> str | None:
        """Where the story was first published: originalUrl, else webUrl."""
        return self.original_url or self.web_url
