"""Input that used to end in a Python traceback (issue 16): each is now exit 1 with one path(:line)
message, the whole of it asserted, and output/ left as it was."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.conftest import read_tree, write_site

GOOD = {
    "site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
    "content/good.md": "---\ntitle: Good Story\ndate: 2024-05-01T09:00:00Z\n---\nBody of the good story.\n",
}
TOML = 'title = "Digest"\n'
HEX = "0x" + "f" * 3700
NO_QUERY = "base_url must not hold a query ('?'), a fragment ('#') or spaces, not"

# name -> (files added to the good site, the whole of stderr)
CASES = {
    "bad-port": ({"content/x.md": "---\ntitle: T\noriginalUrl: http://example.com:99999/story\n---\n"},
                 "content/x.md:3: originalUrl must be an http or https URL, not 'http://example.com:99999/story'"),
    "port-not-a-number": ({"content/x.md": "---\ntitle: T\nimages: ['http://example.com:8o/a.png']\n---\n"},
                          "content/x.md:3: images[0] must be an http(s) URL or a path on this site such as /img/photo.png, "
                          "not 'http://example.com:8o/a.png'"),
    "unclosed-bracket": ({"content/x.md": "---\ntitle: T\nwebUrl: 'http://[::1/story'\n---\n"},
                         "content/x.md:3: webUrl must be an http or https URL, not 'http://[::1/story'"),
    "related-bad-port": ({"content/x.md": "---\ntitle: T\nrelated:\n  - title: R\n    webUrl: http://e.org:70000/\n---\n"},
                         "content/x.md:5: related[0].webUrl must be an http or https URL, not 'http://e.org:70000/'"),
    "hex-title": ({"content/x.md": f"---\ntitle: {HEX}\n---\n"},
                  f"content/x.md:2: invalid YAML in frontmatter: the number '{HEX[:40]}…' is too large"),
    "deep-frontmatter": ({"content/x.md": "---\ntitle: T\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n"},
                         "content/x.md:3: frontmatter values are nested more than 50 levels deep"),
    "deep-block-frontmatter": ({"content/x.md": "---\ntitle: T\nx:\n" + "".join("  " * i + "-\n" for i in range(60))
                                + "---\n"}, "content/x.md:54: frontmatter values are nested more than 50 levels deep"),
    "template-not-utf8": ({"templates/item.html": b'{% extends "base.html" %}\n\xff\n'},
                          "templates/item.html:2: not valid UTF-8 (byte 0xff); save the file as UTF-8"),
    "nan-quality": ({"content/x.md": "---\ntitle: T\nquality: .nan\n---\n"},
                    "content/x.md:3: quality must be a number, not nan"),
    "base-url-bracket": ({"site.toml": TOML + 'base_url = "http://[::1/story"\n'},
                         "site.toml:2: base_url must be an absolute http(s) URL, not 'http://[::1/story'"),
    "base-url-port": ({"site.toml": TOML + 'base_url = "https://example.org:123456/"\n'},
                      "site.toml:2: base_url must be an absolute http(s) URL, not 'https://example.org:123456/'"),
    "base-url-query": ({"site.toml": TOML + 'base_url = "https://example.org/?lang=en"\n'},
                       f"site.toml:2: {NO_QUERY} 'https://example.org/?lang=en'"),
    "base-url-fragment": ({"site.toml": TOML + 'base_url = "https://example.org/#top"\n'},
                          f"site.toml:2: {NO_QUERY} 'https://example.org/#top'"),
    "base-url-space": ({"site.toml": TOML + 'base_url = "https://example.org/my site/"\n'},
                       f"site.toml:2: {NO_QUERY} 'https://example.org/my site/'"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from site_builder.cli import main
    root = write_site(tmp_path_factory.mktemp("good") / "site", GOOD)
    assert main(["build", "--source", str(root)]) == 0
    return root


@pytest.fixture
def good_site(built, tmp_path):
    root = tmp_path / "site"
    shutil.copytree(built, root)
    return root


@pytest.mark.parametrize("files, message", CASES.values(), ids=CASES.keys())
def test_input_that_used_to_crash_is_one_located_error(good_site, run_cli, files, message):
    before = read_tree(good_site / "output")
    write_site(good_site, files)
    assert run_cli("build", "--source", good_site) == (1, "", message + "\n")
    assert read_tree(good_site / "output") == before
    code, _, err = run_cli("check", "--source", good_site)
    assert (code, err) == (1, message + "\n")


def test_a_base_url_with_a_query_on_the_command_line(good_site, run_cli):
    assert run_cli("build", "--source", good_site, "--base-url", "https://example.org/?x") == \
        (1, "", f"{NO_QUERY} 'https://example.org/?x'\n")


@pytest.mark.parametrize("folder, name, shown", [("content", b"caf\xe9.md", "caf\\xe9.md"),
                                                 ("content", b"a\nb.md", "a\\nb.md"),
                                                 ("content", b"\xff\xfe.txt", "\\xff\\xfe.txt"),
                                                 ("templates", b"\xff.html", "\\xff.html")])
def test_a_file_name_that_is_not_utf8_text(good_site, run_cli, folder, name, shown):
    before = read_tree(good_site / "output")
    (good_site / folder).mkdir(exist_ok=True)
    with open(os.path.join(os.fsencode(good_site / folder), name), "wb") as handle:
        handle.write(b"---\ntitle: T\n---\nBody\n")
    message = f"{folder}/{shown}: the file name is not valid UTF-8 or holds a control character; rename the file\n"
    assert run_cli("build", "--source", good_site) == (1, "", message)
    assert read_tree(good_site / "output") == before
    assert run_cli("check", "--source", good_site)[::2] == (1, message)


def test_import_skips_odd_numbers_and_refuses_dates_it_cannot_show(make_site, run_cli):
    root = make_site({"site.toml": TOML})
    news = {"news": [{"title": "Odd Sizes", "webUrl": "https://e.org/a", "publishedDateTime": "2024-05-01T09:00:00Z",
                      "images": [{"url": "https://e.org/a.png", "width": "²", "height": "٣"}]}]}
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "F", "items": [
        {"id": "1", "url": "https://e.org/b", "title": "Far Future", "date_published": "10000-01-01T00:00:00Z"},
        {"id": "2", "url": "https://e.org/c", "title": "Edge", "date_published": "9999-12-31T23:00:00-05:00"}]}
    (root / "news.json").write_text(json.dumps(news))
    (root / "feed.json").write_text(json.dumps(feed))
    (root / "huge.json").write_text('{"news": [{"quality": ' + "9" * 5000 + "}]}")
    code, out, err = run_cli("import", "--source", root, root / "news.json", root / "feed.json", root / "huge.json")
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"{root / 'feed.json'}: entry 1 'Far Future': date_published '10000-01-01T00:00:00Z' is not "
        "an ISO 8601 date",
        f"{root / 'feed.json'}: entry 2 'Edge': date_published '9999-12-31T23:00:00-05:00' is out of "
        "range (years 1000 to 9998)",
        f"{root / 'huge.json'}: not usable JSON: a number has more than 4,300 digits"]
    assert (code, out) == (1, "created 1, skipped 0 (already in content/), failed 2\n")
    imported = (root / "content/2024-05-01-odd-sizes.md").read_text()
    assert "images:\n- url: https://e.org/a.png\n" in imported and "width" not in imported


@pytest.mark.parametrize("args, message", [
    (["x", "--provider", "\udcff"], "--provider is not valid UTF-8 text"),
    (["caf\udce9"], "the title is not valid UTF-8 text"),
    (["a\x07b"], "the title contains the control character U+0007; remove it"),
    (["x", "--topic", "a\x1bb"], "--topic contains the control character U+001B; remove it"),
])
def test_new_refuses_text_no_content_file_can_hold(make_site, run_cli, args, message):
    root = make_site({"site.toml": TOML})
    assert run_cli("new", *args, "--source", root) == (1, "", message + "\n")
    assert list((root / "content").iterdir()) == []
