"""The one rule for which files are a build's inputs, shared by the content walker, the static copy,
the inputs digest and the watcher: site.toml, and every file under content/, static/, templates/ and
themes/ except hidden files and editors' temp and backup files (anywhere in the path)."""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from site_builder.config import CONFIG_FILE

# Folders of the site root whose whole tree feeds the build (output/ is not one of them, by design).
INPUT_DIRS = ("content", "templates", "static", "themes")


def is_ignored(name: str) -> bool:
    """Hidden files and editors' temp and backup files are never inputs: not content, not static files
    (an editor's swap file must not be published half-saved), not templates."""
    return (name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".bak"))
            or name == "4913")


def walk_files(folder: Path | str) -> list[str]:
    """Every input file under a folder, as path strings in a stable order (plain strings: at tens of
    thousands of files, Path objects cost)."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not is_ignored(d)]
        prefix = dirpath + os.sep
        found.extend(prefix + f for f in filenames if not is_ignored(f))
    return sorted(found, key=lambda p: p.split(os.sep))


def is_input(path: str | PurePath, root: str | PurePath) -> bool:
    """Whether a change at `path` can change the site built from `root` (pure: looks at names only).

    site.toml and the input folders themselves (appearing or vanishing) count, and anything under them
    that walk_files would find; output/, the build cache and everything else does not.
    """
    try:
        parts = PurePath(path).relative_to(root).parts
    except ValueError:
        return False
    if not parts or any(is_ignored(part) for part in parts):
        return False
    if len(parts) == 1:
        return parts[0] == CONFIG_FILE or parts[0] in INPUT_DIRS
    return parts[0] in INPUT_DIRS


def file_stamp(stat: os.stat_result) -> tuple[int, int, int, int]:
    """What says a file is unchanged without reading it: size, mtime, ctime (which no tool can set back)
    and inode (an atomic save makes a new one)."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
