"""The package's folders are its layers: stages never import the machinery around them (incremental/)
or the commands, and the machinery never imports the commands."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"
FORBIDDEN = {
    "stages": ("site_builder.incremental", "site_builder.commands"),
    "incremental": ("site_builder.commands",),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, absolute, with the line (relative imports resolved)."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found += [(node.lineno, base)] + [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def layer_violations(folder: str) -> list[str]:
    return [f"site_builder/{path.relative_to(PACKAGE).as_posix()}:{line}: imports {module}"
            for path in sorted((PACKAGE / folder).rglob("*.py")) for line, module in imported_modules(path)
            if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN[folder])]


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_point_one_way(folder):
    assert layer_violations(folder) == []


def test_the_check_finds_a_stage_importing_the_machinery(tmp_path, monkeypatch):
    fake = tmp_path / "site_builder"
    (fake / "stages").mkdir(parents=True)
    (fake / "stages" / "bad.py").write_text("import os\nfrom site_builder.incremental.store import Memory\n"
                                            "from ..commands import build\n")
    monkeypatch.setitem(globals(), "PACKAGE", fake)
    assert layer_violations("stages") == [
        "site_builder/stages/bad.py:2: imports site_builder.incremental.store",
        "site_builder/stages/bad.py:2: imports site_builder.incremental.store.Memory",
        "site_builder/stages/bad.py:3: imports site_builder.commands",
        "site_builder/stages/bad.py:3: imports site_builder.commands.build",
    ]


# The layout is reused when an edit changes only fields it never read (incremental/trace.py): the trace
# sees reads made through attributes. A stage that reads an item's fields around them (its __dict__,
# vars(), object.__getattribute__) would read without being seen. Only collect.placed may: it copies the
# fields into an object of the item's own class, which the trace follows.
UNTRACED_ALLOWED = {("stages/collect.py", "placed")}


def untraced_reads(root: Path) -> list[str]:
    """file:line in function of every read around the trace under `root` (but the allowed one)."""
    found = []

    def visit(node: ast.AST, rel: str, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        around = (isinstance(node, ast.Attribute) and node.attr in ("__dict__", "__getattribute__")) or (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "vars")
        if around and (rel, function) not in UNTRACED_ALLOWED:
            found.append(f"{rel}:{node.lineno} in {function or 'the module'}")
        for child in ast.iter_child_nodes(node):
            visit(child, rel, function)

    for path in sorted(root.rglob("*.py")):
        visit(ast.parse(path.read_text("utf-8"), str(path)), path.relative_to(root.parent).as_posix(), "")
    return found


def test_stages_read_items_only_through_their_attributes():
    assert untraced_reads(PACKAGE / "stages") == []


def test_the_check_finds_a_read_around_the_trace(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "collect.py").write_text(
        "def placed(item):\n    return item.__dict__\n\n"
        "def arrange(items):\n    return [vars(i) for i in items]\n\n"
        "def other(item):\n    return object.__getattribute__(item, 'title')\n")
    assert untraced_reads(tmp_path / "stages") == ["stages/collect.py:5 in arrange", "stages/collect.py:8 in other"]
