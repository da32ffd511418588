"""Bad input, hostile content and failures, through the CLI: one whole line per problem, exit 1, no
traceback, and output/ exactly as the last good build left it."""

from __future__ import annotations

import html
import inspect
import json
import pickle
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from site_builder.config import SiteConfig
from site_builder.stages.content import decode_source, parse_item
from site_builder.errors import ConfigError, ContentError, OutputError, SiteError, SiteErrors, ThemeError
from tests.conftest import REPO, read_tree, write_site

GOOD = {
    "site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
    "content/good.md": "---\ntitle: Good Story\ndate: 2024-05-01T09:00:00Z\ntopics: [AI]\n"
                       "originalUrl: https://example.com/good\n---\nBody of the good story.\n",
    "content/plain.txt": "Plain Story\n\nA plain paragraph.\n",
}

BIG = "---\ntitle: Big\n---\n" + "x" * (5 * 1024 * 1024)
TOML_HEAD = 'title = "Digest"\n'

# name -> (files added to the good site, the whole of stderr)
BAD = {
    "yaml-syntax": ({"content/bad.md": "---\ntitle: T\ntopics: [a, b\ndate: 2024-05-01\n---\nBody\n"},
                    "content/bad.md:3: invalid YAML in frontmatter: did not find expected ',' or ']'"),
    "yaml-indent": ({"content/bad.md": "---\ntitle: T\n  excerpt: x\n---\n"},
                    "content/bad.md:3: invalid YAML in frontmatter: mapping values are not allowed in this context"),
    "frontmatter-list": ({"content/bad.md": "---\n- a\n- b\n---\n"},
                         "content/bad.md:2: frontmatter must be a mapping of keys to values, not list"),
    "frontmatter-text": ({"content/bad.md": "---\njust words\n---\n"},
                         "content/bad.md:2: frontmatter must be a mapping of keys to values, not str"),
    "title-missing": ({"content/bad.md": "---\nexcerpt: x\n---\n"}, "content/bad.md:1: title is required"),
    "title-empty": ({"content/bad.md": "---\ntitle: ''\n---\n"}, "content/bad.md:2: title must not be empty"),
    "title-blank": ({"content/bad.md": "---\nexcerpt: x\ntitle: '   '\n---\n"},
                    "content/bad.md:3: title must not be empty"),
    "title-list": ({"content/bad.md": "---\ntitle: [a, b]\n---\n"}, "content/bad.md:2: title must be text, not list"),
    "topics-number": ({"content/bad.md": "---\ntitle: T\ntopics: 5\n---\n"},
                      "content/bad.md:3: topics must be a list of strings, not 5"),
    "topics-entry": ({"content/bad.md": "---\ntitle: T\ntopics:\n  - AI\n  - 7\n---\n"},
                     "content/bad.md:5: topics[1] must be a non-empty string, not 7"),
    "images-string": ({"content/bad.md": "---\ntitle: T\nimages: pic.jpg\n---\n"},
                      "content/bad.md:3: images must be a list, not 'pic.jpg'"),
    "provider-number": ({"content/bad.md": "---\ntitle: T\nprovider: 5\n---\n"},
                        "content/bad.md:3: provider must be a mapping of keys to values, not 5"),
    "quality-text": ({"content/bad.md": "---\ntitle: T\nquality: high\n---\n"},
                     "content/bad.md:3: quality must be a number, not 'high'"),
    "date-words": ({"content/bad.md": "---\ntitle: T\ndate: next tuesday\n---\n"},
                   "content/bad.md:3: date: cannot read 'next tuesday' as a date (use ISO 8601, e.g. 2024-05-01T09:30:00Z)"),
    "date-month-13": ({"content/bad.md": "---\ntitle: T\npublishedDateTime: 2024-13-01\n---\n"},
                      "content/bad.md:3: invalid YAML in frontmatter: cannot read '2024-13-01' as a date"),
    "date-year-1": ({"content/bad.md": "---\ntitle: T\ndate: 0001-01-01T00:00:00Z\n---\n"},
                    "content/bad.md:3: date: year 1 is out of range (1000 to 9998)"),
    "date-twice": ({"content/bad.md": "---\ntitle: T\ndate: 2024-05-01\npublishedDateTime: 2024-05-01\n---\n"},
                   "content/bad.md:3: date and publishedDateTime are the same field; keep one"),
    "published-maybe": ({"content/bad.md": "---\ntitle: T\npublished: maybe\n---\n"},
                        "content/bad.md:3: published must be true or false, not 'maybe'"),
    "published-quoted": ({"content/bad.md": "---\ntitle: T\npublished: 'false'\n---\n"},
                         "content/bad.md:3: published must be true or false without quotes, tags or anchors, not 'false'"),
    "draft-number": ({"content/bad.md": "---\ntitle: T\ndraft: 1\n---\n"},
                     "content/bad.md:3: draft must be true or false, not 1"),
    "yaml-tag": ({"content/bad.md": "---\ntitle: T\nheat: !!int lots\n---\n"},
                 "content/bad.md:3: invalid YAML in frontmatter: cannot read 'lots' as a whole number"),
    "invalid-utf8": ({"content/bad.md": b"---\ntitle: T\n---\nok\ncaf\xe9\n"},
                     "content/bad.md:5: not valid UTF-8 (byte 0xe9); save the file as UTF-8"),
    "empty-file": ({"content/bad.md": ""}, "content/bad.md:1: file is empty"),
    "blank-file": ({"content/bad.txt": " \n\n"}, "content/bad.txt:1: file is empty"),
    "unclosed": ({"content/bad.md": "---\ntitle: T\n"},
                 "content/bad.md:1: frontmatter opened with '---' on line 1 is never closed (add a '---' line after it)"),
    "no-frontmatter": ({"content/bad.md": "# Just a heading\n"},
                       "content/bad.md:1: Markdown files need YAML frontmatter starting with '---' on line 1 "
                       "(at least a title)"),
    "nul-bytes": ({"content/bad.md": b"---\ntitle: T\n---\n\x00\x01"},
                  "content/bad.md:4: binary file (contains NUL bytes); content files must be UTF-8 text"),
    "control-in-body": ({"content/bad.md": "---\ntitle: T\n---\nfine\nbell \x07 here\n"},
                        "content/bad.md:5: contains the control character U+0007; remove it "
                        "(content files must be plain text)"),
    "control-in-title": ({"content/bad.md": '---\ntitle: "ring \\a"\n---\n'},
                         "content/bad.md:2: title contains the control character U+0007; remove it"),
    "control-in-topic": ({"content/bad.md": '---\ntitle: T\ntopics: ["a\\x1b[0m"]\n---\n'},
                         "content/bad.md:3: topics[0] contains the control character U+001B; remove it"),
    "huge-file": ({"content/bad.md": BIG},
                  "content/bad.md: file is too large (5,242,899 bytes); content files are limited to 5 MiB"),
    "nested-too-deep": ({"content/bad.md": "---\ntitle: T\n---\n" + "".join("  " * i + "- x\n" for i in range(100))},
                        "content/bad.md:36: nested too deeply (66 columns of indentation, quote and list "
                        "markers; at most 64)"),
    "slug-slash": ({"content/bad.md": "---\ntitle: T\nslug: a/b\n---\n"},
                   "content/bad.md:3: slug 'a/b' may only hold lowercase letters, digits, '-', '_' and '.' "
                   "(no '/', no '..')"),
    "slug-dots": ({"content/bad.md": "---\ntitle: T\nslug: ..\n---\n"},
                  "content/bad.md:3: slug '..' may only hold lowercase letters, digits, '-', '_' and '.' "
                  "(no '/', no '..')"),
    "slug-unsafe": ({"content/bad.md": "---\ntitle: T\nslug: 'Hello World!'\n---\n"},
                    "content/bad.md:3: slug 'Hello World!' may only hold lowercase letters, digits, '-', '_' "
                    "and '.' (no '/', no '..')"),
    "slug-equal": ({"content/one.md": "---\ntitle: One\ndate: 2024-05-01\nslug: same\n---\n",
                    "content/two.md": "---\ntitle: Two\ndate: 2024-05-02\n\nslug: same\n---\n"},
                   "content/two.md:5: slug 'same' gives URL /news/same/, already used by content/one.md; "
                   "choose another slug"),
    "slug-reserved": ({"content/bad.md": "---\ntitle: T\nslug: topics\n---\n",
                       "site.toml": TOML_HEAD + 'permalink = "/{slug}/"\n'},
                      "content/bad.md:3: slug 'topics' gives URL /topics/, already used by the site's own pages; "
                      "choose another slug"),
    "toml-syntax": ({"site.toml": TOML_HEAD + 'base_url = "http://x/\n'}, "site.toml:2: invalid TOML: Illegal character '\\n'"),
    "toml-unknown-key": ({"site.toml": TOML_HEAD + '\nitem_per_page = 10\n'},
                         "site.toml:3: unknown key 'item_per_page' (did you mean 'items_per_page'?)"),
    "toml-wrong-type": ({"site.toml": TOML_HEAD + 'items_per_page = "ten"\n'},
                        "site.toml:2: 'items_per_page' must be a whole number, not 'ten'"),
    "toml-not-bool": ({"site.toml": TOML_HEAD + 'trust_html = "yes"\n'},
                      "site.toml:2: 'trust_html' must be true or false, not 'yes'"),
    "toml-utf8": ({"site.toml": b'title = "Digest"\ndescription = "caf\xe9"\n'},
                  "site.toml:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8"),
    "toml-base-url": ({"site.toml": TOML_HEAD + 'base_url = "ftp://example.org/"\n'},
                      "site.toml:2: base_url must be an absolute http(s) URL, not 'ftp://example.org/'"),
    "toml-timezone": ({"site.toml": TOML_HEAD + 'timezone = "Mars/Olympus"\n'},
                      "site.toml:2: unknown timezone 'Mars/Olympus' (use an IANA name such as 'Europe/London')"),
    "toml-control": ({"site.toml": 'title = "Digest\\u0007"\n'},
                     "site.toml:1: title contains the control character U+0007; remove it"),
    "permalink-dots": ({"site.toml": TOML_HEAD + 'permalink = "/news/../{slug}/"\n'},
                       "site.toml:2: permalink must look like '/news/{slug}/' (start and end with '/', plain path "
                       "characters), not '/news/../{slug}/'"),
    "permalink-no-slash": ({"site.toml": TOML_HEAD + 'permalink = "/news/{slug}"\n'},
                           "site.toml:2: permalink must look like '/news/{slug}/' (start and end with '/', plain path "
                           "characters), not '/news/{slug}'"),
    "permalink-unsafe": ({"site.toml": TOML_HEAD + 'permalink = "/news?x=1/{slug}/"\n'},
                         "site.toml:2: permalink must look like '/news/{slug}/' (start and end with '/', plain path "
                         "characters), not '/news?x=1/{slug}/'"),
    "permalink-no-slug": ({"site.toml": TOML_HEAD + 'permalink = "/news/{year}/"\n'},
                          "site.toml:2: permalink must contain {slug}"),
    "permalink-field": ({"site.toml": TOML_HEAD + 'permalink = "/news/{hour}/{slug}/"\n'},
                        "site.toml:2: permalink has unknown field {hour} (use {slug}, {year}, {month}, {day})"),
    "permalink-reserved": ({"site.toml": TOML_HEAD + 'permalink = "/topics/{slug}/"\n'},
                           "site.toml:2: permalink may not start with /topics/: the site's own pages live there"),
    "theme-missing": ({"site.toml": TOML_HEAD + 'theme = "nope"\n'},
                      "site.toml:2: theme 'nope' not found (available: compact, default)"),
    "template-syntax": ({"templates/item.html": '{% extends "base.html" %}\n{% block main %}\n{% if %}\n{% endblock %}\n'},
                        "templates/item.html:3: template syntax error: Expected an expression, got 'end of statement block'"),
}

# field -> (frontmatter lines holding {url}, the key path in the message, its line)
URL_FIELDS = {
    "originalUrl": ("originalUrl: '{url}'\n", "originalUrl", 3),
    "webUrl": ("webUrl: '{url}'\n", "webUrl", 3),
    "ampWebUrl": ("ampWebUrl: '{url}'\n", "ampWebUrl", 3),
    "cdnAmpWebUrl": ("cdnAmpWebUrl: '{url}'\n", "cdnAmpWebUrl", 3),
    "images": ("images: ['{url}']\n", "images[0]", 3),
    "images-url": ("images:\n  - url: '{url}'\n", "images[0].url", 4),
    "related-webUrl": ("related:\n  - title: R\n    webUrl: '{url}'\n", "related[0].webUrl", 5),
    "related-originalUrl": ("related:\n  - title: R\n    originalUrl: '{url}'\n", "related[0].originalUrl", 5),
}
HOSTILE_URLS = ["javascript:alert(1)", "JavaScript:alert(1)", "java\tscript:alert(1)", "vbscript:msgbox(1)",
                "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "//evil.example/x", "/local/path"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The good site, built once; each test works on a copy of it."""
    from site_builder.cli import main
    root = write_site(tmp_path_factory.mktemp("good") / "site", GOOD)
    assert main(["build", "--source", str(root), "--no-cache"]) == 0
    return root


@pytest.fixture
def good_site(built, tmp_path):
    root = tmp_path / "site"
    shutil.copytree(built, root)
    return root


def add_files(root: Path, files: dict[str, str | bytes]) -> None:
    write_site(root, files)


@pytest.mark.parametrize("files, message", BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line_exit_1_and_output_untouched(good_site, run_cli, files, message):
    before = read_tree(good_site / "output")
    add_files(good_site, files)
    code, out, err = run_cli("build", "--source", good_site)
    assert (code, out, err) == (1, "", message + "\n")
    assert read_tree(good_site / "output") == before
    assert not list(good_site.glob(".output.tmp-*"))


@pytest.mark.parametrize("url", HOSTILE_URLS)
@pytest.mark.parametrize("field", URL_FIELDS)
def test_urls_in_frontmatter_must_be_http(field, url):
    template, key, line = URL_FIELDS[field]
    text = "---\ntitle: T\n" + template.format(url=url) + "---\n"
    with pytest.raises(ContentError) as info:
        # A site whose static/ holds no files: a site path names none of them.
        parse_item(decode_source(text.encode(), "content/x.md", 0), SiteConfig(Path("/s"), Path("/s/output")),
                   assets={})
    if not field.startswith("images"):
        assert str(info.value) == f"content/x.md:{line}: {key} must be an http or https URL, not {url!r}"
    elif url == "/local/path":  # images may be site paths served from static/: this one is not there
        assert str(info.value) == (f"content/x.md:{line}: {key}: no file /local/path in static/ (put the image at "
                                   "static/local/path, or use an http(s) URL)")
    else:
        assert str(info.value) == (f"content/x.md:{line}: {key} must be an http(s) URL or a path on this site "
                                   f"such as /img/photo.png, not {url!r}")


def test_a_hostile_url_fails_the_build_with_its_line(good_site, run_cli):
    before = read_tree(good_site / "output")
    add_files(good_site, {"content/bad.md": "---\ntitle: T\nexcerpt: x\nwebUrl: javascript:alert(document.cookie)\n---\n"})
    code, out, err = run_cli("build", "--source", good_site)
    assert (code, out) == (1, "")
    assert err == "content/bad.md:4: webUrl must be an http or https URL, not 'javascript:alert(document.cookie)'\n"
    assert read_tree(good_site / "output") == before


def test_a_body_too_deep_to_render_does_not_spoil_the_next_one():
    config = SiteConfig(Path("/s"), Path("/s/output"))
    deep = decode_source(("---\ntitle: T\n---\n" + "".join("  " * i + "- x\n" for i in range(80))).encode(),
                         "content/deep.md", 0)
    plain = decode_source(b"---\ntitle: T\n---\nSome <b>bold</b> text\n", "content/next.md", 0)
    here = len(inspect.stack(0))
    limit = sys.getrecursionlimit()
    # The recursion limit strikes at a different point of the Markdown converter for each stack size.
    for room in range(60, 400, 6):
        sys.setrecursionlimit(here + room)
        try:
            parse_item(deep, config)
        except (ContentError, RecursionError):
            pass
        finally:
            sys.setrecursionlimit(limit)
        assert parse_item(plain, config).body_html == "<p>Some <b>bold</b> text</p>", room


def test_every_error_is_reported_at_once_sorted(good_site, run_cli):
    add_files(good_site, {"content/z.md": "---\ntitle: Z\npublished: maybe\n---\n",
                          "content/a.md": b"\xff", "content/m.txt": ""})
    code, _, err = run_cli("build", "--source", good_site)
    assert code == 1
    assert err == ("content/a.md:1: not valid UTF-8 (byte 0xff); save the file as UTF-8\n"
                   "content/m.txt:1: file is empty\n"
                   "content/z.md:3: published must be true or false, not 'maybe'\n")


def test_a_first_build_that_fails_writes_nothing(make_site, run_cli):
    root = make_site({**GOOD, "content/bad.md": "---\ntitle: T\ntopics: 5\n---\n"})
    code, _, err = run_cli("build", "--source", root)
    assert (code, err) == (1, "content/bad.md:3: topics must be a list of strings, not 5\n")
    assert sorted(p.name for p in root.iterdir()) == ["content", "site.toml"]


def test_bom_crlf_and_naive_date_simply_work(make_site, run_cli):
    root = make_site({**GOOD, "site.toml": GOOD["site.toml"] + 'timezone = "Europe/London"\n',
                      "content/win.md": "\ufeff---\r\ntitle: Windows Story\r\ndate: 2024-05-01 09:30\r\n---\r\n"
                                        "First line.\r\n\r\nSecond.\r\n"})
    code, out, err = run_cli("build", "--source", root)
    assert (code, err) == (0, "warning: content/plain.txt: no date in the file; using its modification time "
                              "(2023-11-14 22:13 UTC)\n")
    page = (root / "output/news/windows-story/index.html").read_text()
    assert '<time datetime="2024-05-01T09:30:00+01:00">1 May 2024, 09:30 BST</time>' in page
    assert "<p>First line.</p>\n<p>Second.</p>" in page and "\r" not in page


def test_files_that_are_not_content_are_skipped_with_a_warning(make_site, run_cli):
    root = make_site({**GOOD, "content/photo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                      "content/notes.docx": b"PK\x03\x04\x00", ".hidden.md": "x", "content/.draft.md": "\x00"})
    code, out, err = run_cli("build", "--source", root)
    assert code == 0
    assert err == ("warning: content/notes.docx: skipped: not a content file (content files end in .md, .markdown, .txt)\n"
                   "warning: content/photo.png: skipped: not a content file (content files end in .md, .markdown, .txt)\n"
                   "warning: content/plain.txt: no date in the file; using its modification time (2023-11-14 22:13 UTC)\n")
    assert not any("photo" in p or "notes" in p for p in read_tree(root / "output"))


def test_a_file_of_exactly_5_mib_is_accepted(make_site, run_cli):
    # Plain text: a Markdown body that long is refused by the render limits (test_limits.py).
    head = "---\ntitle: Long\ndate: 2024-05-01T09:00:00Z\n---\n"
    root = make_site({**GOOD, "content/long.txt": head + "x" * (5 * 1024 * 1024 - len(head))})
    assert (root / "content/long.txt").stat().st_size == 5 * 1024 * 1024
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err


def test_no_traceback_without_debug_but_one_with_it(good_site):
    add_files(good_site, {"content/bad.md": "---\ntitle: T\ntopics: 5\n---\n"})
    plain = subprocess.run([sys.executable, "-m", "site_builder", "build", "--source", good_site],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
    assert (plain.returncode, plain.stderr) == (1, "content/bad.md:3: topics must be a list of strings, not 5\n")
    debug = subprocess.run([sys.executable, "-m", "site_builder", "--debug", "build", "--source", good_site],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
    assert debug.returncode == 1
    assert "\nTraceback (most recent call last):\n" in "\n" + debug.stderr  # after --debug's log lines
    assert debug.stderr.endswith("site_builder.errors.ContentError: "
                                 "content/bad.md:3: topics must be a list of strings, not 5\n")


def test_debug_after_the_subcommand_also_raises(good_site, run_cli):
    add_files(good_site, {"content/bad.md": "---\ntitle: T\ntopics: 5\n---\n"})
    with pytest.raises(ContentError, match=r"^content/bad.md:3: topics must be a list of strings, not 5$"):
        run_cli("build", "--source", good_site, "--debug")


def test_a_command_line_value_is_not_blamed_on_site_toml(good_site, run_cli):
    add_files(good_site, {"site.toml": TOML_HEAD + 'base_url = "https://example.org/"\n'})
    code, _, err = run_cli("build", "--source", good_site, "--base-url", "ftp://x/")
    assert (code, err) == (1, "base_url must be an absolute http(s) URL, not 'ftp://x/'\n")
    code, _, err = run_cli("build", "--source", good_site, "--theme", "nope")
    assert (code, err) == (1, "theme 'nope' not found (available: compact, default)\n")


@pytest.mark.parametrize("permalink, url", [("/{year}/{month}/{slug}/", "2024/05/good-story/"),
                                            ("/{year}/{month}/{day}/{slug}/", "2024/05/01/good-story/"),
                                            ("/{slug}/", "good-story/")])
def test_permalinks_under_the_edition_folders_build(good_site, run_cli, permalink, url):
    add_files(good_site, {"site.toml": TOML_HEAD + f'permalink = "{permalink}"\n'})
    code, _, err = run_cli("build", "--source", good_site)
    assert code == 0, err
    assert (good_site / "output" / url / "index.html").is_file()
    assert (good_site / "output/2024/05/01/index.html").is_file()


# --- Errors survive pickling: the build parses and renders in worker processes. ---

@pytest.mark.parametrize("error", [ContentError("topics must be a list", "content/x.md", 4),
                                   ConfigError("bad key", "site.toml", 2), ThemeError("syntax", "item.html", 3),
                                   OutputError("refusing"), SiteError("plain")], ids=lambda e: type(e).__name__)
def test_errors_survive_pickling(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (str(copy), copy.path, copy.line, copy.message) == (str(error), error.path, error.line, error.message)


def test_gathered_errors_survive_pickling():
    errors = SiteErrors([ContentError("b", "content/b.md", 2), ContentError("a", "content/a.md", 9)])
    copy = pickle.loads(pickle.dumps(errors))
    assert str(copy) == "content/a.md:9: a\ncontent/b.md:2: b"
    assert [(e.path, e.line) for e in copy.errors] == [("content/a.md", 9), ("content/b.md", 2)]


# --- Hostile content: escaped wherever it is shown, never markup, never a way out of output/. ---

EVIL = "<script>alert(\"x\")</script> & 'q' ]]> </title>"
HOSTILE = {
    "site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
    "content/evil.md": "---\n"
                       f"title: {json.dumps(EVIL)}\n"
                       f"excerpt: {json.dumps('Excerpt ' + EVIL)}\n"
                       f"topics: [{json.dumps('Topic ' + EVIL)}, '../../etc', '..']\n"
                       f"provider:\n  name: {json.dumps('Wire ' + EVIL)}\n  domain: wire.example\n"
                       "slug: evil\ndate: 2024-05-01T09:00:00Z\n"
                       "originalUrl: https://wire.example/story?a=1&b=<2>\n"
                       "related:\n  - title: " + json.dumps("Related " + EVIL) + "\n"
                       "    webUrl: https://other.example/r\n"
                       "---\n"
                       "<script>alert(1)</script>\n\n"
                       "<img src=x onerror=alert(2)> [click](javascript:alert(3)) "
                       "<a href=\"https://ok.example/\" onclick=\"alert(4)\">ok</a>\n\n"
                       "<iframe src=\"https://evil.example/\"></iframe><style>body{display:none}</style>\n",
    "content/dots.md": "---\ntitle: Dots\nprovider: '..'\ntopics: ['../../etc']\ndate: 2024-05-02T09:00:00Z\n---\n",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from site_builder.cli import main
    base = tmp_path_factory.mktemp("hostile")
    root = write_site(base / "site", HOSTILE)
    outside_before = sorted(p.relative_to(base).as_posix() for p in base.rglob("*"))
    assert main(["build", "--source", str(root), "--no-cache"]) == 0
    outside_after = sorted(p.relative_to(base).as_posix() for p in base.rglob("*")
                           if not p.relative_to(base).as_posix().startswith(("site/output", "site/.site-builder-cache")))
    return root, read_tree(root / "output"), outside_before, outside_after


def test_hostile_text_never_becomes_markup(hostile):
    _, tree, _, _ = hostile
    for path, data in tree.items():
        text = data.decode("utf-8", "replace")
        assert "<script>alert" not in text, path
        assert "onerror" not in text and "onclick" not in text and "javascript:" not in text, path
        assert "<iframe" not in text and "<style>body" not in text, path


def test_hostile_text_is_escaped_in_the_item_page(hostile):
    _, tree, _, _ = hostile
    page = tree["news/evil/index.html"].decode()
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39; ]]&gt; &lt;/title&gt;"
    assert f'<h1 class="story-title">{escaped}</h1>' in page
    assert f"<title>{escaped}" in page
    for text in ("Excerpt " + EVIL, "Wire " + EVIL, "Topic " + EVIL, "Related " + EVIL):
        assert html.escape(text).replace("&quot;", "&#34;").replace("&#x27;", "&#39;") in page
    assert 'href="https://wire.example/story?a=1&amp;b=&lt;2&gt;"' in page


def test_json_ld_is_escaped_and_reads_back(hostile):
    _, tree, _, _ = hostile
    page = tree["news/evil/index.html"].decode()
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(scripts) == 1
    assert "<" not in scripts[0] and ">" not in scripts[0] and "&" not in scripts[0] and "'" not in scripts[0]
    data = json.loads(scripts[0])
    assert data["headline"] == EVIL
    assert data["description"] == "Excerpt " + EVIL
    assert data["publisher"]["name"] == "Wire " + EVIL
    assert data["about"] == ["Topic " + EVIL, "../../etc", ".."]


def test_feeds_and_sitemap_are_well_formed_and_carry_the_text_unchanged(hostile):
    _, tree, _, _ = hostile
    rss = ET.fromstring(tree["feed.xml"])
    # RSS readers read title and description as HTML: they carry the text escaped (test_feed_text.py).
    item = next(i for i in rss.iter("item") if i.findtext("guid") and i.findtext("title") == html.escape(EVIL, False))
    assert item.findtext("description") == html.escape("Excerpt " + EVIL, quote=False)
    assert sorted(c.text for c in item.iter("category")) == sorted(["Topic " + EVIL, "../../etc", ".."])
    atom = ET.fromstring(tree["atom.xml"])
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = next(e for e in atom.findall("a:entry", ns) if e.findtext("a:title", namespaces=ns) == EVIL)
    assert entry.findtext("a:author/a:name", namespaces=ns) == "Wire " + EVIL
    assert entry.findtext("a:summary", namespaces=ns) == "Excerpt " + EVIL
    ET.fromstring(tree["sitemap.xml"])
    for path in tree:
        if path.endswith(".xml"):
            ET.fromstring(tree[path])


def test_raw_html_in_markdown_is_sanitized_and_links_get_rel(hostile):
    _, tree, _, _ = hostile
    body = tree["news/evil/index.html"].decode().split('<div class="story-body">', 1)[1].split("</div>", 1)[0]
    assert '<a href="https://ok.example/" rel="noopener noreferrer">ok</a>' in body
    assert '<img src="x" alt=""> click <a' in body  # the javascript: link is unwrapped to its words
    assert "javascript" not in body


def test_trust_html_keeps_raw_html(make_site, run_cli):
    root = make_site({"site.toml": 'trust_html = true\n',
                      "content/a.md": "---\ntitle: A\ndate: 2024-05-01T09:00:00Z\n---\n"
                                      '<div class="box" data-x="1">raw <b>html</b></div>\n'})
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert '<div class="box" data-x="1">raw <b>html</b></div>' in (root / "output/news/a/index.html").read_text()


def test_every_outbound_link_carries_noopener_noreferrer(hostile):
    _, tree, _, _ = hostile
    outbound = 0
    for path, data in tree.items():
        if not path.endswith(".html"):
            continue
        for tag in re.findall(r"<a\b[^>]*>", data.decode()):
            href = re.search(r'href="([^"]*)"', tag)
            if href and href.group(1).startswith(("http://", "https://")) \
                    and not href.group(1).startswith("https://example.org/"):
                outbound += 1
                assert 'rel="noopener noreferrer"' in tag, (path, tag)
    assert outbound >= 3  # the story's source, the related story, the link in the body


def test_nothing_is_written_outside_output(hostile):
    root, tree, before, after = hostile
    assert after == before
    assert "topics/etc/index.html" in tree
    dots_provider = [p for p in tree if p.startswith("sources/t-") and p.endswith("/index.html")]
    assert len(dots_provider) == 1
    assert all(".." not in p.split("/") for p in tree)
