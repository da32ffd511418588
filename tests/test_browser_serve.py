"""Live reload in a real browser: headless Chromium against `site-builder serve --watch` in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.test_serve import BROKEN_LINE, BROKEN_YAML, story

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 30_000

SITE_TOML = 'title = "Browser Digest"\nbase_url = "https://example.com/digest/"\n'


SITE = {
    "site.toml": SITE_TOML,
    "content/2024/alpha.md": story("Alpha story"),
    "content/2024/beta.md": story("Beta story", topic="Climate", day="2024-05-02"),
}


class Server:
    """`python -m site_builder serve --watch` on a free port, stopped with Ctrl-C at the end."""

    def __init__(self, root: Path, log: Path) -> None:
        self.root = root
        self.log = log
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "site_builder", "serve", "--watch", "--source", str(root), "--port", "0"],
                stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=env)
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.log.read_text(encoding="utf-8")
            if "Serving at " in text:
                return text.split("Serving at ", 1)[1].split(" ", 1)[0]
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"the server did not start:\n{self.log.read_text(encoding='utf-8')}")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # as Ctrl-C
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.log.read_text(encoding="utf-8")


@pytest.fixture
def server(make_site, tmp_path) -> Iterator[Server]:
    s = Server(make_site(SITE), tmp_path / "serve.log")
    yield s
    output = s.stop()
    assert s.proc.returncode == 0, output
    assert "Traceback" not in output, output
    assert not (s.root / "output").exists()


@pytest.fixture
def site_page(server: Server, page: Page) -> Page:
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server.url)
    return page


def edit(page: Page, change: Callable[[], None]) -> None:
    """Make a change once the page listens for reloads, then wait until it has reloaded and listens again."""
    page.wait_for_function("window.__siteBuilderConnected === true", timeout=TIMEOUT_MS)
    page.evaluate("window.__beforeEdit = true")
    change()
    page.wait_for_function("window.__beforeEdit === undefined && window.__siteBuilderConnected === true",
                           timeout=TIMEOUT_MS)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def story_link(page: Page, title: str):
    return page.locator("main").get_by_role("link", name=title, exact=True)


def test_the_page_reloads_with_a_changed_title(server: Server, site_page: Page) -> None:
    expect(story_link(site_page, "Alpha story")).to_have_count(1)
    edit(site_page, lambda: write(server.root / "content/2024/alpha.md", story("Alpha retitled")))
    expect(story_link(site_page, "Alpha retitled")).to_have_count(1)
    expect(story_link(site_page, "Alpha story")).to_have_count(0)


def test_broken_yaml_shows_the_overlay_until_it_is_fixed(server: Server, site_page: Page) -> None:
    edit(site_page, lambda: write(server.root / "content/2024/alpha.md", BROKEN_YAML))
    alert = site_page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(BROKEN_LINE)
    assert alert.evaluate("e => getComputedStyle(e).position") == "fixed"
    expect(story_link(site_page, "Alpha story")).to_have_count(1)  # the last good site, under the overlay
    site_page.reload()  # a manual reload shows it too
    expect(site_page.get_by_role("alert")).to_contain_text(BROKEN_LINE)
    edit(site_page, lambda: write(server.root / "content/2024/alpha.md", story("Alpha mended")))
    expect(site_page.get_by_role("alert")).to_have_count(0)
    expect(story_link(site_page, "Alpha mended")).to_have_count(1)


def test_the_error_box_is_readable_on_a_phone_and_can_be_dismissed_from_the_keyboard(server: Server,
                                                                                    site_page: Page) -> None:
    site_page.set_viewport_size({"width": 375, "height": 667})
    edit(site_page, lambda: write(server.root / "content/2024/alpha.md", BROKEN_YAML))
    alert = site_page.get_by_role("alert")
    expect(alert).to_be_visible()
    text = alert.inner_text()
    # Plain words first: where and what; the parser's words after them.
    assert text.index("content/2024/alpha.md, line 3: the frontmatter (between the --- lines) is not valid YAML") \
        < text.index("mapping values are not allowed in this context")
    box = alert.bounding_box()
    assert box is not None and box["height"] <= 0.36 * 667 and box["width"] <= 375
    site_page.get_by_role("button", name="Dismiss the build errors").focus()
    site_page.keyboard.press("Enter")
    expect(site_page.get_by_role("alert")).to_have_count(0)
    site_page.reload()  # still broken: the box is back, and Escape dismisses it too
    expect(site_page.get_by_role("alert")).to_be_visible()
    site_page.keyboard.press("Escape")
    expect(site_page.get_by_role("alert")).to_have_count(0)


def test_an_unpublished_item_leaves_the_home_page_its_topic_page_and_the_feed(server: Server, site_page: Page) -> None:
    feed = site_page.request.get(server.url + "feed.xml")
    assert feed.headers["content-type"] == "application/rss+xml" and "Alpha story" in feed.text()
    edit(site_page, lambda: write(server.root / "content/2024/alpha.md", story("Alpha story", published=False)))
    expect(story_link(site_page, "Alpha story")).to_have_count(0)
    expect(story_link(site_page, "Beta story")).to_have_count(1)
    site_page.goto(server.url + "topics/ai/")
    expect(site_page.locator("main")).not_to_contain_text("Alpha story")
    assert "Alpha story" not in site_page.request.get(server.url + "feed.xml").text()
    assert site_page.request.get(server.url + "news/alpha-story/").status == 404


def test_files_created_renamed_and_deleted(server: Server, site_page: Page) -> None:
    content = server.root / "content"
    edit(site_page, lambda: write(content / "2024/gamma.md", story("Gamma story", day="2024-05-03")))
    expect(story_link(site_page, "Gamma story")).to_have_count(1)
    edit(site_page, lambda: (content / "2024/gamma.md").rename(content / "2024/gamma-renamed.md"))
    expect(story_link(site_page, "Gamma story")).to_have_count(1)
    edit(site_page, lambda: (content / "2024/gamma-renamed.md").unlink())
    expect(story_link(site_page, "Gamma story")).to_have_count(0)
    expect(story_link(site_page, "Alpha story")).to_have_count(1)


def test_an_atomic_save_is_picked_up(server: Server, site_page: Page) -> None:
    target = server.root / "content/2024/alpha.md"

    def atomic_save() -> None:
        temp = target.with_name(".alpha.md.tmp-1234")  # as editors do: write beside, then rename over
        temp.write_text(story("Alpha saved atomically"), encoding="utf-8")
        os.replace(temp, target)

    edit(site_page, atomic_save)
    expect(story_link(site_page, "Alpha saved atomically")).to_have_count(1)


def test_moving_files_between_folders(server: Server, site_page: Page) -> None:
    content = server.root / "content"

    def into_a_new_folder() -> None:  # one created after the server started
        (content / "archive/old").mkdir(parents=True)
        (content / "2024/alpha.md").rename(content / "archive/old/alpha.md")

    edit(site_page, into_a_new_folder)
    expect(story_link(site_page, "Alpha story")).to_have_count(1)
    # Out of content/ altogether, and back in.
    edit(site_page, lambda: (content / "archive/old/alpha.md").rename(server.root / "alpha.md"))
    expect(story_link(site_page, "Alpha story")).to_have_count(0)
    edit(site_page, lambda: (server.root / "alpha.md").rename(content / "2024/alpha.md"))
    expect(story_link(site_page, "Alpha story")).to_have_count(1)


def test_a_template_override_and_site_toml_are_watched(server: Server, site_page: Page) -> None:
    edit(site_page, lambda: write(server.root / "site.toml", SITE_TOML.replace("Browser Digest", "Renamed Digest")))
    expect(site_page.locator("header")).to_contain_text("Renamed Digest")
    edit(site_page, lambda: write(server.root / "templates/home.html",
                                  "{% extends 'base.html' %}{% block main %}<h1>Custom home</h1>{% endblock %}"))
    expect(site_page.get_by_role("heading", name="Custom home")).to_be_visible()
