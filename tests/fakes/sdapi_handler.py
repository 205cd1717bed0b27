"""The HTTP side of FakeSDAPI: a threading server on 127.0.0.1 that decodes each request into
a `Recorded` and writes back what the fake answers (JSON, bytes, or a dropped connection)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from .sdapi_routes import ROUTES, fetch_route


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    route: str  # op name, "fetch", "upload", "file", "system_load" or "unknown"
    headers: dict[str, str]  # lower-case names
    body: Any  # decoded JSON, or None

    @property
    def is_submit(self) -> bool:
        return self.route in OPS


OPS = frozenset(
    {"txt2img", "img2img", "inpaint", "controlnet", "outpaint", "upscale", "remove_background"}
)


class Answering(Protocol):
    def handle(self, request: Recorded) -> tuple[int, Any, dict[str, str]]: ...


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[Handler], fake: Answering):
        super().__init__(address, handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hung up is expected in tests."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?")[0]
        route = "file" if self.command == "GET" else _route_of(path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload, extra = self.server.fake.handle(
            Recorded(self.command, path, route, headers, body)
        )
        if payload is None:
            self.close_connection = True
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        content_type = extra.pop("content-type", "application/json")
        try:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _route_of(path: str) -> str:
    if path in ROUTES:
        return ROUTES[path][0]
    if fetch_route(path) is not None or path.rstrip("/").endswith("/fetch"):
        return "fetch"
    return "unknown"
