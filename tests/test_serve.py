"""Tests for `site-builder serve`: HTTP answers, path safety, watching, reload events and the error overlay."""

from __future__ import annotations

import html
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import read_tree

from site_builder.commands.build import build_site
from site_builder.config import load_config
from site_builder.commands.serve import Answer, PreviewServer, content_type, decorate, resolve
from site_builder.commands.watch import BuildOutcome, LiveSite, RebuildLoop, Snapshot, is_relevant

REPO = Path(__file__).resolve().parent.parent

SITE_TOML = 'title = "Test Digest"\nbase_url = "https://example.com/"\n'


def story(title: str, topic: str = "AI", day: str = "2024-05-01", published: bool = True) -> str:
    return (f"---\ntitle: {title}\npublishedDateTime: {day}T10:00:00Z\ntopics: [{topic}]\n"
            f"published: {'true' if published else 'false'}\n"
            "provider:\n  name: Example News\n  domain: example.com\n---\n"
            f"The body of {title}.\n")


SITE = {
    "site.toml": SITE_TOML,
    "content/2024/alpha.md": story("Alpha story"),
    "content/2024/beta.md": story("Beta story", topic="Climate", day="2024-05-02"),
}

BROKEN_YAML = "---\ntitle: Alpha story\ntopics: AI: ML\n---\nBody.\n"
BROKEN_LINE = "content/2024/alpha.md:3: invalid YAML in frontmatter: mapping values are not allowed in this context"


# ---------------------------------------------------------------- helpers

class Preview:
    """A PreviewServer answering from a thread, for one test."""

    def __init__(self, root: Path, watch: bool = True, **kwargs) -> None:
        self.root = root
        self.reports: list[tuple[str, bool]] = []
        self.server = PreviewServer(root, host="127.0.0.1", port=0, watch=watch,
                                    report=lambda text, error=False: self.reports.append((text, error)), **kwargs)
        self.server.start()
        self.port = int(self.server.url.rsplit(":", 1)[1].strip("/"))
        self._thread = threading.Thread(target=self.server.serve_forever, name="test-serve")
        self._thread.start()

    def get(self, target: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, target)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def html(self, target: str = "/") -> str:
        status, _, body = self.get(target)
        return body.decode("utf-8")

    def close(self) -> None:
        self.server.shutdown()
        self._thread.join(10)
        self.server.close()


class EventStream:
    """A raw client of /_site-builder/events that can wait for the next `reload`."""

    def __init__(self, port: int, since: int | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        query = f"?since={since}" if since is not None else ""
        self.sock.sendall(f"GET /_site-builder/events{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.file = self.sock.makefile("rb")
        head = []
        while (line := self.file.readline()) not in (b"\r\n", b""):
            head.append(line.decode().strip())
        assert head[0].split(" ", 2)[1] == "200"
        assert "Content-Type: text/event-stream" in head
        assert self.file.readline() == b"retry: 1000\n"  # the stream is open once this arrives

    def next_event(self, timeout: float = 20) -> tuple[str, str]:
        """(event name, data) of the next event, skipping comments (pings)."""
        deadline = time.monotonic() + timeout  # pings arrive every 15 s: the wait as a whole must end
        name, data = "message", ""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no event within {timeout} s")
            self.sock.settimeout(remaining)
            line = self.file.readline().decode()
            if not line:
                raise EOFError("event stream closed")
            line = line.rstrip("\n")
            if line == "" and data:
                return name, data
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def preview(make_site):
    started: list[Preview] = []

    def start(files: dict[str, str | bytes] | None = None, **kwargs) -> Preview:
        p = Preview(make_site(SITE if files is None else files), **kwargs)
        started.append(p)
        return p
    yield start
    for p in started:
        p.close()


@pytest.fixture
def events():
    opened: list[EventStream] = []

    def open_stream(p: Preview, since: int | None = None) -> EventStream:
        stream = EventStream(p.port, p.server.live.current().generation if since is None else since)
        opened.append(stream)
        return stream
    yield open_stream
    for stream in opened:
        stream.close()


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- classify (pure)

@pytest.mark.parametrize("rel, relevant", [
    ("site.toml", True),
    ("content", True),
    ("content/a.md", True),
    ("content/2024/05/a.md", True),
    ("content/notes.bin", True),          # the build warns about it, so it counts
    ("templates/base.html", True),
    ("static/logo.png", True),
    ("themes/mine/templates/item.html", True),
    ("themes/mine/theme.toml", True),
    ("output/index.html", False),
    ("output", False),
    (".site-builder-cache/items.db", False),
    (".git/index", False),
    ("README.md", False),
    ("other.toml", False),
    ("benchmarks/run.py", False),
    ("content/.hidden.md", False),
    ("content/.git/HEAD", False),
    ("content/a.md~", False),
    ("content/.#a.md", False),
    ("content/#a.md#", False),
    ("content/.a.md.swp", False),
    ("content/a.md.swp", False),
    ("content/4913", False),
    ("content/a.md.tmp", False),
    ("templates/.base.html.swx", False),
    ("site.toml~", False),
    (".site.toml.swp", False),
])
def test_is_relevant(rel: str, relevant: bool) -> None:
    assert is_relevant(f"/srv/site/{rel}", "/srv/site") is relevant


def test_is_relevant_outside_the_root_and_the_root_itself() -> None:
    assert not is_relevant("/srv/other/content/a.md", "/srv/site")
    assert not is_relevant("/srv/site", "/srv/site")
    assert not is_relevant("/srv/site-old/content/a.md", "/srv/site")


# ---------------------------------------------------------------- resolve / content types (pure)

FILES = {"index.html": b"<html>", "topics/index.html": b"t", "topics/ai/index.html": b"ai", "feed.xml": b"<rss>",
         "404.html": b"nf", "assets/site.css": b"x", "caf\u00e9/index.html": b"c"}


@pytest.mark.parametrize("target, answer", [
    ("/", Answer(200, "index.html")),
    ("/?x=1", Answer(200, "index.html")),
    ("/topics/", Answer(200, "topics/index.html")),
    ("/topics", Answer(301, location="/topics/")),
    ("/topics/ai?a=b", Answer(301, location="/topics/ai/?a=b")),
    ("/topics/index.html", Answer(200, "topics/index.html")),
    ("/caf%C3%A9/", Answer(200, "caf\u00e9/index.html")),
    ("/feed.xml", Answer(200, "feed.xml")),
    ("/nope", Answer(404, "404.html")),
    ("/favicon.ico", Answer(404, quiet=True)),
    ("/../etc/passwd", Answer(400)),
    ("/topics/../../etc/passwd", Answer(400)),
    ("/%2e%2e/etc/passwd", Answer(400)),
    ("/%2E%2E%2Fetc%2Fpasswd", Answer(400)),
    ("/topics%2findex.html", Answer(400)),
    ("/..%5c..%5cetc", Answer(400)),
    ("/topics\\..\\index.html", Answer(400)),
    ("/index.html%00.css", Answer(400)),
    ("/%ff", Answer(400)),
    ("/./index.html", Answer(400)),
    ("//etc/passwd", Answer(404, "404.html")),
    ("http://evil.example/../etc/passwd", Answer(400)),
    ("http://localhost/topics/", Answer(200, "topics/index.html")),
    ("*", Answer(400)),
    ("file:///etc/passwd", Answer(400)),
])
def test_resolve(target: str, answer: Answer) -> None:
    assert resolve(target, FILES) == answer


def test_resolve_under_the_base_url_path() -> None:
    assert resolve("/digest/", FILES, "/digest/") == Answer(200, "index.html")
    assert resolve("/digest", FILES, "/digest/") == Answer(301, location="/digest/")
    assert resolve("/digest/topics", FILES, "/digest/") == Answer(301, location="/digest/topics/")
    assert resolve("/digest/assets/site.css", FILES, "/digest/") == Answer(200, "assets/site.css")
    assert resolve("/assets/site.css", FILES, "/digest/") == Answer(200, "assets/site.css")
    assert resolve("/digest/../etc/passwd", FILES, "/digest/") == Answer(400)


@pytest.mark.parametrize("rel, data, expected", [
    ("index.html", b"", "text/html; charset=utf-8"),
    ("assets/site.css", b"", "text/css; charset=utf-8"),
    ("feed.xml", b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">', "application/rss+xml"),
    ("topics/ai/atom.xml", b"<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">",
     "application/atom+xml"),
    ("sitemap.xml", b'<?xml version="1.0"?>\n<urlset>', "application/xml"),
    ("favicon.svg", b"", "image/svg+xml"),
    ("favicon.ico", b"", "image/x-icon"),
    ("robots.txt", b"", "text/plain; charset=utf-8"),
    ("a/logo.PNG", b"", "image/png"),
    ("app.js", b"", "text/javascript; charset=utf-8"),
    ("font.woff2", b"", "font/woff2"),
    ("data.unknown-kind", b"", "application/octet-stream"),
])
def test_content_type(rel: str, data: bytes, expected: str) -> None:
    assert content_type(rel, data) == expected


def test_decorate_puts_overlay_and_script_before_the_last_body_end_and_escapes() -> None:
    page = b"<html><body><p>&lt;/body&gt; in text</p>\n</BODY></html>"
    snap = Snapshot(files={"index.html": page}, errors=("content/a.md:2: bad <b>value</b> & more",), generation=7)
    out = decorate(page, snap, live_reload=True).decode()
    assert out.endswith("</BODY></html>")
    assert out.index('role="alert"') < out.index("data-site-builder-reload") < out.index("</BODY>")
    assert "content/a.md:2: bad &lt;b&gt;value&lt;/b&gt; &amp; more" in out
    assert "<b>value" not in out
    assert 'EventSource("/_site-builder/events?since=7")' in out
    assert decorate(page, Snapshot(files={"x": b"1"}), live_reload=False) == page
    assert decorate(b"<p>no body tag", Snapshot(files={"x": b"1"}, generation=1), True).startswith(b"<p>no body tag\n<script")


def test_live_site_keeps_the_last_good_files_when_a_build_fails() -> None:
    live = LiveSite()
    good = live.publish(BuildOutcome({"index.html": b"1"}, base_path="/d/"))
    bad = live.publish(BuildOutcome(None, ("site.toml:1: broken",)))
    assert (bad.files, bad.errors, bad.base_path, bad.generation) == (good.files, ("site.toml:1: broken",), "/d/", 2)
    fixed = live.publish(BuildOutcome({"index.html": b"2"}))
    assert (dict(fixed.files), fixed.errors, fixed.generation) == ({"index.html": b"2"}, (), 3)
    assert live.wait_for_change(3, timeout=0.01) == 3
    assert live.wait_for_change(1, timeout=5) == 3
    live.close()
    assert live.wait_for_change(3, timeout=5) is None


# ---------------------------------------------------------------- the rebuild loop

def test_a_burst_of_changes_makes_one_rebuild() -> None:
    calls: list[float] = []
    done = threading.Event()
    loop = RebuildLoop(lambda: (calls.append(time.monotonic()), done.set()), delay=0.05)
    loop.start()
    try:
        started = time.monotonic()
        for _ in range(20):
            loop.changed()
            time.sleep(0.005)
        last = time.monotonic()
        assert done.wait(5)
        time.sleep(0.3)
        assert len(calls) == 1
        assert calls[0] >= last + 0.05 - 0.01 and calls[0] - started < 2
    finally:
        loop.stop()


def test_changes_during_a_rebuild_make_exactly_one_more() -> None:
    calls: list[int] = []
    running = threading.Event()
    release = threading.Event()

    def rebuild() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            running.set()
            assert release.wait(5)

    loop = RebuildLoop(rebuild, delay=0.02)
    loop.start()
    try:
        loop.changed()
        assert running.wait(5)
        for _ in range(10):
            loop.changed()
        release.set()
        deadline = time.monotonic() + 5
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        assert calls == [0, 1]
    finally:
        loop.stop()


def test_the_loop_survives_a_rebuild_that_raises(caplog) -> None:
    calls: list[int] = []

    def rebuild() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")

    loop = RebuildLoop(rebuild, delay=0.01)
    loop.start()
    try:
        loop.changed()
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        loop.changed()
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(calls) == 2
        assert "rebuild failed unexpectedly" in caplog.text
    finally:
        loop.stop()


def test_rebuilds_run_with_ctrl_c_blocked_so_forked_workers_inherit_that() -> None:
    masks: list[set[int]] = []
    loop = RebuildLoop(lambda: masks.append(signal.pthread_sigmask(signal.SIG_BLOCK, [])), delay=0.01)
    loop.start()
    try:
        loop.changed()
        deadline = time.monotonic() + 5
        while not masks and time.monotonic() < deadline:
            time.sleep(0.01)
        assert signal.SIGINT in masks[0]
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the main thread still gets it
    finally:
        loop.stop()


# ---------------------------------------------------------------- HTTP

def test_serves_the_site_with_content_types_and_no_store_for_html(preview) -> None:
    p = preview({**SITE, "static/favicon.ico": b"\0\0\1\0"})
    expected = {
        "/": "text/html; charset=utf-8",
        "/news/alpha-story/": "text/html; charset=utf-8",
        "/assets/site.css": "text/css; charset=utf-8",
        "/feed.xml": "application/rss+xml",
        "/atom.xml": "application/atom+xml",
        "/topics/ai/feed.xml": "application/rss+xml",
        "/sitemap.xml": "application/xml",
        "/favicon.svg": "image/svg+xml",
        "/favicon.ico": "image/x-icon",
        "/robots.txt": "text/plain; charset=utf-8",
    }
    for target, kind in expected.items():
        status, headers, body = p.get(target)
        assert (target, status, headers["content-type"]) == (target, 200, kind)
        assert int(headers["content-length"]) == len(body)
        assert headers["cache-control"] == ("no-store" if kind.startswith("text/html") else "no-cache")
    assert p.get("/favicon.ico")[2] == b"\0\0\1\0"
    assert "Alpha story" in p.html("/") and "Beta story" in p.html("/")


def test_html_gets_the_reload_script_but_built_files_never_do(preview) -> None:
    p = preview()
    page = p.html("/")
    assert page.count("data-site-builder-reload") == 1
    assert page.index("data-site-builder-reload") < page.rindex("</body>")
    assert b"data-site-builder" not in p.get("/feed.xml")[2]
    for f in build_site(load_config(p.root)).files:
        assert b"site-builder-reload" not in f.data and b"__siteBuilderConnected" not in f.data, f.rel_path


def test_directories_redirect_and_missing_paths_get_the_404_page(preview) -> None:
    p = preview()
    status, headers, _ = p.get("/topics/ai?x=1")
    assert (status, headers["location"]) == (301, "/topics/ai/?x=1")
    status, headers, body = p.get("/topics/ai/")
    assert status == 200 and b"Alpha story" in body
    status, headers, body = p.get("/no/such/page/")
    assert status == 404 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"Page not found" in body and b"data-site-builder-reload" in body


def test_favicon_ico_is_a_quiet_404_when_the_theme_has_none(preview) -> None:
    p = preview()
    status, headers, body = p.get("/favicon.ico")
    assert (status, body) == (404, b"")


def test_head_sends_the_headers_of_get_without_a_body(preview) -> None:
    p = preview()
    for target in ("/", "/assets/site.css", "/missing"):
        g_status, g_headers, g_body = p.get(target)
        h_status, h_headers, h_body = p.get(target, method="HEAD")
        assert (h_status, h_body) == (g_status, b"")
        assert h_headers["content-length"] == str(len(g_body))
        assert h_headers["content-type"] == g_headers["content-type"]


def test_other_methods_are_refused(preview) -> None:
    p = preview()
    assert p.get("/", method="POST")[0] == 501
    assert p.get("/", method="DELETE")[0] == 501


TRAVERSALS = [
    "/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/secret.txt",
    "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/assets/..%2f..%2fsecret.txt", "/..%5csecret.txt",
    "/..\\secret.txt", "//secret.txt", "/site/content/2024/alpha.md", "/content/2024/alpha.md", "/site.toml",
    "/%2fetc%2fpasswd", "/etc/passwd", "//etc/passwd", "/..%00/secret.txt", "/.%2e/secret.txt",
]


def test_nothing_outside_the_built_site_is_served(preview) -> None:
    p = preview()
    (p.root.parent / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    for target in TRAVERSALS:
        status, _, body = p.get(target)
        assert status in (400, 404), target
        assert b"TOP SECRET" not in body and b"root:" not in body and b"publishedDateTime" not in body, target
        assert b'title = "Test Digest"' not in body, target


def test_raw_requests_with_absolute_targets_are_answered_from_the_site_only(preview) -> None:
    p = preview()
    (p.root.parent / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    for target in ("/../secret.txt", "http://127.0.0.1/../secret.txt", "/%2e%2e/secret.txt", "secret.txt",
                   str(p.root.parent / "secret.txt")):
        with socket.create_connection(("127.0.0.1", p.port), timeout=10) as sock:
            sock.sendall(f"GET {target} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.split(b" ", 2)[1] in (b"400", b"404"), (target, reply[:80])
        assert b"TOP SECRET" not in reply


def test_serve_never_writes_anything(preview) -> None:
    p = preview({**SITE, "content/2024/gamma.md": story("Gamma draft", published=False)})
    before = read_tree(p.root)
    assert "Gamma draft" not in p.html("/")
    p.server.rebuild()
    assert p.html("/") and read_tree(p.root) == before
    assert not (p.root / "output").exists()


def test_serve_after_a_build_serves_whole_files_and_leaves_output_alone(make_site, run_cli, events) -> None:
    root = make_site(SITE)
    assert run_cli("build", "--source", root)[0] == 0
    built = read_tree(root)
    p = Preview(root)
    try:
        for rel, data in read_tree(root / "output").items():
            if not rel.startswith("."):
                status, _, body = p.get("/" + rel)
                script = re.compile(rb"\n<script data-site-builder-reload>.*?</script>\n", re.DOTALL)
                assert (status, script.sub(b"", body)) == (200, data), rel
        stream = events(p)
        write(root / "content/2024/alpha.md", story("Alpha edited"))
        stream.next_event()
        assert "Alpha edited" in p.html("/") and "Beta story" in p.html("/")
        assert b"Beta story" in p.get("/news/beta-story/")[2]
    finally:
        p.close()
    after = read_tree(root)
    assert {k: v for k, v in after.items() if k != "content/2024/alpha.md"} == \
        {k: v for k, v in built.items() if k != "content/2024/alpha.md"}


def test_drafts_are_previewed_but_never_written(make_site) -> None:
    root = make_site({**SITE, "content/2024/gamma.md": story("Gamma draft", published=False)})
    p = Preview(root, watch=False, configure=lambda: load_config(root, {"drafts": True}))
    try:
        assert "Gamma draft" in p.html("/")
        assert not (root / "output").exists()
        assert not any(root.rglob("index.html"))
    finally:
        p.close()


def test_a_sub_path_base_url_is_served_at_the_root_and_under_its_path(preview) -> None:
    p = preview({**SITE, "site.toml": 'title = "T"\nbase_url = "https://example.com/digest/"\n'})
    assert p.get("/")[0] == 200
    assert p.get("/digest/")[0] == 200 and "Alpha story" in p.html("/digest/")
    assert p.get("/digest/assets/site.css")[1]["content-type"] == "text/css; charset=utf-8"
    status, headers, body = p.get("/nope/")
    assert status == 404 and b'href="/digest/assets/site.css"' in body  # where the 404 page's links point


# ---------------------------------------------------------------- watching and reloading

def test_a_content_change_sends_reload_after_the_new_site_is_in(preview, events) -> None:
    p = preview()
    stream = events(p)
    write(p.root / "content/2024/alpha.md", story("Alpha renamed"))
    name, data = stream.next_event()
    assert name == "reload" and int(data) == 2
    page = p.html("/")  # asked right after the event: the new site must already be served
    assert "Alpha renamed" in page and "Alpha story" not in page
    assert 'since=2"' in page


def test_a_change_before_the_stream_opens_still_reloads(preview, events) -> None:
    p = preview()
    write(p.root / "content/2024/alpha.md", story("Alpha renamed"))
    deadline = time.monotonic() + 20
    while p.server.live.current().generation < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    stream = events(p, since=1)  # the page was served at generation 1
    assert stream.next_event(timeout=5) == ("reload", "2")


def test_temp_files_hidden_files_and_output_do_not_rebuild(preview, events) -> None:
    p = preview()
    stream = events(p)
    for rel in ("content/.#alpha.md", "content/alpha.md~", "content/.alpha.md.swp", "content/4913",
                "content/alpha.md.tmp", "output/index.html", ".site-builder-cache/x", "notes.txt", "content/.git/x"):
        write(p.root / rel, "junk")
    (p.root / "content/4913").unlink()
    with pytest.raises(TimeoutError):
        stream.next_event(timeout=0.6)
    assert p.server.live.current().generation == 1


def settle(p: Preview, quiet: float = 0.3, timeout: float = 20) -> None:
    """Wait until no rebuild has finished for `quiet` seconds (a burst may come as more than one rebuild)."""
    deadline = time.monotonic() + timeout
    seen = p.server.live.current().generation
    while time.monotonic() < deadline:
        now = p.server.live.wait_for_change(seen, quiet)
        if now == seen:
            return
        seen = now
    raise TimeoutError("the site kept rebuilding")


def wait_until(p: Preview, ok, timeout: float = 20) -> None:
    """Wait for rebuilds until ok() is true."""
    deadline = time.monotonic() + timeout
    while not ok():
        generation = p.server.live.current().generation
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        p.server.live.wait_for_change(generation, 0.5)


def test_folders_created_or_recreated_after_start_are_watched(preview) -> None:
    p = preview()  # no templates/ yet
    (p.root / "templates").mkdir()
    settle(p)
    write(p.root / "templates/404.html", "{% extends 'base.html' %}{% block main %}<h1>Lost here</h1>{% endblock %}")
    wait_until(p, lambda: b"Lost here" in p.get("/x")[2])

    shutil.rmtree(p.root / "content")
    wait_until(p, lambda: "Alpha story" not in p.html("/"))
    (p.root / "content/2025/06").mkdir(parents=True)
    settle(p)
    write(p.root / "content/2025/06/new.md", story("Fresh story", day="2025-06-01"))
    wait_until(p, lambda: "Fresh story" in p.html("/"))


def test_atomic_save_and_rename_and_delete_are_seen(preview, events) -> None:
    p = preview()
    stream = events(p)
    tmp = p.root / "content/2024/.alpha.md.tmp"
    tmp.write_text(story("Alpha atomically"), encoding="utf-8")
    os.replace(tmp, p.root / "content/2024/alpha.md")
    stream.next_event()
    assert "Alpha atomically" in p.html("/")
    (p.root / "content/2024/beta.md").rename(p.root / "content/beta-moved.md")
    stream.next_event()
    assert "Beta story" in p.html("/")
    (p.root / "content/beta-moved.md").unlink()
    stream.next_event()
    assert "Beta story" not in p.html("/")


def test_a_broken_file_shows_the_overlay_until_it_is_fixed(preview, events) -> None:
    p = preview()
    stream = events(p)
    write(p.root / "content/2024/alpha.md", BROKEN_YAML)
    assert stream.next_event()[0] == "reload"
    for target in ("/", "/news/beta-story/", "/missing/"):
        page = p.get(target)[2].decode()
        assert 'role="alert"' in page and html.escape(BROKEN_LINE) in page, target
    assert "Alpha story" in p.html("/")  # the last good site is still served
    assert (f"build failed (serving the last good site):\n{BROKEN_LINE}", True) in p.reports
    write(p.root / "content/2024/alpha.md", story("Alpha fixed"))
    assert stream.next_event()[0] == "reload"
    page = p.html("/")
    assert 'role="alert"' not in page and "Alpha fixed" in page


def test_config_errors_are_escaped_in_the_overlay(preview, events) -> None:
    p = preview()
    stream = events(p)
    write(p.root / "site.toml", 'title = "T"\nbase_url = "<b>x</b>"\n')
    assert stream.next_event()[0] == "reload"
    page = p.html("/")
    assert "site.toml:2: base_url must be an absolute http(s) URL, not &#x27;&lt;b&gt;x&lt;/b&gt;&#x27;" in page
    assert "<b>x</b>" not in page


def test_template_errors_and_unexpected_exceptions_keep_the_server_up(preview, events, monkeypatch) -> None:
    p = preview()
    stream = events(p)
    write(p.root / "templates/home.html", "{% extends 'base.html' %}{% block main %}{{ nope( }}{% endblock %}")
    assert stream.next_event()[0] == "reload"
    page = p.html("/")
    assert 'role="alert"' in page and "templates/home.html:1: template syntax error" in page
    (p.root / "templates/home.html").unlink()
    assert stream.next_event()[0] == "reload"
    assert 'role="alert"' not in p.html("/")

    def explode(config, previous=None):
        raise RuntimeError("boom <here>")
    monkeypatch.setattr("site_builder.commands.watch.build_site", explode)
    p.server.rebuild()
    page = p.html("/")
    assert "internal error: RuntimeError: boom &lt;here&gt;" in page and "Alpha story" in page
    monkeypatch.undo()
    p.server.rebuild()
    assert 'role="alert"' not in p.html("/")


def test_when_the_first_build_fails_every_page_is_an_error_page(preview, events) -> None:
    p = preview({**SITE, "content/2024/alpha.md": BROKEN_YAML})
    for target in ("/", "/news/beta-story/", "/assets/site.css"):
        status, headers, body = p.get(target)
        assert status == 503 and headers["content-type"] == "text/html; charset=utf-8"
        assert b'role="alert"' in body and html.escape(BROKEN_LINE).encode() in body
        assert b"data-site-builder-reload" in body
    stream = events(p)
    write(p.root / "content/2024/alpha.md", story("Alpha fixed"))
    assert stream.next_event()[0] == "reload"
    status, _, body = p.get("/")
    assert status == 200 and b"Alpha fixed" in body and b'role="alert"' not in body


def test_first_build_failure_without_watch_still_serves_the_overlay(preview) -> None:
    p = preview({"site.toml": "title = 3\n"}, watch=False)
    status, _, body = p.get("/")
    assert status == 503 and b"site.toml:1: &#x27;title&#x27; must be a string, not 3" in body
    assert b"data-site-builder-reload" not in body
    assert p.get("/_site-builder/events")[0] == 503


# ---------------------------------------------------------------- the command line

def test_port_in_use_is_one_line_and_exit_1(make_site, run_cli) -> None:
    root = make_site(SITE)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = run_cli("serve", "--source", root, "--port", port)
    assert code == 1
    assert err == (f"cannot serve on 127.0.0.1:{port}: the port is already in use "
                   "(stop the other server or choose another with --port)\n")


def test_bad_port_and_missing_folder(make_site, run_cli, tmp_path) -> None:
    code, _, err = run_cli("serve", "--source", make_site(SITE), "--port", "70000")
    assert (code, err) == (1, "--port must be between 0 and 65535, not 70000\n")
    code, _, err = run_cli("serve", "--source", tmp_path / "nope")
    assert (code, err) == (1, f"site folder {tmp_path / 'nope'} does not exist\n")


def _start_cli(root: Path, log: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:  # a file, not a pipe: nobody has to keep draining it
        proc = subprocess.Popen([sys.executable, "-m", "site_builder", "serve", "--source", str(root), "--port", "0",
                                 *extra], stdout=out, stderr=subprocess.PIPE, cwd=REPO, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8")
        if "Serving at http://127.0.0.1:" in text:
            return proc, int(text.split("Serving at http://127.0.0.1:", 1)[1].split("/", 1)[0])
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    _, err = proc.communicate()
    raise AssertionError(f"server did not start: {log.read_text()} {err.decode()}")


def test_ctrl_c_stops_cleanly_with_exit_0(make_site, tmp_path) -> None:
    root = make_site(SITE)
    proc, port = _start_cli(root, tmp_path / "serve.log", "--watch")
    try:
        stream = EventStream(port)  # an open page must not hold up the stop
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/")
            assert conn.getresponse().status == 200
            conn.close()
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=15)
        finally:
            stream.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "Traceback" not in err.decode()
    assert (tmp_path / "serve.log").read_text().splitlines()[-1] == "stopped"
    assert not (root / "output").exists()
