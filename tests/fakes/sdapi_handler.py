"""The HTTP side of FakeSDAPI: a threading server on 127.0.0.1 that decodes each request into
a `Recorded` and writes back what the fake answers (JSON, bytes, or a dropped connection)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .loopback import QuietHandler
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


class Handler(QuietHandler):
    def serve(self) -> None:
        path, headers, body = self.read_json()
        route = "file" if self.command == "GET" else _route_of(path)
        recorded = Recorded(self.command, path, route, headers, body)
        status, payload, extra = self.server.fake.handle(recorded)
        if payload is None:
            self.close_connection = True
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        content_type = extra.pop("content-type", "application/json")
        trickle = float(extra.pop("x-fake-trickle", 0) or 0)
        if trickle:
            self.reply_slowly(status, data, content_type, trickle)
            return
        self.reply(status, data, content_type, extra)
        self.wfile.flush()
        self.server.fake.replied(recorded, status)

    def reply_slowly(self, status: int, data: bytes, content_type: str, pause: float) -> None:
        """Send the headers, then the body one byte every `pause` seconds (until the client
        hangs up)."""
        try:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            for index in range(len(data)):
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


def _route_of(path: str) -> str:
    if path in ROUTES:
        return ROUTES[path][0]
    if fetch_route(path) is not None or path.rstrip("/").endswith("/fetch"):
        return "fetch"
    return "unknown"
