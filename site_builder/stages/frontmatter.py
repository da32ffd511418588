"""Split a content file into frontmatter and body, and read the YAML strictly: every key once, every value
one the schema can hold, and where each top-level key and value was written (for messages and the
visibility rule)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from site_builder.errors import ContentError
from site_builder.stages.schema import code_point

# The opening line is exactly '---' (spaces or tabs may trail it); the closing line is three or more dashes.
OPENING = re.compile(r"---[ \t]*")
CLOSING = re.compile(r"-{3,}[ \t]*")
# Deeper values than this are no news item's; they would only overflow the stack of whatever reads them next
# (the build cache, a template). YAML itself reads them fine.
MAX_DEPTH = 50
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")
# Integers longer than this cannot be turned back into text (Python limits int<->str conversion to 4,300
# digits); no frontmatter value needs more than a few hundred.
MAX_INT_BITS = 4096


_STR = "tag:yaml.org,2002:str"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe YAML loader, reporting a value its scalar constructors cannot read (`2024-13-01`,
    `!!int x`) as a YAML error with the value's line, instead of letting a ValueError escape, and
    noting every key written twice in one mapping (PyYAML would silently keep the last)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str, int]] = []   # 0-based lines of (a repeated key, its text, the first)
        self.key_lines: set[int] = set()                    # 0-based lines where a key was read, at any depth

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:  # before merge keys (<<) are flattened in: only keys written here
            self.key_lines.add(key_node.start_mark.line)
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            # A text key is its own value (the common case, and cheap); others are compared as constructed.
            key = key_node.value if key_node.tag == _STR else self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    self.duplicates.append((key_node.start_mark.line, str(key), seen[key]))
                seen.setdefault(key, key_node.start_mark.line)
            except TypeError:
                pass  # an unhashable key: construct_mapping below reports it
        return super().construct_mapping(node, deep)


def _marked(construct: Any, kind: str) -> Any:
    def construct_or_fail(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        shown = node.value if len(node.value) <= 40 else node.value[:40] + "…"
        try:
            value = construct(loader, node)
        except (ValueError, LookupError, TypeError, AttributeError, OverflowError):
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {shown!r} as {kind}",
                                                    node.start_mark) from None
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise yaml.constructor.ConstructorError(None, None, f"the number {shown!r} is too large",
                                                    node.start_mark)
        return value
    return construct_or_fail


for _tag, _kind in (("bool", "true or false"), ("int", "a whole number"), ("float", "a number"),
                    ("timestamp", "a date")):
    _tag = "tag:yaml.org,2002:" + _tag
    _Loader.add_constructor(_tag, _marked(_Loader.yaml_constructors[_tag], _kind))


@dataclass(frozen=True)
class Frontmatter:
    """A file's frontmatter as read: the mapping, the body after it, and where each top-level key
    was written. `raw` holds each top-level value exactly as written (tags and quotes included)."""

    meta: dict[str, Any]
    body: str
    body_line: int                                            # the line of the closing '---'
    lines: dict[str, int] = field(default_factory=dict)       # top-level key -> its line
    raw: dict[str, str] = field(default_factory=dict)         # top-level key -> its value's source text
    duplicates: tuple[tuple[int, str, int], ...] = ()         # (line, key, first line) of each key written again
    key_lines: frozenset[int] = frozenset()                   # every line where YAML read a key, at any depth


def has_frontmatter(text: str) -> bool:
    return OPENING.fullmatch(text.split("\n", 1)[0]) is not None


def read_frontmatter(text: str, rel: str) -> Frontmatter:
    """The frontmatter of a text whose first line opens it; YAML errors carry the line in the whole file."""
    lines = text.split("\n")
    closing = _closing(lines)
    if closing is None:
        raise ContentError("frontmatter opened with '---' on line 1 is never closed (add a '---' line after it)",
                           rel, 1)
    source = _yaml_source(lines, closing)
    odd_break = _LINE_BREAKS.search(source)
    if odd_break is not None:  # YAML breaks lines there too: what it reads would not be what an editor shows
        raise ContentError(f"frontmatter holds the line separator {code_point(odd_break.group())}, which YAML "
                           "reads as a line break; remove it", rel, source.count("\n", 0, odd_break.start()) + 1)
    loader = _Loader(source)
    try:
        root = loader.get_single_node()
        deep = _too_deep(root)
        if deep is not None:
            raise ContentError(f"frontmatter values are nested more than {MAX_DEPTH} levels deep", rel,
                               deep.start_mark.line + 1)
        meta = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and mark and (mark.line >= source.count("\n") or "flow" in (exc.context or "")):
            # An unclosed bracket or quote is noticed later, often at the end; point at where it opened.
            mark = exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        raise ContentError(f"invalid YAML in frontmatter: {reason}", rel, line) from None
    except yaml.YAMLError as exc:
        raise ContentError(f"invalid YAML in frontmatter: {exc}", rel, 1) from None
    finally:
        loader.dispose()
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError(f"frontmatter must be a mapping of keys to values, not {type(meta).__name__}", rel, 2)
    key_at: dict[str, int] = {}
    raw: dict[str, str] = {}
    for key_node, value_node in root.value if isinstance(root, yaml.MappingNode) else ():
        if isinstance(key_node, yaml.ScalarNode):
            key_at.setdefault(key_node.value, key_node.start_mark.line + 1)
            # The last one written, like the value PyYAML keeps (a second one is an error anyway).
            raw[key_node.value] = source[value_node.start_mark.index:value_node.end_mark.index]
    return Frontmatter(meta=meta, body="\n".join(lines[closing + 1:]), body_line=closing + 1, lines=key_at,
                       raw=raw, duplicates=tuple((line + 1, key, first + 1) for line, key, first in loader.duplicates),
                       key_lines=frozenset(line + 1 for line in loader.key_lines))


def _too_deep(root: yaml.Node | None) -> yaml.Node | None:
    """The first node nested deeper than MAX_DEPTH, or None (walked without recursion; aliases once)."""
    todo, seen = [(root, 0)], set()
    while todo:
        node, depth = todo.pop()
        if node is None or id(node) in seen:
            continue
        if depth > MAX_DEPTH:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            todo += [(part, depth + 1) for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            todo += [(item, depth + 1) for item in node.value]
    return None


def _closing(lines: list[str]) -> int | None:
    """The index of the line that closes the frontmatter opened on the first line."""
    return next((i for i in range(1, len(lines)) if CLOSING.fullmatch(lines[i])), None)


def _yaml_source(lines: list[str], closing: int) -> str:
    # A leading empty line keeps YAML's 0-based line numbers equal to the file's 1-based ones.
    return "\n".join([""] + lines[1:closing]) + "\n"


def split_frontmatter(text: str, rel: str) -> tuple[dict[str, Any], str, int]:
    """(metadata, body, line of the closing '---'), for callers that need no more."""
    found = read_frontmatter(text, rel)
    return found.meta, found.body, found.body_line


def locate(text: str, path: tuple[Any, ...]) -> int:
    """The file line of a key path inside the frontmatter (found again only when reporting an error)."""
    lines = text.split("\n")
    try:
        node = yaml.compose(_yaml_source(lines, _closing(lines) or len(lines)), Loader=_Loader)
    except yaml.YAMLError:
        return 1
    line = 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            matches = [(k, v) for k, v in node.value if k.value == part]
            if not matches:
                break
            match = matches[-1]  # the one PyYAML keeps when a key is written twice
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
