"""The search index as a keyed output: planned with a key like every page and feed, made only when that
key changed, from the item pages as they pass (stages/search.py makes it).

The index reads exactly: the output path, URL and bytes of every item page (kind "item") the build
plans, and the Pagefind version. Its key (search.index_fingerprint) covers the path and key of each of
those pages (a page's key covers everything its bytes are made from, keys.py) and Pagefind's version,
so equal keys mean equal index files. Pagefind names its chunks by their content, so the index's file
names are known only once it is made: each file carries the key (OutputFile.key) and the write stage
records it; the next build finds the index again by that key in the record (`earlier_index`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from site_builder.config import SiteConfig
from site_builder.stages.plan import Page
from site_builder.stages.search import BUNDLE_DIR, index_fingerprint, index_pages
from site_builder.stages.write import OutputFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchPlan:
    """The index to make: its key, and (output path, URL) of every page it indexes, in path order."""

    key: str
    pages: tuple[tuple[str, str], ...]


def plan_search(pages: Sequence[Page], out_keys: Mapping[str, str], config: SiteConfig) -> SearchPlan | None:
    """The index of the item pages, keyed by theirs; None when the site has no search (search = false)."""
    if not config.search:
        return None
    indexed = tuple(sorted((page.output_path, page.url) for page in pages if page.kind == "item"))
    return SearchPlan(index_fingerprint((path, out_keys[path]) for path, _ in indexed), indexed)


def earlier_index(plan: SearchPlan | None, keys_by_path: Mapping[str, str]) -> tuple[str, ...]:
    """The paths of an earlier build's index made with this plan's key (from the write stage's record,
    or serve's memory): all of them still current means the index need not be made again."""
    if plan is None:
        return ()
    prefix = BUNDLE_DIR + "/"
    return tuple(sorted(p for p, key in keys_by_path.items() if p.startswith(prefix) and key == plan.key))


def with_search_index(files: Iterable[OutputFile], plan: SearchPlan | None, config: SiteConfig,
                      earlier: Sequence[str], skip: frozenset[str] | set[str],
                      kept_bytes: Callable[[str], bytes]) -> Iterator[OutputFile]:
    """`files` as they come, then the index's files but those at `skip`. When every file of the `earlier`
    index with this key (earlier_index) is at `skip`, still in place, the index is not made at all.
    Item pages at `skip` are not among `files`: their bytes come from `kept_bytes`."""
    if plan is None or (earlier and all(p in skip for p in earlier)):
        yield from files
        return
    wanted = dict(plan.pages)
    held: dict[str, bytes] = {}
    for file in files:
        if file.rel_path in wanted:
            held[file.rel_path] = file.data
        yield file
    pages = ((url, held.pop(path) if path in held else kept_bytes(path)) for path, url in plan.pages)
    index = index_pages(pages, config)
    log.debug("search: indexed %d pages into %d files", len(plan.pages), len(index))
    for file in index:
        if file.rel_path not in skip:
            yield OutputFile(file.rel_path, file.data, plan.key)
