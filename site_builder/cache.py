"""The build cache: what an earlier build already did, so the next one only redoes what changed.

It lives under the site root in `.site-builder-cache/` (git-ignored, never in a global place) and
holds two things: parsed items (on disk, visible ones only: hidden content is never written anywhere) keyed
by file size, mtime and a digest of the bytes, and a manifest of the output files with the
fingerprint of what each was made from. Everything is invalidated at once by a change of
site_builder's code, its libraries, the config or the theme (the stamp).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from site_builder.collect import hidden_reason
from site_builder.config import SiteConfig
from site_builder.model import Item

log = logging.getLogger(__name__)

CACHE_DIR = ".site-builder-cache"
MANIFEST_FILE = "manifest.pickle"
ITEMS_FILE = "items.pickle"
_LIBRARIES = ("markdown", "jinja2", "nh3", "feedgen", "PyYAML", "python-frontmatter")


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
    layout: Any = None        # serve only: the last build's site and pages (layout.Layout), reused while no item moves
    env: Any = None           # serve only: the Jinja2 environment, its templates compiled (the stamp covers them)
    inputs: str = ""          # digest of every input's name, size and mtime at the last build
    report: Any = None        # what the last build told the user (build.Report), repeated when nothing changed


def code_stamp() -> str:
    """Changes whenever site_builder's own code or a library it renders with changes."""
    h = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
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
            items_stamp, files = _load(cache_path(config, ITEMS_FILE))
            cache.files = files if items_stamp == stamp else {}
    except FileNotFoundError:
        return Cache(stamp=stamp)
    except Exception as exc:  # noqa: BLE001 - a damaged cache is only a slower build
        log.warning("ignoring unreadable build cache in %s: %s", config.root / CACHE_DIR, exc)
        return Cache(stamp=stamp)
    return cache


def _load(path: Path) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)


def save_cache(cache: Cache, config: SiteConfig) -> None:
    """Write the cache atomically, items first: a killed build leaves a whole cache or a stale one
    (whose manifest no longer matches), never half of one."""
    folder = config.root / CACHE_DIR
    folder.mkdir(exist_ok=True)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")
    # Hidden items stay in memory only (serve): unpublished content is never written anywhere.
    visible = {rel: known for rel, known in cache.files.items() if hidden_reason(known.item) is None}
    manifest = Cache(stamp=cache.stamp, outputs=cache.outputs, inputs=cache.inputs, report=cache.report)
    _dump((cache.stamp, visible), cache_path(config, ITEMS_FILE))
    _dump(manifest, cache_path(config))


def _dump(data: Any, path: Path) -> None:
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
