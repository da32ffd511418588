"""The preview's error box: what serve lays over every page while the site does not build.

It says in plain words where the problem is and what it is first ("content/a.md, line 4: the frontmatter
is not valid YAML"), the parser's own words after it, and the full error text, as the terminal shows it,
folded away. A button (or Escape) dismisses it; on a phone it takes at most about a third of the screen.
"""

from __future__ import annotations

import html
import re

MAX_ERRORS_SHOWN = 200  # the box scrolls; the terminal has them all

# "content/a.md:4: message" (the line is optional): where, then what.
_LOCATED = re.compile(r"(?P<path>[^\s:][^:\n]*?)(?::(?P<line>\d+))?: (?P<message>.+)", re.DOTALL)
# Messages whose first part is a plain phrase and whose rest is a parser's detail.
_PLAIN_LEADS = {
    "invalid YAML in frontmatter": "the frontmatter (between the --- lines) is not valid YAML",
    "template syntax error": "a template has a syntax error",
}


def error_overlay(errors: tuple[str, ...], has_site: bool, live_reload: bool) -> str:
    shown = errors[:MAX_ERRORS_SHOWN]
    items = "".join(f"<li style=\"margin:.35rem 0\">{_plain(line)}</li>" for line in shown)
    more = (f'<p style="margin:.25rem 0 0">… and {len(errors) - len(shown)} more (see the terminal)</p>'
            if len(errors) > len(shown) else "")
    heading = ("The last change broke the build. You are seeing the last version that built."
               if has_site else "The site could not be built.")
    after = "Fix the file and save: this page reloads by itself." if live_reload else \
        "Fix the file and restart the preview (or use --watch)."
    raw = "\n".join(html.escape(line) for line in shown)
    return (
        '\n<div id="site-builder-errors" role="alert" style="position:fixed;left:.5rem;right:.5rem;bottom:.5rem;'
        "z-index:2147483647;max-height:min(34vh,24rem);overflow:auto;box-sizing:border-box;margin:0 auto;"
        "max-width:48rem;padding:.6rem .75rem .75rem;background:#fff8f7;color:#1b1b1b;border:2px solid #b3261e;"
        "border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.3);font:14px/1.45 system-ui,sans-serif;"
        'text-align:left;overflow-wrap:anywhere">\n'
        '<div style="display:flex;align-items:flex-start;gap:.5rem">'
        f'<p style="margin:.2rem 0 0;flex:1;font-weight:700;color:#8c1d18">{heading}</p>'
        '<button type="button" aria-label="Dismiss the build errors" title="Dismiss (Esc)" '
        "onclick=\"this.closest('#site-builder-errors').remove()\" "
        'style="flex:none;width:2.5rem;height:2.5rem;margin:-.25rem -.25rem 0 0;border:0;border-radius:6px;'
        'background:transparent;color:#8c1d18;font:700 1.5rem/1 system-ui,sans-serif;cursor:pointer">×</button>'
        "</div>\n"
        f'<ul style="margin:.25rem 0 0;padding-left:1.1rem">{items}</ul>{more}\n'
        f'<p style="margin:.4rem 0 0">{after}</p>\n'
        '<details style="margin:.4rem 0 0"><summary style="cursor:pointer;color:#5c403d">The error as the '
        'terminal shows it</summary>'
        '<pre style="margin:.35rem 0 0;padding:.4rem .6rem;white-space:pre-wrap;word-break:break-word;'
        'background:#fff;color:#1b1b1b;border:1px solid #e0c9c7;font:12px/1.5 ui-monospace,Menlo,Consolas,'
        f'monospace">{raw}</pre></details>\n'
        "<script>document.addEventListener('keydown', function (e) { if (e.key === 'Escape') {"
        " var box = document.getElementById('site-builder-errors'); if (box) box.remove(); } });</script>\n"
        "</div>\n"
    )


def _plain(line: str) -> str:
    """'content/a.md:4: invalid YAML in frontmatter: x' -> '<b>content/a.md, line 4</b>: the frontmatter ...
    <small>(YAML: x)</small>', escaped."""
    match = _LOCATED.fullmatch(line)
    if not match or "/" not in match["path"] and "." not in match["path"]:
        return html.escape(line)
    where = match["path"] + (f", line {match['line']}" if match["line"] else "")
    message = match["message"]
    detail = ""
    for lead, plain in _PLAIN_LEADS.items():
        if message.startswith(lead + ": "):
            detail = message[len(lead) + 2:]
            message = plain
    shown = f"<b>{html.escape(where)}</b>: {html.escape(message)}"
    if detail:
        shown += (f' <span style="color:#5c403d">(the parser says: <code style="font-size:12px">'
                  f"{html.escape(detail)}</code>)</span>")
    return shown
