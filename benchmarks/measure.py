"""Run one CLI command to completion and measure it: wall time, CPU and memory of its whole process tree.

CPU and ru_maxrss come from os.wait4 on the direct child. On Linux the rusage wait4 returns covers the
child plus every descendant it has itself waited for (a process pool's workers, once joined), so a
launcher reading RUSAGE_CHILDREN would report the same numbers. ru_maxrss is the largest *single*
process, not the sum; the tree's summed PSS (shared pages split between the processes sharing them)
is sampled from /proc every SAMPLE_SECONDS.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Run:
    """One measured CLI run."""

    wall: float               # seconds, start of the child to its exit
    cpu: float                # user+sys of the child and every descendant it waited for (os.wait4)
    max_rss_kib: int          # ru_maxrss from os.wait4: the largest single process in that tree
    tree_pss_kib: int         # peak of the summed PSS of the whole process tree, sampled every 0.1 s
    processes: int            # most processes seen alive at once in the tree
    returncode: int
    stderr: str



def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            continue     # exited between listing and reading
    return found


def _memory_kib(pid: int) -> int:
    """PSS (pages shared after a fork counted once across the tree), or RSS where smaps_rollup is missing."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def _tree_memory_kib(pid: int) -> tuple[int, int]:
    total, alive = 0, 0
    for member in _descendants(pid):
        try:
            total += _memory_kib(member)
            alive += 1
        except (OSError, IndexError, ValueError):
            continue     # exited meanwhile
    return total, alive


def measure(cmd: list[str], log_path: Path) -> Run:
    """Run cmd to completion; wall, CPU and RSS of it and its descendants."""
    peak = {"rss": 0, "procs": 0}
    done = threading.Event()
    with open(log_path, "ab") as out, tempfile.TemporaryFile() as err:
        out.write(f"\n$ {shlex.join(cmd)}\n".encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

        def sample() -> None:
            while not done.wait(SAMPLE_SECONDS):
                rss, alive = _tree_memory_kib(proc.pid)
                peak["rss"], peak["procs"] = max(peak["rss"], rss), max(peak["procs"], alive)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4 (not Popen.wait) so the rusage of this child, including its reaped pool workers, comes back.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        out.write(stderr.encode())
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, max_rss_kib=usage.ru_maxrss,
               tree_pss_kib=peak["rss"], processes=peak["procs"], returncode=proc.returncode, stderr=stderr)
