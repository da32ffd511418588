"""The Nu HTML checker finds no errors in what we build: the repo's sample site and the varied theme test site."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import REPO
from tests.judges import vnu_errors
from tests.varied_site import varied_site


def copy_sample_site(dest: Path) -> Path:
    """The repository's sample site (content/, static/ and site.toml) copied to dest, so a build cannot touch
    the repo."""
    shutil.copytree(REPO / "content", dest / "content")
    shutil.copytree(REPO / "static", dest / "static")
    if (REPO / "site.toml").is_file():
        shutil.copy2(REPO / "site.toml", dest / "site.toml")
    return dest


def test_sample_site_is_valid_html(tmp_path, node_tools, run_cli):
    site = copy_sample_site(tmp_path / "site")
    builds = {"root": [], "sub-path": ["--base-url", "https://example.org/sub/path/"], "drafts": ["--drafts"]}
    for name, options in builds.items():
        code, _, err = run_cli("build", "--source", site, "--output", tmp_path / "out" / name, *options)
        assert code == 0, err
    assert (tmp_path / "out" / "sub-path" / "index.html").is_file()

    errors = vnu_errors(tmp_path / "out")

    assert errors == [], "Nu HTML checker errors:\n" + "\n".join(errors)


def test_varied_site_is_valid_html_in_both_themes(tmp_path, node_tools, make_site, run_cli):
    site = make_site(varied_site())
    for theme in ("default", "compact"):
        code, _, err = run_cli("build", "--source", site, "--theme", theme, "--output", tmp_path / "out" / theme)
        assert code == 0, err

    errors = vnu_errors(tmp_path / "out")

    assert errors == [], "Nu HTML checker errors:\n" + "\n".join(errors)


def test_the_checker_reports_errors_with_paths_relative_to_the_folder(tmp_path, node_tools):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p><span></p></body></html>\n')

    errors = vnu_errors(tmp_path)

    assert errors == ['page/index.html:1.76-1.79: error: End tag “p” seen, but there were open elements.',
                      'page/index.html:1.70-1.75: error: Unclosed element “span”.']
