"""The search index as keyed outputs: one Pagefind index per month (a shard), each planned with a key like
every page and feed, made only when its key changed, from the item pages as they pass (stages/search.py
makes it).

A shard reads exactly: the output path, URL and bytes of the item pages (kind "item") of its month, and
the Pagefind version. Its key (search.index_fingerprint) covers the path and key of each of those pages
(a page's key covers everything its bytes are made from, keys.py) and Pagefind's version, so equal keys
mean equal shard files: an edit to one item re-indexes only its month. Pagefind's runtime files
(pagefind.js, its worker and wasm, under pagefind/) come out of any shard's indexing and are keyed by the
Pagefind version and the build stamp. Pagefind names its chunks by their content, so a shard's file
names are known only once it is made: each file carries its key (OutputFile.key) and the write stage
records it; the next build finds the shard again by its folder and key in the record (`earlier_index`).
pagefind/shards.json, the list of shards, is planned with the pages (unkeyed, made every build).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from site_builder.config import SiteConfig
from site_builder.stages.collect import Site
from site_builder.stages.plan import Page
from site_builder.stages.search import index_fingerprint, index_shards, is_runtime, shard_dir, shard_of
from site_builder.stages.write import OutputFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchPlan:
    """One shard to make: its folder (pagefind/shards/YYYY-MM), its key, and (output path, URL) of every
    page it indexes, in path order."""

    folder: str
    key: str
    pages: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SearchIndex:
    """Every shard, newest month first, and the key of Pagefind's runtime files."""

    shards: tuple[SearchPlan, ...]
    runtime_key: str

    @property
    def months(self) -> tuple[str, ...]:
        return tuple(shard.folder.rsplit("/", 1)[1] for shard in self.shards)


Shards = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]   # (folder, ((output path, URL), ...)), newest first


def shard_pages(pages: Sequence[Page], site: Site, config: SiteConfig) -> Shards | None:
    """Which item pages each shard indexes (part of the layout); None when the site has no search."""
    if not config.search:
        return None
    item = site.by_slug()
    by_month: dict[str, list[tuple[str, str]]] = {}
    for page in pages:
        if page.kind == "item":  # an item page's first slug is its own item
            by_month.setdefault(shard_of(item[page.slugs[0]], config), []).append((page.output_path, page.url))
    return tuple((shard_dir(month), tuple(sorted(indexed))) for month, indexed in sorted(by_month.items(), reverse=True))


def plan_search(shards: Shards | None, out_keys: Mapping[str, str], stamp: str) -> SearchIndex | None:
    """The shards, each keyed by its pages' keys; None when the site has no search."""
    if shards is None:
        return None
    return SearchIndex(tuple(SearchPlan(folder, index_fingerprint((path, out_keys[path]) for path, _ in indexed),
                                        indexed) for folder, indexed in shards),
                       index_fingerprint([("runtime", stamp)]))


def earlier_index(plan: SearchIndex | None, keys_by_path: Mapping[str, str]) -> dict[str, str]:
    """The paths (-> key) of an earlier build's shards and runtime files made with this plan's keys (from
    the write stage's record, or serve's memory): a shard all of whose files are still current need not
    be made again."""
    if plan is None or not plan.shards:
        return {}
    wanted = {shard.folder: shard.key for shard in plan.shards}
    earlier = {}
    for path, key in keys_by_path.items():
        if key == (plan.runtime_key if is_runtime(path) else wanted.get(_folder(path))):
            earlier[path] = key
    return dict(sorted(earlier.items()))


def with_search_index(files: Iterable[OutputFile], plan: SearchIndex | None, config: SiteConfig,
                      earlier: Mapping[str, str], skip: frozenset[str] | set[str],
                      kept_bytes: Callable[[str], bytes]) -> Iterator[OutputFile]:
    """`files` as they come, then the files of the shards to make but those at `skip`. A shard every file
    of whose `earlier` index with its key (earlier_index) is at `skip`, still in place, is not made; the
    runtime files come out of the first shard made (the newest month's when only they are missing).
    Item pages at `skip` are not among `files`: their bytes come from `kept_bytes`."""
    if plan is None or not plan.shards:
        yield from files
        return

    def in_place(paths: list[str]) -> bool:
        return bool(paths) and all(p in skip for p in paths)

    by_folder: dict[str | None, list[str]] = {}
    for path in earlier:
        by_folder.setdefault(_folder(path), []).append(path)
    todo = [shard for shard in plan.shards if not in_place(by_folder.get(shard.folder, []))]
    runtime_kept = in_place([p for p in earlier if is_runtime(p)])
    if not todo and not runtime_kept:
        todo = [plan.shards[0]]
    if not todo:
        yield from files
        return
    wanted = {path: url for shard in todo for path, url in shard.pages}
    held: dict[str, bytes] = {}
    for file in files:
        if file.rel_path in wanted:
            held[file.rel_path] = file.data
        yield file
    made = index_shards([(shard.folder, [(url, held.pop(path) if path in held else kept_bytes(path))
                                         for path, url in shard.pages]) for shard in todo], config)
    log.debug("search: indexed %d shards (%d pages) into %d files", len(todo), len(wanted), len(made))
    key_of = {shard.folder: shard.key for shard in todo}
    for file in made:
        if file.rel_path in skip:
            continue
        if is_runtime(file.rel_path):
            yield OutputFile(file.rel_path, file.data, plan.runtime_key)
        else:
            yield OutputFile(file.rel_path, file.data, key_of[_folder(file.rel_path)])


def _folder(path: str) -> str | None:
    """The shard folder a path is in (pagefind/shards/YYYY-MM), or None."""
    parts = path.split("/", 3)
    return "/".join(parts[:3]) if len(parts) == 4 and path.startswith(shard_dir("")) else None
