"""Downloading a result file a service links to (output links, `future_links`), for every
provider through `HttpClient.download`.

Links are public and expire, so a result is fetched at once with no key. Three guards:
- an overall deadline, not only a per-read timeout: a server trickling a byte every few
  seconds cannot hold a build forever;
- redirects are followed by hand, only to http(s), and never from a public host to a loopback,
  private or link-local address (a link on the internet must not reach the user's network);
- a size cap, enforced while reading.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import requests

from bookbuild.providers.failure import NOT_SENT, Failure, never_sent

DOWNLOAD_DEADLINE = 180.0
MAX_REDIRECTS = 5

Resolver = Callable[[str], list[str]]


def resolve(host: str) -> list[str]:
    """The addresses `host` resolves to (empty if it does not resolve)."""
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(host, None)]
    except (OSError, UnicodeError):
        return []


def is_internal(host: str, resolver: Resolver = resolve) -> bool:
    """True when `host` is or resolves to a loopback, private, link-local or reserved address."""
    addresses = [host] if _is_ip(host) else resolver(host)
    for text in addresses:
        address = ipaddress.ip_address(text.split("%")[0])
        if address.is_loopback or address.is_private or address.is_link_local:
            return True
        if address.is_reserved or address.is_unspecified or address.is_multicast:
            return True
    return False


def redirect_problem(origin: str, target: str, resolver: Resolver = resolve) -> str | None:
    """Why a redirect from `origin` to `target` is refused, or None if it may be followed."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"the image link redirected to a {parts.scheme or 'relative'}: URL"
    start = urlsplit(origin).hostname or ""
    if not is_internal(start, resolver) and is_internal(parts.hostname, resolver):
        return "the image link redirected from the internet to a local or private address"
    return None


def download_once(
    session: requests.Session,
    url: str,
    *,
    timeout: float,
    limit: int,
    missing: bool,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> bytes | Failure:
    """The bytes at `url` (following safe redirects), or why not (retryable when a retry may
    help: 5xx, 408, 429, a cut or slow transfer, a 404 of a link that may appear shortly)."""
    ends = clock() + (DOWNLOAD_DEADLINE if deadline is None else deadline)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            with session.get(url, stream=True, timeout=timeout, allow_redirects=False) as answer:
                if answer.is_redirect:
                    target = urljoin(url, answer.headers.get("Location", ""))
                    problem = redirect_problem(url, target)
                    if problem:
                        return Failure("redirect refused", problem)
                    url = target
                    continue
                return _body(answer, missing, limit, ends, clock)
        except requests.Timeout:
            return Failure("timeout", "the image download timed out", None, True)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            if never_sent(exc):  # refused: tried CONNECT_ATTEMPTS times, not every retry
                host = urlsplit(url).netloc
                return Failure(
                    NOT_SENT, f"cannot connect to {host} to download the image", None, True
                )
            return Failure("connection dropped", "the image download was cut off", None, True)
        except requests.RequestException as exc:
            return Failure("download failed", f"cannot download the image ({type(exc).__name__})")
    return Failure("too many redirects", "the image link redirected too many times")


def _body(
    answer: requests.Response, missing: bool, limit: int, ends: float, clock: Callable[[], float]
) -> bytes | Failure:
    code = answer.status_code
    if code >= 400:
        retryable = code in (408, 429) or code >= 500 or (code == 404 and missing)
        message = f"could not download the image (HTTP {code}); the link may have expired"
        return Failure(f"HTTP {code}", message, code, retryable)
    too_big = Failure("too large", f"the image is larger than {limit >> 20} MB")
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return too_big
    chunks: list[bytes] = []
    size = 0
    while chunk := answer.raw.read1(1 << 16, decode_content=True):
        size += len(chunk)
        if size > limit:
            return too_big
        if clock() > ends:
            return Failure("too slow", "the image download was too slow", None, True)
        chunks.append(chunk)
    return b"".join(chunks)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True
