"""The one place that knows the order of the build stages: load, parse, collect, plan, render, write.

    load_sources -> parse_item (each file) -> collect (the visibility gate) -> plan -> claims (clashes)
    -> keys for every output -> render_page / render_feed / search index (only what write_site asks
    for) -> write_site (the one writer)

The incremental machinery (incremental/) wraps these pure stages: the store says which files need no
parsing, keys.py says what every output is made from, and the write stage decides which files to keep.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, replace
from itertools import chain
from typing import Any, Callable, Iterator

from site_builder.config import SiteConfig
from site_builder.errors import SiteError, raise_all
from site_builder.incremental import keys
from site_builder.incremental.previous_urls import drop_urls, load_previous_urls, save_urls
from site_builder.incremental.search_index import SearchIndex, earlier_index, plan_search, with_search_index
from site_builder.incremental.store import Memory, Stored, forget, load_store, save_store
from site_builder.incremental.workers import gc_frozen, gc_paused, settled, work_imap, work_map
from site_builder.model import Item, Known, Source
from site_builder.stages.aliases import moved_urls, redirect_files, visible_urls
from site_builder.stages.claims import find_clashes
from site_builder.stages.collect import Site, collect, hidden_reason
from site_builder.stages.content import load_sources, parse_item
from site_builder.stages.feeds import FEED_FILES, FeedSpec, feed_specs, render_feed, render_sitemap
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


def read_items(config: SiteConfig, known: dict[str, Known], assets: Assets
               ) -> tuple[list[Item], dict[str, Known], list[str]]:
    """Load and parse every content file (only those whose stamp changed; the rest as `known` has them).
    A file read again whose bytes are the ones parsed before (touched, checked out, restored) is not
    parsed again unless its item is dated by its mtime. Raises SiteError with every file's errors at once."""
    sources, load_errors, warnings = load_sources(config, known)
    fresh = [s for s in sources if s.text is not None and not _same_bytes(s, known)]
    parsed = dict(zip((s.rel_path for s in fresh), work_map(lambda s: _parse_or_error(s, config, assets), fresh,
                                                             min_per_worker=500)))
    items: list[Item] = []
    errors: list[SiteError] = load_errors
    now: dict[str, Known] = {}
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
            now[source.rel_path] = Known(source.stamp, source.digest, keys.item_key(result), result)
        items.append(now[source.rel_path].item)
    raise_all(errors)
    return items, now, warnings


def _same_bytes(source: Source, known: dict[str, Known]) -> bool:
    seen = known.get(source.rel_path)
    return seen is not None and seen.digest == source.digest and not seen.item.date_from_mtime


def _parse_or_error(source: Source, config: SiteConfig, assets: Assets | None) -> Item | SiteError:
    try:
        return parse_item(source, config, assets)
    except SiteError as exc:  # a ContentError, or SiteErrors: every problem of the file
        return exc


def parse_sources(sources: list[Source], config: SiteConfig, assets: Assets | None = None
                  ) -> tuple[list[Item], list[SiteError]]:
    """Every source parsed (on all cores when many): the items, and every file's errors."""
    results = work_map(lambda s: _parse_or_error(s, config, assets), sources, min_per_worker=500)
    return ([r for r in results if not isinstance(r, SiteError)], [r for r in results if isinstance(r, SiteError)])


def plan_build(config: SiteConfig, theme: Theme, stamp: str, items: list[Item], known: dict[str, Known],
               warnings: list[str]) -> Planned:
    """Collect and plan the site, find every clash between its files, and key every output (keys.py says
    why the keys are enough)."""
    site = collect(items, config)
    pages = tuple(plan(site, config))
    static = static_sources(theme)
    raise_all(find_clashes([p.output_path for p in pages], pages, site, config, static))
    shared = site_view(site, config)
    site_key = keys.site_key(shared)
    key_of = {rel: k.key for rel, k in known.items()}
    slugs = GroupSlugs.of(site)
    item_keys = {i.slug: keys.placed_key(key_of[i.rel_path], i.slug, i.url,
                                         ([slugs.topic(t) for t in i.topics],
                                          slugs.provider(i.provider.name) if i.provider else ""))
                 for i in site.items}
    out: dict[str, str] = {}
    for page in pages:
        out[page.output_path] = keys.output_key(stamp, page, site_key, map(item_keys.__getitem__, page.slugs))
    specs = tuple(feed_specs(site, config))
    for spec in specs:
        key = keys.output_key(stamp, replace(spec, items=()), site_key, (item_keys[i.slug] for i in spec.items))
        for name in _feed_names(spec):
            out[name] = key
    search = plan_search(pages, site, out, config, stamp)
    extra = tuple(render_sitemap(list(pages), site, config)) + tuple(static_files(theme, static))
    extra += (shards_file(search.months),) if search else ()
    extra += tuple(redirect_files(site.items, config, set(out) | {f.rel_path for f in extra}))
    out.update((f.rel_path, "") for f in extra)
    return Planned(config, site, pages, specs, extra, out, search, item_keys, known,
                   tuple(warnings) + tuple(static_warnings(theme)) + site.warnings, shared)


def _feed_names(spec: FeedSpec) -> tuple[str, ...]:
    return tuple(spec.path.lstrip("/") + name for name in FEED_FILES)


def make_files(planned: Planned, env: Any, views: ItemViews, skip: frozenset[str] | set[str],
               index_paths: dict[str, str], kept_bytes: Callable[[str], bytes]) -> Iterator[OutputFile]:
    """Every file of the site but those at `skip` (keyed files the caller already has, whose bytes
    `kept_bytes` gives): pages and feeds rendered on all cores as they are consumed, then the sitemap,
    redirects and static files, then the search index's shards but those an earlier one with its key
    (`index_paths`, incremental/search_index.earlier_index) is all at `skip` of."""
    config = planned.config
    todo = [p for p in planned.pages if p.output_path not in skip]
    feeds = [s for s in planned.feeds if not all(n in skip for n in _feed_names(s))]
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
            items, known, warnings = read_items(config, memory.known, assets)
        _forget_hidden(config, items)  # serve stores nothing, and keeps nothing on disk of hidden items
        settled()
        return _in_memory(config, theme, stamp, memory, items, known, warnings, started)


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
               known: dict[str, Known], warnings: list[str], started: float) -> BuildResult:
    with gc_paused():
        planned = plan_build(config, theme, stamp, items, known, warnings)
    settled()
    env = make_environment(theme, memory.env)
    views = ItemViews(planned.site.by_slug(), planned.item_keys, config, memory.views, GroupSlugs.of(planned.site))
    had = {path: key for path, (key, _) in memory.rendered.items()}
    index_paths = earlier_index(planned.search, had)
    wanted = {**planned.keys, **index_paths}
    kept = {path: memory.rendered[path][1] for path, key in wanted.items()
            if key and path in memory.rendered and memory.rendered[path][0] == key}
    made = list(make_files(planned, env, views, frozenset(kept), index_paths, kept.__getitem__))
    files = sorted(made + [OutputFile(path, data) for path, data in kept.items()], key=lambda f: f.rel_path)
    key_of = {**wanted, **{f.rel_path: f.key for f in made if f.key}}
    rendered = {f.rel_path: (key_of[f.rel_path], f.data) for f in files if key_of.get(f.rel_path)}
    new_memory = Memory(stamp=stamp, known=known, rendered=rendered, env=env, views=views.by_key())
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
    stored = load_store(config, stamp, with_items=False)
    if inputs and stored.inputs == inputs and stored.report is not None \
            and unchanged(config.output, config.root, stored.record):
        report = _report(stored.report)
        if report is not None:
            return report, WriteStats(written=0, unchanged=report.files, removed=0)
    if config.use_cache and not stored.damaged:
        with gc_paused():
            stored = load_store(config, stamp)
    lap("load the store")
    with gc_frozen():
        with gc_paused():
            items, known, warnings = read_items(config, stored.known, assets)
            if not saving:
                _forget_hidden(config, items)
            lap("load and parse")
            planned = plan_build(config, theme, stamp, items, known, warnings)
            if saving:  # a --drafts build gives other URLs (drafts take slugs too): it neither compares nor records
                planned = replace(planned, warnings=planned.warnings + tuple(
                    moved_urls(load_previous_urls(config), planned.site.items)))
        settled()  # before the render workers fork: the pages stay shared with them
        lap("collect, plan and key")
        env = make_environment(theme)
        views = ItemViews(planned.site.by_slug(), planned.item_keys, config, None, GroupSlugs.of(planned.site))
        index_paths = earlier_index(planned.search, {path: w.key for path, w in stored.record.items()})
        wanted = {**planned.keys, **index_paths}
        output = config.output
        stats, record = write_site(wanted, lambda kept: make_files(planned, env, views, kept, index_paths,
                                                                   lambda path: read_kept(output, path)),
                                   output, config.root, stored.record)
        lap("render and write")
    report = planned.report(stats.written + stats.unchanged)
    if saving:
        save_store(config, Stored(stamp, started_ns, known, record, inputs, asdict(report)))
        save_urls(config, visible_urls(planned.site.items))
        lap("save the store")
    return report, stats


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
