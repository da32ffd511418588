"""Both themes in headless Chromium at phone and desktop widths: no errors, no overflow, no axe violations."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from site_builder.commands.build import build
from site_builder.config import load_config
from tests.conftest import write_site
from tests.judges import axe_violations, describe_violations
from tests.varied_site import png_bytes, varied_site

THEMES = ("default", "compact")
WIDTHS = (375, 1280)
PAGES = {
    "home": "",
    "article": "news/eu-lawmakers-strike-a-deal-on-the-worlds-first-comprehensive-ai-rules/",
    "link": "news/chipmaker-posts-record-quarter-as-data-centre-demand-soars/",
    "topic": "topics/europe/",
    "day": "2023/12/01/",
    "archive": "archive/",
}
LOCAL_HOST = "127.0.0.1"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's parameter name
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """The varied site built in each theme (www/default/, www/compact/), served on 127.0.0.1 at a free port."""
    root = tmp_path_factory.mktemp("browser")
    site = write_site(root / "site", varied_site())
    for theme in THEMES:
        build(load_config(site, {"theme": theme, "output": root / "www" / theme}))
    server = ThreadingHTTPServer((LOCAL_HOST, 0), functools.partial(QuietHandler, directory=str(root / "www")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOCAL_HOST}:{server.server_port}/"
    server.shutdown()
    server.server_close()
    thread.join()


class PageWatch:
    """Everything that went wrong while a page loaded: console errors, failed requests, off-site fetches."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        self.image = png_bytes()
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(f"console error: {msg.text}"))
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: self.problems.append(f"request failed: {req.url} ({req.failure})"))
        page.on("response", lambda res: res.status >= 400 and self.problems.append(f"HTTP {res.status}: {res.url}"))
        page.route("**/*", self.route)

    def route(self, route) -> None:
        """Local requests go through; remote ones (lead images) get a local PNG, as there is no internet here.

        Only images may come from elsewhere: a theme's CSS, fonts and scripts must be its own.
        """
        request = route.request
        if urlsplit(request.url).hostname == LOCAL_HOST:
            route.continue_()
            return
        if request.resource_type != "image":
            self.problems.append(f"off-site {request.resource_type} requested: {request.url}")
        route.fulfill(status=200, content_type="image/png", body=self.image)


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_page_renders_cleanly_and_accessibly(page, site_url, node_tools, artifacts_dir, theme, width, name):
    watch = PageWatch(page)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site_url}{theme}/{PAGES[name]}", wait_until="load")

    overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    scripts = page.evaluate("document.querySelectorAll('script:not([type=\"application/ld+json\"])').length")
    violations = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=artifacts_dir / f"{theme}-{name}-{width}-{scheme}.png", full_page=True)
        violations[scheme] = axe_violations(page)

    assert overflow[0] <= overflow[1], f"horizontal overflow: content is {overflow[0]} px wide in {overflow[1]} px"
    assert scripts == 0, "pages must work without JavaScript, so they carry none"
    for scheme, found in violations.items():
        assert found == [], f"axe-core violations in the {scheme} colour scheme:\n{describe_violations(found)}"
    assert watch.problems == []


@pytest.mark.parametrize("theme", THEMES)
def test_keyboard_users_can_skip_to_the_content_and_see_focus(page, site_url, theme):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{site_url}{theme}/")

    page.keyboard.press("Tab")
    skip = page.evaluate("""() => {
        const el = document.activeElement, box = el.getBoundingClientRect(), style = getComputedStyle(el);
        return {text: el.textContent, top: box.top, height: box.height, outline: style.outlineStyle};
    }""")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    after = page.evaluate("document.activeElement.closest('main') !== null")

    assert skip["text"] == "Skip to content"
    assert skip["top"] >= 0 and skip["height"] > 0, f"the focused skip link is off screen: {skip}"
    assert skip["outline"] != "none", "focus must be visible"
    assert after, "after the skip link, the next Tab lands inside <main>"

