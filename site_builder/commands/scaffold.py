"""Create the files a curator starts from: a new site, a new item, and the writer every new item goes through."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from site_builder.commands.deploy import WORKFLOW_PATH, github_workflow
from site_builder.stages.content import CONTENT_SUFFIXES, content_paths, read_source, split_frontmatter
from site_builder.errors import ConfigError, ContentError, OutputError, UsageError
from site_builder.slug import slugify
from site_builder.stages.schema import code_point, control_character
from site_builder.urls import is_web_url

log = logging.getLogger(__name__)

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Frontmatter keys in the order the news seeds use; every file we write follows it.
SEED_KEYS = (
    "title", "excerpt", "publishedDateTime", "updatedDateTime", "originalUrl", "webUrl", "ampWebUrl",
    "cdnAmpWebUrl", "category", "type", "quality", "heat", "published", "provider", "topics", "images",
    "related",
)

SITE_TOML = '''\
# site.toml: settings for this digest. Every key is optional; the value shown is the default.

# The site's name, shown in page titles, the header and the feed.
title = "My Digest"

# One sentence about the digest, for the home page and the feed.
description = ""

# Where the site will be published; links in feeds and sitemaps start with it.
base_url = "http://localhost:8000/"

# Language of the pages (an HTML lang code such as "en" or "de").
language = "en"

# IANA timezone used to show dates and to decide which day an item belongs to.
timezone = "UTC"

# Theme folder name; templates in this site's templates/ override the theme's.
theme = "default"

# How many items one listing page shows before paginating.
items_per_page = 20

# How many of the newest items the feeds carry.
feed_limit = 50

# URL pattern of an item page; may use {slug}, {year}, {month} and {day}.
permalink = "/news/{slug}/"

# Order of items within a day's edition: "newest", "quality" or "heat".
edition_order = "newest"

# Where feed entries link: "page" (the item's page here) or "source" (the original story).
feed_link = "page"

# What feeds (RSS, Atom, JSON Feed) carry: "full" item bodies or only the "excerpt".
feed_content = "full"

# Let raw HTML in Markdown bodies through unsanitised; only for content you wrote yourself.
trust_html = false
'''

EXAMPLE_ITEM: dict[str, Any] = {
    "title": "Welcome to your news digest",
    "excerpt": "An example item: a link to a story, with a short note from the curator.",
    "publishedDateTime": "2024-01-01T09:00:00Z",
    "originalUrl": "https://example.com/news/welcome",
    "webUrl": "https://example.com/news/welcome",
    "category": "news",
    "type": "article",
    "quality": 50,
    "heat": 0,
    "published": True,
    "provider": {"name": "Example News", "domain": "example.com"},
    "topics": ["Getting started"],
    "images": [],
    "related": [],
}

EXAMPLE_BODY = """\
This is an example item. Each file in `content/` is one item: YAML frontmatter
between the `---` lines, then an optional **Markdown** note from the curator.

- `site-builder new "A headline" --url https://...` starts a new item (unpublished).
- `site-builder import feed.xml` brings in stories from RSS, Atom or JSON feeds.
- Set `published: true` when an item is ready, then run `site-builder build`.

Delete this file once you have items of your own.
"""

TEMPLATES_README = """\
# Template overrides

Templates placed in this folder replace the theme's templates of the same name,
so you can change one page without copying the whole theme.

To override one:

1. Copy the template from the theme, for example
   `themes/default/templates/item.html` from site-builder's source, into this folder,
   keeping its file name (`templates/item.html`). In an installed site-builder the
   themes are inside the package; this prints their folder:
   python -c "from site_builder.theme import BUILTIN_THEMES; print(BUILTIN_THEMES)"
2. Edit the copy. Templates are Jinja2; keep the blocks and variables the original uses.
3. Run `site-builder build` (or `site-builder serve`) to see the result.

Delete the copy to go back to the theme's version. This README is not a template
and is ignored by the build.
"""


def init_site(target: Path) -> list[Path]:
    """Create a new site in an empty or new folder; returns the files written."""
    if target.exists() and not target.is_dir():
        raise ConfigError("exists and is not a folder; choose a new or empty folder for the site", str(target))
    if target.is_dir() and any(target.iterdir()):
        raise ConfigError("folder is not empty; `init` only creates a site in a new or empty folder "
                          "so it never overwrites anything", str(target))
    files = {
        Path("site.toml"): SITE_TOML,
        Path("content", "2024-01-01-welcome-to-your-news-digest.md"): render_item(EXAMPLE_ITEM, EXAMPLE_BODY),
        Path("templates", "README.md"): TEMPLATES_README,
        WORKFLOW_PATH: github_workflow(),
    }
    written: list[Path] = []
    try:
        for rel, text in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            written.append(path)
    except OSError as exc:
        raise OutputError(f"cannot create the site: {exc.strerror}", str(exc.filename or target)) from None
    log.debug("created site in %s", target)
    return written


def new_item(root: Path, title: str, url: str | None, topics: list[str], provider: str | None,
             now: datetime) -> Path:
    """Write content/<date>-<slug>.md with every seed key present (unknown ones null) and published: false."""
    entry = new_item_entry(title, url, topics, provider, now)
    return write_item(content_dir_of(root), entry)


def new_item_entry(title: str, url: str | None, topics: list[str], provider: str | None,
                   now: datetime) -> dict[str, Any]:
    """The frontmatter of a new item, checked; UsageError names the bad option."""
    for option, value in [("the title", title), ("--url", url), ("--provider", provider)] + \
            [("--topic", topic) for topic in topics]:
        if value is not None:
            _check_text(option, value)
    clean_title = " ".join(title.split())
    if not clean_title:
        raise UsageError("the title must not be empty")
    link = url.strip() if url is not None else None
    if link is not None and not is_web_url(link):
        raise UsageError(f"--url must be an http or https URL, not {url!r}")
    clean_topics: list[str] = []
    for topic in topics:
        if not topic.strip():
            raise UsageError("--topic must not be empty")
        if topic.strip() not in clean_topics:
            clean_topics.append(topic.strip())
    domain = domain_of(link)
    name = " ".join((provider or "").split()) or domain
    entry: dict[str, Any] = dict.fromkeys(SEED_KEYS)
    entry.update({
        "title": clean_title, "excerpt": "", "publishedDateTime": iso_utc(now), "originalUrl": link,
        "webUrl": link, "type": "article", "published": False,
        "provider": {"name": name, "domain": domain} if name else None,
        "topics": clean_topics, "images": [], "related": [],
    })
    return entry


def _check_text(option: str, value: str) -> None:
    """Text a content file can hold: UTF-8 (an argument in another encoding arrives with surrogates) and no
    control characters (a build would refuse the item)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"{option} is not valid UTF-8 text") from None
    bad = control_character(value)
    if bad is not None:
        raise ConfigError(f"{option} contains the control character {code_point(value[bad])}; remove it")


def domain_of(url: str | None) -> str:
    """The story's host as a provider domain: lowercase ASCII (IDNA), without `www.`; "" if unusable."""
    host = (urlsplit(url.strip()).hostname or "") if url else ""
    try:
        host = host.lower().removeprefix("www.").encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return host if re.fullmatch(r"[a-z0-9.-]+", host) else ""


def iso_utc(moment: datetime) -> str:
    """`2023-11-27T07:48:00Z`; naive datetimes are taken to be UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_item(entry: dict[str, Any], body: str = "") -> str:
    """Frontmatter (YAML, keys in the order given) and body, as one content file."""
    meta = yaml.dump(entry, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=1_000_000)
    return f"---\n{meta}---\n{body}"


def write_item(content_dir: Path, entry: dict[str, Any], body: str = "", taken: set[str] | None = None) -> Path:
    """Write content/<YYYY-MM-DD>-<slug>.md, adding -2, -3 ... rather than touching an existing file.

    The item's slug is written too (`slug:` after the title), unique among the slugs of `taken` (default:
    every item in content_dir), so a later correction of the headline keeps the page where it is.
    """
    taken = taken_slugs(content_dir) if taken is None else taken
    slug = unique_slug(slugify(entry["title"]) or "item", taken)
    taken.add(slug)
    entry = {"title": entry["title"], "slug": slug, **{k: v for k, v in entry.items() if k not in ("title", "slug")}}
    stem = f"{entry['publishedDateTime'][:10]}-{slugify(entry['title']) or 'item'}"
    text = render_item(entry, body)
    number = 1
    while True:
        name = stem if number == 1 else f"{stem}-{number}"
        path = content_dir / f"{name}.md"
        number += 1
        # Another suffix with the same stem would be the same item key to the build.
        if any(path.with_suffix(suffix).exists() for suffix in CONTENT_SUFFIXES):
            continue
        try:
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror}", str(path)) from None
        log.debug("wrote %s", path)
        return path


def unique_slug(slug: str, taken: set[str]) -> str:
    """slug, or slug-2, slug-3 ...: two pinned slugs that are equal would be a build error."""
    number, candidate = 1, slug
    while candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    return candidate


def taken_slugs(content_dir: Path) -> set[str]:
    """The slug every content file has now: its `slug:`, else the one its title gives (unreadable files: none)."""
    slugs: set[str] = set()
    root = content_dir.parent
    for path in content_paths(content_dir):
        try:
            text = read_source(path, path.relative_to(root).as_posix()).text or ""
            meta = split_frontmatter(text, path.name)[0] if text.startswith("---") else {}
        except ContentError:
            continue
        slug = item_slug(meta, text)
        if slug is not None:
            slugs.add(slug)
    return slugs


def item_slug(meta: dict[str, Any], text: str) -> str | None:
    """The slug a content file claims: its `slug:`, else the one its title (or a plain-text file's first
    line) gives; None for frontmatter with neither."""
    if isinstance(meta.get("slug"), str):
        return meta["slug"].strip()
    if isinstance(meta.get("title"), str) or not meta:
        return slugify(meta.get("title") or text.strip().split("\n", 1)[0]) or "item"
    return None


def content_dir_of(root: Path) -> Path:
    """root/content, created if the site has none yet."""
    if not root.is_dir():
        raise ConfigError("source folder does not exist (create a site with `site-builder init`)", str(root))
    folder = root / "content"
    folder.mkdir(exist_ok=True)
    return folder
