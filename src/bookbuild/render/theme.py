"""Themes: where templates come from and the Jinja environment that renders them.

Templates are looked up in order: the book's `theme/` folders, the built-in theme, the built-in
`base`. Autoescaping is on for every template except stylesheets (`*.css`, `*.css.j2`), which are
filled only with values passed through `css_string`/numbers. Undefined variables are errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from ..errors import ConfigError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BASE = "base"
THEME_MARKER = "book.css.j2"  # every built-in theme has its own stylesheet (epub/ is not a theme)
ALIASES = {"default": "novel"}


@dataclass(frozen=True)
class ThemeSettings:
    """What the Python side needs to know about a built-in theme."""

    default_page: str = "A5"
    full_page_images: bool = False  # images may fill the page (size print images to the page)
    margin_scale: float = 1.0  # default margins relative to the proportional ones


SETTINGS: dict[str, ThemeSettings] = {
    "picture-book": ThemeSettings(default_page="8x8in", full_page_images=True, margin_scale=0.8),
}


def theme_names() -> list[str]:
    """Built-in themes (folders of templates/ holding a THEME_MARKER, except base), plus aliases."""
    found = {p.name for p in TEMPLATES.iterdir() if _is_theme(p)}
    return sorted(found | set(ALIASES))


def _is_theme(folder: Path) -> bool:
    return folder.name != BASE and (folder / THEME_MARKER).is_file()


def resolve_theme(name: str) -> str:
    """The built-in folder a theme name refers to; ConfigError for unknown names."""
    folder = ALIASES.get(name, name)
    plain = folder and not folder.startswith(".") and "/" not in folder and "\\" not in folder
    if not (plain and _is_theme(TEMPLATES / folder)):
        raise ConfigError(
            f"style.theme: unknown theme {name!r}; built-in themes: {', '.join(theme_names())} "
            "(a book's theme/ folder overrides templates of the chosen theme)"
        )
    return folder


def theme_settings(name: str) -> ThemeSettings:
    return SETTINGS.get(resolve_theme(name), ThemeSettings())


def css_string(value: object) -> str:
    """A CSS quoted string that cannot end early or start a new rule."""
    escaped = "".join(c if c.isalnum() or c in " -_." else f"\\{ord(c):x} " for c in str(value))
    return f'"{escaped}"'


def _autoescape(name: str | None) -> bool:
    return name is None or not name.endswith((".css", ".css.j2"))


def make_environment(theme: str, theme_dirs: Sequence[Path] = ()) -> Environment:
    """The Jinja environment for `theme`, with the book's theme folders first."""
    folder = resolve_theme(theme)
    search = [*(Path(d) for d in theme_dirs), TEMPLATES / folder, TEMPLATES / BASE]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(p)) for p in search]),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["css_string"] = css_string
    return env
