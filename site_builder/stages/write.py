"""Write a build to output/: the only writer. Writes only what changed, through a journal a killed build
can be finished from; refuses dangerous targets."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from site_builder.errors import OutputError

log = logging.getLogger(__name__)

MARKER = ".site-builder-output"
MARKER_TEXT = b"This folder is written by site-builder; every build makes it hold exactly the new site.\n"


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
    written_paths: tuple[str, ...] = ()  # the written and removed files themselves, sorted (build --changes)
    removed_paths: tuple[str, ...] = ()


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


class PathCheck:
    """Every file lands inside output/, and no two claim one path (or a file and a folder one name):
    checked file by file as they come, and once more at the end for file/folder clashes."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self._folders: set[str] = set()

    def add(self, rel_path: str) -> None:
        parts = rel_path.split("/")
        if rel_path.startswith("/") or "\\" in rel_path or any(p in ("", ".", "..") for p in parts):
            raise OutputError(f"refusing to write {rel_path!r}: not a plain path inside the output folder")
        if rel_path in self.paths:
            raise OutputError(f"two outputs claim {rel_path}")
        self.paths.add(rel_path)
        self._folders.update("/".join(parts[:i]) for i in range(1, len(parts)))

    def finish(self) -> None:
        clash = self.paths & self._folders
        if clash:
            raise OutputError(f"two outputs claim {min(clash)}: one as a file, one as a folder")


def write_output(files: Iterable[OutputFile], output: Path, root: Path) -> WriteStats:
    """Make `output` hold exactly `files`, leaving files whose bytes are unchanged as they are (same inode
    and mtime). A first build is written beside `output` and renamed into place. Later builds stage only
    the new and changed files beside it, then record the whole update in a journal and apply it: killed
    before the journal is complete, a build leaves `output` untouched; killed after, the next build
    finishes the update before doing anything else (clean_leftovers)."""
    check_target(output, root)
    output = output.resolve()
    staging = output.parent / f".{output.name}.tmp-{os.getpid()}"
    try:
        clean_leftovers(output)
        if output.is_dir() and (output / MARKER).exists():
            return _update(files, output, staging)
        return _write_whole(files, output, staging)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise OutputError(f"cannot write the site to {output}: {exc.strerror or exc}{where}") from exc
    finally:
        if not (staging / JOURNAL).exists():  # an update that failed half-way is finished by the next build
            shutil.rmtree(staging, ignore_errors=True)


def _write_whole(files: Iterable[OutputFile], output: Path, staging: Path) -> WriteStats:
    """Into an empty or missing output: the whole tree beside it, then swapped in."""
    staging.mkdir(parents=True)
    new_root = str(staging) + os.sep
    made_dirs = {new_root.rstrip(os.sep)}
    check = PathCheck()
    for f in files:
        check.add(f.rel_path)
        if f.data is None:
            raise OutputError(f"{output / f.rel_path} changed or vanished during the build; build again "
                              "(or with --no-cache)")
        target = new_root + f.rel_path
        parent = target.rpartition(os.sep)[0]
        if parent not in made_dirs:
            os.makedirs(parent, exist_ok=True)
            made_dirs.add(parent)
        with open(target, "wb") as out:
            out.write(f.data)
    check.finish()
    (staging / MARKER).write_bytes(MARKER_TEXT)
    _swap_in(staging, output)  # afterwards staging holds the old (empty) folder, removed by the caller
    return WriteStats(written=len(check.paths), unchanged=0, removed=0, written_paths=tuple(sorted(check.paths)))


JOURNAL = "journal.json"


def _update(files: Iterable[OutputFile], output: Path, staging: Path) -> WriteStats:
    """Change output/ into `files` in place: only new and changed files are written, stale ones removed."""
    out = str(output) + os.sep
    check = PathCheck()
    moves: list[list[str]] = []
    foreign = _foreign_entries(output)  # links and special files placed in output/: replaced, never used
    for f in files:
        check.add(f.rel_path)
        if f.data is None:
            if not _regular_file(out + f.rel_path) or _under(f.rel_path, foreign):
                # the build relied on this file still being there
                raise OutputError(f"{out + f.rel_path} changed or vanished during the build; build again "
                                  "(or with --no-cache)")
        elif _under(f.rel_path, foreign) or not _same_bytes(out + f.rel_path, f.data):
            if not moves:
                staging.mkdir()
            moves.append([str(len(moves)), f.rel_path])
            (staging / moves[-1][0]).write_bytes(f.data)
    check.finish()
    stale = sorted((_file_set(output) | foreign) - check.paths - {MARKER})
    if moves or stale:
        staging.mkdir(exist_ok=True)
        _commit(moves, stale, staging)
        _apply(staging, output, rollback=True)
        shutil.rmtree(staging)
    return WriteStats(written=len(moves), unchanged=len(check.paths) - len(moves), removed=len(stale),
                      written_paths=tuple(sorted(rel for _, rel in moves)), removed_paths=tuple(stale))


def _foreign_entries(output: Path) -> set[str]:
    """Links (to files or folders) and FIFOs, sockets or devices inside output/: a build never makes them,
    so they were placed there (a deploy tool, a restored backup). Writing through a link could write
    outside output/, and reading a FIFO never ends: each is removed and replaced, never followed."""
    start = len(str(output)) + 1
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(output):
        rel = dirpath[start:].replace(os.sep, "/")
        prefix = rel + "/" if rel else ""
        found.update(prefix + d for d in dirnames if os.path.islink(os.path.join(dirpath, d)))
        found.update(prefix + f for f in filenames if not _regular_file(os.path.join(dirpath, f)))
    return found


def _under(rel_path: str, foreign: set[str]) -> bool:
    """rel_path, or a folder on the way to it, is one of the foreign entries."""
    if not foreign:
        return False
    parts = rel_path.split("/")
    return any("/".join(parts[:i]) in foreign for i in range(1, len(parts) + 1))


def _regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _commit(moves: list[list[str]], stale: list[str], staging: Path) -> None:
    """The journal beside the staged bytes: once it is there, the update will happen."""
    journal = json.dumps({"remove": stale, "move": moves})
    (staging / (JOURNAL + ".tmp")).write_text(journal, "utf-8")
    os.replace(staging / (JOURNAL + ".tmp"), staging / JOURNAL)


def _apply(staging: Path, output: Path, rollback: bool = False) -> None:
    """Carry out a staged update's journal; safe to repeat after being killed half-way.

    With `rollback`, files are replaced and removed by moving the old ones into the staging folder, so
    that a step that fails (a read-only folder) can undo every step before it: output/ is then exactly
    as it was, the journal is dropped, and the error goes on to the caller.
    """
    journal = json.loads((staging / JOURNAL).read_text("utf-8"))
    out = str(output) + os.sep
    done: list[tuple[str, str]] = []    # (where a file is now, where it was): undone in reverse order
    made: list[str] = []                # folders created
    removed: list[str] = []
    try:
        for index, rel in enumerate(journal["remove"]):
            if not _real_folders(output, rel):
                continue  # behind a link: not inside output/ (the link itself is removed)
            if rollback:
                _move_aside(out + rel, str(staging / f"old-{index}"), done)
            else:
                try:
                    os.unlink(out + rel)
                except FileNotFoundError:
                    continue
            removed.append(rel)
        for number, rel in journal["move"]:
            source = staging / number
            if source.exists():
                _make_folders(output, rel, made)
                if rollback:
                    _move_aside(out + rel, str(staging / f"old-m{number}"), done)
                os.replace(source, out + rel)
                done.append((out + rel, str(source)))
    except Exception:
        if not rollback:
            raise
        for now, was in reversed(done):
            os.replace(now, was)
        for folder in reversed(made):
            os.rmdir(folder)
        (staging / JOURNAL).unlink()
        raise
    for rel in removed:
        _prune(output, Path(out + rel).parent)


def _move_aside(path: str, backup: str, done: list[tuple[str, str]]) -> None:
    """Move a file (or a link) out of the way into the staging folder, remembering where it was."""
    try:
        os.rename(path, backup)
    except FileNotFoundError:
        return
    done.append((backup, path))


def _real_folders(output: Path, rel: str) -> bool:
    """Every folder between output/ and rel is a real folder, not a link."""
    folder = output
    for part in rel.split("/")[:-1]:
        folder = folder / part
        if folder.is_symlink() or not folder.is_dir():
            return False
    return True


def _make_folders(output: Path, rel: str, made: list[str]) -> None:
    """Create the folders on the way to rel; refuse to go through a link (it would lead out of output/)."""
    folder = output
    for part in rel.split("/")[:-1]:
        folder = folder / part
        if folder.is_symlink():
            raise OutputError(f"refusing to write through the link {folder}: it was placed inside the output "
                              "folder (remove it)")
        if not folder.is_dir():
            os.mkdir(folder)
            made.append(str(folder))


def _prune(output: Path, folder: Path) -> None:
    """Remove folders left empty by removed pages, up to (not including) output/."""
    while folder != output and output in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def clean_leftovers(output: Path) -> None:
    """Deal with what killed builds left, but not with what a build running right now is writing: finish
    an update whose journal is complete, put back an output/ caught between the two renames of a swap,
    and remove the rest."""
    if not output.parent.is_dir():
        return
    for leftover in sorted(output.parent.glob(f".{output.name}.tmp-*")):
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _running(int(pid)):
            continue
        if leftover.name.startswith(f".{output.name}.tmp-old-") and not output.exists():
            os.rename(leftover, output)
            continue
        if (leftover / JOURNAL).is_file() and (output / MARKER).is_file():
            log.debug("finishing the update a killed build left in %s", leftover)
            _apply(leftover, output)
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
        found = os.lstat(path)
        if not stat.S_ISREG(found.st_mode) or found.st_size != len(data):
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
