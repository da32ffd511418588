"""Plain values as canonical JSON and back: the one encoding behind every key (keys.py) and every value
the store keeps (store.py). Data only: decoding builds the model's own dataclasses and a few standard
types from a fixed list, and never imports, calls or trusts anything named in the text."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Callable
from zoneinfo import ZoneInfo

from markupsafe import Markup

from site_builder.model import Image, Item, Provider, Related
from site_builder.stages.collect import Group, Site
from site_builder.stages.feeds import FeedSpec
from site_builder.stages.plan import Page, Stories, Story

# The only classes a stored value may name. A class added to the model that a key or the store must
# cover is added here; an unknown type is an error (never silently left out of a key).
CLASSES: dict[str, type] = {cls.__name__: cls for cls in (Item, Image, Provider, Related, Group, Site, Page,
                                                          FeedSpec)}


# Each class's field names, in order (dataclasses.fields() is slow enough to matter for 60,000 pages).
_FIELDS: dict[type, tuple[str, ...]] = {cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in CLASSES.values()}


class CodecError(ValueError):
    """A value that cannot be encoded, or stored text that is not a value this codec wrote."""


def dumps(value: Any) -> str:
    """Canonical JSON: the same value always gives the same text, and different values different text
    (types are kept apart: a tuple is not a list, a Markup is not a str, 1 is not 1.0 is not True)."""
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def loads(text: str | bytes) -> Any:
    """dumps() undone. Raises CodecError for anything this codec did not write."""
    try:
        return json.loads(text, object_hook=_decode_object)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        raise CodecError(f"not a stored value: {exc}") from None


def encode(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    encoder = _ENCODERS.get(kind)
    if encoder is not None:
        return encoder(value)
    names = _FIELDS.get(kind)
    if names is not None:
        fields = value.__dict__
        return {"$": kind.__name__, "f": [encode(fields[name]) for name in names]}
    raise CodecError(f"cannot encode a {kind.__module__}.{kind.__qualname__}")


def _dict(value: dict) -> Any:
    if all(type(k) is str and not k.startswith("$") for k in value):
        return {k: encode(v) for k, v in value.items()}
    return {"$d": [[encode(k), encode(v)] for k, v in value.items()]}


def _tz(zone: tzinfo | None) -> Any:
    if zone is None:
        return None
    if type(zone) is ZoneInfo:
        return ["z", zone.key]
    if type(zone) is timezone:
        offset = zone.utcoffset(None)
        return ["o", offset.days * 86400 + offset.seconds, offset.microseconds, zone.tzname(None)]
    raise CodecError(f"cannot encode the time zone {zone!r}")


def _datetime(value: datetime) -> Any:
    return {"$dt": [value.replace(tzinfo=None).isoformat(), value.fold, _tz(value.tzinfo)]}


def _time(value: time) -> Any:
    return {"$time": [value.replace(tzinfo=None).isoformat(), value.fold, _tz(value.tzinfo)]}


_ENCODERS: dict[type, Callable[[Any], Any]] = {
    list: lambda v: [encode(x) for x in v],
    tuple: lambda v: {"$t": [encode(x) for x in v]},
    dict: _dict,
    datetime: _datetime,
    date: lambda v: {"$date": v.isoformat()},
    time: _time,
    bytes: lambda v: {"$b": base64.b64encode(v).decode()},
    set: lambda v: {"$set": sorted((encode(x) for x in v), key=lambda e: json.dumps(e, sort_keys=True))},
    frozenset: lambda v: {"$fset": sorted((encode(x) for x in v), key=lambda e: json.dumps(e, sort_keys=True))},
    Markup: lambda v: {"$m": str(v)},
    Story: lambda v: {"$story": str(v)},
    Stories: lambda v: {"$stories": list(v)},
}


def _zone(encoded: Any) -> tzinfo | None:
    if encoded is None:
        return None
    if encoded[0] == "z":
        return ZoneInfo(encoded[1])
    if encoded[0] == "o":
        offset = timedelta(seconds=encoded[1], microseconds=encoded[2])
        return timezone.utc if offset == timedelta(0) and encoded[3] == "UTC" else timezone(offset, encoded[3])
    raise CodecError(f"unknown time zone {encoded!r}")


def _object(fields: list[Any], cls: type) -> Any:
    names = _FIELDS[cls]
    if len(fields) != len(names):
        raise CodecError(f"a stored {cls.__name__} has {len(fields)} fields, not {len(names)}")
    made = object.__new__(cls)  # a frozen dataclass filled without re-running __init__, as collect.placed does
    made.__dict__.update(zip(names, fields))
    return made


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$t": tuple,
    "$d": lambda pairs: {_hashable(k): v for k, v in pairs},
    "$dt": lambda v: datetime.fromisoformat(v[0]).replace(fold=v[1], tzinfo=_zone(v[2])),
    "$date": date.fromisoformat,
    "$time": lambda v: time.fromisoformat(v[0]).replace(fold=v[1], tzinfo=_zone(v[2])),
    "$b": lambda v: base64.b64decode(v, validate=True),
    "$set": lambda v: set(map(_hashable, v)),
    "$fset": lambda v: frozenset(map(_hashable, v)),
    "$m": Markup,
    "$story": Story,
    "$stories": lambda v: Stories(v),
}


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        raise CodecError("a stored key or set member is not hashable")
    return value


def _decode_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 2 and "$" in obj and "f" in obj:
        cls = CLASSES.get(obj["$"]) if isinstance(obj["$"], str) else None
        if cls is None or not isinstance(obj["f"], list):
            raise CodecError(f"unknown stored class {obj['$']!r}")
        return _object(obj["f"], cls)
    if len(obj) == 1:
        (tag, value), = obj.items()
        if tag.startswith("$"):
            decoder = _DECODERS.get(tag)
            if decoder is None:
                raise CodecError(f"unknown stored tag {tag!r}")
            return decoder(value)
    return obj
