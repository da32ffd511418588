"""Freeze site_builder/ and themes/ into a folder and make a command that runs that copy, not the live tree.

The working tree is shared: a benchmark that runs for half an hour would otherwise time whatever code
others save meanwhile, and the build cache (keyed on the code) would be dropped with every save.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

# An editable install puts a meta-path finder ahead of sys.path, so PYTHONPATH alone would still import
# the live tree; the launcher removes that finder first. Pool workers are forked and inherit this.
_LAUNCHER = """\
import sys
sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
sys.path.insert(0, {root!r})
from site_builder.cli import main
sys.exit(main())
"""


def make_snapshot(repo: Path, ref: str, dest: Path) -> tuple[list[str], str]:
    """Copy the code at `ref` (a git revision, or "worktree" for the files as they are now) into dest.

    Returns the command to run it and a description of what was copied.
    """
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if ref == "worktree":
        for name in ("site_builder", "themes"):
            shutil.copytree(repo / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        label = "working tree copied at start"
    else:
        archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", ref, "site_builder", "themes"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):      # 3.11.4+
                tar.extractall(dest, filter="data")
            else:
                tar.extractall(dest)
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", ref], capture_output=True,
                                text=True, check=True).stdout.strip()
        label = f"git {ref} ({commit})"
    launcher = dest / "site_builder_launch.py"
    launcher.write_text(_LAUNCHER.format(root=str(dest)), encoding="utf-8")
    return [sys.executable, str(launcher)], label
