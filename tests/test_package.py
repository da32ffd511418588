"""The package as a user installs it: `python -m build` makes an sdist and a wheel that carry the built-in
themes; the wheel, installed into a fresh virtual environment, starts and builds a site outside the
repository in both themes, and previews it.

Slow (a build and an install from the package index or pip's cache), so marked `slow`: `-m "not slow"`
leaves it out of a quick local run; the full suite and CI run it.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

# What a build of the package reads; copied away so that building never writes into the checkout.
SOURCES = ("pyproject.toml", "README.md", "constraints.txt", "site_builder", "themes")
THEME_FILES = ("default/theme.toml", "default/templates/base.html", "default/static/assets/site.css",
               "compact/theme.toml", "compact/static/assets/compact.css")


def run(args: list[str | Path], cwd: Path, timeout: float = 600) -> str:
    """Run a command as a user would: without this checkout on PYTHONPATH; fail with its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_CONSTRAINT"] = str(REPO / "constraints.txt")  # also pins setuptools in build's isolated env
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh venv with the wheel `python -m build` made (from its sdist) installed."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, source / name, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                            if (REPO / name).is_dir() else {}))
    run([sys.executable, "-m", "build", "--outdir", work / "dist", source], cwd=work)
    wheels, sdists = list((work / "dist").glob("*.whl")), list((work / "dist").glob("*.tar.gz"))
    assert (len(wheels), len(sdists)) == (1, 1)

    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
    assert {f"site_builder/themes/{f}" for f in THEME_FILES} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "content/", "themes/"))]
    with tarfile.open(sdists[0]) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        assert {f"{top}/themes/{f}" for f in THEME_FILES} <= set(sdist.getnames())

    run([sys.executable, "-m", "venv", work / "venv"], cwd=work)
    bin_dir = work / "venv" / "bin"
    run([bin_dir / "python", "-m", "pip", "install", "--quiet", wheels[0]], cwd=work)
    return bin_dir


def test_the_wheel_runs_from_its_own_install(installed):
    where = run([installed / "python", "-c", "import site_builder; print(site_builder.__file__)"], cwd=installed)
    assert Path(where.strip()).is_relative_to(installed.parent / "lib")
    assert run([installed / "site-builder", "--version"], cwd=installed) == "site-builder 0.1.0\n"


@pytest.mark.parametrize("theme", ["default", "compact"])
def test_a_new_site_builds_outside_the_repository(installed, tmp_path, theme):
    run([installed / "site-builder", "init", "site1"], cwd=tmp_path)
    site = tmp_path / "site1"
    out = run([installed / "site-builder", "build", "--theme", theme], cwd=site)
    assert "; 1 items published, 0 hidden; " in out, out
    home = (site / "output" / "index.html").read_text(encoding="utf-8")
    assert "Welcome to your news digest" in home
    stylesheet = {"default": "assets/site.css", "compact": "assets/compact.css"}[theme]
    assert (site / "output" / stylesheet).is_file()
    assert stylesheet in home


def test_serve_answers_from_the_installed_wheel(installed, tmp_path):
    run([installed / "site-builder", "init", "site1"], cwd=tmp_path)
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with log.open("w") as sink:
        proc = subprocess.Popen([installed / "site-builder", "serve", "--port", "0"], cwd=tmp_path / "site1",
                                stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            text = log.read_text(encoding="utf-8")
            if "Serving at http://127.0.0.1:" in text:
                port = int(text.split("Serving at http://127.0.0.1:", 1)[1].split("/", 1)[0])
            time.sleep(0.1)
        assert port is not None, log.read_text(encoding="utf-8")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert (response.status, b"Welcome to your news digest" in response.read()) == (200, True)
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
