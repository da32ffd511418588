"""Hostile content costs bounded time and output: each limit gives one path:line error, exit 1, no output."""

from __future__ import annotations

import pytest

from site_builder.stages import limits
from site_builder.stages.content import render_markdown
from site_builder.stages.limits import LimitError, check_markdown

SITE = {"site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
        "content/good.md": "---\ntitle: Good\ndate: 2024-05-01T09:00:00Z\n---\nFine.\n"}
HEAD = "---\ntitle: T\ndate: 2024-05-01T09:00:00Z\n---\n"   # the body starts on line 5

# name -> (content/bad.md, the whole of stderr)
HOSTILE = {
    "brackets": (HEAD + "Intro.\n\n" + "[" * 20_000 + "]" * 20_000 + "\n",
                 "content/bad.md:7: paragraph too long to render (over 10,000 characters without a blank line); "
                 "split it with blank lines"),
    "brackets-over-lines": (HEAD + "\n".join(["["] * 4_000 + ["]"] * 4_000),
                            "content/bad.md:2005: too many links or tags in the body (over 2,000 '[' or '<' per "
                            "item); split the item"),
    "images-open": (HEAD + "![" * 1_000 + "\n",
                    "content/bad.md:5: too many links or tags for the length of their paragraphs ('[' and '<' "
                 "times their paragraph's length reach 2,001,000 here, at most 2,000,000); split long paragraphs with "
                 "blank lines"),
    "autolinks-open": (HEAD + "<http://a " * 500 + "\n",
                       "content/bad.md:5: too many links or tags for the length of their paragraphs ('[' and '<' "
                 "times their paragraph's length reach 2,500,500 here, at most 2,000,000); split long paragraphs with "
                 "blank lines"),
    "links-in-many-paragraphs": (HEAD + "\n\n".join(["[a](https://x.org/) " * 150] * 10),
                                 "content/bad.md:13: too many links or tags for the length of their paragraphs ('[' and '<' "
                 "times their paragraph's length reach 2,250,750 here, at most 2,000,000); split long paragraphs with "
                 "blank lines"),
    "tags-in-two-paragraphs": (HEAD + "\n\n".join(["<b>x</b> " * 120 + "word " * 1_000] * 2),
                               "content/bad.md:7: too many links or tags for the length of their paragraphs ('[' and '<' "
                 "times their paragraph's length reach 2,918,880 here, at most 2,000,000); split long paragraphs with "
                 "blank lines"),
    "one-huge-paragraph": (HEAD + "Some *text* with a [link](http://x) and `code`. " * 4_000,
                           "content/bad.md:5: paragraph too long to render (over 10,000 characters without a "
                           "blank line); split it with blank lines"),
    "body-too-long": (HEAD + "A short paragraph of plain prose.\n\n" * 20_000,
                      "content/bad.md:5: the body is too long to render (699,998 characters; at most 250,000); "
                      "split the item"),
    "nested-lists": (HEAD + "".join("  " * i + "- x\n" for i in range(100)),
                     "content/bad.md:37: nested too deeply (66 columns of indentation, quote and list markers; "
                     "at most 64)"),
    "nested-quotes": (HEAD + "text\n\n" + "> " * 2_000 + "deep\n",
                      "content/bad.md:7: nested too deeply (4000 columns of indentation, quote and list markers; "
                      "at most 64)"),
    "nested-bullets-on-one-line": (HEAD + "- " * 2_000 + "x\n",
                                   "content/bad.md:5: nested too deeply (4000 columns of indentation, quote and "
                                   "list markers; at most 64)"),
    "nested-ordered": (HEAD + "1. " * 100 + "x\n",
                       "content/bad.md:5: nested too deeply (300 columns of indentation, quote and list markers; "
                       "at most 64)"),
    "topics": ("---\ntitle: T\ntopics:\n" + "".join(f"  - topic {i}\n" for i in range(2_000)) + "---\nx\n",
               "content/bad.md:54: topics: 2,000 entries; an item may have at most 50"),
    "topics-flow": ("---\ntitle: T\ntopics: [" + ", ".join(f"t{i}" for i in range(51)) + "]\n---\n",
                    "content/bad.md:3: topics: 51 entries; an item may have at most 50"),
    "images": ("---\ntitle: T\nimages:\n" + "  - https://example.org/i.jpg\n" * 60 + "---\n",
               "content/bad.md:54: images: 60 entries; an item may have at most 50"),
    "related": ("---\ntitle: T\nrelated:\n" + "  - {title: R, webUrl: 'https://example.org/r'}\n" * 51 + "---\n",
                "content/bad.md:54: related: 51 entries; an item may have at most 50"),
    "topic-name": ("---\ntitle: T\ntopics:\n  - ok\n  - " + "long " * 100 + "\n---\n",
                   "content/bad.md:5: topics[1] is too long (499 characters; at most 200)"),
    "provider-name": ("---\ntitle: T\nprovider: " + "P" * 300 + "\n---\n",
                      "content/bad.md:3: provider is too long (300 characters; at most 200)"),
    "title": ("---\ntitle: " + "t" * 5_000 + "\n---\n",
              "content/bad.md:2: title is too long (5,000 characters; at most 1,000)"),
    "excerpt": ("---\ntitle: T\nexcerpt: " + "e " * 10_000 + "\n---\n",
                "content/bad.md:3: excerpt is too long (19,999 characters; at most 10,000)"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_content_is_refused_with_its_line(name, make_site, run_cli):
    text, message = HOSTILE[name]
    root = make_site({**SITE, "content/bad.md": text})
    code, _, err = run_cli("build", "--source", root)
    assert (code, err) == (1, message + "\n")
    assert not (root / "output").exists()
    code, out, _ = run_cli("check", "--source", root)
    assert code == 1 and message in out + _


@pytest.mark.timeout(60)
def test_a_plain_text_title_line_is_bounded(make_site, run_cli):
    root = make_site({**SITE, "content/bad.txt": "\n\n" + "w" * 2_000 + "\n\nbody\n"})
    code, _, err = run_cli("build", "--source", root)
    assert (code, err) == (1, "content/bad.txt:3: title (the first line) is too long (2,000 characters; "
                              "at most 1,000)\n")


@pytest.mark.timeout(60)
def test_content_at_the_limits_builds(make_site, run_cli):
    paragraph = "See [this](https://example.org/a) and <https://example.org/b>. " * 50   # 100 openers
    code_block = "```\n" + "x[<\n" * 5_000 + "```\n"    # code is not scanned for links
    nested = "".join("  " * i + "- level\n" for i in range(32))
    short = "\n\n".join(["Two [links](https://example.org/a) in [one](https://example.org/c) line."] * 700)
    body = "\n\n".join([paragraph] * 5 + [code_block, nested, short])
    topics = "".join(f"  - topic {i}\n" for i in range(limits.MAX_TOPICS))
    root = make_site({**SITE, "content/big.md": f"---\ntitle: Big\ndate: 2024-05-01T09:00:00Z\ntopics:\n{topics}"
                                                f"---\n{body}"})
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    page = (root / "output/news/big/index.html").read_text()
    assert page.count('href="https://example.org/a"') == 250 + 700


def test_limit_lines_count_from_the_body():
    with pytest.raises(LimitError) as caught:
        check_markdown("ok\n\n```\n" + "[" * 1_500 + "\n```\n\nfine\n\n" + "[" * 1_415)
    assert (caught.value.line, caught.value.message) == (
        9, "too many links or tags for the length of their paragraphs ('[' and '<' times their paragraph's "
           "length reach 2,003,640 here, at most 2,000,000); split long paragraphs with blank lines")


@pytest.mark.timeout(60)
def test_a_long_body_renders_in_a_worker_exactly_as_in_place():
    body = "\n\n".join(f"Paragraph {n} with a [link](https://example.org/{n}) and *emphasis*." for n in range(400))
    assert len(body) > limits.IN_PLACE_CHARS
    assert limits.render_within(lambda text: render_markdown(text, False), body) == render_markdown(body, False)


@pytest.mark.timeout(60)
def test_a_body_that_renders_too_long_is_stopped(make_site, run_cli, monkeypatch):
    monkeypatch.setattr(limits, "RENDER_SECONDS", 0.2)
    slow = "\n\n".join(["-\n" * 4_900] * 5)   # setext/rule lines: quadratic per paragraph, under every count limit
    root = make_site({**SITE, "content/slow.md": HEAD + slow})
    code, _, err = run_cli("build", "--source", root)
    assert (code, err) == (1, "content/slow.md:5: the body took more than 0.2 s to render and was stopped; "
                              "simplify it or split the item\n")
    assert not (root / "output").exists()


def test_a_recursion_error_in_the_worker_is_raised_again():
    def deep(text: str) -> str:
        raise RecursionError
    with pytest.raises(RecursionError):
        limits.render_within(deep, "x" * (limits.IN_PLACE_CHARS + 1))
