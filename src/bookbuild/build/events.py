"""Events the engine and the build report while they work; `report.py` shows them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

EventKind = Literal[
    "build_waiting",  # another build of the same book holds the lock
    "build_stopping",  # Ctrl-C: no new step starts, the ones in flight finish
    "step_stopped",  # a step Ctrl-C stopped while it waited (its queued job stays recorded)
    "build_started",  # message: summary; total: number of steps to resolve
    "step_started",
    "step_cached",  # resolved from the lock or the store, no call
    "step_done",
    "step_failed",
    "step_skipped",  # an upstream step failed
    "step_retried",  # a provider retries a transient failure
    "step_warning",  # something to know about a step that still runs (a stretched mask)
    "object_corrupt",  # a stored object failed verification: treated as a miss
    "step_pending",  # waits in a provider's batch (its id is journaled): collected later
    "batch_submitted",  # message: batch id, endpoint, number of requests
    "batch_waiting",  # make --wait: a batch's state at a poll
    "remote_warning",  # the remote store is down or slow: local work from here (said once)
    "remote_corrupt",  # a downloaded object failed its digest: refused, the step runs locally
    "remote_progress",  # transfers with the remote store: message "url: 3/10 ... looked up"
    "remote_done",  # what this make fetched from and pushed to the remote store
    "render_started",  # message: the formats, comma-separated; total: how many
    "render_format_started",  # step_id: the format (html, pdf, epub)
    "render_progress",  # step_id: the format; message: the stage; done of total pages (0: unknown)
    "render_done",
    "render_skipped",  # outputs are up to date
    "render_warning",  # a renderer's warning (e.g. WeasyPrint's)
    "build_finished",
]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    step_id: str = ""
    message: str = ""
    total: int = 0
    done: int = 0  # render_progress: pages laid out so far


EventSink = Callable[[Event], None]


def ignore_events(event: Event) -> None:
    return None


class BuildStop(threading.Event):
    """The Ctrl-C event of one make. Set while steps run, it starts no new step and lets the
    ones in flight finish; `rendering` says the build is past its steps, when a Ctrl-C stops
    the render itself at once (there is nothing paid in flight to wait for)."""

    rendering: bool = False
