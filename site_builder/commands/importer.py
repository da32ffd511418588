"""Import RSS, Atom, JSON Feed and news-API files as new (unpublished) items under content/."""

from __future__ import annotations

import html
import json
import logging
import math
import re
import warnings
import xml.sax
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import feedparser
import nh3

from site_builder.errors import ConfigError, SiteError
from site_builder.commands.intake import is_duplicate, load_known_content, write_entries
from site_builder.commands.scaffold import content_dir_of, domain_of, iso_utc
from site_builder.stages.schema import FIRST_YEAR, LAST_YEAR
from site_builder.urls import is_web_url

log = logging.getLogger(__name__)

EXCERPT_LIMIT = 500
JSON_FEED_PREFIX = "https://jsonfeed.org/version/"
STDIN = "-"
# expat's messages for a document that stops early: the rest of the file is missing, not just sloppy.
_TRUNCATION_MESSAGES = ("no element found", "unclosed token", "unclosed CDATA section", "partial character")
_BLOCK_TAG = re.compile(r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|blockquote|figure|figcaption|section"
                        r"|article|hr|pre|table|dt|dd)\b)", re.IGNORECASE)
_IMAGE_SUFFIX = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedFeed:
    """Entries of one feed file in the seed schema, plus a message per entry that could not be used."""

    entries: tuple[dict[str, Any], ...]
    failures: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    title: str = ""        # the feed's own title, "" if it has none


@dataclass(frozen=True)
class ImportResult:
    """What an import did: files created, entries skipped as duplicates or failed, files that were malformed."""

    created: tuple[Path, ...]
    skipped: int
    failures: tuple[str, ...]  # `feed.xml: entry 3 'Title': no http(s) link to the story`
    errors: tuple[SiteError, ...]
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> int:
        return len(self.failures)


class _EntryFailure(ValueError):
    """One feed entry cannot become an item; the rest of the file still can."""


# ---------------------------------------------------------------- parsing (pure)

def parse_feed(data: bytes, name: str) -> list[dict[str, Any]]:
    """Entries of an RSS 2.0, Atom, JSON Feed or news-API file as seed-schema dicts; SiteError if malformed."""
    return list(parse_feed_file(data, name).entries)


def parse_feed_file(data: bytes, name: str) -> ParsedFeed:
    """Like parse_feed, but also says which entries were dropped and why."""
    start = data[:64].decode(json.detect_encoding(data), errors="ignore").lstrip("\ufeff \t\r\n")
    if start[:1] in ("{", "["):
        return _parse_json(data, name)
    return _parse_xml(data, name)


def _parse_json(data: bytes, name: str) -> ParsedFeed:
    try:
        doc = json.loads(data)
    except UnicodeDecodeError as exc:
        raise SiteError(f"not valid {exc.encoding.upper()} (byte {exc.start})", name) from None
    except json.JSONDecodeError as exc:
        raise SiteError(f"not valid JSON: {exc.msg} (column {exc.colno})", name, exc.lineno) from None
    except ValueError:  # the one ValueError that is not a JSONDecodeError: Python's int-digits limit
        raise SiteError("not usable JSON: a number has more than 4,300 digits", name) from None
    except RecursionError:
        raise SiteError("not usable JSON: nested too deeply", name) from None
    if isinstance(doc, dict) and str(doc.get("version", "")).startswith(JSON_FEED_PREFIX):
        items = doc.get("items", [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise SiteError("JSON Feed 'items' must be a list of objects", name)
        feed_url = _first_web_url(doc.get("home_page_url"), doc.get("feed_url"))
        fallback = _provider(_clean(doc.get("title")), feed_url)
        parsed = _collect(items, name, lambda item: _json_feed_entry(item, fallback))
        return replace(parsed, title=_clean(doc.get("title")))
    if isinstance(doc, dict) and isinstance(doc.get("news"), list):
        items = doc["news"]
        if not all(isinstance(i, dict) for i in items):
            raise SiteError("every entry of the 'news' list must be an object", name)
        return _collect(items, name, _news_entry)
    raise SiteError('JSON is neither a JSON Feed ("version": "https://jsonfeed.org/version/1.1") '
                    'nor a news-API export (an object with a "news" list)', name)


def _parse_xml(data: bytes, name: str) -> ParsedFeed:
    with warnings.catch_warnings(record=True) as caught:
        # feedparser reports problems both as `bozo` and, in some versions, as Python warnings.
        warnings.simplefilter("always")
        doc = feedparser.parse(data)
    for warning in caught:
        log.debug("%s: feedparser: %s", name, warning.message)
    problem = doc.get("bozo_exception") if doc.get("bozo") else None
    line = problem.getLineNumber() if isinstance(problem, xml.sax.SAXParseException) else None
    if isinstance(problem, xml.sax.SAXParseException) and problem.getMessage() in _TRUNCATION_MESSAGES:
        raise SiteError(f"XML ends early ({problem.getMessage()}); the file looks truncated", name, line)
    if not doc.get("version") or (problem is not None and not doc.entries):
        reason = f" ({_bozo_reason(problem)})" if problem is not None else ""
        raise SiteError(f"not an RSS, Atom or JSON feed{reason}", name, line)
    feed = doc.feed
    fallback = _provider(_clean(feed.get("title")), _first_web_url(feed.get("link")))
    feed_date = _struct_date(_raw(feed, "updated_parsed") or _raw(feed, "published_parsed"))
    parsed = _collect(doc.entries, name, lambda entry: _xml_entry(entry, fallback, feed_date))
    if problem is not None:
        where = f"line {line}: " if line else ""
        note = f"{name}: tolerated a feed error ({where}{_bozo_reason(problem)}); check the imported items"
        parsed = ParsedFeed(parsed.entries, parsed.failures, parsed.warnings + (note,))
    return replace(parsed, title=_clean(feed.get("title")))


def _bozo_reason(problem: BaseException) -> str:
    if isinstance(problem, xml.sax.SAXParseException):
        return problem.getMessage()
    return str(problem) or type(problem).__name__


def _collect(items: list[Any], name: str, convert: Callable[[Any], dict[str, Any]]) -> ParsedFeed:
    entries: list[dict[str, Any]] = []
    failures: list[str] = []
    for number, item in enumerate(items, start=1):
        try:
            entries.append(convert(item))
        except _EntryFailure as exc:
            title = _clean(item.get("title")) if isinstance(item, dict) else ""
            label = f"entry {number}" + (f" {title!r}" if title else "")
            failures.append(f"{name}: {label}: {exc}")
    return ParsedFeed(tuple(entries), tuple(failures))


def _xml_entry(entry: Any, fallback: dict[str, str] | None, feed_date: datetime | None) -> dict[str, Any]:
    url = _first_web_url(entry.get("link"), entry.get("id"))
    published = _struct_date(_raw(entry, "published_parsed"))
    updated = _struct_date(_raw(entry, "updated_parsed"))
    source = entry.get("source") or {}
    provider = _provider(_clean(source.get("title")), _first_web_url(source.get("link"), source.get("href")))
    content = entry.get("content") or [{}]
    return _assemble(
        title=_clean(entry.get("title")),
        excerpt=_excerpt(entry.get("summary") or content[0].get("value")),
        published=published or updated or feed_date,
        updated=updated if published and updated and updated != published else None,
        original_url=url, web_url=url, provider=provider or fallback or _provider(None, url),
        topics=[tag.get("term") or tag.get("label") for tag in entry.get("tags") or []],
        images=_lead_image(entry),
    )


def _json_feed_entry(item: dict[str, Any], fallback: dict[str, str] | None) -> dict[str, Any]:
    original = _first_web_url(item.get("external_url"), item.get("url"))
    web = _first_web_url(item.get("url"), item.get("external_url"))
    image = _first_web_url(item.get("image"))
    text = item.get("summary") or item.get("content_html") or html.escape(str(item.get("content_text") or ""))
    published = _text_date(item.get("date_published"), "date_published")
    updated = _text_date(item.get("date_modified"), "date_modified")
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    return _assemble(
        title=_clean(item.get("title")), excerpt=_excerpt(text), published=published or updated,
        updated=updated if published and updated and updated != published else None,
        original_url=original, web_url=web, provider=fallback or _provider(None, web),
        topics=tags, images=[{"url": image}] if image else [],
    )


def _news_entry(item: dict[str, Any]) -> dict[str, Any]:
    web = _first_web_url(item.get("webUrl"), item.get("originalUrl"))
    given = item.get("provider") if isinstance(item.get("provider"), dict) else {}
    provider = _provider(_clean(given.get("name")), web, _clean(given.get("domain")))
    topics = item.get("topics") if isinstance(item.get("topics"), list) else []
    return _assemble(
        title=_clean(item.get("title")), excerpt=_excerpt(item.get("excerpt")),
        published=_text_date(item.get("publishedDateTime"), "publishedDateTime"),
        updated=_text_date(item.get("updatedDateTime"), "updatedDateTime"),
        original_url=_first_web_url(item.get("originalUrl"), web), web_url=web,
        provider=provider,
        topics=[t.get("name") if isinstance(t, dict) else t for t in topics],
        images=item.get("images") if isinstance(item.get("images"), list) else [],
        amp_url=_first_web_url(item.get("ampWebUrl")), cdn_amp_url=_first_web_url(item.get("cdnAmpWebUrl")),
        category=_clean(item.get("category")) or None,
        kind=_clean(item.get("type")) or "article",
        quality=_number(item.get("quality")), heat=_number(item.get("heat")),
        related=_related(item.get("related")),
    )


def _assemble(*, title: str, excerpt: str, published: datetime | None, updated: datetime | None,
              original_url: str | None, web_url: str | None, provider: dict[str, str] | None,
              topics: list[Any], images: list[Any], amp_url: str | None = None, cdn_amp_url: str | None = None,
              category: str | None = None, kind: str = "article", quality: float | None = None,
              heat: float | None = None, related: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One entry in seed-key order; optional keys appear only when known."""
    if not web_url or not original_url:
        raise _EntryFailure("no http(s) link to the story")
    if not title:
        raise _EntryFailure("no title")
    if published is None:
        raise _EntryFailure("no publication date")
    entry: dict[str, Any] = {
        "title": title, "excerpt": excerpt, "publishedDateTime": iso_utc(published),
        "updatedDateTime": iso_utc(updated) if updated else None,
        "originalUrl": original_url, "webUrl": web_url, "ampWebUrl": amp_url, "cdnAmpWebUrl": cdn_amp_url,
        "category": category, "type": kind, "quality": quality, "heat": heat, "published": False,
        "provider": provider, "topics": _topics(topics), "images": _images(images), "related": related or None,
    }
    return {key: value for key, value in entry.items() if value is not None}


def _related(value: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else []:
        url = _first_web_url(item.get("webUrl")) if isinstance(item, dict) else None
        title = _clean(item.get("title")) if url else ""
        if not url or not title:
            continue
        given = item.get("provider") if isinstance(item.get("provider"), dict) else {}
        try:
            date = _text_date(item.get("publishedDateTime"), "publishedDateTime")
        except _EntryFailure:
            date = None
        entry = {"title": title, "excerpt": _excerpt(item.get("excerpt")),
                 "publishedDateTime": iso_utc(date) if date else None, "webUrl": url,
                 "provider": _provider(_clean(given.get("name")), url, _clean(given.get("domain")))}
        out.append({k: v for k, v in entry.items() if v is not None})
    return out


def _lead_image(entry: Any) -> list[dict[str, Any]]:
    """The first image among media:content, media:thumbnail and image enclosures."""
    candidates: list[dict[str, Any]] = []
    for media in entry.get("media_content") or []:
        medium, kind, url = media.get("medium"), media.get("type"), media.get("url") or ""
        if medium == "image" or (kind or "").startswith("image/") or \
                (not medium and not kind and _IMAGE_SUFFIX.search(urlsplit(url).path)):
            candidates.append(media)
    candidates.extend(entry.get("media_thumbnail") or [])
    candidates.extend({"url": link.get("href")} for link in entry.get("links") or []
                      if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"))
    return _images(candidates)[:1]


def _images(values: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value in values:
        url = _first_web_url(value.get("url")) if isinstance(value, dict) else None
        if url:
            image: dict[str, Any] = {"url": url}
            for key in ("width", "height"):
                size = _whole(value.get(key))
                if size is not None:
                    image[key] = size
            out.append(image)
    return out


def _topics(values: list[Any]) -> list[str]:
    out: list[str] = []
    for value in values:
        topic = _clean(value)
        if topic and topic not in out:
            out.append(topic)
    return out


def _provider(name: str | None, url: str | None, domain: str | None = None) -> dict[str, str] | None:
    """{name, domain}; the domain comes from the given one or the URL's host, the name falls back to it."""
    host = domain_of(f"http://{domain}" if domain else url)
    if not name and not host:
        return None
    return {"name": name or host, "domain": host}


def plain_text(fragment: str) -> str:
    """HTML or text -> one line of plain text: tags and script/style content removed, entities decoded."""
    spaced = _BLOCK_TAG.sub(" <", fragment)
    return " ".join(html.unescape(nh3.clean(spaced, tags=set())).split())


def _clean(value: Any) -> str:
    return plain_text(value) if isinstance(value, str) else ""


def _excerpt(value: Any) -> str:
    text = _clean(value)
    if len(text) <= EXCERPT_LIMIT:
        return text
    return text[:EXCERPT_LIMIT].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _first_web_url(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and is_web_url(value.strip()):
            return value.strip()
    return None


# Scores and image sizes beyond these are nonsense in a feed; they would only make trouble downstream.
_LARGEST_NUMBER = 1e15
_LARGEST_SIZE = 1_000_000


def _number(value: Any) -> float | int | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return value if math.isfinite(value) and abs(value) <= _LARGEST_NUMBER else None  # NaN, Infinity


def _whole(value: Any) -> int | None:
    if isinstance(value, str):  # "640" yes; "²" or "٣" (isdigit, but not ASCII) no
        value = int(value.strip()) if value.strip().isascii() and value.strip().isdigit() \
            and len(value.strip()) <= 7 else None
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _LARGEST_SIZE \
        else None


def _raw(parsed: dict[str, Any], key: str) -> Any:
    """A key as feedparser stored it, bypassing its deprecated `updated` -> `published` fallback (it warns)."""
    return dict.get(parsed, key)


def _struct_date(value: Any) -> datetime | None:
    """feedparser's parsed dates are time.struct_time in UTC."""
    try:
        return _in_range(datetime(*value[:6], tzinfo=timezone.utc)) if value else None
    except (ValueError, TypeError, OverflowError):  # a date feedparser could not make sense of
        return None


def _text_date(value: Any, key: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        result = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise _EntryFailure(f"{key} {value!r} is not an ISO 8601 date") from None
    try:
        return _in_range(result if result.tzinfo else result.replace(tzinfo=timezone.utc))
    except (ValueError, OverflowError):
        raise _EntryFailure(f"{key} {value!r} is out of range (years {FIRST_YEAR} to {LAST_YEAR})") from None


def _in_range(moment: datetime) -> datetime:
    """The moment, if the site can show it (in UTC, as items are written); ValueError otherwise."""
    if not FIRST_YEAR <= moment.astimezone(timezone.utc).year <= LAST_YEAR:
        raise ValueError(moment.year)
    return moment


# ---------------------------------------------------------------- files

def import_files(root: Path, files: list[Path | str], publish: bool, stdin: bytes | None = None,
                 read_url: Callable[[str], bytes] | None = None) -> ImportResult:
    """Import each file (or http(s) URL, read with read_url) in turn; a malformed one is an error and
    nothing of it is written."""
    content_dir = content_dir_of(root)
    known = load_known_content(root)
    notes = known.problems
    created: list[Path] = []
    errors: list[SiteError] = []
    skipped = 0
    failures: list[str] = []
    for file in files:
        name = "<stdin>" if str(file) == STDIN else str(file)
        try:
            parsed = parse_feed_file(_read_input(file, stdin, read_url), name)
        except SiteError as exc:
            errors.append(exc)
            continue
        failures.extend(parsed.failures)
        notes.extend(parsed.warnings)
        fresh: list[dict[str, Any]] = []
        for entry in parsed.entries:
            if is_duplicate(entry, known):
                skipped += 1
                continue
            fresh.append({**entry, "published": publish})
        created.extend(write_entries(content_dir, fresh, known))
    return ImportResult(tuple(created), skipped, tuple(failures), tuple(errors), tuple(notes))


def _read_input(file: Path | str, stdin: bytes | None, read_url: Callable[[str], bytes] | None) -> bytes:
    if str(file) == STDIN:
        if stdin is None:
            raise ConfigError("'-' reads standard input, but none was given")
        return stdin
    if isinstance(file, str) and is_web_url(file):
        if read_url is None:
            raise ConfigError("reading a URL needs an HTTP client", file)
        return read_url(file)
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        raise SiteError(f"cannot read: {exc.strerror}", str(file)) from None
