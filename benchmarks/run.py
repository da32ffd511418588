"""Time the real site-builder CLI on generated corpora and print the results as a Markdown table.

    python benchmarks/run.py [--sizes 1000,10000] [--with-50k] [--with-100k] [--keep DIR]

For each size: cold build, warm rebuild with nothing changed, warm rebuild after one title edit, and
`serve --watch` edit-to-reload. benchmarks/README.md says what each column measures.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from edit import edit_titles, find_page, has_title, pick_probe, set_title
from generate import CorpusItem, write_corpus
from live import SERVE_RUNS, Unavailable, measure_serve
from measure import Run, measure
from snapshot import make_snapshot

log = logging.getLogger(__name__)

COLD_RUNS = 3
WARM_RUNS = 5
CACHE_DIR = ".site-builder-cache"
REPO = Path(__file__).resolve().parent.parent


@dataclass
class SizeResult:
    """Everything measured for one corpus size; lists stay empty when a step did not run."""

    items: int
    generate_seconds: float = 0.0
    corpus_mib: float = 0.0
    output_files: int = 0
    cold: list[Run] = field(default_factory=list)
    warm: list[Run] = field(default_factory=list)
    changed: list[Run] = field(default_factory=list)
    serve: list[tuple[float, float]] = field(default_factory=list)   # (reload event, page fresh) after write
    serve_note: str = ""
    failure: str = ""
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- builds

def _clean(site: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(site / CACHE_DIR, ignore_errors=True)


def _failed(result: SizeResult, what: str, run: Run) -> bool:
    if run.returncode == 0:
        return False
    tail = "\n".join(run.stderr.strip().splitlines()[-40:])
    result.failure = f"{what} exited with {run.returncode}:\n{tail}"
    return True


def run_builds(cli: list[str], site: Path, out: Path, probe: CorpusItem, titles: Iterator[str],
               result: SizeResult, no_cache: list[str], log_path: Path) -> str | None:
    """Cold, warm and one-change builds into result; returns the last title written (None if none was)."""
    build = [*cli, "build", "--source", str(site), "--output", str(out)]
    for i in range(COLD_RUNS):
        _clean(site, out)
        _progress(f"  cold build {i + 1}/{COLD_RUNS}")
        run = measure(build + no_cache, log_path)
        if _failed(result, "cold build", run):
            return None
        result.cold.append(run)
    result.output_files = sum(1 for p in out.rglob("*") if p.is_file())
    printed = [line for line in result.cold[0].stderr.splitlines() if line.strip()]
    if printed:
        result.notes.append(f"cold build printed {len(printed)} stderr line(s), first: {printed[0][:200]}")
    _progress("  priming the cache")
    prime = measure(build, log_path)
    if _failed(result, "first cached build", prime):
        return None
    result.notes.append(f"first build with the cache on (fills it): {_seconds(prime.wall)} wall, "
                        f"{_seconds(prime.cpu)} CPU")
    if not (site / CACHE_DIR).is_dir():
        result.notes.append(f"no {CACHE_DIR}/ after a cached build: the warm runs were full builds")
    for i in range(WARM_RUNS):
        _progress(f"  warm no-change {i + 1}/{WARM_RUNS}")
        run = measure(build, log_path)
        if _failed(result, "warm rebuild", run):
            return None
        result.warm.append(run)
    url = find_page(out, probe.title)
    if url is None:
        result.notes.append(f"could not find the page of {probe.rel_path} in the output; freshness not checked")
    stale = 0
    title = None
    for i in range(WARM_RUNS):
        title = next(titles)
        set_title(site / probe.rel_path, title)
        _progress(f"  warm one-change {i + 1}/{WARM_RUNS}")
        run = measure(build, log_path)
        if _failed(result, "warm rebuild after an edit", run):
            return title
        result.changed.append(run)
        if url is not None and not has_title(_read_page(out, url), title):
            stale += 1
    if stale:
        result.notes.append(f"STALE: after {stale}/{WARM_RUNS} one-change rebuilds the item page lacked the new title")
    return title


def _read_page(out: Path, url: str) -> str:
    path = out / url.lstrip("/")
    if url.endswith("/"):
        path = path / "index.html"
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


# ---------------------------------------------------------------- reporting

def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _median(values: list[float]) -> str:
    return _seconds(statistics.median(values)) if values else "n/a"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MB"


def table(results: list[SizeResult]) -> str:
    rows = ["| N | cold wall | cold CPU | warm no-change | warm one-change | serve edit→reload | peak RSS |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        runs = r.cold + r.warm + r.changed
        failed = "FAILED" if r.failure else "n/a"
        cells = [f"{r.items:,}",
                 _median([x.wall for x in r.cold]) if r.cold else failed,
                 _median([x.cpu for x in r.cold]) if r.cold else failed,
                 _median([x.wall for x in r.warm]) if r.warm else failed,
                 _median([x.wall for x in r.changed]) if r.changed else failed,
                 _median([fresh for _, fresh in r.serve]) if r.serve else "n/a",
                 _mib(max(x.max_rss_kib for x in runs)) if runs else failed]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def details(r: SizeResult) -> list[str]:
    lines = [f"### N = {r.items:,}",
             f"- corpus: {r.corpus_mib:.0f} MiB generated in {r.generate_seconds:.1f} s; "
             f"output: {r.output_files:,} files"]
    for label, runs in (("cold", r.cold), ("warm no-change", r.warm), ("warm one-change", r.changed)):
        if runs:
            lines.append(f"- {label}: wall {', '.join(_seconds(x.wall) for x in runs)}; "
                         f"CPU {', '.join(_seconds(x.cpu) for x in runs)}; "
                         f"max RSS of one process {_mib(max(x.max_rss_kib for x in runs))}; "
                         f"tree PSS (sampled) {_mib(max(x.tree_pss_kib for x in runs))}; "
                         f"up to {max(x.processes for x in runs)} process(es)")
    if r.serve:
        lines.append("- serve: reload event after " + ", ".join(_seconds(e) for e, _ in r.serve)
                     + "; page fresh after " + ", ".join(_seconds(f) for _, f in r.serve))
    if r.serve_note:
        lines.append(f"- serve: n/a, {r.serve_note}")
    lines.extend(f"- {note}" for note in r.notes)
    if r.failure:
        lines.append("- FAILURE: " + r.failure.replace("\n", "\n      "))
    return lines


def machine() -> list[str]:
    cpu = "unknown CPU"
    try:
        cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M).group(1)  # type: ignore[union-attr]
    except (OSError, AttributeError):
        pass
    ram = "unknown"
    try:
        kib = int(re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))  # type: ignore[union-attr]
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h %cs"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    return [f"- CPU: {cpu}; {os.cpu_count()} logical cores ({usable} usable)",
            f"- RAM: {ram}",
            f"- Python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}",
            f"- repository at commit {commit}"]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)



# ---------------------------------------------------------------- main

def find_cli(explicit: str | None) -> list[str]:
    if explicit:
        return shlex.split(explicit)
    exe = shutil.which("site-builder")
    return [exe] if exe else [sys.executable, "-m", "site_builder"]


def check_build(cli: list[str]) -> tuple[bool, list[str], str]:
    """(build usable, extra cold-build flags, why not)."""
    try:
        probe = subprocess.run([*cli, "build", "--help"], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        return False, [], str(exc)
    if probe.returncode != 0 or "--source" not in probe.stdout:
        return False, [], (probe.stderr or probe.stdout).strip()[-500:]
    return True, (["--no-cache"] if "--no-cache" in probe.stdout else []), ""


def bench_size(n: int, seed: int, root: Path, cli: list[str], no_cache: list[str], serve: bool) -> SizeResult:
    result = SizeResult(items=n)
    site, out = root / f"n{n}" / "site", root / f"n{n}" / "out"
    log_path = root / f"n{n}" / "cli.log"
    shutil.rmtree(root / f"n{n}", ignore_errors=True)
    _progress(f"N={n:,}: generating corpus in {site}")
    started = time.perf_counter()
    items = write_corpus(site, n, seed)
    result.generate_seconds = time.perf_counter() - started
    result.corpus_mib = sum(p.stat().st_size for p in (site / "content").rglob("*") if p.is_file()) / 2**20
    probe = pick_probe(items)
    result.notes.append(f"edited item: {probe.rel_path} (\"{probe.title}\")")
    result.notes.append("load average at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
                        + f" (on {os.cpu_count()} cores; other work on the machine inflates wall times)")
    if not no_cache:
        result.notes.append("build has no --no-cache flag: cold builds ran after deleting the cache only")
    titles = edit_titles(probe.title)
    current = run_builds(cli, site, out, probe, titles, result, no_cache, log_path) or probe.title
    if not serve:
        result.serve_note = "skipped (--no-serve)"
        return result
    if result.failure:
        result.serve_note = "skipped (build failed)"
        return result
    url = find_page(out, current)
    if url is None:
        result.serve_note = "item page not found in the build output"
        return result
    cold = statistics.median(x.wall for x in result.cold)
    try:
        served = measure_serve(cli, site, probe, url, current, titles, log_path, timeout=max(60.0, 5 * cold + 30),
                               progress=_progress)
    except Unavailable as exc:
        result.serve_note = str(exc)
        return result
    result.serve = served.times
    result.notes.extend(served.notes)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark site-builder on generated corpora.")
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (default 1000,10000)")
    parser.add_argument("--with-50k", action="store_true", help="also run N=50000")
    parser.add_argument("--with-100k", action="store_true", help="also run N=100000 (a cold build takes many minutes)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep corpora, outputs and cli.log")
    parser.add_argument("--seed", type=int, default=1)
    code = parser.add_mutually_exclusive_group()
    code.add_argument("--cli", help="command to run instead of `site-builder` (e.g. 'python -m site_builder')")
    code.add_argument("--snapshot", metavar="REF", help="run a frozen copy of site_builder/ and themes/: a git "
                      "revision (e.g. HEAD) or 'worktree' (the files as they are at start)")
    parser.add_argument("--no-serve", action="store_true", help="skip the serve edit→reload column")
    args = parser.parse_args(argv)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # Started as a background job (`&`): SIGINT is ignored and children would inherit that, so the
        # server could not be stopped with SIGINT. A Python handler is reset to the default on exec.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated whole numbers, not {args.sizes!r}")
    if args.with_50k and 50000 not in sizes:
        sizes.append(50000)
    if args.with_100k and 100000 not in sizes:
        sizes.append(100000)
    temp = None if args.keep else tempfile.TemporaryDirectory(prefix="site-builder-bench-")
    root = args.keep.resolve() if args.keep else Path(temp.name)  # type: ignore[union-attr]
    root.mkdir(parents=True, exist_ok=True)
    try:
        if args.snapshot:
            try:
                cli, code_label = make_snapshot(REPO, args.snapshot, root / "code")
            except subprocess.CalledProcessError as exc:
                parser.error(f"--snapshot {args.snapshot}: {exc.stderr.decode(errors='replace').strip()}")
        else:
            cli, code_label = find_cli(args.cli), "the live working tree (others' edits during the run count)"
        print("## Machine\n\n" + "\n".join(machine()) + f"\n- code under test: {code_label}\n")
        ok, no_cache, why = check_build(cli)
        if not ok:
            print(f"`{shlex.join(cli)} build` is not usable yet: {why}\n")
            print(table([SizeResult(items=n) for n in sizes]))
            return 1
        results = [bench_size(n, args.seed, root, cli, no_cache, not args.no_serve) for n in sizes]
    finally:
        if temp is not None:
            temp.cleanup()
    print(f"## Results (`{shlex.join(cli)}`, seed {args.seed}; medians of {COLD_RUNS} cold / "
          f"{WARM_RUNS} warm / {SERVE_RUNS} serve runs)\n")
    print(table(results) + "\n")
    print("\n".join(line for r in results for line in [*details(r), ""]))
    return 1 if any(r.failure for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
