"""Issue 23, item 2: `base_url: [server, server]` on an a1111 preset spreads a book's pictures
over two fake web UIs, survives one being stopped mid-build, skips one that is down, and
refuses servers whose checkpoints differ."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import ConfigError
from bookbuild.project import Project
from bookbuild.store.objects import Store
from tests.fakes.a1111_server import FakeA1111, dropped

from .book_helpers import write_book

PICTURES = "".join(
    f'      - {{id: p{n}, prompt: "a lighthouse, picture {n}", seed: {n}}}\n' for n in range(10)
)


def painter(*servers: str) -> str:
    urls = ", ".join(servers)
    return f"{{provider: a1111, model: dreamshaper_8, width: 64, height: 64, base_url: [{urls}]}}"


def build(book: Path, events: list[Event] | None = None) -> list[str]:
    sink = events.append if events is not None else (lambda event: None)
    options = MakeOptions(formats=("html",), jobs=4)
    return sorted(make(Project.open(book, env={}), options, sink).called)


def drawn(fake: FakeA1111) -> int:
    return fake.count("/sdapi/v1/txt2img")


def servers_recorded(book: Path) -> dict[str, int]:
    store, seen = Store(book / ".bookbuild" / "store"), dict[str, int]()
    for key in store.action_keys():
        record = store.lookup(key)
        server = record.metadata.get("server") if record else None
        if server:
            seen[server] = seen.get(server, 0) + 1
    return seen


def test_a_two_server_pool_splits_a_ten_picture_build(tmp_path: Path) -> None:
    with FakeA1111(work_seconds=0.05) as one, FakeA1111(work_seconds=0.05) as two:
        book = write_book(tmp_path, PICTURES, painter(one.base_url, two.base_url))
        assert len(build(book)) == 10
        assert drawn(one) + drawn(two) == 10
        assert drawn(one) >= 2 and drawn(two) >= 2, (drawn(one), drawn(two))
        assert one.max_in_flight == 1 and two.max_in_flight == 1  # each at its concurrency
        assert build(book) == []
    assert servers_recorded(book) == {one.base_url: drawn(one), two.base_url: drawn(two)}


def test_a_server_stopped_mid_build_leaves_its_steps_to_the_other(tmp_path: Path) -> None:
    with FakeA1111(work_seconds=0.05) as one, FakeA1111(work_seconds=0.05) as two:
        book = write_book(tmp_path, PICTURES, painter(one.base_url, two.base_url))
        stop_after(one, pictures=2)
        events: list[Event] = []
        assert len(build(book, events)) == 10
        assert drawn(two) >= 7
    warnings = [e.message for e in events if e.kind == "step_warning"]
    assert any("stopped answering" in w and one.base_url in w for w in warnings), warnings
    assert sum(servers_recorded(book).values()) == 10


def test_a_server_that_is_down_is_skipped_with_a_warning(tmp_path: Path) -> None:
    with FakeA1111() as gone:
        down = gone.base_url  # stopped: nothing listens there any more
    with FakeA1111() as one:
        book = write_book(tmp_path, PICTURES, painter(down, one.base_url))
        events: list[Event] = []
        assert len(build(book, events)) == 10
        assert drawn(one) == 10
    assert any(down in e.message and "skipped" in e.message for e in events)


def test_servers_with_different_checkpoints_are_refused_before_any_picture(
    tmp_path: Path,
) -> None:
    with FakeA1111() as one, OtherCheckpoint() as two:
        book = write_book(tmp_path, PICTURES, painter(one.base_url, two.base_url))
        with pytest.raises(ConfigError, match="servers of this preset differ"):
            build(book)
        assert drawn(one) + drawn(two) == 0


class OtherCheckpoint(FakeA1111):
    """A web UI whose dreamshaper_8 is another file (another hash)."""

    def _sd_models(self, _: Any) -> Any:
        listing = super()._sd_models(_)
        for item in listing:
            if item["model_name"] == "dreamshaper_8":
                item["title"] = "dreamshaper_8.safetensors [0123456789]"
                item["hash"], item["sha256"] = "0123456789", "0" * 64
        return listing


def stop_after(fake: FakeA1111, pictures: int) -> None:
    """Stop `fake` right after it has drawn `pictures` (its next request is cut off)."""
    handle = fake.handle

    def counting(request: Any) -> tuple[int, Any]:
        answer = handle(request)
        if request.path == "/sdapi/v1/txt2img" and drawn(fake) == pictures:
            fake.script("/sdapi/v1/txt2img", dropped())
            threading.Thread(target=fake.stop, daemon=True).start()
        return answer

    fake.handle = counting  # type: ignore[method-assign]


def test_a_pool_whose_first_server_is_down_warns_and_builds_on_the_others(
    tmp_path: Path,
) -> None:
    with FakeA1111() as gone:
        down = gone.base_url
    with FakeA1111() as one:
        book = write_book(tmp_path, PICTURES, painter(down, one.base_url))
        events: list[Event] = []
        assert len(build(book, events)) == 10  # not exit 2: the pool goes on with the others
        assert drawn(one) == 10
    warnings = [e.message for e in events if e.kind == "step_warning"]
    assert sum(down in w and "skipped" in w for w in warnings) == 1, warnings


def test_a_pool_whose_servers_are_all_down_exits_2_naming_each_before_any_step(
    tmp_path: Path,
) -> None:
    with FakeA1111() as first, FakeA1111() as second:
        urls = first.base_url, second.base_url
    book = write_book(tmp_path, PICTURES, painter(*urls))
    events: list[Event] = []
    with pytest.raises(ConfigError) as down:
        build(book, events)
    assert down.value.exit_code == 2
    assert all(url in str(down.value) for url in urls)
    assert not [e for e in events if e.kind == "step_started"]


def test_the_first_server_stopped_mid_build_leaves_its_steps_to_the_second(
    tmp_path: Path,
) -> None:
    with FakeA1111(work_seconds=0.05) as one, FakeA1111(work_seconds=0.05) as two:
        book = write_book(tmp_path, PICTURES, painter(one.base_url, two.base_url))
        stop_after(one, pictures=2)
        events: list[Event] = []
        assert len(build(book, events)) == 10  # the reachability probe must not refuse the pool
        assert drawn(two) >= 7
    assert not [e for e in events if e.kind == "step_failed"]
    assert sum(servers_recorded(book).values()) == 10


def test_a_pooled_submits_intent_names_the_server_it_went_to() -> None:
    from bookbuild.providers.servers import _ServerJournal

    class Recording:
        def __init__(self) -> None:
            self.said: list[str] = []

        def intend(self, what: str) -> None:
            self.said.append(what)

    journal = Recording()
    _ServerJournal(journal, "http://gpu2:7860").intend("a1111 /sdapi/v1/txt2img")  # type: ignore[arg-type]
    assert journal.said == ["a1111 /sdapi/v1/txt2img to http://gpu2:7860"]
