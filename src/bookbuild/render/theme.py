"""Themes: where templates come from and the Jinja environment that renders them.

Templates are looked up in order: the book's `theme/` folders, the built-in theme, the built-in
`base`. Autoescaping is on for every template except stylesheets (`*.css`, `*.css.j2`), which are
filled only with values passed through `css_string`/numbers. Undefined variables are errors.

A book's theme is not trusted code: templates run in Jinja's sandbox (no reaching Python
internals such as `os.environ`, where API keys live), and a theme folder, or a template in it,
that leads outside its book folder through a symlink is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from bookbuild.style import BASE, TEMPLATES, resolve_theme

from ..errors import ConfigError
from .bytecode import template_cache
from .markdown import keep_words
from .matter import open_paragraph


def css_string(value: object) -> str:
    """A CSS quoted string that cannot end early or start a new rule."""
    escaped = "".join(c if c.isalnum() or c in " -_." else f"\\{ord(c):x} " for c in str(value))
    return f'"{escaped}"'


def _autoescape(name: str | None) -> bool:
    return name is None or not name.endswith((".css", ".css.j2"))


def contained_theme_dir(folder: Path) -> Path:
    """`folder` if it really lies inside the folder holding it (a book's `theme/` inside the
    book); ConfigError when it is a symlink leading elsewhere."""
    if not folder.resolve().is_relative_to(folder.absolute().parent.resolve()):
        raise ConfigError(f"{folder}: the theme folder links outside the book folder")
    return folder


class _ContainedLoader(FileSystemLoader):
    """Templates of one folder only: a symlink leading out of it is a SecurityError."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder))
        self.root = folder.resolve()

    def get_source(self, environment: Environment, template: str) -> Any:
        source, filename, uptodate = super().get_source(environment, template)
        if not Path(filename).resolve().is_relative_to(self.root):
            raise SecurityError(f"template {template!r} links outside the theme folder")
        return source, filename, uptodate


_PLAIN_VALUES = (str, Markup, int, float, bool, type(None), tuple)


class _BookEnvironment(SandboxedEnvironment):
    """The sandbox, with a fast path for the data bookbuild itself hands to templates: a
    public attribute of the page model or the view (frozen dataclasses of plain values) whose
    value is plain data (text, numbers, tuples) cannot reach Python internals, so it skips the
    sandbox's per-access checks (the navigation of a site reads thousands of them). Anything
    else, including every method, goes through the full sandbox."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) in _plain_types() and not attribute.startswith("_"):
            value = getattr(obj, attribute, _MISSING)
            if type(value) in _PLAIN_VALUES:
                return value
        return super().getattr(obj, attribute)


_MISSING = object()


@lru_cache(maxsize=1)
def _plain_types() -> frozenset[type]:
    from . import context, pages, view

    return frozenset(
        {
            context.Chapter,
            context.Figure,
            context.FlowItem,
            context.Scene,
            context.ImageBox,
            context.SceneMetrics,
            pages.Layout,
            view.BookView,
            view.ChapterView,
            view.IllustrationView,
            view.Provenance,
            view.StyleView,
        }
    )


def make_environment(theme: str, theme_dirs: Sequence[Path] = ()) -> Environment:
    """The sandboxed Jinja environment for `theme`, with the book's theme folders first."""
    folder = resolve_theme(theme)
    books: list[BaseLoader] = [_ContainedLoader(contained_theme_dir(Path(d))) for d in theme_dirs]
    built_in = [FileSystemLoader(str(TEMPLATES / folder)), FileSystemLoader(str(TEMPLATES / BASE))]
    env = _BookEnvironment(
        loader=ChoiceLoader([*books, *built_in]),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=template_cache(),
    )
    env.filters["css_string"] = css_string
    return env


@lru_cache(maxsize=16)
def theme_environment(theme: str, theme_dirs: tuple[Path, ...], keep_all: bool) -> Environment:
    """One environment per theme, theme folders and `keep` filter, kept for the process: its
    compiled templates are reused by every page (Jinja reloads a template whose file changed).
    `keep_all` makes `keep` join Korean words (print), otherwise it only escapes."""
    env = make_environment(theme, theme_dirs)
    env.filters["keep"] = keep_words if keep_all else escape
    env.filters["opening"] = _opening
    return env


@pass_context
def _opening(context: Context, block: object) -> Markup:
    """The `opening` filter: the chapter's first paragraph with the book's `style.opening`."""
    return open_paragraph(str(block), str(context.get("opening_style", "none")))
