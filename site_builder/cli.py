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

    check = commands.add_parser("check", help="validate the whole site without writing anything")
    check.add_argument("--source", type=Path, default=Path("."), help="site root (default: current folder)")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--drafts", action="store_true", help="check unpublished and draft items as a build "
                                                             "with --drafts would show them")
    check.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    check.set_defaults(run=run_check, base_url=None, theme=None)
    _serve_command(commands)
    _curator_commands(commands)
    _edition_command(commands)
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
        "output": getattr(args, "output", None), "use_cache": False if getattr(args, "no_cache", False) else None,
    })


def run_build(args: argparse.Namespace) -> int:
    from site_builder.commands.build import build, summary
    started = time.perf_counter()
    config = config_from_args(args)
    report, stats = build(config)
    print_warnings(list(report.warnings))
    print(summary(report, stats, time.perf_counter() - started))
    return 0


def run_check(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone
    from site_builder.commands.check import check_site
    report = check_site(lambda: config_from_args(args), datetime.now(timezone.utc), strict=args.strict)
    for line in report.errors:
        print(line, file=sys.stderr)
    print_warnings(list(report.warnings), limit=None)
    for line in report.info:
        print(f"info: {line}")
    print(report.summary())
    return 1 if report.errors else 0


# --- curator commands: init, new, import (site_builder/scaffold.py, site_builder/importer.py) ---

def _curator_commands(commands: argparse._SubParsersAction) -> None:
    init = commands.add_parser("init", help="create a new site in a new or empty folder")
    init.add_argument("dir", type=Path, metavar="DIR", help="folder for the new site (must be new or empty)")
    init.set_defaults(run=run_init)

    new = commands.add_parser("new", help="start a new unpublished item in content/")
    new.add_argument("title", help="the item's headline")
    new.add_argument("--url", help="link to the story (http or https)")
    new.add_argument("--topic", action="append", default=[], help="a topic (repeat for more)")
    new.add_argument("--provider", help="publisher name (default: the URL's domain)")
    new.set_defaults(run=run_new)

    imp = commands.add_parser("import", help="import RSS, Atom, JSON Feed or news-API files as unpublished items")
    imp.add_argument("files", nargs="+", metavar="FILE", help="feed file to import; '-' reads standard input")
    imp.add_argument("--publish", action="store_true", help="mark imported items published: true")
    imp.set_defaults(run=run_import)

    for sub in (init, new, imp):
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    for sub in (new, imp):
        sub.add_argument("--source", type=Path, default=Path("."), help="site root (default: current folder)")


def run_init(args: argparse.Namespace) -> int:
    from site_builder.commands.scaffold import init_site
    for path in init_site(args.dir):
        print(path)
    print(f"next: site-builder build --source {args.dir}")
    return 0


def run_new(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone
    from site_builder.commands.scaffold import new_item
    print(new_item(args.source, args.title, args.url, args.topic, args.provider, datetime.now(timezone.utc)))
    return 0


def run_import(args: argparse.Namespace) -> int:
    from site_builder.errors import raise_all
    from site_builder.commands.importer import import_files
    stdin = sys.stdin.buffer.read() if "-" in args.files else None
    result = import_files(args.source, [f if f == "-" else Path(f) for f in args.files], args.publish, stdin)
    print_warnings(list(result.warnings), limit=None)
    print(f"created {len(result.created)}, skipped {result.skipped} (already in content/), failed {result.failed}")
    raise_all(list(result.errors))  # malformed files: reported by main(), exit 1
    return 0


def _edition_command(commands: argparse._SubParsersAction) -> None:
    edition = commands.add_parser("edition", help="write a day's email edition: DATE.html, DATE.txt, DATE.eml")
    edition.add_argument("date", nargs="?", type=_day, metavar="DATE",
                         help="the day, YYYY-MM-DD in the site timezone (default: the latest day)")
    edition.add_argument("--source", type=Path, default=Path("."), help="site root (default: current folder)")
    edition.add_argument("--out", type=Path, default=Path("."),
                         help="folder for the three files (default: current folder)")
    edition.add_argument("--from", dest="sender", metavar="ADDR", help="the message's From (default: none)")
    edition.add_argument("--to", dest="recipient", metavar="ADDR", help="the message's To (default: none)")
    edition.add_argument("--base-url", help="absolute URL the site is served at")
    edition.add_argument("--theme", help="theme name (overrides site.toml)")
    edition.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    edition.set_defaults(run=run_edition, drafts=False)


def _day(text: str) -> str:
    import re
    from datetime import date
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD")


def run_edition(args: argparse.Namespace) -> int:
    from site_builder.commands.edition import make_edition, write_edition
    edition, warnings = make_edition(config_from_args(args), args.date)
    print_warnings(warnings)
    for path in write_edition(edition, args.out, args.sender, args.recipient):
        print(path)
    return 0


def _serve_command(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="preview the site over HTTP, built in memory (never writes output/)")
    _site_options(serve)
    serve.add_argument("--watch", action="store_true", help="rebuild on changes and reload open pages")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this computer only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from site_builder.commands.serve import serve
    if not args.source.is_dir():
        raise SiteError(f"site folder {args.source} does not exist")
    # The config is read again for every rebuild, so edits to site.toml count (and a broken one is shown).
    serve(args.source, lambda: config_from_args(args), host=args.host, port=args.port, watch=args.watch,
          report=_report, warn=print_warnings)
    return 0  # Ctrl-C is the normal way to stop a preview


def _report(text: str, error: bool = False) -> None:
    print(text, file=sys.stderr if error else sys.stdout, flush=True)


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
