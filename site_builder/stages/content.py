"""Load content files from disk (the only reader of content/) and parse each into an Item."""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import markdown

from site_builder.stages import limits, schema, visibility
from site_builder.stages.frontmatter import (Frontmatter, has_frontmatter, locate, read_frontmatter,
                                              split_frontmatter)  # split_frontmatter: for importer, as before
from site_builder.stages.images import Assets
from site_builder.stages.sanitize import sanitize_html
from site_builder.config import SiteConfig
from site_builder.errors import ContentError, SiteError, printable_path, raise_all
from site_builder.files import NotRegularFile, check_regular, read_regular
from site_builder.inputs import file_stamp, walk_files, walk_inputs
from site_builder.model import Item, Known, Source
from site_builder.slug import is_safe_slug, slugify

log = logging.getLogger(__name__)

CONTENT_SUFFIXES = (".md", ".markdown", ".txt")
MAX_FILE_BYTES = 5 * 1024 * 1024
_GUID_NAMESPACE = uuid.UUID("6f1c7a52-3f0e-4d55-9a43-1d3c1f6a8e21")


def load_sources(config: SiteConfig, known: dict[str, Known] | None = None
                 ) -> tuple[list[Source], list[SiteError], list[str]]:
    """Read every content file: (sources, errors, warnings), in a stable order.

    A file whose stat stamp matches what an earlier build stored is not read again: its Source has
    text None and the stored digest. Which files count is inputs.walk_inputs' rule.
    """
    known = known or {}
    sources: list[Source] = []
    errors: list[SiteError] = []
    start = len(str(config.root)) + 1
    found, warnings = walk_inputs(config.content_dir)
    for full in found:
        rel = full[start:].replace(os.sep, "/")
        bad_name = name_problem(rel)
        if bad_name is not None:
            errors.append(ContentError(bad_name, printable_path(rel)))
            continue
        if not full.lower().endswith(CONTENT_SUFFIXES):
            warnings.append(f"{rel}: skipped: not a content file (content files end in {', '.join(CONTENT_SUFFIXES)})")
            continue
        try:
            stat = os.stat(full)
            stamp = file_stamp(stat)
            seen = known.get(rel)
            if seen is not None and seen.stamp == stamp:
                sources.append(Source(rel, None, stat.st_mtime, seen.digest, stamp))
            else:
                sources.append(replace(read_source(Path(full), rel), stamp=stamp))
        except ContentError as exc:
            errors.append(exc)
        except OSError as exc:
            errors.append(ContentError(f"cannot read file: {exc.strerror}", rel))
    return sources, errors, warnings


def name_problem(rel: str) -> str | None:
    """Why a file name cannot be shown in messages, logs and the cache (all UTF-8 text), or None."""
    if printable_path(rel) != rel:
        return "the file name is not valid UTF-8 or holds a control character; rename the file"
    return None


def content_paths(content_dir: Path) -> list[Path]:
    return [p for p in walk_content(content_dir) if p.suffix.lower() in CONTENT_SUFFIXES]


def walk_content(content_dir: Path) -> list[Path]:
    """Every file under content/ but hidden files and editors' temp files, sorted."""
    return [Path(p) for p in walk_files(content_dir)]


def read_source(path: Path, rel: str) -> Source:
    """Read one file as UTF-8 text (BOM and CRLF tolerated); refuse binary, huge and undecodable files,
    and anything but a regular file (a FIFO or a link to /dev/zero would never finish reading)."""
    try:
        stat = check_regular(path)
    except NotRegularFile as exc:
        raise ContentError(f"{exc.strerror}; content files must be regular files (remove it)", rel) from None
    if stat.st_size > MAX_FILE_BYTES:
        raise ContentError(f"file is too large ({stat.st_size:,} bytes); content files are limited to "
                           f"{MAX_FILE_BYTES // 1024 // 1024} MiB", rel)
    try:
        data = read_regular(path)
    except NotRegularFile as exc:
        raise ContentError(f"{exc.strerror}; content files must be regular files (remove it)", rel) from None
    return decode_source(data, rel, stat.st_mtime)


def decode_source(data: bytes, rel: str, mtime: float) -> Source:
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise ContentError("binary file (contains NUL bytes); content files must be UTF-8 text", rel, line)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8", rel, line) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = schema.control_character(text)
    if bad is not None:
        raise ContentError(f"contains the control character {schema.code_point(text[bad])}; remove it "
                           "(content files must be plain text)", rel, text.count("\n", 0, bad) + 1)
    return Source(rel_path=rel, text=text, mtime=mtime, digest=hashlib.blake2b(data, digest_size=16).hexdigest())


def parse_item(source: Source, config: SiteConfig, assets: Assets | None = None) -> Item:
    """Turn one Source into an Item, or raise ContentError naming the file and line (SiteErrors when a
    file has several problems: all of them, each with its line).

    `assets` are the files static/ serves (images.load_assets): local image paths are checked against
    them and measured. Without them (unit tests) local image paths are taken as they are."""
    text = source.text
    if not text.strip():
        raise ContentError("file is empty", source.rel_path, 1)
    misplaced = visibility.misplaced_frontmatter(text)
    if misplaced is not None:
        raise ContentError(misplaced[1], source.rel_path, misplaced[0])
    if not has_frontmatter(text):
        return item_from_plain_text(source, config)
    found = read_frontmatter(text, source.rel_path)
    errors = [ContentError(f"key {key!r} is written twice (also on line {first}); keep one", source.rel_path, line)
              for line, key, first in found.duplicates]
    errors += [ContentError(message, source.rel_path, line)
               for line, message in visibility.stray_key_problems(text, found)]
    try:
        item = item_from_meta(source, found, config, assets)
    except schema.FieldErrors as exc:
        errors += [ContentError(e.message, source.rel_path, locate(text, e.path)) for e in exc.errors]
    except limits.LimitError as exc:
        # exc.line counts from the body's first non-blank line; the body starts after the closing '---'.
        skipped = len(found.body) - len(found.body.lstrip("\n"))
        errors.append(ContentError(exc.message, source.rel_path, found.body_line + skipped + exc.line))
    except RecursionError:
        errors.append(ContentError("the body is nested too deeply to render (lists or quotes hundreds of levels "
                                   "deep)", source.rel_path, found.body_line + 1))
    raise_all(errors)
    return item


def item_from_meta(source: Source, found: Frontmatter, config: SiteConfig, assets: Assets | None = None) -> Item:
    """Validate the news schema and render the body: Markdown for .md, escaped paragraphs for .txt.
    Every problem of the file is gathered and raised together as schema.FieldErrors (a body past the
    limits raises limits.LimitError)."""
    tz = config.tz
    meta = found.meta
    errors: list[schema.FieldError] = visibility.key_problems(meta)

    def read(convert: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return convert(*args, **kwargs)
        except schema.FieldError as exc:
            errors.append(exc)
            return None

    if "date" in meta and "publishedDateTime" in meta:
        errors.append(schema.FieldError(("date",), "date and publishedDateTime are the same field; keep one"))
    title = read(schema.text, meta.get("title"), ("title",), required=True) or ""
    read(limits.check_text, title, limits.MAX_TITLE_CHARS, ("title",))
    date = read(schema.when, meta.get("publishedDateTime", meta.get("date")),
                ("publishedDateTime" if "publishedDateTime" in meta else "date",), tz)
    explicit_slug = read(schema.text, meta.get("slug"), ("slug",))
    if explicit_slug is not None and not is_safe_slug(explicit_slug):
        errors.append(schema.FieldError(("slug",), f"slug {explicit_slug!r} may only hold lowercase letters, "
                                                   "digits, '-', '_' and '.' (no '/', no '..')"))
    read(schema.web_url, meta.get("cdnAmpWebUrl"), ("cdnAmpWebUrl",))  # themes get it from `extra`: checked all the same
    body = found.body.strip("\n")
    is_markdown = not source.rel_path.lower().endswith(".txt")
    read(limits.check_frontmatter, meta)
    if is_markdown:
        limits.check_markdown(body)
    kind = "link" if not body.strip() else "article" if is_markdown else "text"
    item = Item(
        rel_path=source.rel_path,
        key=_key(source.rel_path),
        slug=explicit_slug or _derived_slug(title, source.rel_path),
        slug_explicit=explicit_slug is not None,
        title=title,
        date=date or _mtime_date(source),
        date_from_mtime=date is None,
        kind=kind,
        excerpt=read(schema.text, meta.get("excerpt"), ("excerpt",)) or "",
        updated=read(schema.when, meta.get("updatedDateTime"), ("updatedDateTime",), tz),
        original_url=read(schema.web_url, meta.get("originalUrl"), ("originalUrl",)),
        web_url=read(schema.web_url, meta.get("webUrl"), ("webUrl",)),
        amp_url=read(schema.web_url, meta.get("ampWebUrl"), ("ampWebUrl",)),
        category=read(schema.text, meta.get("category"), ("category",)),
        type=read(schema.text, meta.get("type"), ("type",)),
        quality=read(schema.number, meta.get("quality"), ("quality",)),
        heat=read(schema.number, meta.get("heat"), ("heat",)),
        # A flag that cannot be read counts as hiding, though its error stops the file anyway.
        published=read(visibility.read_flag, "published", found, default=True) is True,
        draft=read(visibility.read_flag, "draft", found, default=False) is not False,
        provider=read(schema.provider, meta.get("provider"), ("provider",)),
        topics=read(schema.string_list, meta.get("topics"), ("topics",)) or (),
        images=read(schema.listing, meta.get("images"), ("images",),
                    lambda v, p: schema.image(v, p, assets)) or (),
        related=read(schema.listing, meta.get("related"), ("related",),
                     lambda v, p: schema.related_entry(v, p, tz)) or (),
        aliases=read(schema.site_paths, meta.get("aliases"), ("aliases",)) or (),
        guid=_guid(read(schema.text, meta.get("id"), ("id",)), source.rel_path),
        extra=_extra(meta, ("cdnAmpWebUrl",)),
        lines=found.lines,
    )
    if errors:
        raise schema.FieldErrors(errors)
    if kind == "link" or not visibility.is_shown(item, config):
        return item  # a hidden item's body is shown nowhere: don't spend time rendering it
    return replace(item, body_html=limits.render_within(lambda text: render_markdown(text, config.trust_html), body)
                   if kind == "article" else render_plain_text(body))


def item_from_plain_text(source: Source, config: SiteConfig) -> Item:
    """A .txt without frontmatter: first non-empty line is the title, the rest paragraphs."""
    if not source.rel_path.lower().endswith(".txt"):
        raise ContentError("Markdown files need YAML frontmatter starting with '---' on line 1 "
                           "(at least a title)", source.rel_path, 1)
    raise_all([ContentError(message, source.rel_path, line)
               for line, message in visibility.plain_text_problems(source.text)])
    lines = source.text.strip("\n").split("\n")
    title = lines[0].strip()
    problem = limits.too_long(title, limits.MAX_TITLE_CHARS, "title (the first line)")
    if problem:
        raise ContentError(problem, source.rel_path, len(source.text) - len(source.text.lstrip("\n")) + 1)
    body = "\n".join(lines[1:]).strip("\n")
    paragraphs = _paragraphs(body)
    return Item(
        rel_path=source.rel_path,
        key=_key(source.rel_path),
        slug=_derived_slug(title, source.rel_path),
        slug_explicit=False,
        title=title,
        date=_mtime_date(source),
        date_from_mtime=True,
        kind="text" if body.strip() else "link",
        body_html=render_plain_text(body),
        excerpt=_shorten(paragraphs[0]) if paragraphs else "",
        guid=_guid(None, source.rel_path),
    )


def render_markdown(body: str, trust_html: bool) -> str:
    try:
        out = _markdown().reset().convert(body)
    except RecursionError:
        _markdown.cache_clear()  # a converter stopped half-way stays broken (it escapes all raw HTML after)
        raise
    return out if trust_html else sanitize_html(out)


@lru_cache(maxsize=1)
def _markdown() -> markdown.Markdown:
    # One converter per process: building one costs more than converting a typical body.
    return markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists"], output_format="html")


def render_plain_text(body: str) -> str:
    """Paragraphs split on blank lines, lines joined, every character escaped: plain text is never markup."""
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in _paragraphs(body))


def _paragraphs(body: str) -> list[str]:
    blocks = re.split(r"\n[ \t]*\n", body)
    return [" ".join(line.strip() for line in b.split("\n") if line.strip()) for b in blocks if b.strip()]


def _shorten(text: str, limit: int = 280) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _key(rel_path: str) -> str:
    return rel_path.rsplit(".", 1)[0]


def _derived_slug(title: str, rel_path: str) -> str:
    return slugify(title) or slugify(Path(rel_path).stem) or "item"


def _mtime_date(source: Source) -> datetime:
    return datetime.fromtimestamp(int(source.mtime), tz=timezone.utc)


def _guid(explicit: str | None, rel_path: str) -> str:
    """Feed id: stays the same when the title or the permalink pattern changes (pin it with `id:`)."""
    if explicit:
        return explicit
    return f"urn:uuid:{uuid.uuid5(_GUID_NAMESPACE, _key(rel_path))}"


def _extra(meta: dict[str, Any], also: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k not in schema.KNOWN_KEYS or k in also}
