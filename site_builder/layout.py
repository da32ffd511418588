"""Reuse the last build's site and pages while no item has moved: an edit that changes only what items
say (a title, a body) then re-plans and re-fingerprints the few pages that show them, not the whole site."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from site_builder.collect import Site, hidden_reason, placed
from site_builder.config import SiteConfig
from site_builder.model import Item
from site_builder.output import OutputFile
from site_builder.plan import Page, item_page


@dataclass(frozen=True)
class Layout:
    """A finished build's site and pages, with what decided them (`shape`) and what each page was made from."""

    shape: tuple
    site: Site
    pages: tuple[Page, ...]
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
    """The layout without its items, which the cache holds already: where each item was placed instead."""
    places = tuple((i.rel_path, i.slug, i.url) for i in layout.site.items)
    return replace(layout, site=replace(layout.site, items=())), places


def unpacked(packed_layout: tuple[Layout, tuple[tuple[str, str, str], ...]], items: dict[str, Item]
             ) -> Layout | None:
    """packed() undone with the cached items; None if one of them is missing."""
    layout, places = packed_layout
    if any(rel not in items for rel, _, _ in places):
        return None
    return replace(layout, site=replace(layout.site, items=tuple(placed(items[rel], slug, url)
                                                                 for rel, slug, url in places)))


def pages_showing(pages: tuple[Page, ...]) -> dict[str, tuple[int, ...]]:
    shown: dict[str, list[int]] = {}
    for index, page in enumerate(pages):
        for slug in page.slugs:
            shown.setdefault(slug, []).append(index)
    return {slug: tuple(indices) for slug, indices in shown.items()}


def relayout(layout: Layout, changed: dict[str, Item], config: SiteConfig) -> tuple[Layout, set[int]]:
    """The layout with the changed items (by rel_path) in their old places, and the pages that show
    any of them (their fingerprints are left to the caller). Only valid when the items' shape is the layout's."""
    shown_on = layout.shown_on if layout.shown_on is not None else pages_showing(layout.pages)
    items = tuple(placed(changed[i.rel_path], i.slug, i.url) if i.rel_path in changed else i
                  for i in layout.site.items)
    pages = list(layout.pages)
    dirty: set[int] = set()
    for item in items:
        if item.rel_path not in changed:
            continue
        for index in shown_on.get(item.slug, ()):
            dirty.add(index)
            page = pages[index]
            if page.kind == "item" and page.slugs[0] == item.slug:
                pages[index] = item_page(item, page.slugs[1:], config)
    return replace(layout, site=replace(layout.site, items=items), pages=tuple(pages), shown_on=shown_on), dirty
