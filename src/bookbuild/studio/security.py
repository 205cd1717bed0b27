"""Who may change the book: only the studio's own page.

Every write endpoint needs the token issued to the page (a `<meta>` that other sites cannot
read), a JSON body (a cross-site form cannot send one without a CORS preflight, which we never
answer), and, when the browser says where the request comes from, this very origin. The Host
header is checked for every request (TrustedHostMiddleware), so a DNS-rebinding page cannot
read the book either.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import socket

from starlette.requests import Request

TOKEN_HEADER = "x-studio-token"
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'self'; form-action 'none'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

BOOK_HEADERS = {
    # the built book under /book/: its own pictures and styles, no script, no outside fetch
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "font-src 'self' data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def allowed_hosts(host: str) -> list[str]:
    """Host header values the studio answers to: loopback names, and --host if given (for a
    wildcard --host, this machine's names and addresses)."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host in ("0.0.0.0", "::"):
        names |= _this_machine()
    elif host:
        names.add(host if ":" not in host else f"[{host}]")
    return sorted(names)


def _this_machine() -> set[str]:
    names = {socket.gethostname(), socket.getfqdn()}
    with contextlib.suppress(OSError):
        names |= {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)}
    return {f"[{n}]" if ":" in n else n for n in names if n}


def write_refusal(request: Request, token: str) -> str | None:
    """Why a write request is refused, or None when it comes from the studio's own page."""
    given = request.headers.get(TOKEN_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        return "missing or wrong studio token: reload the studio page"
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return "write requests must send JSON"
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    origin = request.headers.get("origin")
    if origin is not None and origin != own:
        return f"cross-site write refused (origin {origin})"
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"cross-site write refused (sec-fetch-site {site})"
    return None
