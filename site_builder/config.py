"""Read site.toml and command-line overrides into one frozen SiteConfig."""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from site_builder.errors import ConfigError, SiteErrors, raise_all
from site_builder.files import read_regular, special_kind
from site_builder.stages.schema import code_point, control_character
from site_builder.slug import is_safe_slug
from site_builder.urls import RESERVED_SEGMENTS, is_web_url

log = logging.getLogger(__name__)

CONFIG_FILE = "site.toml"
EDITION_ORDERS = ("newest", "quality", "heat")
FEED_LINKS = ("page", "source")
FEED_CONTENTS = ("full", "excerpt")
PERMALINK_FIELDS = ("slug", "year", "month", "day")


@dataclass(frozen=True)
class SiteConfig:
    """Everything a build needs to know about the site; built once, passed explicitly."""

    root: Path
    output: Path
    title: str = "News Digest"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    theme: str = "default"
    items_per_page: int = 20
    compact_items_per_page: int = 30   # the compact theme's one-line rows fit more stories on a page
    feed_limit: int = 50
    permalink: str = "/news/{slug}/"
    edition_order: str = "newest"
    feed_link: str = "page"
    feed_content: str = "full"
    trust_html: bool = False
    search: bool = True          # a Pagefind index in output/pagefind/, a /search/ page, a box in the header
    drafts: bool = False
    use_cache: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def page_size(self) -> int:
        """Stories per list page: compact_items_per_page with the compact theme, else items_per_page."""
        return self.compact_items_per_page if self.theme == "compact" else self.items_per_page

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)

    @property
    def base_path(self) -> str:
        """The sub-path the site lives under: '/' or e.g. '/digest/'."""
        from urllib.parse import urlsplit
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# Keys a user may set in site.toml, with the type each must have.
_TYPES: dict[str, type | tuple[type, ...]] = {
    "title": str, "description": str, "base_url": str, "language": str, "timezone": str,
    "theme": str, "items_per_page": int, "compact_items_per_page": int, "feed_limit": int, "permalink": str,
    "edition_order": str, "feed_link": str, "trust_html": bool, "extra": dict, "feed_content": str,
    "search": bool,
}


def load_config(root: Path, overrides: dict[str, Any] | None = None) -> SiteConfig:
    """Read root/site.toml (optional), apply command-line overrides, validate everything at once."""
    root = root.resolve()
    path = root / CONFIG_FILE
    values: dict[str, Any] = {}
    text = ""
    if path.exists() and not path.is_file():  # a FIFO or a link to /dev/zero: reading it would never end
        raise ConfigError(f"{special_kind(path.stat().st_mode)}, not a regular file; site.toml must be a regular "
                          "file (remove it)", CONFIG_FILE)
    if path.is_file():
        data = read_regular(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                              CONFIG_FILE, data.count(b"\n", 0, exc.start) + 1) from None
        values = parse_config_text(text)
    overridden = {k for k, v in (overrides or {}).items() if v is not None}
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    output = Path(values.pop("output", root / "output"))
    config = SiteConfig(root=root, output=(root / output).resolve(), **values)
    # A value given on the command line is not site.toml's fault: its message carries no site.toml line.
    from_file = "\n".join("" if any(key_line(line, key) for key in overridden) else line
                          for line in text.split("\n"))
    errors = check_config(config, from_file)
    if not errors and "theme" not in overridden and "theme" in values:
        errors += _missing_theme(config, from_file)
    raise_all(errors)
    return config


def parse_config_text(text: str) -> dict[str, Any]:
    """TOML text -> dict of known keys; unknown keys or wrong types are ConfigErrors with their line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"invalid TOML: {reason}", CONFIG_FILE, line) from None
    errors: list[ConfigError] = []
    for key, value in data.items():
        line = key_line(text, key)
        if key not in _TYPES:
            close = difflib.get_close_matches(key, list(_TYPES), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (valid keys: {', '.join(sorted(_TYPES))})"
            errors.append(ConfigError(f"unknown key '{key}'{hint}", CONFIG_FILE, line))
            continue
        expected = _TYPES[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            name = expected.__name__ if isinstance(expected, type) else "value"
            kind = {"str": "a string", "int": "a whole number", "bool": "true or false", "dict": "a table"}[name]
            errors.append(ConfigError(f"'{key}' must be {kind}, not {value!r}", CONFIG_FILE, line))
    if errors:
        raise SiteErrors(list(errors)) if len(errors) > 1 else errors[0]
    return data


def key_line(text: str, key: str) -> int | None:
    """The 1-based line where a top-level key is set, for error messages."""
    match = re.search(rf"^[ \t]*\"?{re.escape(key)}\"?[ \t]*[=.\[]", text, re.MULTILINE)
    if match is None:
        match = re.search(rf"^\[{re.escape(key)}\]", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def check_config(config: SiteConfig, text: str = "") -> list[ConfigError]:
    """Value checks that need more than a type; each error points at the key's line in site.toml."""
    errors: list[ConfigError] = []

    def bad(key: str, message: str) -> None:
        line = key_line(text, key) if text else None
        errors.append(ConfigError(message, CONFIG_FILE if line else None, line))

    if not is_web_url(config.base_url):
        bad("base_url", f"base_url must be an absolute http(s) URL, not {config.base_url!r}")
    elif any(c in "?#" or c.isspace() for c in config.base_url):
        # Every page URL is base_url + path: a query, fragment or space would break all of them.
        bad("base_url", f"base_url must not hold a query ('?'), a fragment ('#') or spaces, not {config.base_url!r}")
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        bad("timezone", f"unknown timezone {config.timezone!r} (use an IANA name such as 'Europe/London')")
    if config.items_per_page < 1:
        bad("items_per_page", "items_per_page must be at least 1")
    if config.compact_items_per_page < 1:
        bad("compact_items_per_page", "compact_items_per_page must be at least 1")
    if config.feed_limit < 1:
        bad("feed_limit", "feed_limit must be at least 1")
    if config.edition_order not in EDITION_ORDERS:
        bad("edition_order", f"edition_order must be one of {', '.join(EDITION_ORDERS)}")
    if config.feed_link not in FEED_LINKS:
        bad("feed_link", f"feed_link must be one of {', '.join(FEED_LINKS)}")
    if config.feed_content not in FEED_CONTENTS:
        bad("feed_content", f"feed_content must be one of {', '.join(FEED_CONTENTS)}")
    problem = permalink_problem(config.permalink)
    if problem:
        bad("permalink", problem)
    if not is_safe_slug(config.theme):
        bad("theme", f"theme must be a folder name, not {config.theme!r}")
    for key in ("title", "description", "base_url", "language"):
        value = getattr(config, key)
        at = control_character(value)
        if at is not None:
            bad(key, f"{key} contains the control character {code_point(value[at])}; remove it")
    return errors


def _missing_theme(config: SiteConfig, text: str) -> list[ConfigError]:
    """A theme named in site.toml that exists nowhere, reported at its line (theme.py imports this module)."""
    from site_builder.theme import available_themes, theme_dir
    if theme_dir(config.theme, config.root) is not None:
        return []
    message = f"theme '{config.theme}' not found (available: {', '.join(available_themes(config.root))})"
    return [ConfigError(message, CONFIG_FILE, key_line(text, "theme"))]


def permalink_problem(pattern: str) -> str | None:
    """Why a permalink pattern is unusable, or None."""
    names = re.findall(r"\{(\w*)\}", pattern)
    if "slug" not in names:
        return "permalink must contain {slug}"
    unknown = [n for n in names if n not in PERMALINK_FIELDS]
    if unknown:
        return f"permalink has unknown field {{{unknown[0]}}} (use {', '.join('{%s}' % f for f in PERMALINK_FIELDS)})"
    first = pattern.strip("/").split("/", 1)[0]
    if first in RESERVED_SEGMENTS:
        return f"permalink may not start with /{first}/: the site's own pages live there"
    literal = re.sub(r"\{\w*\}", "x", pattern)
    if not literal.startswith("/") or not literal.endswith("/") or ".." in literal or "//" in literal \
            or not re.fullmatch(r"[A-Za-z0-9/_.-]+", literal):
        return f"permalink must look like '/news/{{slug}}/' (start and end with '/', plain path characters), not {pattern!r}"
    return None


def with_overrides(config: SiteConfig, **changes: Any) -> SiteConfig:
    """A copy of config with some fields changed (used by serve and tests)."""
    known = {f.name for f in fields(SiteConfig)}
    return replace(config, **{k: v for k, v in changes.items() if k in known})
