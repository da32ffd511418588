"""Real judges of what users meet: the Nu HTML checker reads our HTML, axe-core checks a page's accessibility."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21aa")


def vnu_errors(folder: Path) -> list[str]:
    """Every error the Nu HTML checker finds in the HTML files under folder, as 'path:line.col-line.col: error: ...'.

    Paths are shown relative to folder. The checker passes a folder with no HTML in it, so that is refused here.
    """
    folder = Path(folder).resolve()
    if not any(folder.rglob("*.html")):
        raise ValueError(f"no HTML files under {folder}: nothing for the Nu checker to judge")
    command = ["java", "-jar", str(VNU_JAR), "--errors-only", "--skip-non-html", "--format", "gnu", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    # The gnu format writes one message a line to stderr: "file:/abs/path.html":12.3-12.9: error: ...
    errors = [_relative(line, folder) for line in result.stderr.splitlines() if ": error: " in line]
    if result.returncode != 0 and not errors:
        raise RuntimeError(f"the Nu checker failed (exit {result.returncode}):\n{result.stderr}{result.stdout}")
    return errors


def _relative(line: str, folder: Path) -> str:
    prefix = f'"file:{folder.as_posix()}/'
    return line.replace(prefix, "", 1).replace('":', ":", 1) if line.startswith(prefix) else line


def axe_violations(page: Any, tags: tuple[str, ...] = WCAG_AA) -> list[dict[str, Any]]:
    """axe-core's violations of the given rule tags on the page as it is now (a Playwright Page).

    Each is {id, impact, help, nodes: [{target, html, summary}]}: enough to find and fix the element.
    """
    page.add_script_tag(content=AXE_JS.read_text("utf-8"))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
            }));
        }""",
        list(tags),
    )


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """Violations as readable lines for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n['target']}: {n['html'][:160]}\n      {n['summary']}" for n in v["nodes"][:5]]
    return "\n".join(lines)
