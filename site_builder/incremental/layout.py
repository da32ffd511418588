"""The site's layout kept between builds, and its reuse: when an edit changes only fields of items that
collect and plan never read of them (a body, say), the last layout is the one a cold build would make,
so a build re-keys and re-renders only the pages and feeds that show the changed items (keys.py, rule 6).

The layout (commands/build.lay_out) is everything decided from the shown items and the hidden counts:
the placed site, every page and feed spec, the files made from it alone (sitemap, robots.txt, redirects,
the search shards list), the search shards' members, each item's slug, URL and group slugs. It is made
under incremental/trace.py, which records the fields read of each item. It may be reused when the build
stamp is the same (store.py keeps nothing across stamps), the shown files are the same set, the hidden
items are as many for each reason, the static files have the same names, and every shown item whose file
changed agrees with its stored value on every field the layout read of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Iterable, Mapping

from site_builder.config import SiteConfig
from site_builder.incremental import codec, keys
from site_builder.incremental.search_index import SearchIndex, Shards, plan_search
from site_builder.incremental.store import (LayoutRows, StoreError, load_extras, load_items, load_pages, load_placed,
                                            read_rows)
from site_builder.incremental.trace import Reads, same_reads
from site_builder.model import Item, Known, Seen
from site_builder.stages.collect import Site, gate, hidden_reason, is_shown, placed
from site_builder.stages.feeds import FEED_FILES, FeedSpec
from site_builder.stages.plan import Page
from site_builder.stages.aliases import moved_urls
from site_builder.stages.views import GroupSlugs, ItemViews
from site_builder.stages.write import OutputFile, Record


@dataclass(frozen=True)
class Layout:
    """Everything collect and plan decide from the shown items and the hidden counts."""

    site: Site
    pages: tuple[Page, ...]
    feeds: tuple[FeedSpec, ...]
    files: tuple[OutputFile, ...]                     # made from the layout alone: sitemap, robots.txt, ...
    shards: Shards | None                             # the search index's shards and their pages
    shared: dict[str, Any]                            # the site view every template sees
    placements: dict[str, tuple[str, str, Any]]       # slug -> (rel_path, url, group slugs)
    static: tuple[str, ...]                           # the static files' output paths (clashes, redirects)


def feed_names(spec: FeedSpec) -> tuple[str, ...]:
    return tuple(spec.path.lstrip("/") + name for name in FEED_FILES)


def _feed_row(spec: FeedSpec) -> str:
    """A feed's row in the pages table is named by its first file."""
    return feed_names(spec)[0]


def layout_texts(layout: Layout) -> dict[str, str]:
    """Each planned page (by output path) and feed spec (by its first file, with its items' slugs in place
    of the items) as canonical text: what its key covers (keys.output_key) and the store keeps."""
    texts = {page.output_path: codec.dumps(page) for page in layout.pages}
    texts.update((_feed_row(spec), codec.dumps((replace(spec, items=()), tuple(i.slug for i in spec.items))))
                 for spec in layout.feeds)
    return texts


@dataclass(frozen=True)
class Laid:
    """A layout made under the trace: with what it read of each item (rel_path -> field names) and each
    page's and feed's canonical text (layout_texts). The store keeps it as rows (layout_rows); a running
    `serve` keeps it in memory for its next build (still_laid_out)."""

    layout: Layout
    reads: Reads
    texts: dict[str, str]

    @cached_property
    def shown_on(self) -> dict[str, list[str]]:
        """slug -> the pages (output paths) and feeds (rows: their first file) that show the item."""
        shown: dict[str, list[str]] = {}
        for page in self.layout.pages:
            path = page.output_path
            for slug in dict.fromkeys(page.slugs):
                shown.setdefault(slug, []).append(path)
        for spec in self.layout.feeds:
            row = _feed_row(spec)
            for item in spec.items:
                shown.setdefault(item.slug, []).append(row)
        return shown


def still_laid_out(laid: Laid, before: Mapping[str, Known], now: Mapping[str, Known], config: SiteConfig,
                   static: Iterable[str]) -> dict[str, Item] | None:
    """`reusable` for a layout kept in memory (serve): the shown items changed since `before` (slug -> the
    item as parsed now, unplaced) when `laid` is still the layout a cold build would make of `now`, or None.
    It is when the files are the same, the static names too, every changed file is shown or hidden as
    before (hidden for the same reason: the gate's counts are equal), and every shown one agrees with its
    earlier value on every field the layout read of it."""
    layout = laid.layout
    if now.keys() != before.keys() or list(static) != list(layout.static):
        return None
    slug_of = {rel: slug for slug, (rel, _, _) in layout.placements.items()}
    changed: dict[str, Item] = {}
    for rel, known in now.items():
        was = before[rel]
        if was.key == known.key:
            continue
        old, new = was.item, known.item
        if is_shown(old, config) != is_shown(new, config) or hidden_reason(old) != hidden_reason(new):
            return None
        if rel in slug_of:
            if not same_reads(old, new, laid.reads[rel]):
                return None
            changed[slug_of[rel]] = new
    return changed


def layout_rows(laid: Laid, config: SiteConfig) -> LayoutRows:
    """The layout as the store keeps it."""
    layout, reads, texts = laid.layout, laid.reads, laid.texts
    site = layout.site
    shown_on = laid.shown_on
    read_sets = sorted({tuple(sorted(names)) for names in reads.values()})
    number = {names: n for n, names in enumerate(read_sets)}
    placed_rows = [(rel, slug, url, codec.dumps((url, groups)), number[tuple(sorted(reads[rel]))],
                    json.dumps(shown_on.get(slug, [])))
                   for slug, (rel, url, groups) in layout.placements.items()]
    pages = list(texts.items())
    items = site.items
    meta = {"shared": codec.dumps(layout.shared), "groups": codec.dumps((site.topic_slugs, site.provider_slugs)),
            "hidden": site.hidden, "static": list(layout.static), "warnings": list(site.warnings),
            "shards": codec.dumps(layout.shards), "reads": [list(names) for names in read_sets],
            "feeds": [_feed_row(spec) for spec in layout.feeds], "pages": len(layout.pages),
            "published": len(items), "mtime_dated": sum(1 for i in items if i.date_from_mtime),
            "drafts": config.drafts}
    return LayoutRows(meta, placed_rows, pages, [(f.rel_path, f.data) for f in layout.files])


@dataclass(frozen=True)
class Reuse:
    """A stored layout found still right for this build, and the shown items that changed in it."""

    meta: dict[str, Any]
    changed: dict[str, Item]            # slug -> the changed item as parsed now (unplaced)
    places: dict[str, tuple[str, str]]  # rel_path -> (slug, URL) of every shown item, by path


def reusable(config: SiteConfig, meta: dict[str, Any] | None, static: Iterable[str],
             now: Mapping[str, Seen | Known], fresh: Mapping[str, Known]) -> Reuse | None:
    """The stored layout's reuse for this build, or None when a layout must be made (module docstring).
    `now` is every content file as it stands, `fresh` those parsed this time. Raises StoreError."""
    if meta is None or meta.get("drafts") or list(static) != meta.get("static"):
        return None
    shown, hidden = gate([k.item for k in fresh.values()], config)
    if hidden != meta.get("hidden"):
        return None
    shown_now = {rel for rel, k in now.items() if type(k) is Seen} | {i.rel_path for i in shown}
    places = {rel: (slug, url) for rel, slug, url in
              read_rows(config, "SELECT rel_path, slug, url FROM placed ORDER BY rel_path", None)}
    if shown_now != places.keys():
        return None
    stored_keys = dict(read_rows(config, "SELECT rel_path, key FROM items WHERE rel_path IN ({})",
                                 [i.rel_path for i in shown]))
    candidates = {i.rel_path: i for i in shown if stored_keys.get(i.rel_path) != fresh[i.rel_path].key}
    old = load_items(config, candidates)
    read_sets = [frozenset(names) for names in meta["reads"]]
    reads = load_placed(config, (places[rel][0] for rel in candidates))
    changed: dict[str, Item] = {}
    for rel, item in candidates.items():
        was, slug = old.get(rel), places[rel][0]
        if was is None or not same_reads(was, item, read_sets[reads[slug][2]]):
            return None
        changed[slug] = item
    return Reuse(meta, changed, places)


class ReusedPlan:
    """A build on a reused layout: what make_files needs of a Planned, every page, feed and item taken
    from the store only when something asks for it."""

    def __init__(self, config: SiteConfig, stamp: str, reuse: Reuse, now: Mapping[str, Seen | Known],
                 record: Record, static_files: list[OutputFile], warnings: list[str],
                 previous_urls: dict[str, str]) -> None:
        meta = reuse.meta
        self.config = config
        self.shared: dict[str, Any] = codec.loads(meta["shared"])
        topics, providers = codec.loads(meta["groups"])
        self.group_slugs = GroupSlugs(topics, providers)
        self.items = _StoredItems(config, reuse.changed)
        self.item_keys = _PlacedKeys(config, {rel: k.key for rel, k in now.items()}, self.items.places)
        self.urls = {rel: url for rel, (_, url) in reuse.places.items()}
        moved = [slug for rel, (slug, url) in reuse.places.items() if previous_urls.get(rel) not in (None, url)]
        self.items.prefetch(moved)
        self.warnings = tuple(warnings) + tuple(meta["warnings"]) + tuple(
            moved_urls(previous_urls, tuple(self.items[slug] for slug in moved)))
        self._meta = meta
        page_paths = [path for (path,) in read_rows(config, "SELECT path FROM pages", None)]
        feed_rows = set(meta["feeds"])
        self._pages = [p for p in page_paths if p not in feed_rows]
        self._feeds = [p for p in page_paths if p in feed_rows]
        affected = {path for slug in reuse.changed for path in self.items.places[slug][3]}
        site_key = keys.site_key(self.shared)
        out: dict[str, str] = {}
        redo = [p for p in self._pages if p in affected or not _recorded(record, p)]
        redo += [p for p in self._feeds if p in affected or not all(_recorded(record, n) for n in _names_of_row(p))]
        texts = dict(read_rows(config, "SELECT path, planned FROM pages WHERE path IN ({})", redo))
        planned = {path: codec.loads(text) for path, text in texts.items()}
        self.items.prefetch(s for path in redo for s in _slugs_of(planned[path]))
        for path in self._pages:
            out[path] = record[path].key if path not in planned else keys.output_key(
                stamp, texts[path], site_key, map(self.item_keys.__getitem__, planned[path].slugs))
        for row in self._feeds:
            if row in planned:
                key = keys.output_key(stamp, texts[row], site_key, (self.item_keys[s] for s in planned[row][1]))
                out.update((name, key) for name in _names_of_row(row))
            else:
                out.update((name, record[name].key) for name in _names_of_row(row))
        self.search: SearchIndex | None = plan_search(codec.loads(meta["shards"]), out, stamp)
        extras = [OutputFile(rel, data) for rel, data in load_extras(config).items()]
        self.extra = tuple(extras) + tuple(static_files)
        out.update((f.rel_path, "") for f in self.extra)
        self.keys = out

    def views(self, earlier: dict[str, dict[str, Any]] | None = None) -> ItemViews:
        return ItemViews(self.items, self.item_keys, self.config, earlier, self.group_slugs)

    def pages_todo(self, skip: frozenset[str] | set[str]) -> list[Page]:
        todo = load_pages(self.config, [p for p in self._pages if p not in skip])
        self.items.prefetch(s for page in todo.values() for s in page.slugs)
        return [todo[p] for p in self._pages if p in todo]

    def feeds_todo(self, skip: frozenset[str] | set[str]) -> list[FeedSpec]:
        rows = [r for r in self._feeds if not all(n in skip for n in _names_of_row(r))]
        specs = load_pages(self.config, rows)
        self.items.prefetch(s for _, slugs in specs.values() for s in slugs)
        return [replace(spec, items=tuple(self.items[s] for s in slugs))
                for spec, slugs in (specs[r] for r in rows)]

    def report(self, files: int) -> dict[str, Any]:
        meta = self._meta
        return {"pages": meta["pages"], "files": files, "published": meta["published"], "hidden": meta["hidden"],
                "drafts_shown": 0, "mtime_dated": meta["mtime_dated"], "warnings": self.warnings}


def _recorded(record: Record, path: str) -> str:
    """The key the record has for a file ("" if none)."""
    written = record.get(path)
    return written.key if written is not None else ""


def _slugs_of(planned: Any) -> tuple[str, ...]:
    return planned.slugs if type(planned) is Page else planned[1]


def _names_of_row(row: str) -> tuple[str, ...]:
    folder = row[:-len(FEED_FILES[0])]
    return tuple(folder + name for name in FEED_FILES)


class _StoredItems(dict):
    """slug -> the placed item, decoded from the store when first asked for (a changed item as parsed now)."""

    def __init__(self, config: SiteConfig, changed: dict[str, Item]) -> None:
        super().__init__()
        self._config = config
        self._changed = changed
        self.places = _Places(config)

    def __missing__(self, slug: str) -> Item:
        self.prefetch([slug])
        return self[slug]

    def prefetch(self, slugs: Iterable[str]) -> None:
        """Decode the items at these slugs (those not decoded yet) in one go."""
        wanted = [s for s in dict.fromkeys(slugs) if not dict.__contains__(self, s)]
        self.places.prefetch(wanted)
        stored = load_items(self._config, [self.places[s][0] for s in wanted if s not in self._changed])
        for slug in wanted:
            rel, (url, _groups), _, _ = self.places[slug]
            item = self._changed.get(slug) or stored.get(rel)
            if item is None:
                raise StoreError(f"no stored item at {slug!r}")
            self[slug] = placed(item, slug, url)


class _Places(dict):
    """slug -> (rel_path, (url, group slugs), reads, shown_on), read from the store when first asked for."""

    def __init__(self, config: SiteConfig) -> None:
        super().__init__()
        self._config = config

    def __missing__(self, slug: str) -> tuple[str, Any, int, list[str]]:
        self.prefetch([slug])
        if not dict.__contains__(self, slug):
            raise StoreError(f"no stored place for {slug!r}")
        return self[slug]

    def prefetch(self, slugs: Iterable[str]) -> None:
        self.update(load_placed(self._config, [s for s in slugs if not dict.__contains__(self, s)]))


class _PlacedKeys(dict):
    """slug -> the key of the item as placed (keys.placed_key), from its place and its file's item key."""

    def __init__(self, config: SiteConfig, item_keys: dict[str, str], places: _Places) -> None:
        super().__init__()
        self._item_keys, self._places = item_keys, places

    def __missing__(self, slug: str) -> str:
        rel, (url, groups), _, _ = self._places[slug]
        self[slug] = keys.placed_key(self._item_keys[rel], slug, url, groups)
        return self[slug]
