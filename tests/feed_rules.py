"""The project's own RSS 2.0, Atom (RFC 4287) and JSON Feed 1.1 rule check: what a feed reader away from our site needs.

feedparser forgives almost anything; these rules do not. Each function returns a list of problems,
one readable sentence each, and an empty list for a good feed.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"

_A = f"{{{ATOM}}}"
_M = f"{{{MEDIA}}}"

# RFC 822 (with RFC 1123's four-digit years), as RSS 2.0 asks: "Wed, 01 May 2024 09:00:00 +0000".
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{2,4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])")
# RFC 3339 date-time: a full date, a full time and an explicit offset.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_URL_ATTRS = {"href", "src", "poster", "cite", "action", "background", "longdesc", "data"}


def rss_problems(xml_bytes: bytes) -> list[str]:
    """Problems of an RSS 2.0 document, [] when it follows every rule."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    problems: list[str] = []
    if root.tag != "rss":
        return [f"root element is <{root.tag}>, not <rss>"]
    if root.get("version") != "2.0":
        problems.append(f"rss version is {root.get('version')!r}, not '2.0'")
    channels = root.findall("channel")
    if len(channels) != 1:
        return problems + [f"rss has {len(channels)} <channel> elements, not exactly one"]
    channel = channels[0]
    for name in ("title", "link", "description"):
        if not _text(channel.find(name)):
            problems.append(f"channel has no <{name}>")
    link = _text(channel.find("link"))
    if link and not _is_web_url(link):
        problems.append(f"channel <link> {link!r} is not an absolute http(s) URL")
    selfs = [e for e in channel.findall(f"{_A}link") if e.get("rel") == "self"]
    if not selfs:
        problems.append("channel has no <atom:link rel=\"self\">")
    for e in selfs:
        if not _is_web_url(e.get("href", "")):
            problems.append(f"atom:link rel=self href {e.get('href')!r} is not an absolute http(s) URL")
    for name in ("lastBuildDate", "pubDate"):
        value = _text(channel.find(name))
        if channel.find(name) is not None and not _rfc822_ok(value):
            problems.append(f"channel <{name}> {value!r} is not an RFC 822 date with a timezone")
    problems += _media_problems(channel, "channel")
    seen: dict[str, int] = {}
    for n, item in enumerate(channel.findall("item"), start=1):
        where = f"item {n}"
        if not _text(item.find("title")) and not _text(item.find("description")):
            problems.append(f"{where} has neither <title> nor <description>")
        link = _text(item.find("link"))
        if not link:
            problems.append(f"{where} has no <link>")
        elif not _is_web_url(link):
            problems.append(f"{where} <link> {link!r} is not an absolute http(s) URL")
        guid_el = item.find("guid")
        guid = _text(guid_el)
        if not guid:
            problems.append(f"{where} has no <guid>")
        else:
            if guid in seen:
                problems.append(f"{where} repeats the guid {guid!r} of item {seen[guid]}")
            seen.setdefault(guid, n)
            permalink = (guid_el.get("isPermaLink") or "true").lower()
            if permalink not in ("true", "false"):
                problems.append(f"{where} guid isPermaLink is {permalink!r}, not true or false")
            elif permalink == "true" and not _is_web_url(guid):
                problems.append(f"{where} guid {guid!r} is a permalink but not an absolute http(s) URL")
        pub = _text(item.find("pubDate"))
        if not pub:
            problems.append(f"{where} has no <pubDate>")
        elif not _rfc822_ok(pub):
            problems.append(f"{where} <pubDate> {pub!r} is not an RFC 822 date with a timezone")
        for cat in item.findall("category"):
            if not _text(cat):
                problems.append(f"{where} has an empty <category>")
        for enc in item.findall("enclosure"):
            url = enc.get("url", "")
            if not _is_web_url(url):
                problems.append(f"{where} enclosure url {url!r} is not an absolute http(s) URL")
            if not (enc.get("length") or "").isdigit():
                problems.append(f"{where} enclosure has no numeric length")
            if not enc.get("type"):
                problems.append(f"{where} enclosure has no type")
        problems += _media_problems(item, where)
        for name, el in (("description", item.find("description")),
                         ("content:encoded", item.find(f"{{{CONTENT}}}encoded"))):
            if el is not None and el.text:
                problems += [f"{where} <{name}> has a relative URL {u!r}" for u in _relative_urls(el.text)]
    return problems


def atom_problems(xml_bytes: bytes) -> list[str]:
    """Problems of an Atom (RFC 4287) feed document, [] when it follows every rule."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != f"{_A}feed":
        return [f"root element is {root.tag!r}, not an Atom <feed>"]
    problems: list[str] = []
    feed_id = _text(root.find(f"{_A}id"))
    if not feed_id:
        problems.append("feed has no <id>")
    elif not _is_iri(feed_id):
        problems.append(f"feed <id> {feed_id!r} is not an absolute IRI")
    if not _text(root.find(f"{_A}title")):
        problems.append("feed has no <title>")
    problems += _date_problems(root, "updated", "feed", required=True)
    feed_author = _authors_ok(root, "feed", problems)
    problems += _link_problems(root, "feed")
    if not any(e.get("rel") == "self" for e in root.findall(f"{_A}link")):
        problems.append("feed has no <link rel=\"self\">")
    seen: dict[str, int] = {}
    for n, entry in enumerate(root.findall(f"{_A}entry"), start=1):
        where = f"entry {n}"
        entry_id = _text(entry.find(f"{_A}id"))
        if not entry_id:
            problems.append(f"{where} has no <id>")
        else:
            if not _is_iri(entry_id):
                problems.append(f"{where} <id> {entry_id!r} is not an absolute IRI or urn:")
            if entry_id in seen:
                problems.append(f"{where} repeats the id {entry_id!r} of entry {seen[entry_id]}")
            seen.setdefault(entry_id, n)
        if not _text(entry.find(f"{_A}title")):
            problems.append(f"{where} has no <title>")
        problems += _date_problems(entry, "updated", where, required=True)
        problems += _date_problems(entry, "published", where, required=False)
        if not _authors_ok(entry, where, problems) and not feed_author:
            problems.append(f"{where} has no <author> and neither has the feed")
        problems += _link_problems(entry, where)
        alternates = [e for e in entry.findall(f"{_A}link") if e.get("rel", "alternate") == "alternate"]
        content = entry.find(f"{_A}content")
        if not alternates and content is None:
            problems.append(f"{where} has neither <link rel=\"alternate\"> nor <content>")
        for cat in entry.findall(f"{_A}category"):
            if not (cat.get("term") or "").strip():
                problems.append(f"{where} has a <category> without a term")
        for name in ("content", "summary"):
            el = entry.find(f"{_A}{name}")
            if el is None:
                continue
            kind = el.get("type", "text")
            if kind not in ("text", "html", "xhtml") and not (name == "content" and "/" in kind):
                problems.append(f"{where} <{name}> type {kind!r} is not text, html or xhtml")
            if kind == "html" and el.text:
                problems += [f"{where} <{name}> has a relative URL {u!r}" for u in _relative_urls(el.text)]
            if kind == "xhtml":
                for sub in el.iter():
                    problems += [f"{where} <{name}> has a relative URL {v!r}" for k, v in sub.attrib.items()
                                 if k in _URL_ATTRS and not _is_absolute(v)]
        problems += _media_problems(entry, where)
    return problems


JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def json_feed_problems(data: bytes, feed_url: str | None = None) -> list[str]:
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): the required fields, their types, absolute
    URLs, unique ids, a content_html or content_text per item, RFC 3339 dates."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"not UTF-8 JSON: {exc}"]
    if not isinstance(doc, dict):
        return ["the top level is not an object"]
    problems = []
    if doc.get("version") != JSON_FEED_VERSION:
        problems.append(f"version is {doc.get('version')!r}, not {JSON_FEED_VERSION!r}")
    if not isinstance(doc.get("title"), str) or not doc["title"].strip():
        problems.append("no title")
    for key in ("home_page_url", "feed_url", "icon", "favicon", "next_url"):
        if key in doc and not (isinstance(doc[key], str) and _is_web_url(doc[key])):
            problems.append(f"{key} {doc[key]!r} is not an absolute http(s) URL")
    for key in ("home_page_url", "feed_url"):
        if key not in doc:
            problems.append(f"no {key} (recommended, and every feed of ours has one)")
    if feed_url is not None and doc.get("feed_url") != feed_url:
        problems.append(f"feed_url {doc.get('feed_url')!r} is not where the feed lives ({feed_url})")
    problems += _json_authors(doc, "feed")
    items = doc.get("items")
    if not isinstance(items, list):
        return problems + ["items is not a list"]
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        where = f"item {number}"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            problems.append(f"{where} has no id string")
        elif ident in seen:
            problems.append(f"{where} repeats the id {ident!r}")
        else:
            seen.add(ident)
        for key in ("url", "external_url", "image", "banner_image"):
            if key in item and not (isinstance(item[key], str) and _is_web_url(item[key])):
                problems.append(f"{where} {key} {item[key]!r} is not an absolute http(s) URL")
        if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
            problems.append(f"{where} has neither content_html nor content_text")
        for key in ("title", "summary", "content_html", "content_text", "language"):
            if key in item and not isinstance(item[key], str):
                problems.append(f"{where} {key} is not a string")
        for key in ("date_published", "date_modified"):
            if key in item and not (isinstance(item[key], str) and _rfc3339_ok(item[key])):
                problems.append(f"{where} {key} {item[key]!r} is not an RFC 3339 date-time")
        tags = item.get("tags", [])
        if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            problems.append(f"{where} tags is not a list of strings")
        problems += _json_authors(item, where)
        html_text = item.get("content_html")
        if isinstance(html_text, str):
            problems += [f"{where} content_html has a relative URL {u!r}" for u in _relative_urls(html_text)]
    return problems


def _json_authors(parent: dict, where: str) -> list[str]:
    if "author" in parent:
        return [f"{where} uses 'author' (JSON Feed 1.0); 1.1 has 'authors'"]
    authors = parent.get("authors", [])
    if not isinstance(authors, list) or not all(isinstance(a, dict) and any(k in a for k in ("name", "url", "avatar"))
                                                for a in authors):
        return [f"{where} authors must be objects with a name, url or avatar"]
    return []


def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url == url.strip()


def _is_absolute(url: str) -> bool:
    """Absolute: a scheme, and a host too for the web schemes ('mailto:' needs none)."""
    url = url.strip()
    if not _SCHEME.match(url):
        return False
    return _is_web_url(url) if urlsplit(url).scheme in ("http", "https") else True


def _is_iri(value: str) -> bool:
    return bool(_SCHEME.match(value)) and " " not in value and (
        value.startswith(("urn:", "tag:")) or _is_absolute(value))


def _rfc822_ok(value: str) -> bool:
    if not _RFC822.fullmatch(value):
        return False
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return parsed.tzinfo is not None


def _rfc3339_ok(value: str) -> bool:
    if not _RFC3339.fullmatch(value):
        return False
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def _date_problems(parent: ET.Element, name: str, where: str, required: bool) -> list[str]:
    el = parent.find(f"{_A}{name}")
    if el is None:
        return [f"{where} has no <{name}>"] if required else []
    value = _text(el)
    return [] if _rfc3339_ok(value) else [f"{where} <{name}> {value!r} is not an RFC 3339 date-time with an offset"]


def _authors_ok(parent: ET.Element, where: str, problems: list[str]) -> bool:
    authors = parent.findall(f"{_A}author")
    for author in authors:
        if not _text(author.find(f"{_A}name")):
            problems.append(f"{where} has an <author> without a <name>")
    return bool(authors)


def _link_problems(parent: ET.Element, where: str) -> list[str]:
    problems = []
    for link in parent.findall(f"{_A}link"):
        href = link.get("href", "")
        if not _is_absolute(href):
            problems.append(f"{where} <link rel={link.get('rel', 'alternate')!r}> href {href!r} is not absolute")
    return problems


def _media_problems(parent: ET.Element, where: str) -> list[str]:
    """media:content and media:thumbnail of this element itself, directly or inside a media:group."""
    found = [el for path in ("", f"{_M}group/") for name in ("content", "thumbnail")
             for el in parent.findall(f"{path}{_M}{name}")]
    return [f"{where} media:{el.tag.split('}')[1]} url {el.get('url')!r} is not an absolute http(s) URL"
            for el in found if not _is_web_url(el.get("url", ""))]


class _UrlCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _URL_ATTRS:
                self.urls.append(value or "")
            elif name == "srcset" and value:
                self.urls += [c.strip().split()[0] for c in value.split(",") if c.strip()]

    handle_startendtag = handle_starttag


def _relative_urls(html_text: str) -> list[str]:
    """Every href/src (and friends) in an HTML fragment that a reader elsewhere could not follow."""
    collector = _UrlCollector()
    collector.feed(html_text)
    collector.close()
    return [u for u in collector.urls if not _is_absolute(u)]
