"""output/ is replaced only by a whole, successful build: dangerous targets refused, failures and kills
leave the previous output byte for byte."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from site_builder.stages import write as output_module
from site_builder.errors import OutputError
from site_builder.stages.write import MARKER, MARKER_TEXT, OutputFile, PathCheck, clean_leftovers, write_output
from tests.conftest import REPO, read_tree, write_site

SITE = {
    "content/a.md": "---\ntitle: Alpha\ndate: 2024-05-01T09:00:00Z\ntopics: [AI]\n---\nAlpha body.\n",
    "content/b.md": "---\ntitle: Beta\ndate: 2024-05-02T09:00:00Z\n---\nBeta body.\n",
    "themes/mine/templates/.keep": "",
}


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under folder (folders as None), to prove that nothing changed anywhere."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def site_folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name != ".site-builder-cache")


@pytest.fixture
def site(make_site):
    return make_site(SITE)


def refused(run_cli, site: Path, target: Path | str) -> str:
    everything = snapshot(site.parent)
    code, out, err = run_cli("build", "--source", site, "--output", target, "--no-cache")
    assert (code, out) == (1, "")
    assert "Traceback" not in err
    assert snapshot(site.parent) == everything
    return err


def test_refuses_the_site_root(site, run_cli):
    assert refused(run_cli, site, site) == \
        f"refusing to write the site into the site root ({site}): choose another --output\n"


@pytest.mark.parametrize("folder", ["content", "themes"])
def test_refuses_content_and_themes(site, run_cli, folder):
    assert refused(run_cli, site, site / folder) == \
        f"refusing to write the site into {folder}/ ({site / folder}): choose another --output\n"


def test_refuses_a_folder_inside_content(site, run_cli):
    assert refused(run_cli, site, site / "content" / "out") == \
        f"refusing to write the site inside content/ ({site / 'content' / 'out'}): choose another --output\n"


def test_refuses_the_filesystem_root(site, run_cli):
    assert refused(run_cli, site, "/") == "refusing to write the site into / (/): choose another --output\n"


def test_refuses_the_home_folder(site, run_cli, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert refused(run_cli, site, home) == \
        f"refusing to write the site into your home folder ({home}): choose another --output\n"


def test_refuses_a_folder_containing_the_site_root(site, run_cli):
    assert refused(run_cli, site, site.parent) == \
        f"refusing to write the site into {site.parent}: it contains the site root\n"


def test_refuses_a_non_empty_folder_that_site_builder_never_wrote(site, run_cli, tmp_path):
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"precious")
    assert refused(run_cli, site, target) == \
        (f"refusing to replace {target}: it is not empty and was not written by site-builder "
         f"(no {MARKER} file); empty it or choose another --output\n")
    assert (target / "holiday.jpg").read_bytes() == b"precious"


def test_refuses_a_file(site, run_cli, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    assert refused(run_cli, site, target) == f"output {target} is a file, not a folder\n"


def test_an_empty_folder_or_one_with_the_marker_is_replaced(site, run_cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli("build", "--source", site, "--output", empty)
    assert code == 0, err
    assert (empty / MARKER).read_bytes().startswith(b"This folder is written by site-builder")
    (empty / "stale.html").write_text("old page")
    code, out, err = run_cli("build", "--source", site, "--output", empty)
    assert code == 0, err
    assert not (empty / "stale.html").exists()
    assert "1 removed" in out


# --- The write stage on its own ---

@pytest.mark.parametrize("rel_path", ["../escape.html", "/etc/passwd", "a/../../b", "a//b", "./a", "a/", "",
                                      "a\\..\\b"])
def test_paths_outside_the_output_are_refused_before_writing(rel_path, tmp_path):
    with pytest.raises(OutputError) as info:
        write_output([OutputFile("ok.html", b"ok"), OutputFile(rel_path, b"x")], tmp_path / "out", tmp_path)
    assert str(info.value) == f"refusing to write {rel_path!r}: not a plain path inside the output folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def check_paths(paths: list[str]) -> None:
    check = PathCheck()
    for path in paths:
        check.add(path)
    check.finish()


def test_two_files_claiming_one_path_are_refused():
    with pytest.raises(OutputError, match=r"^two outputs claim news/a/index.html$"):
        check_paths(["news/a/index.html", "news/a/index.html"])
    with pytest.raises(OutputError, match=r"^two outputs claim news/a: one as a file, one as a folder$"):
        check_paths(["news/a", "news/a/index.html"])
    with pytest.raises(OutputError, match=r"^two outputs claim news/a: one as a file, one as a folder$"):
        check_paths(["news/a/index.html", "news/a"])


def test_a_failure_while_writing_leaves_the_old_output_and_no_staging(site, run_cli, monkeypatch):
    assert run_cli("build", "--source", site)[0] == 0
    before = read_tree(site / "output")
    (site / "content/b.md").write_text("---\ntitle: Beta changed\ndate: 2024-05-02T09:00:00Z\n---\nNew.\n")

    def disk_full(moves, stale, staging: Path) -> None:
        assert moves and (staging / moves[0][0]).is_file()  # the new bytes are staged; the journal fails
        raise OSError(errno.ENOSPC, "No space left on device", str(staging / "1"))
    monkeypatch.setattr(output_module, "_commit", disk_full)
    code, out, err = run_cli("build", "--source", site)
    staging = site / f".output.tmp-{os.getpid()}"
    assert (code, out) == (1, "")
    assert err == f"cannot write the site to {site / 'output'}: No space left on device ({staging / '1'})\n"
    assert read_tree(site / "output") == before
    assert site_folders(site) == ["content", "output", "themes"]  # no staging folder left behind


def test_without_an_atomic_exchange_the_two_renames_still_swap(site, run_cli, monkeypatch):
    (site / "output").mkdir()  # empty: the first build is written beside it and swapped in
    monkeypatch.setattr(output_module, "_exchange", lambda a, b: False)
    code, out, err = run_cli("build", "--source", site, "--no-cache")
    assert code == 0, err
    assert (site / "output/news/alpha/index.html").exists() and (site / "output" / MARKER).exists()
    assert site_folders(site) == ["content", "output", "themes"]  # no staging folder left behind


def test_a_later_build_writes_only_what_changed_and_removes_what_is_gone(site, run_cli):
    assert run_cli("build", "--source", site)[0] == 0
    out = site / "output"
    before = {p: (p.read_bytes(), p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    (site / "content/b.md").unlink()
    code, printed, err = run_cli("build", "--source", site, "--no-cache")
    assert code == 0, err
    assert not (out / "news/beta").exists()  # the page and its folder are gone
    same = [p for p, (data, _, _) in before.items() if p.exists() and p.read_bytes() == data]
    changed = [p for p, (data, _, _) in before.items() if p.exists() and p.read_bytes() != data]
    assert same and changed  # e.g. the alpha page stays; the home page, which listed beta, changes
    for path in same:
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == before[path][1:]
    new = [p for p in out.rglob("*") if p.is_file() and p not in before]  # e.g. search index files named by content
    assert f"({len(changed) + len(new)} written, " in printed
    assert site_folders(site) == ["content", "output", "themes"]


def test_an_update_killed_half_way_is_finished_by_the_next_build(tmp_path):
    out = tmp_path / "output"
    write_output([OutputFile("a.html", b"old a"), OutputFile("gone/b.html", b"b"), OutputFile("c.html", b"c")],
                 out, tmp_path)
    # What a build killed while applying its journal leaves: one file moved in, one still staged.
    staging = tmp_path / ".output.tmp-999999999"
    staging.mkdir()
    (staging / "1").write_bytes(b"new d")
    (staging / output_module.JOURNAL).write_text(
        '{"remove": ["gone/b.html"], "move": [["0", "a.html"], ["1", "new/d.html"]]}')
    (out / "a.html").write_bytes(b"new a")
    clean_leftovers(out)
    assert read_tree(out) == {"a.html": b"new a", "c.html": b"c", "new/d.html": b"new d", MARKER: MARKER_TEXT}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_staging_without_a_journal_is_dropped_and_the_output_left_alone(tmp_path):
    out = tmp_path / "output"
    write_output([OutputFile("a.html", b"a")], out, tmp_path)
    staging = tmp_path / ".output.tmp-999999999"
    staging.mkdir()
    (staging / "0").write_bytes(b"half written")
    clean_leftovers(out)
    assert read_tree(out) == {"a.html": b"a", MARKER: MARKER_TEXT}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_a_file_expected_unchanged_but_gone_is_an_error(tmp_path):
    out = tmp_path / "out"
    write_output([OutputFile("a.html", b"a")], out, tmp_path)
    (out / "a.html").unlink()
    with pytest.raises(OutputError) as info:
        write_output([], out, tmp_path, keep=frozenset({"a.html"}))
    assert str(info.value) == f"{out / 'a.html'} changed or vanished during the build; build again (or with --no-cache)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_leftovers_of_dead_builds_go_but_a_running_build_keeps_its_own(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".output.tmp-{dead.pid}" / "news").mkdir(parents=True)
    (tmp_path / f".output.tmp-{os.getppid()}").mkdir()   # a live process: another build, writing now
    clean_leftovers(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".output.tmp-{os.getppid()}", "output"]


def test_a_build_killed_between_the_two_renames_gets_its_output_back(tmp_path):
    old = tmp_path / ".output.tmp-old-999999999"
    old.mkdir()
    (old / "index.html").write_text("the previous site")
    clean_leftovers(tmp_path / "output")
    assert (tmp_path / "output/index.html").read_text() == "the previous site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


# --- SIGKILL at any moment leaves the previous output whole ---

def big_site(count: int) -> dict[str, str]:
    files = {"site.toml": 'title = "Big"\nbase_url = "https://example.org/"\n'}
    for i in range(count):
        files[f"content/{i // 100:02d}/item{i:04d}.md"] = (
            f"---\ntitle: Story number {i}\npublishedDateTime: 2024-02-{1 + i % 28:02d}T{i % 24:02d}:00:00Z\n"
            f"topics: [Topic {i % 7}, Common]\nprovider: Wire {i % 13}\noriginalUrl: https://example.com/{i}\n"
            f"---\nBody of story {i} with *some* text.\n\nAnother paragraph.\n")
    return files


def build_command(root: Path) -> list[str]:
    return [sys.executable, "-m", "site_builder", "build", "--source", str(root), "--no-cache"]


def test_a_killed_build_leaves_the_previous_output_or_an_update_the_next_build_finishes(tmp_path):
    root = write_site(tmp_path / "site", big_site(1500))
    first = subprocess.run(build_command(root), capture_output=True, text=True, cwd=REPO, timeout=300)
    assert first.returncode == 0, first.stderr
    before = read_tree(root / "output")
    original = (root / "content/00/item0000.md").read_text()
    changed = "---\ntitle: A changed story\ndate: 2024-03-01T09:00:00Z\n---\nNew.\n"
    (root / "content/00/item0000.md").write_text(changed)
    wanted = subprocess.run(build_command(root) + ["--output", str(tmp_path / "wanted")], capture_output=True,
                            cwd=REPO, timeout=300)
    assert wanted.returncode == 0
    after = read_tree(tmp_path / "wanted")
    assert after != before and "news/a-changed-story/index.html" in after

    # The moments: at once (still starting or reading), half way through a build as long as the last
    # one took (halved again while the build ends first: this machine's speed varies), and while writing.
    took = time.monotonic()
    assert subprocess.run(build_command(root) + ["--output", str(tmp_path / "timed")], cwd=REPO,
                          capture_output=True, timeout=300).returncode == 0
    took = time.monotonic() - took
    for moment in ("0.3 s", "half way", "writing"):
        delay = took / 2
        for attempt in range(8):
            proc = subprocess.Popen(build_command(root), cwd=REPO, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            staging = root / f".output.tmp-{proc.pid}"
            if moment == "writing":
                deadline = time.monotonic() + 120
                while not staging.exists() and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.001)
            else:
                time.sleep(0.3 if moment == "0.3 s" else delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            if proc.returncode == -signal.SIGKILL:
                break
            # It ended before the kill: output/ is the new site. Put the previous one back and try earlier.
            (root / "content/00/item0000.md").write_text(original)
            assert subprocess.run(build_command(root), cwd=REPO, capture_output=True, timeout=300).returncode == 0
            (root / "content/00/item0000.md").write_text(changed)
            delay /= 2
        assert proc.returncode == -signal.SIGKILL, f"the build had always ended at {moment}"
        if moment == "0.3 s":  # still reading and rendering: nothing written yet
            assert read_tree(root / "output") == before
        clean_leftovers(root / "output")  # what the next build does first
        # Each file is always whole; the tree is the previous site, or, once a killed update's journal
        # was complete, the new one: never a mix.
        assert read_tree(root / "output") in (before, after), moment
        assert site_folders(root) == ["content", "output", "site.toml"]
        # Back to the previous site for the next moment.
        (root / "content/00/item0000.md").write_text(original)
        assert subprocess.run(build_command(root), cwd=REPO, capture_output=True, timeout=300).returncode == 0
        assert read_tree(root / "output") == before
        (root / "content/00/item0000.md").write_text(changed)

    last = subprocess.run(build_command(root), capture_output=True, text=True, cwd=REPO, timeout=300)
    assert last.returncode == 0, last.stderr
    assert read_tree(root / "output") == after
    assert site_folders(root) == ["content", "output", "site.toml"]  # no staging folder left behind


@pytest.mark.parametrize("first", [True, False])
def test_a_template_error_while_the_site_is_being_written_leaves_the_output_as_it_was(tmp_path, run_cli, first):
    # Pages are rendered (on all cores) while they are written: an error on one page late in the run
    # must still leave nothing of the failed build behind.
    root = write_site(tmp_path / "site", big_site(400))
    if not first:
        assert run_cli("build", "--source", root, "--no-cache")[0] == 0
    before = read_tree(root / "output") if not first else None
    (root / "templates").mkdir()
    (root / "templates/item.html").write_text(
        '{% extends "base.html" %}\n{% block main %}{% if item.title == "Story number 350" %}{{ nope }}'
        "{% endif %}{{ item.title }}{% endblock %}\n")
    code, out, err = run_cli("build", "--source", root, "--no-cache")
    assert (code, out) == (1, "")
    assert err.startswith("templates/item.html:2: UndefinedError: 'nope' is undefined (while rendering page ")
    assert site_folders(root) == (["content", "site.toml", "templates"] if first
                                  else ["content", "output", "site.toml", "templates"])
    if not first:
        assert read_tree(root / "output") == before
