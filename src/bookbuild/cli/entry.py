"""The `bookbuild` command: a `make` with nothing to do is answered from the stamp (stamp.py)
before the command line (click, rich) or the library (pydantic, providers) is imported.

A finished command ends its process without tearing the interpreter down: freeing a large
build's objects one by one (WeasyPrint's boxes, the book's pages and pictures) took 0.4 s after
a cold 60-chapter build had printed its last line. Before it goes, exactly what a normal exit
would do that matters is done: other non-daemon threads are waited for, the exit handlers run
(`atexit`: logging, multiprocessing, temporary folders), stdout and stderr are flushed."""

from __future__ import annotations

import sys
from typing import NoReturn


def main() -> None:
    from bookbuild.build.stamp import try_fast_make

    if try_fast_make(sys.argv[1:]):
        sys.exit(0)
    from bookbuild.cli.commands import main as cli_main

    try:
        cli_main(prog_name="bookbuild", complete_var="_BOOKBUILD_COMPLETE")
    except SystemExit as exc:
        _exit_now(exc.code)


def _exit_now(code: str | int | None) -> NoReturn:
    """Exit with `code` as `sys.exit(code)` would, minus the interpreter's teardown."""
    import atexit
    import os
    import threading

    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # sys.exit("message"): the message, and exit code 1
        code = 1
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`bookbuild ... | head`)
            code = code or 120  # as CPython exits when it cannot flush stdout
    os._exit(code or 0)
