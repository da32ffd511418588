"""Every key and fingerprint of the incremental build, and the argument that a warm build writes exactly
the bytes, and the same set of files, that a cold build would.

The rule. A warm build may skip work only where a key says the work's result would be the same:

1. A content file is not read again when its stat stamp (size, mtime, ctime, inode: inputs.file_stamp)
   is the one recorded with its parsed item, and that record was made more than RACY_NS after the file
   last changed (a file changed in the same clock tick as a build is read again, as git does). Its item is
   then the value parse_item gave for those very bytes: parse_item is a pure function of the file's bytes,
   its path, its mtime (which dates a file without a date) and the config, and a change of config or code
   changes the stamp, which empties the store. Hidden items are never stored: they are parsed every time.
2. An item's key is the digest of its whole parsed value (codec.dumps: every field, the path and the
   extension included); the key of the item as placed by collect is the digest of that key with the slug
   and URL collect gave it (collect.placed is a pure function of the three). Nothing picks fields by hand.
3. An output's key is the digest of everything it is made from: the stamp (code and library versions,
   the whole config, every template and theme file), the whole planned Page (template, URL, data, item
   slugs) or feed spec, the site-wide view every template sees, and the keys of the items it shows.
   Pages and feeds are pure functions of exactly these, so equal keys mean equal bytes.
4. The write stage alone looks at output/: it first finishes or rolls back a killed build's journal, then
   keeps a file only if the record it wrote says the file there was made from the same key and the file's
   stat stamp is the one it recorded; everything else is rendered and compared byte for byte. Files not
   planned are removed, so the set of files is the cold build's.
5. Outputs made without a key (the sitemap, robots.txt, static files) are always made in full and
   compared byte for byte; static files are found by the same input rule as everything else (inputs.py).

6. The layout (commands/build.lay_out: the placed site, every page and feed spec, the files made from it
   alone) is a pure function of the shown items, the hidden counts (the visibility gate, collect.gate,
   runs before it: nothing else of a hidden item reaches it), the config and the static files' names.
   It is computed under incremental/trace.py, which records the fields read of each item, and stored
   (incremental/layout.py). A later build with the same stamp reuses it when the shown files are the
   same set, the hidden counts and static names are equal, and each shown item whose value changed
   agrees with its stored value (canonical text) on every field the layout read of it: run again, the
   layout would read the same values in the same order and return the same result. Only the keys of
   the pages and feeds that show a changed item are computed again (from their stored canonical text,
   rule 3); every other output's key is the one recorded, since everything it covers is unchanged.
   `serve` keeps its last layout in memory and reuses it by the same rule (layout.still_laid_out).

The argument holds while every stage is a pure function of what its key covers: a stage that comes to
depend on anything else (the clock, say, to hide future items) must have it added to the key here.

So each file a warm build keeps is one a cold build would write with the same bytes, and each file it
writes is made by the same pure functions from the same values. tests/test_warm_equals_cold.py checks
this with random edit sequences (and killed builds) against cold builds; tests/test_incremental.py holds
the cases that once diverged.
"""

from __future__ import annotations

import hashlib
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable

from site_builder.config import SiteConfig
from site_builder.incremental.codec import dumps
from site_builder.inputs import file_stamp, walk_files
from site_builder.model import Item

# File times come from the kernel's coarse clock, up to a tick (at most 10 ms) behind the time a build
# reads at its start. A file whose ctime is not older than that start minus this margin may have
# changed again after the build read it, within one tick, without changing its stamp: the next build
# reads it again rather than trusting its stamp (git's "racily clean" rule).
RACY_NS = 50_000_000
_LIBRARIES = ("markdown", "jinja2", "nh3", "feedgen", "PyYAML", "python-frontmatter", "MarkupSafe", "lxml", "imagesize",
              "anyascii", "pagefind", "pagefind-bin")
# Config fields that say where things are, not what is built: a moved site keeps its store.
_PLACES = ("root", "output", "use_cache")


def digest(*values: Any) -> str:
    """The key of any plain values: a digest of their canonical encoding."""
    return hashlib.blake2b(dumps(values).encode(), digest_size=16).hexdigest()


def code_stamp() -> str:
    """Changes whenever site_builder's own code or a library it renders with changes."""
    h = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={version(name)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{name}=?\0".encode())
    return h.hexdigest()


def config_key(config: SiteConfig) -> str:
    """The whole config but where the site and its output are."""
    return digest({k: v for k, v in sorted(vars(config).items()) if k not in _PLACES})


def folders_key(folders: Iterable[Path]) -> str:
    """Every file under some folders (templates: all of them, whatever their names), in chain order."""
    h = hashlib.blake2b(digest_size=16)
    for index, folder in enumerate(folders):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                h.update(f"{index}\0{path.relative_to(folder).as_posix()}\0".encode() + path.read_bytes() + b"\0")
    return h.hexdigest()


def build_stamp(config: SiteConfig, template_dirs: list[Path], assets: Any = None) -> str:
    """What every output depends on: code, libraries, config, templates and theme files, and the sizes
    of the site's images (images.load_assets: parse_item reads them to size local images)."""
    return digest(code_stamp(), config_key(config), folders_key(template_dirs), assets)


def inputs_key(stamp: str, folders: Iterable[Path], started_ns: int) -> str:
    """Name and stat stamp of every input file under the folders (content, static), with the stamp:
    equal keys mean no input changed. "" (never equal) when a file changed too close to `started_ns`,
    the start of the build, for its stamp to be trusted next time (RACY_NS)."""
    h = hashlib.blake2b(stamp.encode(), digest_size=16)
    for folder in folders:
        for path in walk_files(folder):
            stamp_now = file_stamp(os.stat(path))
            if stamp_now[2] >= started_ns - RACY_NS:
                return ""
            h.update(f"{path}\0{stamp_now}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def item_key(item: Item) -> str:
    """The parsed item, whole."""
    return text_key(item_text(item))


def item_text(item: Item) -> str:
    """The item's canonical text (codec.dumps): what its key digests and the store keeps."""
    return dumps(item)


def text_key(text: str) -> str:
    """The key of a canonical text."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def placed_key(key: str, slug: str, url: str, group_slugs: Any = ()) -> str:
    """The item as collect placed it, and as its view shows it: collect gives it its slug and URL, and
    the slugs of its topics and provider (which another item's names can move: collect.group_slugs)."""
    return digest(key, slug, url, group_slugs)


def site_key(site_view: dict[str, Any]) -> str:
    """The site-wide facts every template sees."""
    return digest(site_view)


def output_key(stamp: str, made_from: str, site: str, item_keys: Iterable[str]) -> str:
    """A page's or a feed's key: what it is made from (the canonical text, codec.dumps, of the whole Page,
    or of the feed spec without its items and with their slugs: layout.layout_texts), the site view's key
    and the keys of the items it shows, in order."""
    return digest(stamp, made_from, site, tuple(item_keys))
