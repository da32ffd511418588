"""Check and convert frontmatter values of the news schema; each problem names its key."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

from site_builder.model import Image, Provider, Related
from site_builder.urls import is_web_url

# Dates outside these years cannot be moved into every timezone (or written in a feed).
FIRST_YEAR, LAST_YEAR = 1000, 9998

# Keys of the news schema; anything else in frontmatter is kept for themes as `extra`.
KNOWN_KEYS = frozenset({
    "title", "excerpt", "publishedDateTime", "date", "updatedDateTime", "originalUrl", "webUrl",
    "ampWebUrl", "cdnAmpWebUrl", "category", "type", "quality", "heat", "published", "draft",
    "provider", "topics", "images", "related", "slug", "id", "aliases",
})


# Characters XML 1.0 cannot hold (C0 controls but tab, LF and CR; U+FFFE, U+FFFF; lone surrogates):
# a title or topic with one would make the feeds impossible to write, so it is refused at parse time.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def control_character(value: str) -> int | None:
    """The index of the first character of value that no feed can hold, or None."""
    match = _NOT_XML.search(value)
    return match.start() if match else None


def code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


class FieldError(ValueError):
    """A bad value; `path` is the key path inside the frontmatter, e.g. ('images', 0, 'url')."""

    def __init__(self, path: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class FieldErrors(ValueError):
    """All the bad values of one file, reported together."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def describe(path: tuple[Any, ...]) -> str:
    out = str(path[0])
    for part in path[1:]:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _fail(path: tuple[Any, ...], what: str, value: Any) -> FieldError:
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return FieldError(path, f"{describe(path)} must be {what}, not {shown}")


def text(value: Any, path: tuple[Any, ...], required: bool = False) -> str | None:
    if value is None:
        if required:
            raise FieldError(path, f"{describe(path)} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _fail(path, "text", value)
    result = str(value).strip()
    if required and not result:
        raise FieldError(path, f"{describe(path)} must not be empty")
    _check_characters(result, path)
    return result


def _check_characters(value: str, path: tuple[Any, ...]) -> None:
    bad = control_character(value)
    if bad is not None:
        raise FieldError(path, f"{describe(path)} contains the control character {code_point(value[bad])}; "
                               "remove it")


def web_url(value: Any, path: tuple[Any, ...]) -> str | None:
    result = text(value, path)
    if not result:
        return None
    if not is_web_url(result):
        raise FieldError(path, f"{describe(path)} must be an http or https URL, not {result!r}")
    return result


def number(value: Any, path: tuple[Any, ...]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(path, "a number", value)  # NaN and infinity too: they cannot be ranked
    return value


def whole(value: Any, path: tuple[Any, ...]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(path, "a whole number", value)
    return value


def when(value: Any, path: tuple[Any, ...], tz: ZoneInfo) -> datetime | None:
    """A timezone-aware datetime; naive values and bare dates are read in the site's timezone."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            result = datetime.fromisoformat(value.strip())
        except ValueError:
            raise FieldError(path, f"{describe(path)}: cannot read {value!r} as a date "
                                   "(use ISO 8601, e.g. 2024-05-01T09:30:00Z)") from None
    else:
        raise _fail(path, "a date", value)
    if not FIRST_YEAR <= result.year <= LAST_YEAR:
        raise FieldError(path, f"{describe(path)}: year {result.year} is out of range "
                               f"({FIRST_YEAR} to {LAST_YEAR})")
    return result if result.tzinfo else result.replace(tzinfo=tz)


def string_list(value: Any, path: tuple[Any, ...]) -> tuple[str, ...]:
    """A list of strings; a single string is accepted as a list of one."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _fail(path, "a list of strings", value)
    out: list[str] = []
    for i, entry in enumerate(value):
        if not isinstance(entry, str) or not entry.strip():
            raise _fail(path + (i,), "a non-empty string", entry)
        _check_characters(entry, path + (i,))
        if entry.strip() not in out:
            out.append(entry.strip())
    return tuple(out)


_SITE_PATH = re.compile(r"/(?:[A-Za-z0-9._~-]+/)*[A-Za-z0-9._~-]*")


def site_paths(value: Any, path: tuple[Any, ...]) -> tuple[str, ...]:
    """Paths on this site such as '/news/old-title/' (plain ASCII, no '..'): where an item used to live."""
    paths = string_list(value, path)
    for i, entry in enumerate(paths):
        segments = entry.strip("/").split("/")
        if not _SITE_PATH.fullmatch(entry) or any(s in (".", "..") for s in segments):
            raise FieldError(path + (i,), f"{describe(path + (i,))} must be a path on this site such as "
                                          f"/news/old-title/, not {entry!r}")
    return paths


def mapping(value: Any, path: tuple[Any, ...]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail(path, "a mapping of keys to values", value)
    return value


def provider(value: Any, path: tuple[Any, ...]) -> Provider | None:
    if isinstance(value, str):
        name = text(value, path)
        return Provider(name=name) if name else None
    data = mapping(value, path)
    if data is None:
        return None
    name = text(data.get("name"), path + ("name",), required=True)
    domain = text(data.get("domain"), path + ("domain",)) or ""
    if domain and not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        raise FieldError(path + ("domain",), f"{describe(path + ('domain',))} must be a host name, not {domain!r}")
    return Provider(name=name or "", domain=domain.lower())


def listing(value: Any, path: tuple[Any, ...], each: Callable[[Any, tuple[Any, ...]], Any]) -> tuple[Any, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(path, "a list", value)
    return tuple(each(entry, path + (i,)) for i, entry in enumerate(value))


def image(value: Any, path: tuple[Any, ...], assets: Mapping[str, tuple[int | None, int | None]] | None = None
          ) -> Image:
    """An image: an http(s) URL or a site path served from static/ (checked against `assets` when given;
    its width and height come from the file unless the frontmatter gives both)."""
    data = {"url": value} if isinstance(value, str) else mapping(value, path) or {}
    url_path = path if isinstance(value, str) else path + ("url",)
    url = text(data.get("url"), url_path)
    if not url:
        raise FieldError(url_path, f"{describe(url_path)} is required")
    width, height = whole(data.get("width"), path + ("width",)), whole(data.get("height"), path + ("height",))
    if url.startswith("/") and not url.startswith("//"):
        if assets is not None and url not in assets:
            raise FieldError(url_path, f"{describe(url_path)}: no file {url} in static/ (put the image at "
                                       f"static{url}, or use an http(s) URL)")
        if assets is not None and (width is None or height is None):
            width, height = assets[url]
    elif not is_web_url(url):
        raise FieldError(url_path, f"{describe(url_path)} must be an http(s) URL or a path on this site such as "
                                   f"/img/photo.png, not {url!r}")
    return Image(url=url, width=width, height=height, alt=text(data.get("alt"), path + ("alt",)) or "",
                 caption=text(data.get("caption"), path + ("caption",)) or "",
                 credit=text(data.get("credit"), path + ("credit",)) or "")


def related_entry(value: Any, path: tuple[Any, ...], tz: ZoneInfo) -> Related:
    data = mapping(value, path) or {}
    key = "originalUrl" if data.get("originalUrl") else "webUrl"
    url = web_url(data.get(key), path + (key,))
    if not url:
        raise FieldError(path + ("webUrl",), f"{describe(path + ('webUrl',))} is required")
    return Related(
        title=text(data.get("title"), path + ("title",), required=True) or "",
        url=url,
        excerpt=text(data.get("excerpt"), path + ("excerpt",)) or "",
        date=when(data.get("publishedDateTime"), path + ("publishedDateTime",), tz),
        provider=provider(data.get("provider"), path + ("provider",)),
    )
