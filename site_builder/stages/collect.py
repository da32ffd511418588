"""Collect parsed items into a Site: the visibility gate, sorting, grouping, URLs and collisions."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from anyascii import anyascii

from site_builder.config import SiteConfig
from site_builder.errors import ContentError, raise_all
from site_builder.model import Item
from site_builder.slug import slugify
from site_builder.stages.visibility import hidden_reason, is_shown  # the rule lives there; outputs import it from here too
from site_builder.urls import RESERVED_SEGMENTS, normalize_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Group:
    """A topic, a provider or a day: a name, a URL slug and its items' slugs in display order."""

    slug: str
    name: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Site:
    """The visible site: everything later stages may show. Hidden items never get past collect()."""

    items: tuple[Item, ...]                 # newest first
    topics: tuple[Group, ...]               # by name
    providers: tuple[Group, ...]            # by name
    days: tuple[Group, ...]                 # newest first; slug is YYYY-MM-DD; items ranked
    hidden: dict[str, int] = field(default_factory=dict)   # reason -> count
    warnings: tuple[str, ...] = ()
    topic_slugs: dict[str, str] = field(default_factory=dict)      # every spelling of a topic -> its slug
    provider_slugs: dict[str, str] = field(default_factory=dict)   # the same for providers

    def by_slug(self) -> dict[str, Item]:
        return {item.slug: item for item in self.items}


def collect(items: list[Item], config: SiteConfig) -> Site:
    """Apply visibility, give every shown item a unique URL, and group items by topic, provider and day."""
    return arrange(*gate(items, config), config)


def gate(items: list[Item], config: SiteConfig) -> tuple[list[Item], dict[str, int]]:
    """The visibility gate: the items shown, and how many are hidden for each reason. Nothing after it
    sees a hidden item (but a --drafts preview, where every item is shown)."""
    shown = [i for i in items if is_shown(i, config)]
    hidden = Counter(r for r in map(hidden_reason, items) if r is not None)
    return shown, dict(sorted(hidden.items()))


def arrange(shown: list[Item], hidden: dict[str, int], config: SiteConfig) -> Site:
    """The shown items placed: sorted, each with a unique URL, grouped by topic, provider and day."""
    shown = list(shown)
    shown.sort(key=lambda i: (-i.date.timestamp(), i.rel_path))
    raise_all(repeated_ids(shown))
    shown, url_warnings = assign_urls(shown, config)
    topic_slugs, topic_warnings = group_slugs(shown, lambda i: i.topics, "topic", "topics")
    provider_slugs, provider_warnings = group_slugs(shown, lambda i: (i.provider.name,) if i.provider else (),
                                                    "provider", "sources", "provider")
    return Site(
        items=tuple(shown),
        topics=group_by(shown, lambda i: i.topics, topic_slugs),
        providers=group_by(shown, lambda i: (i.provider.name,) if i.provider else (), provider_slugs),
        days=group_days(shown, config),
        hidden=dict(hidden),
        warnings=tuple(url_warnings + topic_warnings + provider_warnings + duplicate_sources(shown)
                       + dated_by_mtime(shown)),
        topic_slugs=topic_slugs,
        provider_slugs=provider_slugs,
    )


def permalink(item: Item, slug: str, config: SiteConfig) -> str:
    local = item.date.astimezone(config.tz)
    return config.permalink.format(slug=slug, year=f"{local.year:04d}", month=f"{local.month:02d}",
                                   day=f"{local.day:02d}")


def assign_urls(items: list[Item], config: SiteConfig) -> tuple[list[Item], list[str]]:
    """Unique slugs and URLs. Explicit slugs keep theirs (two equal ones are an error); derived
    slugs that collide get a deterministic -2, -3 suffix, the older item keeping the plain one."""
    taken: dict[str, Item] = {}
    final: dict[str, Item] = {}
    errors: list[ContentError] = []
    warnings: list[str] = []
    oldest_first = sorted(items, key=lambda i: (not i.slug_explicit, i.date.timestamp(), i.rel_path))
    for item in oldest_first:
        slug = item.slug
        url = permalink(item, slug, config)
        if item.slug_explicit and (url in taken or _reserved(url)):
            owner = taken[url].rel_path if url in taken else "the site's own pages"
            errors.append(ContentError(f"slug '{slug}' gives URL {url}, already used by {owner}; "
                                       "choose another slug", item.rel_path, item.lines.get("slug")))
            continue
        n = 1
        while url in taken or _reserved(url):
            n += 1
            slug = f"{item.slug}-{n}"
            url = permalink(item, slug, config)
        if n > 1:
            first = permalink(item, item.slug, config)
            owner = taken[first].rel_path if first in taken else "the site's own pages"
            warnings.append(f"{item.rel_path}: URL {first} is already used by {owner}; using {url}")
        taken[url] = item
        final[item.rel_path] = placed(item, slug, url)
    raise_all(errors)
    return [final[i.rel_path] for i in items], warnings


# The edition pages' own URLs: /YYYY/, /YYYY/MM/, /YYYY/MM/DD/ and /YYYY/MM/DD/page/N/. Only these are
# reserved, not all of /YYYY/: a permalink such as '/{year}/{month}/{slug}/' must stay usable.
_DATE_PAGE = re.compile(r"/\d{4}/(?:\d{2}/(?:\d{2}/(?:page/\d+/)?)?)?")


def placed(item: Item, slug: str, url: str) -> Item:
    """The item with its final slug and URL. (dataclasses.replace re-runs __init__ over every field,
    which costs more than the rest of collect at 10,000 items; a copy is the same frozen value, of the
    item's own class: incremental/trace.py follows what is read of it.)"""
    placed = object.__new__(type(item))
    placed.__dict__.update(item.__dict__, slug=slug, url=url)
    return placed


def repeated_ids(items: list[Item]) -> list[ContentError]:
    """Feed ids must be unique: two equal `id:` keys, or a.md beside a.txt (ids come from the path stem)."""
    owners: dict[str, Item] = {}
    errors = []
    for item in sorted(items, key=lambda i: i.rel_path):
        other = owners.setdefault(item.guid, item)
        if other is not item:
            errors.append(ContentError(f"feed id {item.guid} is also used by {other.rel_path}; "
                                       "give one of them its own `id:` (or rename the file)", item.rel_path))
    return errors


def _reserved(url: str) -> bool:
    first = url.strip("/").split("/", 1)[0]
    return first in RESERVED_SEGMENTS or _DATE_PAGE.fullmatch(url) is not None


@lru_cache(maxsize=4096)
def group_slug(name: str) -> str:
    """A name's own slug: transliterated to lowercase ASCII ('Наука 2024' -> 'nauka-2024'), or a short
    stable hash for a name with nothing to transliterate. Two names may share it: see group_slugs."""
    return slugify(anyascii(name)) or "t-" + hashlib.sha1(name.encode()).hexdigest()[:8]


@lru_cache(maxsize=4096)
def group_key(name: str) -> str:
    """What makes two spellings one topic: case, Unicode compatibility forms and the separators
    (spaces, '-', '_') between words do not count ('AI' = 'ai', 'Machine learning' = 'machine-learning')."""
    return " ".join(_SEPARATORS.split(unicodedata.normalize("NFKC", name).casefold())).strip()


_SEPARATORS = re.compile(r"[\s_-]+")
# Symbols that tell names apart and have a name to spell them with ('C++' and 'C#' are not 'C').
_SYMBOLS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at ", "%": " percent ", "*": " star ",
            "=": " equals ", "/": " slash ", ".": " dot ", "!": " bang ", "$": " dollar ", "~": " tilde "}


def group_slugs(items: list[Item], names_of, noun: str, prefix: str, key_name: str = "topics"
                ) -> tuple[dict[str, str], list[str]]:
    """Every spelling of every topic (or provider) name -> its slug; distinct names never share one.

    A name keeps its own slug unless a different name has the same one. Then the name whose words
    are exactly the slug's ('C' for 'c') keeps it, and each other one gets its symbols spelled out
    ('c-plus-plus', 'c-sharp') or, failing that, a short hash of the name: the same names always give
    the same slugs. Each name moved off its own slug is a warning at the first file that uses it.
    """
    first_use: dict[str, tuple[str, str]] = {}   # key -> (a spelling, the first file using it: path:line)
    spellings: dict[str, list[str]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.rel_path):
        for name in names_of(item):
            key = group_key(name)
            line = item.lines.get(key_name)
            first_use.setdefault(key, (name, f"{item.rel_path}:{line}" if line else item.rel_path))
            if name not in spellings[key]:
                spellings[key].append(name)
    by_slug: dict[str, list[str]] = defaultdict(list)
    for key in sorted(first_use):
        by_slug[group_slug(first_use[key][0])].append(key)
    slug_of: dict[str, str] = {}
    warnings: list[str] = []
    taken = set(by_slug)
    for slug, keys in by_slug.items():
        if len(keys) == 1:
            slug_of[keys[0]] = slug
            continue
        plain = [k for k in keys if k.replace(" ", "-") == slug]
        for key in keys:
            if key in plain:
                slug_of[key] = slug
                continue
            spelled = slugify(anyascii("".join(_SYMBOLS.get(c, c) for c in first_use[key][0])))
            if not spelled or spelled in taken:
                spelled = f"{slug}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"
            taken.add(spelled)
            slug_of[key] = spelled
            others = ", ".join(repr(first_use[k][0]) for k in keys if k != key)
            name, where = first_use[key]
            warnings.append(f"{where}: {noun} {name!r} would share /{prefix}/{slug}/ with {others}; "
                            f"it gets /{prefix}/{spelled}/")
    mapping = {name: slug_of[key] for key, names in spellings.items() for name in names}
    return mapping, sorted(warnings)


def group_by(items: list[Item], names_of, slugs: dict[str, str]) -> tuple[Group, ...]:
    """Groups keyed by slug (group_slugs); 'AI' and 'ai' are one group, shown under the spelling used most."""
    members: dict[str, list[str]] = defaultdict(list)
    spellings: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        for name in names_of(item):
            slug = slugs[name]
            if not members[slug] or members[slug][-1] != item.slug:  # 'AI' and 'ai' on one item: once
                members[slug].append(item.slug)
            spellings[slug][name] += 1
    groups = [Group(slug=s, name=min(spellings[s].items(), key=lambda kv: (-kv[1], kv[0]))[0],
                    items=tuple(members[s])) for s in members]
    return tuple(sorted(groups, key=lambda g: (g.name.casefold(), g.slug)))


def rank_key(order: str):
    """The documented edition ranking: newest first, or by quality/heat (higher first), ties by time."""
    def key(item: Item) -> tuple:
        score = {"quality": item.quality, "heat": item.heat}.get(order)
        return (-(score if score is not None else float("-inf")) if order != "newest" else 0,
                -item.date.timestamp(), item.rel_path)
    return key


def group_days(items: list[Item], config: SiteConfig) -> tuple[Group, ...]:
    days: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        days[item.date.astimezone(config.tz).date().isoformat()].append(item)
    key = rank_key(config.edition_order)
    return tuple(Group(slug=day, name=day, items=tuple(i.slug for i in sorted(days[day], key=key)))
                 for day in sorted(days, reverse=True))


def duplicate_sources(items: list[Item]) -> list[str]:
    """Warnings for visible items that point at the same story (equal after URL normalisation)."""
    seen: dict[str, Item] = {}
    warnings: list[str] = []
    for item in sorted(items, key=lambda i: i.rel_path):
        if not item.source_url:
            continue
        norm = normalize_url(item.source_url)
        if norm in seen:
            warnings.append(f"{item.rel_path}: same source URL as {seen[norm].rel_path} ({item.source_url})")
        else:
            seen[norm] = item
    return warnings


def dated_by_mtime(items: list[Item]) -> list[str]:
    return [f"{i.rel_path}: no date in the file; using its modification time "
            f"({i.date.strftime('%Y-%m-%d %H:%M UTC')})" for i in items if i.date_from_mtime]


def newest(items: list[Item]) -> datetime | None:
    return max((i.updated or i.date for i in items), default=None)
