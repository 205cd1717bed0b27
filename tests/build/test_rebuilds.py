"""Rebuilds: what re-renders, what is recomputed (corrupt objects, takes, changed files),
and one build at a time."""

from __future__ import annotations

import os
import shutil
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.build.pool import ProviderPool
from bookbuild.build.runner import StepRunner
from bookbuild.cli.commands import main
from bookbuild.errors import BuildFailed, StoreError
from bookbuild.graph.plan import plan_book
from bookbuild.media.images import encode_png, image_size
from bookbuild.project import Project, load_spec
from bookbuild.store.buildlock import exclusive_build
from bookbuild.store.lock import Lock
from bookbuild.store.objects import Store
from tests.conftest import copy_sample

HTML = MakeOptions(formats=("html",))


def _edit(spec: Path, old: str, new: str) -> None:
    text = spec.read_text(encoding="utf-8")
    assert old in text
    spec.write_text(text.replace(old, new), encoding="utf-8")


def test_cover_caption_change_rerenders_outputs(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    spec = folder / "book.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8")
        + 'cover: {prompt: "a fox at a lighthouse", seed: 7, caption: "Cover one"}\n',
        encoding="utf-8",
    )
    make(Project.open(folder, draft=True), HTML)
    _edit(spec, "Cover one", "Cover two")
    summary = make(Project.open(folder, draft=True), HTML)
    assert summary.rendered
    assert "Cover two" in (folder / "build" / "index.html").read_text(encoding="utf-8")


def test_renamed_chapter_and_illustration_ids_rerender_outputs(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), HTML)
    _edit(folder / "book.yaml", "id: keeper", "id: warden")
    summary = make(Project.open(folder, draft=True), HTML)
    assert not summary.called  # every result is reused by key...
    assert summary.rendered  # ...but the pages carry the ids, so they are rendered again
    html = (folder / "build" / "index.html").read_text(encoding="utf-8")
    assert 'data-chapter="warden"' in html
    assert 'data-chapter="keeper"' not in html


def test_corrupt_pinned_object_is_recomputed_when_outputs_are_rendered(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), HTML)
    lock = Lock.load(folder / ".bookbuild" / "draft.lock")
    store = Store(folder / ".bookbuild" / "drafts")
    digest = lock.entries["storm/text"].digest
    path = store.path(digest)
    path.chmod(0o644)
    path.write_bytes(b"garbage")
    shutil.rmtree(folder / "build")  # every step is pinned, but the outputs must be rendered
    events: list[Event] = []
    summary = make(Project.open(folder, draft=True), HTML, events.append)
    assert any(e.kind == "object_corrupt" for e in events)
    assert summary.called == ["storm/text"]
    assert summary.rendered
    assert store.get(digest)  # recomputed, identical (the draft is deterministic)


def test_locked_build_never_calls_a_model_for_a_corrupt_pinned_object(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), HTML)
    lock_path = folder / ".bookbuild" / "draft.lock"
    before = lock_path.read_bytes()
    digest = Lock.load(lock_path).entries["storm/text"].digest
    path = Store(folder / ".bookbuild" / "drafts").path(digest)
    path.chmod(0o644)
    path.write_bytes(b"garbage")
    shutil.rmtree(folder / "build")
    events: list[Event] = []
    locked = MakeOptions(formats=("html",), locked=True)
    with pytest.raises(BuildFailed, match="storm/text: --locked"):
        make(Project.open(folder, draft=True), locked, events.append)
    assert not [e for e in events if e.kind == "step_started"]
    assert lock_path.read_bytes() == before


def test_draft_images_keep_the_presets_size_and_negative_prompt(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)  # painter: 768x512
    only = MakeOptions(formats=("html",), only="keeper/tower/image")
    make(Project.open(folder, draft=True), only)
    digest = Lock.load(folder / ".bookbuild" / "draft.lock").entries["keeper/tower/image"].digest
    png = Store(folder / ".bookbuild" / "drafts").get(digest)
    assert image_size(png) == (768, 512)
    step = plan_book(load_spec(folder), draft=True).steps["keeper/tower/image"]
    assert step.params["negative_prompt"] == "blurry, text, watermark"


def test_bumping_take_paints_a_new_picture(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    only = MakeOptions(formats=("html",), only="keeper/tower/image")
    lock_path = folder / ".bookbuild" / "draft.lock"
    make(Project.open(folder, draft=True), only)
    first = Lock.load(lock_path).entries["keeper/tower/image"]
    _edit(folder / "book.yaml", "seed: 3\n", "seed: 3\n        take: 2\n")
    summary = make(Project.open(folder, draft=True), only)
    second = Lock.load(lock_path).entries["keeper/tower/image"]
    assert summary.called == ["keeper/tower/image"]
    assert second.digest != first.digest
    _edit(folder / "book.yaml", "take: 2", "take: 1")  # the old take is still stored
    assert not make(Project.open(folder, draft=True), only).called
    assert Lock.load(lock_path).entries["keeper/tower/image"] == first


def test_mask_file_changed_after_planning_is_refused_not_stored_under_the_old_key(
    tmp_path: Path,
) -> None:
    folder = copy_sample("hare-and-tortoise", tmp_path)
    project = Project.open(folder, draft=True)
    graph = plan_book(project.spec, draft=True)
    step = graph.steps["race/challenge/edit-1"]
    assert "mask" in dict(step.files)
    mask = folder / "masks" / "scarf.png"
    mask.write_bytes(encode_png(Image.new("L", (64, 64), 255)))  # edited while the build runs
    pool = ProviderPool(graph.presets, {}, 1, lambda event: None)
    base = encode_png(Image.new("RGB", (64, 64), (10, 20, 30)))
    journal = project.store.journal("0" * 64)
    with pytest.raises(StoreError, match="changed during the build"):
        StepRunner(project.spec, pool).run(step, {"image": base}, journal)


def test_outputs_and_lock_are_readable_by_others(english_book: Path) -> None:
    old = os.umask(0o022)
    try:
        make(Project.open(english_book, draft=True), MakeOptions(formats=("html",)))
    finally:
        os.umask(old)
    for path in [
        english_book / "build" / "index.html",
        english_book / ".bookbuild" / "draft.lock",
        *(english_book / "build" / "assets").iterdir(),
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_a_second_build_waits_for_the_first_and_calls_nothing(english_book: Path) -> None:
    options = MakeOptions(formats=("html",))
    events: list[Event] = []
    results: list[int] = []
    held = threading.Event()
    release = threading.Event()

    def first() -> None:
        with exclusive_build(english_book / ".bookbuild", lambda owner: None):
            held.set()
            release.wait(10)
            results.append(len(make_unlocked().called))

    def make_unlocked() -> object:
        from bookbuild.build.make import Build

        return Build(Project.open(english_book, draft=True), options, lambda e: None).run()

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    timer = threading.Timer(0.3, release.set)
    timer.start()
    second = make(Project.open(english_book, draft=True), options, events.append)
    thread.join()
    assert any(e.kind == "build_waiting" for e in events)
    assert results == [7] and second.called == []


def test_missing_glyph_fails_before_any_output_is_written(english_book: Path) -> None:
    chapter = english_book / "chapters" / "keeper.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n\U000e01f0\U0010fffd\n", "utf-8")
    result = CliRunner().invoke(main, ["make", str(english_book), "--draft"])
    assert result.exit_code == 2  # the author's own text: an input error, found before any call
    assert "U+10FFFD" in result.output
    assert not (english_book / "build" / "index.html").exists()
