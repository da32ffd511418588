"""The one place that knows the order of the build stages: load, parse, collect, plan, render, write."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from site_builder.collect import Site, collect
from site_builder.config import SiteConfig
from site_builder.content import load_sources, parse_item
from site_builder.errors import ContentError, SiteError, raise_all
from site_builder.feeds import render_feeds, render_sitemap
from site_builder.model import Item, Source
from site_builder.output import OutputFile, WriteStats, write_output
from site_builder.plan import plan
from site_builder.render import render_pages
from site_builder.theme import load_theme, make_environment, static_files

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    """A finished build in memory: the files, the site they show, and what to tell the user."""

    files: list[OutputFile]
    site: Site
    pages: int
    warnings: list[str]
    seconds: float


def parse_all(sources: list[Source], config: SiteConfig) -> tuple[list[Item], list[SiteError]]:
    items: list[Item] = []
    errors: list[SiteError] = []
    for source in sources:
        try:
            items.append(parse_item(source, config))
        except ContentError as exc:
            errors.append(exc)
    return items, errors


def build_site(config: SiteConfig) -> BuildResult:
    """Everything but writing: raises SiteError (all content errors at once) before anything is written."""
    started = time.perf_counter()
    theme = load_theme(config)
    env = make_environment(theme)
    sources, load_errors, warnings = load_sources(config)
    items, parse_errors = parse_all(sources, config)
    raise_all(load_errors + parse_errors)
    site = collect(items, config)
    pages = plan(site, config)
    files = render_pages(pages, env, config) + render_feeds(site, config) + render_sitemap(pages, site, config)
    files += static_files(theme)
    return BuildResult(files=files, site=site, pages=len(pages), warnings=warnings + list(site.warnings),
                       seconds=time.perf_counter() - started)


def build(config: SiteConfig) -> tuple[BuildResult, WriteStats]:
    """Build the site and replace output/ with it."""
    result = build_site(config)
    stats = write_output(result.files, config.output, config.root)
    return result, stats


def summary(result: BuildResult, stats: WriteStats | None, seconds: float) -> str:
    """The one line a build ends with."""
    site = result.site
    visible = sum(1 for i in site.items if i.published and not i.draft)
    hidden = sum(site.hidden.values())
    reasons = ", ".join(f"{n} {reason}" for reason, n in site.hidden.items())
    line = f"{result.pages} pages, {len(result.files)} files"
    if stats is not None:
        line += f" ({stats.written} written, {stats.unchanged} unchanged, {stats.removed} removed)"
    line += f"; {visible} items published, {hidden} hidden" + (f" ({reasons})" if reasons else "")
    if result.site.items and len(site.items) > visible:
        line += f", {len(site.items) - visible} hidden items shown as drafts"
    mtime_dated = sum(1 for i in site.items if i.date_from_mtime)
    if mtime_dated:
        line += f"; {mtime_dated} dated by file modification time"
    return line + f"; {seconds:.2f} s"


def config_paths(config: SiteConfig) -> list[Path]:
    return [config.root / "site.toml", config.content_dir]
