"""The candidates page: every unpublished item, newest first, in `--drafts` previews only."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import html as lhtml

from site_builder.commands.build import build_site
from site_builder.config import load_config
from site_builder.incremental.store import Memory
from tests.conftest import read_tree
from tests.judges import axe_violations, describe_violations

STORY = """---
title: "{title}"
publishedDateTime: {date}
provider: {{name: {provider}}}
originalUrl: https://{provider_host}/{title_slug}
excerpt: "Why {title} matters"
{more}---
"""


def story(title: str, date: str, provider: str = "Wire", more: str = "") -> str:
    return STORY.format(title=title, date=date, provider=provider, provider_host=f"{provider.lower()}.example",
                        title_slug=title.lower().replace(" ", "-"), more=more)


SITE = {
    "site.toml": 'title = "Desk"\nbase_url = "https://example.org/"\n',
    "content/shown.md": story("Shown Story", "2024-05-03T09:00:00Z"),
    "content/old.md": story("Old Pick", "2024-05-01T09:00:00Z", "Daily", "published: false\n"),
    "content/new.md": story("New Pick", "2024-05-04T09:00:00Z", "Herald", "published: false\n"),
    "content/sub/draft.md": story("Draft Pick", "2024-05-02T09:00:00Z", more="draft: true\n"),
}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's parameter name
        pass


def candidates(page: bytes) -> list[tuple[str, str, str, str]]:
    doc = lhtml.fromstring(page)
    return [(li.xpath("string(.//h2)").strip(), li.xpath("string(.//*[@class='provider'])"),
             li.xpath("string(.//*[@class='card-excerpt'])"), li.xpath("string(.//code)"))
            for li in doc.xpath("//li[@class='candidate']")]


def test_build_drafts_writes_the_candidates_page_newest_first(make_site, run_cli) -> None:
    root = make_site(SITE)
    assert run_cli("build", "--source", root, "--drafts")[0] == 0
    tree = read_tree(root / "output")
    assert candidates(tree["candidates/index.html"]) == [
        ("New Pick", "Herald", "Why New Pick matters", "content/new.md"),
        ("Draft Pick", "Wire", "Why Draft Pick matters", "content/sub/draft.md"),
        ("Old Pick", "Daily", "Why Old Pick matters", "content/old.md")]
    assert b"/candidates/" not in tree["sitemap.xml"]
    assert not any(b"/candidates/" in data for path, data in tree.items() if path.endswith((".xml", ".json")))
    assert b'href="./candidates/"' in tree["index.html"]


def test_a_normal_build_has_no_candidates_page_nor_link(make_site, run_cli) -> None:
    root = make_site(SITE)
    assert run_cli("build", "--source", root)[0] == 0
    tree = read_tree(root / "output")
    assert [p for p in tree if "candidates" in p] == []
    assert not any(b"Candidates" in data or b"Pick" in data for data in tree.values())


def test_serve_drafts_has_it_in_memory_only(make_site) -> None:
    root = make_site(SITE)
    result = build_site(load_config(root, {"drafts": True}), Memory())
    pages = {f.rel_path: f.data for f in result.files}
    assert [c[0] for c in candidates(pages["candidates/index.html"])] == ["New Pick", "Draft Pick", "Old Pick"]
    assert not (root / "output").exists()
    public = build_site(load_config(root), Memory())
    assert "candidates/index.html" not in {f.rel_path for f in public.files}


def test_the_page_follows_edits_in_a_running_preview(make_site) -> None:
    root = make_site(SITE)
    cache = Memory()
    config = load_config(root, {"drafts": True})
    build_site(config, cache)
    first = build_site(config, cache)
    (root / "content/old.md").write_text(story("Old Pick", "2024-05-01T09:00:00Z", "Daily",
                                               "published: false\n").replace("Why Old", "Now old"))
    again = build_site(config, first.memory)
    page = {f.rel_path: f.data for f in again.files}["candidates/index.html"]
    assert candidates(page)[2][2] == "Now old Pick matters"


@pytest.mark.parametrize("theme", ("default", "compact"))
def test_the_candidates_page_is_accessible_in_chromium(page, node_tools, make_site, run_cli, theme) -> None:
    root = make_site({**SITE, "site.toml": SITE["site.toml"] + f'theme = "{theme}"\n'})
    assert run_cli("build", "--source", root, "--drafts")[0] == 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root / "output")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
        page.set_viewport_size({"width": 375, "height": 900})
        page.goto(f"http://127.0.0.1:{server.server_port}/candidates/", wait_until="load")
        assert page.locator("li.candidate h2").all_inner_texts() == ["New Pick", "Draft Pick", "Old Pick"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        violations = axe_violations(page)
        assert violations == [], describe_violations(violations)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
