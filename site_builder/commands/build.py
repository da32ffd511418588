"""The one place that knows the order of the build stages: load, parse, collect, plan, render, write.

    load_sources -> parse_item (each file) -> gate (visibility) -> lay_out: arrange, plan, claims (clashes),
    feed specs, sitemap, redirects -> keys for every output -> render_page / render_feed / search index
    (only what write_site asks for) -> write_site (the one writer)

The incremental machinery (incremental/) wraps these pure stages: the store says which files need no
parsing, trace.py and layout.py say when the last layout is still right (then only the pages and feeds
showing a changed item are keyed and rendered again, their items decoded from the store), keys.py says
what every output is made from, and the write stage decides which files to keep.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, replace
from itertools import chain
from typing import Any, Callable, Iterable, Iterator, Mapping, cast

from site_builder.config import SiteConfig
from site_builder.errors import SiteError, raise_all
from site_builder.incremental import keys
from site_builder.incremental.previous_urls import drop_urls, load_previous_urls, save_urls
from site_builder.incremental.layout import (Laid, Layout, ReusedPlan, feed_names, layout_rows, layout_texts, reusable,
                                             still_laid_out)
from site_builder.incremental.search_index import (SearchIndex, earlier_index, plan_search, shard_pages,
                                                  with_search_index)
from site_builder.incremental.store import (Memory, StoreError, Stored, forget, load_items, load_store, save_store,
                                            warn_damaged, with_known)
from site_builder.incremental.trace import traced
from site_builder.incremental.workers import gc_frozen, gc_paused, settled, work_imap, work_map
from site_builder.model import Item, Known, Seen, Source
from site_builder.stages.aliases import moved_urls, redirect_files, visible_urls
from site_builder.stages.claims import find_clashes
from site_builder.stages.collect import Site, arrange, gate, hidden_reason, placed
from site_builder.stages.content import load_sources, parse_item
from site_builder.stages.feeds import FeedSpec, feed_specs, render_feed, render_sitemap
from site_builder.stages.images import Assets, load_assets
from site_builder.stages.plan import Page, page_context, plan
from site_builder.stages.render import render_page
from site_builder.stages.search import shards_file
from site_builder.stages.views import GroupSlugs, ItemViews, site_view
from site_builder.stages.write import OutputFile, WriteStats, read_kept, unchanged, write_site
from site_builder.theme import Theme, load_theme, make_environment, static_files, static_sources, static_warnings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """What a build tells the user, in numbers (kept in the store to repeat when nothing changed)."""

    pages: int
    files: int
    published: int
    hidden: dict[str, int]
    drafts_shown: int
    mtime_dated: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Planned:
    """A build decided but not rendered: the site, its pages and feeds, and the key of every output file.

    A new kind of output joins by being planned here with a key (keys.output_key over everything it
    reads) and being made in `make_files`; an output made without a key gets "" and is always made
    and compared byte for byte.
    """

    config: SiteConfig
    site: Site
    pages: tuple[Page, ...]
    feeds: tuple[FeedSpec, ...]
    extra: tuple[OutputFile, ...]          # sitemap, robots.txt, redirects, static files: always made in full
    keys: dict[str, str]                   # out path -> key ("" for files always made in full)
    search: SearchIndex | None             # the search index's shards (their files' paths are known once made)
    item_keys: dict[str, str]              # slug -> key of the item as placed
    known: dict[str, Known]                # rel_path -> the content file as parsed this time
    warnings: tuple[str, ...]
    shared: dict[str, Any] = field(default_factory=dict)   # the site view every template sees

    def pages_todo(self, skip: frozenset[str] | set[str]) -> list[Page]:
        return [p for p in self.pages if p.output_path not in skip]

    def feeds_todo(self, skip: frozenset[str] | set[str]) -> list[FeedSpec]:
        return [s for s in self.feeds if not all(n in skip for n in feed_names(s))]

    def views(self, earlier: dict[str, dict[str, Any]] | None = None) -> ItemViews:
        return ItemViews(self.site.by_slug(), self.item_keys, self.config, earlier, GroupSlugs.of(self.site))

    def report(self, files: int) -> Report:
        items = self.site.items
        published = sum(1 for i in items if hidden_reason(i) is None)
        return Report(pages=len(self.pages), files=files, published=published,
                      hidden=dict(self.site.hidden), drafts_shown=len(items) - published,
                      mtime_dated=sum(1 for i in items if i.date_from_mtime), warnings=self.warnings)


@dataclass(frozen=True)
class BuildResult:
    """A finished build in memory: every file with its bytes, the site they show, what to tell the user,
    and what a running `serve` keeps for its next build."""

    files: list[OutputFile]
    site: Site
    pages: int
    warnings: list[str]
    seconds: float
    memory: Memory
    rendered: int = 0
    report_of: Report | None = None

    def report(self) -> Report:
        assert self.report_of is not None
        return self.report_of


def read_items(config: SiteConfig, known: Mapping[str, Seen | Known], assets: Assets
               ) -> tuple[dict[str, Seen | Known], dict[str, Known], list[str]]:
    """Load and parse every content file whose stamp changed: (every file as it stands now: as `known`
    has it when unchanged, the files parsed this time, warnings). A file read again whose bytes are the
    ones parsed before (touched, checked out, restored) is not parsed again unless its item is dated by
    its mtime. Raises SiteError with every file's errors at once."""
    sources, load_errors, warnings = load_sources(config, known)
    fresh = [s for s in sources if s.text is not None and not _same_bytes(s, known)]
    parsed = dict(zip((s.rel_path for s in fresh), work_map(lambda s: _parse_keyed(s, config, assets), fresh,
                                                             min_per_worker=500)))
    errors: list[SiteError] = load_errors
    now: dict[str, Seen | Known] = {}
    new: dict[str, Known] = {}
    for source in sources:
        if source.text is None:  # unchanged: as the last build parsed it
            now[source.rel_path] = known[source.rel_path]
        elif source.rel_path not in parsed:  # the same bytes: as parsed, with the new stamp
            now[source.rel_path] = replace(known[source.rel_path], stamp=source.stamp)
        else:
            result = parsed[source.rel_path]
            if isinstance(result, SiteError):
                errors.append(result)
                continue
            item, text = result
            now[source.rel_path] = new[source.rel_path] = Known(source.stamp, source.digest, keys.text_key(text),
                                                                item, text)
    raise_all(errors)
    return now, new, warnings


def _same_bytes(source: Source, known: Mapping[str, Seen | Known]) -> bool:
    seen = known.get(source.rel_path)
    return seen is not None and seen.digest == source.digest and not seen.mtime_dated


def _parse_or_error(source: Source, config: SiteConfig, assets: Assets | None) -> Item | SiteError:
    try:
        return parse_item(source, config, assets)
    except SiteError as exc:  # a ContentError, or SiteErrors: every problem of the file
        return exc


def _parse_keyed(source: Source, config: SiteConfig, assets: Assets | None) -> tuple[Item, str] | SiteError:
    """The item and its canonical text (keys.item_text: its key, and what the store keeps), made where it
    is parsed (on all cores), or the file's errors."""
    result = _parse_or_error(source, config, assets)
    return result if isinstance(result, SiteError) else (result, keys.item_text(result))


def parse_sources(sources: list[Source], config: SiteConfig, assets: Assets | None = None
                  ) -> tuple[list[Item], list[SiteError]]:
    """Every source parsed (on all cores when many): the items, and every file's errors."""
    results = work_map(lambda s: _parse_or_error(s, config, assets), sources, min_per_worker=500)
    return ([r for r in results if not isinstance(r, SiteError)], [r for r in results if isinstance(r, SiteError)])


def lay_out(config: SiteConfig, static: Mapping[str, Any], shown: list[Item], hidden: dict[str, int]) -> Layout:
    """Everything decided from the shown items and the hidden counts (incremental/layout.py keeps it): the
    placed site, its pages and feeds, every clash between its files, and the files made from it alone."""
    site = arrange(shown, hidden, config)
    pages = tuple(plan(site, config))
    raise_all(find_clashes([p.output_path for p in pages], pages, site, config, static))
    specs = tuple(feed_specs(site, config))
    shards = shard_pages(pages, site, config)
    files = tuple(render_sitemap(list(pages), site, config))
    files += (shards_file(folder.rsplit("/", 1)[1] for folder, _ in shards),) if shards is not None else ()
    taken = {p.output_path for p in pages} | {n for s in specs for n in feed_names(s)} | set(static) \
        | {f.rel_path for f in files}
    files += tuple(redirect_files(site.items, config, taken))
    slugs = GroupSlugs.of(site)
    placements = {i.slug: (i.rel_path, i.url, ([slugs.topic(t) for t in i.topics],
                                                 slugs.provider(i.provider.name) if i.provider else ""))
                  for i in site.items}
    return Layout(site, pages, specs, files, shards, site_view(site, config), placements, tuple(static))


def plan_build(config: SiteConfig, theme: Theme, stamp: str, items: list[Item], known: Mapping[str, Known],
               warnings: list[str], trace: bool = False) -> tuple[Planned, Laid | None]:
    """Lay out the site and key every output (keys.py says why the keys are enough); with `trace`, also
    the layout with what it read of each item (incremental/trace.py), for the store or serve to keep."""
    static = static_sources(theme)
    shown, hidden = gate(items, config)
    if trace:
        layout, reads = traced(lambda copies: lay_out(config, static, copies, hidden), shown,
                               lambda made: made.site.items)
    else:
        layout, reads = lay_out(config, static, shown, hidden), None
    item_keys = {slug: keys.placed_key(known[rel].key, slug, url, groups)
                 for slug, (rel, url, groups) in layout.placements.items()}
    texts = layout_texts(layout)
    out = _output_keys(stamp, layout, texts, item_keys, layout.pages, layout.feeds)
    extra = layout.files + tuple(static_files(theme, static))
    out.update((f.rel_path, "") for f in extra)
    site = layout.site
    planned = Planned(config, site, layout.pages, layout.feeds, extra, out, plan_search(layout.shards, out, stamp),
                      item_keys, dict(known), tuple(warnings) + tuple(static_warnings(theme)) + site.warnings,
                      layout.shared)
    return planned, Laid(layout, reads, texts) if reads is not None else None


def _output_keys(stamp: str, layout: Layout, texts: Mapping[str, str], item_keys: Mapping[str, str],
                 pages: Iterable[Page], specs: Iterable[FeedSpec]) -> dict[str, str]:
    """The keys of these pages and feeds (keys.output_key)."""
    site_key = keys.site_key(layout.shared)
    out = {page.output_path: keys.output_key(stamp, texts[page.output_path], site_key,
                                             map(item_keys.__getitem__, page.slugs)) for page in pages}
    for spec in specs:
        names = feed_names(spec)
        key = keys.output_key(stamp, texts[names[0]], site_key, (item_keys[i.slug] for i in spec.items))
        out.update((name, key) for name in names)
    return out


def _replanned(planned: Planned, laid: Laid, changed: Mapping[str, Item], theme: Theme, stamp: str,
               known: Mapping[str, Known], warnings: list[str]) -> Planned:
    """`planned` again on its own layout (serve, when layout.still_laid_out says it holds), with the
    changed items (slug -> item as parsed now) placed where they were: only the pages and feeds that
    show them are keyed again, and the static files are read again."""
    layout = laid.layout
    now = {slug: placed(item, slug, layout.placements[slug][1]) for slug, item in changed.items()}
    item_keys = dict(planned.item_keys)
    for slug in now:
        rel, url, groups = layout.placements[slug]
        item_keys[slug] = keys.placed_key(known[rel].key, slug, url, groups)
    affected = {path for slug in now for path in laid.shown_on.get(slug, ())}
    feeds = tuple(replace(spec, items=tuple(now.get(i.slug, i) for i in spec.items))
                  if feed_names(spec)[0] in affected else spec for spec in planned.feeds)
    out = {**planned.keys, **_output_keys(stamp, layout, laid.texts, item_keys,
                                          (p for p in planned.pages if p.output_path in affected),
                                          (s for s in feeds if feed_names(s)[0] in affected))}
    static = static_sources(theme)
    extra = layout.files + tuple(static_files(theme, static))
    site = replace(planned.site, items=tuple(now.get(i.slug, i) for i in planned.site.items))
    return replace(planned, site=site, feeds=feeds, extra=extra, keys=out, search=plan_search(layout.shards, out, stamp),
                   item_keys=item_keys, known=dict(known),
                   warnings=tuple(warnings) + tuple(static_warnings(theme)) + site.warnings)


def make_files(planned: Planned, env: Any, views: ItemViews, skip: frozenset[str] | set[str],
               index_paths: dict[str, str], kept_bytes: Callable[[str], bytes]) -> Iterator[OutputFile]:
    """Every file of the site but those at `skip` (keyed files the caller already has, whose bytes
    `kept_bytes` gives): pages and feeds rendered on all cores as they are consumed, then the sitemap,
    redirects and static files, then the search index's shards but those an earlier one with its key
    (`index_paths`, incremental/search_index.earlier_index) is all at `skip` of."""
    config = planned.config
    todo = planned.pages_todo(skip)
    feeds = planned.feeds_todo(skip)
    pages = work_imap(lambda p: render_page(p, page_context(p, views, planned.shared), env, config), todo,
                      min_per_worker=150)
    feed_files = (f for pair in work_imap(lambda s: render_feed(s, config), feeds, min_per_worker=20)
                  for f in pair if f.rel_path not in skip)
    files = chain(pages, feed_files, planned.extra)
    yield from with_search_index(files, planned.search, config, index_paths, skip, kept_bytes)


def build_site(config: SiteConfig, memory: Memory | None = None) -> BuildResult:
    """Everything but writing, every file made with its bytes, in memory (serve): raises SiteError
    (all content errors at once) before anything is made.

    `memory` is what a running `serve` kept from its last build (start with `Memory()`): files whose key
    is unchanged are taken from it, and the result's memory keeps this build's files for the next."""
    started = time.perf_counter()
    theme, assets, stamp = _stamped(config)
    if memory is None or memory.stamp != stamp:
        memory = Memory(stamp=stamp)
    with gc_frozen():
        with gc_paused():
            now, fresh, warnings = read_items(config, memory.known, assets)
            now.update((rel, replace(k, text="")) for rel, k in fresh.items())  # stored nowhere: not kept
            known = cast(dict[str, Known], now)   # serve's memory holds every file's item
            items = [k.item for k in known.values()]
        _forget_hidden(config, items)  # serve stores nothing, and keeps nothing on disk of hidden items
        settled()
        return _in_memory(config, theme, stamp, memory, items, known, warnings, started, keep_layout=True)


def _stamped(config: SiteConfig) -> tuple[Theme, Assets, str]:
    """The theme, the site's images and the build stamp: what every build reads before any content."""
    theme = load_theme(config)
    assets = load_assets(static_sources(theme))
    return theme, assets, keys.build_stamp(config, theme.template_dirs, assets)


def build_parsed(config: SiteConfig, items: list[Item], assets: Assets | None = None) -> BuildResult:
    """Every file made in memory from items already parsed (check parses each file once, itself)."""
    theme = load_theme(config)
    stamp = keys.build_stamp(config, theme.template_dirs, assets)
    known = {i.rel_path: Known((), "", keys.item_key(i), i) for i in items}
    with gc_frozen():
        return _in_memory(config, theme, stamp, Memory(stamp=stamp), items, known, [], time.perf_counter())


def _in_memory(config: SiteConfig, theme: Theme, stamp: str, memory: Memory, items: list[Item],
               known: dict[str, Known], warnings: list[str], started: float, keep_layout: bool = False) -> BuildResult:
    """The build made in memory; with `keep_layout` (serve), the layout is kept in the result's memory and
    reused by the next build while it holds (layout.still_laid_out), as the store's is by `build`."""
    with gc_paused():
        laid = memory.laid
        changed = still_laid_out(laid, memory.known, known, config, static_sources(theme)) \
            if keep_layout and laid is not None and memory.planned is not None else None
        if changed is not None:
            planned = _replanned(memory.planned, laid, changed, theme, stamp, known, warnings)
        else:
            planned, laid = plan_build(config, theme, stamp, items, known, warnings, trace=keep_layout)
    settled()
    env = make_environment(theme, memory.env)
    views = planned.views(memory.views)
    had = {path: key for path, (key, _) in memory.rendered.items()}
    index_paths = earlier_index(planned.search, had)
    wanted = {**planned.keys, **index_paths}
    kept = {path: memory.rendered[path][1] for path, key in wanted.items()
            if key and path in memory.rendered and memory.rendered[path][0] == key}
    made = list(make_files(planned, env, views, frozenset(kept), index_paths, kept.__getitem__))
    files = sorted(made + [OutputFile(path, data) for path, data in kept.items()], key=lambda f: f.rel_path)
    key_of = {**wanted, **{f.rel_path: f.key for f in made if f.key}}
    rendered = {f.rel_path: (key_of[f.rel_path], f.data) for f in files if key_of.get(f.rel_path)}
    new_memory = Memory(stamp=stamp, known=known, rendered=rendered, env=env, views=views.by_key(),
                        planned=planned if laid is not None else None, laid=laid)
    return BuildResult(files=files, site=planned.site, pages=len(planned.pages),
                       warnings=list(planned.warnings), seconds=time.perf_counter() - started,
                       memory=new_memory, rendered=len(made), report_of=planned.report(len(files)))


def build(config: SiteConfig) -> tuple[Report, WriteStats]:
    """Build the site, make output/ hold it, and store what was built for the next time.

    When no input changed since the last build and output/ is as that build left it, there is
    nothing to do: the last build's report is repeated. A build that stores nothing (--drafts,
    --no-cache) drops what the store holds of items that are hidden now (store.forget).
    """
    started_ns = time.time_ns()
    lap = _stopwatch()
    theme, assets, stamp = _stamped(config)
    saving = config.use_cache and not config.drafts  # a --drafts build holds hidden items: nothing is stored
    inputs = keys.inputs_key(stamp, [config.content_dir] + theme.static_dirs, started_ns) if saving else ""
    stored = load_store(config, stamp)
    if inputs and stored.inputs == inputs and stored.report is not None \
            and unchanged(config.output, config.root, stored.record):
        report = _report(stored.report)
        if report is not None:
            return report, WriteStats(written=0, unchanged=report.files, removed=0)
    if config.use_cache and not stored.damaged:
        with gc_paused():
            stored = with_known(config, stored)
    lap("load the store")
    with gc_frozen():
        with gc_paused():
            now, fresh, warnings = read_items(config, stored.known, assets)
            if not saving:
                _forget_hidden(config, [k.item for k in fresh.values()])
            lap("load and parse")
            reused, stored = _reused(config, theme, stamp, stored, now, fresh, warnings) if saving else (None, stored)
            if reused is None:
                known, stored = _all_known(config, assets, stored, now)
                planned, laid = plan_build(config, theme, stamp, [k.item for k in known.values()], known,
                                             warnings, trace=saving)
                if saving:  # a --drafts build gives other URLs (drafts take slugs too): it neither compares nor records
                    planned = replace(planned, warnings=planned.warnings + tuple(
                        moved_urls(load_previous_urls(config), planned.site.items)))
        settled()  # before the render workers fork: the pages stay shared with them
        lap("collect, plan and key" if reused is None else "reuse the layout")
        plan: Planned | ReusedPlan = planned if reused is None else reused
        env = make_environment(theme)
        views = plan.views()
        index_paths = earlier_index(plan.search, {path: w.key for path, w in stored.record.items()})
        wanted = {**plan.keys, **index_paths}
        output = config.output
        stats, record = write_site(wanted, lambda kept: make_files(plan, env, views, kept, index_paths,
                                                                   lambda path: read_kept(output, path)),
                                   output, config.root, stored.record)
        lap("render and write")
    files = stats.written + stats.unchanged
    report = planned.report(files) if reused is None else Report(**reused.report(files))
    if saving:
        if reused is None:
            save_store(config, Stored(stamp, started_ns, known, record, inputs, asdict(report)),
                       layout_rows(laid, config) if laid is not None else None, loaded=stored)
            save_urls(config, visible_urls(planned.site.items))
        else:
            save_store(config, Stored(stamp, started_ns, now, record, inputs, asdict(report)), loaded=stored)
            if load_previous_urls(config) != reused.urls:
                save_urls(config, reused.urls)
        lap("save the store")
    return report, stats


def _reused(config: SiteConfig, theme: Theme, stamp: str, stored: Stored, now: dict[str, Seen | Known],
            fresh: dict[str, Known], warnings: list[str]) -> tuple[ReusedPlan | None, Stored]:
    """The build on the stored layout, when it is still the one a cold build would make (layout.py); and
    the store, marked damaged (with a warning) if it could not be read."""
    if stored.layout is None:
        return None, stored
    try:
        static = static_sources(theme)
        reuse = reusable(config, stored.layout, static, now, fresh)
        if reuse is None:
            return None, stored
        return ReusedPlan(config, stamp, reuse, now, stored.record, static_files(theme, static),
                          warnings + list(static_warnings(theme)), load_previous_urls(config)), stored
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # StoreError, CodecError: a damaged store
        warn_damaged(config, exc)
        return None, replace(stored, damaged=True, record={})


def _all_known(config: SiteConfig, assets: Assets, stored: Stored, now: dict[str, Seen | Known]
               ) -> tuple[dict[str, Known], Stored]:
    """Every content file with its item: those not parsed this time decoded from the store (all read
    from disk again, and the store marked damaged, if it cannot give them)."""
    seen = [rel for rel, k in now.items() if type(k) is Seen]
    try:
        if stored.damaged and seen:
            raise StoreError("damaged")
        items = load_items(config, seen)
        return {rel: k if type(k) is Known else Known(k.stamp, k.digest, k.key, items[rel])
                for rel, k in now.items()}, stored
    except (ValueError, KeyError) as exc:  # StoreError, CodecError, or a row gone
        if not stored.damaged:
            warn_damaged(config, exc)
        now, _, _ = read_items(config, {}, assets)
        return cast(dict[str, Known], now), replace(stored, damaged=True, record={})


def _forget_hidden(config: SiteConfig, items: list[Item]) -> None:
    """A build that stores nothing still drops what the store and the URL record hold of items that are
    hidden now (stored while they were visible): hidden content is never left on disk."""
    hidden = {item.rel_path for item in items if hidden_reason(item) is not None}
    forget(config, hidden)
    drop_urls(config, hidden)


def _report(data: dict[str, Any]) -> Report | None:
    """A stored report, or None if it is not one (a damaged store is only a slower build)."""
    try:
        report = Report(**{**data, "warnings": tuple(data["warnings"])})
    except (TypeError, KeyError):
        return None
    return report if all(isinstance(w, str) for w in report.warnings) else None


def _stopwatch():
    """lap(name) logs the time since the previous lap (see them with --debug)."""
    last = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        log.debug("%s: %.3f s", name, now - last[0])
        last[0] = now
    return lap


def summary(report: Report, stats: WriteStats | None, seconds: float) -> str:
    """The one line a build ends with."""
    reasons = ", ".join(f"{n} {reason}" for reason, n in report.hidden.items())
    line = f"{report.pages} pages, {report.files} files"
    if stats is not None:
        line += f" ({stats.written} written, {stats.unchanged} unchanged, {stats.removed} removed)"
    line += f"; {report.published} items published, {sum(report.hidden.values())} hidden"
    line += f" ({reasons})" if reasons else ""
    if report.drafts_shown:
        line += f", {report.drafts_shown} of them shown as drafts"
    if report.mtime_dated:
        line += f"; {report.mtime_dated} dated by file modification time"
    return line + f"; {seconds:.2f} s"
