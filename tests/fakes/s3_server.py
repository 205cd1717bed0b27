"""A real S3-compatible server for the tests: moto's server mode (ThreadedMotoServer, the S3 REST
API over HTTP) on 127.0.0.1, behind a fault-injecting proxy on its own port.

The proxy forwards every request as it came (the signature's Host header included) and can, for
the requests a rule matches: answer 500 InternalError (S3's XML error body), drop the
connection before answering, answer slowly, flip bytes of an object's body (same length,
a corrupt object), or cut a body off mid-transfer (a connection dropped while downloading).
`down()` closes the proxy's port (connection refused)."""

from __future__ import annotations

import http.client
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

import boto3
from moto.server import ThreadedMotoServer

Fault = Literal["500", "drop", "slow", "corrupt", "cut"]
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIATESTTEAMSHARED01",
    "AWS_SECRET_ACCESS_KEY": "team-secret-never-in-a-log-0123456789abcdef",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",  # the machine's own profiles stay out
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_ERROR_500 = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
    b"<Message>We encountered an internal error. Please try again.</Message></Error>"
)


@dataclass
class Rule:
    fault: Fault
    method: str | None = None  # GET, PUT, HEAD... (None: any)
    path_part: str = ""  # the rule applies when this is in the path
    times: int | None = None  # how many matching requests it hits (None: all)
    delay: float = 0.0  # "slow": seconds before answering

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return (self.method is None or self.method == method) and self.path_part in path


@dataclass
class Seen:
    method: str
    path: str
    fault: Fault | None


@dataclass
class _State:
    upstream: tuple[str, int]
    rules: list[Rule] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault_for(self, method: str, path: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    if rule.times is not None:
                        rule.times -= 1
                    self.seen.append(Seen(method, path, rule.fault))
                    return rule
            self.seen.append(Seen(method, path, None))
        return None


class _Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self._forward()

    def do_PUT(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def _forward(self) -> None:
        state = self.server.state
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = state.fault_for(self.command, self.path)
        if rule is not None and rule.fault == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if rule is not None and rule.fault == "500":
            self._send(500, {"content-type": "application/xml"}, _ERROR_500)
            return
        if rule is not None and rule.fault == "slow":
            time.sleep(rule.delay)
        status, headers, data = self._upstream(body)
        if rule is not None and rule.fault == "corrupt" and data:
            data = bytes(b ^ 0x5A for b in data[:64]) + data[64:]
        if rule is not None and rule.fault == "cut" and len(data) > 1:
            self._send(status, headers, data, cut=len(data) // 2)
            return
        self._send(status, headers, data)

    def _upstream(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        host, port = self.server.state.upstream
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            kept = {
                k: v
                for k, v in answer.getheaders()
                if k.lower() not in ("connection", "transfer-encoding", "content-length", "server")
            }
            if self.command == "HEAD":
                kept["content-length"] = answer.getheader("content-length") or "0"
            return answer.status, kept, data
        finally:
            conn.close()

    def _send(self, status: int, headers: dict[str, str], data: bytes, cut: int = 0) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if self.command != "HEAD":
                self.send_header("content-length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data[:cut] if cut else data)
            if cut:
                self.wfile.flush()
                self.close_connection = True
                self.connection.close()
        except OSError:
            self.close_connection = True


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State) -> None:
        super().__init__(("127.0.0.1", 0), _Proxy)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: dropped connections are the point."""


class FakeS3:
    """moto's S3 server plus the fault proxy; `with FakeS3() as s3:` ... `s3.store_yaml()`."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs each request
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.bucket = f"books-{uuid.uuid4().hex[:12]}"
        self._proxy: _ProxyServer | None = None
        self._thread: threading.Thread | None = None
        self.state: _State | None = None
        self._port = 0

    def __enter__(self) -> Self:
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.state = _State((host, port))
        self._proxy = _ProxyServer(self.state)
        self._port = int(self._proxy.server_address[1])
        self._thread = threading.Thread(target=self._proxy.serve_forever, daemon=True)
        self._thread.start()
        self.client().create_bucket(Bucket=self.bucket)
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()
        self.moto.stop()

    # -- where ------------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        assert self._port, "FakeS3 is not started"
        return f"http://127.0.0.1:{self._port}"

    @property
    def env(self) -> dict[str, str]:
        return dict(CREDENTIALS)

    def store_yaml(self, prefix: str = "team/book", timeout: float = 30, **extra: Any) -> str:
        """The `store:` block of a book.yaml pointing at this server."""
        fields = {"remote": f"s3://{self.bucket}/{prefix}", "endpoint_url": self.endpoint_url}
        fields |= {"timeout": timeout, **extra}
        inner = ", ".join(f"{k}: {_yaml(v)}" for k, v in fields.items())
        return f"store: {{{inner}}}\n"

    def client(self) -> Any:
        """A boto3 client straight to moto (no faults), for the tests' own looks."""
        assert self.state is not None
        host, port = self.state.upstream
        return boto3.client(
            "s3",
            endpoint_url=f"http://{host}:{port}",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )

    def names(self, under: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(i["Key"] for p in pages for i in p.get("Contents", []) if under in i["Key"])

    def read(self, name: str) -> bytes:
        return bytes(self.client().get_object(Bucket=self.bucket, Key=name)["Body"].read())

    def write(self, name: str, data: bytes) -> None:
        self.client().put_object(Bucket=self.bucket, Key=name, Body=data)

    # -- faults -----------------------------------------------------------------------------
    def inject(self, fault: Fault, **where: Any) -> Rule:
        assert self.state is not None
        rule = Rule(fault, **where)
        with self.state.lock:
            self.state.rules.append(rule)
        return rule

    def heal(self) -> None:
        assert self.state is not None
        with self.state.lock:
            self.state.rules.clear()

    def requests(
        self, method: str | None = None, where: Callable[[str], bool] | None = None
    ) -> list[Seen]:
        assert self.state is not None
        with self.state.lock:
            seen = list(self.state.seen)
        wanted = [s for s in seen if method is None or s.method == method]
        return [s for s in wanted if where is None or where(s.path)]

    def down(self) -> None:
        """Close the port: every later request is refused."""
        if self._proxy is not None:
            self._proxy.shutdown()
            self._proxy.server_close()
            self._proxy = None


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else f'"{value}"'
