"""Render formats side by side: the PDF (WeasyPrint, the long one) in this process while the
HTML site and the EPUB are made in a forked child process, on the machine's other core.

The child inherits the book view by fork (nothing is copied up front; its pages are shared until
written), renders its formats one after the other and sends back each one's path or error. A
format's `done` callback runs, in this process, as soon as that format is written; errors are
raised after every format has finished, the first one in format order."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

from bookbuild.errors import RenderError

CHILD_NICENESS = 10
"""How much lower the HTML and EPUB child's priority is than the PDF's (see `_child`)."""
Render = Callable[[str], Path]
Done = Callable[[str, Path], None]
Started = Callable[[str], None]


def render_side_by_side(
    here: Sequence[str],
    aside: Sequence[str],
    render: Render,
    done: Done,
    started: Started = lambda fmt: None,
) -> dict[str, Path]:
    """Render `here` in this process and `aside` in a child process (in this process when the
    machine has one core or cannot fork); `started` and `done` are called in this process as
    each format starts and is written."""
    if not aside or not here or not _can_fork():
        return {fmt: _one(fmt, render, done, started) for fmt in (*here, *aside)}
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_child, args=(list(aside), render, sending), daemon=True
    )
    _start_without_ctrl_c(child)
    sending.close()
    watcher = _Watcher(receiving, list(aside), done, started)
    watcher.start()
    written: dict[str, Path] = {}
    errors: dict[str, BaseException] = {}
    try:
        for fmt in here:
            try:
                written[fmt] = _one(fmt, render, done, started)
            except Exception as exc:
                errors[fmt] = exc
                break
        watcher.join()
    except BaseException:  # Ctrl-C reaches this process only: it stops the child's formats
        child.terminate()
        raise
    finally:
        watcher.join()
        child.join()
        receiving.close()
    written.update(watcher.written)
    errors.update(watcher.errors)
    order = [*here, *aside]
    unwritten = [fmt for fmt in order if fmt not in written]
    if unwritten and not errors:  # the watcher ended early (its thread failed): never a KeyError
        errors[unwritten[0]] = _stopped(unwritten[:1])
    for fmt in sorted(errors, key=order.index):
        raise errors[fmt]
    return written


def _start_without_ctrl_c(child: multiprocessing.process.BaseProcess) -> None:
    """Fork the child with SIGINT blocked, so a Ctrl-C during the fork cannot interrupt it
    half-way (a traceback from its start-up code); the child ignores SIGINT (see `_child`) and
    this process, which handles Ctrl-C, terminates it."""
    blocked = {signal.SIGINT}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        child.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _can_fork() -> bool:
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


def _one(fmt: str, render: Render, done: Done, started: Started) -> Path:
    started(fmt)
    path = render(fmt)
    done(fmt, path)
    return path


def _child(formats: list[str], render: Render, sending: Connection) -> None:
    """In the child: each format in turn; after an error, the others are not started. At a
    lower priority than the PDF (CHILD_NICENESS): when the cores are busy, the PDF, the long
    one, goes first; with a core of its own the child runs as fast."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    for fmt in formats:
        try:
            sending.send((fmt, "started", None))
            sending.send((fmt, "ok", render(fmt)))
        except Exception as exc:
            sending.send((fmt, "error", _portable(exc)))
            break
    sending.close()


def _stopped(formats: list[str]) -> RenderError:
    return RenderError(f"{', '.join(formats)}: the renderer process stopped before writing it")


def _portable(exc: Exception) -> Exception:
    """The error itself when it survives pickling, else a RenderError with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RenderError(f"{type(exc).__name__}: {exc}")
    return exc


class _Watcher(threading.Thread):
    """Receives the child's results and reports each format as it is written."""

    def __init__(
        self, receiving: Connection, formats: list[str], done: Done, started: Started
    ) -> None:
        super().__init__(daemon=True)
        self.receiving = receiving
        self.formats = formats
        self.done = done
        self.started = started
        self.written: dict[str, Path] = {}
        self.errors: dict[str, BaseException] = {}

    def run(self) -> None:
        while len(self.written) < len(self.formats):
            try:
                fmt, status, value = self.receiving.recv()
            except Exception:  # closed, or cut off mid-message (the child was killed)
                break
            if status == "error":
                self.errors[fmt] = value
                return
            try:
                if status == "started":
                    self.started(fmt)
                    continue
                self.written[fmt] = value
                self.done(fmt, value)
            except Exception as exc:
                self.errors[fmt] = exc
                return
        missing = [f for f in self.formats if f not in self.written and f not in self.errors]
        if missing and not self.errors:
            self.errors[missing[0]] = _stopped(missing)
