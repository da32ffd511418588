"""The one item the benchmark edits: which one, how its title changes, and where its page ends up."""

from __future__ import annotations

import html
import itertools
import re
from collections import Counter
from pathlib import Path
from typing import Iterator

from generate import CorpusItem, yaml_string


def _toggle_positions(title: str) -> list[int]:
    return [i for i, word in enumerate(title.split(" ")) if len(word) >= 3 and word.isalpha() and word.islower()]


def pick_probe(items: list[CorpusItem]) -> CorpusItem:
    """The newest published Markdown article with a unique, HTML-neutral title: it sits on the home page."""
    counts = Counter(item.title for item in items)
    candidates = [item for item in items
                  if item.kind == "article" and item.published and counts[item.title] == 1
                  and re.fullmatch(r"[A-Za-z0-9 ,:?$.-]+", item.title) and len(_toggle_positions(item.title)) >= 2]
    if not candidates:
        raise SystemExit("no article suitable for the edit tests in this corpus (use a larger size)")
    return max(candidates, key=lambda item: (item.date, item.rel_path))


def edit_titles(title: str) -> Iterator[str]:
    """Endless title edits: each upper-cases one lowercase word, never the same word twice in a row.

    Only the case changes, so the item's slug and page URL stay put and the same page can be fetched again.
    """
    positions = _toggle_positions(title)
    for k in itertools.count():
        words = title.split(" ")
        words[positions[k % len(positions)]] = words[positions[k % len(positions)]].upper()
        yield " ".join(words)


def set_title(path: Path, title: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(r"^title: .*$", lambda _: f"title: {yaml_string(title)}", text, count=1, flags=re.M)
    if count != 1:
        raise SystemExit(f"{path}: no title line to edit")
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(new)


def has_title(page: str, title: str) -> bool:
    return title in page or html.escape(title) in page


def find_page(out: Path, title: str) -> str | None:
    """The site URL of the built page whose <title> holds this title, or None."""
    found = []
    for path in out.rglob("*.html"):
        with open(path, "rb") as handle:
            head = handle.read(8192).decode("utf-8", "replace")
        match = re.search(r"<title[^>]*>(.*?)</title>", head, re.S | re.I)
        if match and has_title(match.group(1), title):
            found.append(path.relative_to(out).as_posix())
    if not found:
        return None
    rel = min(found, key=lambda p: (p.count("/"), len(p), p))
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
