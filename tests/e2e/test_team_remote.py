"""Issue 23, item 1: two clones of one book share their pictures through a real S3-compatible
server (moto's server mode on 127.0.0.1): what one paid for, the other fetches, verified."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.build.sync import pull_book, push_book, remote_status
from bookbuild.errors import StoreError
from bookbuild.project import Project
from tests.fakes.s3_server import FakeS3
from tests.fakes.sdapi_server import FakeSDAPI

SPEC = """\
title: Shared
language: en
models:
  painter: {provider: sdapi, model: sdxl, width: 512, height: 512}
defaults: {image: painter}
chapters:
  - id: one
    title: One
    file: chapters/one.md
    illustrations:
      - {id: hill, prompt: "a green hill", seed: 5, edits: [{upscale: {scale: 2}}]}
      - {id: sea, prompt: "a grey sea", seed: 6}
      - {id: sky, prompt: "a red sky", seed: 7}
"""


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> FakeS3:
    with FakeS3() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


def clone(folder: Path, s3: FakeS3, **store: object) -> Path:
    """A book folder (one 'git clone': book.yaml and the chapter, no store)."""
    folder = folder / "shared"
    (folder / "chapters").mkdir(parents=True)
    (folder / "chapters" / "one.md").write_text("One.\n", encoding="utf-8")
    (folder / "book.yaml").write_text(SPEC + s3.store_yaml(**store), encoding="utf-8")
    return folder


def build(
    book: Path, fake: FakeSDAPI, events: list[Event] | None = None, **opts: object
) -> list[str]:
    options = MakeOptions(formats=("html",), jobs=2, **opts)  # type: ignore[arg-type]
    sink = events.append if events is not None else (lambda event: None)
    return sorted(make(Project.open(book, env=fake.env), options, sink).called)


def paid(fake: FakeSDAPI) -> int:
    return fake.count("txt2img") + fake.count("upscale")


def test_a_second_clone_builds_from_the_remote_with_no_model_call(
    tmp_path: Path, s3: FakeS3
) -> None:
    first, second = clone(tmp_path / "a", s3), clone(tmp_path / "b", s3)
    with FakeSDAPI() as fake:
        assert len(build(first, fake)) == 4
        assert paid(fake) == 4
        shutil.copy(first / "book.lock", second / "book.lock")  # `git pull` of the lock
        events: list[Event] = []
        assert build(second, fake, events) == []
        assert paid(fake) == 4  # nothing paid twice
    for name in ("book.lock", "build/index.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    assert any(e.kind == "remote_done" and "fetched 5 result(s)" in e.message for e in events)


def test_a_teammates_identical_step_is_a_hit_even_unpinned(tmp_path: Path, s3: FakeS3) -> None:
    first, second = clone(tmp_path / "a", s3), clone(tmp_path / "b", s3)
    with FakeSDAPI() as fake:
        build(first, fake)
        assert build(second, fake) == []  # no lock copied: the action records answer
        assert paid(fake) == 4
    assert Project.open(first).load_lock().entries == Project.open(second).load_lock().entries


def test_locked_in_a_clone_without_a_store_succeeds_from_the_remote(
    tmp_path: Path, s3: FakeS3
) -> None:
    first, ci = clone(tmp_path / "a", s3), clone(tmp_path / "ci", s3)
    with FakeSDAPI() as fake:
        build(first, fake)
        shutil.copy(first / "book.lock", ci / "book.lock")
        assert build(ci, fake, locked=True) == []
        assert paid(fake) == 4
    assert (first / "build/index.html").read_bytes() == (ci / "build/index.html").read_bytes()


def test_locked_fails_clearly_when_the_remote_is_down(tmp_path: Path, s3: FakeS3) -> None:
    first, ci = clone(tmp_path / "a", s3), clone(tmp_path / "ci", s3)
    with FakeSDAPI() as fake:
        build(first, fake)
        shutil.copy(first / "book.lock", ci / "book.lock")
        s3.down()
        with pytest.raises(StoreError, match="--locked needs the remote store") as caught:
            build(ci, fake, locked=True)
        assert paid(fake) == 4
    assert s3.env["AWS_SECRET_ACCESS_KEY"] not in str(caught.value)


def test_a_remote_that_is_down_degrades_to_local_work_with_one_warning(
    tmp_path: Path, s3: FakeS3
) -> None:
    book = clone(tmp_path / "a", s3, timeout=1)
    s3.down()
    events: list[Event] = []
    with FakeSDAPI() as fake:
        assert len(build(book, fake, events)) == 4
    warnings = [e for e in events if e.kind == "remote_warning"]
    assert len(warnings) == 1, warnings
    assert "Building locally" in warnings[0].message
    assert s3.env["AWS_SECRET_ACCESS_KEY"] not in warnings[0].message


def test_a_slow_remote_degrades_to_local_work_and_nothing_is_paid_twice(
    tmp_path: Path, s3: FakeS3
) -> None:
    first, second = clone(tmp_path / "a", s3), clone(tmp_path / "b", s3, timeout=0.5)
    with FakeSDAPI() as fake:
        build(first, fake)
        s3.inject("slow", delay=3)
        events: list[Event] = []
        assert len(build(second, fake, events)) == 4  # gave up waiting: built locally
        assert [e.kind for e in events].count("remote_warning") == 1
        s3.heal()
        assert build(second, fake) == []  # and its own results are not paid for again


def test_push_pull_and_status_move_the_pinned_results(tmp_path: Path, s3: FakeS3) -> None:
    first = clone(tmp_path / "a", s3, push=False)  # make only reads; push is explicit
    with FakeSDAPI() as fake:
        build(first, fake)
    assert s3.names("objects/") == []
    places = remote_status(Project.open(first), remote=True)
    assert len(places) == 5  # four pictures and the chapter's text
    assert not any(p.remote for p in places) and all(p.local for p in places)
    report = push_book(Project.open(first))
    assert report.counts.pushed == 5 and report.counts.records == 5
    again = push_book(Project.open(first))  # idempotent: nothing sent twice
    assert again.counts.pushed == 0 and again.counts.present == 5
    assert all(p.remote for p in remote_status(Project.open(first), remote=True))
    second = clone(tmp_path / "b", s3)
    shutil.copy(first / "book.lock", second / "book.lock")
    pulled = pull_book(Project.open(second), only="one/hill/*")
    assert pulled.counts.fetched == 2 and not pulled.absent_there
    places = remote_status(Project.open(second), remote=True)
    assert sorted(p.step_id for p in places if p.local) == ["one/hill/edit-1", "one/hill/image"]
    assert pull_book(Project.open(second)).counts.fetched == 3


def test_a_corrupt_remote_picture_is_made_again_once_and_the_remote_repaired(
    tmp_path: Path, s3: FakeS3
) -> None:
    first, second = clone(tmp_path / "a", s3), clone(tmp_path / "b", s3)
    with FakeSDAPI() as fake:
        build(first, fake)
        sea = Project.open(first).load_lock().entries["one/sea/image"]
        name = next(n for n in s3.names("/objects/") if n.endswith(sea.digest[7:]))
        s3.write(name, s3.read(name)[:100])  # truncated
        events: list[Event] = []
        assert build(second, fake, events) == ["one/sea/image"]  # only the refused one
        assert paid(fake) == 5
        assert [e.kind for e in events].count("remote_corrupt") == 1
        assert Project.open(second).store.verify() == []
        third = clone(tmp_path / "c", s3)
        assert build(third, fake) == []  # the second clone's push mended the remote
        assert paid(fake) == 5


def test_a_remote_refusing_uploads_warns_once_and_push_catches_up(
    tmp_path: Path, s3: FakeS3
) -> None:
    book = clone(tmp_path / "a", s3)
    s3.inject("500", method="PUT")
    events: list[Event] = []
    with FakeSDAPI() as fake:
        assert len(build(book, fake, events)) == 4
    assert [e.kind for e in events].count("remote_warning") == 1
    s3.heal()
    report = push_book(Project.open(book))
    assert report.counts.pushed == 5 and not report.absent_here
