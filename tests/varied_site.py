"""A small but varied site for theme tests: articles with images, link items, plain text, long words and URLs."""

from __future__ import annotations

import struct
import zlib

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsbeitragsrückerstattung"
LONG_URL = ("https://www.example-news-archive.org/2023/11/27/regulation/" + "very-long-path-segment-" * 6
            + "index.html?utm_source=digest&session=" + "a1b2c3d4" * 8)

SITE_TOML = """\
title = "The Morning Circuit"
description = "Technology and science news, picked by hand every morning."
base_url = "https://digest.example.org/"
timezone = "Europe/London"
items_per_page = 12
"""


def _item(title: str, when: str, provider: str, topics: list[str], *, url: str, excerpt: str = "",
          image: tuple[str, int | None, int | None] | None = None, body: str = "", extra: str = "") -> str:
    lines = ["---", f"title: {_quote(title)}", f"publishedDateTime: {when}", f"webUrl: {_quote(url)}"]
    if excerpt:
        lines.append(f"excerpt: {_quote(excerpt)}")
    lines += ["provider:", f"  name: {provider}", f"  domain: {url.split('/')[2].removeprefix('www.')}"]
    lines += ["topics:"] + [f"  - {t}" for t in topics]
    if image:
        src, width, height = image
        lines += ["images:", f"  - url: \"{src}\""]
        lines += [f"    width: {width}"] if width else []
        lines += [f"    height: {height}"] if height else []
    lines += [extra] if extra else []
    return "\n".join(lines + ["---", "", body]).rstrip("\n") + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


ARTICLE_BODY = f"""\
European regulators agreed on Monday to a framework for **general-purpose AI models**, ending a
month of talks that had stalled over how to treat open-source releases.

## What changes

- Providers must publish a summary of their training data.
- Models above a compute threshold face *systemic-risk* audits.
- Open-source models are exempt unless they cross that threshold.

> "This is the first horizontal AI law anywhere," said one negotiator, who asked not to be named.

The full text is at [{LONG_URL}]({LONG_URL}) and runs to 400 pages.
German commentators coined the word {LONG_WORD} for the paperwork involved.

### Timeline

| Stage | Date |
| --- | --- |
| Political agreement | December 2023 |
| Entry into force | mid-2024 |

```
compute_threshold = 10 ** 25  # floating-point operations used in training
```
"""

PLAIN_TEXT = """\
Quantum sensor maps groundwater beneath a city

Researchers used a portable atom-interferometer gravimeter to chart aquifers under a city centre
without drilling a single borehole.

The device measured tiny changes in gravity along a 3 km route, walking speed, over two nights.
"""


def varied_site() -> dict[str, str]:
    """{relpath: text} for make_site: 3 days over 2 months, 5 topics, 6 providers, every item kind."""
    img = "https://images.example-cdn.com/news/{}.jpg"
    return {
        "site.toml": SITE_TOML,
        "content/2023-12-01-eu-ai-act.md": _item(
            "EU lawmakers strike a deal on the world's first comprehensive AI rules", "2023-12-01T08:15:00Z",
            "Reuters", ["AI", "Regulation", "Europe"], url="https://www.reuters.com/technology/eu-ai-act-deal/",
            excerpt="Negotiators agreed after 36 hours of talks; open-source models get a partial exemption.",
            image=(img.format("ai-act"), 1200, 800), body=ARTICLE_BODY),
        "content/2023-12-01-chip-link.md": _item(
            "Chipmaker posts record quarter as data-centre demand soars", "2023-12-01T07:02:00Z",
            "The Verge", ["Semiconductors"], url="https://www.theverge.com/2023/12/1/chip-earnings",
            excerpt="Revenue up 206% year on year; guidance beats analyst expectations again."),
        "content/2023-12-01-long-word.md": _item(
            f"Bureaucracy watch: the {LONG_WORD} returns", "2023-12-01T06:30:00Z",
            "Der Spiegel", ["Europe"], url="https://www.spiegel.de/netzwelt/buerokratie-wort",
            excerpt=f"Source: {LONG_URL}", image=(img.format("paperwork"), None, None)),
        "content/2023-11-30-fusion.md": _item(
            "Fusion start-up reports net energy gain in a compact tokamak", "2023-11-30T16:45:00Z",
            "Ars Technica", ["Energy", "Science"], url="https://arstechnica.com/science/2023/11/fusion-gain/",
            excerpt="The result still has to be replicated, and the machine ran for less than a second.",
            image=(img.format("fusion"), 1600, 900),
            body="The team says the shot produced 1.3 times the heating energy it consumed.\n\n"
                 "Independent physicists urged caution: *net gain* here excludes the wall-plug energy.\n",
            extra="related:\n  - title: \"Why 'net energy' claims need an asterisk\"\n"
                  "    webUrl: \"https://www.nature.com/articles/fusion-asterisk\"\n"
                  "    publishedDateTime: 2023-11-30T18:00:00Z\n    provider:\n      name: Nature\n"
                  "    excerpt: \"Three numbers every fusion press release should state.\""),
        "content/2023-11-30-quantum.txt": "---\ntitle: Quantum sensor maps groundwater beneath a city\n"
                                          "publishedDateTime: 2023-11-30T09:10:00Z\nprovider: New Scientist\n"
                                          "topics: [Science]\n---\n" + PLAIN_TEXT.split("\n", 2)[2],
        "content/2023-11-30-battery-link.md": _item(
            "Sodium-ion batteries reach mass production", "2023-11-30T08:00:00Z",
            "Reuters", ["Energy"], url="https://www.reuters.com/business/energy/sodium-ion/",
            image=(img.format("battery"), 800, 533)),
        "content/gravity.txt": PLAIN_TEXT.replace("Quantum sensor", "Gravity sensor"),
    }


def png_bytes(width: int = 48, height: int = 32) -> bytes:
    """A small opaque PNG with a soft blue-to-amber gradient: the stand-in for every remote image."""
    rows = b""
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            t = (x + y) / (width + height)
            row += bytes([int(40 + 180 * t), int(90 + 60 * t), int(160 - 110 * t)])
        rows += bytes(row)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
