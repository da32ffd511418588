"""Tests for `init_site` (a new site) and `new_item` (a new unpublished item)."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from site_builder.config import load_config
from site_builder.stages.content import parse_item, read_source
from site_builder.errors import ConfigError, UsageError
from site_builder.commands.scaffold import SEED_KEYS, init_site, new_item

NOW = datetime(2024, 5, 6, 23, 30, tzinfo=timezone(timedelta(hours=-2)))  # 2024-05-07 01:30 UTC

DEFAULTS = {
    "title": "My Digest", "description": "", "base_url": "http://localhost:8000/", "language": "en",
    "timezone": "UTC", "theme": "default", "items_per_page": 20, "feed_limit": 50,
    "permalink": "/news/{slug}/", "edition_order": "newest", "feed_link": "page", "trust_html": False,
    "feed_content": "full",
}


def split(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    meta, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(meta), body


# ---------------------------------------------------------------- init_site

def test_init_creates_exactly_the_starter_files(tmp_path: Path) -> None:
    target = tmp_path / "digest"
    written = init_site(target)
    assert [p.relative_to(target).as_posix() for p in written] == [
        "site.toml", "content/2024-01-01-welcome-to-your-news-digest.md", "templates/README.md",
        ".github/workflows/site.yml"]
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == sorted(
        p.relative_to(target).as_posix() for p in written)


def test_site_toml_shows_every_default_with_a_comment(tmp_path: Path) -> None:
    init_site(tmp_path)
    text = (tmp_path / "site.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text) == DEFAULTS
    lines = text.splitlines()
    for key in DEFAULTS:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
        assert lines[at - 1].startswith("# ") and len(lines[at - 1]) > 10, key


def test_new_site_config_loads(tmp_path: Path) -> None:
    init_site(tmp_path)
    config = load_config(tmp_path)
    assert (config.title, config.items_per_page, config.edition_order, config.trust_html) == (
        "My Digest", 20, "newest", False)


def test_example_item_is_a_published_seed_item_with_markdown(tmp_path: Path) -> None:
    init_site(tmp_path)
    path = tmp_path / "content" / "2024-01-01-welcome-to-your-news-digest.md"
    meta, body = split(path)
    assert meta["published"] is True
    assert list(meta) == [k for k in SEED_KEYS if k in meta]
    assert meta["provider"] == {"name": "Example News", "domain": "example.com"}
    item = parse_item(read_source(path, "content/" + path.name), load_config(tmp_path))
    assert (item.title, item.published, item.kind, item.topics) == (
        "Welcome to your news digest", True, "article", ("Getting started",))
    assert "<strong>Markdown</strong>" in item.body_html
    assert body.startswith("This is an example item.")


def test_templates_folder_explains_overrides_without_overriding(tmp_path: Path) -> None:
    init_site(tmp_path)
    assert [p.name for p in (tmp_path / "templates").iterdir()] == ["README.md"]
    readme = (tmp_path / "templates" / "README.md").read_text(encoding="utf-8")
    assert "themes/default/templates/item.html" in readme
    assert "`templates/item.html`" in readme


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        init_site(tmp_path)
    assert str(caught.value) == (f"{tmp_path}: folder is not empty; `init` only creates a site in a new or "
                                 "empty folder so it never overwrites anything")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "site.toml"
    target.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        init_site(target)
    assert str(caught.value) == f"{target}: exists and is not a folder; choose a new or empty folder for the site"


def test_init_accepts_an_existing_empty_folder(tmp_path: Path) -> None:
    assert len(init_site(tmp_path)) == 4


# ---------------------------------------------------------------- new_item

def test_new_item_writes_complete_unpublished_frontmatter(tmp_path: Path) -> None:
    init_site(tmp_path)
    path = new_item(tmp_path, "  Solar  beats coal ", "https://www.Example.org/solar?x=1", ["Energy", "Energy", "EU"],
                    None, NOW)
    assert path == tmp_path / "content" / "2024-05-07-solar-beats-coal.md"
    meta, body = split(path)
    assert list(meta) == ["title", "slug", *SEED_KEYS[1:]]
    assert meta == {
        "title": "Solar beats coal", "slug": "solar-beats-coal", "excerpt": "", "publishedDateTime": "2024-05-07T01:30:00Z",
        "updatedDateTime": None, "originalUrl": "https://www.Example.org/solar?x=1",
        "webUrl": "https://www.Example.org/solar?x=1", "ampWebUrl": None, "cdnAmpWebUrl": None, "category": None,
        "type": "article", "quality": None, "heat": None, "published": False,
        "provider": {"name": "example.org", "domain": "example.org"}, "topics": ["Energy", "EU"],
        "images": [], "related": [],
    }
    assert body == ""
    item = parse_item(read_source(path, "content/" + path.name), load_config(tmp_path))
    assert (item.published, item.source_url, item.topics) == (False, "https://www.Example.org/solar?x=1",
                                                              ("Energy", "EU"))


def test_new_item_with_provider_and_no_url(tmp_path: Path) -> None:
    path = new_item(tmp_path, "Editor's note", None, [], "The Desk", NOW)
    meta, _ = split(path)
    assert (meta["originalUrl"], meta["webUrl"], meta["provider"]) == (None, None, {"name": "The Desk", "domain": ""})
    assert parse_item(read_source(path, "content/" + path.name), load_config(tmp_path)).title == "Editor's note"


def test_new_item_never_overwrites(tmp_path: Path) -> None:
    paths = [new_item(tmp_path, "Same", None, [], None, NOW) for _ in range(3)]
    assert [p.name for p in paths] == ["2024-05-07-same.md", "2024-05-07-same-2.md", "2024-05-07-same-3.md"]
    assert [split(p)[0]["slug"] for p in paths] == ["same", "same-2", "same-3"]


def test_new_item_pins_a_slug_no_other_item_has_and_a_retitled_item_keeps_its_url(tmp_path: Path, run_cli) -> None:
    init_site(tmp_path)
    (tmp_path / "content" / "old.md").write_text("---\ntitle: Other\nslug: wind-record\n---\nx\n")
    path = new_item(tmp_path, "Wind record", None, [], None, NOW)
    assert split(path)[0]["slug"] == "wind-record-2"
    path.write_text(path.read_text().replace("title: Wind record", "title: Wind record, corrected")
                    .replace("published: false", "published: true"))

    code, _, err = run_cli("build", "--source", tmp_path)

    assert code == 0, err
    assert (tmp_path / "output" / "news" / "wind-record-2" / "index.html").is_file()


def test_new_item_slug_falls_back_for_non_latin_titles(tmp_path: Path) -> None:
    path = new_item(tmp_path, "Новости дня", None, [], None, NOW)
    assert path.name == "2024-05-07-item.md"
    assert split(path)[0]["title"] == "Новости дня"


@pytest.mark.parametrize(("title", "url", "topics", "message"), [
    ("Story", "ftp://example.org/x", [], "--url must be an http or https URL, not 'ftp://example.org/x'"),
    ("Story", "example.org/x", [], "--url must be an http or https URL, not 'example.org/x'"),
    ("Story", "javascript:alert(1)", [], "--url must be an http or https URL, not 'javascript:alert(1)'"),
    ("   ", None, [], "the title must not be empty"),
    ("Story", None, ["ok", " "], "--topic must not be empty"),
])
def test_new_item_rejects_bad_input(tmp_path: Path, title: str, url: str | None, topics: list[str],
                                    message: str) -> None:
    with pytest.raises(UsageError) as caught:
        new_item(tmp_path, title, url, topics, None, NOW)
    assert str(caught.value) == message
    assert not (tmp_path / "content").exists()


def test_new_item_needs_an_existing_site_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        new_item(tmp_path / "missing", "Story", None, [], None, NOW)
    assert str(caught.value) == (f"{tmp_path / 'missing'}: source folder does not exist "
                                 "(create a site with `site-builder init`)")


# ---------------------------------------------------------------- command line

def test_cli_init_prints_the_files_and_refuses_twice(tmp_path: Path, run_cli) -> None:
    target = tmp_path / "digest"
    assert run_cli("init", target) == (0, f"{target / 'site.toml'}\n"
                                          f"{target / 'content' / '2024-01-01-welcome-to-your-news-digest.md'}\n"
                                          f"{target / 'templates' / 'README.md'}\n"
                                          f"{target / '.github' / 'workflows' / 'site.yml'}\n"
                                          f"next: site-builder build --source {target}\n", "")
    assert run_cli("init", target) == (1, "", f"{target}: folder is not empty; `init` only creates a site in a "
                                              "new or empty folder so it never overwrites anything\n")


def test_cli_new_prints_the_path(tmp_path: Path, run_cli) -> None:
    init_site(tmp_path)
    code, out, err = run_cli("new", "Hand-picked read", "--url", "https://example.org/read", "--topic", "Climate",
                             "--topic", "Oceans", "--provider", "Example Org", "--source", tmp_path)
    assert (code, err) == (0, "")
    path = Path(out.strip())
    assert path.parent == tmp_path / "content" and path.name.endswith("-hand-picked-read.md")
    meta, _ = split(path)
    assert (meta["topics"], meta["provider"], meta["published"]) == (
        ["Climate", "Oceans"], {"name": "Example Org", "domain": "example.org"}, False)


def test_cli_new_rejects_a_bad_url(tmp_path: Path, run_cli) -> None:
    assert run_cli("new", "Story", "--url", "mailto:x@example.org", "--source", tmp_path) == (
        2, "", "site-builder new: error: --url must be an http or https URL, not 'mailto:x@example.org'\n")
    assert not (tmp_path / "content").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["x", "--url", "ftp://x.org/a"], "--url must be an http or https URL, not 'ftp://x.org/a'"),
    (["x", "--topic", ""], "--topic must not be empty"),
    (["  ", "--topic", "Energy"], "the title must not be empty"),
])
def test_cli_new_bad_values_are_usage_errors(tmp_path: Path, run_cli, args: list[str], message: str) -> None:
    init_site(tmp_path)
    assert run_cli("new", *args, "--source", tmp_path) == (2, "", f"site-builder new: error: {message}\n")
    assert [p.name for p in (tmp_path / "content").iterdir()] == ["2024-01-01-welcome-to-your-news-digest.md"]
