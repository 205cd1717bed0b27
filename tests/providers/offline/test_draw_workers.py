"""Offline pictures drawn in worker processes: the same bytes as drawn in the build's process,
the same errors, Ctrl-C ignored by the workers, and a draft make that uses them pins exactly
what a make drawing in its own process pins."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import ProviderError
from bookbuild.project import Project
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.offline import workers
from bookbuild.providers.offline.drawing import draw
from bookbuild.providers.offline.workers import DrawPool
from bookbuild.spec.masks import mask_png, render_mask
from bookbuild.spec.models import MaskShape
from bookbuild.store.lock import Lock, LockEntry
from tests.conftest import copy_sample

needs_cores = pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="the pool starts only with two cores or more"
)


def requests() -> list[ImageRequest]:
    first = draw(ImageRequest(step_id="a/image", op="txt2img", prompt="hills", seed=3))
    mask = mask_png(render_mask(MaskShape(rect=(0.0, 0.6, 1.0, 1.0)), (512, 512), Path(".")))
    return [
        ImageRequest(step_id=f"c{n}/image", op="txt2img", prompt=f"scene {n}", seed=n)
        for n in range(4)
    ] + [
        ImageRequest(step_id="a/edit", op="inpaint", prompt="flowers", image=first.png, mask=mask),
        ImageRequest(step_id="a/up", op="upscale", image=first.png, params={"scale": 2}),
    ]


@needs_cores
def test_pictures_drawn_in_workers_have_the_bytes_drawn_here() -> None:
    pool = DrawPool()
    pool.expect(workers.PARALLEL_FROM)
    try:
        assert pool.running
        with ThreadPoolExecutor(4) as threads:
            drawn = list(threads.map(pool.draw, requests()))
    finally:
        pool.close()
    assert not pool.running
    assert drawn == [draw(request) for request in requests()]


def test_few_pictures_are_drawn_in_this_process() -> None:
    pool = DrawPool()
    pool.expect(workers.PARALLEL_FROM - 1)
    assert not pool.running
    assert pool.draw(requests()[0]) == draw(requests()[0])


@needs_cores
def test_a_workers_error_is_the_providers_own() -> None:
    pool = DrawPool()
    pool.expect(workers.PARALLEL_FROM)
    bad = ImageRequest(step_id="a/up", op="upscale", params={"scale": 2})
    try:
        with pytest.raises(ProviderError) as raised:
            pool.draw(bad)
    finally:
        pool.close()
    with pytest.raises(ProviderError) as here:
        draw(bad)
    assert str(raised.value) == str(here.value)
    assert raised.value.step_id == "a/up" and raised.value.provider == "offline"
    assert "needs an input image" in str(raised.value)


@needs_cores
def test_workers_ignore_ctrl_c_and_a_dead_worker_falls_back_here() -> None:
    pool = DrawPool()
    pool.expect(workers.PARALLEL_FROM)
    try:
        request = requests()[0]
        assert pool.draw(request) == draw(request)  # the workers are up
        executor = pool._executor
        assert executor is not None
        pids = list(executor._processes)
        os.kill(pids[0], signal.SIGINT)
        assert [pool.draw(r) for r in requests()[:3]] == [draw(r) for r in requests()[:3]]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        assert pool.draw(requests()[1]) == draw(requests()[1])  # drawn here instead
        assert not pool.running
    finally:
        pool.close()


def pinned(folder: Path) -> dict[str, LockEntry]:
    return Lock.load(folder / ".bookbuild" / "draft.lock").entries


@needs_cores
def test_a_draft_make_drawing_in_workers_pins_what_one_drawing_here_pins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = copy_sample("hare-and-tortoise", tmp_path / "here")
    there = copy_sample("hare-and-tortoise", tmp_path / "there")
    monkeypatch.setattr(workers, "PARALLEL_FROM", 10_000)
    make(Project.open(here, draft=True), MakeOptions(formats=("html",)))
    started: list[bool] = []
    expect = DrawPool.expect

    def watched(pool: DrawPool, pictures: int) -> None:
        expect(pool, pictures)
        started.append(pool.running)

    monkeypatch.setattr(workers, "PARALLEL_FROM", 2)
    monkeypatch.setattr(DrawPool, "expect", watched)
    make(Project.open(there, draft=True), MakeOptions(formats=("html",)))
    assert True in started  # the preset drawing most pictures drew them in workers
    assert pinned(here) == pinned(there)


@needs_cores
def test_workers_do_not_run_the_programs_main_module_again(tmp_path: Path) -> None:
    """A script calling make() without `if __name__ == "__main__"` (a spawned worker would run
    it again, and wait forever for the build lock its parent holds)."""
    book = copy_sample("hare-and-tortoise", tmp_path)
    script = tmp_path / "build_it.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path
            from bookbuild.build.make import MakeOptions, make
            from bookbuild.providers.offline import workers
            from bookbuild.project import Project
            workers.PARALLEL_FROM = 2
            make(Project.open(Path({str(book)!r}), draft=True), MakeOptions(formats=("html",)))
            print("built")
            """
        ),
        "utf-8",
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=240, check=True
    )
    assert out.stdout.count("built") == 1


@needs_cores
def test_the_workers_are_gone_before_the_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They hold memory the render (WeasyPrint, the print images) needs more."""
    from bookbuild.build import make as make_module

    book = copy_sample("hare-and-tortoise", tmp_path)
    monkeypatch.setattr(workers, "PARALLEL_FROM", 2)
    during: list[int] = []
    running: list[bool] = []
    expect, assemble = DrawPool.expect, make_module.assemble_book

    def watched(pool: DrawPool, pictures: int) -> None:
        expect(pool, pictures)
        running.append(pool.running)
        during.append(len(multiprocessing.active_children()))

    def assembled(*args: Any, **kwargs: Any) -> Any:
        during.append(len(multiprocessing.active_children()))
        return assemble(*args, **kwargs)

    monkeypatch.setattr(DrawPool, "expect", watched)
    monkeypatch.setattr(make_module, "assemble_book", assembled)
    make(Project.open(book, draft=True), MakeOptions(formats=("html",)))
    assert True in running and max(during[:-1]) >= 2  # the workers ran
    assert during[-1] == 0  # and were closed before the book was assembled for the render
