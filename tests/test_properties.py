"""Property tests: no input makes the parser fail other than with a ContentError, and any title the
parser accepts reaches every output escaped, with its text unchanged."""

from __future__ import annotations

import html

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit
from html.parser import HTMLParser
from pathlib import Path

import feedparser
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from site_builder.commands.build import build_site
from site_builder.config import SiteConfig
from site_builder.stages.content import decode_source, parse_item
from site_builder.errors import ContentError, SiteErrors
from site_builder.model import Item
from site_builder.stages.schema import control_character
from site_builder.urls import is_web_url

CONFIG = SiteConfig(root=Path("/site"), output=Path("/site/output"))
ATOM = "{http://www.w3.org/2005/Atom}"

# Bytes that look like content often enough to reach the YAML and Markdown code, not only the decoder.
FRAGMENTS = [b"---\n", b"title: ", b"date: ", b"2024-13-45", b"topics: [", b"]", b"{", b"- ", b"  ", b"\n",
             b"\r\n", b"\xef\xbb\xbf", b"\xff", b"\x00", b"\x07", b"!!int ", b"&a ", b"*a", b"'", b'"', b"\\u",
             b"<script>", b"> ", b"# ", b"published: ", b"maybe", b"slug: ", b"../", b"http://x", b"images: "]
content_bytes = st.one_of(st.binary(max_size=400),
                          st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=8), max_size=40).map(b"".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=content_bytes, frontmatter=st.booleans(), name=st.sampled_from(["content/x.md", "content/x.txt"]))
@example(data=b"title: T\ndate: 2024-13-01\n---\n", frontmatter=True, name="content/x.md")
@example(data=b"title: !!bool maybe\n---\n", frontmatter=True, name="content/x.md")
@example(data=b"title: T\n---\n" + b"".join(b"  " * i + b"- x\n" for i in range(600)), frontmatter=True,
         name="content/x.md")
def test_any_bytes_give_an_item_or_a_content_error(data, frontmatter, name):
    raw = (b"---\n" if frontmatter else b"") + data
    try:
        item = parse_item(decode_source(raw, name, 1_700_000_000), CONFIG)
    except (ContentError, SiteErrors) as found:
        for exc in found.errors if isinstance(found, SiteErrors) else [found]:  # every problem of the file
            assert isinstance(exc, ContentError) and exc.path == name
            assert exc.line is None or exc.line >= 1
            assert str(exc).startswith(name + ":")
            assert "\n" not in str(exc)
    else:
        assert isinstance(item, Item)
        assert item.title == item.title.strip() and item.title


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`, whatever it holds."""
    return '"' + "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08x}" for c in text) + '"'


class _TitleFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "h1" and ("class", "story-title") in attrs:
            self.inside = True
            self.found.append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.found[-1] += data


def h1_title(page: str) -> str:
    finder = _TitleFinder()
    finder.feed(page)
    finder.close()
    assert len(finder.found) == 1
    return finder.found[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(title=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60))
@example(title="</script><script>alert(1)</script>")
@example(title="]]> & <b> 'x' \"y\" \u2028 \U0001F600")
@example(title="a\x07b")
@example(title=" \r\n\tline\tone\r\nline two\x85\u00a0")
@example(title="\ufeff\uffff")
def test_any_title_reaches_page_feeds_and_json_ld_unchanged(tmp_path_factory, title):
    root = tmp_path_factory.mktemp("site")
    (root / "content").mkdir()
    (root / "content/t.md").write_text(f"---\ntitle: {yaml_string(title)}\nslug: t\n"
                                       "date: 2024-05-01T09:00:00Z\n---\nBody.\n", encoding="utf-8")
    config = SiteConfig(root=root, output=root / "output", use_cache=False)
    expected = title.strip()
    if not expected or control_character(expected) is not None:
        try:
            build_site(config)
        except ContentError as exc:
            assert str(exc).startswith("content/t.md:2: title ")
            return
        raise AssertionError("a title that is empty or holds a control character was accepted")
    files = {f.rel_path: f.data for f in build_site(config).files}

    page = files["news/t/index.html"].decode()
    assert h1_title(page) == expected
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert not re.search(r"[<>&']", ld)
    assert json.loads(ld)["headline"] == expected

    rss = ET.fromstring(files["feed.xml"])
    # RSS readers may read a title as HTML: it carries the text escaped (test_feed_text.py).
    assert [html.unescape(i.findtext("title")) for i in rss.iter("item")] == [expected]
    assert [i.findtext("title") for i in rss.iter("item")] == [html.escape(expected, quote=False)]
    atom = ET.fromstring(files["atom.xml"])
    assert [e.findtext(f"{ATOM}title") for e in atom.iter(f"{ATOM}entry")] == [expected]
    parsed = feedparser.parse(files["atom.xml"])
    assert not parsed.bozo, parsed.bozo_exception
    assert len(parsed.entries) == 1


@given(st.from_regex(r"\A(?:[hH][tT][tT][pP][sS]?|ftp)?:?/{0,3}[a-z0-9.:@\[\] %\t-]{0,12}[/?#]?[\x20-\x7e\xe9\t]{0,8}\Z")
       | st.text(max_size=30))
@example("http://[::1]/")
@example("http://a b")
@example("https://münchen.de")
@example("HTTP://X")
@example("http://example.com:99999/x")
@example("http://[::1/story")
def test_the_quick_web_url_check_agrees_with_urlsplit(url):
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a port out of range or not a number is a ValueError
    except ValueError:
        assert not is_web_url(url)
        return
    assert is_web_url(url) == (parts.scheme in ("http", "https") and bool(parts.netloc))
