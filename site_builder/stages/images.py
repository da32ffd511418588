"""Local images: the site paths the static folders serve, with each image's pixel size read from its file
(imagesize reads only the header), so an item's `images[].url` may be '/img/x.png'."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Mapping

import imagesize

from site_builder.files import check_regular

# site path ('/img/x.png') -> (width, height), None where the file is no image we can measure.
Assets = Mapping[str, tuple[int | None, int | None]]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif", ".bmp", ".tif", ".tiff")


def load_assets(static: Mapping[str, Path]) -> dict[str, tuple[int | None, int | None]]:
    """Every file the static folders put in output/ (`static`: theme.static_sources, output path -> file),
    by site path, with the pixel size of those that are images."""
    return {"/" + rel: _size(str(full)) for rel, full in sorted(static.items())}


def _size(full: str) -> tuple[int | None, int | None]:
    if not full.lower().endswith(IMAGE_SUFFIXES):
        return None, None
    try:
        check_regular(full)  # a FIFO or device would never finish reading: the static copy refuses it
        width, height = imagesize.get(full)
    except (OSError, ValueError):  # an unreadable or unknown file is served all the same, without a size
        return None, None
    return (int(width), int(height)) if width > 0 and height > 0 else (None, None)


def assets_stamp(assets: Assets) -> str:
    """Changes when a static file appears, goes or changes size: parsed items depend on these."""
    return hashlib.blake2b(repr(sorted(assets.items())).encode(), digest_size=16).hexdigest()


def is_site_path(url: str) -> bool:
    """'/img/x.png' is a file of this site; '//host/x.png' is not."""
    return url.startswith("/") and not url.startswith("//")
