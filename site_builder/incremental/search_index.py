"""Put the search index at the end of a build's files: the last build's when no indexed page changed,
else a new one from the item pages as they pass (stages/search.py makes it).

The index reads exactly: the output path, URL, bytes and fingerprint of every item page (kind "item")
the build plans, and the Pagefind version. Its fingerprint (search.index_fingerprint) covers all of
them, so a warm build reuses the index only when a cold one would make the same bytes.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from site_builder.config import SiteConfig
from site_builder.incremental.cache import Cache
from site_builder.stages.plan import Page
from site_builder.stages.search import BUNDLE_DIR, index_fingerprint, index_pages
from site_builder.stages.write import OutputFile

log = logging.getLogger(__name__)

Reuse = Callable[[str, str], "OutputFile | None"]


def with_search_index(files: Iterable[OutputFile], pages: Sequence[Page], fingerprints: dict[str, str],
                      config: SiteConfig, previous: Cache, cache: Cache, output: Path | None,
                      reuse: Reuse) -> Iterator[OutputFile]:
    """`files` as they come, then the index's files, each recorded in `fingerprints` (and, for `build`,
    in the cache's output manifest) under the index's fingerprint."""
    urls = {page.output_path: page.url for page in pages if page.kind == "item"}
    held: dict[str, bytes | None] = {}
    for file in files:
        if file.rel_path in urls:
            held[file.rel_path] = file.data
        yield file
    fingerprint = index_fingerprint((path, fingerprints[path]) for path in urls)
    index = _last_index(previous, fingerprint, reuse)
    if index is None:
        index = index_pages(((urls[path], _page_bytes(path, data, output)) for path, data in held.items()), config)
        log.debug("search: indexed %d pages into %d files", len(held), len(index))
    for file in index:
        fingerprints[file.rel_path] = fingerprint
        if output is not None:
            cache.outputs[file.rel_path] = (fingerprint, 0, 0)
        yield file


def _last_index(previous: Cache, fingerprint: str, reuse: Reuse) -> list[OutputFile] | None:
    """The last build's index files, if it was made from the same pages and every file is still there."""
    prefix = BUNDLE_DIR + "/"
    paths = sorted({p for p in (*previous.outputs, *previous.rendered) if p.startswith(prefix)})
    kept = [reuse(path, fingerprint) for path in paths]
    if not paths or any(file is None for file in kept):
        return None
    return kept  # type: ignore[return-value]  # none is None


def _page_bytes(path: str, data: bytes | None, output: Path | None) -> bytes:
    """A page's HTML: as rendered now, or (data None) the file in output/ that `reuse` found to be exactly
    what this build would render."""
    if data is not None:
        return data
    assert output is not None
    with open(os.path.join(output, path), "rb") as handle:
        return handle.read()
