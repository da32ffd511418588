"""Time the worst content inputs tried against the limits (site_builder/stages/limits.py) and print a table.

Three rows per class where it applies: Python-Markdown on the attack without any limit (small sizes only:
the cost is quadratic), the worst body that still passes the limits (rendered; for the classes only the
clock bounds, the longest body rendered in place), and the attack at full size (refused by the pre-scan,
or stopped by the render clock, limits.RENDER_SECONDS). Then whole builds: an item with the most topics allowed, and the
2,000-topic item that used to write 595 MB.

    PYTHONPATH=. python benchmarks/hostile.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from site_builder.commands.build import build  # noqa: E402
from site_builder.config import load_config  # noqa: E402
from site_builder.errors import SiteError  # noqa: E402
from site_builder.model import Source  # noqa: E402
from site_builder.stages import limits  # noqa: E402
from site_builder.stages.content import parse_item, render_markdown  # noqa: E402

HEAD = "---\ntitle: Hostile\ndate: 2024-05-01T09:00:00Z\n---\n"
L = limits


def _at_limit_paragraphs(opener: str, filler: str, chars: int = L.MAX_PARAGRAPH_CHARS - 10) -> str:
    """The costliest body the limits let through: paragraphs of `chars` characters, each with as many
    openers as the link cost allows, until the cost (or the openers per item) is spent."""
    weight = max(1, opener.count("[") + opener.count("<"))
    per = max(1, min(L.MAX_LINK_COST // chars // weight, chars // 2 // len(opener)))
    paragraph = opener * per + filler * ((chars - len(opener) * per) // len(filler))
    count = max(1, min(L.MAX_LINK_COST // (per * weight * (len(paragraph) + 1)), L.MAX_BODY_OPENERS // (per * weight)))
    return "\n\n".join([paragraph] * count)


# name -> (the attack at size n, its unlimited sizes, the worst body within the limits, the full attack)
CASES: dict[str, tuple[Callable[[int], str], tuple[int, ...], str, str]] = {
    "[ then ]": (lambda n: "[" * n + "]" * n, (1_000, 2_000, 4_000),
                 _at_limit_paragraphs("[", "]"), "[" * 20_000 + "]" * 20_000),
    "![ unclosed": (lambda n: "![" * n, (1_000, 2_000),
                    _at_limit_paragraphs("![", "a "), "![" * 20_000),
    "<http:// unclosed": (lambda n: "<http://a " * n, (1_000, 2_000),
                          _at_limit_paragraphs("<a ", "b "), "<http://a " * 20_000),
    "[ lines, no blank": (lambda n: "\n".join(["["] * n + ["]"] * n), (1_000, 2_000),
                          _at_limit_paragraphs("[\n", "]\n"), "\n".join(["["] * 20_000 + ["]"] * 20_000)),
    "links in 1 paragraph": (lambda n: "[a](http://x) and `code`. " * n, (2_000, 8_000),
                             _at_limit_paragraphs("[a](http://x) ", "word "), "[a](http://x) and `code`. " * 40_000),
    "![ short paragraphs": (lambda n: "\n\n".join(["![" * 100 + "a " * 500] * n), (5, 20),
                            _at_limit_paragraphs("![", "a ", 1_000), "\n\n".join(["![" * 100 + "a " * 500] * 100)),
    "'-' lines, paragraphs": (lambda n: "\n\n".join(["-\n" * 4_900] * n), (1, 4),
                              "\n\n".join(["-\n" * 4_990] * 2), "\n\n".join(["-\n" * 4_990] * 25)),
    "'# a' lines, paragraphs": (lambda n: "\n\n".join(["# a\n" * 2_400] * n), (1, 4),
                                "\n\n".join(["# a\n" * 2_490] * 2), "\n\n".join(["# a\n" * 2_490] * 25)),
    "nested lists": (lambda n: "".join("  " * i + "- x\n" for i in range(n)), (200, 400),
                     "".join("  " * i + "- x\n" for i in range(L.MAX_NESTING_COLUMNS // 2 - 1)),
                     "".join("  " * i + "- x\n" for i in range(2_000))),
    "nested quotes": (lambda n: "> " * n + "x\n", (1_000, 4_000),
                      "> " * (L.MAX_NESTING_COLUMNS // 2) + "x\n", "> " * 20_000 + "x\n"),
    "prose body": (lambda n: "A sentence of *plain* prose with `code`.\n\n" * n, (5_000, 20_000),
                   "A sentence of *plain* prose with `code`.\n\n" * (L.MAX_BODY_CHARS // 43),
                   "A sentence of *plain* prose with `code`.\n\n" * 100_000),
}


def _timed(func: Callable[[], object]) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        func()
        outcome = "rendered"
    except SiteError as exc:
        outcome = "refused: " + exc.message.split(" (", 1)[0].split(";", 1)[0]
    except RecursionError:
        outcome = "RecursionError"
    return time.perf_counter() - started, outcome


def _parse(body: str):
    from site_builder.config import SiteConfig
    config = SiteConfig(root=Path("."), output=Path("output"), use_cache=False)
    return lambda: parse_item(Source("content/x.md", HEAD + body, 0.0), config)


def content_rows(quick: bool) -> list[tuple[str, str, int, float, str]]:
    rows = []
    for name, (attack, sizes, at_limit, full) in CASES.items():
        for n in sizes[:1] if quick else sizes:
            body = attack(n)
            seconds, outcome = _timed(lambda: render_markdown(body, False))
            rows.append((name, f"no limits, n={n:,}", len(body), seconds, outcome))
        seconds, outcome = _timed(_parse(at_limit))
        rows.append((name, "worst within limits", len(at_limit), seconds, outcome))
        seconds, outcome = _timed(_parse(full))
        rows.append((name, "full attack", len(full), seconds, outcome))
    return rows


def _folder_size(folder: Path) -> tuple[int, int]:
    files = [Path(d, f) for d, _, names in os.walk(folder) for f in names]
    return len(files), sum(f.stat().st_size for f in files)


def topic_rows() -> list[tuple[str, str, int, float, str]]:
    rows = []
    for topics in (limits.MAX_TOPICS, 2_000):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "content").mkdir()
            names = "".join(f"  - topic number {i}\n" for i in range(topics))
            text = f"---\ntitle: Many topics\ndate: 2024-05-01T09:00:00Z\ntopics:\n{names}---\nBody.\n"
            (root / "content/many.md").write_text(text)
            config = load_config(root, {"use_cache": False})
            seconds, outcome = _timed(lambda: build(config))
            if outcome == "rendered":
                count, size = _folder_size(root / "output")
                outcome = f"built: {count:,} files, {size / 1e6:.1f} MB"
            rows.append(("topics per item", f"{topics:,} topics", len(text), seconds, outcome))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="only the smallest unlimited size per class")
    args = parser.parse_args()
    rows = content_rows(args.quick) + topic_rows()
    print(f"{'class':22} {'input':24} {'bytes':>10} {'seconds':>8}  outcome")
    for name, what, size, seconds, outcome in rows:
        print(f"{name:22} {what:24} {size:>10,} {seconds:>8.3f}  {outcome}")


if __name__ == "__main__":
    main()
