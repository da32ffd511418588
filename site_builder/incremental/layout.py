"""Reuse the last build's site and pages while no item has moved: an edit that changes only what items
say (a title, a body) then re-plans and re-fingerprints the few pages that show them, not the whole site."""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from site_builder.stages.collect import Site, hidden_reason, placed
from site_builder.config import SiteConfig
from site_builder.model import Item
from site_builder.stages.write import OutputFile
from site_builder.stages.plan import Page, item_page


class StoredPages(Sequence[Page]):
    """Pages as the cache keeps them: each pickled on its own, and loaded only when asked for. A warm build
    that re-plans eight pages of 12,000 then loads eight, and saves the other 11,992 as they were."""

    def __init__(self, blobs: tuple[bytes, ...]) -> None:
        self._blobs = blobs
        self._loaded: dict[int, Page] = {}

    @classmethod
    def of(cls, pages: Sequence[Page]) -> StoredPages:
        if isinstance(pages, StoredPages):
            return pages
        return cls(tuple(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL) for page in pages))

    def __len__(self) -> int:
        return len(self._blobs)

    def __getitem__(self, index):  # type: ignore[override] - one page, by index (no slices)
        page = self._loaded.get(index)
        if page is None:
            page = self._loaded[index] = pickle.loads(self._blobs[index])
        return page

    def __reduce__(self) -> tuple:
        return StoredPages, (self._blobs,)

    def replaced(self, changes: dict[int, Page]) -> StoredPages:
        blobs = list(self._blobs)
        for index, page in changes.items():
            blobs[index] = pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)
        stored = StoredPages(tuple(blobs))
        stored._loaded.update(changes)
        return stored


@dataclass(frozen=True)
class Layout:
    """A finished build's site and pages, with what decided them (`shape`) and what each page was made from."""

    shape: tuple
    site: Site
    pages: Sequence[Page]                    # a tuple, or StoredPages when it comes from the on-disk cache
    paths: tuple[str, ...]                   # each page's output path
    fingerprints: tuple[str, ...]            # one per page
    shown_on: dict[str, tuple[int, ...]] | None   # slug -> the pages (indices) that show it; made when first needed
    sitemap: tuple[OutputFile, ...]
    keys: dict[str, str]                     # slug -> item key (build.item_keys)


def item_shape(items: list[Item], config: SiteConfig) -> tuple:
    """Every field that decides where items go (collect's sorting, grouping, URLs, visibility; the sitemap's
    dates), in load order. Two builds with the same shape have the same pages showing the same items.
    Items that are not shown count only by their number per reason (so no shape names one)."""
    shown = [i for i in items if config.drafts or hidden_reason(i) is None]
    hidden = Counter(reason for reason in map(hidden_reason, items) if reason is not None)
    return (tuple((i.rel_path, i.slug, i.slug_explicit, i.date, i.updated, i.topics,
                   i.provider.name if i.provider else None, i.guid, i.published, i.draft, i.quality, i.heat,
                   i.source_url, i.date_from_mtime) for i in shown), tuple(sorted(hidden.items())))


def packed(layout: Layout) -> tuple[Layout, tuple[tuple[str, str, str], ...]]:
    """The layout as the cache keeps it: without its items, which the cache holds already (where each
    was placed instead), and with its pages stored one by one."""
    places = tuple((i.rel_path, i.slug, i.url) for i in layout.site.items)
    shown_on = _shown_on(layout)
    return replace(layout, site=replace(layout.site, items=()), pages=StoredPages.of(layout.pages),
                   shown_on=shown_on), places


def unpacked(packed_layout: tuple[Layout, tuple[tuple[str, str, str], ...]], items: dict[str, Item]
             ) -> Layout | None:
    """packed() undone with the cached items; None if one of them is missing."""
    layout, places = packed_layout
    if any(rel not in items for rel, _, _ in places):
        return None
    return replace(layout, site=replace(layout.site, items=tuple(placed(items[rel], slug, url)
                                                                 for rel, slug, url in places)))


def _shown_on(layout: Layout) -> dict[str, tuple[int, ...]]:
    return layout.shown_on if layout.shown_on is not None else pages_showing(layout.pages)


def pages_showing(pages: Sequence[Page]) -> dict[str, tuple[int, ...]]:
    shown: dict[str, list[int]] = {}
    for index, page in enumerate(pages):
        for slug in page.slugs:
            shown.setdefault(slug, []).append(index)
    return {slug: tuple(indices) for slug, indices in shown.items()}


def relayout(layout: Layout, changed: dict[str, Item], config: SiteConfig) -> tuple[Layout, set[int]]:
    """The layout with the changed items (by rel_path) in their old places, and the pages that show
    any of them (their fingerprints are left to the caller). Only valid when the items' shape is the layout's."""
    shown_on = _shown_on(layout)
    items = tuple(placed(changed[i.rel_path], i.slug, i.url) if i.rel_path in changed else i
                  for i in layout.site.items)
    replanned: dict[int, Page] = {}
    dirty: set[int] = set()
    for item in items:
        if item.rel_path not in changed:
            continue
        for index in shown_on.get(item.slug, ()):
            dirty.add(index)
            page = layout.pages[index]
            if page.kind == "item" and page.slugs[0] == item.slug:
                replanned[index] = item_page(item, page.slugs[1:], config)
    return replace(layout, site=replace(layout.site, items=items), pages=_with(layout.pages, replanned),
                   shown_on=shown_on), dirty


def _with(pages: Sequence[Page], changes: dict[int, Page]) -> Sequence[Page]:
    if isinstance(pages, StoredPages):
        return pages.replaced(changes)
    return tuple(changes.get(index, page) for index, page in enumerate(pages))
