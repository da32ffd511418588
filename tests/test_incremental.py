"""The incremental engine: a warm build writes exactly what a cold build would (keys.py argues it),
the cases that once diverged, a hostile or damaged store, hidden items never stored, and workers
started safely."""

from __future__ import annotations

import logging
import os
import pickle
import sqlite3
import threading
import time

import pytest

from site_builder.commands.build import build, build_site
from site_builder.config import load_config
from site_builder.incremental.keys import RACY_NS
from site_builder.incremental.store import STORE_DIR, STORE_FILE, Memory, Stored, load_store, save_store
from site_builder.incremental.workers import start_method, work_map
from site_builder.stages import write as write_stage
from site_builder.stages.write import Written
from tests.conftest import read_tree
from tests.test_build import HIDDEN, VISIBLE, article


def warm(root):
    """A warm build (the store and output/ of the last build) of root into root/output."""
    build(load_config(root))
    return read_tree(root / "output")


def cold(root, out):
    """A cold build: no store, into a folder that does not exist yet."""
    assert not out.exists()
    build(load_config(root, {"output": out, "use_cache": False}))
    return read_tree(out)


def store_bytes(root) -> bytes:
    return b"".join(p.read_bytes() for p in (root / STORE_DIR).rglob("*") if p.is_file())


# --- the cases that diverged before: each a warm build compared with a cold one ---

def test_renaming_a_file_gives_the_new_feed_ids(make_site, tmp_path):
    root = make_site(VISIBLE)
    warm(root)
    os.rename(root / "content/a.md", root / "content/renamed.md")
    tree = warm(root)
    assert tree == cold(root, tmp_path / "cold")
    feed = tree["feed.xml"].decode()
    assert feed.count("<guid") == 3


def test_md_to_txt_stops_rendering_markdown(make_site, tmp_path):
    root = make_site({**VISIBLE, "content/m.md": article("Mark Story", more="") + "\n*emphasis* here\n"})
    before = warm(root)
    assert b"<em>emphasis</em>" in before["news/mark-story/index.html"]
    os.rename(root / "content/m.md", root / "content/m.txt")
    tree = warm(root)
    assert tree == cold(root, tmp_path / "cold")
    assert b"<em>emphasis</em>" not in tree["news/mark-story/index.html"]


@pytest.mark.parametrize("name", ["img/x.tmp", "notes.bak", "draft~", ".hidden", "img/ok.png", "a b.txt"])
def test_static_files_of_any_name_are_seen_alike_by_warm_and_cold_builds(make_site, tmp_path, name):
    root = make_site(VISIBLE)
    warm(root)
    (root / "static" / name).parent.mkdir(parents=True, exist_ok=True)
    (root / "static" / name).write_bytes(b"one")
    assert warm(root) == cold(root, tmp_path / "cold1")
    (root / "static" / name).write_bytes(b"two!")
    assert warm(root) == cold(root, tmp_path / "cold2")
    (root / "static" / name).unlink()
    assert warm(root) == cold(root, tmp_path / "cold3")


class Killed(BaseException):
    """Stands for SIGKILL in-process: nothing after it runs, no cleanup code catches it."""


def test_a_build_killed_after_its_journal_then_reverted_leaves_no_stale_file(make_site, tmp_path, monkeypatch):
    root = make_site(VISIBLE)
    original = warm(root)
    a = root / "content/a.md"
    text = a.read_text()
    a.write_text(text.replace("Alpha Story", "Alpha Changed"))

    def killed(staging, output, rollback=False):
        raise Killed()
    with monkeypatch.context() as patch:
        patch.setattr(write_stage, "_apply", killed)
        with pytest.raises(Killed):
            build(load_config(root))
    assert any(p.name.startswith(".output.tmp-") for p in root.iterdir())  # the journal is there
    a.write_text(text)  # the edit reverted before the next build
    assert warm(root) == original == cold(root, tmp_path / "cold")
    assert not any(p.name.startswith(".output.tmp-") for p in root.iterdir())


# --- the store: data only, damaged or hostile ones discarded with one warning ---

def hostile_pickle(sentinel) -> bytes:
    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {sentinel}",))
    return pickle.dumps(Payload())


def truncated_store(make_site, tmp_path) -> bytes:
    other = make_site(VISIBLE, name="other")
    warm(other)
    data = (other / STORE_DIR / STORE_FILE).read_bytes()
    return data[:len(data) // 2]


def tampered_store(make_site, tmp_path) -> bytes:
    other = make_site(VISIBLE, name="other")
    warm(other)
    path = other / STORE_DIR / STORE_FILE
    with sqlite3.connect(path) as db:
        db.execute("""UPDATE items SET item = '{"$": "Popen", "f": ["touch"]}'""")
    return path.read_bytes()


def tampered_stamps(make_site, tmp_path) -> bytes:
    other = make_site(VISIBLE, name="other")
    warm(other)
    path = other / STORE_DIR / STORE_FILE
    with sqlite3.connect(path) as db:
        db.execute("""UPDATE outputs SET stamp = '[1, "x"]'""")
        db.execute("""UPDATE items SET stamp = '{"$": "Popen"}'""")
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["random bytes", "a pickle that runs code", "truncated", "tampered rows",
                                  "tampered stamps"])
def test_a_hostile_store_is_ignored_with_one_warning_and_never_run(make_site, tmp_path, caplog, kind):
    sentinel = tmp_path / "ran"
    data = {"random bytes": lambda: os.urandom(5000) + b"SQLite format 3\0",
            "a pickle that runs code": lambda: hostile_pickle(sentinel),
            "truncated": lambda: truncated_store(make_site, tmp_path),
            "tampered rows": lambda: tampered_store(make_site, tmp_path),
            "tampered stamps": lambda: tampered_stamps(make_site, tmp_path)}[kind]()
    root = make_site(VISIBLE)
    warm(root)
    (root / STORE_DIR / STORE_FILE).write_bytes(data)
    (root / STORE_DIR / "manifest.pickle").write_bytes(hostile_pickle(sentinel))  # an old version's name
    (root / "content/a.md").write_text(article("Alpha Edited"))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        tree = warm(root)
    assert tree == cold(root, tmp_path / "cold")
    assert not sentinel.exists()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"ignoring the build cache {STORE_DIR}/{STORE_FILE}: it cannot be read (")
    assert warnings[0].endswith("); building without it")
    assert not (root / STORE_DIR / "manifest.pickle").exists()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert warm(root) == tree
    assert caplog.records == []  # the store was replaced with a good one


# --- hidden items never reach the store ---

def test_an_item_unpublished_with_a_config_change_leaves_no_trace_in_the_store(make_site, tmp_path):
    root = make_site({**VISIBLE, "content/z.md": article("Zanzibar Visible Story")})
    warm(root)
    assert b"Zanzibar" in store_bytes(root)
    (root / "site.toml").write_text('title = "Another title"\n')
    (root / "content/z.md").write_text(article("Zanzibar Visible Story", more="published: false\n"))
    assert warm(root) == cold(root, tmp_path / "cold")
    assert b"Zanzibar" not in store_bytes(root) and b"z.md" not in store_bytes(root)


def test_an_item_unpublished_alone_leaves_no_trace_in_the_store(make_site, tmp_path):
    root = make_site({**VISIBLE, "content/z.md": article("Zanzibar Visible Story")})
    warm(root)
    (root / "content/z.md").write_text(article("Zanzibar Visible Story", more="draft: true\n"))
    assert warm(root) == cold(root, tmp_path / "cold")
    assert b"Zanzibar" not in store_bytes(root) and b"z.md" not in store_bytes(root)


def test_a_drafts_build_stores_nothing(make_site):
    root = make_site({**VISIBLE, **HIDDEN})
    build(load_config(root, {"drafts": True}))
    assert not (root / STORE_DIR).exists() or b"Zebra" not in store_bytes(root)
    warm(root)
    before = store_bytes(root)
    build(load_config(root, {"drafts": True}))
    assert store_bytes(root) == before
    for needle in (b"Zebra", b"Quokka", b"Narwhal", b"secret.md", b"draft.md", b"off.md"):
        assert needle not in before


@pytest.mark.parametrize("how", ["drafts", "no-cache", "serve"])
def test_a_build_that_stores_nothing_still_drops_items_hidden_since(make_site, how):
    root = make_site({**VISIBLE, "content/z.md": article("Zanzibar Visible Story")})
    warm(root)
    assert b"Zanzibar" in store_bytes(root) and b"z.md" in store_bytes(root)
    (root / "content/z.md").write_text(article("Zanzibar Visible Story", more="published: false\n"))
    if how == "serve":
        build_site(load_config(root), Memory())
    else:
        build(load_config(root, {"drafts": True} if how == "drafts" else {"use_cache": False}))
    assert b"Zanzibar" not in store_bytes(root) and b"z.md" not in store_bytes(root)
    assert warm(root) and b"Zanzibar" not in store_bytes(root)


def test_a_build_that_stores_nothing_keeps_a_store_without_hidden_items(make_site):
    root = make_site({**VISIBLE, **HIDDEN})
    warm(root)
    before = store_bytes(root)
    build(load_config(root, {"use_cache": False}))
    build_site(load_config(root), Memory())
    assert store_bytes(root) == before  # nothing it holds is hidden now: kept for the next warm build


def test_a_touched_file_is_read_but_not_parsed_again_unless_its_mtime_dates_it(make_site, monkeypatch):
    from site_builder.commands import build as build_module
    root = make_site({**VISIBLE, "content/undated.txt": "Undated words\n\nA plain body.\n"})
    time.sleep(0.1)  # files changed within keys.RACY_NS of a build are never trusted by the next
    warm(root)
    parsed = []
    real = build_module.parse_item
    monkeypatch.setattr(build_module, "parse_item", lambda s, *a: parsed.append(s.rel_path) or real(s, *a))
    for path in (root / "content").rglob("*"):
        os.utime(path, (1_600_000_000, 1_600_000_000))  # same bytes, new stamps (a checkout, a restore)
    assert warm(root)
    assert sorted(parsed) == ["content/sub/c.txt", "content/undated.txt"]  # dated by their mtimes
    page = (root / "output/index.html").read_text("utf-8")
    assert "2020" in page and "Undated words" in page


# --- serve's in-memory rebuilds ---

def test_in_memory_rebuilds_after_renames_match_cold(make_site):
    root = make_site(VISIBLE)
    config = load_config(root)
    result = build_site(config, Memory())
    for old, new in (("a.md", "b2.md"), ("b2.md", "b2.txt"), ("b2.txt", "a.md")):
        os.rename(root / "content" / old, root / "content" / new)
        result = build_site(config, result.memory)
        fresh = build_site(load_config(root, {"use_cache": False}))
        assert {f.rel_path: f.data for f in result.files} == {f.rel_path: f.data for f in fresh.files}, new


# --- workers ---

def test_workers_fork_only_from_a_single_threaded_process():
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert start_method() is None
        assert set(work_map(lambda _: os.getpid(), range(400), workers=2, min_per_worker=10)) == {os.getpid()}
    finally:
        release.set()
        thread.join()
    if start_method() == "fork":  # pytest itself may run helper threads; then there is nothing to show
        assert os.getpid() not in set(work_map(lambda _: os.getpid(), range(400), workers=2, min_per_worker=10))


# --- the write stage's record of output/ ---

def test_a_stray_file_in_any_folder_of_output_is_noticed_and_removed(make_site, tmp_path):
    root = make_site(VISIBLE)
    tree = warm(root)
    for stray in ("news/stray.html", "news/alpha-story/stray.txt", "2024/05/stray", "stray"):
        (root / "output" / stray).write_text("x")
        assert warm(root) == tree == cold(root, tmp_path / stray.replace("/", "-"))


def test_a_hostile_record_never_removes_a_file_outside_output(tmp_path):
    out = tmp_path / "site" / "output"
    victim = tmp_path / "site" / "victim.txt"
    out.parent.mkdir()
    victim.write_text("keep me")
    keys = {"a.html": "k1", "sub/b.html": "k2"}
    files = {"a.html": b"a", "sub/b.html": b"b"}

    def make(kept):
        return [write_stage.OutputFile(path, data) for path, data in files.items() if path not in kept]
    _, record = write_stage.write_site(keys, make, out, tmp_path / "site", {})
    stamp_of = lambda path: write_stage.file_stamp(os.stat(path))  # noqa: E731
    hostile = {**record, "../": write_stage.Written("", stamp_of(out / "..")),
               "../victim.txt": write_stage.Written("", stamp_of(victim)),
               "sub/../../victim.txt": write_stage.Written("", stamp_of(victim))}
    files["a.html"] = b"changed"
    write_stage.write_site({**keys, "a.html": "k3"}, make, out, tmp_path / "site", hostile)
    assert victim.read_text() == "keep me"
    assert read_tree(out) == {"a.html": b"changed", "sub/b.html": b"b", write_stage.MARKER: write_stage.MARKER_TEXT}


# --- the layout kept between builds (incremental/layout.py): reused only when it is the cold one ---

def _many(n: int) -> dict[str, str]:
    return {f"content/item{i:03d}.md": article(f"Story number {i}", date=f"2024-05-{1 + i % 28:02d}T09:00:00Z",
                                               topics=f"[T{i % 4}]") + f"\nBody of story {i}.\n"
            for i in range(n)}


def _spy_layout(monkeypatch):
    """Counts the builds that lay the site out, and the stored items decoded."""
    from site_builder.commands import build as build_module
    from site_builder.incremental import layout as layout_module
    seen = {"laid out": 0, "decoded": 0}
    real_lay_out, real_load = build_module.lay_out, layout_module.load_items

    def lay_out(*args, **kwargs):
        seen["laid out"] += 1
        return real_lay_out(*args, **kwargs)

    def load_items(config, rels):
        rels = list(rels)
        seen["decoded"] += len(rels)
        return real_load(config, rels)
    monkeypatch.setattr(build_module, "lay_out", lay_out)
    monkeypatch.setattr(layout_module, "load_items", load_items)
    return seen


def test_a_body_edit_reuses_the_layout_and_decodes_only_what_it_shows(make_site, tmp_path, monkeypatch):
    root = make_site(_many(150))
    time.sleep(2 * RACY_NS / 1e9)  # files changed as a build starts are read again by the next (keys.RACY_NS)
    warm(root)
    seen = _spy_layout(monkeypatch)
    path = root / "content/item007.md"
    path.write_text(path.read_text() + "\nOne more paragraph.\n")
    stats = build(load_config(root))[1]
    assert seen["laid out"] == 0
    # The edited item's old value, and the items of the pages and feeds that show it (a feed shows 50):
    # about 108 of the 150.
    assert 0 < seen["decoded"] <= 110, seen
    pages = [p for p in stats.written_paths if p.endswith(".html")]
    assert pages == ["news/story-number-7/index.html"]  # the body shows on its page (and in the feeds)
    assert read_tree(root / "output") == cold(root, tmp_path / "cold")


@pytest.mark.parametrize("edit", ["retitle", "redate", "topics", "unpublish", "new file", "delete", "excerpt"])
def test_an_edit_the_layout_read_lays_the_site_out_again(make_site, tmp_path, monkeypatch, edit):
    root = make_site(_many(30))
    warm(root)
    seen = _spy_layout(monkeypatch)
    path = root / "content/item007.md"
    text = path.read_text()
    if edit == "retitle":
        path.write_text(text.replace("Story number 7", "Story number seven"))
    elif edit == "redate":
        path.write_text(text.replace("2024-05-08T09:00:00Z", "2024-05-08T10:00:00Z"))
    elif edit == "topics":
        path.write_text(text.replace("[T3]", "[T1]"))
    elif edit == "unpublish":
        path.write_text(text.replace("---\n", "---\npublished: false\n", 1))
    elif edit == "new file":
        (root / "content/extra.md").write_text(article("A new one"))
    elif edit == "delete":
        path.unlink()
    else:
        path.write_text(text.replace('excerpt: "Excerpt of Story number 7"', 'excerpt: "A short summary"'))
    assert edit in ("new file", "delete") or path.read_text() != text
    build(load_config(root))
    assert seen["laid out"] == 1, edit
    assert read_tree(root / "output") == cold(root, tmp_path / "cold")


def test_a_hidden_item_edited_and_still_hidden_keeps_the_layout(make_site, tmp_path, monkeypatch):
    root = make_site({**_many(20), "content/h.md": article("Hidden one").replace("---\n", "---\npublished: false\n", 1)})
    warm(root)
    seen = _spy_layout(monkeypatch)
    (root / "content/h.md").write_text(article("Hidden one, renamed").replace("---\n", "---\npublished: false\n", 1))
    build(load_config(root))
    assert seen["laid out"] == 0
    assert read_tree(root / "output") == cold(root, tmp_path / "cold")
    assert b"renamed" not in store_bytes(root)


def test_a_damaged_layout_row_is_laid_out_again_with_one_warning(make_site, tmp_path, caplog):
    root = make_site(_many(10))
    warm(root)
    with sqlite3.connect(root / STORE_DIR / STORE_FILE) as db:
        db.execute("""UPDATE pages SET planned = '{"$": "Popen", "f": ["touch"]}'""")
    path = root / "content/item003.md"
    path.write_text(path.read_text() + "\nMore.\n")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        tree = warm(root)
    assert tree == cold(root, tmp_path / "cold")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("ignoring the build cache"), warnings


@pytest.mark.parametrize("edit", ["body", "retitle", "unpublish", "hidden edit"])
def test_serve_keeps_its_layout_in_memory_while_an_edit_leaves_it_right(make_site, monkeypatch, edit):
    hidden = article("Hidden one").replace("---\n", "---\npublished: false\n", 1)
    root = make_site({**_many(40), "content/h.md": hidden})
    config = load_config(root)
    result = build_site(config, Memory())
    seen = _spy_layout(monkeypatch)
    path = root / ("content/h.md" if edit == "hidden edit" else "content/item007.md")
    text = path.read_text()
    if edit == "retitle":
        path.write_text(text.replace("Story number 7", "Story number seven"))
    elif edit == "unpublish":
        path.write_text(text.replace("---\n", "---\npublished: false\n", 1))
    else:
        path.write_text(text + "\nOne more paragraph.\n")
    from site_builder.commands import build as build_module
    rendered, real_render = [], build_module.render_page
    monkeypatch.setattr(build_module, "render_page", lambda page, *a: rendered.append(page.output_path) or real_render(page, *a))
    result = build_site(config, result.memory)
    assert seen["laid out"] == (1 if edit in ("retitle", "unpublish") else 0), edit
    if edit == "body":  # exactly the pages that show the item (its own, its day, neighbours linking it...)
        showing = {p.output_path for p in result.memory.planned.pages if "story-number-7" in p.slugs}
        assert "news/story-number-7/index.html" in showing and len(showing) < 20
        assert sorted(rendered) == sorted(showing)
    elif edit == "hidden edit":
        assert rendered == []
    fresh = build_site(load_config(root, {"use_cache": False}))
    assert {f.rel_path: f.data for f in result.files} == {f.rel_path: f.data for f in fresh.files}


def test_the_output_record_is_saved_whole_when_another_build_saved_since_this_one_loaded(tmp_path):
    """save_store writes only the output rows that differ from the store this build loaded, but only while
    the file still holds that store: after another build's save, the table is compared row by row."""
    config = load_config(tmp_path, {})
    save_store(config, Stored("s", 1, {}, {"a.html": Written("k1", (1, 2)), "b.html": Written("k1", (1, 2))}))
    loaded = load_store(config, "s")
    assert loaded.record == {"a.html": Written("k1", (1, 2)), "b.html": Written("k1", (1, 2))}
    save_store(config, Stored("s", 2, {}, {"c.html": Written("k2", (3, 4))}))   # another build, meanwhile

    mine = {"a.html": Written("k1", (1, 2)), "d.html": Written("k3", (5, 6))}
    save_store(config, Stored("s", 3, {}, mine), loaded=loaded)
    assert load_store(config, "s").record == mine

    again = {"a.html": Written("k1", (1, 2)), "e.html": Written("k4", (7, 8))}
    save_store(config, Stored("s", 4, {}, again), loaded=load_store(config, "s"))   # the file holds what was loaded
    assert load_store(config, "s").record == again
