"""Find every clash between the files a build will write (pages, feeds, sitemap, static files) before
anything is rendered, each reported at the file the user can change, with its line.

Two claims clash when they name the same file, or when one needs as a folder a name the other writes
as a file (a static file `topics/ai` where the topic AI needs `topics/ai/index.html`). The writer
checks again as it writes (write.PathCheck), but by then it can only name output paths; here each
clash names its cause, so `check` reports what `build` would refuse, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from site_builder.config import SiteConfig
from site_builder.errors import OutputError, SiteError
from site_builder.stages.collect import Site
from site_builder.stages.feeds import feed_specs
from site_builder.stages.plan import Page

_SITE_FILES = ("sitemap.xml", "robots.txt")


@dataclass(frozen=True)
class Claim:
    """One output file and where it comes from; `rank` orders who is told (lower: the user's own file)."""

    path: str
    what: str
    origin: str | None = None
    line: int | None = None
    rank: int = 3


def find_clashes(paths: Sequence[str], pages: Sequence[Page], site: Site, config: SiteConfig,
                 static: dict[str, Path]) -> list[SiteError]:
    """Every clash among the pages (their output `paths`, in plan order), feeds, sitemap and static files.

    `pages` is only read for the pages that clash (a cached layout loads them one by one).
    """
    owners: dict[str, tuple[str, object]] = {}
    clashes: list[tuple[tuple[str, object], tuple[str, object], str]] = []

    def claim(path: str, source: tuple[str, object]) -> None:
        other = owners.setdefault(path, source)
        if other is not source:
            clashes.append((other, source, path))

    for index, path in enumerate(paths):
        claim(path, ("page", index))
    for spec in feed_specs(site, config):
        for name in ("feed.xml", "atom.xml"):
            claim(spec.path.lstrip("/") + name, ("feed", spec.path))
    for name in _SITE_FILES:
        claim(name, ("site", name))
    for rel, file in static.items():
        claim(rel, ("static", file))
    folders: dict[str, str] = {}
    for path in owners:
        parts = path.split("/")
        for i in range(1, len(parts)):
            folders.setdefault("/".join(parts[:i]), path)
    for folder, inside in folders.items():
        if folder in owners:
            clashes.append((owners[folder], owners[inside], f"{folder}\0{inside}"))
    if not clashes:
        return []
    return [_error(_describe(a, pages, site, config), _describe(b, pages, site, config), path)
            for a, b, path in clashes]


def _error(a: Claim, b: Claim, path: str) -> SiteError:
    if "\0" in path:
        folder, inside = path.split("\0")
        message = f"{a.what} writes the file {folder}, where {b.what} needs a folder (for {inside})"
    else:
        message = f"{a.what} and {b.what} both write {path}"
    told = min((a, b), key=lambda c: (c.origin is None, c.rank))
    return OutputError(message + "; rename or remove one of them", told.origin, told.line)


def _describe(source: tuple[str, object], pages: Sequence[Page], site: Site, config: SiteConfig) -> Claim:
    kind, ref = source
    if kind == "static":
        shown = _shown(Path(str(ref)), config.root)
        return Claim("", f"the static file {shown}", shown, None, 0)
    if kind == "site":
        return Claim("", f"the site's {ref}")
    if kind == "feed":
        return _group_claim(str(ref), site, "the feeds of", "the site's feeds")
    page = pages[int(str(ref))]
    if page.kind == "item":
        item = site.by_slug()[page.slugs[0]]
        line = item.lines.get("slug") if item.slug_explicit else item.lines.get("title")
        return Claim("", f"the page of {item.rel_path} ({page.url})", item.rel_path, line, 1)
    if page.kind in ("topic", "source"):
        return _group_claim(page.url, site, "the page", f"the page {page.url}")
    return Claim("", f"the site's page {page.url}")


def _group_claim(url: str, site: Site, prefix: str, fallback: str) -> Claim:
    """A topic's or source's page or feed: told at the first item that names the topic or source."""
    parts = url.strip("/").split("/")
    if len(parts) < 2 or parts[0] not in ("topics", "sources"):
        return Claim("", fallback)
    groups, key = (site.topics, "topics") if parts[0] == "topics" else (site.providers, "provider")
    group = next((g for g in groups if g.slug == parts[1]), None)
    what = f"{prefix} /{parts[0]}/{parts[1]}/"
    if group is None or not group.items:
        return Claim("", what)
    item = site.by_slug()[group.items[0]]
    return Claim("", what, item.rel_path, item.lines.get(key), 2)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
