"""Follow which fields of which items a pure function reads: the record that lets a warm build reuse the
site's layout when an edit changes only fields the layout never read (keys.py, rule 6).

The function runs on copies of the items whose class records every field read, per item (by its
rel_path), and then the copies are plain items again. Copies of a traced item made with its own class
(collect.placed) are traced too. The argument: the function is deterministic and sees items only through
their fields, so run again on items that differ only in fields it did not read of them, it reads the same
values in the same order and returns the same result.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from site_builder.incremental.codec import dumps
from site_builder.model import Item

T = TypeVar("T")
Reads = dict[str, frozenset[str]]   # rel_path -> the names of the fields read of that item


def traced(run: Callable[[list[Item]], T], items: list[Item], untrace: Callable[[T], Any]) -> tuple[T, Reads]:
    """run(items) and what it read of each item. `untrace(result)` gives every item the result holds (they
    are turned back into plain items; the result is otherwise untouched)."""
    reads: dict[str, set[str]] = {item.rel_path: set() for item in items}

    class Traced(Item):
        def __getattribute__(self, name: str) -> Any:
            fields = object.__getattribute__(self, "__dict__")
            if name in fields:
                reads[fields["rel_path"]].add(name)
                return fields[name]
            return object.__getattribute__(self, name)

    copies = []
    for item in items:
        copy = object.__new__(Traced)
        copy.__dict__.update(item.__dict__)
        copies.append(copy)
    result = run(copies)
    for item in [*copies, *untrace(result)]:
        if type(item) is Traced:
            object.__setattr__(item, "__class__", Item)
    return result, {rel: frozenset(names) for rel, names in reads.items()}


def same_reads(old: Item, new: Item, names: frozenset[str]) -> bool:
    """The two values agree on every field in `names`: as values and in type, time zone and all (their
    canonical texts are equal; 12:00 UTC equals 13:00 +01:00 but does not read the same)."""
    return all(dumps(getattr(old, name)) == dumps(getattr(new, name)) for name in names)
