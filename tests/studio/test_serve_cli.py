"""`bookbuild serve` from the command line: binds 127.0.0.1, says where, serves the board."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import BUILD_STATE
from tests.studio.conftest import SAMPLES


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_binds_loopback_and_serves_the_studio(tmp_path: Path) -> None:
    root = tmp_path / "book"
    shutil.copytree(SAMPLES / "lighthouse-fox", root, ignore=BUILD_STATE)
    port = free_port()
    command = [sys.executable, "-m", "bookbuild.cli.commands", "serve", str(root), "--draft"]
    child = subprocess.Popen(
        [*command, "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stderr is not None
        line = child.stderr.readline()
        assert line.startswith(f"bookbuild studio: http://127.0.0.1:{port}/"), line
        board = requests.get(f"http://127.0.0.1:{port}/board", timeout=60)
        assert board.status_code == 200
        assert "keeper/tower" in board.text
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert listening[3] == f"127.0.0.1:{port}"  # the local address: loopback only
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=60)
    assert child.returncode == 0


def test_serve_stays_up_on_a_broken_book_and_recovers_when_it_is_fixed(tmp_path: Path) -> None:
    root = tmp_path / "book"
    shutil.copytree(SAMPLES / "lighthouse-fox", root, ignore=BUILD_STATE)
    good = (root / "book.yaml").read_text(encoding="utf-8")
    (root / "book.yaml").write_text(good.replace("chapters:\n", "chapters: 3\n", 1), "utf-8")
    port = free_port()
    command = [sys.executable, "-m", "bookbuild.cli.commands", "serve", str(root), "--draft"]
    child = subprocess.Popen(
        [*command, "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stderr is not None
        first = child.stderr.readline()
        assert first.startswith(f"bookbuild studio: http://127.0.0.1:{port}/"), first
        lines = [child.stderr.readline() for _ in range(4)]
        said = "".join(lines)
        assert "book.yaml has errors" in said and "book.yaml:" in said, said
        while "build failed" not in said:
            said += child.stderr.readline()
        board = requests.get(f"http://127.0.0.1:{port}/board", timeout=60)
        assert board.status_code == 200 and "cannot be read" in board.text
        (root / "book.yaml").write_text(good, "utf-8")
        while "built:" not in said:  # the watcher rebuilds: start, then end
            said += child.stderr.readline()
        assert "rebuilding (saved: book.yaml)" in said
        assert "keeper/tower" in requests.get(f"http://127.0.0.1:{port}/board", timeout=60).text
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=60)
    assert child.returncode == 0


def test_serve_without_a_book_is_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bookbuild.cli.commands", "serve", str(tmp_path), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "no book.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_exit_2_with_advice(tmp_path: Path) -> None:
    root = tmp_path / "book"
    shutil.copytree(SAMPLES / "lighthouse-fox", root, ignore=BUILD_STATE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bookbuild.cli.commands",
                "serve",
                str(root),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "--port" in done.stderr
