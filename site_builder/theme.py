"""Find a theme and its parents, and make the Jinja2 environment: site templates first, then the theme chain."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from site_builder.config import SiteConfig
from site_builder.errors import ThemeError, printable_path
from site_builder.files import NotRegularFile, read_regular, special_kind
from site_builder.inputs import walk_inputs
from site_builder.stages.write import OutputFile
from site_builder.slug import is_safe_slug

log = logging.getLogger(__name__)


def _builtin_themes() -> Path:
    """Where the themes that come with site-builder are.

    An installed wheel carries them inside the package (site_builder/themes/); a checkout, and an
    editable install of one, keeps them in the repository's top-level themes/ beside the package.
    """
    packaged = resources.files("site_builder") / "themes"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "themes"


BUILTIN_THEMES = _builtin_themes()
THEME_KEYS = frozenset({"name", "description", "extends"})


@dataclass(frozen=True)
class Theme:
    """A resolved theme: its name and folders, child first, parents after."""

    name: str
    folders: tuple[Path, ...]
    site_root: Path

    @property
    def template_dirs(self) -> list[Path]:
        dirs = [self.site_root / "templates"] + [f / "templates" for f in self.folders]
        return [d for d in dirs if d.is_dir()]

    @property
    def static_dirs(self) -> list[Path]:
        dirs = [self.site_root / "static"] + [f / "static" for f in self.folders]
        return [d for d in dirs if d.is_dir()]


def theme_dir(name: str, site_root: Path) -> Path | None:
    """A site's own themes/NAME first, then the built-in one."""
    for base in (site_root / "themes", BUILTIN_THEMES):
        if (base / name).is_dir():
            return base / name
    return None


def available_themes(site_root: Path) -> list[str]:
    """Folders that look like themes (templates/ or theme.toml): a child theme may have only the latter."""
    names = set()
    for base in (site_root / "themes", BUILTIN_THEMES):
        if base.is_dir():
            names.update(p.name for p in base.iterdir()
                         if (p / "templates").is_dir() or (p / "theme.toml").is_file())
    return sorted(names)


def load_theme(config: SiteConfig) -> Theme:
    """Resolve config.theme and its `extends` chain; a missing theme or a cycle is a ThemeError."""
    folders: list[Path] = []
    seen: list[str] = []
    name: str | None = config.theme
    while name is not None:
        if name in seen:
            raise ThemeError(f"themes extend each other in a loop: {' -> '.join(seen + [name])}",
                             _shown(folders[-1] / "theme.toml", config.root))
        folder = theme_dir(name, config.root)
        if folder is None:
            available = ", ".join(available_themes(config.root))
            if not seen:
                raise ThemeError(f"theme '{name}' not found (available: {available})")
            raise ThemeError(f"extends unknown theme '{name}' (available: {available})",
                             _shown(folders[-1] / "theme.toml", config.root))
        seen.append(name)
        folders.append(folder)
        name = read_theme_toml(folder, config.root).get("extends")
    theme = Theme(name=config.theme, folders=tuple(folders), site_root=config.root)
    check_template_files(theme)
    return theme


def read_theme_toml(folder: Path, site_root: Path) -> dict[str, str]:
    path = folder / "theme.toml"
    shown = _shown(path, site_root)
    if path.exists() and not path.is_file():
        raise ThemeError(f"{special_kind(path.stat().st_mode)}, not a regular file; theme.toml must be a regular "
                         "file (remove it)", shown)
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(read_regular(path).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ThemeError(f"invalid theme.toml: {exc}", shown) from None
    unknown = set(data) - THEME_KEYS
    if unknown:
        raise ThemeError(f"unknown key '{sorted(unknown)[0]}' (valid: {', '.join(sorted(THEME_KEYS))})", shown)
    extends = data.get("extends")
    if extends is not None and not (isinstance(extends, str) and is_safe_slug(extends)):
        raise ThemeError(f"extends must be the name of a theme folder, not {extends!r}", shown)
    return data


def _shown(path: Path, site_root: Path) -> str:
    """A theme file as error messages name it: relative to the site root when it is the site's own."""
    try:
        return path.relative_to(site_root).as_posix()
    except ValueError:
        return path.as_posix()


def make_environment(theme: Theme, earlier: jinja2.Environment | None = None,
                     compiled: Path | None = None) -> jinja2.Environment:
    """Autoescaping, strict (an undefined variable is an error, never a blank), loading site overrides first.

    `earlier` is the last build's environment over the same templates (serve): it is taken again, with
    its compiled templates, and only the per-build fragment memory is new. `compiled` is a folder where
    Jinja2 keeps templates compiled by earlier builds (keyed by each template's source).
    """
    if earlier is not None:
        earlier.globals["fragment"] = fragment_renderer(earlier)
        return earlier
    env = _Environment(
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled is not None else None,
        loader=jinja2.FileSystemLoader([str(d) for d in theme.template_dirs]),
        autoescape=jinja2.select_autoescape(["html", "xml", "htm"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
    )
    env.globals["link"] = link
    env.globals["fragment"] = fragment_renderer(env)
    return env


class _Context(jinja2.runtime.Context):
    """link() is called some twenty times a page: it skips Jinja2's check for callables that want the context."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja2's own signature
        if __obj is link and len(args) == 1:
            return link(args[0])  # the only kwargs here are Jinja2's loop and block variables
        return super().call(__obj, *args, **kwargs)


class _Environment(jinja2.Environment):
    """Views are dicts, so `item.title` looks the key up first. Jinja2 tries the attribute first, which fails
    (an exception) on every dict key a template reads: the key-first lookup renders pages about 20 % faster."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    context_class = _Context


# Stands for "the way from this page back to the site root" until the page is finished, when
# render_page replaces it; so a piece of HTML with links does not depend on the page it sits in.
ROOT = "\x1eroot\x1e"


def link(target: str) -> str:
    """A link from the page being rendered to a site path such as '/topics/ai/'.

    Relative in the finished page ('../../topics/ai/') so output/ works at a domain root and under
    base_url's sub-path; the 404 page, served at any depth, gets the absolute path under base_url.
    """
    return ROOT + target[1:] if target.startswith("/") else target


def fragment_renderer(env: jinja2.Environment):
    """fragment(name, **values): a partial rendered once per build for each set of values, then reused.

    For the partials a site repeats on many pages (a story's card appears on the home, day, topic
    and source pages): it sees only `values` and `site`, never `page`. Values that are views count
    by identity, as the same view dict is shared by every page of a build.
    """
    made: dict[tuple, Markup] = {}

    @jinja2.pass_context
    def fragment(context: jinja2.runtime.Context, name: str, **values: object) -> Markup:
        key = (name,) + tuple((k, id(v) if isinstance(v, (dict, list)) else v) for k, v in sorted(values.items()))
        html = made.get(key)
        if html is None:
            html = made[key] = Markup(env.get_template(name).render(site=context["site"], **values))
        return html
    return fragment


def static_files(theme: Theme, sources: dict[str, Path] | None = None) -> list[OutputFile]:
    """Theme static files (parents first, so a child theme or the site's static/ wins); `sources` is
    static_sources(theme) when the caller has it already."""
    chosen = static_sources(theme) if sources is None else sources
    return [OutputFile(rel, _read_static(path, theme.site_root)) for rel, path in chosen.items()]


def static_sources(theme: Theme) -> dict[str, Path]:
    """Output path -> the static file that fills it, sorted by output path; which files count is
    inputs.walk_inputs' rule, the same the inputs digest, the content walker and the watcher use."""
    chosen: dict[str, Path] = {}
    for folder in reversed(theme.static_dirs):
        for path in walk_inputs(folder)[0]:
            chosen[Path(path).relative_to(folder).as_posix()] = Path(path)
    return dict(sorted(chosen.items()))


def static_warnings(theme: Theme) -> list[str]:
    """Linked folders in static folders that are skipped (see files.walk_tree)."""
    return [w for folder in theme.static_dirs for w in walk_inputs(folder)[1]]


def _read_static(path: Path, site_root: Path) -> bytes:
    try:
        return read_regular(path)
    except NotRegularFile as exc:
        raise ThemeError(f"{exc.strerror}; static files must be regular files (remove it)",
                         _shown(path, site_root)) from None
    except OSError as exc:  # a dangling link, a file without read permission
        raise ThemeError(f"cannot read file: {exc.strerror}", _shown(path, site_root)) from None


def check_template_files(theme: Theme) -> None:
    """Every template is a regular file with a UTF-8 name and text: a FIFO or device would never end a
    read, and Jinja2 fails on bad bytes while rendering, not saying where."""
    for folder in theme.template_dirs:
        for path in walk_inputs(folder)[0]:
            shown = _shown(Path(path), theme.site_root)
            if printable_path(shown) != shown:
                raise ThemeError("the file name is not valid UTF-8 or holds a control character; rename the file",
                                 printable_path(shown))
            try:
                data = read_regular(path)
            except NotRegularFile as exc:
                raise ThemeError(f"{exc.strerror}; templates must be regular files (remove it)", shown) from None
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ThemeError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                                 shown, data.count(b"\n", 0, exc.start) + 1) from None
