"""What every fake service shares: a quiet threading HTTP server on 127.0.0.1 (port 0), a
handler that decodes a request and writes a reply, and start/stop as a context manager."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], fake: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.fake = fake
        self.open_sockets: set[socket.socket] = set()
        self.down = False
        self._went_down = threading.Event()
        self._guard = threading.Lock()

    def pause(self, seconds: float) -> None:
        """Wait `seconds` before answering, or less if the server goes down meanwhile (a dead
        process answers nothing, and stopping a fake does not wait out its slow answers)."""
        self._went_down.wait(seconds)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._guard:
            if self.down:  # accepted in the instant it went down: never answered
                self.shutdown_request(request)
                return
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def go_down(self) -> None:
        """Die as a server process does, all at once: the port refuses new connections (the
        listening socket is shut, so a connect gets ECONNREFUSED) and every accepted connection,
        a kept-alive idle one too, is closed. Nothing answers after this returns, however the
        client's threads are timed."""
        with self._guard:
            self.down = True
            self._went_down.set()
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)
            for sock in list(self.open_sockets):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    continue

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hung up (e.g. on a slow answer) is expected in tests."""


class QuietHandler(BaseHTTPRequestHandler):
    """GET and POST go to `serve()`; `read_json()` and `reply()` do the wire work."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: LoopbackServer

    def do_POST(self) -> None:
        self.serve()

    def do_GET(self) -> None:
        self.serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def serve(self) -> None:
        raise NotImplementedError

    def read_json(self) -> tuple[str, dict[str, str], Any]:
        """(path without query, lower-case headers, decoded JSON body or None)."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        return self.path.split("?")[0], headers, body

    def reply(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class ServedFake:
    """Start/stop a fake's server; subclasses set `handler`."""

    handler: type[QuietHandler]
    _server: LoopbackServer | None = None
    _thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start the fake first (use it as a context manager)"
        return int(self._server.server_address[1])

    def start(self) -> Self:
        self._server = LoopbackServer(self.handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def go_down(self) -> None:
        """The server dies now (see LoopbackServer.go_down), from any thread but the serving
        one (e.g. a handler's `after_reply`); `stop` still tidies up."""
        assert self._server is not None, "start the fake first"
        self._server.go_down()  # first: nothing is answered while the loop winds down
        self._server.shutdown()  # the accept loop ends (its socket is shut, not closed)

    def stop(self) -> None:
        if self._server is not None:
            self.go_down()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
