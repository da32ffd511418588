"""Set `published:` in content files in place, keeping every other byte (comments, key order, CRLF, BOM)."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import ConfigError, ContentError, SiteError, raise_all
from site_builder.slug import slugify
from site_builder.stages.content import content_paths, split_frontmatter

log = logging.getLogger(__name__)

BOM = "\ufeff"
# A top-level `published:` line: the key, the value, an optional comment, the line end.
_PUBLISHED = re.compile(r"^(published[ \t]*:)([ \t]*)([^#\r\n]*?)([ \t]+#[^\r\n]*)?[ \t]*(\r?\n|\r)?$")
_FENCE = re.compile(r"^---[ \t]*(\r?\n|\r|$)")


@dataclass(frozen=True)
class Change:
    """One file and what happened to it: "published", "unpublished" or "unchanged" (already so)."""

    path: Path
    outcome: str
    warning: str = ""


def set_published(root: Path, targets: list[str], value: bool) -> list[Change]:
    """Find each FILE or SLUG under root/content/ and set its `published:`; all targets are resolved and
    every file is checked before any is written, so one bad name leaves all files as they were."""
    root = root.resolve()
    paths, errors = resolve_targets(root, targets)
    edits: list[tuple[Path, str, str]] = []
    for path in paths:
        rel = path.relative_to(root).as_posix()
        try:
            text = _read(path, rel)
            new = with_published(text, value, rel)
        except SiteError as exc:
            errors.append(exc)
            continue
        edits.append((path, text, new))
    raise_all(errors)
    changes = []
    for path, text, new in edits:
        if new != text:
            _write(path, new, path.relative_to(root).as_posix())
        draft_note = ""
        if value and _frontmatter(new, path.name).get("draft") is True:
            draft_note = f"{path.relative_to(root).as_posix()}: also has `draft: true`, so it stays hidden"
        outcome = ("published" if value else "unpublished") if new != text else "unchanged"
        changes.append(Change(path, outcome, draft_note))
    return changes


def resolve_targets(root: Path, targets: list[str]) -> tuple[list[Path], list[SiteError]]:
    """Each target as a content file: a path (relative to the site root or the current folder), or an
    item's slug (its `slug:`, else the one made from its title) or file stem. Ambiguous names are errors."""
    root = root.resolve()
    content_dir = root / "content"
    index: dict[str, list[Path]] | None = None
    found: list[Path] = []
    errors: list[SiteError] = []
    for target in targets:
        for candidate in (root / target, Path(target)):
            if candidate.is_file():
                path = candidate.resolve()
                if content_dir.resolve() not in path.parents:
                    errors.append(ConfigError("is not a file under content/", target))
                elif path not in found:
                    found.append(path)
                break
        else:
            if index is None:
                index = _slug_index(root)
            matches = index.get(target, [])
            if not matches:
                errors.append(ConfigError(f"no content file or item slug '{target}' under content/"))
            elif len(matches) > 1:
                names = ", ".join(p.relative_to(root).as_posix() for p in matches)
                errors.append(ConfigError(f"slug '{target}' is ambiguous ({names}); name the file instead"))
            elif matches[0] not in found:
                found.append(matches[0])
    return found, errors


def _slug_index(root: Path) -> dict[str, list[Path]]:
    index: dict[str, list[Path]] = {}
    for path in content_paths(root / "content"):
        rel = path.relative_to(root).as_posix()
        names = {path.stem}
        try:
            text = _read(path, rel)
            meta = _frontmatter(text, rel) if _FENCE.match(text.removeprefix(BOM)) else {}
        except SiteError:
            meta = {}
        slug = meta.get("slug")
        title = meta.get("title")
        names.add(slug if isinstance(slug, str) and slug else slugify(title) if isinstance(title, str) else "")
        for name in names - {""}:
            index.setdefault(name, []).append(path.resolve())
    return index


def with_published(text: str, value: bool, rel: str) -> str:
    """The file's text with `published:` set to value; only that value changes (or one line is added
    before the closing `---`). ContentError when the file cannot be edited safely."""
    body = text.removeprefix(BOM)
    lines = body.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0]):
        raise ContentError("has no frontmatter (--- lines) to set `published:` in; add one by hand", rel)
    close = next((n for n in range(1, len(lines)) if _FENCE.match(lines[n])), None)
    if close is None:
        raise ContentError("frontmatter has no closing `---` line", rel, 1)
    wanted = "true" if value else "false"
    keyed = [n for n in range(1, close) if re.match(r"published[ \t]*:", lines[n])]
    if len(keyed) > 1:
        raise ContentError(f"`published:` is set {len(keyed)} times (lines "
                           f"{', '.join(str(n + 1) for n in keyed)}); keep one and try again", rel, keyed[1] + 1)
    if keyed:
        number = keyed[0]
        match = _PUBLISHED.match(lines[number])
        if match is None or not match.group(3):
            raise ContentError("`published:` has no plain value on its line; set it by hand", rel, number + 1)
        key, space, _, comment, end = match.groups()
        lines[number] = f"{key}{space or ' '}{wanted}{comment or ''}{end or ''}"
    else:
        newline = re.search(r"\r\n|\r|\n", lines[0])
        lines.insert(close, f"published: {wanted}{newline.group(0) if newline else chr(10)}")
    new = (BOM if text.startswith(BOM) else "") + "".join(lines)
    _check(body, new.removeprefix(BOM), value, rel)
    return new


def _frontmatter(text: str, rel: str) -> dict:
    """The frontmatter as the build reads it (BOM dropped, line ends made \\n)."""
    plain = text.removeprefix(BOM).replace("\r\n", "\n").replace("\r", "\n")
    return split_frontmatter(plain, rel)[0]


def _check(before: str, after: str, value: bool, rel: str) -> None:
    """The edit must change `published` and nothing else the YAML says; else refuse (e.g. flow style)."""
    old = _frontmatter(before, rel)  # a file the build cannot read either: its own error, with its line
    try:
        new = _frontmatter(after, rel)
    except ContentError:
        new = None
    old.pop("published", None)
    if new is None or new.pop("published", None) is not value or new != old:
        raise ContentError("cannot edit `published:` safely in this frontmatter; set it by hand", rel)


def _read(path: Path, rel: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read: {exc.strerror}", rel) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"not valid UTF-8 (byte {exc.start})", rel) from None


def _write(path: Path, text: str, rel: str) -> None:
    """Atomic: a reader (a running `serve --watch`) sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(text.encode("utf-8"))
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ContentError(f"cannot write: {exc.strerror}", rel) from None
