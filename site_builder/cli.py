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
from site_builder.errors import ConfigError, SiteError, UsageError

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
    build.add_argument("--changes", type=Path, metavar="FILE",
                       help='write {"written": [...], "removed": [...]} (paths in output/) as JSON to FILE')
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
    _curation_commands(commands)
    _edition_command(commands)
    _describe(commands)
    return parser


# Each command's --help: what it does in one line, then examples. (The list of commands shows `help=`.)
COMMAND_HELP = {
    "build": ("Build the site in SOURCE (default: this folder) into SOURCE/output.",
              "site-builder build\n  site-builder build --source mysite --base-url https://news.example.org/ "
              "--changes changes.json"),
    "check": ("Validate every file of the site and print all errors and warnings; writes nothing.",
              "site-builder check --strict"),
    "serve": ("Preview the site over HTTP, built in memory; with --watch, rebuild and reload on every save.",
              "site-builder serve --watch --port 8000"),
    "init": ("Create a new site (site.toml, an example item, a GitHub Pages workflow) in a new or empty folder.",
             "site-builder init mysite && cd mysite && site-builder build"),
    "new": ("Write content/<date>-<slug>.md for a new item, with complete frontmatter and published: false.",
            'site-builder new "Solar beats coal" --url https://example.org/solar --topic Energy'),
    "import": ("Turn feed files into unpublished items in content/ (--publish: published).\n\n"
               "formats: RSS 2.0, Atom, JSON Feed, and news-API JSON (an object with a \"news\" list);\n"
               "'-' reads standard input. Entries already in content/ (same source URL) are skipped.",
               "site-builder import feed.xml atom.xml https://example.org/feed.xml\n"
               "  curl -s https://example.org/feed.json | site-builder import -"),
    "fetch": ("Fetch every subscription in sources.toml (conditional GET); new stories become unpublished items.",
              "site-builder fetch --timeout 10"),
    "sources": ("Import subscriptions from an OPML file into sources.toml, or export them as OPML 2.0.",
                "site-builder sources import reader.opml\n  site-builder sources export > sources.opml"),
    "publish": ("Set published: true in content files (by path or slug), keeping every other byte.",
                "site-builder publish content/2024-03-01-solar.md wind-record"),
    "edition": ("Write a day's email edition as DATE.html (tables, inlined CSS), DATE.txt and DATE.eml.",
                "site-builder edition 2024-03-01 --out mail/ --from digest@example.org"),
    "unpublish": ("Set published: false in content files (by path or slug), keeping every other byte.",
                  "site-builder unpublish wind-record"),
}


def _describe(commands: argparse._SubParsersAction) -> None:
    for name, (description, example) in COMMAND_HELP.items():
        sub = commands.choices[name]
        label = "examples" if "\n" in example else "example"
        sub.description, sub.epilog = description, f"{label}:\n  {example}"
        sub.formatter_class = argparse.RawDescriptionHelpFormatter


def _site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=Path, default=Path("."), help="site root (default: current folder)")
    parser.add_argument("--base-url", help="absolute URL the site is served at")
    parser.add_argument("--theme", help="theme name (overrides site.toml)")
    parser.add_argument("--drafts", action="store_true", help="include unpublished and draft items, marked")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def check_site_folder(source: Path) -> None:
    """build, check and serve need a site: a folder with content/ (an empty one is fine)."""
    if not source.is_dir():
        raise SiteError(f"site folder {source} does not exist")
    if not (source / "content").is_dir():
        raise ConfigError("not a site: there is no content/ folder here; start a site with "
                          "`site-builder init DIR`, or give the site's folder with --source", str(source.resolve()))


def config_from_args(args: argparse.Namespace):
    check_site_folder(args.source)
    return load_config(args.source, {
        "base_url": args.base_url, "theme": args.theme, "drafts": args.drafts or None,
        "output": getattr(args, "output", None), "use_cache": False if getattr(args, "no_cache", False) else None,
    })


def run_build(args: argparse.Namespace) -> int:
    from site_builder.commands.build import build, summary
    from site_builder.commands.deploy import check_changes_file, write_changes
    started = time.perf_counter()
    config = config_from_args(args)
    if args.changes is not None:
        check_changes_file(args.changes, config.output)
    report, stats = build(config)
    if args.changes is not None:
        write_changes(args.changes, stats)
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
    imp.add_argument("files", nargs="+", metavar="FILE", help="feed file or http(s) URL to import; '-' reads "
                                                              "standard input")
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
    from site_builder.commands.fetch import read_url
    from site_builder.commands.importer import import_files
    from site_builder.urls import is_web_url
    stdin = sys.stdin.buffer.read() if "-" in args.files else None
    files = [f if f == "-" or is_web_url(f) else Path(f) for f in args.files]
    result = import_files(args.source, files, args.publish, stdin, read_url)
    print_warnings(list(result.warnings), limit=None)
    for failure in result.failures:  # entries that could not become items; the others were imported
        print(failure, file=sys.stderr)
    print(f"created {len(result.created)}, skipped {result.skipped} (already in content/), failed {result.failed}")
    raise_all(list(result.errors))  # malformed files: reported by main(), exit 1
    return 1 if result.failures else 0


# --- the curation desk: sources, fetch, publish (commands/sources.py, fetch.py, publish.py; docs/curation.md) ---

def _curation_commands(commands: argparse._SubParsersAction) -> None:
    fetch = commands.add_parser("fetch", help="fetch every source in sources.toml; new stories become "
                                              "unpublished items")
    fetch.add_argument("--timeout", type=float, default=20.0, help="seconds one source may take (default: 20)")
    fetch.add_argument("--max-bytes", type=int, default=5_000_000, help="largest response read (default: 5000000)")
    fetch.set_defaults(run=run_fetch)

    sources = commands.add_parser("sources", help="import or export the subscriptions in sources.toml as OPML")
    actions = sources.add_subparsers(dest="action", required=True, metavar="ACTION")
    opml_in = actions.add_parser("import", help="add the feeds of an OPML file to sources.toml")
    opml_in.add_argument("file", type=Path, metavar="FILE.opml")
    opml_in.set_defaults(run=run_sources_import)
    opml_out = actions.add_parser("export", help="print the subscriptions as OPML 2.0")
    opml_out.set_defaults(run=run_sources_export)

    subs = [fetch, opml_in, opml_out]
    for name, value in (("publish", True), ("unpublish", False)):
        pick = commands.add_parser(name, help=f"set published: {str(value).lower()} in content files, "
                                              "keeping the rest of each file as it is")
        pick.add_argument("targets", nargs="+", metavar="FILE|SLUG", help="a content file or an item's slug")
        pick.set_defaults(run=run_publish, value=value)
        subs.append(pick)
    for sub in subs:
        sub.add_argument("--source", type=Path, default=Path("."), help="site root (default: current folder)")
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _site_root(args: argparse.Namespace) -> Path:
    if not args.source.is_dir():
        raise SiteError(f"site folder {args.source} does not exist")
    return args.source


def run_fetch(args: argparse.Namespace) -> int:
    from site_builder.commands.fetch import Limits, fetch_sources
    from site_builder.commands.sources import SOURCES_FILE, load_subscriptions
    from site_builder.errors import ConfigError
    root = _site_root(args)
    subscriptions = load_subscriptions(root)
    if not subscriptions:
        raise ConfigError(f"no sources to fetch: add [[source]] tables to {SOURCES_FILE} "
                          "(or run `site-builder sources import FILE.opml`)", str(root / SOURCES_FILE))
    if args.timeout <= 0 or args.max_bytes <= 0:
        print("site-builder fetch: error: --timeout and --max-bytes must be positive", file=sys.stderr)
        return 2
    result = fetch_sources(root, subscriptions, Limits(timeout=args.timeout, max_bytes=args.max_bytes))
    print_warnings(list(result.warnings), limit=None)
    for report in result.reports:  # all on stdout, in sources.toml order: one list to read
        print(report.line())
    print(result.summary())
    if result.failed:
        print(f"{result.failed} of {len(result.reports)} sources failed", file=sys.stderr)
    return 1 if result.failed else 0


def run_sources_import(args: argparse.Namespace) -> int:
    from site_builder.commands.sources import add_subscriptions, parse_opml
    root = _site_root(args)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise SiteError(f"cannot read: {exc.strerror}", str(args.file)) from None
    added, skipped = add_subscriptions(root, parse_opml(data, str(args.file)))
    for sub in added:
        print(f"added {sub.url}" + (f" ({sub.name})" if sub.name else ""))
    print(f"added {len(added)}, skipped {skipped} (already in sources.toml)")
    return 0


def run_sources_export(args: argparse.Namespace) -> int:
    from site_builder.commands.sources import load_subscriptions, render_opml
    root = _site_root(args)
    title = load_config(root).title
    sys.stdout.write(render_opml(load_subscriptions(root), f"{title}: sources"))
    return 0


def run_publish(args: argparse.Namespace) -> int:
    from site_builder.commands.publish import set_published
    root = _site_root(args)
    changes = set_published(root, args.targets, args.value)
    print_warnings([c.warning for c in changes if c.warning], limit=None)
    for change in changes:
        print(f"{change.outcome}: {change.path.relative_to(root.resolve()).as_posix()}")
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
    check_site_folder(args.source)
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
    except UsageError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except SiteError as exc:
        if args.debug:
            raise
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
