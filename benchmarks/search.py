"""What search costs: Pagefind index time and size at N items, and the time one edit adds to a warm build.

    python benchmarks/search.py --sizes 10000 [--keep DIR]      # 50000 too: --sizes 10000,50000

For each size: a generated corpus (generate.py) is built twice, cold, into two copies of the site: one
with search on (the default), one with `search = false`. The index time is then measured alone, in this
process, on the item pages that build wrote, shard by shard as the build plans them (one Pagefind index a
month: stages.search.index_shards, the same call the build makes). Then one item's title is edited EDITS
times in both copies, each followed by a warm build; the median difference is what search adds to an edit
(an edit re-indexes the shard of the item's month, and that of any page listing it among its related
stories). Standard library and site_builder only; prints a Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from edit import edit_titles, pick_probe, set_title  # noqa: E402
from generate import write_corpus  # noqa: E402

EDITS = 3


def build(site: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "site_builder", "build", "--source", str(site)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    return time.perf_counter() - started


def index_alone(site: Path) -> tuple[float, int, int, int, int]:
    """Seconds to index the built item pages again, the index's files and bytes, pages indexed and shards."""
    from site_builder.commands.build import plan_build, read_items
    from site_builder.config import load_config
    from site_builder.incremental.keys import build_stamp
    from site_builder.stages.images import load_assets
    from site_builder.stages.search import index_shards
    from site_builder.stages.write import read_kept
    from site_builder.theme import load_theme, static_sources
    config = load_config(site)
    theme = load_theme(config)
    assets = load_assets(static_sources(theme))
    known, _, warnings = read_items(config, {}, assets)
    planned, _ = plan_build(config, theme, build_stamp(config, theme.template_dirs, assets),
                            [k.item for k in known.values()], known, warnings)
    assert planned.search is not None
    shards = [(shard.folder, [(url, read_kept(config.output, path)) for path, url in shard.pages])
              for shard in planned.search.shards]
    started = time.perf_counter()
    files = index_shards(shards, config)
    return (time.perf_counter() - started, len(files), sum(len(f.data or b"") for f in files),
            sum(len(pages) for _, pages in shards), len(shards))


def measure(size: int, work: Path, seed: int) -> dict[str, object]:
    on, off = work / f"n{size}" / "search-on", work / f"n{size}" / "search-off"
    items = write_corpus(on, size, seed, force=True)
    shutil.rmtree(off, ignore_errors=True)
    shutil.copytree(on, off, copy_function=shutil.copy2)
    with open(off / "site.toml", "a", encoding="utf-8") as handle:
        handle.write("search = false\n")
    print(f"n={size}: cold builds", file=sys.stderr, flush=True)
    cold_on, cold_off = build(on), build(off)
    seconds, files, size_bytes, pages, shards = index_alone(on)
    probe = pick_probe(items)
    warm_on, warm_off = [], []
    for _, title in zip(range(EDITS), edit_titles(probe.title)):
        for site, times in ((on, warm_on), (off, warm_off)):
            set_title(site / probe.rel_path, title)
            times.append(build(site))
    return {"items": size, "pages": pages, "shards": shards, "cold_on": cold_on, "cold_off": cold_off, "index": seconds,
            "files": files, "bytes": size_bytes, "edit_on": statistics.median(warm_on),
            "edit_off": statistics.median(warm_off)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated corpus sizes (default: 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work here and keep the sites (default: a temp dir)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        rows = [measure(int(size), work, args.seed) for size in args.sizes.split(",")]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    print("| items | item pages indexed (shards) | index alone | index files | index size "
          "| cold build: search on / off "
          "| one edit, warm build: search on / off (added) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['items']:,} | {r['pages']:,} ({r['shards']}) | {r['index']:.2f} s | {r['files']:,} "
              f"| {r['bytes'] / 1e6:.1f} MB "
              f"| {r['cold_on']:.1f} s / {r['cold_off']:.1f} s "
              f"| {r['edit_on']:.2f} s / {r['edit_off']:.2f} s (+{r['edit_on'] - r['edit_off']:.2f} s) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
