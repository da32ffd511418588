"""Deploying: `build --changes FILE` lists what a build wrote and removed; `init` writes a GitHub Actions
workflow that actionlint accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from site_builder.commands.scaffold import init_site
from tests.conftest import REPO, read_tree

ITEM = """---
title: "{title}"
slug: {slug}
publishedDateTime: 2024-05-01T09:00:00Z
topics: [Energy]
provider: {{name: Example News, domain: example.com}}
originalUrl: https://example.com/{slug}
---
Body.
"""


def item(title: str) -> str:
    return ITEM.format(title=title, slug=title.lower().replace(" ", "-"))


def changes(run_cli, root: Path, listing: Path) -> dict[str, list[str]]:
    code, out, err = run_cli("build", "--source", root, "--changes", listing)
    assert (code, err) == (0, ""), err
    return json.loads(listing.read_text(encoding="utf-8"))


def test_changes_lists_every_file_of_a_first_build_then_only_what_changed(make_site, run_cli, tmp_path):
    root = make_site({"content/wind.md": item("Wind farms grow"),
                      "content/solar.md": item("Solar beats coal")})
    listing = tmp_path / "changes.json"

    first = changes(run_cli, root, listing)
    assert first == {"written": sorted(read_tree(root / "output").keys() - {".site-builder-output"}), "removed": []}
    assert "news/wind-farms-grow/index.html" in first["written"]

    assert changes(run_cli, root, listing) == {"written": [], "removed": []}

    (root / "content" / "wind.md").unlink()
    third = changes(run_cli, root, listing)
    # The search index's chunks are named by their content: the old ones go, new ones come.
    assert [p for p in third["removed"] if not p.startswith("pagefind/")] == ["news/wind-farms-grow/index.html"]
    assert not set(third["removed"]) & set(third["written"])
    assert "assets/site.css" not in third["written"] and "favicon.svg" not in third["written"]
    assert "index.html" in third["written"] and "feed.xml" in third["written"]
    assert third["written"] == sorted(third["written"])
    assert set(third["written"]) <= read_tree(root / "output").keys()


def test_changes_file_is_json_with_one_path_a_line(make_site, run_cli, tmp_path):
    root = make_site({"content/wind.md": item("Wind farms grow")})
    listing = tmp_path / "changes.json"
    run_cli("build", "--source", root)
    (root / "content" / "wind.md").unlink()
    (root / "static").mkdir()
    (root / "static" / "notes.txt").write_text("Kept as it is.\n", encoding="utf-8")
    changes(run_cli, root, listing)
    text = listing.read_text(encoding="utf-8")
    assert text.startswith('{\n  "written": [\n    "')
    assert '",\n    "notes.txt",\n' in text
    assert '\n  ],\n  "removed": [\n    "2024/05/01/index.html",\n' in text
    assert '\n    "news/wind-farms-grow/index.html",\n' in text and text.endswith('"\n  ]\n}\n')


def test_changes_file_inside_output_is_refused_before_building(make_site, run_cli):
    root = make_site({"content/wind.md": item("Wind farms grow")})
    code, out, err = run_cli("build", "--source", root, "--changes", root / "output" / "changes.json")
    assert (code, out) == (1, "")
    assert err == (f"--changes {root / 'output' / 'changes.json'}: the list must be written outside the output "
                   f"folder ({root / 'output'})\n")
    assert not (root / "output").exists()


def actionlint() -> str:
    """The actionlint the test set installs (constraints.txt), beside this Python or on PATH."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        pytest.skip("actionlint is not installed (pip install -c constraints.txt -e '.[test]')")
    return found


def test_init_writes_a_github_pages_workflow_that_actionlint_accepts(tmp_path):
    init_site(tmp_path)
    workflow = tmp_path / ".github" / "workflows" / "site.yml"
    result = subprocess.run([actionlint(), "-no-color", str(workflow)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    text = workflow.read_text(encoding="utf-8")
    # Warm builds in CI: the build cache (and the output it describes) is restored and saved.
    assert "path: |\n            .site-builder-cache\n            output\n" in text
    assert "uses: actions/upload-pages-artifact@" in text and "uses: actions/deploy-pages@" in text


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    # The judge itself: a workflow with a job that never says where it runs must fail.
    workflow = tmp_path / "broken.yml"
    workflow.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: echo hi\n", encoding="utf-8")
    result = subprocess.run([actionlint(), "-no-color", str(workflow)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert '"runs-on" section is missing in job "build"' in result.stdout


def test_the_workflow_in_the_docs_is_the_one_init_writes(tmp_path):
    init_site(tmp_path)
    workflow = (tmp_path / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8")
    docs = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert f"```yaml\n{workflow}```\n" in docs
