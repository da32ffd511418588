"""`fetch` and `import URL` against a real HTTP server on 127.0.0.1 (pytest-httpserver): conditional GET,
failures beside good sources, gzip, size limits, filters and duplicates."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from site_builder.commands.fetch import Limits, fetch_sources
from site_builder.commands.fetch_state import STATE_FILE
from site_builder.commands.importer import import_files
from site_builder.commands.sources import load_subscriptions
from site_builder.incremental.store import CACHE_DIR

FAST = Limits(timeout=1.0, max_bytes=20_000, parallel=4)


@pytest.fixture(scope="module")
def threaded_server():
    # Threaded: a source that never answers must not hold up the others' requests.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def httpserver(threaded_server):
    yield threaded_server
    threaded_server.clear()


def rss(*stories: tuple[str, str], title: str = "Test Wire") -> str:
    items = "".join(f"<item><title>{headline}</title><link>{link}</link>"
                    f"<description>About {headline.lower()}.</description>"
                    f"<pubDate>Mon, 27 Nov 2023 07:48:00 GMT</pubDate></item>" for headline, link in stories)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://wire.example/</link><description>x</description>{items}</channel></rss>")


def subscribe(root: Path, *sources: dict) -> None:
    tables = []
    for source in sources:
        rows = ["[[source]]"] + [f"{k} = {_toml(v)}" for k, v in source.items()]
        tables.append("\n".join(rows))
    (root / "sources.toml").write_text("\n\n".join(tables) + "\n")


def _toml(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'"{value}"'


def content(root: Path) -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text().split("---")[1]) for p in sorted((root / "content").glob("*.md"))}


def fetch(root: Path, limits: Limits = FAST):
    return fetch_sources(root, load_subscriptions(root), limits)


def lines(result) -> list[str]:
    return [r.line() for r in result.reports]


def test_etag_then_304_parses_nothing_and_sends_if_none_match(make_site, httpserver) -> None:
    root = make_site({"site.toml": ""})
    body = rss(("Chip export rules tighten", "https://news.example/chips?utm_source=rss"))
    httpserver.expect_request("/feed.xml").respond_with_handler(
        lambda request: Response(status=304) if request.headers.get("If-None-Match") == '"v1"'
        else Response(body, headers={"ETag": '"v1"', "Content-Type": "application/rss+xml"}))
    url = httpserver.url_for("/feed.xml")
    subscribe(root, {"url": url, "name": "Wire"})
    first = fetch(root)
    assert lines(first) == [f"Wire <{url}>: 1 new, 0 skipped as duplicates, 0 filtered out"]
    written = content(root)
    assert list(written) == ["2023-11-27-chip-export-rules-tighten.md"]
    meta = written["2023-11-27-chip-export-rules-tighten.md"]
    assert (meta["published"], meta["slug"], list(meta)[:2]) == (False, "chip-export-rules-tighten", ["title", "slug"])
    second = fetch(root)
    assert lines(second) == [f"Wire <{url}>: unchanged (304 Not Modified)"]
    requests = [request for request, _ in httpserver.log]
    assert "If-None-Match" not in requests[0].headers
    assert requests[1].headers["If-None-Match"] == '"v1"'
    assert list(content(root)) == ["2023-11-27-chip-export-rules-tighten.md"]


def test_last_modified_is_sent_back_as_if_modified_since(make_site, httpserver) -> None:
    root = make_site({"site.toml": ""})
    stamp = "Mon, 27 Nov 2023 08:00:00 GMT"
    httpserver.expect_request("/feed.xml").respond_with_handler(
        lambda request: Response(status=304) if request.headers.get("If-Modified-Since") == stamp
        else Response(rss(("A story", "https://news.example/a")), headers={"Last-Modified": stamp}))
    url = httpserver.url_for("/feed.xml")
    subscribe(root, {"url": url})
    assert lines(fetch(root)) == [f"Test Wire <{url}>: 1 new, 0 skipped as duplicates, 0 filtered out"]
    assert lines(fetch(root)) == [f"Test Wire <{url}>: unchanged (304 Not Modified)"]
    second = httpserver.log[1][0]
    assert (second.headers["If-Modified-Since"], second.headers.get("If-None-Match")) == (stamp, None)


def test_same_body_without_validators_is_not_parsed_again(make_site, httpserver) -> None:
    root = make_site({"site.toml": ""})
    httpserver.expect_request("/feed.xml").respond_with_data(rss(("A story", "https://news.example/a")))
    url = httpserver.url_for("/feed.xml")
    subscribe(root, {"url": url})
    fetch(root)
    (root / "content" / "2023-11-27-a-story.md").unlink()  # parsing again would bring it back
    assert lines(fetch(root)) == [f"Test Wire <{url}>: unchanged (same content as last time)"]
    assert content(root) == {}
    assert len(httpserver.log) == 2 and "If-None-Match" not in httpserver.log[1][0].headers


def _refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


def test_failing_sources_never_stop_the_good_ones(make_site, httpserver) -> None:
    root = make_site({"site.toml": ""})
    httpserver.expect_request("/good.xml").respond_with_data(rss(("Good news", "https://news.example/good")))
    httpserver.expect_request("/later.xml").respond_with_data(rss(("Later news", "https://news.example/later")))
    httpserver.expect_request("/500.xml").respond_with_data("oops", status=500)
    httpserver.expect_request("/slow.xml").respond_with_handler(lambda r: time.sleep(3) or Response("late"))
    httpserver.expect_request("/loop.xml").respond_with_data("", status=302, headers={"Location": "/loop.xml"})
    httpserver.expect_request("/broken.xml").respond_with_data('<?xml version="1.0"?>\n<rss><channel><item><title>Half')
    refused = _refused_url()
    urls = [httpserver.url_for(p) for p in ("/good.xml", "/500.xml", "/slow.xml", "/loop.xml")] + [refused] + \
        [httpserver.url_for(p) for p in ("/broken.xml", "/later.xml")]
    subscribe(root, *({"url": u} for u in urls))
    result = fetch(root)
    assert lines(result) == [
        f"Test Wire <{urls[0]}>: 1 new, 0 skipped as duplicates, 0 filtered out",
        f"{urls[1]}: failed: HTTP 500 INTERNAL SERVER ERROR",
        f"{urls[2]}: failed: timed out after 1 s",
        f"{urls[3]}: failed: more than 5 redirects (a redirect loop?)",
        f"{refused}: failed: cannot connect (Connection refused)",
        f"{urls[5]}: failed: line 2: XML ends early (no element found); the file looks truncated",
        f"Test Wire <{urls[6]}>: 1 new, 0 skipped as duplicates, 0 filtered out",
    ]
    assert result.failed == 5
    assert list(content(root)) == ["2023-11-27-good-news.md", "2023-11-27-later-news.md"]


def test_gzip_is_accepted_and_decoded(make_site, httpserver) -> None:
    root = make_site({"site.toml": ""})
    packed = gzip.compress(rss(("Zipped story", "https://news.example/zip")).encode())
    httpserver.expect_request("/feed.xml").respond_with_handler(
        lambda request: Response(packed, headers={"Content-Encoding": "gzip"})
        if "gzip" in request.headers.get("Accept-Encoding", "") else Response("no gzip asked", status=406))
    subscribe(root, {"url": httpserver.url_for("/feed.xml")})
    assert fetch(root).failed == 0
    assert list(content(root)) == ["2023-11-27-zipped-story.md"]


def test_an_oversized_body_is_refused_and_nothing_is_written(make_site, httpserver) -> None:
    root = make_site({"site.toml": ""})
    huge = rss(*((f"Story {n}", f"https://news.example/{n}") for n in range(400)))
    assert len(huge) > FAST.max_bytes
    httpserver.expect_request("/big.xml").respond_with_data(huge)
    # Streamed without a length, and as gzip that inflates past the limit: counted as read, both refused.
    httpserver.expect_request("/chunked.xml").respond_with_handler(
        lambda r: Response(iter([huge[i:i + 1000] for i in range(0, len(huge), 1000)])))
    httpserver.expect_request("/bomb.xml").respond_with_data(gzip.compress(huge.encode()),
                                                             headers={"Content-Encoding": "gzip"})
    urls = [httpserver.url_for(p) for p in ("/big.xml", "/chunked.xml", "/bomb.xml")]
    subscribe(root, *({"url": u} for u in urls))
    assert lines(fetch(root)) == [f"{u}: failed: response larger than 20,000 bytes; not read" for u in urls]
    assert content(root) == {}


def test_include_exclude_filters_and_source_topics(make_site, httpserver) -> None:
    root = make_site({"site.toml": ""})
    httpserver.expect_request("/feed.xml").respond_with_data(rss(
        ("Chip makers race ahead", "https://news.example/1"),
        ("Export rules: sponsored briefing", "https://news.example/2"),
        ("Football results", "https://news.example/3"),
        ("Chipmunks at the zoo", "https://news.example/4")))
    url = httpserver.url_for("/feed.xml")
    subscribe(root, {"url": url, "topics": ["AI"], "include": ["chip", "export"], "exclude": ["SPONSORED"]})
    assert lines(fetch(root)) == [f"Test Wire <{url}>: 1 new, 0 skipped as duplicates, 3 filtered out"]
    assert {name: meta["topics"] for name, meta in content(root).items()} == \
        {"2023-11-27-chip-makers-race-ahead.md": ["AI"]}


def test_duplicates_by_normalised_url_against_content_and_other_sources(make_site, httpserver) -> None:
    root = make_site({"content/mine.md": "---\ntitle: Mine\nslug: same-story\noriginalUrl: "
                                         "https://www.news.example/story/\npublished: true\n---\n"})
    httpserver.expect_request("/a.xml").respond_with_data(rss(
        ("Same story", "http://news.example/story?utm_source=feed&utm_medium=rss"),
        ("Fresh story", "https://news.example/fresh?id=2&fbclid=x")))
    httpserver.expect_request("/b.xml").respond_with_data(rss(("Fresh again", "https://news.example/fresh?id=2"),
                                                              ("Same story", "https://news.example/other")))
    a, b = httpserver.url_for("/a.xml"), httpserver.url_for("/b.xml")
    subscribe(root, {"url": a, "name": "A"}, {"url": b, "name": "B"})
    assert lines(fetch(root)) == [f"A <{a}>: 1 new, 1 skipped as duplicates, 0 filtered out",
                                  f"B <{b}>: 1 new, 1 skipped as duplicates, 0 filtered out"]
    written = content(root)
    # The new "Same story" (another URL) gets its own pinned slug beside mine.md's.
    assert {n: m["slug"] for n, m in written.items()} == {"mine.md": "same-story",
                                                          "2023-11-27-fresh-story.md": "fresh-story",
                                                          "2023-11-27-same-story.md": "same-story-2"}


def test_a_damaged_state_file_is_discarded_with_a_warning(make_site, httpserver) -> None:
    root = make_site({f"{CACHE_DIR}/{STATE_FILE}": b"this is not SQLite" * 100})
    httpserver.expect_request("/feed.xml").respond_with_data(rss(("A story", "https://news.example/a")))
    subscribe(root, {"url": httpserver.url_for("/feed.xml")})
    result = fetch(root)
    assert result.warnings == (f"{CACHE_DIR}/{STATE_FILE}: damaged (file is not a database); starting afresh, "
                               "so every source is fetched in full once",)
    assert result.failed == 0 and len(content(root)) == 1
    assert fetch(root).warnings == ()


def test_cli_fetch_prints_a_line_per_source_and_exits_1_on_failure(make_site, httpserver, run_cli) -> None:
    root = make_site({"site.toml": ""})
    httpserver.expect_request("/good.xml").respond_with_data(rss(("Good news", "https://news.example/good")))
    httpserver.expect_request("/gone.xml").respond_with_data("", status=404)
    good, gone = httpserver.url_for("/good.xml"), httpserver.url_for("/gone.xml")
    subscribe(root, {"url": good}, {"url": gone})
    code, out, err = run_cli("fetch", "--source", root, "--timeout", "2")
    assert (code, out, err) == (1, f"Test Wire <{good}>: 1 new, 0 skipped as duplicates, 0 filtered out\n"
                                   f"{gone}: failed: HTTP 404 NOT FOUND\n"
                                   "2 sources: 1 new, 0 skipped as duplicates, 0 filtered out, 1 failed\n",
                                "1 of 2 sources failed\n")
    code, out, err = run_cli("fetch", "--source", root)
    assert (code, out.splitlines()[0]) == (1, f"Test Wire <{good}>: unchanged (same content as last time)")


def test_cli_fetch_without_sources(make_site, run_cli) -> None:
    root = make_site({"site.toml": ""})
    assert run_cli("fetch", "--source", root) == (
        1, "", f"{root / 'sources.toml'}: no sources to fetch: add [[source]] tables to sources.toml "
               "(or run `site-builder sources import FILE.opml`)\n")


def test_import_accepts_an_http_url(make_site, httpserver, run_cli) -> None:
    root = make_site({"site.toml": ""})
    httpserver.expect_request("/atom2.xml").respond_with_data(rss(("By URL", "https://news.example/url")))
    code, out, err = run_cli("import", "--source", root, httpserver.url_for("/atom2.xml"))
    assert (code, out, err) == (0, "created 1, skipped 0 (already in content/), failed 0\n", "")
    assert list(content(root)) == ["2023-11-27-by-url.md"]
    missing = httpserver.url_for("/missing.xml")
    httpserver.expect_request("/missing.xml").respond_with_data("", status=404)
    assert run_cli("import", "--source", root, missing) == (
        1, "created 0, skipped 0 (already in content/), failed 0\n", f"{missing}: HTTP 404 NOT FOUND\n")


def test_sources_are_fetched_in_parallel_but_never_more_than_the_bound(make_site, httpserver) -> None:
    root = make_site({"site.toml": ""})
    lock = threading.Lock()
    running = [0]
    most = [0]

    def slow(request: Request) -> Response:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return Response(rss((f"Story {request.path[1]}", f"https://news.example{request.path}")))

    for n in range(6):
        httpserver.expect_request(f"/{n}.xml").respond_with_handler(slow)
    subscribe(root, *({"url": httpserver.url_for(f"/{n}.xml")} for n in range(6)))
    result = fetch(root, Limits(timeout=5, max_bytes=20_000, parallel=2))
    assert (result.failed, most[0]) == (0, 2)
    assert len(content(root)) == 6


def test_fetched_files_are_written_exactly_as_import_writes_them_slug_pinned(make_site, httpserver, tmp_path) -> None:
    body = rss(("Chip export rules tighten", "https://news.example/chips"), ("Second story", "https://news.example/2"))
    (tmp_path / "feed.xml").write_text(body)
    imported = make_site({"site.toml": ""}, "imported")
    assert import_files(imported, [tmp_path / "feed.xml"], publish=False).errors == ()
    fetched = make_site({"site.toml": ""}, "fetched")
    httpserver.expect_request("/feed.xml").respond_with_data(body)
    subscribe(fetched, {"url": httpserver.url_for("/feed.xml")})
    fetch(fetched)
    want = {p.name: p.read_text() for p in (imported / "content").iterdir()}
    got = {p.name: p.read_text() for p in (fetched / "content").iterdir()}
    assert got == want
    assert "slug: chip-export-rules-tighten\n" in got["2023-11-27-chip-export-rules-tighten.md"]
