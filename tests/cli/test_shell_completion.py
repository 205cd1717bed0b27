"""Shell completion in the real shells, set up with the very lines docs/howto/completion.md
gives: bash (its completion function), fish (`complete -C`) and zsh (a Tab typed into an
interactive zsh on a pseudo-terminal) complete bookbuild's commands and a book's step ids."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "howto" / "completion.md"


def documented_line(shell: str) -> str:
    """The start-up line the completion guide gives for `shell`."""
    text = GUIDE.read_text(encoding="utf-8")
    (line,) = re.findall(rf"^\s+(.*_BOOKBUILD_COMPLETE={shell}_source bookbuild.*)$", text, re.M)
    return line.strip()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("completion") / "snail"
    made = CliRunner().invoke(main, ["init", str(folder), "--template", "picture-book"])
    assert made.exit_code == 0, made.output
    return folder


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A PATH whose `bookbuild` is this checkout's, as an installed command would be."""
    bin_dir = tmp_path_factory.mktemp("bin")
    command = bin_dir / "bookbuild"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m bookbuild "$@"\n', encoding="utf-8")
    command.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT / "src"),
        "HOME": str(bin_dir),  # no user start-up files
    }


def shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/setup.sh installs it)")
    return found


def bash_complete(cwd: Path, env: dict[str, str], *words: str) -> list[str]:
    script = f"""
{documented_line("bash")}
spec=$(complete -p bookbuild)
function=${{spec##*-F }}; function=${{function%% *}}
COMP_WORDS=({" ".join(f"'{w}'" for w in words)}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
"$function" bookbuild
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(
        [shell("bash"), "-c", script], capture_output=True, text=True, env=env, cwd=cwd,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands_and_step_ids(book: Path, env: dict[str, str]) -> None:
    assert bash_complete(book, env, "bookbuild", "expl") == ["explain"]
    assert bash_complete(book, env, "bookbuild", "explain", "meadow/m") == [
        "meadow/morning/image", "meadow/morning",
    ]  # fmt: skip
    assert "sky/flight/image" in bash_complete(book, env, "bookbuild", "show", "sky/")
    assert "hill/climb" in bash_complete(book, env, "bookbuild", "make", "--refresh", "hill/c")


def test_bash_completes_the_ids_of_the_book_named_before_the_option(
    book: Path, env: dict[str, str]
) -> None:
    outside = book.parent
    offered = bash_complete(outside, env, "bookbuild", "make", book.name, "--only", "hill/cl")
    assert offered == ["hill/climb/prompt", "hill/climb/image", "hill/climb"]
    assert bash_complete(outside, env, "bookbuild", "make", "--only", "hill/cl") == []


def test_fish_completes_step_ids_for_make_only(book: Path, env: dict[str, str]) -> None:
    script = f'{documented_line("fish")}; complete -C "bookbuild make --only hill/cl"'
    done = subprocess.run(
        [shell("fish"), "--no-config", "-c", script], capture_output=True, text=True, env=env,
        cwd=book, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    offered = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert offered == ["hill/climb", "hill/climb/image", "hill/climb/prompt"]


def test_zsh_completes_a_step_id_when_tab_is_pressed(book: Path, env: dict[str, str]) -> None:
    """An interactive zsh on a pseudo-terminal (zpty): compinit, the documented line, then
    `bookbuild explain hill/climb/im` and Tab: the line now holds the whole step id."""
    driver = f"""
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; autoload -Uz compinit; compinit -u -D; {documented_line("zsh")}'
zpty -w -n z 'bookbuild explain hill/climb/im'$'\\t'
sleep 1
for i in {{1..120}}; do
  while zpty -r -t z chunk; do out+="$chunk"; done
  [[ $out == *"hill/climb/image"* ]] && break
  sleep 0.5
done
zpty -d z
print -r -- "$out"
"""
    done = subprocess.run(
        [shell("zsh"), "-f", "-c", driver], capture_output=True, text=True, env=env, cwd=book,
        timeout=150,
    )  # fmt: skip
    assert "hill/climb/image" in done.stdout, done.stdout[-2000:]
