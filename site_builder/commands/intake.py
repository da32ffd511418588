"""What content/ already holds (story URLs, slugs) and the writer every imported or fetched entry goes through."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_builder.commands.scaffold import item_slug, write_item
from site_builder.errors import ContentError
from site_builder.stages.content import content_paths, read_source, split_frontmatter
from site_builder.urls import normalize_url

log = logging.getLogger(__name__)


@dataclass
class KnownContent:
    """What content/ already holds, for duplicate checks: normalised story URLs and item slugs."""

    urls: set[str]
    slugs: set[str]
    problems: list[str]


def load_known_content(root: Path) -> KnownContent:
    """Normalised originalUrl/webUrl and the slug of every item under root/content/, and a warning per
    unreadable file."""
    known = KnownContent(set(), set(), [])
    for path in content_paths(root / "content"):
        rel = path.relative_to(root).as_posix()
        try:
            text = read_source(path, rel).text
            meta = split_frontmatter(text, rel)[0] if text.startswith("---") else {}
        except ContentError as exc:
            known.problems.append(f"{exc} (not checked for duplicates)")
            continue
        known.urls.update(_url_keys(meta))
        slug = item_slug(meta, text)
        if slug is not None:
            known.slugs.add(slug)
    return known


def _url_keys(meta: dict[str, Any]) -> set[str]:
    return {normalize_url(meta[key]) for key in ("originalUrl", "webUrl")
            if isinstance(meta.get(key), str) and meta[key].strip()}


def is_duplicate(entry: dict[str, Any], known: KnownContent) -> bool:
    """True if the entry's story is already in content/ (or was taken earlier in this run, which it marks)."""
    keys = _url_keys(entry)
    if keys & known.urls:
        return True
    known.urls |= keys
    return False


def write_entries(content_dir: Path, entries: list[dict[str, Any]], known: KnownContent) -> list[Path]:
    """Write each entry as a content file (scaffold.write_item pins a `slug:` unique in content/, so the
    item keeps its URL when the curator rewrites the headline)."""
    return [write_item(content_dir, entry, taken=known.slugs) for entry in entries]
