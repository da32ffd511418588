"""The one item the benchmark edits: which one, how its title or body changes, and where its page ends up."""

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


def moved_titles(title: str) -> Iterator[str]:
    """Endless retitles that each move the item's URL: a numbered prefix changes the start of its slug."""
    for k in itertools.count(1):
        yield f"Update {k}: {title}"


def set_title(path: Path, title: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(r"^title: .*$", lambda _: f"title: {yaml_string(title)}", text, count=1, flags=re.M)
    if count != 1:
        raise SystemExit(f"{path}: no title line to edit")
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(new)


# The body's first sentence: on the first line that is not blank, a heading, a list entry or a quote,
# everything up to the first "." or "?" that ends a word (the corpus's link URLs hold no ". ").
_FIRST_SENTENCE = re.compile(r"^(?!\s|#|>|[-*+] |\d+\. )[^\n]*?[.?](?=\s|$)", re.M)


def edit_body(path: Path, marker: str) -> str:
    """Replace the first sentence of the body with one naming marker; the frontmatter keeps every byte.

    Returns the new sentence, which the item page shows once it is rebuilt.
    """
    text = path.read_text(encoding="utf-8")
    end = text.index("\n---\n", 3) + len("\n---\n") if text.startswith("---\n") else 0
    sentence = f"Benchmark edit {marker} rewrote this sentence."
    body, count = _FIRST_SENTENCE.subn(lambda _: sentence, text[end:], count=1)
    if count != 1:
        raise SystemExit(f"{path}: no body sentence to edit")
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text[:end] + body)
    return sentence


def has_title(page: str, title: str) -> bool:
    return title in page or html.escape(title) in page


def find_page(out: Path, title: str, under: str = "") -> str | None:
    """The site URL of the built page whose <title> holds this title, or None; `under` narrows the search to
    one output folder (e.g. "news")."""
    found = []
    for path in (out / under).rglob("*.html"):
        with open(path, "rb") as handle:
            head = handle.read(8192).decode("utf-8", "replace")
        match = re.search(r"<title[^>]*>(.*?)</title>", head, re.S | re.I)
        if match and has_title(match.group(1), title):
            found.append(path.relative_to(out).as_posix())
    if not found:
        return None
    rel = min(found, key=lambda p: (p.count("/"), len(p), p))
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)
