"""A pool of servers for one preset of a local back end (a1111, comfyui):
`base_url: [http://gpu1:7860, http://gpu2:7860]`.

One provider per server, each at the preset's `concurrency` (default 1); a step goes to the
server with the most free room (ties: the first listed). A server that is down at the start
is skipped with a warning; one that stops answering mid-build is dropped with a warning and
its step is sent to another (the build fails only when none is left). At prepare every server
must report the same `server_identity` (checkpoint and model hashes): a picture never depends
on which server drew it. A queued job's journal records its server, so a resumed build polls
the server that holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bookbuild.errors import ConfigError, ProviderError, ServiceUnreachable
from bookbuild.providers.base import ImageRequest, ImageResult, Provider, RetryNotice
from bookbuild.providers.reach import listening, shown_url
from bookbuild.spec.presets import Preset
from bookbuild.store.journal import JobJournal

__all__ = ["ServerPool", "make_provider", "pool_capacity"]

Warn = Callable[[str], None]
SERVER_FIELD = "server"


def pool_capacity(preset: Preset) -> int | None:
    """Calls in flight a pooled preset can take (servers x concurrency); None if not a pool."""
    if not isinstance(preset.base_url, list):
        return None
    return len(preset.base_url) * (preset.concurrency or 1)


def make_provider(
    cls: type[Provider[Any]],
    preset: Preset,
    env: Mapping[str, str],
    on_retry: RetryNotice | None,
    warn: Warn,
) -> Provider[Any]:
    """The provider of `preset`: a ServerPool when it lists several servers."""
    if isinstance(preset.base_url, list) and cls.pools and len(preset.base_url) > 1:
        return _pool_class(cls)(cls, preset, env, on_retry, warn)
    return cls(preset, env, on_retry)


def _pool_class(cls: type[Provider[Any]]) -> type[ServerPool]:
    """ServerPool with the back end's class attributes (name, ops, local...), so the forecast,
    `plan` and the op checks see the back end itself."""
    copied: tuple[str, ...] = ("name", "ops", "Options", "key_env", "base_url_env")
    copied += ("default_base_url", "local", "start_hint")
    attributes = {attr: getattr(cls, attr) for attr in copied}
    return type(f"{cls.__name__}Pool", (ServerPool,), attributes)


@dataclass
class _Server:
    url: str
    provider: Provider[Any]
    slots: int
    busy: int = 0
    down: bool = False
    drawn: int = 0


class _ServerJournal:
    """The step's journal, with the server holding its queued job recorded in it; a job of
    another server is not this server's to resume."""

    def __init__(self, journal: JobJournal, url: str) -> None:
        self._journal, self._url = journal, url

    def pending(self) -> dict[str, Any] | None:
        job = self._journal.pending()
        if job is None or job.get(SERVER_FIELD, self._url) != self._url:
            return None
        return job

    def intend(self, what: str) -> None:
        self._journal.intend(f"{what} to {self._url}")  # an unknown job names its server

    def remember(self, job: dict[str, Any]) -> None:
        self._journal.remember({**job, SERVER_FIELD: self._url})

    def keep(self, data: bytes) -> None:
        self._journal.keep(data)

    def kept(self) -> bytes | None:
        return self._journal.kept()

    def forget(self) -> None:
        self._journal.forget()


class ServerPool(Provider[Any]):
    """Looks like the back end's provider (its class attributes are copied) and spreads the
    preset's steps over its servers."""

    def __init__(
        self,
        cls: type[Provider[Any]],
        preset: Preset,
        env: Mapping[str, str],
        on_retry: RetryNotice | None,
        warn: Warn,
    ) -> None:
        super().__init__(preset, env, on_retry)
        self.backend = cls
        self.warn = warn
        per_server = preset.concurrency or 1
        self.servers = [
            _Server(url.rstrip("/"), cls(_one(preset, url), env, on_retry), per_server)
            for url in preset.servers()
        ]
        self._room = threading.Condition()

    def __repr__(self) -> str:
        return f"ServerPool({self.backend.name}, {[s.url for s in self.servers]})"

    def estimate_cost(self, kind: Any, op: str) -> float:
        return self.servers[0].provider.estimate_cost(kind, op)

    def price_known(self) -> bool:
        return self.servers[0].provider.price_known()

    def service_url(self) -> str | None:
        """None: the build's one-address reachability probe (providers.reach) is not for a
        pool, which needs only one of its servers. `check_ready` probes every server itself
        (one TCP connect each), skips the down ones with a warning and fails only when none
        answers; a server that stops mid-build is dropped by `run_image`."""
        return None

    def _set_stop(self, stop: threading.Event) -> None:
        """The build's Ctrl-C event and its shared listings, passed to every server."""
        for server in self.servers:
            server.provider.stop = stop
            server.provider.shared = self.shared

    # -- before the build --------------------------------------------------------------------
    def check_ready(self) -> None:
        """Each server's own checks; a server that does not answer is skipped (warned)."""
        self._set_stop(self.stop)
        for server in self.servers:
            if not listening(server.url, 3.0):
                server.down = True
                self.warn(f"{self.backend.name} server {server.url} is not answering: skipped")
                continue
            server.provider.check_ready()
        if all(s.down for s in self.servers):
            raise ServiceUnreachable(
                f"{self.backend.name}: none of the preset's servers answers "
                f"({', '.join(shown_url(s.url) for s in self.servers)}): {self.start_hint} "
                "on at least one of them; nothing was sent",
                url=self.servers[0].url,
            )

    def prepare(self) -> None:
        """Each server's prepare, then: the same checkpoint and models on every server."""
        identities: dict[str, dict[str, Any]] = {}
        for server in self._up():
            server.provider.prepare()
            identities[server.url] = server.provider.server_identity()
        differing = {url: ident for url, ident in identities.items() if ident != _first(identities)}
        if differing:
            lines = "; ".join(f"{url}: {ident}" for url, ident in identities.items())
            raise ConfigError(
                f"{self.backend.name}: the servers of this preset differ ({lines}); a picture "
                "must not depend on which server drew it: install the same checkpoint and "
                "models on each, or list only the matching servers in `base_url`"
            )

    # -- a step ------------------------------------------------------------------------------
    def run_image(self, request: ImageRequest) -> ImageResult:
        self._set_stop(self.stop)
        held = request.journal.pending() or {}
        while True:
            server = self._take(str(held.get(SERVER_FIELD) or ""))
            try:
                result = self._draw(server, request)
            except ProviderError as exc:
                if listening(server.url, 1.0):
                    raise
                self._drop(server, exc)
                held = {}
                continue
            finally:
                self._give_back(server)
            return result

    def _draw(self, server: _Server, request: ImageRequest) -> ImageResult:
        journal = _ServerJournal(request.journal, server.url)
        result = server.provider.run_image(replace(request, journal=journal))
        metadata = {**result.metadata, "server": server.url}
        server.drawn += 1
        return replace(result, metadata=metadata)

    def _take(self, wanted: str) -> _Server:
        """A server with room (the one holding the step's queued job, if it is up)."""
        with self._room:
            while True:
                up = self._up()
                if not up:
                    raise ProviderError(
                        f"no server of the pool is left ({', '.join(s.url for s in self.servers)})",
                        provider=self.backend.name,
                    )
                chosen = next((s for s in up if s.url == wanted), None)
                if chosen is None:
                    chosen = max(up, key=lambda s: s.slots - s.busy)
                if chosen.busy < chosen.slots:
                    chosen.busy += 1
                    return chosen
                self.check_stop()
                self._room.wait(0.2)

    def _give_back(self, server: _Server) -> None:
        with self._room:
            server.busy -= 1
            self._room.notify_all()

    def _drop(self, server: _Server, exc: ProviderError) -> None:
        with self._room:
            first = not server.down
            server.down = True
            self._room.notify_all()
        if first:
            self.warn(
                f"{self.backend.name} server {server.url} stopped answering ({exc}); "
                "its steps go to the other servers"
            )

    def _up(self) -> list[_Server]:
        return [s for s in self.servers if not s.down]

    def close(self) -> None:
        for server in self.servers:
            server.provider.close()


def _one(preset: Preset, url: str) -> Any:
    return preset.model_copy(update={"base_url": url})


def _first(identities: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return next(iter(identities.values()), {})
