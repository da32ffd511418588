"""The URL each visible item had at the last build, kept as plain JSON beside the build cache.

One pair of functions, so whatever stores build state next can take it over: `load_previous_urls`
and `save_urls`. Only visible items are stored (hidden content is never written anywhere); a missing
or damaged file is only a build without the "URL changed" warnings. A build killed while saving it
leaves a temporary copy (of URLs visible then): every read removes those first, so an item hidden since
is not left named on disk.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from site_builder.config import SiteConfig
from site_builder.incremental.store import CACHE_DIR
from site_builder.stages.write import in_use

log = logging.getLogger(__name__)

URLS_FILE = "urls.json"


def _path(config: SiteConfig) -> Path:
    return config.root / CACHE_DIR / URLS_FILE


def load_previous_urls(config: SiteConfig) -> dict[str, str]:
    """content path -> URL at the last build; {} when there is no record or it cannot be read. Whatever
    killed builds left of it goes first (a temporary copy may name an item hidden since)."""
    _remove_leftovers(config)
    try:
        data = json.loads(_path(config).read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", _path(config), exc)
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return {}
    return data


def _remove_leftovers(config: SiteConfig) -> None:
    """Remove the temporary copies killed builds left (not one that a running build is writing)."""
    path = _path(config)
    for leftover in path.parent.glob(f"{URLS_FILE}.tmp-*") if path.parent.is_dir() else ():
        if not in_use(leftover):
            try:
                leftover.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove %s (%s): it may name items hidden since; delete it", leftover, exc)


def save_urls(config: SiteConfig, urls: dict[str, str]) -> None:
    """Replace the record atomically (the folder exists once a build has saved its cache)."""
    path = _path(config)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f"{URLS_FILE}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(urls, sort_keys=True, indent=0, ensure_ascii=False), "utf-8")
    os.replace(tmp, path)


def drop_urls(config: SiteConfig, rel_paths: set[str]) -> None:
    """Remove the URLs of these content files (hidden now) from the record, if it holds any."""
    urls = load_previous_urls(config)
    if rel_paths & urls.keys():
        save_urls(config, {rel: url for rel, url in urls.items() if rel not in rel_paths})
