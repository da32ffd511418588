"""Clashes between generated files and static files (or each other): `check` finds every one `build`
refuses, both name the file at fault with its line, and output/ stays as it was."""

from __future__ import annotations

import pytest

from tests.conftest import read_tree

TOML = 'title = "Digest"\nbase_url = "https://example.org/"\n'
ITEM = "---\ntitle: Alpha\ndate: 2024-05-01T09:00:00Z\n{extra}topics: [AI]\nprovider: Wire\n---\nBody.\n"
SITE = {"site.toml": TOML, "content/a.md": ITEM.format(extra="")}

# name -> (files added, the whole error)
CLASHES = {
    "static-feed": ({"static/feed.xml": "x"},
                    "static/feed.xml: the site's feeds and the static file static/feed.xml both write feed.xml; "
                    "rename or remove one of them"),
    "static-atom": ({"static/atom.xml": "x"},
                    "static/atom.xml: the site's feeds and the static file static/atom.xml both write atom.xml; "
                    "rename or remove one of them"),
    "static-sitemap": ({"static/sitemap.xml": "x"},
                       "static/sitemap.xml: the site's sitemap.xml and the static file static/sitemap.xml both "
                       "write sitemap.xml; rename or remove one of them"),
    "static-robots": ({"static/robots.txt": "x"},
                      "static/robots.txt: the site's robots.txt and the static file static/robots.txt both write "
                      "robots.txt; rename or remove one of them"),
    "static-home": ({"static/index.html": "x"},
                    "static/index.html: the site's page / and the static file static/index.html both write "
                    "index.html; rename or remove one of them"),
    "static-topic-file": ({"static/topics/ai": "x"},
                          "static/topics/ai: the static file static/topics/ai writes the file topics/ai, where the "
                          "page /topics/ai/ needs a folder (for topics/ai/index.html); rename or remove one of them"),
    "static-topic-feed": ({"static/topics/ai/feed.xml": "x"},
                          "static/topics/ai/feed.xml: the feeds of /topics/ai/ and the static file "
                          "static/topics/ai/feed.xml both write topics/ai/feed.xml; rename or remove one of them"),
    "static-source-page": ({"static/sources/wire/index.html": "x"},
                           "static/sources/wire/index.html: the page /sources/wire/ and the static file "
                           "static/sources/wire/index.html both write sources/wire/index.html; rename or remove "
                           "one of them"),
    "static-item-page": ({"static/news/alpha/index.html": "x"},
                         "static/news/alpha/index.html: the page of content/a.md (/news/alpha/) and the static "
                         "file static/news/alpha/index.html both write news/alpha/index.html; rename or remove "
                         "one of them"),
    "static-file-as-folder": ({"static/news": "x"},
                              "static/news: the static file static/news writes the file news, where the page of "
                              "content/a.md (/news/alpha/) needs a folder (for news/alpha/index.html); rename or "
                              "remove one of them"),
    "static-day-folder": ({"static/2024/05/01": "x"},
                          "static/2024/05/01: the static file static/2024/05/01 writes the file 2024/05/01, where "
                          "the site's page /2024/05/01/ needs a folder (for 2024/05/01/index.html); rename or "
                          "remove one of them"),
    "slug-index-html": ({"site.toml": TOML + 'permalink = "/{slug}/"\n',
                         "content/a.md": ITEM.format(extra="slug: index.html\n")},
                        "content/a.md:4: the site's page / writes the file index.html, where the page of "
                        "content/a.md (/index.html/) needs a folder (for index.html/index.html); rename or remove "
                        "one of them"),
    "slug-index-html-in-a-day": ({"site.toml": TOML + 'permalink = "/{year}/{month}/{day}/{slug}/"\n',
                                  "content/a.md": ITEM.format(extra="slug: index.html\n")},
                                 "content/a.md:4: the site's page /2024/05/01/ writes the file "
                                 "2024/05/01/index.html, where the page of content/a.md (/2024/05/01/index.html/) "
                                 "needs a folder (for 2024/05/01/index.html/index.html); rename or remove one of "
                                 "them"),
}


@pytest.mark.parametrize("name", sorted(CLASHES))
def test_check_and_build_report_the_same_clash(name, make_site, run_cli):
    files, message = CLASHES[name]
    root = make_site(SITE)
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    before = read_tree(root / "output")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    code, out, err = run_cli("check", "--source", root)
    assert (code, err) == (1, message + "\n")
    code, out, err = run_cli("build", "--source", root)
    assert (code, out, err) == (1, "", message + "\n")
    assert read_tree(root / "output") == before
    assert "File exists" not in err


def test_check_reports_an_output_folder_build_would_refuse(make_site, run_cli):
    root = make_site({**SITE, "output/mine.txt": "hand-made"})
    message = (f"refusing to replace {root / 'output'}: it is not empty and was not written by site-builder "
               "(no .site-builder-output file); empty it or choose another --output\n")
    assert run_cli("check", "--source", root)[::2] == (1, message)
    assert run_cli("build", "--source", root)[::2] == (1, message)
    assert (root / "output/mine.txt").read_text() == "hand-made"
