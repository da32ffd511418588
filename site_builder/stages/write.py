"""Write a build to output/: the only writer and the only reader of output/. Finishes what a killed build
left before anything is compared with output/, keeps files its own record says are current, writes only
what changed, through a journal a killed build can be finished from; refuses dangerous targets."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from site_builder.errors import OutputError
from site_builder.inputs import file_stamp

log = logging.getLogger(__name__)

MARKER = ".site-builder-output"
MARKER_TEXT = b"This folder is written by site-builder; every build makes it hold exactly the new site.\n"


@dataclass(frozen=True)
class OutputFile:
    """One file of the finished site: a relative POSIX path and its bytes, and the key it was made from
    when the file's path could not be planned before it was made (the search index's chunks): the write
    stage records it as it would a planned file's key."""

    rel_path: str
    data: bytes
    key: str = ""


@dataclass(frozen=True)
class Written:
    """What the write stage left at one path of output/: the key the file was made from ("" for files
    made without one, always compared by their bytes) and the file's stat stamp right after."""

    key: str
    stamp: tuple[int, ...]


Record = dict[str, Written]   # out path -> Written: the write stage's memory of output/, kept by the caller


def write_site(keys: dict[str, str], make: Callable[[frozenset[str]], Iterable[OutputFile]], output: Path,
               root: Path, record: Record) -> tuple[WriteStats, Record]:
    """Make output/ hold the site whose files are `keys` (out path -> key; "" for a file made without a
    key), in this order: refuse a dangerous target; finish or roll back what a killed build left; keep
    each file `record` says was made from the same key and is still the file recorded; ask `make` for
    every other file (given the kept paths); write them. Returns the stats and the new record."""
    check_target(output, root)
    output = output.resolve()
    clean_leftovers(output)
    kept = current_files(output, keys, record)
    late: dict[str, str] = {}

    def noting_keys(files: Iterable[OutputFile]) -> Iterator[OutputFile]:
        for f in files:
            if f.key:
                late[f.rel_path] = f.key
            yield f
    stats = write_output(noting_keys(make(kept)), output, root, keep=kept, record=record)
    return stats, record_of(output, {**keys, **late}, {path: record[path] for path in kept})


def read_kept(output: Path, rel_path: str) -> bytes:
    """The bytes of a file write_site kept (in `kept` when it called `make`): a stage that needs a kept
    file's bytes (the search index reads every item page) asks the write stage, the owner of output/."""
    with open(os.path.join(output.resolve(), rel_path), "rb") as handle:
        return handle.read()


def current_files(output: Path, keys: dict[str, str], record: Record) -> frozenset[str]:
    """The keyed files in output/ that are exactly what `record` says they were made from."""
    if not (output / MARKER).is_file():
        return frozenset()
    prefix = str(output) + os.sep
    return frozenset(path for path, key in keys.items()
                     if key and (was := record.get(path)) is not None and was.key == key
                     and _stamp(prefix + path) == was.stamp)


def record_of(output: Path, keys: dict[str, str], kept: Record | None = None) -> Record:
    """Each file's key and stamp, and the stamp of every folder on the way to them (output/ itself as
    "./"): a file added or removed anywhere changes its folder's stamp, so nobody need list the folders
    whose stamps are unchanged (`unchanged`, `_file_set`). `kept`: files whose stamps were just found to
    be the recorded ones and were not written since (they keep them)."""
    prefix = str(output.resolve()) + os.sep
    kept = kept or {}
    record = {path: kept[path] if path in kept else Written(key, stamp) for path, key in keys.items()
              if path in kept or (stamp := _stamp(prefix + path))}
    folders = {"./"}
    for path in list(record):
        parent = path.rpartition("/")[0]
        while parent and parent + "/" not in folders:
            folders.add(parent + "/")
            parent = parent.rpartition("/")[0]
    record.update((folder, Written("", stamp)) for folder in sorted(folders) if (stamp := _stamp(prefix + folder)))
    return record


def unchanged(output: Path, root: Path, record: Record) -> bool:
    """output/ (a killed build's update finished first) holds exactly the recorded files, untouched since:
    every recorded file and folder has its recorded stamp (a file added or removed changes its folder's)."""
    if not record or "./" not in record or not output.is_dir():
        return False
    check_target(output, root)
    output = output.resolve()
    clean_leftovers(output)
    prefix = str(output) + os.sep
    return all(_stamp(prefix + path) == was.stamp for path, was in record.items())


def _stamp(path: str) -> tuple[int, ...]:
    """The stat stamp of what is at path itself (a link is not followed: it is never what was written)."""
    try:
        return file_stamp(os.lstat(path))
    except OSError:
        return ()


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


def write_output(files: Iterable[OutputFile], output: Path, root: Path,
                 keep: frozenset[str] = frozenset(), record: Record | None = None) -> WriteStats:
    """Make `output` hold exactly `files` and the files at `keep` as they are, leaving files whose bytes are unchanged as they are (same inode
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
            return _update(files, output, staging, keep, record or {})
        if keep:
            raise OutputError(f"{output} was replaced during the build; build again")
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


def _update(files: Iterable[OutputFile], output: Path, staging: Path, keep: frozenset[str],
            record: Record) -> WriteStats:
    """Change output/ into `files` and `keep` in place: only new and changed files are written, stale ones
    removed."""
    out = str(output) + os.sep
    present, foreign = _file_set(output, record)  # foreign: links and special files placed in output/
    check = PathCheck()
    for rel in sorted(keep):
        check.add(rel)
        # The build relied on this file being there: it is, as the file recorded, if _file_set found it
        # (found in its folder's listing, or its folder's stamp is the recorded one: no entry changed there).
        if rel not in present or _under(rel, foreign):
            raise OutputError(f"{out + rel} changed or vanished during the build; build again "
                              "(or with --no-cache)")
    moves: list[list[str]] = []
    for f in files:
        check.add(f.rel_path)
        if _under(f.rel_path, foreign) or not _same_bytes(out + f.rel_path, f.data):
            if not moves:
                staging.mkdir()
            moves.append([str(len(moves)), f.rel_path])
            (staging / moves[-1][0]).write_bytes(f.data)
    check.finish()
    stale = sorted((present | foreign) - check.paths - {MARKER})
    if moves or stale:
        staging.mkdir(exist_ok=True)
        _commit(moves, stale, staging)
        _apply(staging, output, rollback=True)
        shutil.rmtree(staging)
    return WriteStats(written=len(moves), unchanged=len(check.paths) - len(moves), removed=len(stale),
                      written_paths=tuple(sorted(rel for _, rel in moves)), removed_paths=tuple(stale))


def _under(rel_path: str, foreign: set[str]) -> bool:
    """rel_path, or a folder on the way to it, is one of the foreign entries."""
    if not foreign:
        return False
    parts = rel_path.split("/")
    return any("/".join(parts[:i]) in foreign for i in range(1, len(parts) + 1))


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
        if in_use(leftover):
            continue
        if leftover.name.startswith(f".{output.name}.tmp-old-") and not output.exists():
            os.rename(leftover, output)
            continue
        if (leftover / JOURNAL).is_file() and (output / MARKER).is_file():
            log.debug("finishing the update a killed build left in %s", leftover)
            _apply(leftover, output)
        shutil.rmtree(leftover, ignore_errors=True)


def in_use(leftover: Path) -> bool:
    """Whether a leftover named `<name>-<pid>` belongs to another process that is alive (a build writing
    it now), rather than to a killed one."""
    pid = leftover.name.rsplit("-", 1)[-1]
    return pid.isdigit() and int(pid) != os.getpid() and _running(int(pid))


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


def _file_set(folder: Path, record: Record) -> tuple[set[str], set[str]]:
    """Every regular file under folder, as relative POSIX paths, and every foreign entry: a link (to a
    file or a folder) or a FIFO, socket or device. A build never makes those, so they were placed there
    (a deploy tool, a restored backup); writing through a link could write outside output/ and reading a
    FIFO never ends, so each is removed and replaced, never followed.

    A folder whose stamp is the one `record` holds has the entries it had then (adding, removing or
    replacing one changes the stamp): its recorded files and folders, all made by the write stage. Only
    the others are listed."""
    children: dict[str, list[str]] = {}
    for path in record:
        if path != "./" and _plain(path.rstrip("/")):  # the record comes from the store: never trusted
            parent = path.rstrip("/").rpartition("/")[0]
            children.setdefault(parent + "/" if parent else "./", []).append(path)
    prefix = str(folder) + os.sep
    found: set[str] = set()
    foreign: set[str] = set()
    todo = ["./"]
    while todo:
        current = todo.pop()
        was = record.get(current)
        if was is not None and _stamp(prefix + current) == was.stamp:
            for entry in children.get(current, ()):
                (todo.append(entry) if entry.endswith("/") else found.add(entry))
            continue
        base = "" if current == "./" else current
        with os.scandir(prefix + base) as entries:
            for entry in entries:
                if entry.is_symlink():
                    foreign.add(base + entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    todo.append(base + entry.name + "/")
                elif entry.is_file(follow_symlinks=False):
                    found.add(base + entry.name)
                else:
                    foreign.add(base + entry.name)
    return found, foreign


def _plain(rel_path: str) -> bool:
    """A plain relative path inside output/ (no '..', no absolute path, no empty part)."""
    return not rel_path.startswith("/") and "\\" not in rel_path and \
        all(part not in ("", ".", "..") for part in rel_path.split("/"))


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
