"""The benchmark corpus generator: same seed gives the same bytes, and the mix of items looks like the brief."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import generate  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

N = 200


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench") / "site"
    generate.write_corpus(root, N, seed=1)
    return root


def _frontmatter(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    header, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(header), body


def test_same_seed_gives_identical_bytes_and_mtimes(site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate.write_corpus(again, N, seed=1)
    assert _files(again) == _files(site)
    for txt in (site / "content").rglob("*.txt"):
        assert os.stat(again / txt.relative_to(site)).st_mtime == txt.stat().st_mtime


def test_another_seed_gives_another_corpus(site: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate.write_corpus(other, N, seed=2)
    assert _files(other) != _files(site)


def test_site_toml_has_the_benchmark_settings(site: Path) -> None:
    import tomllib
    config = tomllib.loads((site / "site.toml").read_text(encoding="utf-8"))
    assert config == {"title": "Benchmark Digest", "base_url": "https://bench.example.com/",
                      "items_per_page": 20, "feed_limit": 50}


def test_item_mix_and_schema(site: Path) -> None:
    files = sorted(p for p in (site / "content").rglob("*") if p.is_file())
    assert len(files) == N
    assert {p.parent.name for p in files} <= {"2024", "2025", "2026"} and len({p.parent for p in files}) >= 2
    kinds: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    providers: Counter[str] = Counter()
    for path in files:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".txt":
            kinds["text"] += 1
            assert not text.startswith("---")
            assert text.split("\n", 1)[0].strip()
            assert generate.START.timestamp() <= path.stat().st_mtime <= generate.END.timestamp()
            continue
        assert path.suffix == ".md"
        meta, body = _frontmatter(text)
        assert isinstance(meta["title"], str) and meta["title"]
        assert isinstance(meta["topics"], list) and 1 <= len(meta["topics"]) <= 3
        assert all(isinstance(t, str) and t in generate.TOPICS for t in meta["topics"])
        assert set(meta["provider"]) == {"name", "domain"}
        assert meta["publishedDateTime"].tzinfo is not None
        assert generate.START <= meta["publishedDateTime"] <= generate.END
        assert isinstance(meta["published"], bool)
        kinds["unpublished"] += not meta["published"]
        if body.strip():
            kinds["article"] += 1
            assert 15 <= len(body.split()) <= 700  # short news bodies, ~150 words on average
        else:
            kinds["link"] += 1
        topics.update(meta["topics"])
        providers[meta["provider"]["name"]] += 1
    assert 0.02 <= kinds["unpublished"] / N <= 0.09
    assert 0.12 <= kinds["link"] / N <= 0.28
    assert 0.01 <= kinds["text"] / N <= 0.10
    # Zipf-like: the favourite topic and provider are far ahead of a mid-ranked one.
    assert topics.most_common(1)[0][1] >= 4 * topics.most_common(10)[-1][1]
    assert providers.most_common(1)[0][1] >= 4 * providers.most_common(10)[-1][1]


def test_markdown_bodies_use_the_usual_constructs(site: Path) -> None:
    bodies = "\n".join(_frontmatter(p.read_text(encoding="utf-8"))[1] for p in (site / "content").rglob("*.md"))
    for construct in ("\n## ", "](https://", "*", "\n- ", "\n1. ", "\n> "):
        assert construct in bodies


def test_titles_mostly_unique_with_a_few_duplicates() -> None:
    titles = Counter(f.item.title for f in generate.iter_corpus(2000, seed=1))
    duplicates = sum(count - 1 for count in titles.values())
    assert 1 <= duplicates <= 0.015 * 2000
