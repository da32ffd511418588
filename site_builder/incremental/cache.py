"""The build cache: what an earlier build already did, so the next one only redoes what changed.

It lives under the site root in `.site-builder-cache/` (git-ignored, never in a global place) and
holds three things: parsed items (on disk, visible ones only: hidden content is never written anywhere) keyed
by file size, mtime and a digest of the bytes, in shards; the last layout (site and pages, layout.py; not
written for --drafts builds, which show hidden items); and a manifest of the output files with the
fingerprint of what each was made from. Everything is invalidated at once by a change of
site_builder's code, its libraries, the config or the theme (the stamp).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Iterator

from site_builder.stages.collect import hidden_reason
from site_builder.config import SiteConfig
from site_builder.incremental.layout import packed, unpacked
from site_builder.model import Item

log = logging.getLogger(__name__)

CACHE_DIR = ".site-builder-cache"
MANIFEST_FILE = "manifest.pickle"
ITEMS_FILE = "items-{:02d}.pickle"   # items are kept in shards, so an edit rewrites one of them
ITEM_SHARDS = 16
LAYOUT_FILE = "layout.pickle"
_LIBRARIES = ("markdown", "jinja2", "nh3", "feedgen", "PyYAML", "python-frontmatter", "lxml", "imagesize")


@dataclass(frozen=True)
class Known:
    """A content file as an earlier build saw it."""

    size: int
    mtime_ns: int
    digest: str
    item: Item


@dataclass
class Cache:
    """State carried from one build to the next (on disk for `build`, in memory for `serve`)."""

    stamp: str = ""
    files: dict[str, Known] = field(default_factory=dict)                  # rel_path -> Known
    outputs: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # out path -> (fingerprint, size, mtime_ns)
    rendered: dict[str, tuple[str, bytes]] = field(default_factory=dict)   # serve only: out path -> (fingerprint, bytes)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)         # serve only: item key -> item view
    layout: Any = None        # the last build's site and pages (layout.Layout), reused while no item moves
    env: Any = None           # serve only: the Jinja2 environment, its templates compiled (the stamp covers them)
    inputs: str = ""          # digest of every input's name, size and mtime at the last build
    report: Any = None        # what the last build told the user (build.Report), repeated when nothing changed


def code_stamp() -> str:
    """Changes whenever site_builder's own code or a library it renders with changes."""
    h = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={version(name)}".encode())
        except Exception:  # noqa: BLE001 - a library without metadata just doesn't contribute
            h.update(name.encode())
    return h.hexdigest()


def config_stamp(config: SiteConfig) -> str:
    """The config as it affects output (paths excluded, so a moved site keeps its cache)."""
    relevant = {k: v for k, v in vars(config).items() if k not in ("root", "output", "use_cache")}
    return hashlib.blake2b(repr(sorted(relevant.items())).encode(), digest_size=16).hexdigest()


def tree_stamp(folders: list[Path]) -> str:
    """A digest of every file (name and bytes) under some folders: templates, static files."""
    h = hashlib.blake2b(digest_size=16)
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def templates_dir(config: SiteConfig) -> Path | None:
    """Where Jinja2 keeps compiled templates between builds: none with --no-cache, nor before a first
    build has succeeded (a failing first build leaves nothing behind)."""
    if not config.use_cache or not (config.root / CACHE_DIR).is_dir():
        return None
    folder = config.root / CACHE_DIR / "templates"
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        log.warning("not keeping compiled templates in %s: %s", folder, exc.strerror)
        return None
    return folder


def _ignored_by_git(folder: Path) -> None:
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")


def cache_path(config: SiteConfig, name: str = MANIFEST_FILE) -> Path:
    return config.root / CACHE_DIR / name


def load_cache(config: SiteConfig, stamp: str, with_items: bool = True) -> Cache:
    """The cache of the last build, or an empty one if there is none, it is unreadable or stale.
    Without items it reads only the small manifest (enough to see that nothing changed)."""
    if not config.use_cache:
        return Cache(stamp=stamp)
    try:
        cache = _load(cache_path(config))
        if not isinstance(cache, Cache) or cache.stamp != stamp:
            return Cache(stamp=stamp)
        if with_items:
            load_items(cache, config)
    except FileNotFoundError:
        return Cache(stamp=stamp)
    except Exception as exc:  # noqa: BLE001 - a damaged cache is only a slower build
        log.warning("ignoring unreadable build cache in %s: %s", config.root / CACHE_DIR, exc)
        return Cache(stamp=stamp)
    return cache


def load_items(cache: Cache, config: SiteConfig) -> None:
    """Fill a loaded manifest's cache with the cached items (every shard that is there and current) and layout."""
    with _gc_paused():
        _load_items(cache, config)


def _load_items(cache: Cache, config: SiteConfig) -> None:
    for shard in range(ITEM_SHARDS):
        try:
            shard_stamp, files = _load(cache_path(config, ITEMS_FILE.format(shard)))
        except FileNotFoundError:
            continue
        if shard_stamp == cache.stamp:
            cache.files.update(files)
    cache.layout = _load_layout(config, cache.stamp, cache.files)


def _shard(rel_path: str) -> int:
    return zlib.crc32(rel_path.encode()) % ITEM_SHARDS


def _load_layout(config: SiteConfig, stamp: str, files: dict[str, Known]) -> Any:
    try:
        layout_stamp, packed_layout = _load(cache_path(config, LAYOUT_FILE))
    except FileNotFoundError:
        return None
    if layout_stamp != stamp:
        return None
    return unpacked(packed_layout, {rel: known.item for rel, known in files.items()})


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading the cache makes hundreds of thousands of objects and no garbage: without the cyclic GC
    stepping in again and again it takes about half the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(path: Path) -> Any:
    with open(path, "rb") as f, _gc_paused():
        return pickle.load(f)


def save_cache(cache: Cache, config: SiteConfig, previous: dict[str, Known] | None = None) -> None:
    """Write the cache, each file atomically, items first. Any mix of old and new files is still right
    (items are keyed by their file's size, mtime and digest; pages by their fingerprints), so a killed
    build leaves a cache that is at worst stale. Only item shards that changed since `previous` are written."""
    folder = config.root / CACHE_DIR
    folder.mkdir(exist_ok=True)
    _ignored_by_git(folder)
    # Hidden items stay in memory only (serve): unpublished content is never written anywhere.
    visible = {rel: known for rel, known in cache.files.items() if hidden_reason(known.item) is None}
    manifest = Cache(stamp=cache.stamp, outputs=cache.outputs, inputs=cache.inputs, report=cache.report)
    before = {rel: known for rel, known in (previous or {}).items() if hidden_reason(known.item) is None}
    dirty = {_shard(rel) for rel in visible.keys() ^ before.keys()}
    dirty.update(_shard(rel) for rel, known in visible.items() if before.get(rel) is not known)
    if previous is None:
        dirty = set(range(ITEM_SHARDS))
    for shard in sorted(dirty):
        _dump((cache.stamp, {rel: k for rel, k in visible.items() if _shard(rel) == shard}),
              cache_path(config, ITEMS_FILE.format(shard)))
    if cache.layout is not None and not config.drafts:  # with drafts shown, the layout holds hidden items
        _dump((cache.stamp, packed(cache.layout)), cache_path(config, LAYOUT_FILE))
    _dump(manifest, cache_path(config))


def _dump(data: Any, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
