"""Index the rendered item pages with Pagefind, in memory, into the files of output/pagefind/.

The index is sharded by month (the item's month in the site's timezone, `shard_of`): each month's item
pages are one Pagefind index under pagefind/shards/YYYY-MM/, so an edit re-indexes only its month.
Pagefind's runtime (pagefind.js, pagefind-worker.js, the wasm files), the same for every shard, is
written once under pagefind/, and pagefind/shards.json lists the shards, newest first: the theme's
search.js loads the newest shard and merges the others into it (pagefind.js mergeIndex).

The index is a pure function of the item pages a build renders (and so only ever of the visible items,
or of the drafts too in a `--drafts` preview) and of the Pagefind version: the same pages give the
same bytes, and an unpublished item's fragments are gone because its page is no longer among them.
Pagefind's own indexer (a Rust binary shipped by the `pagefind[bin]` wheel) does the work through its
Python API; nothing is written to disk here: the files come back as OutputFiles for the write stage.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import logging
import re
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from typing import Iterable

import cbor2
from pagefind.service import PagefindService

from site_builder.config import SiteConfig
from site_builder.errors import SiteError
from site_builder.model import Item
from site_builder.stages.write import OutputFile

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
SHARDS_DIR = f"{BUNDLE_DIR}/shards"
SHARDS_FILE = f"{BUNDLE_DIR}/shards.json"
# Pagefind's runtime files (the same bytes for every shard), by their names in a bundle
_RUNTIME = re.compile(r"pagefind\.js|pagefind-worker\.js|wasm\.[\w-]+\.pagefind")
# Pagefind's service answers with the whole index in one message: room for a large site's index.
_READ_LIMIT = 2 ** 31 - 1
_WINDOW = 64


class _Service(PagefindService):
    """PagefindService with two fixes for a whole-site, in-memory index (pagefind 1.5.2):
    its reader sleeps 0.1 s before every answer (17 minutes for 10k pages), and its 2 MiB read
    limit is smaller than an index returned by get_files()."""

    async def launch(self) -> _Service:
        self._backend = await asyncio.create_subprocess_exec(
            self._bin, "--service", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, limit=_READ_LIMIT)
        self._poll_task = self._loop.create_task(self._wait_for_responses())
        return self

    async def close(self) -> None:
        """As PagefindService.close, but a process that outlives SIGTERM by 10 s is killed: waiting for it
        forever hung a test run once (under load, a build in a threaded process)."""
        try:
            await asyncio.wait_for(asyncio.gather(*self._responses.values()), timeout=5)
        except asyncio.TimeoutError:
            log.error("pagefind: timed out waiting for its answers")
        self._poll_task.cancel()
        if self._backend.returncode is None:
            self._backend.terminate()
        try:
            await asyncio.wait_for(self._backend.wait(), timeout=10)
        except asyncio.TimeoutError:
            log.warning("pagefind did not stop when asked; killing it")
            self._backend.kill()
            await asyncio.wait_for(self._backend.wait(), timeout=10)

    async def _wait_for_responses(self) -> None:
        assert self._backend.stdout is not None
        while True:
            try:
                message = await self._backend.stdout.readuntil(b",")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                # The indexer stopped or garbled its answer: fail every waiting request instead of hanging.
                for future in self._responses.values():
                    if not future.done():
                        future.set_exception(SiteError(f"search index: pagefind stopped answering ({exc})"))
                return
            answer = json.loads(base64.b64decode(message[:-1]))
            future = self._responses.get(answer.get("message_id"))
            if future is None or future.done():
                log.debug("pagefind: an answer nobody waits for: %.200s", answer)
                continue
            payload = answer["payload"]
            if payload["type"] == "Error":
                future.set_exception(SiteError(f"search index: pagefind failed: {payload['message']}"))
            else:
                future.set_result(payload)


def index_fingerprint(pages: Iterable[tuple[str, str]]) -> str:
    """What the index is made from: (output path, page fingerprint) of every indexed page, and Pagefind."""
    h = hashlib.blake2b(f"pagefind {version('pagefind')} {version('pagefind-bin')}".encode(), digest_size=16)
    for path, fingerprint in sorted(pages):
        h.update(f"\n{path}\0{fingerprint}".encode())
    return h.hexdigest()


def shard_of(item: Item, config: SiteConfig) -> str:
    """The shard an item's page is indexed in: its month (YYYY-MM) in the site's timezone."""
    return item.date.astimezone(config.tz).strftime("%Y-%m")


def shard_dir(month: str) -> str:
    return f"{SHARDS_DIR}/{month}"


def shards_file(months: Iterable[str]) -> OutputFile:
    """pagefind/shards.json: the shard folders (relative to pagefind/), newest month first."""
    folders = [shard_dir(m)[len(BUNDLE_DIR) + 1:] + "/" for m in sorted(set(months), reverse=True)]
    return OutputFile(SHARDS_FILE, json.dumps(folders, separators=(",", ":")).encode("utf-8") + b"\n")


def is_runtime(rel_path: str) -> bool:
    """Pagefind's runtime files (the same bytes for every shard): written once, under pagefind/."""
    prefix = BUNDLE_DIR + "/"
    return rel_path.startswith(prefix) and _RUNTIME.fullmatch(rel_path[len(prefix):]) is not None


def index_pages(pages: Iterable[tuple[str, bytes]], config: SiteConfig, bundle_dir: str) -> list[OutputFile]:
    """(site URL, rendered HTML) of every page of one shard -> its files under `bundle_dir` and Pagefind's
    runtime files under pagefind/ (the same for every shard: is_runtime), sorted by path.

    Which part of a page is indexed, its filters (topic, provider) and its sort key (date) are marked
    in the theme's templates with Pagefind's data-pagefind-* attributes (see item.html).
    """
    return index_shards([(bundle_dir, pages)], config)


def index_shards(shards: list[tuple[str, Iterable[tuple[str, bytes]]]], config: SiteConfig) -> list[OutputFile]:
    """index_pages for several shards with one Pagefind process: every shard's files, the runtime once."""
    shards = [(bundle_dir, sorted(pages)) for bundle_dir, pages in shards]
    # Its own thread and event loop: the caller may be running one already (a notebook, a test's browser).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pagefind") as worker:
        try:
            return worker.submit(lambda: asyncio.run(_index(shards, config))).result()
        except FileNotFoundError as exc:  # no pagefind binary
            raise SiteError(f"search index: cannot run pagefind at {exc.filename}: {exc.strerror}; install it with "
                            "pip install 'pagefind[bin]==1.5.2', "
                            "or set search = false in site.toml") from None


async def _index(shards: list[tuple[str, list[tuple[str, bytes]]]], config: SiteConfig) -> list[OutputFile]:
    out: dict[str, bytes] = {}
    service = await _Service().launch()
    try:
        for bundle_dir, pages in shards:
            index = await service.create_index({"force_language": config.language.split("-")[0].lower()})
            # Pages are sent in order with up to _WINDOW of them unanswered: no round trip per page, and only
            # a window's worth of pages decoded and encoded at a time (not a second copy of the whole site).
            waiting: deque[asyncio.Task] = deque()
            for url, html in pages:
                waiting.append(asyncio.ensure_future(index.add_html_file(content=html.decode("utf-8"), url=url)))
                if len(waiting) >= _WINDOW:
                    await waiting.popleft()
            await asyncio.gather(*waiting)
            files = await index.get_files()
            await index.delete_index()
            # Pagefind's ready-made UIs are left out: the theme's search page uses pagefind.js directly.
            bundle = _in_stable_order({f["path"]: f["content"] for f in files if not f["path"].startswith(_UNUSED)})
            for path, data in bundle.items():
                if _RUNTIME.fullmatch(path):
                    # the same for every shard (a warm build takes it from whichever shard it indexes)
                    patched = _shared_runtime(path, data)
                    if out.setdefault(f"{BUNDLE_DIR}/{path}", patched) != patched:
                        raise SiteError(f"search index: pagefind's {path} differs between shards")
                else:
                    out[f"{bundle_dir}/{path}"] = data
    finally:
        await service.close()
    return sorted((OutputFile(path, data) for path, data in out.items()), key=lambda f: f.rel_path)


def _keeping_order(searches: str, options: str) -> str:
    """The merged results in order of score (which, for a sorted search, is the rank in the sort), but for
    a sorted search the results of each index in turn: the primary (the newest month) first."""
    return (f"{searches}.map((s,i)=>s.results.map((r)=>[i,r])).flat().sort(([i,a],[j,b])=>"
            f"Object.keys({options}.sort||{{}}).length&&i!==j?i-j:b.score-a.score).map(([,r])=>r)")


# Pagefind 1.5.2 loads its wasm and web worker from the primary index's folder (basePath), and a search
# across merged indexes orders all results by score, which for a sorted search is each page's rank in the
# sort within its own index. The runtime lives once in pagefind/, beside pagefind.js, and the shards are
# months, newest first: so the wasm and worker are loaded from where pagefind.js (or the worker) itself
# is, and a sorted search lists each index's results in turn (newest shard first, each in date order by
# its ranks: the whole is in date order).
_WASM = "wasm.${language}.pagefind`"
_BESIDE_SCRIPT = '`${new URL("./",import.meta.url).href}'      # pagefind.js is an ES module
_BESIDE_WORKER = '`${new URL("./",self.location.href).href}'    # the worker a classic script
_PATCHES = {
    "pagefind.js": (
        ("`${this.basePath}" + _WASM, _BESIDE_SCRIPT + _WASM),
        ("`${basePath}pagefind-worker.js`", _BESIDE_SCRIPT + "pagefind-worker.js`"),
        ("search2.map((s)=>s.results).flat().sort((a,b)=>b.score-a.score)", _keeping_order("search2", "options2")),
    ),
    "pagefind-worker.js": (
        ("`${this.basePath}" + _WASM, _BESIDE_WORKER + _WASM),
        ("search.map((s)=>s.results).flat().sort((a,b)=>b.score-a.score)", _keeping_order("search", "options")),
    ),
}


def _shared_runtime(path: str, data: bytes) -> bytes:
    """A runtime file as written once under pagefind/ (see _PATCHES)."""
    if path not in _PATCHES:
        return data
    text = data.decode("utf-8")
    for old, new in _PATCHES[path]:
        if text.count(old) != 1:
            raise SiteError(f"search index: pagefind {version('pagefind-bin')}'s {path} is not the one this site "
                            f"builder knows (1.5.2): install it with pip install 'pagefind[bin]==1.5.2'")
        text = text.replace(old, new)
    return text.encode("utf-8")


_UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
_SIGNATURE = b"pagefind_dcd"   # Pagefind's data files: gzip of this signature and CBOR
_FILTERS = 3                   # where the filter list is in a language's pf_meta


def _in_stable_order(bundle: dict[str, bytes]) -> dict[str, bytes]:
    """The bundle with its filter data in sorted order, renamed after its new content.

    Pagefind 1.5.2 writes each filter's values, and the list of filters in pagefind.<lang>_<hash>.pf_meta,
    in hash-map order, which changes from run to run: the same pages would give a different index
    each build. Sorting them changes no meaning; the files are named by the hash of what they hold,
    so the renamed filter files, the pf_meta that names them and pagefind-entry.json follow.
    """
    out: dict[str, bytes] = {}
    renamed: dict[str, str] = {}
    for path, data in bundle.items():
        match = re.fullmatch(r"filter/(\w+?_)(\w+)\.pf_filter", path)
        if match is None:
            out[path] = data
            continue
        name, values = _decode(data)
        data = _encode([name, sorted(values, key=lambda value: value[0])])
        new = match.group(1) + _digest(data, len(match.group(2)))
        renamed[match.group(1) + match.group(2)] = new
        out[f"filter/{new}.pf_filter"] = data
    entry = json.loads(out["pagefind-entry.json"])
    for language in entry["languages"].values():
        old = language["hash"]
        meta = _decode(out.pop(f"pagefind.{old}.pf_meta"))
        meta[_FILTERS] = sorted([name, renamed[file]] for name, file in meta[_FILTERS])
        data = _encode(meta)
        prefix = old.rsplit("_", 1)[0] + "_"
        language["hash"] = prefix + _digest(data, len(old) - len(prefix))
        out[f"pagefind.{language['hash']}.pf_meta"] = data
    out["pagefind-entry.json"] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return out


def _decode(data: bytes):
    raw = gzip.decompress(data)
    assert raw.startswith(_SIGNATURE), "not a Pagefind data file"
    return cbor2.loads(raw[len(_SIGNATURE):])


def _encode(value) -> bytes:
    return gzip.compress(_SIGNATURE + cbor2.dumps(value), mtime=0)


def _digest(data: bytes, length: int) -> str:
    return hashlib.sha256(data).hexdigest()[:length]
