"""Write a deterministic, seeded news-digest corpus (site.toml + content/) for benchmarking site-builder.

    python benchmarks/generate.py --items 10000 --seed 1 /tmp/bench-site

Only the standard library; one `random.Random(seed)` drives everything, so the same seed gives
byte-identical files (and identical mtimes for the plain .txt items, which carry no date of their own).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import json
import logging
import os
import re
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import Any, Iterator, Sequence

from corpus_vocab import (ACTORS, ADJECTIVES, HEADINGS, NAMES, NOUNS, PROVIDERS, QUALIFIERS, SOURCES, TOPICS,
                          VERBS, WORDS)

log = logging.getLogger(__name__)

SITE_TOML = """\
title = "Benchmark Digest"
base_url = "https://bench.example.com/"
items_per_page = 20
feed_limit = 50
"""

# Dates span two years that are safely in the past, so no item is hidden as "future".
START = datetime(2024, 11, 1, tzinfo=timezone.utc)
END = datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc)

TEXT_SHARE = 0.05          # plain .txt, no frontmatter (like seed 000)
LINK_SHARE = 0.20          # frontmatter only, empty body (like seed 002)
UNPUBLISHED_SHARE = 0.05   # `published: false`, drawn among the frontmatter items
DUPLICATE_TITLE_SHARE = 0.005
ZIPF_EXPONENT = 1.1

# Keys whose string values the seeds always write double-quoted.
_QUOTED_KEYS = frozenset({"title", "excerpt", "originalUrl", "webUrl", "ampWebUrl", "cdnAmpWebUrl", "url",
                          "secured"})
_PLAIN_SCALAR = re.compile(r"[A-Za-z][A-Za-z0-9 ._-]*[A-Za-z0-9.]\Z")
_YAML_WORDS = frozenset({"yes", "no", "y", "n", "true", "false", "on", "off", "null"})
_IMAGE_SIZES = ((594, 395), (1200, 675), (1600, 900), (800, 533), (1024, 768), (640, 360))


@dataclass(frozen=True)
class CorpusItem:
    """What the generator wrote for one item; the runner uses it to pick an item to edit."""

    rel_path: str            # relative to the site root, e.g. "content/2025/00042_9f0c1d2e3a4b5c6d.md"
    kind: str                # "article" | "link" | "text"
    title: str
    published: bool
    date: datetime
    topics: tuple[str, ...]


@dataclass(frozen=True)
class CorpusFile:
    item: CorpusItem
    text: str
    mtime: float | None      # set with os.utime for .txt items; None leaves the write time


class _Zipf:
    """Draws from a ranked list with weight 1 / rank**s."""

    def __init__(self, values: Sequence[Any], exponent: float = ZIPF_EXPONENT) -> None:
        self.values = values
        self.cumulative = list(accumulate(1 / (rank ** exponent) for rank in range(1, len(values) + 1)))

    def draw(self, rng: Random) -> Any:
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass(frozen=True)
class _Sentence:
    markdown: str
    plain: str
    words: int


def iter_corpus(items: int, seed: int) -> Iterator[CorpusFile]:
    """The corpus, one file at a time (pure: nothing touches the disk)."""
    rng = Random(seed)
    pool = _sentence_pool(rng, 4000)
    topics = _Zipf(TOPICS)
    providers = _Zipf(PROVIDERS)
    width = max(3, len(str(items - 1)))
    seen_titles: set[str] = set()
    earlier: list[tuple[str, str]] = []     # (title, originalUrl) of earlier items, for duplicates
    span = (END - START).total_seconds()
    for index, (kind, published) in enumerate(_plan_kinds(rng, items)):
        # u**0.8 leans towards recent dates: a digest that grows over time.
        date = START + timedelta(minutes=int(span * rng.random() ** 0.8 / 60))
        item_topics = _draw_topics(rng, topics)
        provider = providers.draw(rng)
        duplicate = earlier and rng.random() < DUPLICATE_TITLE_SHARE
        if duplicate:
            title, duplicate_url = earlier[rng.randrange(len(earlier))]
        else:
            title, duplicate_url = _unique_title(rng, item_topics[0], seen_titles), ""
        seen_titles.add(title)
        ext = ".txt" if kind == "text" else ".md"
        rel = f"content/{date.year}/{index:0{width}d}_{rng.getrandbits(64):016x}{ext}"
        item = CorpusItem(rel, kind, title, published, date, item_topics)
        if kind == "text":
            yield CorpusFile(item, _plain_text(rng, pool, title), date.timestamp())
            continue
        url = _article_url(rng, provider[1], date, title)
        if duplicate_url and rng.random() < 0.5:
            # The same story syndicated again: same source URL plus tracking noise.
            url = duplicate_url.split("?")[0] + "?utm_source=rss&utm_medium=feed"
        earlier.append((title, url))
        body = _markdown_body(rng, pool, provider, item_topics[0]) if kind == "article" else ""
        meta = _frontmatter(rng, pool, item, provider, url, body)
        yield CorpusFile(item, "---\n" + _yaml(meta) + "---\n" + body, None)


def _plan_kinds(rng: Random, items: int) -> list[tuple[str, bool]]:
    """(kind, published) per item: exact shares, shuffled, so even a small corpus has the intended mix."""
    texts, links = round(items * TEXT_SHARE), round(items * LINK_SHARE)
    kinds = ["text"] * texts + ["link"] * links + ["article"] * (items - texts - links)
    rng.shuffle(kinds)
    with_frontmatter = [i for i, kind in enumerate(kinds) if kind != "text"]
    hidden = set(rng.sample(with_frontmatter, min(len(with_frontmatter), round(items * UNPUBLISHED_SHARE))))
    return [(kind, i not in hidden) for i, kind in enumerate(kinds)]


def write_corpus(out_dir: Path, items: int, seed: int, force: bool = False) -> list[CorpusItem]:
    """Write site.toml and content/ under out_dir; returns what was written, in generation order."""
    content = out_dir / "content"
    if content.exists() or (out_dir / "site.toml").exists():
        if not force:
            raise SystemExit(f"{out_dir} already holds a site (use --force to replace its content/ and site.toml)")
        shutil.rmtree(content, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    made: set[Path] = set()
    written: list[CorpusItem] = []
    for file in iter_corpus(items, seed):
        path = out_dir / file.item.rel_path
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(file.text)
        if file.mtime is not None:
            os.utime(path, (file.mtime, file.mtime))
        written.append(file.item)
    return written


def yaml_string(value: str) -> str:
    """A double-quoted YAML scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _draw_topics(rng: Random, topics: _Zipf) -> tuple[str, ...]:
    wanted = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
    chosen: list[str] = []
    while len(chosen) < wanted:
        topic = topics.draw(rng)
        if topic not in chosen:
            chosen.append(topic)
    return tuple(chosen)


def _money(rng: Random) -> str:
    if rng.random() < 0.6:
        return f"${rng.randint(2, 950)} million"
    return f"${rng.randint(1, 40)}.{rng.randint(1, 9)} billion"


def _headline(rng: Random, topic: str) -> str:
    actor = rng.choice(ACTORS)
    base, past = rng.choice(VERBS)
    thing = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    qualifier = rng.choice(QUALIFIERS).format(money=_money(rng), n=rng.randint(2, 12))
    shape = rng.randrange(8)
    if shape == 0:
        title = f"{actor} {past} {thing}{qualifier}"
    elif shape == 1:
        title = f"{actor} {past} {thing}, {rng.choice(SOURCES)}"
    elif shape == 2:
        title = f"How {actor} could {base} {thing}"
    elif shape == 3:
        title = f"Why {thing} matters for {topic}"
    elif shape == 4:
        title = f"{topic}: {actor} {past} {thing}{qualifier}"
    elif shape == 5:
        title = f"{actor} warns ‘{rng.choice(ADJECTIVES)}’ {rng.choice(NOUNS)} could {base} {thing}"
    elif shape == 6:
        title = f"Can {actor} {base} {thing}?"
    else:
        owner = actor + ("’" if actor.endswith("s") else "’s")
        title = f"{owner} {thing} {past} {rng.choice(NOUNS)}{qualifier}"
    return title[0].upper() + title[1:]


def _unique_title(rng: Random, topic: str, seen: set[str]) -> str:
    for _ in range(50):
        title = _headline(rng, topic)
        if title not in seen:
            return title
    return f"{title} ({len(seen)})"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.replace("'", "")).strip("-")[:70].rstrip("-")


def _article_url(rng: Random, domain: str, date: datetime, title: str) -> str:
    return f"https://{domain}/{date:%Y/%m/%d}/{_slug(title)}-{rng.randint(10_000_000, 99_999_999)}/"


def _sentence_pool(rng: Random, size: int) -> list[_Sentence]:
    pool = []
    for _ in range(size):
        words = rng.choices(WORDS, k=rng.randint(6, 24))
        if rng.random() < 0.3:
            words[rng.randrange(len(words))] = rng.choice((*ACTORS, *TOPICS, *NOUNS))
        plain_words = list(words)
        marked = list(words)
        roll = rng.random()
        at = rng.randrange(1, len(words))
        if roll < 0.12:
            marked[at] = f"*{words[at]}*"
        elif roll < 0.18:
            marked[at] = f"**{words[at]}**"
        elif roll < 0.21:
            marked[at] = f"`{words[at]}`"
        if rng.random() < 0.04:
            speaker = rng.choice(NAMES)
            plain = f"“{_capitalize(' '.join(plain_words))},” said {speaker}."
            markdown = f"“{_capitalize(' '.join(marked))},” said {speaker}."
        else:
            end = "?" if rng.random() < 0.05 else "."
            plain = _capitalize(" ".join(plain_words)) + end
            markdown = _capitalize(" ".join(marked)) + end
        pool.append(_Sentence(markdown, plain, len(words)))
    return pool


def _capitalize(text: str) -> str:
    lead = len(text) - len(text.lstrip("*`"))
    return text[:lead] + text[lead:lead + 1].upper() + text[lead + 1:]


def _paragraph(rng: Random, pool: list[_Sentence], provider: tuple[str, str]) -> tuple[str, int]:
    sentences = rng.choices(pool, k=rng.randint(2, 6))
    parts = [s.markdown for s in sentences]
    if rng.random() < 0.3:
        url = f"https://{provider[1]}/{rng.choice(NOUNS).replace(' ', '-')}/{rng.randint(1000, 99999)}"
        at = rng.randrange(len(parts))
        if rng.random() < 0.5:
            parts[at] = f"As [{provider[0]}]({url}) reported, {parts[at][0].lower()}{parts[at][1:]}"
        else:
            parts[at] = f"{parts[at][:-1]} ([details]({url}))."
    return " ".join(parts), sum(s.words for s in sentences)


def _markdown_body(rng: Random, pool: list[_Sentence], provider: tuple[str, str], topic: str) -> str:
    # Short news bodies: ~150 words on average, which puts Python-Markdown at the ~0.6 ms a body
    # (no extensions) that the performance issue measured on its reference corpus.
    target = rng.randint(10, 120)
    blocks: list[str] = []
    count = 0
    for _ in range(rng.randint(1, 2)):
        text, words = _paragraph(rng, pool, provider)
        blocks.append(text)
        count += words
    while count < target:
        blocks.append("## " + rng.choice(HEADINGS).format(topic=topic))
        for _ in range(rng.randint(2, 5)):
            roll = rng.random()
            if roll < 0.72:
                text, words = _paragraph(rng, pool, provider)
            elif roll < 0.84:
                entries = rng.choices(pool, k=rng.randint(3, 6))
                marker = "1." if rng.random() < 0.3 else "-"
                text = "\n".join(f"{marker} {s.markdown}" for s in entries)
                words = sum(s.words for s in entries)
            elif roll < 0.94:
                quoted = rng.choices(pool, k=rng.randint(1, 3))
                text = "> " + " ".join(s.markdown for s in quoted)
                if rng.random() < 0.5:
                    text += f"\n>\n> — {rng.choice(NAMES)}"
                words = sum(s.words for s in quoted)
            else:
                text, words = "### " + rng.choice(HEADINGS).format(topic=topic), 0
            blocks.append(text)
            count += words
    return "\n\n".join(blocks) + "\n"


def _plain_text(rng: Random, pool: list[_Sentence], title: str) -> str:
    """Seed 000's shape: title line, blank lines, paragraphs, bare heading lines, indented list-ish lines."""
    target = rng.randint(60, 220)
    blocks = [title + "\n"]
    count = 0
    while count < target:
        roll = rng.random()
        if roll < 0.12:
            blocks.append(rng.choice(HEADINGS).format(topic="the industry"))
            continue
        sentences = rng.choices(pool, k=rng.randint(1, 2) if roll < 0.25 else rng.randint(2, 6))
        text = " ".join(s.plain for s in sentences)
        blocks.append(" " + text if roll < 0.25 else text)
        count += sum(s.words for s in sentences)
    return "\n\n".join(blocks) + "\n"


def _excerpt(rng: Random, pool: list[_Sentence], body: str) -> str:
    words = re.sub(r"[*`#>\[\]]|\(https?://[^)]*\)", "", body[:2000]).split() if body else \
        " ".join(s.plain for s in rng.choices(pool, k=3)).split()
    return " ".join(words[:rng.randint(18, 40)]).rstrip(".,") + rng.choice((",", "…", "."))


def _stamp(value: datetime) -> datetime:
    return min(value, END)


def _images(rng: Random, domain: str, date: datetime) -> list[dict[str, Any]]:
    images = []
    for _ in range(1 if rng.random() < 0.85 else 2):
        width, height = rng.choice(_IMAGE_SIZES)
        images.append({
            "url": f"https://{domain}/wp-content/uploads/{date:%Y/%m}/img-{rng.getrandbits(48):012x}.jpg"
                   f"?quality=90&strip=all&resize={width}%2C{height}",
            "width": width, "height": height, "isCached": rng.random() < 0.7,
        })
    return images


def _related(rng: Random, pool: list[_Sentence], item: CorpusItem) -> list[dict[str, Any]]:
    entries = []
    for _ in range(rng.randint(1, 3)):
        name, domain = rng.choice(PROVIDERS)
        title = _headline(rng, item.topics[0])
        when = item.date - timedelta(minutes=rng.randint(30, 4 * 24 * 60))
        url = _article_url(rng, domain, when, title)
        entry: dict[str, Any] = {"title": title, "excerpt": _excerpt(rng, pool, ""), "publishedDateTime": when,
                                 "webUrl": url}
        if rng.random() < 0.5:
            entry["ampWebUrl"] = url + "amp/"
        entry.update({"type": "article", "provider": {"name": name, "domain": domain},
                      "quality": rng.randint(1, 100)})
        if rng.random() < 0.6:
            entry["images"] = _images(rng, domain, when)
        entries.append(entry)
    return entries


def _frontmatter(rng: Random, pool: list[_Sentence], item: CorpusItem, provider: tuple[str, str], url: str,
                 body: str) -> dict[str, Any]:
    """Seed 002's schema and key order; the generator never emits anything the seeds do not have."""
    link = item.kind == "link"
    meta: dict[str, Any] = {"category": "news", "title": item.title, "excerpt": _excerpt(rng, pool, body),
                            "publishedDateTime": item.date}
    if rng.random() < 0.15:
        meta["updatedDateTime"] = _stamp(item.date + timedelta(minutes=rng.randint(10, 3 * 24 * 60)))
    meta["originalUrl"] = url
    meta["webUrl"] = url.split("?")[0]
    if link or rng.random() < 0.3:
        meta["ampWebUrl"] = meta["webUrl"] + "amp/"
        meta["cdnAmpWebUrl"] = meta["ampWebUrl"].replace("https://", "https://cdn.ampproject.example/c/s/")
    meta["type"] = rng.choices(("article", "video", "podcast"), weights=(90, 7, 3))[0]
    meta["quality"] = int(rng.triangular(1, 100, 55))
    meta["heat"] = -1 if rng.random() < 0.35 else min(5000, int(rng.paretovariate(1.2) * 10))
    meta["published"] = item.published
    meta["provider"] = {"name": provider[0], "domain": provider[1]}
    meta["topics"] = list(item.topics)
    if rng.random() < (0.7 if link else 0.85):
        meta["images"] = _images(rng, provider[1], item.date)
    if rng.random() < 0.3:
        meta["related"] = _related(rng, pool, item)
    if link or rng.random() < 0.3:
        meta["secured"] = base64.b64encode(rng.getrandbits(8 * 160).to_bytes(160, "big")).decode("ascii")
    return meta


def _scalar(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value)
    if key in _QUOTED_KEYS or not _PLAIN_SCALAR.match(text) or text.lower() in _YAML_WORDS:
        return yaml_string(text)
    return text


def _yaml(meta: dict[str, Any], indent: str = "", top: bool = True) -> str:
    """Block-style YAML for the shapes the generator makes: scalars, mappings, lists of scalars or mappings."""
    lines: list[str] = []
    for key, value in meta.items():
        if isinstance(value, (dict, list)) and top:
            lines.append("")                       # seed 002 separates its nested blocks with a blank line
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.append(_yaml(value, indent + "  ", False).rstrip("\n"))
        elif isinstance(value, list):
            lines.append(f"{indent}{key}:")
            for entry in value:
                if isinstance(entry, dict):
                    nested = _yaml(entry, indent + "    ", False).rstrip("\n")
                    lines.append(f"{indent}  - " + nested[len(indent) + 4:])
                else:
                    lines.append(f"{indent}  - {_scalar(key, entry)}")
        else:
            lines.append(f"{indent}{key}: {_scalar(key, value)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a seeded benchmark site (site.toml + content/).")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--items", type=int, required=True, help="number of content files")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="replace an existing content/ and site.toml")
    args = parser.parse_args(argv)
    if args.items < 1:
        parser.error("--items must be at least 1")
    started = time.perf_counter()
    written = write_corpus(args.out_dir, args.items, args.seed, args.force)
    print(f"wrote {len(written)} items to {args.out_dir / 'content'} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
