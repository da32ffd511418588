"""URLs that last: redirect pages for `aliases:`, and a warning with the alias line when an item's URL moves."""

from __future__ import annotations

import json
import os

from tests.judges import vnu_errors

ITEM = """\
---
title: {title}
publishedDateTime: 2024-03-02T09:00:00Z
topics: [Energy]
{more}
---
Body of the story.
"""


def item(title: str, more: str = "") -> str:
    return ITEM.format(title=title, more=more)


def test_an_alias_writes_a_redirect_page_that_is_in_no_sitemap_or_feed(make_site, run_cli, tmp_path, node_tools):
    site = make_site({"content/wind.md": item("Wind record", "aliases: [/news/wind-recrod/, /old/wind.html]")})

    code, _, err = run_cli("build", "--source", site)

    assert code == 0, err
    out = site / "output"
    page = (out / "news" / "wind-recrod" / "index.html").read_text()
    assert '<meta http-equiv="refresh" content="0; url=../../news/wind-record/">' in page
    assert '<link rel="canonical" href="http://localhost:8000/news/wind-record/">' in page
    assert 'This story has moved to <a href="../../news/wind-record/">Wind record</a>.' in page
    assert '<meta http-equiv="refresh" content="0; url=../news/wind-record/">' in (out / "old" / "wind.html").read_text()
    for name in ("sitemap.xml", "feed.xml", "atom.xml", "topics/energy/feed.xml"):
        assert "wind-recrod" not in (out / name).read_text() and "wind.html" not in (out / name).read_text()
    errors = vnu_errors(out / "news" / "wind-recrod")
    assert errors == [], "\n".join(errors)


def test_a_hidden_item_gets_no_redirect(make_site, run_cli):
    site = make_site({"content/a.md": item("Shown"),
                      "content/b.md": item("Hidden", "published: false\naliases: [/secret-old/]")})

    code, _, err = run_cli("build", "--source", site)

    assert code == 0, err
    assert not (site / "output" / "secret-old").exists()


def test_an_alias_on_another_output_is_an_error_with_its_line(make_site, run_cli):
    site = make_site({"content/a.md": item("Alpha", "aliases: [/topics/energy/]"),
                      "content/b.md": item("Beta", "slug: beta\naliases: [/same/]"),
                      "content/c.md": item("Gamma", "aliases:\n  - /same/\n  - /news/gamma/")})

    code, _, err = run_cli("build", "--source", site)

    assert code == 1
    assert err == ("content/a.md:5: alias /topics/energy/ would replace the site's page topics/energy/index.html; "
                   "remove it from aliases\n"
                   "content/c.md:5: alias /news/gamma/ would replace this item's own page; remove it from aliases\n"
                   "content/c.md:5: alias /same/ is also an alias of content/b.md; keep it in one of them\n")
    assert not (site / "output").exists()


def test_an_alias_through_a_file_of_the_site_is_an_error(make_site, run_cli):
    site = make_site({"content/a.md": item("Alpha", "aliases: [/feed.xml/old/]"),
                      "content/b.md": item("Beta", "aliases: [/news/beta/index.html/]")})

    code, _, err = run_cli("build", "--source", site)

    assert code == 1
    assert err == ("content/a.md:5: alias /feed.xml/old/ clashes with the site's feed.xml (a file and a folder of "
                   "one name); remove it from aliases\n"
                   "content/b.md:5: alias /news/beta/index.html/ clashes with the site's news/beta/index.html "
                   "(a file and a folder of one name); remove it from aliases\n")


def test_an_alias_that_is_not_a_site_path_is_an_error(make_site, run_cli):
    site = make_site({"content/a.md": item("Alpha", "aliases:\n  - /ok/\n  - https://example.org/x/")})

    code, _, err = run_cli("build", "--source", site)

    assert code == 1
    assert err == ("content/a.md:7: aliases[1] must be a path on this site such as /news/old-title/, "
                   "not 'https://example.org/x/'\n")


def test_a_moved_url_is_reported_with_the_alias_line_to_add_until_it_is_added(make_site, run_cli):
    site = make_site({"content/wind.md": item("Wind record")})
    assert run_cli("build", "--source", site)[0] == 0
    assert json.loads((site / ".site-builder-cache" / "urls.json").read_text()) == \
        {"content/wind.md": "/news/wind-record/"}
    (site / "content" / "wind.md").write_text(item("Wind record broken again"))

    code, _, err = run_cli("build", "--source", site)

    assert code == 0
    assert err == ("warning: content/wind.md:2: URL changed from /news/wind-record/ to "
                   "/news/wind-record-broken-again/; to keep old links working, add to its frontmatter: "
                   "aliases: [/news/wind-record/]\n")
    (site / "content" / "wind.md").write_text(item("Wind record broken again", "aliases: [/news/wind-record/]"))
    code, _, err = run_cli("build", "--source", site)
    assert (code, err) == (0, "")
    assert (site / "output" / "news" / "wind-record" / "index.html").is_file()


def test_hidden_items_urls_are_never_recorded(make_site, run_cli):
    site = make_site({"content/a.md": item("Shown"), "content/b.md": item("Secret", "draft: true")})

    assert run_cli("build", "--source", site)[0] == 0

    assert json.loads((site / ".site-builder-cache" / "urls.json").read_text()) == {"content/a.md": "/news/shown/"}


def test_a_killed_builds_copy_of_the_url_record_goes_before_it_can_name_an_item_hidden_since(make_site, run_cli):
    """A build killed while saving the URL record leaves `urls.json.tmp-<pid>`; once its item is hidden, no
    build (stored or --no-cache) leaves that copy on disk. A copy a running build is writing stays."""
    for flags in ([], ["--no-cache"]):
        site = make_site({"content/a.md": item("Shown"), "content/b.md": item("Other")})
        assert run_cli("build", "--source", site)[0] == 0
        cache = site / ".site-builder-cache"
        dead = cache / "urls.json.tmp-999999999"   # no such process
        dead.write_text(json.dumps({"content/a.md": "/news/shown/", "content/b.md": "/news/other/"}))
        live = cache / f"urls.json.tmp-{os.getppid()}"   # a live process: another build, writing now
        live.write_text("{}")
        (site / "content" / "a.md").write_text(item("Shown", "draft: true"))

        assert run_cli("build", "--source", site, *flags)[0] == 0

        assert not dead.exists(), flags
        assert live.exists(), flags
        kept = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())
        assert b"content/a.md" not in kept, flags
