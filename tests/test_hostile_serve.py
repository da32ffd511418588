"""`serve` stays responsive with hostile content: a quadratic Markdown body, a FIFO or a link to /dev/zero
gives the error overlay quickly, and fixing the file brings the site back."""

from __future__ import annotations

import html
import os

import pytest

from tests.test_serve import SITE, EventStream, Preview, story, write

PIPE_LINE = ("content/2024/pipe.md: a FIFO (named pipe), not a regular file; content files must be regular files "
             "(remove it)")
BRACKETS_LINE = ("content/2024/alpha.md:4: paragraph too long to render (over 10,000 characters without a blank "
                 "line); split it with blank lines")


@pytest.fixture
def preview(make_site):
    started: list[Preview] = []
    yield lambda: started.append(Preview(make_site(SITE))) or started[-1]
    for p in started:
        p.close()


@pytest.mark.timeout(120)
def test_serve_reports_hostile_content_and_recovers(preview) -> None:
    p = preview()
    stream = EventStream(p.port, p.server.live.current().generation)
    try:
        write(p.root / "content/2024/alpha.md", "---\ntitle: Alpha story\n---\n" + "[" * 20_000 + "]" * 20_000)
        assert stream.next_event(timeout=30)[0] == "reload"
        assert html.escape(BRACKETS_LINE) in p.html("/")
        write(p.root / "content/2024/alpha.md", story("Alpha fixed"))
        assert stream.next_event(timeout=30)[0] == "reload"
        assert "Alpha fixed" in p.html("/")
        os.mkfifo(p.root / "content/2024/pipe.md")
        assert stream.next_event(timeout=30)[0] == "reload"
        assert html.escape(PIPE_LINE) in p.html("/")
        os.unlink(p.root / "content/2024/pipe.md")
        (p.root / "content/2024/zero.md").symlink_to("/dev/zero")
        assert stream.next_event(timeout=30)[0] == "reload"
        assert html.escape("content/2024/zero.md: a character device, not a regular file") in p.html("/")
    finally:
        stream.close()
