"""Compiled templates are kept between processes (Jinja's bytecode cache, render/bytecode.py):
a new process loads them instead of compiling, and a changed template is compiled again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bookbuild.render import bytecode

PROBE = """
import sys
from pathlib import Path
import jinja2.environment
from bookbuild.render.html import render_html
from tests.helpers.render_views import english_book
compiled = []
original = jinja2.environment.Environment._compile
def counted(self, source, filename):
    compiled.append(Path(filename).name)
    return original(self, source, filename)
jinja2.environment.Environment._compile = counted
theme = [Path(sys.argv[2])] if len(sys.argv) > 2 else []
render_html(english_book(chapters=2), Path(sys.argv[1]), theme_dirs=theme)
print(len(compiled), " ".join(sorted(compiled)))
"""


def render_in_a_new_process(cache: str, out: Path, *theme: Path) -> tuple[int, str]:
    env = {**os.environ, bytecode.ENV_VAR: cache}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *map(str, theme)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    count, _, names = done.stdout.strip().partition(" ")
    return int(count), names


def test_a_new_process_loads_the_compiled_templates(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    compiled, names = render_in_a_new_process(str(cache), tmp_path / "a")
    assert compiled > 5 and "book.html.j2" in names
    assert len(list(cache.iterdir())) >= compiled
    again, _ = render_in_a_new_process(str(cache), tmp_path / "b")
    assert again == 0
    assert (tmp_path / "a" / "index.html").read_bytes() == (
        tmp_path / "b" / "index.html"
    ).read_bytes()


def test_a_changed_theme_template_is_compiled_again(tmp_path: Path) -> None:
    cache, theme = tmp_path / "cache", tmp_path / "theme"
    theme.mkdir()
    (theme / "extra.css").write_text("body { color: black; }\n", "utf-8")
    render_in_a_new_process(str(cache), tmp_path / "a", theme)
    (theme / "extra.css").write_text("body { color: navy; }\n", "utf-8")
    compiled, names = render_in_a_new_process(str(cache), tmp_path / "b", theme)
    assert names.split() == ["extra.css"] and compiled == 1
    assert "navy" in (tmp_path / "b" / "index.html").read_text("utf-8")


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    compiled, _ = render_in_a_new_process("off", tmp_path / "a")
    again, _ = render_in_a_new_process("off", tmp_path / "b")
    assert compiled == again > 5


def test_the_cache_folder_is_private_and_keys_name_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(bytecode.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache = bytecode.template_cache()
    folder = tmp_path / "xdg" / "bookbuild" / "templates"
    assert cache is not None and folder.is_dir()
    assert folder.stat().st_mode & 0o077 == 0
    plain = bytecode.FileSystemBytecodeCache(str(folder))
    assert cache.get_cache_key("book.html.j2", "/t/book.html.j2") != plain.get_cache_key(
        "book.html.j2", "/t/book.html.j2"
    )
