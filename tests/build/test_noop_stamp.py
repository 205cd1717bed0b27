"""The stamp fast path of `make`: taken when nothing changed, stepped aside for every change.

Which path ran is read from `python -X importtime`: the fast path imports neither click nor
pydantic, the full path imports both."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bookbuild.build.stamp import DISABLE_ENV, parse_make_args, try_fast_make
from tests.conftest import copy_sample

FONT = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")


def run_make(folder: Path, *options: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    """`bookbuild make` in a child process: ("fast" or "full", what it printed)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bookbuild", "make", str(folder), *options],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    heavy = {"click", "pydantic"} & imported
    assert heavy in (set(), {"click", "pydantic"}), heavy
    return ("full" if heavy else "fast"), result.stdout


def rewrite(path: Path) -> None:
    """The same bytes written again: only the file's stat changes."""
    path.write_bytes(path.read_bytes())


def add_theme_file(book: Path) -> None:
    (book / "theme").mkdir()
    (book / "theme" / "extra.css").write_text("p { color: black; }\n", encoding="utf-8")


def remove_pinned_object(book: Path) -> None:
    objects = sorted((book / ".bookbuild" / "store" / "objects").rglob("*"))
    victim = next(p for p in objects if p.is_file())
    victim.chmod(0o644)
    victim.unlink()


CHANGES: dict[str, Callable[[Path], object]] = {
    "spec": lambda b: (b / "book.yaml").write_text(
        (b / "book.yaml").read_text(encoding="utf-8") + "# edited\n", encoding="utf-8"
    ),
    "chapter file": lambda b: rewrite(b / "chapters" / "meadow.md"),
    "mask": lambda b: rewrite(b / "masks" / "scarf.png"),
    "input picture": lambda b: rewrite(b / "art" / "oak-sketch.png"),
    "theme folder appears": add_theme_file,
    "theme file": lambda b: rewrite(b / "theme" / "extra.css"),
    "lock": lambda b: rewrite(b / ".bookbuild" / "draft.lock"),
    "pinned object": remove_pinned_object,
    "output": lambda b: (b / "build" / "index.html").unlink(),
}


def test_fast_path_steps_aside_for_every_kind_of_change(tmp_path: Path) -> None:
    book = copy_sample("hare-and-tortoise", tmp_path)
    assert run_make(book, "--draft", "--format", "html")[0] == "full"
    _, expected = run_make(book, "--draft", "--format", "html", env={DISABLE_ENV: "1"})
    assert run_make(book, "--draft", "--format", "html") == ("fast", expected)
    for kind, change in CHANGES.items():
        change(book)
        assert run_make(book, "--draft", "--format", "html")[0] == "full", kind
        assert run_make(book, "--draft", "--format", "html")[0] == "fast", f"after {kind}"


def test_fast_path_steps_aside_for_other_options_and_source_date_epoch(tmp_path: Path) -> None:
    book = copy_sample("hare-and-tortoise", tmp_path)
    run_make(book, "--draft", "--format", "html")
    assert run_make(book, "--draft", "--format", "html", "--locked")[0] == "full"
    assert run_make(book, "--draft", "--format=html", "--locked", "-j2")[0] == "fast"
    assert run_make(book, "--draft", "--format=html", "--locked", "--strict")[0] == "full"
    assert run_make(book, "--draft", "--format=html", "--locked", "--strict")[0] == "fast"
    assert run_make(book, "--draft", "--format=html", "--locked")[0] == "full"
    verbose = ("--draft", "--format", "html", "--locked", "-v", "--plain")
    _, full = run_make(book, *verbose, env={DISABLE_ENV: "1"})
    assert run_make(book, *verbose) == ("fast", full)
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    assert run_make(book, "--draft", "--format", "html", "--locked", env=epoch)[0] == "full"
    assert run_make(book, "--draft", "--format", "html", "--locked", env=epoch)[0] == "fast"
    assert run_make(book, "--draft", "--format", "html", "--locked")[0] == "full"


@pytest.mark.skipif(not FONT.is_file() or shutil.which("fc-list") is None, reason="no Nanum")
def test_fast_path_steps_aside_when_a_font_of_the_pdf_changes(tmp_path: Path) -> None:
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    shutil.copy(FONT, fonts / "NanumGothic-copy.ttf")
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>{fonts}</dir>'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    env = {"FONTCONFIG_FILE": str(config)}
    book = copy_sample("hare-and-tortoise", tmp_path)
    run_make(book, "--draft", env=env)  # the default --format (html,pdf) is the fast path's too
    assert run_make(book, "--draft", env=env)[0] == "fast"
    rewrite(fonts / "NanumGothic-copy.ttf")
    assert run_make(book, "--draft", env=env)[0] == "full"
    assert run_make(book, "--draft", env=env)[0] == "fast"


def test_a_failed_build_leaves_no_stamp(tmp_path: Path) -> None:
    book = copy_sample("hare-and-tortoise", tmp_path)
    run_make(book, "--draft", "--format", "html")
    spec = book / "book.yaml"
    good = spec.read_text(encoding="utf-8")
    spec.write_text(good.replace("title: 토끼와 거북이", "title: [", 1), encoding="utf-8")
    failed = subprocess.run(
        [sys.executable, "-m", "bookbuild", "make", str(book), "--draft", "--format", "html"],
        capture_output=True,
        check=False,
    )
    assert failed.returncode == 2
    assert not (book / ".bookbuild" / "stamp").exists()


def test_fast_path_gives_way_to_a_running_build(tmp_path: Path) -> None:
    book = copy_sample("hare-and-tortoise", tmp_path)
    run_make(book, "--draft", "--format", "html")
    argv = ["make", str(book), "--draft", "--format", "html"]
    with open(book / ".bookbuild" / "make.lock", "a+", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert try_fast_make(argv) is False
        fcntl.flock(held, fcntl.LOCK_UN)
    assert run_make(book, "--draft", "--format", "html")[0] == "fast"


@pytest.mark.parametrize(
    "argv",
    [
        ["make", "--only", "x/*"],
        ["make", "--help"],
        ["make", "--format", "docx"],
        ["make", "--format"],
        ["make", "-j", "0"],
        ["make", "--budget", "-1"],
        ["make", "--budget", "nan"],
        ["make", "a", "b"],
        ["plan"],
        ["--version"],
    ],
)
def test_command_lines_the_fast_path_leaves_to_click(argv: list[str]) -> None:
    assert parse_make_args(argv) is None


def test_command_lines_the_fast_path_understands() -> None:
    found = parse_make_args(["--debug", "make", "book", "--draft", "-j8", "--format=PDF,html"])
    assert found is not None
    assert (found.path, found.draft, found.formats) == ("book", True, ["pdf", "html"])


def test_stamp_watches_every_module_and_template_of_bookbuild(tmp_path: Path) -> None:
    """The package moved into stage folders: the stamp still stats all of it, so an upgrade
    or an edit of any bookbuild module or template makes the next `make` a full one."""
    import bookbuild
    from bookbuild.build.stamp import read_stamp

    book = copy_sample("lighthouse-fox", tmp_path)
    assert run_make(book, "--draft", "--format", "html")[0] == "full"
    stamp = read_stamp(str(book))
    assert isinstance(stamp, dict)
    watched = {Path(entry[0]) for entry in stamp["files"]}
    package = Path(bookbuild.__file__).resolve().parent
    for module in ("graph/plan.py", "render/html.py", "spec/models.py", "errors.py"):
        assert package / module in watched, module
    assert package / "templates" / "base" in watched


def test_render_fingerprint_covers_the_builtin_templates() -> None:
    from bookbuild.build.outputs import TEMPLATES

    assert (TEMPLATES / "base").is_dir()
