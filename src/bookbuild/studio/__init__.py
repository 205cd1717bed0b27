"""`bookbuild serve`: a local web app over the library (see app.py).

Starlette + uvicorn: an ASGI app gets server-sent build events and the watchfiles reloader
(uvicorn's own) without threads per client, and Starlette's routing, static files and
TrustedHostMiddleware are small and well kept; the pages are plain Jinja with a little JS.
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from bookbuild.errors import ConfigError, SpecError
from bookbuild.project import Project

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(
    path: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    draft: bool = False,
    open_browser: bool = False,
    on_ready: Callable[[str], None] = lambda url: None,
    say: Callable[[str], None] = lambda line: None,
) -> None:
    """Serve the studio for the book at `path` until interrupted (Ctrl-C). A book.yaml with
    errors is served too (the pages show the errors and recover when it is fixed); `say` gets
    a line when a rebuild starts, ends or fails."""
    import uvicorn

    from bookbuild.studio.app import create_app
    from bookbuild.studio.state import Studio

    try:
        root = Project.open(path, draft=draft).root
    except SpecError as exc:  # no book folder at all is still exit 2 (ConfigError)
        root = (path if path.is_dir() else path.parent).resolve()
        problem: str | None = f"book.yaml has errors; the studio shows them until fixed:\n{exc}"
    else:
        problem = None
    lines = _Terminal(say)
    if problem:
        lines.say(problem)
    studio = Studio(root=root, draft=draft, host=host, say=lines.say)
    config = uvicorn.Config(
        create_app(studio), host=host, port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown if ':' not in shown else f'[{shown}]'}:{port}/"

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            on_ready(url)
            lines.open()
            if open_browser:
                webbrowser.open(url)

    listening = _listen(host, port)
    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[listening])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its clean shutdown
        return


class _Terminal:
    """The terminal's lines, held back until the studio's address is printed first."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._held: list[str] | None = []
        self._lock = threading.Lock()

    def say(self, line: str) -> None:
        with self._lock:
            if self._held is not None:
                self._held.append(line)
                return
        self._say(line)

    def open(self) -> None:
        with self._lock:
            held, self._held = self._held or [], None
        for line in held:
            self._say(line)


def _listen(host: str, port: int) -> socket.socket:
    """Bind before serving, so a port in use is a clear exit 2, not a server log line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "is another studio running? choose another with --port"
        ) from None
    return listening
