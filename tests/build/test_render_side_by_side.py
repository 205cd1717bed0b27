"""Formats rendered side by side: the PDF here, the others in a forked child process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bookbuild.build import sidecar
from bookbuild.build.sidecar import render_side_by_side
from bookbuild.errors import RenderError


def writer(folder: Path, fail: str = "", die: str = ""):  # type: ignore[no-untyped-def]
    def render(fmt: str) -> Path:
        if fmt == fail:
            raise RenderError(f"{fmt}: the theme is broken")
        if fmt == die:
            os._exit(3)
        path = folder / f"book.{fmt}"
        path.write_text(str(os.getpid()), "utf-8")
        return path

    return render


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Side by side is what a machine of more than one core does; these tests check it on any."""
    monkeypatch.setattr(sidecar, "_can_fork", lambda: True)


def test_on_one_core_every_format_renders_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sidecar, "_can_fork", lambda: False)
    reported: list[str] = []
    written = render_side_by_side(
        ["pdf"], ["html", "epub"], writer(tmp_path), lambda fmt, path: reported.append(fmt)
    )
    assert {int(p.read_text("utf-8")) for p in written.values()} == {os.getpid()}
    assert sorted(reported) == ["epub", "html", "pdf"]


def test_formats_aside_render_in_another_process_and_are_reported_here(tmp_path: Path) -> None:
    reported: list[tuple[str, int]] = []
    started: list[str] = []
    written = render_side_by_side(
        ["pdf"],
        ["html", "epub"],
        writer(tmp_path),
        lambda fmt, path: reported.append((fmt, os.getpid())),
        started.append,
    )
    assert sorted(written) == ["epub", "html", "pdf"]
    pids = {fmt: int(path.read_text("utf-8")) for fmt, path in written.items()}
    assert pids["pdf"] == os.getpid()
    assert pids["html"] != os.getpid() and pids["epub"] == pids["html"]
    assert sorted(reported) == [("epub", os.getpid()), ("html", os.getpid()), ("pdf", os.getpid())]
    assert sorted(started) == ["epub", "html", "pdf"]


def test_an_error_aside_is_raised_after_the_pdf_is_written(tmp_path: Path) -> None:
    reported: list[str] = []
    with pytest.raises(RenderError, match="html: the theme is broken"):
        render_side_by_side(
            ["pdf"], ["html", "epub"], writer(tmp_path, fail="html"),
            lambda fmt, path: reported.append(fmt),
        )  # fmt: skip
    assert reported == ["pdf"]
    assert (tmp_path / "book.pdf").is_file() and not (tmp_path / "book.epub").exists()


def test_a_renderer_process_that_dies_is_an_error_naming_its_formats(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="html, epub: the renderer process stopped"):
        render_side_by_side(
            ["pdf"], ["html", "epub"], writer(tmp_path, die="html"), lambda f, p: None
        )


def test_without_a_pdf_every_format_renders_here(tmp_path: Path) -> None:
    written = render_side_by_side([], ["html", "epub"], writer(tmp_path), lambda f, p: None)
    assert {int(p.read_text("utf-8")) for p in written.values()} == {os.getpid()}


def test_the_formats_aside_render_at_a_lower_priority_than_the_pdf(tmp_path: Path) -> None:
    """When the cores are busy the PDF, the long one, goes first."""

    def niceness(fmt: str) -> Path:
        return tmp_path / f"{fmt}-{os.getpriority(os.PRIO_PROCESS, 0)}"

    here = os.getpriority(os.PRIO_PROCESS, 0)
    written = render_side_by_side(["pdf"], ["html", "epub"], niceness, lambda f, p: None)
    aside = min(19, here + sidecar.CHILD_NICENESS)
    assert written == {
        "pdf": tmp_path / f"pdf-{here}",
        "html": tmp_path / f"html-{aside}",
        "epub": tmp_path / f"epub-{aside}",
    }
    assert os.getpriority(os.PRIO_PROCESS, 0) == here


def test_a_watcher_that_cannot_read_the_childs_message_is_an_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(self: object) -> object:
        raise ValueError("a message cut off half-way")

    monkeypatch.setattr("multiprocessing.connection.Connection.recv", unreadable)
    with pytest.raises(RenderError, match="the renderer process stopped before writing it"):
        render_side_by_side(["pdf"], ["html", "epub"], writer(tmp_path), lambda f, p: None)
    assert (tmp_path / "book.pdf").is_file()


def test_a_watcher_that_ends_without_a_word_is_an_error_naming_the_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sidecar._Watcher, "run", lambda self: None)  # its thread failed at once
    with pytest.raises(RenderError, match="html: the renderer process stopped before writing it"):
        render_side_by_side(["pdf"], ["html", "epub"], writer(tmp_path), lambda f, p: None)
