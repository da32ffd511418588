"""The one place that knows the order of the build stages: load, parse, collect, plan, render, write."""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import time
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import Any, Iterable, Iterator

from site_builder.incremental import cache as caching
from site_builder.incremental.previous_urls import load_previous_urls, save_urls
from site_builder.stages.images import Assets, assets_stamp, load_assets
from site_builder.stages.aliases import moved_urls, redirect_files, visible_urls
from site_builder.incremental.cache import Cache, Known
from site_builder.stages.collect import Site, collect, hidden_reason
from site_builder.config import SiteConfig
from site_builder.stages.content import load_sources, parse_item, walk_files
from site_builder.errors import SiteError, raise_all
from site_builder.stages.claims import find_clashes
from site_builder.stages.feeds import FEED_FILES, FeedSpec, feed_specs, render_feed, render_sitemap
from site_builder.incremental.layout import Layout, item_shape, relayout
from site_builder.incremental.search_index import with_search_index
from site_builder.model import Item, Source
from site_builder.stages.write import OutputFile, WriteStats, write_output
from site_builder.incremental.parallel import fork_imap, fork_map
from site_builder.stages.plan import Page, page_context, plan
from site_builder.stages.render import render_page
from site_builder.theme import (Theme, load_theme, make_environment, static_files, static_sources,
                                static_warnings)
from site_builder.stages.views import GroupSlugs, ItemViews, site_view

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """What a build tells the user, in numbers (kept in the cache to repeat when nothing changed)."""

    pages: int
    files: int
    published: int
    hidden: dict[str, int]
    drafts_shown: int
    mtime_dated: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class BuildResult:
    """A finished build in memory: the files, the site they show, and what to tell the user.

    A file whose data is None is unchanged since the last build: write keeps the one in output/.
    """

    files: Iterable[OutputFile]   # a list from build_site; made while being written in build()
    site: Site
    pages: int
    warnings: list[str]
    seconds: float
    cache: Cache
    rendered: int = 0
    static_count: int = 0   # files made from no page: the sitemap, robots.txt and the theme's static files
    fingerprints: dict[str, str] = field(default_factory=dict)   # out path -> what the file is made from

    def report(self) -> Report:
        published = sum(1 for i in self.site.items if hidden_reason(i) is None)
        return Report(pages=self.pages, files=len(self.fingerprints) + self.static_count, published=published,
                      hidden=dict(self.site.hidden),
                      drafts_shown=len(self.site.items) - published,
                      mtime_dated=sum(1 for i in self.site.items if i.date_from_mtime),
                      warnings=tuple(self.warnings))


def build_stamp(config: SiteConfig, template_dirs: list[Path], assets: Assets) -> str:
    return "|".join((caching.code_stamp(), caching.config_stamp(config), caching.tree_stamp(template_dirs),
                     assets_stamp(assets)))


def parse_sources(sources: list[Source], config: SiteConfig, known: dict[str, Known], assets: Assets | None = None
                  ) -> tuple[list[Item], list[SiteError], dict[str, Known]]:
    """Items for all sources: cached ones as they were, the rest parsed (on all cores when many)."""
    fresh = [s for s in sources if s.text is not None]
    parsed = dict(zip((s.rel_path for s in fresh), fork_map(lambda s: _parse_or_error(s, config, assets), fresh,
                                                             min_per_worker=500)))
    items: list[Item] = []
    errors: list[SiteError] = []
    files: dict[str, Known] = {}
    for source in sources:
        if source.text is None:  # unchanged: as the last build knew it
            files[source.rel_path] = known[source.rel_path]
            items.append(known[source.rel_path].item)
            continue
        result = parsed[source.rel_path]
        if isinstance(result, SiteError):
            errors.append(result)
            continue
        items.append(result)
        files[source.rel_path] = Known(source.size, source.mtime_ns, source.digest, result)
    return items, errors, files


def _parse_or_error(source: Source, config: SiteConfig, assets: Assets | None) -> Item | SiteError:
    try:
        return parse_item(source, config, assets)
    except SiteError as exc:  # a ContentError, or SiteErrors: every problem of the file
        return exc


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def item_keys(items: tuple[Item, ...], known: dict[str, Known], site: Site) -> dict[str, str]:
    """slug -> what the item's view is made from: its file's digest, final URL and date, and the slugs
    of its topics and provider (which another item's names can move: collect.group_slugs)."""
    slugs = GroupSlugs.of(site)
    return {i.slug: f"{known[i.rel_path].digest if i.rel_path in known else id(i)}|{i.url}|{i.date.isoformat()}"
            f"|{hidden_reason(i)}|{[slugs.topic(t) for t in i.topics]}"
            f"|{slugs.provider(i.provider.name) if i.provider else ''}" for i in items}


def page_fingerprint(stamp: str, page: Page, site_key: str, keys_by_slug: dict[str, str]) -> str:
    """What a page is made from: its template and data, the site view, and the keys of the items it shows."""
    text = "|".join((stamp, page.template, page.url, site_key, repr(page.data),
                     *map(keys_by_slug.__getitem__, page.slugs)))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def reuse(previous: Cache, rel_path: str, fp: str, output: Path | None) -> OutputFile | None:
    """The file as the last build made it, if it was made from the same inputs and is still there:
    in memory (serve), or in output/ (build; data None means keep the file that is there)."""
    held = previous.rendered.get(rel_path)
    if held is not None and held[0] == fp:
        return OutputFile(rel_path, held[1])
    if output is None:
        return None
    recorded = previous.outputs.get(rel_path)
    if recorded is not None and recorded[0] == fp:
        stat = _stat(os.path.join(output, rel_path))
        if stat is not None and (stat.st_size, stat.st_mtime_ns) == recorded[1:]:
            return OutputFile(rel_path, None)
    return None


def render_site(layout: Layout, config: SiteConfig, env: Any, previous: Cache, by_slug: dict[str, str],
                views: ItemViews, output: Path | None) -> tuple[Iterator[OutputFile], dict[str, str], int]:
    """Pages and feeds, each rendered only if what it is made from changed since the last build.

    Which files there are and what each is made from is decided at once; the files themselves come
    lazily, rendered on all cores as they are consumed (so `build` writes them while the rest render).
    """
    site = layout.site
    shared = site_view(site, config)
    kept: list[OutputFile] = []
    by_path: dict[str, str] = {}
    todo: list[Page] = []
    for index, (path, fp) in enumerate(zip(layout.paths, layout.fingerprints)):
        by_path[path] = fp
        again = reuse(previous, path, fp, output)
        if again is None:
            todo.append(layout.pages[index])
        else:
            kept.append(again)
    feed_todo: list[FeedSpec] = []
    for spec in feed_specs(site, config):
        fp = hashlib.blake2b(f"{previous.stamp}|{spec.path}|{spec.title}|{spec.description}|"
                             f"{[by_slug[i.slug] for i in spec.items]}".encode(), digest_size=16).hexdigest()
        names = [spec.path.lstrip("/") + n for n in FEED_FILES]
        again = [reuse(previous, name, fp, output) for name in names]
        by_path.update((name, fp) for name in names)
        if any(f is None for f in again):
            feed_todo.append(spec)
        else:
            kept += again
    made = fork_imap(lambda p: render_page(p, page_context(p, views, shared), env, config), todo,
                     min_per_worker=150)
    feeds = (f for pair in fork_imap(lambda s: render_feed(s, config), feed_todo, min_per_worker=20) for f in pair)
    return chain(kept, made, feeds), by_path, len(todo) + len(feed_todo)


def lay_out(items: list[Item], known: dict[str, Known], previous: Cache, config: SiteConfig
            ) -> tuple[Layout, dict[str, str]]:
    """The site, its pages and their fingerprints: the last build's layout with the changed items put in
    their places when no item moved (the common edit), else collected and planned afresh."""
    shape = item_shape(items, config)
    layout = previous.layout
    if layout is not None and layout.shape == shape:
        changed = {rel: k.item for rel, k in known.items() if previous.files.get(rel) is not k}
        moved, dirty = relayout(layout, changed, config)
        keys = {**layout.keys, **item_keys(tuple(i for i in moved.site.items if i.rel_path in changed), known,
                                           moved.site)}
        site_key = _site_key(moved.site, config)
        fingerprints = tuple(page_fingerprint(previous.stamp, moved.pages[index], site_key, keys) if index in dirty
                             else fp for index, fp in enumerate(layout.fingerprints))
        log.debug("layout: the last one, %d of %d pages re-planned", len(dirty), len(moved.pages))
        return replace(moved, fingerprints=fingerprints, keys=keys), keys
    log.debug("layout: planned afresh (%s)", "no earlier layout" if layout is None else "an item moved")
    site = collect(items, config)
    pages = plan(site, config)
    keys = item_keys(site.items, known, site)
    site_key = _site_key(site, config)
    fingerprints = tuple(page_fingerprint(previous.stamp, page, site_key, keys) for page in pages)
    sitemap = tuple(render_sitemap(pages, site, config))
    return Layout(shape, site, tuple(pages), tuple(p.output_path for p in pages), fingerprints, None, sitemap,
                  keys), keys


def _site_key(site: Site, config: SiteConfig) -> str:
    return hashlib.blake2b(repr(site_view(site, config)).encode(), digest_size=16).hexdigest()


def build_site(config: SiteConfig, previous: Cache | None = None) -> BuildResult:
    """Everything but writing, with every file made: raises SiteError (all content errors at once)
    before anything is written.

    `previous` is the in-memory cache of a running `serve` (start it with `Cache()`): every file then
    comes with its bytes, and the cache it returns keeps them. Without it the on-disk cache is used, and
    unchanged files may come back with data None, meaning: keep the one in output/.
    """
    theme = load_theme(config)
    assets = load_assets(theme.static_dirs)
    stamp = build_stamp(config, theme.template_dirs, assets)
    in_memory = previous is not None
    if previous is None:
        previous = caching.load_cache(config, stamp)
    elif previous.stamp != stamp:
        previous = Cache(stamp=stamp)
    try:
        result = _build_stages(config, theme, previous, None if in_memory else config.output, assets)
        result = replace(result, files=list(result.files))
        if in_memory:
            # serve keeps every file's bytes: the next edit re-renders only the pages it changes.
            result.cache.rendered = {f.rel_path: (result.fingerprints[f.rel_path], f.data) for f in result.files
                                     if f.rel_path in result.fingerprints and f.data is not None}
        return result
    finally:
        gc.unfreeze()  # serve freezes what it keeps once edits pause (watch.RebuildLoop)


def _build_stages(config: SiteConfig, theme: Theme, previous: Cache, output: Path | None, assets: Assets
                  ) -> BuildResult:
    started = time.perf_counter()
    lap = _stopwatch()
    gc.freeze()  # the last build's cache lives as long as this one: the cyclic GC need not walk it
    env = make_environment(theme, previous.env, caching.templates_dir(config) if output is not None else None)
    sources, load_errors, warnings = load_sources(config, previous.files)
    lap("load")
    items, parse_errors, known = parse_sources(sources, config, previous.files, assets)
    lap("parse")
    raise_all(load_errors + parse_errors)
    gc.freeze()  # the items live as long as the build: the cyclic GC need not walk them again and again
    layout, keys = lay_out(items, known, previous, config)
    site, pages = layout.site, layout.pages
    static = static_sources(theme)
    raise_all(find_clashes(layout.paths, pages, site, config, static))
    gc.freeze()  # and so do the pages; frozen before the render workers fork, they also stay shared
    lap("collect and plan")
    views = ItemViews(site.by_slug(), keys, config, previous.views, GroupSlugs.of(site))
    rendering, fingerprints, rendered = render_site(layout, config, env, previous, keys, views, output)
    extra = list(layout.sitemap) + static_files(theme, static)
    extra += redirect_files(site.items, config, set(fingerprints) | {f.rel_path for f in extra})
    cache = Cache(stamp=previous.stamp, files=known, layout=layout)
    if output is None:
        cache.views = views.by_key()  # a running serve also keeps item views and the compiled templates
        cache.env = env
    else:
        cache.outputs = {path: (fp, 0, 0) for path, fp in fingerprints.items()}
        cache.outputs.update((f.rel_path, ("", 0, 0)) for f in extra)
    warnings += static_warnings(theme)
    if config.search:  # last, from the item pages as they pass: see incremental/search_index.py
        rendering = with_search_index(rendering, layout.pages, fingerprints, config, previous, cache, output,
                                      lambda path, fp: reuse(previous, path, fp, output))
    return BuildResult(files=chain(rendering, extra), site=site, pages=len(pages),
                       warnings=warnings + list(site.warnings), seconds=time.perf_counter() - started,
                       cache=cache, rendered=rendered, static_count=len(extra),
                       fingerprints=fingerprints)


def _stopwatch():
    """lap(name) logs the time since the previous lap (see them with --debug)."""
    last = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        log.debug("%s: %.3f s", name, now - last[0])
        last[0] = now
    return lap


def inputs_digest(config: SiteConfig, theme: Theme, stamp: str) -> str:
    """Name, size and mtime of every file a build reads (the templates are in the stamp)."""
    h = hashlib.blake2b(stamp.encode(), digest_size=16)
    for folder in [config.content_dir] + theme.static_dirs:
        for path in walk_files(folder):
            stat = os.stat(path)
            h.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def output_intact(cache: Cache, output: Path) -> bool:
    """output/ holds exactly the files the last build wrote, untouched since."""
    prefix = str(output) + os.sep
    for rel, (_, size, mtime_ns) in cache.outputs.items():
        stat = _stat(prefix + rel)
        if stat is None or (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
            return False
    return sum(len(names) for _, _, names in os.walk(output)) == len(cache.outputs) + 1  # + the marker


def build(config: SiteConfig) -> tuple[Report, WriteStats]:
    """Build the site, replace output/ with it, and remember what was built for the next time.

    When no input changed since the last build and output/ is as that build left it, there is
    nothing to do: the last build's report is repeated.
    """
    theme = load_theme(config)
    assets = load_assets(theme.static_dirs)
    stamp = build_stamp(config, theme.template_dirs, assets)
    inputs = inputs_digest(config, theme, stamp) if config.use_cache else ""
    previous = caching.load_cache(config, stamp, with_items=False)
    if inputs and previous.inputs == inputs and previous.report is not None and output_intact(previous, config.output):
        report = previous.report
        return report, WriteStats(written=0, unchanged=report.files, removed=0)
    if config.use_cache:
        caching.load_items(previous, config)
    # A drafts build gives other URLs (drafts take slugs too): it neither compares nor records them.
    remember_urls = config.use_cache and not config.drafts
    try:
        result = _build_stages(config, theme, previous, config.output, assets)
        if remember_urls:
            result = replace(result, warnings=result.warnings + moved_urls(load_previous_urls(config),
                                                                           result.site.items))
        lap = _stopwatch()
        stats = write_output(result.files, config.output, config.root)
        lap("render and write")
    finally:
        gc.unfreeze()
    report = result.report()
    if config.use_cache:
        cache = result.cache
        out = str(config.output) + os.sep
        for path, (fp, _, _) in list(cache.outputs.items()):
            stat = _stat(out + path)
            if stat is None:
                del cache.outputs[path]
            else:
                cache.outputs[path] = (fp, stat.st_size, stat.st_mtime_ns)
        cache.inputs, cache.report = inputs, report
        caching.save_cache(cache, config, previous.files)
        if remember_urls:
            save_urls(config, visible_urls(result.site.items))
        lap("save cache")
    return report, stats


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
