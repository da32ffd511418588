"""Help a built site get published: the list of files a build changed (`build --changes`) and the
GitHub Actions workflow a new site starts with (docs/deploy.md has the recipes around them)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from site_builder import __version__
from site_builder.errors import OutputError
from site_builder.stages.write import WriteStats

log = logging.getLogger(__name__)


def check_changes_file(path: Path, output: Path) -> None:
    """Refuse a changes file inside output/ before building: the next build would remove it as stale."""
    target, out = path.resolve(), output.resolve()
    if target == out or out in target.parents:
        raise OutputError(f"--changes {path}: the list must be written outside the output folder ({output})")


def changes_json(stats: WriteStats) -> str:
    """`{"written": [...], "removed": [...]}`: paths relative to output/, sorted, one per line."""
    return json.dumps({"written": list(stats.written_paths), "removed": list(stats.removed_paths)},
                      indent=2, ensure_ascii=False) + "\n"


def write_changes(path: Path, stats: WriteStats) -> None:
    """Write the changes list atomically, so a deploy script never reads half of one."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_text(changes_json(stats), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write the list of changes: {exc.strerror or exc}", str(path)) from None
    log.debug("wrote the list of changes to %s", path)


WORKFLOW_PATH = Path(".github", "workflows", "site.yml")


def github_workflow(version: str = __version__) -> str:
    """A GitHub Actions workflow that builds the site on every push to main and publishes it on GitHub
    Pages; the build cache and the last output are kept between runs, so each build is a warm one."""
    return WORKFLOW.replace("{version}", version)


WORKFLOW = """\
# Build the site and publish it on GitHub Pages on every push to main (and by hand from the Actions tab).
# Turn Pages on first: Settings > Pages > Build and deployment > Source: GitHub Actions.
# Written by `site-builder init`; site-builder's docs/deploy.md explains it and has recipes for other hosts.
name: site

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read

# One deployment at a time; a newer push waits instead of cancelling one half-way.
concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    env:
      # Where site-builder comes from: a version on PyPI, a wheel committed to this repository
      # (./wheels/site_builder-{version}-py3-none-any.whl) or a git URL (site-builder @ git+https://...).
      SITE_BUILDER: site-builder=={version}
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
      - name: Install site-builder
        run: python -m pip install "$SITE_BUILDER"
      - id: pages
        uses: actions/configure-pages@v6
      # The build cache and the last build's output, so this build only redoes what changed. Each run
      # saves a new entry (keyed by commit) and restores the newest earlier one.
      - uses: actions/cache@v5
        with:
          path: |
            .site-builder-cache
            output
          key: site-builder-${{ runner.os }}-${{ github.sha }}
          restore-keys: |
            site-builder-${{ runner.os }}-
      - name: Build
        # Pages serves the site at https://OWNER.github.io/REPOSITORY/ unless it has a domain of its own;
        # changes.json lists the files this build wrote and removed (for a CDN purge, say).
        run: site-builder build --base-url "${{ steps.pages.outputs.base_url }}/" --changes changes.json
      - uses: actions/upload-pages-artifact@v4
        with:
          path: output

  deploy:
    needs: build
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v5
"""
