"""URL helpers: normalise source URLs for duplicate detection, check schemes, join site paths onto base_url."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# First path segments the site's own pages use; an item URL may not start with one of them.
RESERVED_SEGMENTS = frozenset({"topics", "sources", "archive", "page", "static", "feed.xml", "atom.xml",
                               "sitemap.xml", "robots.txt", "404.html", "favicon.svg", "favicon.ico",
                               "feed.json", "candidates", "search", "pagefind"})

_TRACKING_PREFIXES = ("utm_",)
_TRACKING_KEYS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid",
    "_ga", "_hsenc", "_hsmi", "ref", "ref_src", "cmpid", "ocid", "smid", "ito", "at_medium", "at_campaign",
})


def normalize_url(url: str) -> str:
    """The form two source URLs share when they point at the same story.

    Drops the scheme difference (http/https), host case and `www.`, default ports, the fragment,
    a trailing slash and tracking parameters (utm_*, fbclid, ...); sorts the remaining query.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # not a URL urlsplit can read: only equal to itself
        return url.strip()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") or ""
    if not parts.query:
        return urlunsplit(("", host, path, "", "")).lstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_KEYS]
    return urlunsplit(("", host, path, urlencode(sorted(query)), "")).lstrip("/")


# The common shape, `http(s)://host/...` in plain ASCII without a port, which urlsplit would accept:
# checked without it.
_PLAIN_WEB_URL = re.compile(r"https?://[^/?#\s\[\]:@]+(?:[/?#]\S*)?", re.IGNORECASE)


def is_web_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host, and a port from 0 to 65535 if it has one."""
    if url.isascii() and _PLAIN_WEB_URL.fullmatch(url):
        return True
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- reading it checks it: ValueError for 99999 or 'x'
    except ValueError:  # also an unclosed '[' (http://[::1/story)
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def absolute(base_url: str, path: str) -> str:
    """Join a site path ('/news/x/' or 'news/x/') onto base_url, keeping base_url's sub-path."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return base + path.lstrip("/")
