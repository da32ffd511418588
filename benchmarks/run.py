"""Time the real site-builder CLI on generated corpora and print the results as a Markdown table.

    python benchmarks/run.py [--sizes 1000,10000] [--with-50k] [--with-100k] [--keep DIR] [--no-serve] [--no-hugo]
                             [--cold-runs 3] [--warm-runs 5]

For each size: cold build, warm rebuild with nothing changed, after one body edit and after one retitle that
moves the item's URL, `serve --watch` edit-to-reload, and Hugo's cold build of the same corpus when `hugo` is
installed. benchmarks/README.md says what each column measures.
"""

from __future__ import annotations

import argparse
import itertools
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
from typing import Callable

import hugo
from edit import edit_body, edit_titles, find_page, moved_titles, pick_probe, set_title
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
    body: list[Run] = field(default_factory=list)       # after one body edit each
    retitle: list[Run] = field(default_factory=list)    # after one retitle (URL moves) each
    hugo: list[Run] = field(default_factory=list)
    hugo_files: int = 0
    hugo_note: str = ""
    serve: dict[str, list[tuple[float, float]]] = field(default_factory=dict)   # "body"/"title" -> (reload
                                                                             # event, page fresh) after write
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


def _series(result: SizeResult, runs: list[Run], label: str, count: int, build: list[str], log_path: Path,
            before: Callable[[int], object] = lambda i: None, check: Callable[[int], str] = lambda i: "") -> bool:
    """`count` timed builds appended to runs. Untimed around build i: before(i) (the edit), then check(i),
    which says what is stale in the output ("" when nothing is). False when a build failed."""
    for i in range(count):
        before(i)
        _progress(f"  {label} {i + 1}/{count}")
        run = measure(build, log_path)
        if _failed(result, label, run):
            return False
        runs.append(run)
        stale = check(i)
        if stale:
            result.notes.append(f"STALE after {label} {i + 1}/{count}: {stale}")
    return True


def run_builds(cli: list[str], site: Path, out: Path, probe: CorpusItem, result: SizeResult,
               no_cache: list[str], log_path: Path) -> str:
    """Cold, warm no-change, body-edit and retitle builds into result; returns the probe's title afterwards."""
    build = [*cli, "build", "--source", str(site), "--output", str(out)]
    if not _series(result, result.cold, "cold build", COLD_RUNS, build + no_cache, log_path,
                   before=lambda i: _clean(site, out)):
        return probe.title
    result.output_files = sum(1 for p in out.rglob("*") if p.is_file())
    printed = [line for line in result.cold[0].stderr.splitlines() if line.strip()]
    if printed:
        result.notes.append(f"cold build printed {len(printed)} stderr line(s), first: {printed[0][:200]}")
    _progress("  priming the cache")
    prime = measure(build, log_path)
    if _failed(result, "first cached build", prime):
        return probe.title
    result.notes.append(f"first build with the cache on (fills it): {_seconds(prime.wall)} wall, "
                        f"{_seconds(prime.cpu)} CPU")
    if not (site / CACHE_DIR).is_dir():
        result.notes.append(f"no {CACHE_DIR}/ after a cached build: the warm runs were full builds")
    if not _series(result, result.warm, "warm no-change", WARM_RUNS, build, log_path):
        return probe.title
    url = find_page(out, probe.title)
    if url is None:
        result.notes.append(f"could not find the page of {probe.rel_path} in the output; freshness not checked")
    path = site / probe.rel_path
    sentences: list[str] = []
    if not _series(result, result.body, "warm body edit", WARM_RUNS, build, log_path,
                   before=lambda i: sentences.append(edit_body(path, str(i + 1))),
                   check=lambda i: _lacks(out, url, sentences[i])):
        return probe.title
    titles = list(itertools.islice(moved_titles(probe.title), WARM_RUNS))
    urls = [url]
    _series(result, result.retitle, "warm retitle", WARM_RUNS, build, log_path,
            before=lambda i: set_title(path, titles[i]), check=lambda i: _moved(out, urls, titles[i]))
    return titles[-1]


def _lacks(out: Path, url: str | None, text: str) -> str:
    if url is None or text in _read_page(out, url):
        return ""
    return f"{url} lacks {text!r}"


def _moved(out: Path, urls: list[str | None], title: str) -> str:
    """After a retitle: is the item at a new URL, and is the page at its previous URL gone? Appends the new URL."""
    old = urls[-1]
    new = find_page(out, title, old.strip("/").rpartition("/")[0] if old else "")
    urls.append(new)
    if new is None:
        return f"no page has the title {title!r}"
    if new == old:
        return f"the URL did not move ({new}): does the item have a fixed `slug:`?"
    if old is not None and _page_file(out, old).exists():
        return f"the page at the old URL {old} is still there"
    return ""


def _page_file(out: Path, url: str) -> Path:
    path = out / url.lstrip("/")
    return path / "index.html" if url.endswith("/") else path


def _read_page(out: Path, url: str) -> str:
    try:
        return _page_file(out, url).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def run_hugo(site: Path, result: SizeResult, wanted: bool, log_path: Path) -> None:
    """Hugo's cold builds of the same corpus, when wanted and installed; otherwise why not, in hugo_note."""
    if not wanted:
        result.hugo_note = "skipped"
    elif shutil.which("hugo") is None:
        result.hugo_note = "not installed"
    else:
        _progress(f"  hugo cold builds ({COLD_RUNS})")
        runs, result.hugo_files = hugo.cold_builds(site, COLD_RUNS, log_path)
        if runs[-1].returncode == 0:
            result.hugo = runs
        else:
            result.hugo_note = "failed"
            result.notes.append(f"hugo exited with {runs[-1].returncode}: {runs[-1].stderr.strip()[-500:]}")


# ---------------------------------------------------------------- reporting

def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _median(values: list[float]) -> str:
    return _seconds(statistics.median(values)) if values else "n/a"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def _cell(runs: list[Run], value: str, missing: str) -> str:
    """The median of one Run field ("wall" or "cpu"), or `missing` when there are no runs."""
    return _median([getattr(x, value) for x in runs]) if runs else missing


def table(results: list[SizeResult]) -> str:
    rows = ["| N | cold wall | cold CPU | warm no-change | warm body edit | warm retitle (URL moves) "
            "| serve body edit→reload | serve title edit→reload | peak RSS (body edit) | Hugo cold wall |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        failed = "FAILED" if r.failure else "n/a"
        cells = [f"{r.items:,}",
                 _cell(r.cold, "wall", failed),
                 _cell(r.cold, "cpu", failed),
                 _cell(r.warm, "wall", failed),
                 _cell(r.body, "wall", failed),
                 _cell(r.retitle, "wall", failed),
                 *(_median([fresh for _, fresh in r.serve[kind]]) if r.serve.get(kind) else "n/a"
                   for kind in SERVE_EDITS),
                 _mib(max(x.max_rss_kib for x in r.body)) if r.body else failed,
                 _cell(r.hugo, "wall", r.hugo_note or "n/a")]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def details(r: SizeResult) -> list[str]:
    lines = [f"### N = {r.items:,}",
             f"- corpus: {r.corpus_mib:.0f} MiB generated in {r.generate_seconds:.1f} s; "
             f"output: {r.output_files:,} files"]
    for label, runs in (("cold", r.cold), ("warm no-change", r.warm), ("warm body edit", r.body),
                        ("warm retitle", r.retitle), ("hugo cold", r.hugo)):
        if runs:
            lines.append(f"- {label}: wall {', '.join(_seconds(x.wall) for x in runs)}; "
                         f"CPU {', '.join(_seconds(x.cpu) for x in runs)}; "
                         f"max RSS of one process {_mib(max(x.max_rss_kib for x in runs))}; "
                         f"tree PSS (sampled) {_mib(max(x.tree_pss_kib for x in runs))}; "
                         f"up to {max(x.processes for x in runs)} process(es)")
    if r.hugo:
        lines.append(f"- hugo output: {r.hugo_files:,} files")
    for kind, times in r.serve.items():
        lines.append(f"- serve {kind} edits: reload event after " + ", ".join(_seconds(e) for e, _ in times)
                     + "; page fresh after " + ", ".join(_seconds(f) for _, f in times))
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


SERVE_EDITS = ("body", "title")


def serve_edits(path: Path, title: str) -> dict[str, Callable[[int], str]]:
    """serve's edits, in SERVE_EDITS order: a body sentence rewritten (the layout holds), then a title's case
    changed (the URL stays, the site is laid out again). Each returns what the fresh page shows."""
    titles = edit_titles(title)

    def retitle(_: int) -> str:
        new = next(titles)
        set_title(path, new)
        return new
    return {"body": lambda i: edit_body(path, f"serve {i + 1}"), "title": retitle}


def bench_size(n: int, seed: int, root: Path, cli: list[str], no_cache: list[str], serve: bool,
               with_hugo: bool) -> SizeResult:
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
    run_hugo(site, result, with_hugo, log_path)
    current = run_builds(cli, site, out, probe, result, no_cache, log_path)
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
        served = measure_serve(cli, site, url, current, serve_edits(site / probe.rel_path, current), log_path,
                               timeout=max(60.0, 5 * cold + 30), progress=_progress)
    except Unavailable as exc:
        result.serve_note = str(exc)
        return result
    result.serve = served.times
    result.notes.extend(served.notes)
    return result


def main(argv: list[str] | None = None) -> int:
    global COLD_RUNS, WARM_RUNS
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
    parser.add_argument("--no-hugo", action="store_true", help="skip the Hugo cold-build column")
    parser.add_argument("--cold-runs", type=int, default=COLD_RUNS, help=f"cold builds per size (default {COLD_RUNS})")
    parser.add_argument("--warm-runs", type=int, default=WARM_RUNS, help=f"warm builds of each kind (default {WARM_RUNS})")
    args = parser.parse_args(argv)
    if args.cold_runs < 1 or args.warm_runs < 1:
        parser.error("--cold-runs and --warm-runs must be at least 1")
    COLD_RUNS, WARM_RUNS = args.cold_runs, args.warm_runs
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
        results = [bench_size(n, args.seed, root, cli, no_cache, not args.no_serve, not args.no_hugo)
                   for n in sizes]
    finally:
        if temp is not None:
            temp.cleanup()
    print(f"## Results (`{shlex.join(cli)}`, seed {args.seed}; medians of {COLD_RUNS} cold (and Hugo) / "
          f"{WARM_RUNS} runs of each warm kind / {SERVE_RUNS} serve runs)\n")
    print(table(results) + "\n")
    print("\n".join(line for r in results for line in [*details(r), ""]))
    return 1 if any(r.failure for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
