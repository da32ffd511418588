"""Hugo's cold build of a generated corpus, for scale: python benchmarks/hugo.py SITE [--runs 3]

Makes a minimal Hugo site in a temporary folder whose content/ is SITE/content (Hugo reads
the Markdown items and skips the .txt ones), with one template per page kind and a `topics` taxonomy,
and times `hugo` building it into an empty folder (wall and CPU, measured as measure.py measures
site-builder). Needs Debian's `hugo` (apt-get install hugo). run.py calls cold_builds for its Hugo column.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from measure import Run, measure

CONFIG = """baseURL = "https://bench.example.com/"
title = "Bench"
disableKinds = ["RSS"]
paginate = 20
[taxonomies]
topic = "topics"
"""
LAYOUTS = {
    "_default/baseof.html": "<!doctype html><html><head><title>{{ .Title }}</title></head>"
                            "<body>{{ block \"main\" . }}{{ end }}</body></html>",
    "_default/single.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ .Content }}"
                            "{{ range .Params.topics }}<a href=\"/topics/{{ . | urlize }}/\">{{ . }}</a>{{ end }}"
                            "{{ end }}",
    "_default/list.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ range .Paginator.Pages }}"
                          "<a href=\"{{ .RelPermalink }}\">{{ .Title }}</a>{{ end }}{{ end }}",
}


def cold_builds(site: Path, runs: int, log_path: Path) -> tuple[list[Run], int]:
    """Time `runs` Hugo builds of SITE's content, each into an empty folder with --ignoreCache; stops at the
    first failed run (its Run is the last in the list). Also returns the file count of the last output."""
    results: list[Run] = []
    files = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "hugo.toml").write_text(CONFIG)
        for rel, text in LAYOUTS.items():
            (root / "layouts" / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / "layouts" / rel).write_text(text)
        (root / "content").symlink_to(site.resolve() / "content")
        for run in range(runs):
            out = root / f"public-{run}"
            results.append(measure(["hugo", "--quiet", "--ignoreCache", "-s", str(root), "-d", str(out)], log_path))
            if results[-1].returncode != 0:
                break
            files = sum(1 for p in out.rglob("*") if p.is_file())
    return results, files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs, files = cold_builds(args.site, args.runs, Path(os.devnull))
    for i, run in enumerate(runs):
        print(f"hugo cold build {i + 1}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU", flush=True)
    if runs and runs[-1].returncode != 0:
        print(runs[-1].stderr[-2000:], file=sys.stderr)
        return 1
    print(f"median {statistics.median(r.wall for r in runs):.2f} s wall; {files} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
