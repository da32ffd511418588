"""`site-builder edition`: write a day's email edition as DATE.html, DATE.txt and DATE.eml."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from site_builder.commands.build import parse_sources
from site_builder.config import SiteConfig
from site_builder.errors import OutputError, raise_all
from site_builder.stages.collect import collect
from site_builder.stages.content import load_sources
from site_builder.stages.images import load_assets
from site_builder.stages.email import Edition, edition_message, pick_day, render_edition
from site_builder.theme import load_theme, make_environment, static_sources

log = logging.getLogger(__name__)


def make_edition(config: SiteConfig, day: str | None) -> tuple[Edition, list[str]]:
    """The edition of `day` (YYYY-MM-DD in the site timezone; None: the latest day) and the load warnings.

    Reads what a build reads (content/ and the theme's templates); shows visible items only, whatever
    the config says about drafts.
    """
    config = replace(config, drafts=False)
    sources, load_errors, warnings = load_sources(config)
    theme = load_theme(config)
    items, parse_errors = parse_sources(sources, config, load_assets(static_sources(theme)))
    raise_all(load_errors + parse_errors)
    site = collect(items, config)
    edition = render_edition(site, pick_day(site, day), config, make_environment(theme))
    return edition, warnings + list(site.warnings)


def write_edition(edition: Edition, out: Path, sender: str | None = None,
                  recipient: str | None = None) -> list[Path]:
    """DATE.html, DATE.txt and DATE.eml in `out` (made if missing), each replaced whole or not at all."""
    files = {f"{edition.day}.html": edition.html.encode("utf-8"),
             f"{edition.day}.txt": edition.text.encode("utf-8"),
             f"{edition.day}.eml": edition_message(edition, sender, recipient)}
    written = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            written.append(_replace(out / name, data))
    except OSError as exc:
        raise OutputError(f"cannot write the edition to {out}: {exc.strerror or exc}") from None
    return written


def _replace(path: Path, data: bytes) -> Path:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path
