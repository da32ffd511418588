"""The one rule for which files are a build's inputs, shared by the content walker, the static copy,
the inputs digest and the watcher: site.toml, and every file under content/, static/, templates/ and
themes/ except hidden files and editors' temp and backup files (anywhere in the path)."""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from site_builder.config import CONFIG_FILE
from site_builder.files import walk_tree

# Folders of the site root whose whole tree feeds the build (output/ is not one of them, by design).
INPUT_DIRS = ("content", "templates", "static", "themes")


def is_ignored(name: str) -> bool:
    """Hidden files and editors' temp and backup files are never inputs: not content, not static files
    (an editor's swap file must not be published half-saved), not templates."""
    return (name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".bak"))
            or name == "4913")


def walk_inputs(folder: Path | str) -> tuple[list[str], list[str]]:
    """Every input file under a folder (path strings in a stable order: plain strings, since at tens of
    thousands of files Path objects cost) and warnings about linked folders skipped (files.walk_tree)."""
    return walk_tree(Path(folder), is_ignored)


def walk_files(folder: Path | str) -> list[str]:
    """walk_inputs without the warnings."""
    return walk_inputs(folder)[0]


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
