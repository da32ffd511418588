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
import nh3
import yaml
from frontmatter.default_handlers import YAMLHandler

from site_builder.stages import schema
from site_builder.stages.collect import is_shown
from site_builder.config import SiteConfig
from site_builder.errors import ContentError, SiteError
from site_builder.inputs import file_stamp, is_ignored, walk_files  # noqa: F401 - is_ignored: kept importable here
from site_builder.model import Item, Known, Source
from site_builder.slug import is_safe_slug, slugify

log = logging.getLogger(__name__)

CONTENT_SUFFIXES = (".md", ".markdown", ".txt")
MAX_FILE_BYTES = 5 * 1024 * 1024
_GUID_NAMESPACE = uuid.UUID("6f1c7a52-3f0e-4d55-9a43-1d3c1f6a8e21")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe YAML loader, reporting a value its scalar constructors cannot read (`2024-13-01`,
    `!!int x`) as a YAML error with the value's line, instead of letting a ValueError escape."""


def _marked(construct: Any, kind: str) -> Any:
    def construct_or_fail(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, LookupError, TypeError, AttributeError, OverflowError):
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {node.value!r} as {kind}",
                                                    node.start_mark) from None
    return construct_or_fail


for _tag, _kind in (("bool", "true or false"), ("int", "a whole number"), ("float", "a number"),
                    ("timestamp", "a date")):
    _tag = "tag:yaml.org,2002:" + _tag
    _Loader.add_constructor(_tag, _marked(_Loader.yaml_constructors[_tag], _kind))


def load_sources(config: SiteConfig, known: dict[str, Known] | None = None
                 ) -> tuple[list[Source], list[SiteError], list[str]]:
    """Read every content file: (sources, errors, warnings), in a stable order.

    A file whose stat stamp matches what an earlier build stored is not read again: its Source
    has text None and the cached digest.
    """
    known = known or {}
    sources: list[Source] = []
    errors: list[SiteError] = []
    warnings: list[str] = []
    start = len(str(config.root)) + 1
    for full in walk_files(config.content_dir):
        rel = full[start:].replace(os.sep, "/")
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


def content_paths(content_dir: Path) -> list[Path]:
    return [p for p in walk_content(content_dir) if p.suffix.lower() in CONTENT_SUFFIXES]


def walk_content(content_dir: Path) -> list[Path]:
    """Every file under content/ but hidden files and editors' temp files, sorted."""
    return [Path(p) for p in walk_files(content_dir)]


def read_source(path: Path, rel: str) -> Source:
    """Read one file as UTF-8 text (BOM and CRLF tolerated); refuse binary, huge and undecodable files."""
    stat = path.stat()
    if stat.st_size > MAX_FILE_BYTES:
        raise ContentError(f"file is too large ({stat.st_size:,} bytes); content files are limited to "
                           f"{MAX_FILE_BYTES // 1024 // 1024} MiB", rel)
    data = path.read_bytes()
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


def parse_item(source: Source, config: SiteConfig) -> Item:
    """Turn one Source into an Item, or raise ContentError naming the file and line."""
    text = source.text
    if not text.strip():
        raise ContentError("file is empty", source.rel_path, 1)
    if _has_frontmatter(text):
        meta, body, body_line = split_frontmatter(text, source.rel_path)
        try:
            return item_from_meta(source, meta, body, config, key_lines(text, body_line))
        except schema.FieldError as exc:
            line = locate(text, exc.path)
            raise ContentError(exc.message, source.rel_path, line) from None
        except RecursionError:
            raise ContentError("the body is nested too deeply to render (lists or quotes hundreds of levels "
                               "deep)", source.rel_path, body_line + 1) from None
    return item_from_plain_text(source, config)


def _has_frontmatter(text: str) -> bool:
    return text.split("\n", 1)[0].rstrip() == "---"


def split_frontmatter(text: str, rel: str) -> tuple[dict[str, Any], str, int]:
    """(metadata, body, line of the closing '---'); YAML errors carry the line in the whole file."""
    handler = YAMLHandler()
    try:
        _, fm, body = handler.FM_BOUNDARY.split(text, 2)
    except ValueError:
        raise ContentError("frontmatter opened with '---' on line 1 is never closed (add a '---' line after it)",
                           rel, 1) from None
    try:
        meta = yaml.load(fm, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and (mark.line >= fm.count("\n") or "flow" in (exc.context or "")):
            # An unclosed bracket or quote is noticed later, often at the end; point at where it opened.
            mark = exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        raise ContentError(f"invalid YAML in frontmatter: {reason}", rel, line) from None
    except yaml.YAMLError as exc:
        raise ContentError(f"invalid YAML in frontmatter: {exc}", rel, 1) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError(f"frontmatter must be a mapping of keys to values, not {type(meta).__name__}", rel, 2)
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    return meta, body, body_line


_TOP_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]|$)")


def key_lines(text: str, closing_line: int) -> dict[str, int]:
    """The line of each plainly written top-level frontmatter key, for messages about a parsed item."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.split("\n", closing_line)[1:closing_line - 1], start=2):
        match = _TOP_KEY.match(line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def locate(text: str, path: tuple[Any, ...]) -> int:
    """The file line of a key path inside the frontmatter (found again only when reporting an error)."""
    fm = text.split("\n---", 1)[0][3:]
    try:
        node = yaml.compose(fm, Loader=_Loader)
    except yaml.YAMLError:
        return 1
    line = 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    else:
        if node is not None and not isinstance(node, yaml.MappingNode):
            line = node.start_mark.line + 1
    return line


def item_from_meta(source: Source, meta: dict[str, Any], body: str, config: SiteConfig,
                   lines: dict[str, int] | None = None) -> Item:
    """Validate the news schema and render the body: Markdown for .md, escaped paragraphs for .txt."""
    tz = config.tz
    if "date" in meta and "publishedDateTime" in meta:
        raise schema.FieldError(("date",), "date and publishedDateTime are the same field; keep one")
    title = schema.text(meta.get("title"), ("title",), required=True) or ""
    date = schema.when(meta.get("publishedDateTime", meta.get("date")),
                       ("publishedDateTime" if "publishedDateTime" in meta else "date",), tz)
    explicit_slug = schema.text(meta.get("slug"), ("slug",))
    if explicit_slug is not None and not is_safe_slug(explicit_slug):
        raise schema.FieldError(("slug",), f"slug {explicit_slug!r} may only hold lowercase letters, digits, "
                                           "'-', '_' and '.' (no '/', no '..')")
    schema.web_url(meta.get("cdnAmpWebUrl"), ("cdnAmpWebUrl",))  # themes get it from `extra`: checked all the same
    body = body.strip("\n")
    is_markdown = not source.rel_path.lower().endswith(".txt")
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
        excerpt=schema.text(meta.get("excerpt"), ("excerpt",)) or "",
        updated=schema.when(meta.get("updatedDateTime"), ("updatedDateTime",), tz),
        original_url=schema.web_url(meta.get("originalUrl"), ("originalUrl",)),
        web_url=schema.web_url(meta.get("webUrl"), ("webUrl",)),
        amp_url=schema.web_url(meta.get("ampWebUrl"), ("ampWebUrl",)),
        category=schema.text(meta.get("category"), ("category",)),
        type=schema.text(meta.get("type"), ("type",)),
        quality=schema.number(meta.get("quality"), ("quality",)),
        heat=schema.number(meta.get("heat"), ("heat",)),
        published=schema.flag(meta.get("published"), ("published",), default=True),
        draft=schema.flag(meta.get("draft"), ("draft",), default=False),
        provider=schema.provider(meta.get("provider"), ("provider",)),
        topics=schema.string_list(meta.get("topics"), ("topics",)),
        images=schema.listing(meta.get("images"), ("images",), schema.image),
        related=schema.listing(meta.get("related"), ("related",),
                               lambda v, p: schema.related_entry(v, p, tz)),
        guid=_guid(schema.text(meta.get("id"), ("id",)), source.rel_path),
        extra=_extra(meta, ("cdnAmpWebUrl",)),
        lines=lines or {},
    )
    if kind == "link" or not is_shown(item, config):
        return item  # a hidden item's body is shown nowhere: don't spend time rendering it
    return replace(item, body_html=render_markdown(body, config.trust_html) if kind == "article"
                   else render_plain_text(body))


def item_from_plain_text(source: Source, config: SiteConfig) -> Item:
    """A .txt without frontmatter: first non-empty line is the title, the rest paragraphs."""
    if not source.rel_path.lower().endswith(".txt"):
        raise ContentError("Markdown files need YAML frontmatter starting with '---' on line 1 "
                           "(at least a title)", source.rel_path, 1)
    lines = source.text.strip("\n").split("\n")
    title = lines[0].strip()
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


_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "h1",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}, "abbr": {"title"},
    "td": {"align", "colspan", "rowspan"}, "th": {"align", "colspan", "rowspan", "scope"},
    "time": {"datetime"}, "ol": {"start"}, "code": {"class"}, "q": {"cite"}, "blockquote": {"cite"},
}


def sanitize_html(fragment: str) -> str:
    """Keep a safe allowlist of tags and attributes; links get rel=noopener noreferrer."""
    return nh3.clean(fragment, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


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
