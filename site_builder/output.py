"""Write a build to output/: the only writer. Atomic (build beside, then swap), refuses dangerous targets."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import OutputError

log = logging.getLogger(__name__)

MARKER = ".site-builder-output"
MARKER_TEXT = b"This folder is written by site-builder; it is replaced whole by every build.\n"


@dataclass(frozen=True)
class OutputFile:
    """One file of the finished site: a relative POSIX path and its bytes."""

    rel_path: str
    data: bytes


@dataclass(frozen=True)
class WriteStats:
    written: int      # new or changed files
    unchanged: int    # files whose bytes were the same (kept, with their mtimes)
    removed: int      # files of the previous build that are gone


def check_target(output: Path, root: Path) -> None:
    """Refuse to replace a folder that is not ours to replace."""
    output = output.resolve()
    root = root.resolve()
    home = Path.home().resolve()
    protected = {root: "the site root", root / "content": "content/", root / "themes": "themes/",
                 root / "templates": "templates/", root / "static": "static/", Path("/"): "/", home: "your home folder"}
    for path, name in protected.items():
        if output == path:
            raise OutputError(f"refusing to write the site into {name} ({output}): choose another --output")
    if output in root.parents:
        raise OutputError(f"refusing to write the site into {output}: it contains the site root")
    for path in (root / "content", root / "themes", root / "templates", root / "static"):
        if path in output.parents:
            raise OutputError(f"refusing to write the site inside {path.name}/ ({output}): choose another --output")
    if output.is_file():
        raise OutputError(f"output {output} is a file, not a folder")
    if output.is_dir() and not (output / MARKER).exists() and any(output.iterdir()):
        raise OutputError(f"refusing to replace {output}: it is not empty and was not written by site-builder "
                          f"(no {MARKER} file); empty it or choose another --output")


def write_output(files: list[OutputFile], output: Path, root: Path) -> WriteStats:
    """Make `output` hold exactly `files`. Written beside it, then swapped in, so a failed or killed
    build leaves the previous output whole; files whose bytes are unchanged keep their mtimes."""
    check_target(output, root)
    output = output.resolve()
    clean_leftovers(output)
    staging = output.parent / f".{output.name}.tmp-{os.getpid()}"
    written = unchanged = 0
    try:
        staging.mkdir(parents=True)
        made_dirs = {staging}
        for f in files:
            target = staging / f.rel_path
            if target.parent not in made_dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(target.parent)
            if _same_bytes(output / f.rel_path, f.data):
                os.link(output / f.rel_path, target)
                unchanged += 1
            else:
                target.write_bytes(f.data)
                written += 1
        (staging / MARKER).write_bytes(MARKER_TEXT)
        previous = _file_set(output) if output.exists() else set()
        _swap_in(staging, output)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    removed = previous - {f.rel_path for f in files} - {MARKER}
    return WriteStats(written=written, unchanged=unchanged, removed=len(removed))


def clean_leftovers(output: Path) -> None:
    """Remove staging folders left by a build that was killed."""
    if not output.parent.is_dir():
        return
    for leftover in output.parent.glob(f".{output.name}.tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _file_set(folder: Path) -> set[str]:
    return {Path(d, f).relative_to(folder).as_posix() for d, _, files in os.walk(folder) for f in files}


def _swap_in(staging: Path, output: Path) -> None:
    """Put staging at output's place in one step; afterwards staging holds the old tree (if any)."""
    if not output.exists():
        os.rename(staging, output)
        return
    if _exchange(staging, output):
        return
    # No atomic exchange on this system: two renames, with a very short window between them.
    old = output.parent / f".{output.name}.tmp-old-{os.getpid()}"
    os.rename(output, old)
    os.rename(staging, output)
    os.rename(old, staging)


def _exchange(a: Path, b: Path) -> bool:
    """Linux renameat2(RENAME_EXCHANGE): swap two folders atomically. False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0
