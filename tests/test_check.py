"""`site-builder check`: every error and warning of the whole site, nothing written, exit 1 on errors."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from site_builder.commands.check import check_site, future_dated
from site_builder.config import load_config
from site_builder.stages.content import decode_source, parse_item
from tests.conftest import read_tree


def story(title: str, date: str = "2024-05-01T09:00:00Z", more: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{more}---\nBody of {title}.\n"


CLEAN = {
    "site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
    "content/a.md": story("Alpha", more="originalUrl: https://example.com/a\n"),
    "content/b.md": story("Beta", "2024-05-02T09:00:00Z"),
}
WARNINGS = {
    **CLEAN,
    "content/plain.txt": "Plain Story\n\nNo date in here.\n",
    "content/dup.md": story("Duplicate", more="originalUrl: https://www.example.com/a/?utm_source=x\n"),
    "content/same1.md": story("Same Title", "2024-05-01T08:00:00Z"),
    "content/same2.md": story("Same Title", "2024-05-03T08:00:00Z"),
    "content/future.md": "---\ntitle: Future\n\npublishedDateTime: 2999-01-01T09:00:00Z\n---\n",
    "content/image.png": b"\x89PNG\r\n\x1a\n\x00",
    "content/draft.md": story("Drafty", more="draft: true\n"),
    "content/off.md": story("Switched Off", more="published: false\n"),
}
WARNING_LINES = [
    "warning: content/dup.md: same source URL as content/a.md (https://www.example.com/a/?utm_source=x)",
    "warning: content/future.md:4: dated 2999-01-01T09:00:00+00:00, in the future; a build publishes it now anyway",
    "warning: content/image.png: skipped: not a content file (content files end in .md, .markdown, .txt)",
    "warning: content/plain.txt: no date in the file; using its modification time (2023-11-14 22:13 UTC)",
    "warning: content/same2.md: URL /news/same-title/ is already used by content/same1.md; using /news/same-title-2/",
]


def check(run_cli, root: Path, *options: str) -> tuple[int, str, str]:
    everything = snapshot(root)
    result = run_cli("check", "--source", root, *options)
    assert snapshot(root) == everything  # check writes nothing: no output/, no cache, no leftovers
    assert "Traceback" not in result[2]
    return result


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def test_a_clean_site(make_site, run_cli):
    root = make_site(CLEAN)
    assert check(run_cli, root) == (0, "check: 0 errors, 0 warnings; 2 items published, 0 hidden\n", "")
    assert not (root / "output").exists() and not (root / ".site-builder-cache").exists()


def test_warnings_hidden_items_and_the_summary(make_site, run_cli):
    root = make_site(WARNINGS)
    code, out, err = check(run_cli, root)
    assert code == 0
    assert err.splitlines() == WARNING_LINES
    assert out == ("info: 2 items hidden (1 draft, 1 unpublished); --drafts checks and shows them\n"
                   "check: 0 errors, 5 warnings; 7 items published, 2 hidden (1 draft, 1 unpublished)\n")


def test_strict_turns_warnings_into_errors(make_site, run_cli):
    root = make_site(WARNINGS)
    code, out, err = check(run_cli, root, "--strict")
    assert code == 1
    assert err.splitlines() == [line.removeprefix("warning: ") for line in WARNING_LINES]
    assert out.endswith("\ncheck: 5 errors, 0 warnings; 7 items published, 2 hidden (1 draft, 1 unpublished)\n")


def test_strict_on_a_clean_site_passes(make_site, run_cli):
    assert check(run_cli, make_site(CLEAN), "--strict")[0] == 0


def test_every_error_of_every_stage_is_listed(make_site, run_cli):
    root = make_site({**WARNINGS,
                      "site.toml": CLEAN["site.toml"] + 'theme = "mine"\n',
                      "themes/mine/theme.toml": 'extends = "ghost"\n',
                      "themes/mine/templates/.keep": "",
                      "content/bad-yaml.md": "---\ntitle: [unclosed\n---\n",
                      "content/bad-type.md": story("Typed", more="topics: 5\n"),
                      "content/binary.txt": b"\x00\x01",
                      "content/s1.md": story("S1", more="slug: same\n"),
                      "content/s2.md": story("S2", "2024-05-02T09:00:00Z", "slug: same\n")})
    code, out, err = check(run_cli, root)
    assert code == 1
    assert err.splitlines() == [
        "content/bad-type.md:4: topics must be a list of strings, not 5",
        "content/bad-yaml.md:2: invalid YAML in frontmatter: did not find expected ',' or ']'",
        "content/binary.txt:1: binary file (contains NUL bytes); content files must be UTF-8 text",
        "content/s2.md:4: slug 'same' gives URL /news/same/, already used by content/s1.md; choose another slug",
        "themes/mine/theme.toml: extends unknown theme 'ghost' (available: compact, default, mine)",
        *WARNING_LINES,
    ]
    assert out.endswith("check: 5 errors, 5 warnings; 9 items published, 2 hidden (1 draft, 1 unpublished)\n")


def test_a_template_error_is_found_by_rendering_in_memory(make_site, run_cli):
    root = make_site({**CLEAN, "templates/item.html": "{% extends 'base.html' %}\n{% block main %}{{ item.nope.x }}"
                                                      "{% endblock %}\n"})
    code, out, err = check(run_cli, root)
    assert code == 1
    assert err == ("templates/item.html:2: UndefinedError: 'dict object' has no attribute 'nope' "
                   "(while rendering page /news/beta/)\n")
    assert out == "check: 1 error, 0 warnings; 2 items published, 0 hidden\n"


def test_a_broken_site_toml_stops_the_check_at_once(make_site, run_cli):
    root = make_site({**CLEAN, "site.toml": 'title = "Digest"\nitem_per_page = 5\nfeed_limit = "x"\n'})
    code, out, err = check(run_cli, root)
    assert code == 1
    assert err == ("site.toml:2: unknown key 'item_per_page' (did you mean 'items_per_page'?)\n"
                   "site.toml:3: 'feed_limit' must be a whole number, not 'x'\n")
    assert out == "check: 2 errors, 0 warnings; 0 items published, 0 hidden\n"


def test_a_missing_site_folder(run_cli, tmp_path):
    code, out, err = run_cli("check", "--source", tmp_path / "nowhere")
    assert (code, err) == (1, f"site folder {tmp_path / 'nowhere'} does not exist\n")
    assert out == "check: 1 error, 0 warnings; 0 items published, 0 hidden\n"


def test_drafts_checks_hidden_items_too(make_site, run_cli):
    root = make_site({**CLEAN, "content/c.md": story("Gamma", more="slug: gamma\n"),
                      "content/hidden.md": story("Hidden", "2024-05-03T09:00:00Z", "published: false\nslug: gamma\n")})
    assert check(run_cli, root)[0] == 0
    code, out, err = check(run_cli, root, "--drafts")
    assert code == 1
    assert err == "content/hidden.md:5: slug 'gamma' gives URL /news/gamma/, already used by content/c.md; " \
                  "choose another slug\n"
    assert out == ("info: 1 item hidden (1 unpublished); shown as drafts\n"
                   "check: 1 error, 0 warnings; 3 items published, 1 hidden (1 unpublished)\n")


def test_an_existing_output_is_left_alone(make_site, run_cli):
    root = make_site(CLEAN)
    assert run_cli("build", "--source", root)[0] == 0
    before = read_tree(root / "output")
    (root / "content/a.md").write_text(story("Alpha changed"))
    assert check(run_cli, root)[0] == 0
    assert read_tree(root / "output") == before


def test_check_site_is_callable_without_the_cli(make_site):
    root = make_site(WARNINGS)
    report = check_site(lambda: load_config(root), datetime(2024, 5, 2, 12, tzinfo=timezone.utc))
    assert report.errors == ()
    assert len(report.warnings) == 6  # at noon on 2 May the story of 3 May is in the future too
    assert "content/same2.md:3: dated 2024-05-03T08:00:00+00:00, in the future; a build publishes it now anyway" \
        in report.warnings


def test_future_dated_uses_the_date_key_line():
    text = "---\ntitle: T\nexcerpt: e\ndate: 2030-01-01T00:00:00+02:00\n---\n"
    item = parse_item(decode_source(text.encode(), "content/t.md", 0), load_config(Path("/nonexistent-site")))
    # 2030-01-01T00:00+02:00 is 2029-12-31T22:00Z
    assert future_dated([item], datetime(2029, 12, 31, 21, 59, tzinfo=timezone.utc)) == \
        ["content/t.md:4: dated 2030-01-01T00:00:00+02:00, in the future; a build publishes it now anyway"]
    assert future_dated([item], datetime(2029, 12, 31, 22, 0, tzinfo=timezone.utc)) == []


@pytest.mark.parametrize("option", ["--output", "--no-cache", "--theme"])
def test_check_takes_no_build_options(run_cli, option, tmp_path):
    code, _, err = run_cli("check", "--source", tmp_path, option, "x")
    assert code == 2 and f"unrecognized arguments: {option} x" in err
