"""`bookbuild push`, `pull`, `status --remote` and `make --locked` with a remote store, as a
user runs them (a child process, the real command line, moto's S3 server on 127.0.0.1)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_team_remote import SPEC
from tests.fakes.s3_server import FakeS3
from tests.fakes.sdapi_server import FakeSDAPI


@pytest.fixture
def s3() -> Iterator[FakeS3]:
    with FakeS3() as server:
        yield server


def run(s3: FakeS3, fake: FakeSDAPI, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **s3.env, **fake.env}
    return subprocess.run(
        [sys.executable, "-m", "bookbuild", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def book(folder: Path, store: str) -> Path:
    (folder / "chapters").mkdir(parents=True)
    (folder / "chapters" / "one.md").write_text("One.\n", encoding="utf-8")
    (folder / "book.yaml").write_text(SPEC + store, encoding="utf-8")
    return folder


def test_push_status_and_pull_from_the_command_line(tmp_path: Path, s3: FakeS3) -> None:
    first = book(tmp_path / "a" / "shared", s3.store_yaml(push=False))
    with FakeSDAPI() as fake:
        made = run(s3, fake, "make", str(first), "--plain", "--format", "html")
        assert made.returncode == 0, made.stderr
        status = run(s3, fake, "status", str(first), "--remote")
        assert "5 pinned result(s): 5 in the local store, 0 on the remote" in status.stdout
        pushed = run(s3, fake, "push", str(first))
        assert pushed.returncode == 0, pushed.stderr
        assert "pushed 5 object(s)" in pushed.stdout and "5 record(s)" in pushed.stdout
        assert "5/5 step(s) pushed" in pushed.stderr  # progress
        second = book(tmp_path / "b" / "shared", s3.store_yaml())
        shutil.copy(first / "book.lock", second / "book.lock")
        pulled = run(s3, fake, "pull", str(second), "--only", "one/sky/*")
        assert pulled.returncode == 0 and "pulled 1 result(s)" in pulled.stdout
        locked = run(s3, fake, "make", str(second), "--locked", "--plain", "--format", "html")
        assert locked.returncode == 0, locked.stderr
        assert "0 model call(s)" in locked.stdout, locked.stdout
        assert fake.count("txt2img") == 3  # the first make only
    for out in (made, status, pushed, pulled, locked):
        assert s3.env["AWS_SECRET_ACCESS_KEY"] not in out.stdout + out.stderr


def test_locked_with_the_remote_down_fails_clearly(tmp_path: Path, s3: FakeS3) -> None:
    first = book(tmp_path / "a" / "shared", s3.store_yaml())
    ci = book(tmp_path / "ci" / "shared", s3.store_yaml(timeout=1))
    with FakeSDAPI() as fake:
        assert run(s3, fake, "make", str(first), "--plain", "--format", "html").returncode == 0
        shutil.copy(first / "book.lock", ci / "book.lock")
        s3.down()
        locked = run(s3, fake, "make", str(ci), "--locked", "--plain", "--format", "html")
        assert fake.count("txt2img") == 3
    assert locked.returncode == 1
    assert "--locked needs the remote store" in locked.stderr
    assert "Traceback" not in locked.stderr
    assert s3.env["AWS_SECRET_ACCESS_KEY"] not in locked.stdout + locked.stderr


def test_push_without_a_remote_says_how_to_add_one(tmp_path: Path, s3: FakeS3) -> None:
    folder = book(tmp_path / "solo", "")
    with FakeSDAPI() as fake:
        pushed = run(s3, fake, "push", str(folder))
    assert pushed.returncode == 2
    assert "store: {remote: s3://bucket/prefix}" in pushed.stderr
