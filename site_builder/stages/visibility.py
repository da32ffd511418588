"""The visibility rule: an item is published only when its file says so clearly; anything a reader could
take two ways is an error with path:line, never a publish.

The whole rule, in order:
1. Frontmatter opens with '---' alone on line 1 (spaces or tabs may trail it). A '---'-like line before any
   other text, but not there (after blank lines, indented, after a second BOM, with a zero-width or other
   invisible character, with dash look-alikes or extra dashes) is an error, and so is a closing line that
   only looks like '---'.
2. A line that reads like a `published:` or `draft:` key (in any spelling of rule 4) which is not read as
   a key is an error: in a plain-text item (no frontmatter), in frontmatter where YAML took it as part of
   the value above it (an indented ` published:false` continues the title), and, with a yes/no-like value,
   in the body (a second frontmatter block, `<!-- draft: true -->`). frontmatter.py refuses Unicode line
   separators, which YAML would break lines at where an editor shows none.
3. `published` and `draft` are written plainly as a YAML boolean: true/false, yes/no, on/off, each in
   lower case, Capitalised or UPPER CASE (the spellings YAML 1.1 reads as booleans, so no reader can take
   them as text). No value, quotes, tags (`!!str false`, `!!bool false`), anchors or aliases: an error.
4. Every key once (frontmatter.py reports duplicates); a key that differs from a known key only by case,
   separators or invisible characters (`Published`, `published_`, `pub-lished`) is an error naming the
   known key; a near-miss of `published` or `draft` (`publshed`, `drafts`, `unpublished`) or a `status:
   draft`-style key with a yes/no-like value is an error. Other unknown keys are kept (`item.extra`).
5. Then: hidden when `published` is false or `draft` is true (hidden_reason, the only judge of a parsed
   item); published otherwise.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

from site_builder.config import SiteConfig
from site_builder.model import Item
from site_builder.stages import schema
from site_builder.stages.frontmatter import CLOSING, OPENING, Frontmatter

TRUE_SPELLINGS = frozenset({"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
FALSE_SPELLINGS = frozenset({"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
FLAG_KEYS = ("published", "draft")

# Characters that show as nothing, or as a space, in an editor: a line made of them and dashes looks like '---'.
# FORMAT is Unicode's category Cf (zero-width spaces and joiners, BOM, direction marks, soft hyphen; a test
# keeps it equal to unicodedata's); the others are letters and symbols drawn blank (Hangul fillers, Braille).
FORMAT = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
          "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
          "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
_BLANK = f"[{FORMAT}\u115f\u1160\u3164\uffa0\u2800]"
_INVISIBLE = re.compile(rf"(?:\s|{_BLANK})+")
_BLANK_CHARS = re.compile(f"{_BLANK}+")
_DASH = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASHES = str.maketrans({c: "-" for c in _DASH[1:]})
_DELIMITER_LIKE = re.compile(rf"(?:\s|{_BLANK})*(?:[{_DASH}](?:\s|{_BLANK})*){{3,}}")
# Keys that, holding a yes/no-like value, can only mean visibility; and the words that mean "hide it".
_FLAG_SYNONYMS = frozenset({"unpublished", "hidden", "hide", "private", "unlisted", "ispublished", "isdraft"})
_STATUS_KEYS = frozenset({"status", "state", "visibility"})
_HIDING_WORDS = frozenset({"draft", "drafts", "unpublished", "hidden", "private", "pending", "unlisted", "trash"})
_YES_NO = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "t", "f", "0", "1", "maybe", "",
                     "draft", "published", "unpublished", "hidden", "private", "public", "null", "none", "nil",
                     "nope", "nah", "not", "never", "yep", "yeah", "ok", "okay", "sure", "enabled", "disabled",
                     "show", "hide", "visible", "invisible", "live", "wip", "todo", "pending"})
# A line that starts (after any punctuation: '# ', '- ', '<!-- ') with a few words and ':' or '='.
_KEY_LINE = re.compile(r"^[^\w\n]*(\w[^\n:=]{0,39}?)[ \t]*[:=]([^\n]*)", re.MULTILINE)


def hidden_reason(item: Item) -> str | None:
    """Why a parsed item must not be published, or None: the one judge every output reads."""
    if not item.published:
        return "unpublished"
    if item.draft:
        return "draft"
    return None


def is_shown(item: Item, config: SiteConfig) -> bool:
    """The visibility filter, the one every output goes through: published items, and with --drafts
    (a preview that is never stored) hidden ones too."""
    return config.drafts or hidden_reason(item) is None


def _looks_like_delimiter(line: str) -> bool:
    return _DELIMITER_LIKE.fullmatch(line) is not None


def _what_is_wrong(line: str, number: int) -> str:
    problems = [f"is on line {number}"] if number > 1 else []
    odd = next((c for c in line.rstrip(" \t") if c != "-" and not c.isspace()), None)
    if odd is not None and odd.translate(_DASHES) == "-":
        problems.append(f"uses {schema.code_point(odd)} instead of '-'")
    elif odd is not None:
        problems.append(f"holds the invisible character {schema.code_point(odd)}")
    elif line[:1].isspace():
        problems.append("is indented")
    elif line.rstrip(" \t") != "---":
        problems.append(f"is written {line.strip()!r}")
    return " and ".join(problems)


def misplaced_frontmatter(text: str) -> tuple[int, str] | None:
    """(line, message) when the text holds a frontmatter delimiter that is not exactly where it must be."""
    lines = text.split("\n")
    if OPENING.fullmatch(lines[0]):
        for number, line in enumerate(lines[1:], start=2):
            if _looks_like_delimiter(line):
                if CLOSING.fullmatch(line):
                    return None
                return number, (f"the '---' that closes the frontmatter must be alone at the start of its line "
                                f"(this one {_what_is_wrong(line, 1)}); write it as '---'")
        return None  # never closed: reading the frontmatter says so
    for number, line in enumerate(lines, start=1):
        if line and not _INVISIBLE.fullmatch(line):
            if not _looks_like_delimiter(line):
                return None
            return number, (f"frontmatter must start with '---' alone on line 1 (this one "
                            f"{_what_is_wrong(line, number)}); remove what comes before it, or its keys "
                            "would be ignored")
    return None


def plain_text_problems(text: str) -> list[tuple[int, str]]:
    """A plain-text item has no frontmatter: a line reading like a visibility key would be published as text."""
    return [(number, f"{key!r} reads like a frontmatter key, but this plain-text item has no frontmatter; put "
                     "the keys between '---' lines at the very top of the file, or reword the line")
            for number, key, _ in _key_like_lines(text, 1)]


def stray_key_problems(text: str, found: Frontmatter) -> list[tuple[int, str]]:
    """Lines that read like a visibility key but are not read as one: in the frontmatter, where YAML took
    them as part of another value (an indented ` published:false` continues the title above it); in the
    body, when they hold a yes/no-like value (`draft: true` below a second '---')."""
    lines = text.split("\n", found.body_line)[1:found.body_line - 1]
    problems = [(number, f"{key!r} is in a YAML comment, where it hides nothing; delete the line, or the '#'"
                 if lines[number - 2].lstrip().startswith("#") else
                 f"{key!r} reads like a key, but YAML reads this line as part of the value above it; check its "
                 "indentation and the space after ':'")
                for number, key, _ in _key_like_lines("\n".join(lines), 2) if number not in found.key_lines]
    problems += [(number, f"{key!r} reads like a frontmatter key, but it is in the body, below the closing "
                          "'---', where it hides nothing; move it into the frontmatter, or reword the line")
                 for number, key, value in _key_like_lines(found.body, found.body_line + 1) if _yes_no_like(value)]
    return problems


def _key_like_lines(text: str, first: int) -> list[tuple[int, str, str]]:
    """(line, key, the rest of the line) for each line of text that reads like a visibility key."""
    out = []
    text = _BLANK_CHARS.sub("", text)
    line, at = first, 0
    for match in _KEY_LINE.finditer(text):
        if _visibility_target(match.group(1)) is not None:
            line += text.count("\n", at, match.start())
            at = match.start()
            out.append((line, match.group(1), match.group(2).strip()))
    return out


def read_flag(key: str, found: Frontmatter, default: bool) -> bool:
    """`published` or `draft`, only as a plainly written YAML boolean (rule 3)."""
    if key not in found.meta:
        return default
    value = found.meta[key]
    written = found.raw.get(key, "").strip()
    if key not in found.raw or (value is not None and written[:1] in ("'", '"', "!", "&", "*", "|", ">")):
        raise schema.FieldError((key,), f"{key} must be true or false without quotes, tags or anchors, "
                                        f"not {written or 'a merged value'}")
    if value is None:
        raise schema.FieldError((key,), f"{key} has no value; write {key}: true or {key}: false")
    if isinstance(value, bool) and written in (TRUE_SPELLINGS if value else FALSE_SPELLINGS):
        return value
    raise schema.FieldError((key,), f"{key} must be true or false, not {value!r}")


def _normal(key: str) -> str:
    return "".join(c for c in _BLANK_CHARS.sub("", key).casefold() if c.isalnum())


_KNOWN_BY_NORMAL = {_normal(k): k for k in schema.KNOWN_KEYS}


@lru_cache(maxsize=4096)  # the same few keys, in every file
def _visibility_target(key: str) -> str | None:
    """'published' or 'draft' when key is one of them in another spelling, a near-miss or a synonym."""
    normal = _normal(key)
    if normal in _FLAG_SYNONYMS:
        return "published" if "publish" in normal else "draft"
    close = difflib.get_close_matches(normal, FLAG_KEYS, n=1, cutoff=0.8)
    return close[0] if close else None


def key_problems(meta: dict[str, Any]) -> list[schema.FieldError]:
    """Unknown top-level keys that are a known key misspelt, or that look like they decide visibility (rule 4)."""
    problems = []
    for key, value in meta.items():
        if not isinstance(key, str) or key in schema.KNOWN_KEYS:
            continue
        known = _KNOWN_BY_NORMAL.get(_normal(key))
        target = _visibility_target(key)
        if known is not None:
            problems.append(schema.FieldError((key,), f"unknown key {key!r}: write it as {known!r} (keys are "
                                                       "case-sensitive, with no extra characters)"))
        elif target is not None and _yes_no_like(value):
            problems.append(schema.FieldError((key,), f"unknown key {key!r} looks like {target!r}; only "
                                                       "published: false and draft: true hide an item (fix the "
                                                       "key, or rename it if it means something else)"))
        elif _normal(key) in _STATUS_KEYS and isinstance(value, str) and not _HIDING_WORDS.isdisjoint(_words(value)):
            problems.append(schema.FieldError((key,), f"'{key}: {value.strip()}' does not hide an item; write "
                                                       "published: false or draft: true"))
    return problems


def _yes_no_like(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, (list, dict)) and not value:  # `{}`, `[]`: "nothing", as good as no
        return True
    if isinstance(value, list):  # `[false]`
        return any(map(_yes_no_like, value))
    # One or two words ('!!str false'): a date such as '2024-1-1' or a sentence that says 'no' is not a flag.
    return isinstance(value, str) and len(_words(value)) <= 2 and not _YES_NO.isdisjoint(_words(value))


def _words(value: str) -> list[str]:
    """A value's words as a reader sees them: case, punctuation and invisible characters do not count
    ('!!str false' holds 'false'; '~' is the empty word)."""
    return re.findall(r"\w+", _BLANK_CHARS.sub("", value).casefold()) or [""]
