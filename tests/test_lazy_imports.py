"""Only what a command uses is imported: a draft build loads no HTTP client, and `plan`,
`validate` and `explain` load neither an HTTP client nor WeasyPrint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_sample

HTTP_CLIENTS = ("requests", "urllib3", "httpx", "openai")
PROBE = """
import sys
from bookbuild.cli.commands import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    watched = {watched!r}
    print("IMPORTED:" + ",".join(m for m in watched if m in sys.modules))
"""


def imported_by(*argv: str, watched: tuple[str, ...]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(watched=watched), *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("IMPORTED:"))
    return [m for m in line.removeprefix("IMPORTED:").split(",") if m]


def test_a_draft_build_of_a_book_with_real_presets_imports_no_http_client(tmp_path: Path) -> None:
    book = copy_sample("hare-and-tortoise", tmp_path)  # presets of openai and sdapi
    argv = ("make", str(book), "--draft", "--plain", "--format", "html")
    assert imported_by(*argv, watched=HTTP_CLIENTS) == []
    assert (book / "build" / "index.html").is_file()


def test_a_build_that_writes_no_spec_imports_no_round_trip_yaml_writer(tmp_path: Path) -> None:
    book = copy_sample("hare-and-tortoise", tmp_path)
    argv = ("make", str(book), "--draft", "--plain", "--format", "html")
    assert imported_by(*argv, watched=("ruamel.yaml",)) == []


@pytest.mark.parametrize(
    "command",
    [
        ("validate", "{book}"),
        ("plan", "{book}", "--draft"),
        ("plan", "{book}"),
        ("explain", "race/text", "{book}", "--draft"),
    ],
)
def test_inspecting_a_book_imports_no_http_client_and_no_renderer(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    book = copy_sample("hare-and-tortoise", tmp_path)
    argv = tuple(arg.format(book=book) for arg in command)
    assert imported_by(*argv, watched=(*HTTP_CLIENTS, "weasyprint")) == []
