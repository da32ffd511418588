"""Write a build to output/: the only writer. Atomic (build beside, then swap), refuses dangerous targets."""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import OutputError

log = logging.getLogger(__name__)

MARKER = ".site-builder-output"
MARKER_TEXT = b"This folder is written by site-builder; it is replaced whole by every build.\n"


@dataclass(frozen=True)
class OutputFile:
    """One file of the finished site: a relative POSIX path and its bytes (None: keep the file in output/)."""

    rel_path: str
    data: bytes | None


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


def check_paths(files: list[OutputFile]) -> None:
    """Every file lands inside output/, and no two claim one path (or a file and a folder one name)."""
    paths: set[str] = set()
    folders: set[str] = set()
    for f in files:
        parts = f.rel_path.split("/")
        if f.rel_path.startswith("/") or "\\" in f.rel_path or any(p in ("", ".", "..") for p in parts):
            raise OutputError(f"refusing to write {f.rel_path!r}: not a plain path inside the output folder")
        if f.rel_path in paths:
            raise OutputError(f"two outputs claim {f.rel_path}")
        paths.add(f.rel_path)
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = paths & folders
    if clash:
        raise OutputError(f"two outputs claim {min(clash)}: one as a file, one as a folder")


def write_output(files: list[OutputFile], output: Path, root: Path) -> WriteStats:
    """Make `output` hold exactly `files`. Written beside it, then swapped in, so a failed or killed
    build leaves the previous output whole; files whose bytes are unchanged keep their mtimes."""
    check_target(output, root)
    check_paths(files)
    output = output.resolve()
    staging = output.parent / f".{output.name}.tmp-{os.getpid()}"
    written = unchanged = 0
    try:
        clean_leftovers(output)
        staging.mkdir(parents=True)
        new_root, old_root = str(staging) + os.sep, str(output) + os.sep
        made_dirs = {new_root.rstrip(os.sep)}
        for f in files:
            target = new_root + f.rel_path
            parent = target.rpartition(os.sep)[0]
            if parent not in made_dirs:
                os.makedirs(parent, exist_ok=True)
                made_dirs.add(parent)
            if f.data is None or _same_bytes(old_root + f.rel_path, f.data):
                _keep(old_root + f.rel_path, target, f.data)
                unchanged += 1
            else:
                with open(target, "wb") as out:
                    out.write(f.data)
                written += 1
        (staging / MARKER).write_bytes(MARKER_TEXT)
        previous = _file_set(output) if output.exists() else set()
        _swap_in(staging, output)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise OutputError(f"cannot write the site to {output}: {exc.strerror or exc}{where}") from exc
    finally:
        # After the swap staging holds the previous tree. Were removing it to fail, the next build
        # removes it (clean_leftovers); the new site is already in place either way.
        _remove_tree(staging, len(files))
    removed = previous - {f.rel_path for f in files} - {MARKER}
    return WriteStats(written=written, unchanged=unchanged, removed=len(removed))


# Above this many files the previous tree is removed by a detached process, so the build need not
# wait for tens of thousands of unlinks; below it (and where that fails) it is removed here.
BACKGROUND_REMOVAL_FILES = 5000


def _remove_tree(folder: Path, size: int) -> None:
    if not folder.exists():
        return
    if size > BACKGROUND_REMOVAL_FILES:
        trash = folder.with_name(folder.name + "-old")
        try:
            os.rename(folder, trash)
            subprocess.Popen([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)",
                              str(trash)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
            return
        except OSError:
            folder = trash if trash.exists() else folder
    shutil.rmtree(folder, ignore_errors=True)


def _keep(old: str, target: str, data: bytes | None) -> None:
    """Put an unchanged file into staging as a hard link to the old one, so it keeps its mtime."""
    try:
        os.link(old, target)
    except OSError as exc:
        if data is None:  # the build relied on this file still being in output/
            raise OutputError(f"{old} changed or vanished during the build; build again "
                              f"(or with --no-cache)") from exc
        with open(target, "wb") as out:  # a file system without hard links
            out.write(data)


def clean_leftovers(output: Path) -> None:
    """Remove staging folders left by a killed build, but not those of a build running right now;
    should a killed build have left no output/ at all (the two-rename swap), put its old tree back."""
    if not output.parent.is_dir():
        return
    for leftover in sorted(output.parent.glob(f".{output.name}.tmp-*")):
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _running(int(pid)):
            continue
        if leftover.name.startswith(f".{output.name}.tmp-old-") and not output.exists():
            os.rename(leftover, output)
            continue
        shutil.rmtree(leftover, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as old:
            return old.read() == data
    except OSError:
        return False


def _file_set(folder: Path) -> set[str]:
    start = len(str(folder)) + 1
    return {os.path.join(d, f)[start:].replace(os.sep, "/") for d, _, files in os.walk(folder) for f in files}


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
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's own symbols, which include libc's
    except OSError:
        return False
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0
