"""Render planned pages through the theme's Jinja2 templates into output files."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import jinja2

from site_builder.config import SiteConfig
from site_builder.errors import ThemeError
from site_builder.stages.write import OutputFile
from site_builder.stages.plan import Page
from site_builder.theme import ROOT

log = logging.getLogger(__name__)


def page_root(page: Page, config: SiteConfig) -> str:
    """The prefix that leads from this page back to the site root: './', '../../', or base_path for 404."""
    if page.kind == "404":
        return config.base_path
    depth = page.url.strip("/").count("/") + 1 if page.url.endswith("/") and page.url != "/" else 0
    return "../" * depth or "./"


def render_page(page: Page, context: dict[str, Any], env: jinja2.Environment, config: SiteConfig) -> OutputFile:
    """One page through its template with its context (plan.page_context); any failure is a ThemeError
    naming template file, line and page."""
    root = page_root(page, config)
    context = {**context, "page": {**context["page"], "root": root}}
    try:
        html = env.get_template(page.template).render(context).replace(ROOT, root)
    except jinja2.TemplateSyntaxError as exc:
        raise ThemeError(f"template syntax error: {exc.message}", _template_path(exc.filename, config),
                         exc.lineno) from None
    except jinja2.TemplateNotFound as exc:
        path, line = _template_position(exc, config)
        raise ThemeError(f"template '{exc.name}' not found (while rendering page {page.url})", path, line) from None
    except Exception as exc:  # noqa: BLE001 - any failure inside a template is reported as a theme error
        path, line = _template_position(exc, config)
        raise ThemeError(f"{type(exc).__name__}: {exc} (while rendering page {page.url})", path, line) from exc
    return OutputFile(page.output_path, html.encode("utf-8"))


def _template_position(exc: BaseException, config: SiteConfig) -> tuple[str | None, int | None]:
    """The innermost template frame of a rendering error (Jinja2 rewrites tracebacks to template lines)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".htm", ".txt")):
            found = (_template_path(frame.filename, config), frame.lineno)
    return found


def _template_path(filename: str | None, config: SiteConfig) -> str | None:
    """Relative to the site root for the site's own templates and themes; absolute for built-in themes."""
    if not filename:
        return None
    path = Path(filename)
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return path.as_posix()
