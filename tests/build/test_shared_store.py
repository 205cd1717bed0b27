"""Issue 19, item 15: two books sharing one store (a symlink) never build at the same time:
the second waits for the store's lock and then pins what the first paid for. Two real child
processes against one slow fake service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.sdapi_server import FakeSDAPI
from tests.helpers.waiting import wait_until

PICTURES = 4
SPEC = (
    "title: Shared\nauthors: [Ann]\nlanguage: en\n"
    "models:\n  painter: {provider: sdapi, model: sdxl, width: 64, height: 64}\n"
    "defaults: {image: painter}\n"
    "chapters:\n  - id: one\n    title: One\n    text: Hello.\n    illustrations:\n"
    + "".join(
        f'      - id: p{n}\n        prompt: "picture {n}"\n        seed: {n}\n' for n in range(4)
    )
)


def _book(folder: Path, store: Path) -> Path:
    (folder / ".bookbuild").mkdir(parents=True)
    (folder / ".bookbuild" / "store").symlink_to(store, target_is_directory=True)
    (folder / "book.yaml").write_text(SPEC, encoding="utf-8")
    return folder


def test_two_books_sharing_a_store_pay_once_for_the_steps_they_share(tmp_path: Path) -> None:
    store = tmp_path / "shared-store"
    store.mkdir()
    books = [_book(tmp_path / name, store) for name in ("first", "second")]
    with FakeSDAPI() as fake:
        fake.timed(latency=0.05, service_time=3.0)  # each picture takes a while to be ready
        env = {
            **os.environ,
            **fake.env,
            "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
        }
        command = [sys.executable, "-m", "bookbuild", "make", "--format", "html", "--plain"]
        builds = [_start([*command, str(books[0])], env)]
        wait_until(lambda: fake.count("submit") >= 1, "the first build to hold the store")
        builds.append(_start([*command, str(books[1])], env))
        outputs = [build.communicate(timeout=300)[0].decode() for build in builds]
        paid = len(fake.paid)
    assert [build.returncode for build in builds] == [0, 0], outputs
    assert paid == PICTURES  # not 2 x PICTURES
    assert any("another build using this book's store is running" in o for o in outputs)
    for book in books:
        assert (book / "book.lock").read_text(encoding="utf-8").count("/image") == PICTURES


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
