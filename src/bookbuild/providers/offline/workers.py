"""Offline pictures drawn on every core: a pool of worker processes for a build that draws many.

Drawing a draft picture is CPU-bound Python and Pillow work; the build's step threads share one
interpreter lock, so a cold draft of a large book would draw on one core. When a build expects
at least `PARALLEL_FROM` offline pictures (and the machine has more than one core), the
provider draws them in worker processes instead, one per core, while the build's own threads
store and pin the results. A picture is drawn by the same function (`drawing.draw`) either way,
so it has the same bytes.

The workers are forked when the build says how many pictures it will draw (`expect`), from the
thread that runs the build, before its step threads start (so no step holds a lock a worker
could need), and never re-run the program's main module (a spawned worker would). Other threads
of the process (the studio's server, the progress display's refresh) may exist: a worker only
draws (Pillow and the drawing modules, imported before the fork; Python resets its import lock
in the child), so no lock those threads hold is ever needed in it. They ignore
Ctrl-C (the build stops gently and closes them); a worker that dies makes the pool fall back to
drawing in the build's process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

from bookbuild.errors import BookbuildError, ProviderError
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.offline.drawing import NAME, Drawn, draw
from bookbuild.store.journal import NullJournal

PARALLEL_FROM = 6
"""Fewer expected offline pictures than this are drawn in the build's process (a worker pool's
start, about half a second of CPU once per process, would cost more than it saves)."""


@dataclass(frozen=True)
class _Failed:
    """A BookbuildError raised in a worker, sent back as data (its class and message)."""

    kind: type[BookbuildError]
    message: str

    def error(self, step_id: str) -> BookbuildError:
        if issubclass(self.kind, ProviderError):
            return ProviderError(self.message, provider=NAME, step_id=step_id)
        return self.kind(self.message)


def _draw_in_worker(request: ImageRequest) -> Drawn | _Failed:
    try:
        return draw(request)
    except ProviderError as exc:
        return _Failed(ProviderError, exc.message)
    except BookbuildError as exc:
        return _Failed(type(exc), str(exc))


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build stops gently and closes the pool


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class DrawPool:
    """Worker processes drawing offline pictures; `draw` falls back to this process when the
    pool was not started (few pictures, one core, no `fork`) or broke."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._guard = threading.Lock()

    @property
    def running(self) -> bool:
        return self._executor is not None

    def expect(self, pictures: int) -> None:
        """Start the workers (without waiting for them) when `pictures` make it worth it."""
        workers = _cores()
        methods = multiprocessing.get_all_start_methods()
        if pictures < PARALLEL_FROM or workers < 2 or "fork" not in methods:
            return
        with self._guard:
            if self._executor is not None:
                return
            context = multiprocessing.get_context("fork")
            self._executor = ProcessPoolExecutor(workers, context, initializer=_ignore_ctrl_c)
            self._executor.submit(int)  # forks every worker now, from this thread

    def draw(self, request: ImageRequest) -> Drawn:
        """The finished picture of `request`, drawn in a worker when the pool runs."""
        with self._guard:
            executor = self._executor
        if executor is None:
            return draw(request)
        try:
            future: Future[Drawn | _Failed] = executor.submit(
                _draw_in_worker, replace(request, journal=NullJournal())
            )
            result = future.result()
        except (BrokenProcessPool, CancelledError, RuntimeError):  # a worker died, or closed
            self._drop(executor)
            return draw(request)
        if isinstance(result, _Failed):
            raise result.error(request.step_id)
        return result

    def close(self) -> None:
        """Stop the workers (a later `expect` starts new ones)."""
        with self._guard:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _drop(self, executor: ProcessPoolExecutor) -> None:
        with self._guard:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)
