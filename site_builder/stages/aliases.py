"""URLs that last: a redirect page at each old path an item lists in `aliases:`, and a warning when an
item's URL moved since the last build (with the alias line that keeps old links working)."""

from __future__ import annotations

from html import escape

from site_builder.config import SiteConfig
from site_builder.errors import ContentError, raise_all
from site_builder.model import Item
from site_builder.stages.collect import hidden_reason
from site_builder.stages.write import OutputFile
from site_builder.urls import absolute


def alias_output_path(alias: str) -> str:
    """'/news/old/' and '/news/old' -> 'news/old/index.html'; '/old.html' stays a file."""
    stripped = alias.strip("/")
    if alias.endswith("/") or not stripped.lower().endswith((".html", ".htm")):
        return f"{stripped}/index.html" if stripped else "index.html"
    return stripped


def redirect_files(items: tuple[Item, ...], config: SiteConfig, taken: set[str]) -> list[OutputFile]:
    """One small redirect page per alias of a visible item. `taken` holds every other output path: an
    alias landing on one of them (or on another alias) is an error naming the item's `aliases:` line."""
    files: list[OutputFile] = []
    owners: dict[str, Item] = {}
    errors: list[ContentError] = []
    folders = {path.rsplit("/", 1)[0] for path in taken if "/" in path}
    folders |= {folder.rsplit("/", i)[0] for folder in folders for i in range(1, folder.count("/") + 1)}
    for item in sorted(items, key=lambda i: i.rel_path):
        if hidden_reason(item) is not None:
            continue  # a hidden item has no page, and no old path may point at it either
        for alias in item.aliases:
            out = alias_output_path(alias)
            parents = ["/".join(out.split("/")[:i]) for i in range(1, out.count("/") + 1)]
            clash = next((p for p in parents if p in taken), None) or (out if out in folders else None)
            if out in taken:
                what = "this item's own page" if out == _page_path(item.url) else f"the site's page {out}"
                errors.append(ContentError(f"alias {alias} would replace {what}; remove it from aliases",
                                           item.rel_path, item.lines.get("aliases")))
            elif clash is not None:
                errors.append(ContentError(f"alias {alias} clashes with the site's {clash} (a file and a folder "
                                           "of one name); remove it from aliases", item.rel_path,
                                           item.lines.get("aliases")))
            elif out in owners:
                errors.append(ContentError(f"alias {alias} is also an alias of {owners[out].rel_path}; "
                                           "keep it in one of them", item.rel_path, item.lines.get("aliases")))
            else:
                owners[out] = item
                files.append(OutputFile(out, redirect_page(alias, item, config).encode("utf-8")))
    raise_all(errors)
    return sorted(files, key=lambda f: f.rel_path)


def _page_path(url: str) -> str:
    return url.lstrip("/") + "index.html" if url.endswith("/") else url.lstrip("/")


def redirect_page(alias: str, item: Item, config: SiteConfig) -> str:
    """A page that sends browsers on at once (meta refresh), tells search engines where the item lives
    (rel=canonical) and offers a plain link. The link is relative, so it also works in the preview and
    under base_url's sub-path."""
    depth = alias.strip("/").count("/") + (1 if alias.endswith("/") or "." not in alias.rsplit("/", 1)[-1] else 0)
    if not alias.strip("/"):
        depth = 0
    target = escape(("../" * depth or "./") + item.url.lstrip("/"))
    canonical = escape(absolute(config.base_url, item.url))
    title = escape(item.title)
    return (f'<!DOCTYPE html>\n<html lang="{escape(config.language)}">\n<head>\n<meta charset="utf-8">\n'
            f'<title>Moved: {title}</title>\n<meta name="robots" content="noindex">\n'
            f'<link rel="canonical" href="{canonical}">\n<meta http-equiv="refresh" content="0; url={target}">\n'
            f'</head>\n<body>\n<p>This story has moved to <a href="{target}">{title}</a>.</p>\n</body>\n</html>\n')


def moved_urls(previous: dict[str, str], items: tuple[Item, ...]) -> list[str]:
    """Warnings for visible items whose URL is not the one the last build gave them, unless the old URL
    is already one of their aliases: `content/x.md:2: URL changed from ... to ...; add ...`."""
    warnings = []
    for item in sorted(items, key=lambda i: i.rel_path):
        old = previous.get(item.rel_path)
        if old is None or old == item.url or hidden_reason(item) is not None:
            continue
        if alias_output_path(old) in {alias_output_path(a) for a in item.aliases}:
            continue
        line = item.lines.get("slug") or item.lines.get("title")
        where = f"{item.rel_path}:{line}" if line else item.rel_path
        keep = ", ".join([*item.aliases, old])
        warnings.append(f"{where}: URL changed from {old} to {item.url}; to keep old links working, add "
                        f"to its frontmatter: aliases: [{keep}]")
    return warnings


def visible_urls(items: tuple[Item, ...]) -> dict[str, str]:
    """content path -> URL of every visible item: what the next build compares with."""
    return {item.rel_path: item.url for item in items if hidden_reason(item) is None}
