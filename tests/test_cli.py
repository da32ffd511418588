"""The command line as a user meets it: each command's --help, a folder that is not a site, exit codes."""

from __future__ import annotations

import argparse

import pytest

from site_builder.cli import make_parser

# Every subcommand, as argparse has them (so a new command cannot come without its help).
COMMANDS = sorted(next(action for action in make_parser()._actions
                       if isinstance(action, argparse._SubParsersAction)).choices)


def test_there_are_commands_to_check():
    assert {"build", "check", "serve", "init", "new", "import"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_has_a_description_and_an_example(run_cli, command):
    code, out, err = run_cli(command, "--help")
    assert (code, err) == (0, "")
    usage, description, *rest = out.split("\n\n")
    assert usage.startswith(f"usage: site-builder {command} ")
    assert description and not description.startswith(("positional arguments:", "options:"))
    assert len(description.splitlines()[0]) <= 110  # one line, readable in a terminal
    epilog = rest[-1]
    assert epilog.startswith(("example:\n  site-builder ", "examples:\n  site-builder ")), epilog
    assert f"site-builder {command}" in epilog


def test_import_help_names_every_format(run_cli):
    out = run_cli("import", "--help")[1]
    assert ("formats: RSS 2.0, Atom, JSON Feed, and news-API JSON (an object with a \"news\" list);\n"
            "'-' reads standard input.") in out


@pytest.mark.parametrize("command", ["build", "check", "serve"])
def test_a_folder_without_content_is_not_a_site(run_cli, tmp_path, command):
    (tmp_path / "notes.txt").write_text("not a site", encoding="utf-8")
    code, out, err = run_cli(command, "--source", tmp_path)
    message = (f"{tmp_path}: not a site: there is no content/ folder here; start a site with "
               "`site-builder init DIR`, or give the site's folder with --source\n")
    assert (code, err) == (1, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written, no output/


def test_the_current_folder_is_named_by_its_path(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("build")
    assert (code, err.split(": not a site")[0]) == (1, str(tmp_path))


def test_an_empty_content_folder_is_a_site(run_cli, tmp_path):
    (tmp_path / "content").mkdir()
    code, out, err = run_cli("check", "--source", tmp_path)
    assert (code, err) == (0, "")
