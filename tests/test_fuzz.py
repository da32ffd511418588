"""Generated input through the CLI: an item that is not clearly published never reaches output/ or the
cache, and no generated site (content, site.toml, file names) ends in a traceback.

Bounded for CI; `SITE_BUILDER_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py` runs longer."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from site_builder.cli import main
from site_builder.stages.visibility import FALSE_SPELLINGS, TRUE_SPELLINGS
from tests.conftest import PINNED_MTIME, write_site

SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
           HealthCheck.filter_too_much]
EXAMPLES = int(os.environ.get("SITE_BUILDER_FUZZ_EXAMPLES", "0"))
MARK = "qzxhiddenmarker"
GOOD = {
    "site.toml": 'title = "Digest"\nbase_url = "https://example.org/"\n',
    "content/good.md": "---\ntitle: Good Story\ndate: 2024-05-01T09:00:00Z\n---\nBody of the good story.\n",
}


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def good_site(tmp_path_factory) -> Path:
    """The good site, built once (output/ and the build cache exist): each example adds to a copy of it."""
    root = write_site(tmp_path_factory.mktemp("fuzz") / "site", GOOD)
    assert run("build", "--source", root)[0] == 0
    return root


@contextlib.contextmanager
def copy_of(site: Path):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        shutil.copytree(site, root)
        yield root


# --- Visibility: variants of an item that is not clearly published ---------------------------------------

INVISIBLE = ["", " ", "\t", "\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u00a0", "\u3164",
             "\u2028", "\x85"]
AMBIGUOUS_VALUES = ["", "~", "null", "Null", "NULL", "'false'", '"false"', "'true'", '"no"', "!!str false",
                    "!!bool false", "!!bool true", "&a false", "&a true", "fAlse", "tRUE", "0", "1", "n", "y",
                    "maybe", "[false]", "{}", "'no'", "false false", "nope"]
DELIMITERS = ["---", "---", "---", "--- ", "---\t", "----", "---\u200b", "\u200b---", " ---", "\u2014\u2014\u2014",
              "- - -", "\ufeff---", "", "..."]


@st.composite
def hiding_keys(draw, key: str) -> str:
    """`key`, or a spelling of it a person or an editor might produce."""
    how = draw(st.sampled_from(["same", "same", "upper", "title", "random-case", "insert", "append", "delete",
                                "swap", "plural"]))
    if how == "upper":
        return key.upper()
    if how == "title":
        return key.capitalize()
    if how == "random-case":
        return "".join(c.upper() if draw(st.booleans()) else c for c in key)
    at = draw(st.integers(0, len(key) - 1))
    if how == "insert":
        return key[:at] + draw(st.sampled_from(INVISIBLE[1:] + ["_", "-", " "])) + key[at:]
    if how == "append":
        return key + draw(st.sampled_from(["_", "-", "s", "\u200b", "ed"]))
    if how == "delete":
        return key[:at] + key[at + 1:]
    if how == "swap" and at < len(key) - 1:
        return key[:at] + key[at + 1] + key[at] + key[at + 2:]
    if how == "plural":
        return key + "s"
    return key


@st.composite
def hiding_lines(draw) -> str:
    """A line that says the item is hidden, or that cannot clearly say it is published."""
    key = draw(st.sampled_from(["published", "draft"]))
    hiding = sorted(FALSE_SPELLINGS if key == "published" else TRUE_SPELLINGS)
    value = draw(st.sampled_from(hiding) | st.sampled_from(AMBIGUOUS_VALUES))
    indent = draw(st.sampled_from(["", "", "", " ", "\t", "\u200b"]))
    space = draw(st.sampled_from([" ", " ", "", "  ", "\t", " \u200b", "\u00a0"]))
    return f"{indent}{draw(hiding_keys(key))}:{space}{value}"


@st.composite
def hidden_items(draw) -> tuple[str, bytes]:
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    lines = [f"title: Hidden {MARK}", "date: 2024-05-02T09:00:00Z"]
    lines += draw(st.lists(st.sampled_from(["topics: [AI]", "excerpt: An excerpt", "quality: 3", "extra: kept"]),
                           max_size=2))
    hide = draw(hiding_lines())
    lines.insert(draw(st.integers(0, len(lines))), hide)
    if draw(st.booleans()):  # an older line that did publish it, above or below: a duplicate key
        lines.insert(draw(st.integers(0, len(lines))),
                     "published: true" if hide.lstrip().lower().startswith("pub") else "draft: false")
    # Mostly well placed, so that the lines inside are reached too.
    prefix = "".join(draw(st.lists(st.sampled_from(INVISIBLE + ["\n", "\n"]), max_size=3))) \
        if draw(st.integers(0, 3)) == 0 else ""
    opening, closing = (draw(st.sampled_from(DELIMITERS)) if draw(st.integers(0, 3)) == 0 else "---"
                        for _ in range(2))
    body = [f"The {MARK} body."]
    if draw(st.integers(0, 4)) == 0:  # below the closing '---', perhaps in a second block or a comment
        lines.remove(hide)
        body.insert(draw(st.integers(0, 1)), draw(st.sampled_from(["{}", "---\n{}\n---", "<!-- {} -->", "> {}"]))
                    .format(hide))
    text = newline.join([prefix + opening, *lines, closing, *body, ""])
    bom = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf"]))
    return draw(st.sampled_from(["hidden.md", "hidden.txt"])), bom + text.encode()


def leaks(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != "content" and MARK.encode() in p.read_bytes()]


@settings(max_examples=EXAMPLES or 80, deadline=None, suppress_health_check=SLOW_OK)
@given(item=hidden_items())
@example(item=("hidden.txt", f"\n---\ntitle: Hidden {MARK}\npublished: false\n---\n{MARK}\n".encode()))
@example(item=("hidden.md", f"---\ntitle: Hidden {MARK}\npublished:\n---\n{MARK}\n".encode()))
@example(item=("hidden.md", f"---\ntitle: Hidden {MARK}\npublished: false\npublished: true\n---\n".encode()))
@example(item=("hidden.md", f"---\ntitle: Hidden {MARK}\nPublished: false\n---\n".encode()))
@example(item=("hidden.txt", f"\u200b---\ntitle: Hidden {MARK}\npublished: false\n---\n".encode()))
def test_an_item_not_clearly_published_never_reaches_output_or_cache(good_site, item):
    name, data = item
    with copy_of(good_site) as root:
        (root / "content" / name).write_bytes(data)
        os.utime(root / "content" / name, (PINNED_MTIME, PINNED_MTIME))
        code, out, err = run("build", "--source", root)
        assert leaks(root) == [], (out, err)
        if code == 0:
            assert "1 items published, 1 hidden" in out, (out, err)
        else:
            assert code == 1 and err, (out, err)
            for line in err.splitlines():
                assert re.match(rf"content/{re.escape(name)}:\d+: \S", line), err


# --- The CLI never shows a traceback ------------------------------------------------------------------------

FRAGMENTS = ["---\n", "title: ", "date: ", "2024-05-01", "9999-12-31T23:59:59-05:00", "topics: [", "]", "{",
             "- ", "  ", "\n", "\r\n", "\ufeff", "\u200b", "!!int ", "!!float ", "!!timestamp ", "&a ", "*a", "'",
             '"', "\\u", "0x" + "f" * 40, "1e999", ".nan", "published: ", "draft: ", "Published", "maybe", "~",
             "slug: ", "../", "http://[::1/x", "http://example.com:99999/x", "https://example.com/a",
             "originalUrl: ", "images: ", "- url: ", "width: ", "²", "provider: ", "name: ", "related: ",
             "<script>", "# ", "> ", "[x](javascript:alert(1))", "title: T\n", "<<: ", "? "]
URLS = ["https://example.org/", "http://[::1/story", "http://example.com:99999/", "https://example.org/?q=1",
        "https://example.org/#top", "https://example.org/a b/", "ftp://x/", "https://example.org/sub"]
content_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=30).map("".join)
file_names = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1, max_size=16)
    .map(lambda s: s.encode("utf-8")),
    st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\0" not in b),
).map(lambda b: b[:200]).filter(lambda b: b not in (b".", b".."))
toml_values = st.one_of(st.sampled_from(URLS).map(lambda u: f'"{u}"'), st.integers(-3, 10**6).map(str),
                        st.text(max_size=12).map(json.dumps), st.integers().map(str),
                        st.sampled_from(['"UTC"', '"Mars/Olympus"', '"/news/{slug}/"', '"/{year}/{slug}/"',
                                         "true", '"compact"', '"quality"', '"x\\u0007"', "[1", '"""']))
site_toml = st.lists(st.tuples(st.sampled_from(["title", "base_url", "timezone", "items_per_page", "permalink",
                                                "theme", "edition_order", "trust_html", "feed_limit", "tilte"]),
                               toml_values).map(lambda kv: f"{kv[0]} = {kv[1]}"), max_size=4).map("\n".join)
LOCATED = re.compile(r"(content|site\.toml|static|templates)\b[^\n]*?: \S")


@settings(max_examples=EXAMPLES or 60, deadline=None, suppress_health_check=SLOW_OK)
@given(toml=site_toml,
       files=st.lists(st.tuples(file_names, st.sampled_from([b".md", b".txt", b".markdown", b""]), content_text),
                      max_size=3))
@example(toml='base_url = "http://[::1/story"', files=[])
@example(toml="", files=[(b"caf\xe9", b".md", "---\ntitle: T\n---\n")])
@example(toml="", files=[(b"x", b".md", "---\ntitle: 0x" + "f" * 3700 + "\n---\n")])
@example(toml="", files=[(b"x", b".md", "---\ntitle: T\noriginalUrl: http://example.com:99999/x\n---\n")])
def test_the_cli_never_shows_a_traceback(good_site, toml, files):
    with copy_of(good_site) as root:
        (root / "site.toml").write_text(GOOD["site.toml"] + toml + "\n", encoding="utf-8")
        for stem, suffix, text in files:
            path = os.path.join(os.fsencode(root / "content"), stem + suffix)
            with open(path, "wb") as handle:
                handle.write(text.encode("utf-8", "surrogatepass"))
        for command in ("build", "check"):
            code, out, err = run(command, "--source", root)
            assert "Traceback" not in err
            assert code in (0, 1), (command, code, err)
            problems = [line for line in err.splitlines() if not line.startswith("warning: ")]
            assert (code == 1) == bool(problems), (command, out, err)
            for line in problems:
                assert LOCATED.match(line), (command, err)


# --- import: any JSON or feed-like file is entries, a message per entry, or one error naming the file -------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["2024-05-01T09:00:00Z", "10000-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00", "²", "٣",
                       "https://e.org/a", "http://[::1/x", "http://e.org:99999/", "640", "0001-01-01"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12)
FIELDS = ["title", "webUrl", "originalUrl", "publishedDateTime", "updatedDateTime", "images", "url", "width",
          "height", "quality", "heat", "provider", "name", "domain", "topics", "related", "excerpt", "id",
          "date_published", "date_modified", "image", "tags", "external_url", "summary", "content_html"]
BASE = {"title": "T", "url": "https://e.org/a", "webUrl": "https://e.org/a",
        "date_published": "2024-05-01T09:00:00Z", "publishedDateTime": "2024-05-01T09:00:00Z"}
entries = st.lists(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)
                   .map(lambda odd: {**BASE, **odd}), max_size=3)  # a usable entry with odd values in it
XML = ['<?xml version="1.0"?>', "<rss version=\"2.0\"><channel><title>F</title>", "<item>", "</item>",
       "<title>T</title>", "<link>https://e.org/a</link>", "<pubDate>Wed, 01 May 2024 09:00:00 GMT</pubDate>",
       "<pubDate>Fri, 31 Dec 99999 23:00:00 GMT</pubDate>", "<pubDate>0</pubDate>", "</channel></rss>",
       '<feed xmlns="http://www.w3.org/2005/Atom">', "<entry>", "</entry>", "<updated>10000-01-01T00:00:00Z</updated>",
       '<media:content url="https://e.org/i.png" width="²" height="99999999999999999999"/>', "</feed>", "&amp;", "<"]


@settings(max_examples=EXAMPLES or 60, deadline=None, suppress_health_check=SLOW_OK)
@given(doc=st.one_of(
    entries.map(lambda e: {"news": e}),
    entries.map(lambda e: {"version": "https://jsonfeed.org/version/1.1", "title": "F", "items": e}),
    json_values), xml=st.lists(st.sampled_from(XML), max_size=12).map("".join), publish=st.booleans())
def test_import_never_shows_a_traceback(tmp_path_factory, doc, xml, publish):
    root = write_site(tmp_path_factory.mktemp("import"), {"site.toml": GOOD["site.toml"]})
    (root / "a.json").write_text(json.dumps(doc))
    (root / "b.xml").write_text(xml)
    code, out, err = run("import", "--source", root, root / "a.json", root / "b.xml", *["--publish"] * publish)
    assert "Traceback" not in err
    assert code in (0, 1), (code, err)
    for line in err.splitlines():
        assert line.startswith(("warning: " + str(root), str(root))), err
    if code == 0:
        assert run("build", "--source", root)[:3:2] == (0, "")  # what import writes, build reads
