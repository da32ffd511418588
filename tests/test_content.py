"""The parser on every content shape, and each kind of bad input with its whole message."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from site_builder.config import SiteConfig
from site_builder.stages.content import decode_source, parse_item
from site_builder.errors import ContentError
from tests.conftest import SEEDS


def config(**kw) -> SiteConfig:
    return SiteConfig(root=Path("/site"), output=Path("/site/output"), **kw)


def parse(text: str | bytes, rel: str = "content/x.md", **kw):
    data = text.encode() if isinstance(text, str) else text
    return parse_item(decode_source(data, rel, 1_700_000_000), config(**kw))


def error_of(text: str | bytes, rel: str = "content/x.md", **kw) -> str:
    with pytest.raises(ContentError) as info:
        parse(text, rel, **kw)
    return str(info.value)


def test_markdown_with_frontmatter():
    item = parse("---\ntitle: Hello *world*\ndate: 2024-05-01T09:30:00Z\ntopics: [AI, Space]\n---\n"
                 "Some **bold** text.\n\n- one\n- two\n")
    assert item.title == "Hello *world*"
    assert item.kind == "article"
    assert item.date == datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)
    assert item.topics == ("AI", "Space")
    assert "<strong>bold</strong>" in item.body_html and "<li>one</li>" in item.body_html
    assert item.slug == "hello-world"


def test_frontmatter_only_is_a_link_item():
    item = parse(SEEDS[1].read_text(), "content/002.txt")
    assert item.kind == "link"
    assert item.body_html == ""
    assert item.published is False
    assert item.provider.name == "Metro" and item.provider.domain == "metro.co.uk"
    assert item.topics == ("AI",)
    assert item.images[0].width == 594 and item.images[0].height == 395
    assert item.related[0].provider.name == "Hindustan Times Tech"
    assert item.original_url.startswith("https://metro.co.uk/2023/11/27/")
    assert item.extra["secured"].startswith("VzYb")  # unknown keys are kept for themes
    assert item.date == datetime(2023, 11, 27, 7, 48, tzinfo=timezone.utc)


def test_plain_text_without_frontmatter():
    item = parse(SEEDS[0].read_text(), "content/000.txt")
    assert item.title == "Countering Western Hegemony: Putin Emphasizes AI Independence for Russia"
    assert item.kind == "text"
    assert item.date_from_mtime is True
    assert item.date == datetime.fromtimestamp(1_700_000_000, tz=timezone.utc)
    assert item.body_html.startswith("<p>In a recent address, Russian President Vladimir Putin")
    assert item.body_html.count("<p>") == 21  # every non-empty line after the title
    assert item.excerpt.startswith("In a recent address")


def test_plain_text_is_escaped_not_markdown():
    item = parse("Title line\n\nA <b>tag</b> & *stars*\nsecond line\n\nNext para\n", "content/t.txt")
    assert item.body_html == "<p>A &lt;b&gt;tag&lt;/b&gt; &amp; *stars* second line</p>\n<p>Next para</p>"


def test_text_with_frontmatter_keeps_plain_body():
    item = parse("---\ntitle: T\n---\nLine with *stars*\n", "content/t.txt")
    assert item.kind == "text"
    assert item.body_html == "<p>Line with *stars*</p>"


def test_single_topic_string_bom_crlf_and_naive_date():
    text = "\ufeff---\r\ntitle: T\r\ntopics: Space\r\ndate: 2024-05-01 09:30\r\n---\r\nBody\r\n"
    item = parse(text, timezone="Europe/London")
    assert item.topics == ("Space",)
    assert item.date.isoformat() == "2024-05-01T09:30:00+01:00"


def test_any_yaml_false_hides_and_draft_flag():
    for word in ("false", "no", "off", "False", "NO"):
        assert parse(f"---\ntitle: T\npublished: {word}\n---\n").published is False
    assert parse("---\ntitle: T\ndraft: true\n---\n").draft is True


def test_hostile_markdown_is_sanitized():
    item = parse("---\ntitle: T\n---\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
                 "<img src=x onerror=alert(1)> [ok](https://example.org/)\n")
    html = item.body_html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert '<a href="https://example.org/" rel="noopener noreferrer">ok</a>' in html


def test_trust_html_keeps_raw_html():
    item = parse("---\ntitle: T\n---\n<div class=\"box\">raw</div>\n", trust_html=True)
    assert '<div class="box">raw</div>' in item.body_html


@pytest.mark.parametrize("text, message", [
    ("---\ntitle: T\ntopics: [a\n---\n", "content/x.md:3: invalid YAML in frontmatter: "
     "did not find expected ',' or ']'"),
    ("---\ntitle: T\nbad: : x\n---\n", "content/x.md:3: invalid YAML in frontmatter: "
     "mapping values are not allowed in this context"),
    ("---\n- a\n- b\n---\n", "content/x.md:2: frontmatter must be a mapping of keys to values, not list"),
    ("---\nexcerpt: x\n---\n", "content/x.md:1: title is required"),
    ("---\ntitle: ''\n---\n", "content/x.md:2: title must not be empty"),
    ("---\ntitle: T\ntopics: 5\n---\n", "content/x.md:3: topics must be a list of strings, not 5"),
    ("---\ntitle: T\nimages: pic.jpg\n---\n", "content/x.md:3: images must be a list, not 'pic.jpg'"),
    ("---\ntitle: T\ndate: next tuesday\n---\n",
     "content/x.md:3: date: cannot read 'next tuesday' as a date (use ISO 8601, e.g. 2024-05-01T09:30:00Z)"),
    ("---\ntitle: T\npublished: maybe\n---\n", "content/x.md:3: published must be true or false, not 'maybe'"),
    ("---\ntitle: T\npublished: 'false'\n---\n", "content/x.md:3: published must be true or false without quotes, tags or anchors, not 'false'"),
    ("---\ntitle: T\nwebUrl: javascript:alert(1)\n---\n",
     "content/x.md:3: webUrl must be an http or https URL, not 'javascript:alert(1)'"),
    ("---\ntitle: T\nimages:\n  - url: data:image/png;base64,xx\n---\n",
     "content/x.md:4: images[0].url must be an http(s) URL or a path on this site such as /img/photo.png, "
     "not 'data:image/png;base64,xx'"),
    ("---\ntitle: T\nslug: ../etc\n---\n",
     "content/x.md:3: slug '../etc' may only hold lowercase letters, digits, '-', '_' and '.' (no '/', no '..')"),
    ("---\ntitle: T\n", "content/x.md:1: frontmatter opened with '---' on line 1 is never closed "
     "(add a '---' line after it)"),
    ("", "content/x.md:1: file is empty"),
    ("  \n\n", "content/x.md:1: file is empty"),
    ("just text", "content/x.md:1: Markdown files need YAML frontmatter starting with '---' on line 1 "
     "(at least a title)"),
])
def test_bad_input_messages(text, message):
    assert error_of(text) == message


def test_invalid_utf8_names_line():
    assert error_of(b"---\ntitle: T\n---\nok\n\xff\xfe bad\n") == \
        "content/x.md:5: not valid UTF-8 (byte 0xff); save the file as UTF-8"


def test_binary_file_is_an_error():
    assert error_of(b"\x89PNG\r\n\x1a\n\x00\x00", "content/x.txt") == \
        "content/x.txt:3: binary file (contains NUL bytes); content files must be UTF-8 text"


def test_yaml_error_line_counts_from_file_start():
    # The broken line is line 6 of the file, not line 5 of the frontmatter block.
    text = "---\ntitle: T\nexcerpt: fine\ntopics:\n  - a\n  b: [\n---\nbody\n"
    assert error_of(text).startswith("content/x.md:6: invalid YAML in frontmatter")


def test_seed_files_unchanged_in_repo():
    # The sample content keeps the seeds byte for byte: these are the digests of the files as delivered.
    digests = {seed.name: hashlib.sha256(seed.read_bytes()).hexdigest() for seed in SEEDS}
    assert digests == {
        "000_4160aa818435225f.txt": "80e33b88b0c97c5b86de3998fafc5cdbe0a099dc7988180df6edd3e13d76e796",
        "002_d7de35cb9cde7413.txt": "b30ff8939841f40dc6df82a2462d32efcda46873ea510ed009ee4c19b73899e0",
    }
