"""Walk and read the site's input folders safely: only regular files are read, and links to folders are
followed only where they cannot loop or lead out of the site.

A FIFO, socket or device (or a link to one, such as /dev/zero) blocks or never ends when read: it is
refused from its stat(), before any open(), and opened non-blocking in case it changed in between.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))


class NotRegularFile(OSError):
    """A path that is not a regular file (nor a link to one); `kind` says what it is."""

    def __init__(self, kind: str, path: str) -> None:
        super().__init__(f"{kind}, not a regular file")
        self.kind = kind
        self.filename = path
        self.strerror = f"{kind}, not a regular file"


def special_kind(mode: int) -> str | None:
    """What a stat mode is when it is not a regular file ('a FIFO (named pipe)', ...), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def check_regular(path: str | Path) -> os.stat_result:
    """stat() a path (following links), raising NotRegularFile for anything but a regular file."""
    result = os.stat(path)
    kind = special_kind(result.st_mode)
    if kind is not None:
        raise NotRegularFile(kind, str(path))
    return result


def read_regular(path: str | Path) -> bytes:
    """The bytes of a regular file; NotRegularFile (an OSError) for anything else, never a hang."""
    check_regular(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    with open(fd, "rb") as f:
        kind = special_kind(os.fstat(fd).st_mode)  # replaced by a FIFO since the stat above
        if kind is not None:
            raise NotRegularFile(kind, str(path))
        return f.read()


def _inside(path: str, folder: str) -> bool:
    """path is folder or lies below it (both real, absolute paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def walk_tree(folder: Path, ignored: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """Every file under `folder` (as path strings, sorted) and warnings about the folders skipped.

    Linked folders are followed when their target lies inside the folder that holds `folder` (for
    content/ and static/: the site's folder) and outside `folder` itself; a link to a folder that is
    read anyway, to one of its own parents (a loop), to a folder already followed through another link,
    or out of the site is skipped with a warning. Linked files are listed like any other: reading them
    is the reader's business (read_regular).
    """
    top = str(folder)
    real_top = os.path.realpath(top)
    boundary = os.path.dirname(real_top)
    shown_from = os.path.dirname(top)
    files: list[str] = []
    warnings: list[str] = []
    followed: set[str] = set()

    def shown(path: str) -> str:
        return os.path.relpath(path, shown_from).replace(os.sep, "/")

    def refusal(real: str, ancestors: tuple[str, ...]) -> str | None:
        if any(_inside(a, real) for a in ancestors):
            return "a link to a folder that contains it (a loop)"
        if _inside(real, real_top):
            return f"a link to {shown(os.path.join(top, os.path.relpath(real, real_top)))}, which is read anyway"
        if not _inside(real, boundary):
            return f"a link to a folder outside the site ({real}); only links within the site's folder are followed"
        if real in followed:
            return "a link to a folder already read through another link"
        return None

    def visit(path: str, ancestors: tuple[str, ...]) -> None:
        try:
            with os.scandir(path) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            warnings.append(f"{shown(path)}: skipped: cannot read the folder ({exc.strerror})")
            return
        for entry in entries:
            if ignored(entry.name):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                files.append(entry.path)
            elif not entry.is_symlink():
                visit(entry.path, ancestors + (os.path.join(ancestors[-1], entry.name),))
            else:
                real = os.path.realpath(entry.path)
                reason = refusal(real, ancestors)
                if reason is not None:
                    warnings.append(f"{shown(entry.path)}: skipped: {reason}")
                    continue
                followed.add(real)
                visit(entry.path, ancestors + (real,))

    if os.path.isdir(top):
        visit(top, (real_top,))
    return sorted(files, key=lambda p: p.split(os.sep)), warnings
