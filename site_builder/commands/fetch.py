"""Fetch every subscription over HTTP(S) with conditional requests, and write its new entries as unpublished items."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from site_builder import __version__
from site_builder.commands.fetch_state import FetchState, Validators
from site_builder.commands.importer import parse_feed_file
from site_builder.commands.intake import is_duplicate, load_known_content, write_entries
from site_builder.commands.scaffold import content_dir_of
from site_builder.commands.sources import Subscription, matches
from site_builder.errors import SiteError

log = logging.getLogger(__name__)

USER_AGENT = f"site-builder/{__version__} (news digest; fetch)"
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Limits:
    """How long and how much one source may take, and how many are fetched at once."""

    timeout: float = 20.0          # seconds for the whole response, connecting included
    max_bytes: int = 5_000_000     # of the body as decoded (a gzip bomb counts at its full size)
    parallel: int = 4


@dataclass(frozen=True)
class Download:
    """An HTTP answer we could read: 200 with its body, or 304 (body None)."""

    status: int
    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class SourceReport:
    """What fetching one subscription did; `line()` is what the curator reads."""

    subscription: Subscription
    outcome: str                      # "fetched", "unchanged" or "failed"
    detail: str = ""                  # why unchanged or failed
    title: str = ""                   # the feed's title, when it was parsed
    created: tuple[Path, ...] = ()
    duplicates: int = 0
    filtered: int = 0
    unusable: int = 0

    @property
    def label(self) -> str:
        name = self.subscription.name or self.title
        return f"{name} <{self.subscription.url}>" if name else self.subscription.url

    def line(self) -> str:
        if self.outcome == "failed":
            return f"{self.label}: failed: {self.detail}"
        if self.outcome == "unchanged":
            return f"{self.label}: unchanged ({self.detail})"
        text = (f"{self.label}: {len(self.created)} new, {self.duplicates} skipped as duplicates, "
                f"{self.filtered} filtered out")
        return text + (f", {self.unusable} unusable" if self.unusable else "")


@dataclass(frozen=True)
class FetchResult:
    reports: tuple[SourceReport, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> int:
        return sum(1 for r in self.reports if r.outcome == "failed")

    def summary(self) -> str:
        new = sum(len(r.created) for r in self.reports)
        dups = sum(r.duplicates for r in self.reports)
        filtered = sum(r.filtered for r in self.reports)
        return (f"{len(self.reports)} sources: {new} new, {dups} skipped as duplicates, "
                f"{filtered} filtered out, {self.failed} failed")


# ---------------------------------------------------------------- HTTP

def http_client(limits: Limits) -> httpx.Client:
    """One client for every request of a run: redirects followed (up to MAX_REDIRECTS), gzip accepted."""
    return httpx.Client(timeout=httpx.Timeout(limits.timeout), follow_redirects=True, max_redirects=MAX_REDIRECTS,
                        headers={"User-Agent": USER_AGENT})


def download(client: httpx.Client, url: str, known: Validators, limits: Limits) -> Download:
    """GET url, conditional on what the last fetch saw; SiteError(reason, url) for anything unusable."""
    headers = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    deadline = time.monotonic() + limits.timeout
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Download(304, None, known.etag, known.last_modified)
            if response.status_code >= 400 or response.status_code != 200:
                raise SiteError(f"HTTP {response.status_code} {response.reason_phrase}".rstrip(), url)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limits.max_bytes:
                raise SiteError(_too_big(limits), url)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limits.max_bytes:
                    raise SiteError(_too_big(limits), url)
                if time.monotonic() > deadline:  # a server dribbling bytes never trips the read timeout
                    raise SiteError(f"timed out after {limits.timeout:g} s", url)
                chunks.append(chunk)
            return Download(200, b"".join(chunks), response.headers.get("ETag"),
                            response.headers.get("Last-Modified"))
    except httpx.TimeoutException:
        raise SiteError(f"timed out after {limits.timeout:g} s", url) from None
    except httpx.TooManyRedirects:
        raise SiteError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)", url) from None
    except httpx.ConnectError as exc:
        raise SiteError(f"cannot connect ({_os_reason(exc)})", url) from None
    except httpx.DecodingError as exc:
        raise SiteError(f"cannot decode the response ({exc})", url) from None
    except httpx.HTTPError as exc:
        raise SiteError(f"{type(exc).__name__}: {_os_reason(exc)}", url) from None


def _too_big(limits: Limits) -> str:
    return f"response larger than {limits.max_bytes:,} bytes; not read"


def _os_reason(exc: Exception) -> str:
    """'[Errno 111] Connection refused' -> 'Connection refused'."""
    text = str(exc) or type(exc).__name__
    match = re.search(r"\[Errno -?\d+\] (.+)", text)
    return match.group(1) if match else text


def read_url(url: str, limits: Limits | None = None) -> bytes:
    """The body of one URL, unconditionally (for `import URL`)."""
    limits = limits or Limits()
    with http_client(limits) as client:
        body = download(client, url, Validators(), limits).body
    return body or b""


# ---------------------------------------------------------------- fetching subscriptions

def fetch_sources(root: Path, subscriptions: list[Subscription], limits: Limits | None = None) -> FetchResult:
    """Fetch all subscriptions (several at once), then handle their answers in sources.toml order, so
    which story counts as the duplicate never depends on which server answered first."""
    limits = limits or Limits()
    content_dir = content_dir_of(root)
    state = FetchState(root)
    try:
        known_validators = {s.url: state.get(s.url) for s in subscriptions}
        workers = max(1, min(limits.parallel, len(subscriptions)))
        with http_client(limits) as client, ThreadPoolExecutor(workers) as pool:
            answers = list(pool.map(lambda s: _try_download(client, s.url, known_validators[s.url], limits),
                                    subscriptions))
        known = load_known_content(root)
        warnings = list(state.warnings) + known.problems
        reports = []
        for sub, answer in zip(subscriptions, answers):
            report, validators, notes = _handle(sub, answer, known_validators[sub.url], known, content_dir)
            warnings += notes
            if validators is not None:
                state.put(sub.url, validators)
            reports.append(report)
    finally:
        state.close()
    return FetchResult(tuple(reports), tuple(warnings))


def _try_download(client: httpx.Client, url: str, known: Validators, limits: Limits) -> Download | SiteError:
    try:
        return download(client, url, known, limits)
    except SiteError as exc:
        return exc


def _handle(sub: Subscription, answer: Download | SiteError, before: Validators, known: Any,
            content_dir: Path) -> tuple[SourceReport, Validators | None, list[str]]:
    """One source's answer -> its report, the state to keep (None: keep the old) and warnings."""
    if isinstance(answer, SiteError):
        return SourceReport(sub, "failed", answer.message), None, []
    if answer.status == 304:
        return SourceReport(sub, "unchanged", "304 Not Modified", before.title), None, []
    assert answer.body is not None
    digest = hashlib.sha256(answer.body).hexdigest()
    if digest == before.digest:
        validators = Validators(answer.etag, answer.last_modified, digest, before.title)
        return SourceReport(sub, "unchanged", "same content as last time", before.title), validators, []
    try:
        parsed = parse_feed_file(answer.body, sub.url)
    except SiteError as exc:
        # Nothing is written and the old state is kept, so the next fetch tries it in full again.
        line = f"line {exc.line}: " if exc.line else ""
        return SourceReport(sub, "failed", f"{line}{exc.message}"), None, []
    fresh: list[dict[str, Any]] = []
    duplicates = filtered = 0
    for entry in parsed.entries:
        if not matches(sub, entry["title"], entry.get("excerpt", "")):
            filtered += 1
            continue
        if is_duplicate(entry, known):
            duplicates += 1
            continue
        topics = list(entry.get("topics", []))
        topics += [t for t in sub.topics if t not in topics]
        fresh.append({**entry, "published": False, "topics": topics})
    created = write_entries(content_dir, fresh, known)
    validators = Validators(answer.etag, answer.last_modified, digest, parsed.title)
    report = SourceReport(sub, "fetched", title=parsed.title, created=tuple(created), duplicates=duplicates,
                          filtered=filtered, unusable=len(parsed.failures))
    return report, validators, list(parsed.failures + parsed.warnings)
