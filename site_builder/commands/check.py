"""Validate a whole site without writing anything: every error and warning a build would meet, and more."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from site_builder.commands.build import build_parsed
from site_builder.stages.collect import collect, hidden_reason, is_shown
from site_builder.config import SiteConfig, with_overrides
from site_builder.stages.content import load_sources, parse_item
from site_builder.errors import SiteError, SiteErrors
from site_builder.model import Item
from site_builder.stages.images import load_assets
from site_builder.stages.write import check_target
from site_builder.theme import load_theme, static_sources, static_warnings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckReport:
    """What `check` found, as the lines to show; errors sorted by path and line."""

    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    info: tuple[str, ...]
    published: int
    hidden: dict[str, int]

    def summary(self) -> str:
        hidden = sum(self.hidden.values())
        reasons = ", ".join(f"{n} {reason}" for reason, n in self.hidden.items())
        return (f"check: {_count(len(self.errors), 'error')}, {_count(len(self.warnings), 'warning')}; "
                f"{self.published} items published, {hidden} hidden" + (f" ({reasons})" if reasons else ""))


def check_site(load: Callable[[], SiteConfig], now: datetime, strict: bool = False) -> CheckReport:
    """Run every stage but write: config, theme, each content file, collect, then render in memory.

    A failing stage does not hide the findings of the others where they can still run: a broken
    theme still lets every content file be checked. With `strict`, warnings count as errors.
    """
    try:
        # No cache either: check must leave the site folder exactly as it found it.
        config = with_overrides(load(), use_cache=False)
    except SiteError as exc:
        return _report(_flatten(exc), [], [], [], strict)
    errors: list[SiteError] = []
    assets = None  # without a theme, local image paths cannot be checked
    static: list[str] = []
    try:
        theme = load_theme(config)
        assets = load_assets(static_sources(theme))
        static = static_warnings(theme)
        theme_ok = True
    except SiteError as exc:
        errors += _flatten(exc)
        theme_ok = False
    sources, load_errors, warnings = load_sources(config)
    warnings += static
    errors += load_errors
    items: list[Item] = []
    for source in sources:
        try:
            items.append(parse_item(source, config, assets))
        except SiteError as exc:
            errors += _flatten(exc)
    shown = [i for i in items if is_shown(i, config)]
    try:
        warnings += collect(items, config).warnings
    except SiteError as exc:
        # Clashing explicit slugs: collect again without the files at fault for the other warnings.
        found = _flatten(exc)
        errors += found
        at_fault = {e.path for e in found}
        warnings += collect([i for i in items if i.rel_path not in at_fault], config).warnings
    warnings += future_dated(shown, now)
    if theme_ok and not errors:
        try:
            build_parsed(config, items, assets)  # templates and feeds, rendered in memory only, from the items above
        except SiteError as exc:
            errors += _flatten(exc)
    try:
        check_target(config.output, config.root)  # build would refuse this output folder before writing
    except SiteError as exc:
        errors.append(exc)
    return _report(errors, warnings, items, shown, strict)


def future_dated(items: list[Item], now: datetime) -> list[str]:
    """Items dated after `now`: a build publishes them at once, which is rarely what was meant."""
    return [f"{_where(i)}: dated {i.date.isoformat()}, in the future; a build publishes it now anyway"
            for i in sorted(items, key=lambda i: i.rel_path) if i.date > now]


def _where(item: Item) -> str:
    line = item.lines.get("publishedDateTime") or item.lines.get("date")
    return f"{item.rel_path}:{line}" if line else item.rel_path


def _report(errors: list[SiteError], warnings: list[str], items: list[Item], shown: list[Item],
            strict: bool) -> CheckReport:
    hidden = Counter(r for r in map(hidden_reason, items) if r is not None)
    published = sum(1 for i in items if hidden_reason(i) is None)
    lines = [str(e) for e in sorted(errors, key=SiteError.sort_key)]
    # Stable within a file, files in path order: a file's warnings are read together.
    warnings = sorted(warnings, key=lambda w: w.split(":", 1)[0])
    info = []
    if hidden:
        total = sum(hidden.values())
        shown_hidden = len(shown) - published
        info.append(f"{_count(total, 'item')} hidden ({', '.join(f'{n} {r}' for r, n in sorted(hidden.items()))})"
                    + ("; shown as drafts" if shown_hidden else "; --drafts checks and shows them"))
    if strict:
        lines, warnings = lines + warnings, []
    return CheckReport(errors=tuple(lines), warnings=tuple(warnings), info=tuple(info), published=published,
                       hidden=dict(sorted(hidden.items())))


def _flatten(exc: SiteError) -> list[SiteError]:
    return list(exc.errors) if isinstance(exc, SiteErrors) else [exc]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
