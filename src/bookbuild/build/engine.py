"""The engine: the only place where the lock, the store and the providers meet.

It resolves every selected step in dependency order: from the lock or the store when the one
up-to-date decision (`status.decide`, with every object verified) says so, otherwise by running
it (bounded parallelism, per-preset limits). Each result is stored and pinned as soon as it is
done, so a crash loses at most the steps in flight. A failed step is an event, not an
exception: its dependants are skipped, the others go on.

Steps start in critical-path order: of the steps ready to run, the one with the longest chain of
steps waiting on it goes first (at most `jobs` run at a time), so a chain such as each chapter's
writing waiting on the summaries before it is not queued behind every picture already ready.
But while fewer than half the slots draw pictures, a ready picture goes first: pictures and text
come from different services (in a draft, pictures from worker processes and text from this
one), and keeping both busy shortens the build.

Ctrl-C (the `stop` event) stops the build gently: no new step is started, the steps in flight
finish (a download in progress completes and is stored; a job still queued on its service
stops waiting and stays recorded in its journal), and `run` returns with `stopped` set.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bookbuild.build.events import Event, EventSink
from bookbuild.build.runner import StepOutput, StepRunner
from bookbuild.errors import (
    BatchPending,
    BookbuildError,
    CorruptObjectError,
    Interrupted,
    LockedError,
    UserError,
)
from bookbuild.graph.model import Graph
from bookbuild.graph.ops import IMAGE_OPS
from bookbuild.graph.status import KEPT_STATES, StepStatus, decide
from bookbuild.graph.steps import Step, step_manifest
from bookbuild.store.jobfile import FileJournal
from bookbuild.store.lock import LockEntry, LockWriter
from bookbuild.store.objects import ActionRecord, Store
from bookbuild.store.remote_cache import RemoteCache

STOP_CHECK = 0.2
"""Seconds between looks at the stop event while steps are running."""


@dataclass
class RunResult:
    digests: dict[str, str] = field(default_factory=dict)  # step id -> output digest
    called: list[str] = field(default_factory=list)  # steps that called a provider
    cached: list[str] = field(default_factory=list)  # steps resolved from the lock or store
    failures: dict[str, str] = field(default_factory=dict)  # step id -> message
    skipped: list[str] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)  # in flight when Ctrl-C stopped them
    not_started: int = 0  # steps Ctrl-C kept from starting
    batched: dict[str, str | None] = field(default_factory=dict)  # step id -> its batch's id
    deferred: list[str] = field(default_factory=list)  # waiting for a step still in a batch


def select_steps(graph: Graph, only: str | None) -> list[str]:
    """Step ids matching the glob `only`, with everything upstream of them, in graph order."""
    if only is None:
        return list(graph.steps)
    if not only.strip():
        raise UserError("--only needs a step glob, e.g. --only 'race/*' (see `bookbuild plan`)")
    wanted = {sid for sid in graph.steps if fnmatch.fnmatchcase(sid, only)}
    if not wanted:
        raise UserError(f"--only {only!r} matches no step (see `bookbuild plan`)")
    stack = list(wanted)
    while stack:
        for _, dep in graph.steps[stack.pop()].deps:
            if dep not in wanted:
                wanted.add(dep)
                stack.append(dep)
    return [sid for sid in graph.steps if sid in wanted]


def chain_lengths(graph: Graph, selected: Iterable[str]) -> dict[str, int]:
    """For each selected step, the number of steps on the longest chain that waits on it
    (itself included): its place on the build's critical path."""
    wanted = set(selected)
    dependants: dict[str, list[str]] = {sid: [] for sid in wanted}
    for sid in wanted:
        for _, dep in graph.steps[sid].deps:
            if dep in dependants:
                dependants[dep].append(sid)
    lengths: dict[str, int] = {}
    for sid in reversed([s for s in graph.steps if s in wanted]):  # dependants come later
        lengths[sid] = 1 + max((lengths.get(d, 0) for d in dependants[sid]), default=0)
    return lengths


def check_locked(statuses: dict[str, StepStatus], selected: Iterable[str]) -> None:
    """--locked: every step must be pinned and stored (a changed hand-written chapter too: the
    lock would change, so CI is told to commit it)."""
    missing = [s for s in selected if statuses[s].state not in KEPT_STATES]
    if missing:
        raise LockedError(missing)


class Engine:
    def __init__(
        self,
        graph: Graph,
        store: Store,
        lock: LockWriter,
        runner: StepRunner,
        on_event: EventSink,
        jobs: int = 4,
        locked: bool = False,
        stop: threading.Event | None = None,
        remote: RemoteCache | None = None,
        free: bool = False,
    ) -> None:
        self.graph = graph
        self.store = store
        self.lock = lock
        self.runner = runner
        self.on_event = on_event
        self.jobs = max(1, jobs)
        self.locked = locked  # never call a model: a call step not in the cache fails
        self.stop = stop or threading.Event()
        self.free = free  # a draft: no result costs anything, the store need not wait for the disk
        self.remote = remote  # a team's shared store: asked before paying, given what is made

    def run(self, selected: list[str]) -> RunResult:
        result = RunResult()
        self.on_event(Event("build_started", total=len(selected)))
        self._chain = chain_lengths(self.graph, selected)
        self._decided: dict[str, StepStatus] = {}
        pending = list(selected)
        running: dict[Future[StepOutput], tuple[Step, str]] = {}
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="step") as pool:
            while pending or running:
                if self.stop.is_set() and pending:
                    pending = self._stop_starting(pending, running, result)
                pending = self._dispatch(pending, running, pool, result)
                if running:
                    done, _ = wait(list(running), STOP_CHECK, FIRST_COMPLETED)
                    for future in done:
                        step, key = running.pop(future)
                        self._finish(step, key, future, result)
        return result

    def _stop_starting(
        self,
        pending: list[str],
        running: dict[Future[StepOutput], tuple[Step, str]],
        result: RunResult,
    ) -> list[str]:
        """Ctrl-C: start nothing more, and say what happens to what is in flight."""
        result.not_started = len(pending)
        self.on_event(
            Event(
                "build_stopping",
                message=f"Ctrl-C: starting no new step ({len(pending)} not started); "
                f"waiting for {len(running)} in flight (finished downloads are kept, queued "
                "jobs stay recorded for the next make). Ctrl-C again quits at once",
            )
        )
        return []

    # -- scheduling --------------------------------------------------------------------------
    def _dispatch(
        self,
        pending: list[str],
        running: dict[Future[StepOutput], tuple[Step, str]],
        pool: ThreadPoolExecutor,
        result: RunResult,
    ) -> list[str]:
        """Resolve every ready step found in the cache and start ready ones, longest chain
        first, while fewer than `jobs` run; return the ones still waiting."""
        progress = True
        while progress:
            progress = False
            waiting: list[str] = []
            ready: list[str] = []
            for sid in pending:
                deps = [dep for _, dep in self.graph.steps[sid].deps]
                if any(d in result.failures or d in result.skipped for d in deps):
                    result.skipped.append(sid)
                    self.on_event(Event("step_skipped", sid, "an upstream step failed"))
                    progress = True
                elif any(d in result.batched or d in result.deferred for d in deps):
                    result.deferred.append(sid)  # its inputs come with a batch: next wave
                    progress = True
                elif all(d in result.digests for d in deps):
                    ready.append(sid)
                else:
                    waiting.append(sid)
            ready = self._in_start_order(ready, running)
            for sid in ready:
                if self._resolved_here(sid, result):
                    progress = True
                elif len(running) < self.jobs:
                    self._start(self._decided.pop(sid), running, pool, result)
                else:
                    waiting.append(sid)
            keep = set(waiting)
            pending = [sid for sid in pending if sid in keep]  # graph order, as given
        return pending

    def _in_start_order(
        self, ready: list[str], running: dict[Future[StepOutput], tuple[Step, str]]
    ) -> list[str]:
        """Longest chain first (stable: graph order next), except that pictures go first until
        half the slots draw."""
        ready.sort(key=lambda sid: -self._chain.get(sid, 0))
        drawing = sum(1 for step, _ in running.values() if step.op in IMAGE_OPS)
        wanted = max(0, self.jobs // 2 - drawing)
        first = [sid for sid in ready if self.graph.steps[sid].op in IMAGE_OPS][:wanted]
        chosen = set(first)
        return first + [sid for sid in ready if sid not in chosen]

    def _resolved_here(self, sid: str, result: RunResult) -> bool:
        """Decide a ready step once (kept while it waits for a free slot); True when it was
        resolved without running (from the lock or the store, or failed before a call)."""
        status = self._decided.get(sid)
        if status is None:
            status = self._decided[sid] = self._decide(self.graph.steps[sid], result)
        step = status.step
        if status.digest is not None or (self.locked and step.is_call):
            self._start(self._decided.pop(sid), {}, None, result)
            return True
        return False

    def _start(
        self,
        status: StepStatus,
        running: dict[Future[StepOutput], tuple[Step, str]],
        pool: ThreadPoolExecutor | None,
        result: RunResult,
    ) -> bool:
        """Resolve the decided step from cache (True) or submit it to the pool (False)."""
        step = status.step  # bound to the cast its prompt names (graph.cast.bind_cast)
        key, digest = str(status.key), status.digest
        if status.state == "stored":  # a result made before, not pinned yet: pin it, free
            self.lock.pin(step.id, LockEntry(key, str(digest), step.media_type))
        if digest is not None:
            result.digests[step.id] = digest
            result.cached.append(step.id)
            self.on_event(Event("step_cached", step.id))
            return True
        if self.locked and step.is_call:
            self._fail(
                step, "--locked: its result is not pinned and stored (missing or corrupt)", result
            )
            return True
        try:
            inputs = {role: self.store.get(result.digests[dep]) for role, dep in step.deps}
        except (CorruptObjectError, KeyError) as exc:
            self._fail(step, f"an input object is unusable ({exc}); run make again", result)
            return True
        self.on_event(Event("step_started", step.id, step.op))
        assert pool is not None  # a step to run is only started with a pool
        future = pool.submit(self.runner.run, step, inputs, self.store.journal(key))
        running[future] = (step, key)
        return False

    def _decide(self, step: Step, result: RunResult) -> StepStatus:
        """The up-to-date decision; a call step missing here is looked up in the remote first."""
        scope = self.graph.frozen.get(step.id)
        status = decide(step, result.digests, self.lock.lock, self.store, self._usable, scope)
        if status.digest is None and step.is_call and self.remote is not None:
            pin = self.lock.lock.entries.get(step.id)
            wanted = pin.digest if pin is not None and pin.key == status.key else None
            if self.remote.fetch(str(status.key), wanted):
                return decide(step, result.digests, self.lock.lock, self.store, self._usable, scope)
        return status

    def _usable(self, digest: str) -> bool:
        try:
            return self.store.usable(digest)
        except CorruptObjectError as exc:
            self.on_event(Event("object_corrupt", message=str(exc)))
            return False

    # -- results -----------------------------------------------------------------------------
    def _finish(self, step: Step, key: str, future: Future[StepOutput], result: RunResult) -> None:
        try:
            output = future.result()
        except BatchPending as exc:
            result.batched[step.id] = exc.batch_id
            where = f"in batch {exc.batch_id}" if exc.batch_id else "queued for a batch"
            self.on_event(Event("step_pending", step.id, where))
            return
        except Interrupted:
            result.interrupted.append(step.id)
            self.on_event(Event("step_stopped", step.id, "stopped by Ctrl-C; resumed next make"))
            return
        except BookbuildError as exc:
            self._fail(step, str(exc), result)
            return
        except Exception as exc:  # a bug or an unexpected library error: keep the others going
            self._fail(step, f"{type(exc).__name__}: {exc}", result)
            return
        try:
            digest = self._keep(step, key, output, result)
        except (BookbuildError, TypeError, OSError) as exc:
            self._fail(step, self._not_kept(key, exc), result)
            return
        self.store.journal(key).forget()  # the paid job's record lives until its result is stored
        if self.remote is not None:
            self.remote.publish(key)
        result.digests[step.id] = digest
        if step.is_call:
            result.called.append(step.id)
        self.on_event(Event("step_done", step.id, _summary(output)))

    def _keep(self, step: Step, key: str, output: StepOutput, result: RunResult) -> str:
        """Store the output, index it under its key and pin it: at once, so a crash keeps it."""
        durable = not self.free
        digest = self.store.put(output.data, durable)
        metadata = {
            **output.metadata,
            "step": step.id,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        manifest = step_manifest(step, result.digests)
        self.store.record(ActionRecord(key, digest, step.media_type, manifest, metadata), durable)
        self.lock.pin(step.id, LockEntry(key, digest, step.media_type))
        return digest

    def _not_kept(self, key: str, exc: Exception) -> str:
        """Why a result was not kept, naming the paid job it came from (a full disk)."""
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        journal = self.store.journal(key)
        job = journal.describe() if isinstance(journal, FileJournal) else ""
        if not job:
            return f"could not store the result: {reason}"
        return (
            f"could not store the result of {job}: {reason}. Free some space and run make "
            "again: a job whose journal was written is fetched again, not paid again"
        )

    def _fail(self, step: Step, message: str, result: RunResult) -> None:
        message = message.removeprefix(f"{step.id}: ")
        result.failures[step.id] = message
        self.on_event(Event("step_failed", step.id, message))


def _summary(output: StepOutput) -> str:
    meta = output.metadata
    parts = [str(meta[k]) for k in ("provider", "model") if meta.get(k)]
    if "seed" in meta:
        parts.append(f"seed {meta['seed']}")
    return " ".join(parts)
