"""A finished command exits without the interpreter's teardown, but as `sys.exit` would:
its code, its output flushed, its exit handlers run, its other threads waited for."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROGRAM = """
import atexit, sys, threading, time
from bookbuild.cli.entry import _exit_now
atexit.register(lambda: print("exit handler ran", flush=False))
def late():
    time.sleep(0.2)
    print("thread finished", flush=False)
threading.Thread(target=late).start()
print("buffered output", end="; ", flush=False)
_exit_now({code})
"""


@pytest.mark.parametrize(("code", "returncode"), [("None", 0), ("0", 0), ("2", 2), ("1", 1)])
def test_the_exit_keeps_the_code_the_output_the_handlers_and_the_threads(
    code: str, returncode: int
) -> None:
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROGRAM.format(code=code))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == returncode
    assert run.stdout == "buffered output; thread finished\nexit handler ran\n"
    assert run.stderr == ""


def test_an_exit_with_a_message_prints_it_and_exits_1() -> None:
    program = "from bookbuild.cli.entry import _exit_now\n_exit_now('stopped: no book here')\n"
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
    )
    assert (run.returncode, run.stderr) == (1, "stopped: no book here\n")
