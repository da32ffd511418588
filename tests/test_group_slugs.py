"""Two different topic (or provider) names never share a page: distinct, deterministic slugs and a warning."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from site_builder.stages.collect import group_slug
from tests.conftest import read_tree

TOML = 'title = "Digest"\nbase_url = "https://example.org/"\n'


def item(n: int, name: str) -> str:
    return (f'---\ntitle: Story {n}\ndate: 2024-05-{n:02d}T09:00:00Z\ntopics: ["{name}"]\nprovider: "{name}"\n'
            "---\nBody.\n")


def site(names: list[str]) -> dict[str, str]:
    return {"site.toml": TOML, **{f"content/s{n}.md": item(n, name) for n, name in enumerate(names, start=1)}}


def pages(root, prefix: str) -> dict[str, str]:
    """slug -> the one story title its page lists."""
    found = {}
    for page in sorted((root / "output" / prefix).glob("*/index.html")):
        text = page.read_text()
        titles = [t for t in (f"Story {n}" for n in range(1, 20)) if f">{t}<" in text]
        found[page.parent.name] = titles
    return found


@pytest.mark.parametrize("prefix", ["topics", "sources"])
def test_c_cpp_and_csharp_get_three_pages(make_site, run_cli, prefix):
    root = make_site(site(["C++", "C", "C#"]))
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert err.splitlines() == [
        "warning: content/s1.md:4: topic 'C++' would share /topics/c/ with 'C', 'C#'; it gets /topics/c-plus-plus/",
        "warning: content/s3.md:4: topic 'C#' would share /topics/c/ with 'C', 'C++'; it gets /topics/c-sharp/",
        "warning: content/s1.md:5: provider 'C++' would share /sources/c/ with 'C', 'C#'; it gets "
        "/sources/c-plus-plus/",
        "warning: content/s3.md:5: provider 'C#' would share /sources/c/ with 'C', 'C++'; it gets /sources/c-sharp/",
    ]
    assert pages(root, prefix) == {"c": ["Story 2"], "c-plus-plus": ["Story 1"], "c-sharp": ["Story 3"]}
    story = (root / "output/news/story-1/index.html").read_text()
    assert f'href="../../{prefix}/c-plus-plus/"' in story and f'href="../../{prefix}/c/"' not in story


def test_names_in_other_scripts_are_transliterated(make_site, run_cli):
    root = make_site(site(["Наука 2024", "Политика 2024", "2024", "北京"]))
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert err == ""
    assert pages(root, "topics") == {"2024": ["Story 3"], "beijing": ["Story 4"], "nauka-2024": ["Story 1"],
                                     "politika-2024": ["Story 2"]}


# Held-out style variants: names that differ only by punctuation or symbols are different topics.
VARIANTS = {
    "dots": (["C", "C.", "(C)"], {"c": ["Story 1"], "c-dot": ["Story 2"], "c-" + hashlib.sha1(b"(c)").hexdigest()[:6]:
                                  ["Story 3"]}),
    "node": (["Node.js", "Node JS"], {"node-js": ["Story 2"], "node-dot-js": ["Story 1"]}),
    "and": (["R&D", "R D", "RD"], {"r-d": ["Story 2"], "r-and-d": ["Story 1"], "rd": ["Story 3"]}),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_names_differing_in_symbols_never_share_a_page(make_site, run_cli, name):
    names, expected = VARIANTS[name]
    root = make_site(site(names))
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert pages(root, "topics") == expected
    assert pages(root, "sources") == expected


def test_spellings_of_one_name_share_its_page(make_site, run_cli):
    root = make_site(site(["AI", "ai", "Machine Learning", "machine-learning", "Ａｉ"]))
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert err == ""
    assert pages(root, "topics") == {"ai": ["Story 1", "Story 2", "Story 5"],
                                      "machine-learning": ["Story 3", "Story 4"]}


def test_a_warm_build_after_a_clash_appears_equals_a_cold_one(make_site, run_cli, tmp_path):
    root = make_site(site(["C++", "Other"]))
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    assert (root / "output/topics/c/index.html").is_file()
    (root / "content/s2.md").write_text(item(2, "C"))
    code, _, err = run_cli("build", "--source", root)
    assert code == 0, err
    warm = read_tree(root / "output")
    shutil.rmtree(root / "output")
    code, _, err = run_cli("build", "--source", root, "--no-cache")
    assert code == 0, err
    assert read_tree(root / "output") == warm
    assert 'href="../../topics/c-plus-plus/"' in warm["news/story-1/index.html"].decode()


def test_group_slug_is_a_pure_function_of_the_name():
    assert group_slug("Наука 2024") == "nauka-2024"
    assert group_slug("..") == group_slug("..") and group_slug("..").startswith("t-")
