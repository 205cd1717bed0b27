"""One provider instance per preset, created on first use, and one concurrency limit per
provider: a service's queue limit is per account, so presets of one provider share it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bookbuild.build.events import Event, EventSink
from bookbuild.errors import ConfigError, ProviderError, ServiceUnreachable
from bookbuild.providers.base import MISSING_KEY, Provider, RetryNotice
from bookbuild.providers.batch import BatchBook
from bookbuild.providers.memo import BuildMemo
from bookbuild.providers.reach import DownServices, probe, shown_url
from bookbuild.providers.registry import provider_class
from bookbuild.providers.servers import make_provider, pool_capacity
from bookbuild.spec.presets import Preset

T = TypeVar("T")


class ProviderPool:
    def __init__(
        self,
        presets: Mapping[str, Preset],
        env: Mapping[str, str],
        jobs: int,
        on_event: EventSink,
        stop: threading.Event | None = None,
        batch: bool = False,
    ) -> None:
        self.stop = stop or threading.Event()  # Ctrl-C: every provider stops waiting
        self.batch = batch  # `make --batch`: every step that can wait goes in a batch
        self.batches = BatchBook()
        self._presets = dict(presets)
        self._env = env
        self._jobs = jobs
        self._on_event = on_event
        self._providers: dict[str, Provider[Any]] = {}
        self._limits: dict[str, threading.Semaphore] = {}
        self._guard = threading.Lock()
        self._current = threading.local()  # the step each worker thread is running
        self._down = DownServices()  # addresses found refusing connections in this build
        self._shared = BuildMemo()  # what the build's providers read once for all presets

    def get(self, preset_name: str, step_id: str = "") -> Provider[Any]:
        self._current.step_id = step_id
        with self._guard:
            if preset_name not in self._providers:
                preset = self._presets[preset_name]
                cls = provider_class(preset.provider)
                made = make_provider(
                    cls, preset, self._env, self._retry_notice(), lambda m: self.warn("", m)
                )
                made.stop = self.stop
                made.shared = self._shared  # e.g. one /object_info per server and build
                made.batch_book, made.batch_all = self.batches, self.batch
                self._providers[preset_name] = made
            return self._providers[preset_name]

    def limit(self, preset_name: str) -> threading.Semaphore:
        """The semaphore bounding calls in flight to the preset's provider: the smallest
        `concurrency` among that provider's presets, never more than --jobs."""
        provider = self._presets[preset_name].provider
        with self._guard:
            if provider not in self._limits:
                self._limits[provider] = threading.Semaphore(self._provider_limit(provider))
            return self._limits[provider]

    def _provider_limit(self, provider: str) -> int:
        presets = [p for p in self._presets.values() if p.provider == provider]
        wanted = [n for p in presets if (n := pool_capacity(p) or p.concurrency)]
        return max(1, min([*wanted, self._jobs]))

    def check_ready(self, preset_names: set[str]) -> None:
        """Raise ConfigError (exit 2) before any call if a needed provider cannot run."""
        problems: list[str] = []
        for name in sorted(preset_names):
            try:
                self.get(name).check_ready()
            except ConfigError as exc:
                message = f"preset `{name}`: {exc}"
                if str(exc) not in " ".join(problems):
                    problems.append(message)
        if any(MISSING_KEY in p for p in problems):
            problems.append(
                "to build a free draft meanwhile (no key, no network): bookbuild make --draft"
            )
        if problems:
            raise ConfigError("\n".join(problems))

    def warn(self, step_id: str, message: str) -> None:
        """Tell the reporter something the user should know about a step (it still runs)."""
        self._on_event(Event("step_warning", step_id, message))

    def probe(self, preset_names: set[str]) -> None:
        """One TCP connect per distinct service address the build will call, before any step:
        ServiceUnreachable (exit 2) naming every address that accepts no connection."""
        users: dict[str, list[str]] = {}
        hints: dict[str, str] = {}
        for name in sorted(preset_names):
            provider = self.get(name)
            url = provider.service_url()
            if url:
                users.setdefault(url, []).append(f"`{name}`")
                hints[url] = provider.start_hint
        problems: list[str] = []
        for url, names in users.items():
            why = probe(url)
            if why is not None:
                self._down.mark(url, why)
                problems.append(
                    f"no service answers at {shown_url(url)} ({why}), needed by preset "
                    f"{', '.join(names)}: {hints[url]}, or point the preset's `base_url` (or "
                    "its environment variable) at it"
                )
        if problems:
            raise ServiceUnreachable(
                "\n".join(problems) + "\nnothing was sent", url=next(iter(users))
            )

    def call(self, preset_name: str, step_id: str, send: Callable[[Provider[Any]], T]) -> T:
        """`send` to the preset's provider within its concurrency limit; not at all when its
        service was found down earlier in this build (ServiceUnreachable). A step that fails
        probes the address again, so one refused connection stops the provider's later steps
        instead of each retrying for minutes."""
        provider = self.get(preset_name, step_id)
        url = provider.service_url()
        with self.limit(preset_name):
            self._refuse_if_down(url, step_id)
            try:
                return send(provider)
            except ProviderError:
                why = probe(url) if url else None
                if url and why is not None:
                    self._down.mark(url, why)
                raise

    def _refuse_if_down(self, url: str | None, step_id: str) -> None:
        why = self._down.why(url) if url else None
        if url and why is not None:
            raise ServiceUnreachable(
                f"not sent: the service at {shown_url(url)} stopped accepting connections "
                f"earlier in this build ({why}); start it and run make again",
                url=url,
                step_id=step_id,
            )

    def prepare(self, preset_names: set[str]) -> None:
        """Let each needed provider get ready (e.g. reach its server) before any step runs, so
        a server that is down is one error, not one per step."""
        for name in sorted(preset_names):
            try:
                self.get(name).prepare()
            except ConfigError as exc:
                if type(exc) is not ConfigError:  # e.g. ServiceUnreachable names its URL
                    raise
                raise ConfigError(f"preset `{name}`: {exc}") from None

    def expect(self, pictures: Mapping[str, int]) -> None:
        """Tell each preset's provider how many image calls the build will make with it."""
        for name, count in sorted(pictures.items()):
            if count:
                self.get(name).expect_calls(count)

    def close(self) -> None:
        """Close every provider made in this build (connections, pipelines); errors in one do
        not keep the others open."""
        with self._guard:
            providers, self._providers = list(self._providers.values()), {}
        for provider in providers:
            try:
                provider.close()
            except Exception:  # closing is best effort: the build's results are already kept
                continue

    def _retry_notice(self) -> RetryNotice:
        def notice(reason: str, attempt: int, wait: float) -> None:
            message = f"{reason}; retry {attempt} in {wait:.1f}s"
            step_id = getattr(self._current, "step_id", "")
            self._on_event(Event("step_retried", step_id, message))

        return notice
