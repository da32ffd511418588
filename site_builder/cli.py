"""The command line: the only place that prints errors and picks exit codes (0 ok, 1 site error, 2 usage)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Sequence

from site_builder import __version__
from site_builder.config import load_config
from site_builder.errors import SiteError

log = logging.getLogger(__name__)

MAX_WARNINGS_SHOWN = 20


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="site-builder", description="Build a static news-digest site.")
    parser.add_argument("--version", action="version", version=f"site-builder {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into output/")
    _site_options(build)
    build.add_argument("--output", type=Path, help="output folder (default: SOURCE/output)")
    build.add_argument("--no-cache", action="store_true", help="ignore the build cache")
    build.set_defaults(run=run_build)
    return parser


def _site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=Path, default=Path("."), help="site root (default: current folder)")
    parser.add_argument("--base-url", help="absolute URL the site is served at")
    parser.add_argument("--theme", help="theme name (overrides site.toml)")
    parser.add_argument("--drafts", action="store_true", help="include unpublished and draft items, marked")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def config_from_args(args: argparse.Namespace):
    if not args.source.is_dir():
        raise SiteError(f"site folder {args.source} does not exist")
    return load_config(args.source, {
        "base_url": args.base_url, "theme": args.theme, "drafts": args.drafts or None,
        "output": getattr(args, "output", None), "use_cache": not getattr(args, "no_cache", False) or None,
    })


def run_build(args: argparse.Namespace) -> int:
    from site_builder.build import build, summary
    started = time.perf_counter()
    config = config_from_args(args)
    result, stats = build(config)
    print_warnings(result.warnings)
    print(summary(result, stats, time.perf_counter() - started))
    return 0


def print_warnings(warnings: list[str], limit: int | None = MAX_WARNINGS_SHOWN) -> None:
    shown = warnings if limit is None else warnings[:limit]
    for warning in shown:
        print(f"warning: {warning}", file=sys.stderr)
    if len(warnings) > len(shown):
        print(f"warning: ... and {len(warnings) - len(shown)} more (run `site-builder check` to see all)",
              file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return args.run(args)
    except SiteError as exc:
        if args.debug:
            raise
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
