"""The proof of keys.py's argument: random sequences of ordinary edits to a small site, a build killed
at a random moment among them, and after every step a warm build (`build` with its store and output/,
and `serve`'s in-memory rebuild) equals a cold `--no-cache` build into an empty folder, byte for byte,
with the same set of files. Bounded for CI; SB_LONG_PROPERTIES=1 runs it for much longer."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from site_builder.commands.build import build, build_site
from site_builder.config import load_config
from site_builder.errors import SiteError
from site_builder.incremental.store import CACHE_DIR, Memory
from site_builder.stages.write import MARKER
from tests.conftest import REPO, read_tree

LONG = os.environ.get("SB_LONG_PROPERTIES") == "1"
if LONG:
    pytestmark = pytest.mark.timeout(0)  # the long run takes as long as it takes
NAMES = ["a", "b", "c", "d", "sub/e"]
TITLES = ["Alpha", "Beta", "Alpha", "Gamma story", "Ünïcode Δ", "Same"]
DATES = ["2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z", "2024-05-02T09:00:00Z", "2024-06-30T23:30:00Z", None]
TOPICS = st.lists(st.sampled_from(["AI", "Space", "ai", "Oceans", "C++"]), max_size=3, unique=True)
BODIES = ["Body *one*.", "Body two.\n\nWith a paragraph.", "", "A [link](https://example.com/x).", "# Heading"]
STATIC = ["x~", "x.bak", "img/x.tmp", "notes.bak", "style.css", "img/logo.png", ".hidden", "#x#", "a b.txt",
          "draft~", "4913", "img/.swp"]
BASE_404 = (REPO / "themes/default/templates/404.html").read_text()


def item_text(item: dict) -> str:
    if item["plain"]:
        return f"{item['title']}\n\n{item['body'] or 'Plain words.'}\n"
    lines = ["---", f"title: {item['title']!r}"]
    if item["date"]:
        lines.append(f"date: {item['date']}")
    if item["topics"]:
        lines.append(f"topics: [{', '.join(repr(t) for t in item['topics'])}]")
    if not item["published"]:
        lines.append("published: false")
    if item["draft"]:
        lines.append("draft: true")
    return "\n".join(lines + ["---", item["body"], ""])


class WarmEqualsCold(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="sb-warm-"))
        self.root = self.tmp / "site"
        self.items: dict[str, dict] = {}   # name without extension -> fields, with "ext"
        self.memory = Memory()
        self.builds = 0

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- the site ---

    def path(self, name: str) -> Path:
        return self.root / "content" / (name + self.items[name]["ext"])

    def save(self, name: str) -> None:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item_text(self.items[name]), "utf-8")

    @initialize(config=st.sampled_from(['title = "T"\n', 'title = "T"\nitems_per_page = 2\n']))
    def start(self, config: str) -> None:
        (self.root / "content").mkdir(parents=True)
        (self.root / "site.toml").write_text(config)
        for name, title in (("a", "Alpha"), ("b", "Beta")):
            self.items[name] = {"ext": ".md", "title": title, "date": DATES[0], "topics": ["AI"], "body": "Hi.",
                                "published": True, "draft": False, "plain": False}
            self.save(name)

    def edit(self, name: str, **changes) -> None:
        self.items[name].update(changes)
        self.save(name)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), title=st.sampled_from(TITLES))
    def retitle(self, data, title):
        self.edit(data.draw(st.sampled_from(sorted(self.items))), title=title)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), body=st.sampled_from(BODIES))
    def rewrite_body(self, data, body):
        self.edit(data.draw(st.sampled_from(sorted(self.items))), body=body)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), date=st.sampled_from(DATES))
    def redate(self, data, date):
        self.edit(data.draw(st.sampled_from(sorted(self.items))), date=date)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), topics=TOPICS)
    def retopic(self, data, topics):
        self.edit(data.draw(st.sampled_from(sorted(self.items))), topics=topics)

    @precondition(lambda self: self.items)
    @rule(data=st.data(), field=st.sampled_from(["published", "draft", "plain"]))
    def toggle(self, data, field):
        name = data.draw(st.sampled_from(sorted(self.items)))
        self.edit(name, **{field: not self.items[name][field]})

    @precondition(lambda self: self.items)
    @rule(data=st.data(), new=st.sampled_from(NAMES), ext=st.sampled_from([".md", ".txt"]))
    def rename(self, data, new, ext):
        name = data.draw(st.sampled_from(sorted(self.items)))
        if new in self.items and new != name:
            return
        old = self.path(name)
        self.items[new] = {**self.items.pop(name), "ext": ext}
        self.path(new).parent.mkdir(parents=True, exist_ok=True)
        os.rename(old, self.path(new))   # the same bytes under a new name

    @precondition(lambda self: self.items)
    @rule(data=st.data())
    def delete(self, data):
        name = data.draw(st.sampled_from(sorted(self.items)))
        self.path(name).unlink()
        del self.items[name]

    @rule(name=st.sampled_from(NAMES), title=st.sampled_from(TITLES), date=st.sampled_from(DATES), topics=TOPICS,
          ext=st.sampled_from([".md", ".txt"]))
    def add(self, name, title, date, topics, ext):
        if name in self.items:
            return
        self.items[name] = {"ext": ext, "title": title, "date": date, "topics": topics, "body": "New.",
                            "published": True, "draft": False, "plain": False}
        self.save(name)

    @rule(name=st.sampled_from(STATIC), data=st.binary(max_size=8) | st.none())
    def static_file(self, name, data):
        path = self.root / "static" / name
        if data is None:
            if path.exists():
                path.unlink()
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    @rule(text=st.sampled_from(["", "Override one", "Override two"]))
    def template_override(self, text):
        path = self.root / "templates/404.html"
        if not text:
            if path.exists():
                path.unlink()
            return
        path.parent.mkdir(exist_ok=True)
        path.write_text(BASE_404.replace("Page not found</h1>", f"Page not found</h1><p>{text}</p>"))

    @rule(title=st.sampled_from(["T", "Other"]), per_page=st.sampled_from([1, 2, 20]),
          theme=st.sampled_from(["default", "compact"]), drafts_feed=st.booleans())
    def configure(self, title, per_page, theme, drafts_feed):
        text = f'title = "{title}"\nitems_per_page = {per_page}\ntheme = "{theme}"\n'
        (self.root / "site.toml").write_text(text + ("feed_limit = 1\n" if drafts_feed else ""))

    @rule(delay=st.floats(0.0, 1.5))
    def killed_build(self, delay):
        """A `build` killed at a random moment (SIGKILL: nothing of it can clean up)."""
        proc = subprocess.Popen([sys.executable, "-m", "site_builder", "build", "--source", str(self.root)],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    # --- after every step ---

    def outcome(self, config_overrides: dict, out: Path | None = None) -> dict[str, bytes] | str:
        try:
            build(load_config(self.root, config_overrides))
        except SiteError as exc:
            return str(exc)
        return read_tree(out or self.root / "output")

    @invariant()
    def warm_equals_cold(self):
        if not self.items and not (self.root / "content").exists():
            return
        self.builds += 1
        cold_out = self.tmp / f"cold-{self.builds}"
        cold = self.outcome({"output": cold_out, "use_cache": False}, cold_out)
        warm = self.outcome({})
        if isinstance(cold, str):
            assert warm == cold
        else:
            assert isinstance(warm, dict), warm
            assert sorted(warm) == sorted(cold)
            assert warm == cold
            shutil.rmtree(cold_out)
        try:
            result = build_site(load_config(self.root), self.memory)
        except SiteError as exc:
            assert str(exc) == cold
            return
        self.memory = result.memory
        assert not isinstance(cold, str)
        served = {f.rel_path: f.data for f in result.files}
        assert served == {path: data for path, data in cold.items() if path != MARKER}
        self.nothing_hidden_on_disk()

    def nothing_hidden_on_disk(self):
        """After the builds, no file of the build's own folder (the store, the URL record) names an item
        that is hidden now."""
        kept = b"".join(p.read_bytes() for p in (self.root / CACHE_DIR).rglob("*") if p.is_file()) \
            if (self.root / CACHE_DIR).is_dir() else b""
        for name, item in self.items.items():
            if not item["plain"] and (not item["published"] or item["draft"]):  # a plain file has no flags
                assert f"content/{name}{item['ext']}".encode() not in kept, name


WarmEqualsCold.TestCase.settings = settings(
    max_examples=120 if LONG else 8, stateful_step_count=40 if LONG else 10, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_warm_builds_equal_cold_builds = WarmEqualsCold.TestCase
