"""The curator's subscriptions: read sources.toml, and move them in and out as OPML 2.0 reading lists."""

from __future__ import annotations

import difflib
import json
import logging
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from site_builder.errors import ConfigError, SiteError, raise_all
from site_builder.urls import is_web_url, normalize_url

log = logging.getLogger(__name__)

SOURCES_FILE = "sources.toml"
# Keys of one [[source]] table, with what each must hold.
_KEYS = {"url": "a string", "name": "a string", "topics": "a list of strings", "include": "a list of strings",
         "exclude": "a list of strings"}
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*\"?source\"?[ \t]*\]\][ \t]*(?:#.*)?$")


@dataclass(frozen=True)
class Subscription:
    """One [[source]] of sources.toml; `line` is where its table starts (for messages)."""

    url: str
    name: str = ""
    topics: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    line: int | None = None


def load_subscriptions(root: Path) -> list[Subscription]:
    """root/sources.toml as subscriptions; none if the file is absent; ConfigError(s) with path:line."""
    path = root / SOURCES_FILE
    if not path.is_file():
        return []
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                          SOURCES_FILE, data.count(b"\n", 0, exc.start) + 1) from None
    return parse_subscriptions(text)


def parse_subscriptions(text: str) -> list[Subscription]:
    """sources.toml text -> subscriptions; every problem is reported at once, each at its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"invalid TOML: {reason}", SOURCES_FILE, int(match.group(1)) if match else None) from None
    lines = text.split("\n")
    starts = [number for number, line in enumerate(lines, start=1) if _HEADER.match(line)]
    errors: list[ConfigError] = []
    for key in data:
        if key != "source":
            close = difflib.get_close_matches(key, ["source"], n=1)
            hint = " (did you mean '[[source]]'?)" if close else " (write each subscription as a [[source]] table)"
            errors.append(ConfigError(f"unknown key '{key}'{hint}", SOURCES_FILE, _key_line(lines, key, 1, None)))
    tables = data.get("source", [])
    if not isinstance(tables, list):
        errors.append(ConfigError("'source' must be a list of [[source]] tables", SOURCES_FILE,
                                  _key_line(lines, "source", 1, None)))
        tables = []
    subscriptions: list[Subscription] = []
    seen: dict[str, int | None] = {}
    for index, table in enumerate(tables):
        start = starts[index] if index < len(starts) else None
        end = starts[index + 1] if index + 1 < len(starts) else None
        found = _subscription(table, lines, start, end, errors)
        if found is None:
            continue
        key = normalize_url(found.url)
        if key in seen:
            errors.append(ConfigError(f"url {found.url} is already subscribed at line {seen[key]}",
                                      SOURCES_FILE, _key_line(lines, "url", start, end)))
            continue
        seen[key] = _key_line(lines, "url", start, end)
        subscriptions.append(found)
    raise_all(list(errors))
    return subscriptions


def _subscription(table: dict[str, Any], lines: list[str], start: int | None, end: int | None,
                  errors: list[ConfigError]) -> Subscription | None:
    before = len(errors)

    def bad(key: str, message: str) -> None:
        errors.append(ConfigError(message, SOURCES_FILE, _key_line(lines, key, start, end) or start))

    for key, value in table.items():
        if key not in _KEYS:
            close = difflib.get_close_matches(key, list(_KEYS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (valid keys: {', '.join(_KEYS)})"
            bad(key, f"unknown key '{key}'{hint}")
        elif _KEYS[key] == "a string" and not isinstance(value, str):
            bad(key, f"'{key}' must be a string, not {value!r}")
        elif _KEYS[key] != "a string" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            bad(key, f"'{key}' must be a list of strings, not {value!r}")
    url = table.get("url")
    if url is None:
        errors.append(ConfigError("[[source]] has no url", SOURCES_FILE, start))
    elif isinstance(url, str) and not is_web_url(url.strip()):
        bad("url", f"url must be an http or https URL, not {url!r}")
    if len(errors) > before:
        return None
    words = {key: tuple(w.strip() for w in table.get(key, []) if w.strip()) for key in ("topics", "include", "exclude")}
    return Subscription(url=url.strip(), name=" ".join(table.get("name", "").split()), line=start, **words)


def _key_line(lines: list[str], key: str, start: int | None, end: int | None) -> int | None:
    """The line of `key = ...` between a table's header and the next one (1-based)."""
    first = start or 1
    last = (end - 1) if end else len(lines)
    pattern = re.compile(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*=")
    for number in range(first, last + 1):
        if pattern.match(lines[number - 1]):
            return number
    return None


def matches(subscription: Subscription, title: str, excerpt: str) -> bool:
    """The include/exclude filter: whole words (or phrases), case-insensitive, in the title or excerpt."""
    text = f"{title}\n{excerpt}"

    def found(words: tuple[str, ...]) -> bool:
        return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) for word in words)

    if subscription.include and not found(subscription.include):
        return False
    return not found(subscription.exclude)


# ---------------------------------------------------------------- OPML

def parse_opml(data: bytes, name: str) -> list[Subscription]:
    """Every outline with an http(s) xmlUrl, nested ones included, in document order."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise SiteError(f"not valid OPML: {str(exc).split(':', 1)[0]}", name, line) from None
    if root.tag != "opml" or root.find("body") is None:
        raise SiteError("not an OPML file (no <opml> with a <body>)", name)
    found: list[Subscription] = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if is_web_url(url):
            title = outline.get("title") or outline.get("text") or ""
            found.append(Subscription(url=url, name=" ".join(title.split())))
    return found


def render_opml(subscriptions: list[Subscription], title: str) -> str:
    """An OPML 2.0 reading list of the subscriptions (rss outlines; name as text and title)."""
    rows = []
    for sub in subscriptions:
        label = sub.name or sub.url
        rows.append(f"    <outline type=\"rss\" text={quoteattr(label)} title={quoteattr(label)} "
                    f"xmlUrl={quoteattr(sub.url)}/>")
    body = "\n".join(rows)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n  <head>\n'
            f"    <title>{_text(title)}</title>\n  </head>\n  <body>\n{body}{chr(10) if rows else ''}"
            f"  </body>\n</opml>\n")


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def add_subscriptions(root: Path, new: list[Subscription]) -> tuple[list[Subscription], int]:
    """Append subscriptions not yet in sources.toml to it (the file's own text is kept as it is).

    Returns the ones added and how many were skipped as already listed.
    """
    existing = load_subscriptions(root)
    known = {normalize_url(s.url) for s in existing}
    added: list[Subscription] = []
    for sub in new:
        key = normalize_url(sub.url)
        if key not in known:
            known.add(key)
            added.append(sub)
    if added:
        path = root / SOURCES_FILE
        text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
        newline = "\r\n" if "\r\n" in text else "\n"
        tables = [newline.join(["[[source]]", f"url = {_toml_string(s.url)}"]
                               + ([f"name = {_toml_string(s.name)}"] if s.name else [])) for s in added]
        lead = "" if not text else (newline if text.endswith("\n") else newline * 2)
        addition = lead + (newline * 2).join(tables) + newline
        try:
            with path.open("a", encoding="utf-8", newline="") as handle:
                handle.write(addition)
        except OSError as exc:
            raise SiteError(f"cannot write: {exc.strerror}", SOURCES_FILE) from None
    return added, len(new) - len(added)


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes: \" \\ \n \uXXXX ...).
    return json.dumps(value, ensure_ascii=False)
