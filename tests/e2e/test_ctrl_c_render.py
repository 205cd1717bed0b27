"""Issue 19, item 17: Ctrl-C while the book is being rendered (a real child `bookbuild make`,
SIGINT) stops the render and exits 130; it used to say "finishing the steps in flight", render
every format and exit 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import copy_sample


def test_ctrl_c_during_the_render_stops_it_and_exits_130(tmp_path: Path) -> None:
    folder = copy_sample("hare-and-tortoise", tmp_path)
    command = [sys.executable, "-m", "bookbuild", "make", str(folder), "--draft", "--plain"]
    child = subprocess.Popen(
        [*command, "--format", "html,pdf,epub"],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert child.stdout is not None
        lines.extend(child.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while not any(line.startswith("render") for line in lines) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert any(line.startswith("render") for line in lines), "".join(lines)
    child.send_signal(signal.SIGINT)
    code = child.wait(timeout=120)
    reader.join(timeout=10)
    shown = "".join(lines)
    assert code == 130, shown
    assert "stopped by Ctrl-C while rendering" in shown and "Traceback" not in shown
    assert "finishing the steps in flight" not in shown
    assert not (folder / "build" / "hare-and-tortoise.pdf").exists()  # the long one, here
