"""Turn titles, topics and provider names into lowercase ASCII URL slugs."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
MAX_LENGTH = 80


def slugify(text: str, max_length: int = MAX_LENGTH) -> str:
    """`"Putin's ‘alien’ AI!"` -> `"putins-alien-ai"`; may return "" for text with no ASCII letters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = ascii_text.lower().replace("'", "")
    slug = _NON_WORD.sub("-", ascii_text).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug


_SAFE_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")


def is_safe_slug(slug: str) -> bool:
    """True for a slug usable as one path segment: no `/`, no `..`, nothing unsafe in file names."""
    return bool(_SAFE_SLUG.match(slug)) and ".." not in slug
