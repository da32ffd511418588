"""Shared fixtures: a site written from a dict, the CLI runner, and the headless Chromium set-up."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from site_builder.cli import main

REPO = Path(__file__).resolve().parent.parent
# The two news seeds the project started from, kept byte for byte in the sample content (never read
# from outside the repository, so the tests pass on any fresh clone).
SEEDS = (REPO / "content" / "000_4160aa818435225f.txt", REPO / "content" / "002_d7de35cb9cde7413.txt")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# A fixed modification time for files without a date, so their output is byte-stable.
PINNED_MTIME = 1_700_000_000  # 2023-11-14T22:13:20Z


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relpath: text} under root (text files get a pinned mtime) and return root."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
        os.utime(path, (PINNED_MTIME, PINNED_MTIME))
    (root / "content").mkdir(exist_ok=True)
    return root


@pytest.fixture
def make_site(tmp_path):
    """make_site({"content/a.md": "..."}) -> site root with those files."""
    def make(files: dict[str, str | bytes], name: str = "site") -> Path:
        return write_site(tmp_path / name, files)
    return make


@pytest.fixture
def run_cli(capsys):
    """run_cli("build", "--source", dir) -> (exit code, stdout, stderr)."""
    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        out, err = capsys.readouterr()
        return code, out, err
    return run


def read_tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- Browser tests: Debian's chromium driven by Playwright; never `playwright install`. ---

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "service_workers": "block"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failure: browser tests must really run there."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped in CI, which counts as a failure: {reason}"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    folder = REPO / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """node_modules with vnu-jar and axe-core (npm ci); skipped (a failure in CI) when missing."""
    modules = REPO / "node_modules"
    if not (modules / "vnu-jar").is_dir() or not (modules / "axe-core").is_dir():
        pytest.skip("npm tools missing: run `npm ci` in the repository")
    if shutil.which("java") is None:
        pytest.skip("java is not installed")
    return modules

