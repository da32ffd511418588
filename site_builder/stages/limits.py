"""Bound what one content file may cost: limits checked before a body is rendered or an item is placed.

Python-Markdown's inline patterns are quadratic: every `[` (link, image) and `<` (autolink, tag) scans
on through the rest of its paragraph, and a paragraph of many constructs is re-scanned after each one
(20,000 `[` then 20,000 `]` takes minutes). No option of the library bounds this, and a build may run
on serve's rebuild thread, where no alarm can interrupt it, so the known cases are bounded before
rendering: a body is scanned once, in linear time, and refused with the line of the paragraph that
breaks a limit. The cases no count captures are bounded by a clock: a long body renders in a forked
worker that is stopped after RENDER_SECONDS (render_within). The figures come from benchmarks/hostile.py.

Counts in frontmatter are bounded too: each topic adds a page showing the item, and every one of those
pages lists all the item's topics, so output grows with the square of an item's topic count.
"""

from __future__ import annotations

import os
import re
import select
import signal
import time
from typing import Any, Callable

from site_builder.stages.schema import FieldError, describe

# A Markdown body, in characters: past this even plain prose takes seconds.
MAX_BODY_CHARS = 250_000
# One paragraph (lines between blank lines, outside fenced code): the span one `[` or `<` may scan.
MAX_PARAGRAPH_CHARS = 10_000
# `[` and `<` (links, images, autolinks, tags) in the whole body.
MAX_BODY_OPENERS = 2_000
# Each `[` or `<` costs about the length of its paragraph: the sum over the body, at most. 200 links in
# a paragraph of 10,000 characters, or 1,000 links in paragraphs of 2,000, render in about a second.
MAX_LINK_COST = 2_000_000
# Columns of indentation, quote and list markers before a line's text: how deep blocks may nest.
MAX_NESTING_COLUMNS = 64

# A body longer than this is rendered in a forked worker that is stopped after RENDER_SECONDS: the
# limits above bound the known quadratic cases, but Python-Markdown has more (thousands of '# a' or
# '-' lines in one paragraph), and a clock bounds them all. Shorter bodies render in place (a fork
# costs some milliseconds), where the worst such case measured takes about a second.
IN_PLACE_CHARS = 10_000
RENDER_SECONDS = 5.0

# Per item, in frontmatter.
MAX_TOPICS = 50
MAX_IMAGES = 50
MAX_RELATED = 50
MAX_NAME_CHARS = 200        # a topic or provider name
MAX_TITLE_CHARS = 1_000
MAX_EXCERPT_CHARS = 10_000

_FENCE = re.compile(r"[ \t>]*(`{3,}|~{3,})")
_NESTING = re.compile(r"(?:[ \t]|>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))*")


class LimitError(ValueError):
    """A body breaks a limit; `line` counts from the body's first line (1)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def check_markdown(body: str) -> None:
    """Raise LimitError if rendering `body` could cost more than the limits allow (one linear pass)."""
    if len(body) > MAX_BODY_CHARS:
        raise LimitError(f"the body is too long to render ({len(body):,} characters; at most "
                         f"{MAX_BODY_CHARS:,}); split the item", 1)
    fence = ""
    start, chars, openers, total, cost = 0, 0, 0, 0, 0
    for number, line in enumerate(body.split("\n") + [""], start=1):
        marker = _FENCE.match(line)
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
            continue  # code is not scanned for links
        if marker or not line.strip():  # a paragraph ends: what its links cost is known
            cost += openers * chars
            if cost > MAX_LINK_COST:
                raise LimitError(f"too many links or tags for the length of their paragraphs ('[' and '<' "
                                 f"times their paragraph's length reach {cost:,} here, at most "
                                 f"{MAX_LINK_COST:,}); split long paragraphs with blank lines", start)
            fence = marker.group(1) if marker else ""
            start, chars, openers = 0, 0, 0
            continue
        nesting = len(_NESTING.match(line).group(0).expandtabs(4))
        if nesting > MAX_NESTING_COLUMNS:
            raise LimitError(f"nested too deeply ({nesting} columns of indentation, quote and list markers; "
                             f"at most {MAX_NESTING_COLUMNS})", number)
        start = start or number
        chars += len(line) + 1
        count = line.count("[") + line.count("<")
        openers += count
        total += count
        if chars > MAX_PARAGRAPH_CHARS:
            raise LimitError(f"paragraph too long to render (over {MAX_PARAGRAPH_CHARS:,} characters without "
                             "a blank line); split it with blank lines", start)
        if total > MAX_BODY_OPENERS:
            raise LimitError(f"too many links or tags in the body (over {MAX_BODY_OPENERS:,} '[' or '<' per "
                             "item); split the item", number)


def check_text(value: str | None, limit: int, path: tuple[Any, ...]) -> None:
    """A FieldError (at the key's line) for a text longer than its limit."""
    problem = too_long(value or "", limit, describe(path))
    if problem:
        raise FieldError(path, problem)


def check_frontmatter(meta: dict[str, Any]) -> None:
    """The counts and lengths an item's output grows with; a FieldError at the first entry past a limit."""
    for key, limit in (("topics", MAX_TOPICS), ("images", MAX_IMAGES), ("related", MAX_RELATED)):
        value = meta.get(key)
        if isinstance(value, list):
            problem = at_most(len(value), limit, key)
            if problem:
                raise FieldError((key, limit), problem)
    topics = meta.get("topics")
    for index, name in enumerate(topics if isinstance(topics, list) else [topics]):
        if isinstance(name, str):
            check_text(name.strip(), MAX_NAME_CHARS, ("topics", index) if isinstance(topics, list) else ("topics",))
    provider = meta.get("provider")
    name = provider.get("name") if isinstance(provider, dict) else provider
    if isinstance(name, str):
        check_text(name.strip(), MAX_NAME_CHARS, ("provider", "name") if isinstance(provider, dict) else ("provider",))
    excerpt = meta.get("excerpt")
    if isinstance(excerpt, str):
        check_text(excerpt.strip(), MAX_EXCERPT_CHARS, ("excerpt",))


def at_most(count: int, limit: int, what: str) -> str | None:
    """The message for a list longer than its limit, or None."""
    if count <= limit:
        return None
    return f"{what}: {count:,} entries; an item may have at most {limit}"


def too_long(value: str, limit: int, what: str) -> str | None:
    if len(value) <= limit:
        return None
    return f"{what} is too long ({len(value):,} characters; at most {limit:,})"


def render_within(render: Callable[[str], str], body: str, seconds: float | None = None) -> str:
    """render(body), in a forked worker stopped after `seconds` when the body is long (LimitError then).

    The worker sends the HTML back through a pipe; a RecursionError in it is raised again here. Where
    there is no fork, or the body is short, render runs in place.
    """
    if len(body) <= IN_PLACE_CHARS or not hasattr(os, "fork"):
        return render(body)
    seconds = RENDER_SECONDS if seconds is None else seconds
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: render, send, and leave without running any of the parent's clean-up
        code = 0
        try:
            os.close(read_end)
            data = render(body).encode("utf-8")
            while data:
                data = data[os.write(write_end, data):]
        except RecursionError:
            code = 3
        except BaseException:  # noqa: BLE001 - the parent renders again in place to report it
            code = 1
        os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                raise LimitError(f"the body took more than {seconds:g} s to render and was stopped; simplify "
                                 "it or split the item", 1)
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 3:
        raise RecursionError("the body is nested too deeply to render")
    if code != 0:
        return render(body)  # an unexpected failure: again in place, so that its exception reaches the caller
    return b"".join(chunks).decode("utf-8")
