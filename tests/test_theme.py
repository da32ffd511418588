"""Themes: lookup order (site, theme, parents), choosing a theme, and errors that name the file, line and page."""

from __future__ import annotations

import pytest

ITEM = "---\ntitle: Hello\npublishedDateTime: 2023-11-27T08:00:00Z\nprovider: Metro\ntopics: [AI]\n---\nBody.\n"
ITEM_URL = "/news/hello/"
BUILTIN_THEMES = "compact, default"


def site_files(**extra: str) -> dict[str, str]:
    return {"content/hello.md": ITEM, **extra}


def build(run_cli, site, *options: str) -> tuple[int, str, str]:
    return run_cli("build", "--source", site, *options)


def read(site, rel: str) -> str:
    return (site / "output" / rel).read_text("utf-8")


# --- Lookup order ---

def test_a_site_template_wins_over_the_theme_and_the_rest_comes_from_the_theme(make_site, run_cli):
    site = make_site(site_files(**{
        "templates/partials/byline.html": '<p class="site-byline">by {{ item.provider.name }}</p>\n'}))

    code, _, err = build(run_cli, site)

    assert code == 0, err
    item = read(site, "news/hello/index.html")
    assert '<p class="site-byline">by Metro</p>' in item
    assert '<h1 class="story-title">Hello</h1>' in item      # item.html itself is still the theme's
    assert "site-byline" not in read(site, "index.html")       # lists use partials/meta.html, not byline


def test_site_static_files_win_over_the_theme_and_the_theme_fills_in_the_rest(make_site, run_cli):
    site = make_site(site_files(**{"static/favicon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n"}))

    code, _, err = build(run_cli, site)

    assert code == 0, err
    assert read(site, "favicon.svg") == "<svg xmlns='http://www.w3.org/2000/svg'/>\n"
    assert "prefers-color-scheme: dark" in read(site, "assets/site.css")


def test_a_child_theme_overrides_its_parent_and_inherits_the_rest(make_site, run_cli):
    site = make_site(site_files(**{
        "site.toml": 'theme = "plain"\n',
        "themes/plain/theme.toml": 'name = "plain"\ndescription = "Titles only."\nextends = "default"\n',
        "themes/plain/templates/partials/stories.html":
            '<ul class="plain">{% for item in items %}<li>{{ item.title }}</li>{% endfor %}</ul>\n',
        "themes/plain/static/assets/plain.css": "body { color: black; }\n",
    }))

    code, _, err = build(run_cli, site)

    assert code == 0, err
    assert '<ul class="plain"><li>Hello</li></ul>' in read(site, "index.html")          # the child's partial
    assert '<a class="skip-link" href="#main">' in read(site, "index.html")             # the parent's base.html
    assert '<h1 class="story-title">Hello</h1>' in read(site, "news/hello/index.html")  # the parent's item.html
    assert read(site, "assets/plain.css") == "body { color: black; }\n"                 # the child's static file
    assert (site / "output" / "assets" / "site.css").is_file()                          # the parent's static file


def test_a_grandchild_theme_reaches_its_grandparent(make_site, run_cli):
    site = make_site(site_files(**{
        "themes/tiny/theme.toml": 'extends = "compact"\n',
        "themes/tiny/templates/404.html": "{% extends 'base.html' %}{% block main %}<p>Lost.</p>{% endblock %}\n",
    }))

    code, _, err = build(run_cli, site, "--theme", "tiny")

    assert code == 0, err
    assert "<p>Lost.</p>" in read(site, "404.html")
    assert '<ol class="rows">' in read(site, "index.html")             # compact
    assert '<h1 class="story-title">Hello</h1>' in read(site, "news/hello/index.html")  # default


# --- Choosing a theme ---

COMPACT_CSS = '<link rel="stylesheet" href="./assets/compact.css">'


def test_theme_option_on_the_command_line_picks_compact(make_site, run_cli):
    site = make_site(site_files())

    code, _, err = build(run_cli, site, "--theme", "compact")

    assert code == 0, err
    home = read(site, "index.html")
    assert COMPACT_CSS in home and '<ol class="rows">' in home and "<img" not in home
    assert (site / "output" / "assets" / "compact.css").is_file()


def test_theme_in_site_toml_picks_compact_and_the_command_line_overrides_it(make_site, run_cli):
    site = make_site(site_files(**{"site.toml": 'theme = "compact"\n'}))

    code, _, err = build(run_cli, site)
    assert code == 0, err
    assert COMPACT_CSS in read(site, "index.html")

    code, _, err = build(run_cli, site, "--theme", "default")
    assert code == 0, err
    assert "compact.css" not in read(site, "index.html")
    assert not (site / "output" / "assets" / "compact.css").exists()


def test_the_default_theme_is_used_without_a_setting(make_site, run_cli):
    site = make_site(site_files())

    code, _, err = build(run_cli, site)

    assert code == 0, err
    assert "compact.css" not in read(site, "index.html")
    assert '<article class="card' in read(site, "index.html")


# --- Theme errors: exit 1, one clear line, nothing written ---

def assert_fails(run_cli, site, message: str, *options: str) -> None:
    code, out, err = build(run_cli, site, *options)
    assert (code, out, err) == (1, "", message + "\n")
    assert not (site / "output").exists()


def test_a_missing_theme_is_an_error_listing_the_available_ones(make_site, run_cli):
    site = make_site(site_files())
    assert_fails(run_cli, site, f"theme 'nope' not found (available: {BUILTIN_THEMES})", "--theme", "nope")


def test_a_missing_theme_in_site_toml_is_reported_at_its_line(make_site, run_cli):
    site = make_site(site_files(**{"site.toml": 'title = "T"\ntheme = "nope"\n'}))
    assert_fails(run_cli, site, f"site.toml:2: theme 'nope' not found (available: {BUILTIN_THEMES})")


def test_extending_a_missing_theme_names_the_theme_toml(make_site, run_cli):
    site = make_site(site_files(**{"themes/child/theme.toml": 'extends = "ghost"\n',
                                   "themes/notes/README.md": "Not a theme: no theme.toml, no templates/.\n"}))
    assert_fails(run_cli, site,
                 f"themes/child/theme.toml: extends unknown theme 'ghost' (available: child, {BUILTIN_THEMES})",
                 "--theme", "child")


def test_an_extends_cycle_is_an_error_showing_the_loop(make_site, run_cli):
    site = make_site(site_files(**{
        "themes/a/theme.toml": 'extends = "b"\n',
        "themes/b/theme.toml": 'extends = "a"\n',
    }))
    assert_fails(run_cli, site, "themes/b/theme.toml: themes extend each other in a loop: a -> b -> a",
                 "--theme", "a")


def test_a_theme_extending_itself_is_a_loop(make_site, run_cli):
    site = make_site(site_files(**{"themes/me/theme.toml": 'extends = "me"\n'}))
    assert_fails(run_cli, site, "themes/me/theme.toml: themes extend each other in a loop: me -> me",
                 "--theme", "me")


@pytest.mark.parametrize("toml, message", [
    ('extends = "../default"\n', "extends must be the name of a theme folder, not '../default'"),
    ("extends = 3\n", "extends must be the name of a theme folder, not 3"),
    ('parent = "default"\n', "unknown key 'parent' (valid: description, extends, name)"),
])
def test_a_bad_theme_toml_names_the_file(make_site, run_cli, toml, message):
    site = make_site(site_files(**{"themes/bad/theme.toml": toml}))
    assert_fails(run_cli, site, f"themes/bad/theme.toml: {message}", "--theme", "bad")


def test_a_template_syntax_error_names_the_template_and_line(make_site, run_cli):
    site = make_site(site_files(**{
        "templates/item.html": '{% extends "base.html" %}\n{% block main %}\n<p>{% if %}</p>\n{% endblock %}\n'}))
    assert_fails(run_cli, site,
                 "templates/item.html:3: template syntax error: Expected an expression, got 'end of statement block'")


def test_a_syntax_error_in_a_theme_partial_names_the_partial(make_site, run_cli):
    site = make_site(site_files(**{
        "themes/mine/theme.toml": 'extends = "default"\n',
        "themes/mine/templates/partials/meta.html": "<p>\n{{ item.title }\n</p>\n"}))
    assert_fails(run_cli, site,
                 "themes/mine/templates/partials/meta.html:2: template syntax error: unexpected '}'",
                 "--theme", "mine")


def test_an_undefined_variable_names_the_template_line_and_page(make_site, run_cli):
    site = make_site(site_files(**{
        "templates/item.html": '{% extends "base.html" %}\n{% block main %}\n<h1>{{ item.title }}</h1>\n'
                               "<p>{{ headline }}</p>\n{% endblock %}\n"}))
    assert_fails(run_cli, site,
                 f"templates/item.html:4: UndefinedError: 'headline' is undefined (while rendering page {ITEM_URL})")


def test_an_undefined_field_in_a_partial_names_the_partial_and_the_page(make_site, run_cli):
    site = make_site(site_files(**{"templates/partials/meta.html": "<p>{{ item.author }}</p>\n"}))
    assert_fails(run_cli, site,
                 "templates/partials/meta.html:1: UndefinedError: 'dict object' has no attribute 'author' "
                 "(while rendering page /)")


def test_including_a_missing_template_names_the_including_one(make_site, run_cli):
    site = make_site(site_files(**{
        "templates/404.html": '{% extends "base.html" %}\n{% block main %}\n{% include "partials/gone.html" %}\n'
                              "{% endblock %}\n"}))
    assert_fails(run_cli, site,
                 "templates/404.html:3: template 'partials/gone.html' not found (while rendering page /404.html)")
