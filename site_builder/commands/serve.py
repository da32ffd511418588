"""Preview a site over HTTP from memory: build it, serve the bytes, rebuild on changes and reload the browsers."""

from __future__ import annotations

import errno
import functools
import logging
import mimetypes
import re
import socket
import socketserver
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping
from urllib.parse import unquote, urlsplit

from site_builder import __version__
from site_builder.incremental.store import Memory
from site_builder.commands.overlay import error_overlay
from site_builder.config import load_config
from site_builder.errors import ConfigError, SiteError
from site_builder.commands.watch import (WATCHED_DIRS, BuildOutcome, Configure, LiveSite, RebuildLoop, Snapshot, Watcher,
                                build_preview)

log = logging.getLogger(__name__)

EVENTS_PATH = "/_site-builder/events"
PING_SECONDS = 15.0

Report = Callable[..., None]  # report(text, error=False): how serve talks to the user (cli.py prints)
Warn = Callable[[list[str]], None]  # shows a build's warnings (cli.print_warnings)

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".json": "application/json", ".map": "application/json",
    ".webmanifest": "application/manifest+json", ".xml": "application/xml", ".xsl": "application/xslt+xml",
    ".svg": "image/svg+xml", ".ico": "image/x-icon", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
    ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".otf": "font/otf",
    ".pdf": "application/pdf", ".mp4": "video/mp4", ".webm": "video/webm", ".mp3": "audio/mpeg",
}
# Escaped path separators and NUL have no business in a site path; refuse rather than decode them.
_FORBIDDEN_ESCAPES = re.compile(r"%(2f|5c|00)", re.IGNORECASE)


# ------------------------------------------------------------------ requests (pure)

@dataclass(frozen=True)
class Answer:
    """How to answer a request: a file of the site, a redirect, or an error status."""

    status: int
    rel_path: str | None = None    # the file to send (the site's 404.html for a 404, when it has one)
    location: str | None = None    # for redirects
    quiet: bool = False            # a 404 browsers ask for on their own (/favicon.ico): no page, no noise


def resolve(target: str, files: Mapping[str, bytes], base_path: str = "/") -> Answer:
    """Map a request target to a file of the site; only keys of `files` can ever be answered.

    `/dir` redirects to `/dir/`, which serves `dir/index.html`. A site whose base_url has a sub-path
    ('/digest/') is served at `/` and under that sub-path too, where its 404 page's links point.
    """
    if not target.startswith("/"):
        parts = urlsplit(target)  # absolute-form, as sent to proxies
        if parts.scheme not in ("http", "https"):
            return Answer(400)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    raw_path, _, query = target.partition("?")
    if _FORBIDDEN_ESCAPES.search(raw_path):
        return Answer(400)
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return Answer(400)
    if "\\" in path or "\0" in path or any(part in (".", "..") for part in path.split("/")):
        return Answer(400)
    suffix = f"?{query}" if query else ""
    if base_path != "/" and path + "/" == base_path:
        return Answer(301, location=raw_path + "/" + suffix)
    candidates = [path]
    if base_path != "/" and path.startswith(base_path):
        candidates.append(path[len(base_path) - 1:])
    for candidate in candidates:
        rel = candidate[1:]
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        if rel in files:
            return Answer(200, rel)
        if not candidate.endswith("/") and f"{rel}/index.html" in files:
            return Answer(301, location=raw_path + "/" + suffix)
    if path == "/favicon.ico":
        return Answer(404, quiet=True)
    return Answer(404, "404.html" if "404.html" in files else None)


def content_type(rel_path: str, data: bytes = b"") -> str:
    """The Content-Type of a site file; feeds are told apart from other XML by their root element."""
    suffix = PurePosixPath(rel_path).suffix.lower()
    if suffix == ".xml":
        head = data[:2048]
        if re.search(rb"<rss[\s>]", head):
            return "application/rss+xml"
        if re.search(rb"<feed[\s>]", head):
            return "application/atom+xml"
    if PurePosixPath(rel_path).name == "feed.json":
        return "application/feed+json"
    known = _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(rel_path)[0]
    return known or "application/octet-stream"


def decorate(page: bytes, snapshot: Snapshot, live_reload: bool) -> bytes:
    """An HTML page as serve sends it: the error overlay (while the build is broken) and the reload script
    inserted before `</body>`. Only serve does this; files written by `build` never carry either."""
    added = (error_overlay(snapshot.errors, snapshot.has_site, live_reload) if snapshot.errors else "")
    added += reload_script(snapshot.generation) if live_reload else ""
    at = page.lower().rfind(b"</body>")
    at = len(page) if at < 0 else at
    return page[:at] + added.encode("utf-8") + page[at:]


def reload_script(generation: int) -> str:
    # `since` makes a change that lands between this page being served and its stream opening still reload it.
    return (
        "\n<script data-site-builder-reload>\n(function () {\n"
        "  if (!window.EventSource) return;\n"
        f'  var events = new EventSource("{EVENTS_PATH}?since={generation}");\n'
        '  events.addEventListener("open", function () { window.__siteBuilderConnected = true; });\n'
        '  events.addEventListener("error", function () { window.__siteBuilderConnected = false; });\n'
        '  events.addEventListener("reload", function () { events.close(); window.location.reload(); });\n'
        '  window.addEventListener("pagehide", function () { events.close(); });\n'
        "})();\n</script>\n"
    )


def error_page() -> bytes:
    """What every path shows when the site has never built: the overlay says why."""
    return (b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            b"<title>Build failed \xc2\xb7 site-builder</title>\n</head>\n<body>\n<main>\n"
            b"<h1>The site could not be built</h1>\n<p>The errors are listed below and in the terminal.</p>\n"
            b"</main>\n</body>\n</html>\n")


# ------------------------------------------------------------------ HTTP

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # An open page's event stream, or a browser's idle pre-connection, must not hold up Ctrl-C.
    block_on_close = False

    def __init__(self, address: tuple[str, int], live: LiveSite, live_reload: bool) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.live = live
        self.live_reload = live_reload
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's full name, which can stall on a slow resolver.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            log.debug("client %s went away: %s", client_address, exc)
        else:
            log.error("error while answering %s: %s", client_address, exc, exc_info=log.isEnabledFor(logging.DEBUG))


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = f"site-builder/{__version__}"
    # A connection that never sends its request (browsers open spare ones) is dropped after this.
    timeout = 30

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)

    def _answer(self, send_body: bool) -> None:
        snapshot = self.server.live.current()
        path, _, query = self.path.partition("?")
        if path == EVENTS_PATH and self.server.live_reload:
            self._stream_events(_since(query), send_body)
            return
        if not snapshot.has_site:
            self._send(503, decorate(error_page(), snapshot, self.server.live_reload), "text/html; charset=utf-8",
                       send_body)
            return
        answer = resolve(self.path, snapshot.files, snapshot.base_path)
        if answer.location is not None:
            self._send(answer.status, b"", "text/plain; charset=utf-8", send_body, [("Location", answer.location)])
        elif answer.rel_path is None:
            message = b"" if answer.quiet else f"{answer.status} {self.responses[answer.status][0]}\n".encode()
            self._send(answer.status, message, "text/plain; charset=utf-8", send_body)
        else:
            data = snapshot.files[answer.rel_path]
            kind = content_type(answer.rel_path, data)
            if kind.startswith("text/html"):
                data = decorate(data, snapshot, self.server.live_reload)
            self._send(answer.status, data, kind, send_body)

    def _send(self, status: int, body: bytes, kind: str, send_body: bool,
              headers: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # HTML and redirects must never be cached in a preview; other files are checked again on every use.
        never = kind.startswith("text/html") or status != 200
        self.send_header("Cache-Control", "no-store" if never else "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers or []:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _stream_events(self, since: int | None, send_body: bool) -> None:
        """Server-sent events: `reload` after every finished rebuild, a comment every PING_SECONDS."""
        live = self.server.live
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        if not send_body:
            return
        generation = live.current().generation if since is None else since
        try:
            self.wfile.write(b"retry: 1000\n: connected\n\n")
            while True:
                current = live.wait_for_change(generation, PING_SECONDS)
                if current is None:
                    return
                if current == generation:
                    self.wfile.write(b": ping\n\n")
                else:
                    generation = current
                    self.wfile.write(f"event: reload\ndata: {current}\n\n".encode())
        except OSError as exc:  # the page was closed or reloaded
            log.debug("event stream to %s ended: %s", self.address_string(), exc)


def _since(query: str) -> int | None:
    match = re.search(r"(?:^|&)since=(\d{1,12})(?:&|$)", query)
    return int(match.group(1)) if match else None


def _bind(host: str, port: int, live: LiveSite, live_reload: bool) -> _Server:
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535, not {port}")
    try:
        return _Server((host, port), live, live_reload)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise SiteError(f"cannot serve on {host}:{port}: the port is already in use "
                            f"(stop the other server or choose another with --port)") from None
        reason = exc.strerror or str(exc)
        raise SiteError(f"cannot serve on {host}:{port}: {reason}") from None


# ------------------------------------------------------------------ the preview

def _log_report(text: str, error: bool = False) -> None:
    log.log(logging.WARNING if error else logging.INFO, "%s", text)


def _log_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        log.warning("%s", warning)


class PreviewServer:
    """One site's preview: the HTTP server and, with `watch`, the watcher and rebuild loop.

    Binds on creation (raising SiteError if it cannot); `start()` builds once and starts watching;
    `serve_forever()` answers requests until `shutdown()` (from another thread) or Ctrl-C; `close()` stops all.
    """

    def __init__(self, root: Path, configure: Configure | None = None, *, host: str = "127.0.0.1",
                 port: int = 8000, watch: bool = False, report: Report = _log_report,
                 warn: Warn = _log_warnings) -> None:
        self.root = root.resolve()
        self._configure = configure or functools.partial(load_config, self.root)
        self._report = report
        self._warn = warn
        self.live = LiveSite()
        self._loop = RebuildLoop(self.rebuild)  # every build runs on its thread, the first one too
        self._watcher = Watcher(self.root, self._loop.changed) if watch else None
        self._last_warnings: tuple[str, ...] = ()
        self._cache = Memory()  # kept in memory between rebuilds, so an edit re-renders only what it changes
        self._building = threading.Lock()  # one rebuild at a time, whoever asks for it
        self._httpd = _bind(host, port, self.live, watch)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}/"

    def start(self) -> None:
        """Start watching (if asked), then build once; returns when the first build is being served."""
        if self._watcher is not None:
            try:
                self._watcher.start()  # before the first build, so edits made during it are not lost
            except OSError as exc:
                raise SiteError(f"cannot watch {self.root} for changes: {exc}") from None
        self._loop.start()
        self._loop.changed()
        while self.live.wait_for_change(0, timeout=0.5) == 0:
            pass

    def rebuild(self) -> Snapshot:
        """Build, swap the result in, tell the user; the browsers reload only after the swap."""
        with self._building:
            before = self.live.current()
            outcome = build_preview(self._configure, self._cache)
            self._cache = outcome.memory
            try:  # told first, so "built" comes before "Serving at"; published whatever the telling does
                self._tell(outcome, before.generation == 0, outcome.files is not None or before.has_site)
            finally:
                snapshot = self.live.publish(outcome)
            return snapshot

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        """Make serve_forever() return; call from another thread."""
        self._httpd.shutdown()

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        self._loop.stop()
        self.live.close()
        self._httpd.server_close()

    def __enter__(self) -> PreviewServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _tell(self, outcome: BuildOutcome, first: bool, has_site: bool) -> None:
        if outcome.files is None:
            keeping = "serving the last good site" if has_site else "serving an error page until it is fixed"
            self._report(f"build failed ({keeping}):\n" + "\n".join(outcome.errors), error=True)
            return
        if outcome.warnings != self._last_warnings:  # not the same list again after every edit
            self._warn(list(outcome.warnings))
            self._last_warnings = outcome.warnings
        self._report(("built: " if first else "rebuilt: ") + outcome.summary)


def serve(root: Path, configure: Configure | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          watch: bool = False, report: Report = _log_report, warn: Warn = _log_warnings) -> None:
    """Serve the site at `root` until Ctrl-C, which is the normal way to stop (returns without raising)."""
    try:
        with PreviewServer(root, configure, host=host, port=port, watch=watch, report=report,
                           warn=warn) as preview:
            preview.start()
            watching = f"; watching site.toml and {', '.join(d + '/' for d in WATCHED_DIRS)} for changes" \
                if watch else ""
            report(f"Serving at {preview.url} (Ctrl-C to stop){watching}")
            preview.serve_forever()
    except KeyboardInterrupt:
        report("stopped")
