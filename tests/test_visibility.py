"""The visibility rule fails closed: an item that is not clearly published never reaches output/ or the
cache; anything ambiguous is an error with path:line. Every example of issue 16, whole messages asserted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import read_tree, write_site

MARK = "qzxhiddenmarker"   # letters only: the same in a title, a slug, HTML and XML
GOOD = {
    "site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
    "content/good.md": "---\ntitle: Good Story\ndate: 2024-05-01T09:00:00Z\n---\nBody of the good story.\n",
}
HEAD = f"---\ntitle: Hidden {MARK}\ndate: 2024-05-02T09:00:00Z\n"
BODY = f"---\nThe {MARK} body.\n"
FIX = "remove what comes before it, or its keys would be ignored"
TWICE = "is written twice"
QUOTED = "must be true or false without quotes, tags or anchors, not"
CASE = "(keys are case-sensitive, with no extra characters)"
LOOKS = "only published: false and draft: true hide an item (fix the key, or rename it if it means something else)"

# name -> (file name, text, the whole of stderr)
AMBIGUOUS = {
    "blank-line-first": ("x.txt", "\n" + HEAD + "published: false\n" + BODY,
                         f"content/x.txt:2: frontmatter must start with '---' alone on line 1 (this one is on line "
                         f"2); {FIX}"),
    "blank-lines-and-space": ("x.txt", "\n \n  ---\ntitle: T\npublished: false\n" + BODY,
                              f"content/x.txt:3: frontmatter must start with '---' alone on line 1 (this one is on "
                              f"line 3 and is indented); {FIX}"),
    "leading-space": ("x.txt", " " + HEAD + "published: false\n" + BODY,
                      f"content/x.txt:1: frontmatter must start with '---' alone on line 1 (this one is indented); "
                      f"{FIX}"),
    "second-bom": ("x.txt", "\ufeff\ufeff" + HEAD + "published: false\n" + BODY,
                   f"content/x.txt:1: frontmatter must start with '---' alone on line 1 (this one holds the "
                   f"invisible character U+FEFF); {FIX}"),
    "zero-width-space": ("x.txt", "\u200b" + HEAD + "published: false\n" + BODY,
                         f"content/x.txt:1: frontmatter must start with '---' alone on line 1 (this one holds the "
                         f"invisible character U+200B); {FIX}"),
    "word-joiner-after": ("x.md", "---\u2060\ntitle: T\ndraft: true\n" + BODY,
                          f"content/x.md:1: frontmatter must start with '---' alone on line 1 (this one holds the "
                          f"invisible character U+2060); {FIX}"),
    "em-dashes": ("x.txt", "\u2014\u2014\u2014\ntitle: T\npublished: false\n" + BODY,
                  f"content/x.txt:1: frontmatter must start with '---' alone on line 1 (this one uses U+2014 "
                  f"instead of '-'); {FIX}"),
    "four-dashes": ("x.txt", "----\ntitle: T\npublished: false\n" + BODY,
                    f"content/x.txt:1: frontmatter must start with '---' alone on line 1 (this one is written "
                    f"'----'); {FIX}"),
    "closing-with-invisible": ("x.md", HEAD + "---\u00ad\npublished: false\n" + BODY,
                               "content/x.md:4: the '---' that closes the frontmatter must be alone at the start "
                               "of its line (this one holds the invisible character U+00AD); write it as '---'"),
    "plain-text-key-line": ("x.txt", f"Hidden {MARK}\npublished: false\n\nThe body.\n",
                            "content/x.txt:2: 'published' reads like a frontmatter key, but this plain-text item "
                            "has no frontmatter; put the keys between '---' lines at the very top of the file, or "
                            "reword the line"),
    "plain-text-draft-line": ("x.txt", f"Hidden {MARK}\n\n  Draft = yes\n",
                              "content/x.txt:3: 'Draft' reads like a frontmatter key, but this plain-text item "
                              "has no frontmatter; put the keys between '---' lines at the very top of the file, "
                              "or reword the line"),
    "second-block-in-body": ("x.md", HEAD + "---\n---\npublished: false\n---\nThe body.\n",
                             "content/x.md:6: 'published' reads like a frontmatter key, but it is in the body, "
                             "below the closing '---', where it hides nothing; move it into the frontmatter, or "
                             "reword the line"),
    "comment-in-body": ("x.md", HEAD + "---\n<!-- draft: true -->\nThe body.\n",
                        "content/x.md:5: 'draft' reads like a frontmatter key, but it is in the body, below the "
                        "closing '---', where it hides nothing; move it into the frontmatter, or reword the line"),
    "folded-into-title": ("x.md", f"---\ntitle: Hidden {MARK}\n published:false\n" + BODY,
                          "content/x.md:3: 'published' reads like a key, but YAML reads this line as part of the "
                          "value above it; check its indentation and the space after ':'"),
    "commented-out": ("x.md", HEAD + "# published: false\n" + BODY,
                      "content/x.md:4: 'published' is in a YAML comment, where it hides nothing; delete the line, "
                      "or the '#'"),
    "line-separator": ("x.md", HEAD + "excerpt: E\u2028published: false\n" + BODY,
                       "content/x.md:4: frontmatter holds the line separator U+2028, which YAML reads as a line "
                       "break; remove it"),
    "published-empty": ("x.md", HEAD + "published:\n" + BODY,
                        "content/x.md:4: published has no value; write published: true or published: false"),
    "published-null": ("x.md", HEAD + "published: null\n" + BODY,
                       "content/x.md:4: published has no value; write published: true or published: false"),
    "draft-tilde": ("x.md", HEAD + "draft: ~\n" + BODY,
                    "content/x.md:4: draft has no value; write draft: true or draft: false"),
    "published-double-quoted": ("x.md", HEAD + 'published: "false"\n' + BODY,
                                f'content/x.md:4: published {QUOTED} "false"'),
    "draft-single-quoted": ("x.md", HEAD + "draft: 'true'\n" + BODY, f"content/x.md:4: draft {QUOTED} 'true'"),
    "published-str-tag": ("x.md", HEAD + "published: !!str false\n" + BODY,
                          f"content/x.md:4: published {QUOTED} !!str false"),
    "published-bool-tag": ("x.md", HEAD + "published: !!bool false\n" + BODY,
                           f"content/x.md:4: published {QUOTED} !!bool false"),
    "draft-anchor": ("x.md", HEAD + "draft: &d true\n" + BODY, f"content/x.md:4: draft {QUOTED} &d true"),
    "published-number": ("x.md", HEAD + "published: 0\n" + BODY,
                         "content/x.md:4: published must be true or false, not 0"),
    "published-mixed-case": ("x.md", HEAD + "published: fAlse\n" + BODY,
                             "content/x.md:4: published must be true or false, not 'fAlse'"),
    "published-twice": ("x.md", HEAD + "published: false\npublished: true\n" + BODY,
                        f"content/x.md:5: key 'published' {TWICE} (also on line 4); keep one"),
    "any-key-twice": ("x.md", HEAD + "draft: true\ntitle: Other\n" + BODY,
                      f"content/x.md:5: key 'title' {TWICE} (also on line 2); keep one"),
    "nested-key-twice": ("x.md", HEAD + "draft: true\nprovider:\n  name: A\n  name: B\n" + BODY,
                         f"content/x.md:7: key 'name' {TWICE} (also on line 6); keep one"),
    "Published": ("x.md", HEAD + "Published: false\n" + BODY,
                  f"content/x.md:4: unknown key 'Published': write it as 'published' {CASE}"),
    "PUBLISHED": ("x.md", HEAD + "PUBLISHED: false\n" + BODY,
                  f"content/x.md:4: unknown key 'PUBLISHED': write it as 'published' {CASE}"),
    "published_": ("x.md", HEAD + "published_: false\n" + BODY,
                   f"content/x.md:4: unknown key 'published_': write it as 'published' {CASE}"),
    "pub-lished": ("x.md", HEAD + "pub-lished: false\n" + BODY,
                   f"content/x.md:4: unknown key 'pub-lished': write it as 'published' {CASE}"),
    "zero-width-in-key": ("x.md", HEAD + "draft\u200b: true\n" + BODY,
                          f"content/x.md:4: unknown key 'draft\\u200b': write it as 'draft' {CASE}"),
    "Title": ("x.md", f"---\ntitle: T\nTitle: Hidden {MARK}\ndraft: true\n" + BODY,
              f"content/x.md:3: unknown key 'Title': write it as 'title' {CASE}"),
    "publshed": ("x.md", HEAD + "publshed: false\n" + BODY,
                 f"content/x.md:4: unknown key 'publshed' looks like 'published'; {LOOKS}"),
    "drafts": ("x.md", HEAD + "drafts: yes\n" + BODY, f"content/x.md:4: unknown key 'drafts' looks like 'draft'; {LOOKS}"),
    "unpublished": ("x.md", HEAD + "unpublished: true\n" + BODY,
                    f"content/x.md:4: unknown key 'unpublished' looks like 'published'; {LOOKS}"),
    "status-draft": ("x.md", HEAD + "status: Draft\n" + BODY,
                     "content/x.md:4: 'status: Draft' does not hide an item; write published: false or draft: true"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from site_builder.cli import main
    root = write_site(tmp_path_factory.mktemp("good") / "site", GOOD)
    assert main(["build", "--source", str(root)]) == 0
    return root


@pytest.fixture
def good_site(built, tmp_path):
    root = tmp_path / "site"
    shutil.copytree(built, root)
    return root


def leaks(root: Path) -> list[str]:
    """Files outside content/ (output/, the cache, anything else) holding the hidden item's marker."""
    return [p.relative_to(root).as_posix() for p in sorted(root.rglob("*"))
            if p.is_file() and "content" not in p.relative_to(root).parts[:1] and MARK.encode() in p.read_bytes()]


@pytest.mark.parametrize("name, text, message", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
def test_an_ambiguous_item_is_an_error_never_a_publish(good_site, run_cli, name, text, message):
    before = read_tree(good_site / "output")
    write_site(good_site, {f"content/{name}": text})
    assert run_cli("build", "--source", good_site) == (1, "", message + "\n")
    assert read_tree(good_site / "output") == before
    assert leaks(good_site) == []
    code, _, err = run_cli("check", "--source", good_site)
    assert (code, err) == (1, message + "\n")


HIDING = ["published: false", "published: False", "published: FALSE", "published: no", "published: No",
          "published: NO", "published: off", "published: Off", "published: OFF", "draft: true", "draft: True",
          "draft: TRUE", "draft: yes", "draft: Yes", "draft: YES", "draft: on", "draft: On", "draft: ON",
          "published: false  # not yet", '"published": false', "published : false", "{title: T, draft: yes}"]


@pytest.mark.parametrize("line", HIDING)
def test_every_yaml_boolean_spelling_hides(good_site, run_cli, line):
    text = (f"---\n{line}\n---\n{MARK}\n" if line.startswith("{")
            else HEAD + line + "\n" + BODY)
    write_site(good_site, {"content/x.md": text})
    code, out, err = run_cli("build", "--source", good_site)
    assert (code, err) == (0, "")
    reason = "draft" if "draft" in line else "unpublished"
    assert f"; 1 items published, 1 hidden (1 {reason});" in out
    assert leaks(good_site) == []


@pytest.mark.parametrize("line", ["published: true", "published: yes", "published: On", "draft: false",
                                  "draft: NO", "publisher: AP", "publishedAt: '2024-1-1'", "status: breaking",
                                  "hidden_gem: a story", "publisher: Reuters says no",
                                  "---\nPublished: 5 May 2024, by Reuters"])
def test_clearly_published_items_are_published(good_site, run_cli, line):
    write_site(good_site, {"content/x.md": HEAD + line + "\n" + BODY})
    code, out, err = run_cli("build", "--source", good_site)
    assert (code, err) == (0, "")
    assert "; 2 items published, 0 hidden;" in out
    assert (good_site / f"output/news/hidden-{MARK}/index.html").is_file()


def test_frontmatter_delimiters_may_carry_trailing_spaces_and_tabs(good_site, run_cli):
    write_site(good_site, {"content/x.txt": f"--- \t\ntitle: Hidden {MARK}\npublished: false\n----\t \nBody\n"})
    code, out, err = run_cli("build", "--source", good_site)
    assert (code, err) == (0, "")
    assert "1 items published, 1 hidden (1 unpublished)" in out
    assert leaks(good_site) == []


def test_check_and_build_report_every_error_of_a_file_sorted(good_site, run_cli):
    write_site(good_site, {"content/x.md": HEAD + 'topics: 5\npublished: "false"\nPublished: false\n'
                                           "heat: 3\nheat: lots\n" + BODY})
    expected = ("content/x.md:4: topics must be a list of strings, not 5\n"
                f'content/x.md:5: published {QUOTED} "false"\n'
                f"content/x.md:6: unknown key 'Published': write it as 'published' {CASE}\n"
                "content/x.md:8: heat must be a number, not 'lots'\n"
                f"content/x.md:8: key 'heat' {TWICE} (also on line 7); keep one\n")
    assert run_cli("build", "--source", good_site) == (1, "", expected)
    code, out, err = run_cli("check", "--source", good_site)
    assert (code, err) == (1, expected)
    assert out.endswith("check: 5 errors, 0 warnings; 1 items published, 0 hidden\n")


def test_the_invisible_characters_are_unicodes_format_characters():
    import re
    import sys
    import unicodedata

    from site_builder.stages.visibility import FORMAT
    listed = re.compile(f"[{FORMAT}]")
    assert [hex(c) for c in range(sys.maxunicode + 1)
            if (unicodedata.category(chr(c)) == "Cf") != bool(listed.match(chr(c)))] == []
