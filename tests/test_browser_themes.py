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


# Parts of a meta line ("Reuters", "09:30", "26 Nov 2023") that break over two lines, and parts that start a
# line of their own while their "·" (drawn 0.2em to 1.2em left of the part) is inside the visible box.
BROKEN_META_JS = """() => {
    const found = [];
    for (const time of document.querySelectorAll('main time')) {
        if (time.getClientRects().length > 1) found.push('time broken: ' + time.textContent);
    }
    for (const line of document.querySelectorAll('.meta-line')) {
        const box = line.getBoundingClientRect();
        for (const part of line.querySelectorAll('.meta-parts > *')) {
            const rects = part.getClientRects();
            if (rects.length > 1) { found.push('part broken: ' + part.textContent.trim()); continue; }
            const em = parseFloat(getComputedStyle(part).fontSize);
            const separatorRight = rects[0].left - 0.2 * em;
            const startsLine = rects[0].left - box.left < em;
            const drawn = getComputedStyle(part, '::before').content !== 'none';
            const clipped = getComputedStyle(line).overflowX !== 'visible' && separatorRight - 0.3 * em <= box.left;
            if (startsLine && drawn && !clipped) {
                found.push('line starts with a separator: ' + part.textContent.trim());
            }
        }
    }
    return found;
}"""


@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_page_renders_cleanly_and_accessibly(page, site_url, node_tools, artifacts_dir, theme, width, name):
    watch = PageWatch(page)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site_url}{theme}/{PAGES[name]}", wait_until="load")

    overflow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    broken_meta = page.evaluate(BROKEN_META_JS)
    scripts = page.evaluate("document.querySelectorAll('script:not([type=\"application/ld+json\"])').length")
    violations = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=artifacts_dir / f"{theme}-{name}-{width}-{scheme}.png", full_page=True)
        violations[scheme] = axe_violations(page)

    assert overflow[0] <= overflow[1], f"horizontal overflow: content is {overflow[0]} px wide in {overflow[1]} px"
    assert broken_meta == [], "meta lines broken into fragments or starting with '·'"
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



# --- Design: a day's lead, a home page that is not endless, images that fail quietly ---

def test_a_days_lead_is_its_top_ranked_story_with_or_without_an_image(make_site, run_cli):
    day = "publishedDateTime: 2024-05-01T{}:00:00Z"
    site = make_site({
        "site.toml": 'edition_order = "quality"\n',
        "content/a.md": f"---\ntitle: Top story without a picture\n{day.format('08')}\nquality: 9\n---\nText.\n",
        "content/b.md": f"---\ntitle: Lesser story with a picture\n{day.format('10')}\nquality: 2\n"
                        "images: [https://img.example.org/b.jpg]\n---\nText.\n",
    })

    assert run_cli("build", "--source", site)[0] == 0

    for page in ("index.html", "2024/05/01/index.html"):
        html = (site / "output" / page).read_text()
        lead = html.split('<article class="card', 2)[1]
        assert lead.startswith(' is-lead">') and "Top story without a picture" in lead, page
        assert html.count("is-lead") == 1


@pytest.mark.parametrize("theme", THEMES)
def test_ten_stories_make_a_home_page_well_under_2500_px(page, tmp_path, theme):
    from tests.conftest import REPO
    import shutil
    site = tmp_path / "sample"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "static", site / "static")
    build(load_config(site, {"theme": theme, "items_per_page": 10, "output": site / "output"}))
    heights = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto((site / "output" / "index.html").as_uri())
        heights[width] = page.evaluate("document.documentElement.scrollHeight")

    assert heights[1280] < 2100, heights
    assert heights[375] < 2900, heights


BROKEN_IMAGE_SITE = {
    "content/wind.md": "---\ntitle: Wind farm opens\npublishedDateTime: 2024-03-02T09:00:00Z\n"
                       "images:\n  - url: https://img.example.org/wind.jpg\n    alt: Turbines at sea at dawn\n"
                       "    width: 1200\n    height: 675\n---\nBody.\n",
}

PIXEL_RANGE_JS = """async (data) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + data;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width; canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const inset = 12;  // the rounded corners show the page behind them
    const px = ctx.getImageData(inset, inset, img.width - 2 * inset, img.height - 2 * inset).data;
    let low = 255, high = 0;
    for (let i = 0; i < px.length; i += 4) {
        const lum = 0.2126 * px[i] + 0.7152 * px[i + 1] + 0.0722 * px[i + 2];
        low = Math.min(low, lum); high = Math.max(high, lum);
    }
    return high - low;
}"""


@pytest.mark.parametrize("theme", THEMES)
def test_an_image_that_fails_to_load_leaves_a_quiet_panel_not_a_broken_box(page, make_site, artifacts_dir, theme):
    import base64
    site = make_site(BROKEN_IMAGE_SITE)
    build(load_config(site, {"theme": theme}))
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("https://img.example.org/**", lambda route: route.abort())
    page.set_viewport_size({"width": 375, "height": 900})
    spread = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto((site / "output" / "news" / "wind-farm-opens" / "index.html").as_uri())
        picture = page.locator(".lead-image img")
        assert picture.evaluate("img => img.complete && img.naturalWidth === 0"), "the image should have failed"
        shot = picture.screenshot(path=artifacts_dir / f"{theme}-broken-image-375-{scheme}.png")
        # The alt text and the broken-image icon would be dark on light (or light on dark): a quiet panel is
        # a soft gradient, all of one lightness give or take a little.
        spread[scheme] = page.evaluate(PIXEL_RANGE_JS, base64.b64encode(shot).decode())

    assert spread["light"] < 40 and spread["dark"] < 40, spread
    assert errors == []
