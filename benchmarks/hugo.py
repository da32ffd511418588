"""Hugo's cold build of a generated corpus, for scale: python benchmarks/hugo.py SITE [--runs 3]

Makes a minimal Hugo site in a temporary folder whose content/ is SITE/content (Hugo reads
the Markdown items and skips the .txt ones), with one template per page kind and a `topics` taxonomy,
and times `hugo` building it into an empty folder. Needs Debian's `hugo` (apt-get install hugo).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "hugo.toml").write_text(CONFIG)
        for rel, text in LAYOUTS.items():
            (root / "layouts" / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / "layouts" / rel).write_text(text)
        (root / "content").symlink_to(args.site.resolve() / "content")
        times = []
        for run in range(args.runs):
            out = root / f"public-{run}"
            started = time.perf_counter()
            done = subprocess.run(["hugo", "--quiet", "-s", str(root), "-d", str(out)], capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                return 1
            files = sum(1 for p in out.rglob("*") if p.is_file())
            print(f"hugo cold build {run + 1}: {times[-1]:.2f} s, {files} files", flush=True)
        print(f"median {statistics.median(times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
