"""Images: local files from static/ (checked, measured), alt, caption and credit where they belong."""

from __future__ import annotations

import feedparser

from tests.varied_site import png_bytes

ITEM = """\
---
title: Wind farm opens
publishedDateTime: 2024-03-02T09:00:00Z
topics: [Energy]
images:
{images}
---
Body.
"""


def test_a_local_image_is_measured_and_shown_with_alt_caption_and_credit(make_site, run_cli):
    site = make_site({
        "site.toml": 'base_url = "https://example.org/digest/"\n',
        "static/img/wind.png": png_bytes(64, 40),
        "content/wind.md": ITEM.format(images='  - url: /img/wind.png\n    alt: "Turbines at sea"\n'
                                              '    caption: "The farm at dawn."\n    credit: "Photo: A. Person"'),
    })

    code, _, err = run_cli("build", "--source", site)

    assert code == 0, err
    page = (site / "output" / "news" / "wind-farm-opens" / "index.html").read_text()
    assert ('<img src="../../img/wind.png" alt="Turbines at sea" width="64" height="40" decoding="async" '
            'fetchpriority="high">') in page
    assert ('<figcaption><span class="caption">The farm at dawn.</span> <span class="credit">Photo: A. Person</span>'
            '</figcaption>') in page
    assert '<meta property="og:image" content="https://example.org/digest/img/wind.png">' in page
    assert '<meta property="og:image:alt" content="Turbines at sea">' in page
    home = (site / "output" / "index.html").read_text()
    assert 'src="./img/wind.png" alt="" width="64" height="40"' in home
    assert (site / "output" / "img" / "wind.png").read_bytes() == png_bytes(64, 40)
    for name in ("feed.xml", "atom.xml"):
        entry = feedparser.parse((site / "output" / name).read_bytes()).entries[0]
        assert entry.media_content == [{"url": "https://example.org/digest/img/wind.png", "type": "image/png",
                                        "medium": "image", "height": "40", "width": "64"}]
        assert entry.content[0].value  # the body is there too
    rss = (site / "output" / "feed.xml").read_text()
    assert '<media:description type="plain">Turbines at sea</media:description>' in rss
    assert "<media:credit>Photo: A. Person</media:credit>" in rss


def test_sizes_in_the_frontmatter_win_over_the_file(make_site, run_cli):
    site = make_site({"static/img/wind.png": png_bytes(64, 40),
                      "content/wind.md": ITEM.format(images="  - {url: /img/wind.png, width: 1280, height: 800}")})

    assert run_cli("build", "--source", site)[0] == 0

    assert 'width="1280" height="800"' in (site / "output" / "news" / "wind-farm-opens" / "index.html").read_text()


def test_a_missing_local_image_is_an_error_with_its_line(make_site, run_cli):
    site = make_site({"content/wind.md": ITEM.format(images="  - url: /img/wind-farm.png\n    alt: Turbines")})

    code, _, err = run_cli("build", "--source", site)

    assert code == 1
    assert err == ("content/wind.md:6: images[0].url: no file /img/wind-farm.png in static/ (put the image at "
                   "static/img/wind-farm.png, or use an http(s) URL)\n")


def test_check_reports_a_missing_local_image_too(make_site, run_cli):
    site = make_site({"content/wind.md": ITEM.format(images="  - /img/gone.png")})

    code, _, err = run_cli("check", "--source", site)

    assert code == 1
    assert "content/wind.md:6: images[0]: no file /img/gone.png in static/" in err


def test_an_image_url_that_is_neither_web_nor_site_path_is_an_error(make_site, run_cli):
    site = make_site({"content/wind.md": ITEM.format(images="  - url: ftp://example.org/x.png")})

    code, _, err = run_cli("build", "--source", site)

    assert code == 1
    assert err == ("content/wind.md:6: images[0].url must be an http(s) URL or a path on this site such as "
                   "/img/photo.png, not 'ftp://example.org/x.png'\n")


def test_adding_the_missing_image_file_makes_the_next_build_pass(make_site, run_cli):
    site = make_site({"content/wind.md": ITEM.format(images="  - /img/wind.png")})
    assert run_cli("build", "--source", site)[0] == 1
    (site / "static" / "img").mkdir(parents=True)
    (site / "static" / "img" / "wind.png").write_bytes(png_bytes(30, 20))

    code, _, err = run_cli("build", "--source", site)

    assert code == 0, err
    assert 'width="30" height="20"' in (site / "output" / "news" / "wind-farm-opens" / "index.html").read_text()
