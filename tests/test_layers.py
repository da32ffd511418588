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
