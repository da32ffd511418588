"""Search in headless Chromium: type into the search page of a built site, at the root and under a sub-path,
in both themes; visible items are found, hidden ones never; no request leaves the site; axe finds nothing."""

from __future__ import annotations

import functools
import re
import threading
from http.server import ThreadingHTTPServer

import pytest

from site_builder.commands.build import build
from site_builder.config import load_config
from tests.conftest import write_site
from tests.judges import axe_violations, describe_violations
from tests.test_browser_themes import LOCAL_HOST, THEMES, PageWatch, QuietHandler
from tests.varied_site import LONG_WORD, varied_site

PLACES = {"root": "", "sub-path": "digest/"}
VISIBLE = ("content/pangolin.md", """---
title: Pangolin rescue centre doubles its capacity
publishedDateTime: 2023-12-01T08:30:00Z
webUrl: https://example.com/pangolin
provider: Wildlife Wire
topics: [Science]
excerpt: A sanctuary for trafficked pangolins opens a second enclosure.
---
Keepers say the new enclosure mimics the forest floor.
""")
HIDDEN = ("content/okapi.md", """---
title: Okapi sighting embargoed until Friday
publishedDateTime: 2023-12-01T09:00:00Z
webUrl: https://example.com/okapi
provider: Wildlife Wire
topics: [Science]
published: false
---
The pangolin keepers also saw an okapi.
""")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """{(theme, place): URL of the site's root}: each build served by its own server, the sub-path ones
    under /digest/ with a base_url saying so."""
    root = tmp_path_factory.mktemp("search")
    source = write_site(root / "site", {**varied_site(), VISIBLE[0]: VISIBLE[1], HIDDEN[0]: HIDDEN[1]})
    urls, servers = {}, []
    for theme in THEMES:
        for place, prefix in PLACES.items():
            served = root / f"www-{theme}-{place}"
            build(load_config(source, {"theme": theme, "output": served / prefix,
                                       "base_url": f"https://example.org/{prefix}"}))
            server = ThreadingHTTPServer((LOCAL_HOST, 0), functools.partial(QuietHandler, directory=str(served)))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            urls[theme, place] = f"http://{LOCAL_HOST}:{server.server_port}/{prefix}"
    yield urls
    for server in servers:
        server.shutdown()
        server.server_close()


def results(page) -> list[str]:
    return page.locator(".search-result-title").all_inner_texts()


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("theme", THEMES)
def test_typing_a_query_finds_visible_items_and_never_hidden_ones(page, sites, node_tools, artifacts_dir, theme, place):
    site = sites[theme, place]
    watch = PageWatch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site}search/", wait_until="load")

    page.locator("#search-q").press_sequentially("pangolin", delay=20)
    # the status names the query it answers: wait for the whole word's answer, not an earlier keystroke's
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('pangolin')")
    found = results(page)
    status = page.locator("#search-status").inner_text()
    violations = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=artifacts_dir / f"search-{theme}-{place}-{scheme}.png", full_page=True)
        violations[scheme] = axe_violations(page)
    page.locator("#search-q").fill("okapi")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('okapi')")
    hidden = results(page)
    hidden_status = page.locator("#search-status").inner_text()
    page.locator("#search-q").fill("pangolin")
    page.wait_for_function("document.querySelectorAll('.search-result').length > 0")
    page.locator(".search-result-title").first.click()
    page.wait_for_load_state("load")

    assert found == ["Pangolin rescue centre doubles its capacity"]
    assert status == "1 story matches “pangolin”."
    assert (hidden, hidden_status) == ([], "No stories match “okapi”.")
    assert page.url == f"{site}news/pangolin-rescue-centre-doubles-its-capacity/"
    for scheme, found_violations in violations.items():
        assert found_violations == [], f"axe-core violations ({scheme}):\n{describe_violations(found_violations)}"
    assert watch.problems == []


@pytest.mark.parametrize("theme", THEMES)
def test_the_header_box_leads_to_the_results_from_any_page(page, sites, theme):
    site = sites[theme, "sub-path"]
    watch = PageWatch(page)
    page.goto(f"{site}topics/", wait_until="load")
    page.locator("#site-search-q").fill("enclosure")
    page.locator("#site-search-q").press("Enter")
    page.wait_for_function("document.querySelectorAll('.search-result').length > 0")

    first, url, typed = results(page), page.url, page.locator("#search-q").input_value()
    page.locator("#search-q").fill("sensor")
    page.locator("#search-order").select_option("newest")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('sensor')")

    assert url == f"{site}search/?q=enclosure"
    assert typed == "enclosure"
    assert first == ["Pangolin rescue centre doubles its capacity"]
    assert results(page) == ["Quantum sensor maps groundwater beneath a city",     # newest first
                             "Gravity sensor maps groundwater beneath a city"]
    assert page.url == f"{site}search/?q=sensor&order=newest"
    assert watch.problems == []


def test_without_javascript_the_search_page_says_so_and_links_to_the_archive(browser, sites):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    site = sites["default", "sub-path"]
    page.goto(f"{site}search/?q=pangolin", wait_until="load")
    note = page.locator(".search-note")
    text = re.sub(r"\s+", " ", note.inner_text())
    archive = note.get_by_role("link", name="archive").get_attribute("href")
    context.close()

    assert text.startswith("Search runs in your browser and needs JavaScript, which is off.")
    assert archive == "../archive/"


def test_results_come_from_every_month_shard_newest_first_and_filters_span_them(page, sites):
    """The index is one Pagefind shard a month (pagefind/shards.json, newest first): a search merges them all,
    "Newest first" orders across months, and the topic and provider filters count and match in every shard."""
    site = sites["default", "sub-path"]
    watch = PageWatch(page)
    page.goto(f"{site}search/?q=science&order=newest", wait_until="load")
    page.wait_for_function("document.querySelectorAll('.search-result').length > 0")
    newest = results(page)
    shards = page.evaluate("async () => (await fetch('../pagefind/shards.json')).json()")
    found = page.evaluate("""async () => {
        const pagefind = await import(new URL('../pagefind/pagefind.js', location.href).href);
        const science = await pagefind.search(null, {filters: {topic: 'Science'}, sort: {date: 'desc'}});
        const reuters = await pagefind.search(null, {filters: {provider: 'Reuters'}});
        const all = await pagefind.search(null, {sort: {date: 'desc'}});
        const titles = async (search) => (await Promise.all(search.results.map((r) => r.data())))
            .map((d) => d.meta.title);
        return {science: await titles(science), reuters: (await titles(reuters)).sort(),
                counts: (await pagefind.filters()).topic, all: await titles(all)};
    }""")

    assert shards == ["shards/2023-12/", "shards/2023-11/"]
    assert newest == ["Pangolin rescue centre doubles its capacity",                   # 2023-12-01, 2023-12 shard
                      "Fusion start-up reports net energy gain in a compact tokamak",  # 2023-11-30 16:45, 2023-11
                      "Quantum sensor maps groundwater beneath a city"]                # 2023-11-30 09:10
    assert found["science"] == newest
    assert found["reuters"] == ["EU lawmakers strike a deal on the world's first comprehensive AI rules",
                                "Sodium-ion batteries reach mass production"]
    assert found["counts"]["Science"] == 3 and found["counts"]["Energy"] == 2
    assert found["all"] == [  # newest first, although each shard ranks its own pages: 2023-12, then 2023-11
        "Pangolin rescue centre doubles its capacity",                                # 2023-12-01 08:30
        "EU lawmakers strike a deal on the world's first comprehensive AI rules",    # 08:15
        "Chipmaker posts record quarter as data-centre demand soars",                # 07:02
        f"Bureaucracy watch: the {LONG_WORD} returns",                               # 06:30
        "Fusion start-up reports net energy gain in a compact tokamak",              # 2023-11-30 16:45
        "Quantum sensor maps groundwater beneath a city",                            # 09:10
        "Sodium-ion batteries reach mass production",
        "Gravity sensor maps groundwater beneath a city"]                            # 2023-11-14 (mtime)
    assert watch.problems == []
