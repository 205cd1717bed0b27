"""A remote store on S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, Backblaze B2,
Ceph): the same content-addressed objects and action records as the local store, shared by a
team and CI.

Layout under `s3://bucket/prefix/`:

    objects/sha256/ab/<hex>                the bytes whose SHA-256 is `ab<...>`
    actions/ab/<key>/<hex>.json            a step key's action record whose result is `<hex>`

Every name is determined by its content, so every upload is idempotent and two machines pushing
at once can only write the same bytes to the same name (S3 publishes an object whole or not at
all). A key that two teammates computed with different results has one record per result;
readers take the lock's pin when there is one, else the smallest digest (the same on every
machine). Every download is verified against its digest before it is used.

The client is boto3: credentials come only from its standard chain (environment, shared
config/profile, SSO, instance or container role), never from book.yaml, and never reach a
message (botocore's errors name the operation and the server's message, not the keys).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bookbuild.errors import StoreError
from bookbuild.hashing import digest_of
from bookbuild.store.objects import (
    ActionRecord,
    check_digest,
    check_key,
    record_from_bytes,
    record_to_bytes,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["RemoteConfig", "RemoteCorruptError", "RemoteError", "S3Remote"]

_URL_RE = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*))?")
_MISSING = {"404", "NoSuchKey", "NotFound"}
_TAKEN = {"412", "PreconditionFailed", "ConditionalRequestConflict"}
_BODY_ATTEMPTS = 3  # a body cut off mid-transfer is read again (a new request) this often
_CORRUPT_RETRIES = 1  # a body that does not match its digest is fetched once more, then refused


class RemoteError(StoreError):
    """The remote cannot be reached or refused a request (after botocore's retries)."""


class RemoteCorruptError(StoreError):
    """A downloaded object does not match its digest (corrupt or truncated): refused."""

    def __init__(self, digest: str, message: str) -> None:
        super().__init__(message)
        self.digest = digest


@dataclass(frozen=True)
class RemoteConfig:
    url: str  # s3://bucket/prefix
    endpoint_url: str | None = None
    region: str | None = None
    timeout: float = 20.0
    push: bool = True

    @property
    def bucket(self) -> str:
        return _parse_url(self.url)[0]

    @property
    def prefix(self) -> str:
        """The key prefix, '' or ending with '/'."""
        return _parse_url(self.url)[1]


def _parse_url(url: str) -> tuple[str, str]:
    found = _URL_RE.fullmatch(url)
    if found is None:
        raise StoreError(f"store.remote {url!r} is not an s3://bucket/prefix URL")
    prefix = (found.group(2) or "").strip("/")
    return found.group(1), f"{prefix}/" if prefix else ""


def _make_client(config: RemoteConfig) -> Any:
    """A boto3 S3 client: the standard credential chain, bounded waits, a few retries."""
    import boto3
    from botocore.config import Config

    settings = Config(
        connect_timeout=config.timeout,
        read_timeout=config.timeout,
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=32,
        # Many S3-compatible services refuse the flexible checksums newer botocore sends by
        # default; integrity is ours anyway: every download is checked against its digest.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path" if config.endpoint_url else "auto"},
    )
    session = boto3.session.Session()
    return session.client(
        "s3", endpoint_url=config.endpoint_url, region_name=config.region, config=settings
    )


class S3Remote:
    """Objects and action records in one bucket prefix. Thread-safe (one boto3 client)."""

    def __init__(self, config: RemoteConfig, client: Any = None) -> None:
        self.config = config
        self.bucket = config.bucket
        self.prefix = config.prefix
        self._client = client
        self._client_lock = threading.Lock()

    @property
    def client(self) -> Any:
        """One boto3 client, made on first use (creating one costs ~0.1 s: made once)."""
        with self._client_lock:
            if self._client is None:
                self._client = _call(self.config.url, "connect", lambda: _make_client(self.config))
            return self._client

    @property
    def url(self) -> str:
        return self.config.url

    # -- names -------------------------------------------------------------------------------
    def object_name(self, digest: str) -> str:
        hex_part = check_digest(digest)
        return f"{self.prefix}objects/sha256/{hex_part[:2]}/{hex_part}"

    def action_folder(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}actions/{key[:2]}/{key}/"

    def action_name(self, key: str, digest: str) -> str:
        return f"{self.action_folder(key)}{check_digest(digest)}.json"

    # -- objects -----------------------------------------------------------------------------
    def object_size(self, digest: str) -> int | None:
        """The size of the remote object `digest`, or None if it is absent."""
        head = self._head(self.object_name(digest))
        return None if head is None else int(head.get("ContentLength", -1))

    def get_object(self, digest: str) -> bytes | None:
        """The verified bytes of `digest`; None if absent; RemoteCorruptError if the bytes
        (fetched twice) do not match the digest."""
        name = self.object_name(digest)
        data = b""
        for _ in range(_CORRUPT_RETRIES + 1):
            got = self._get(name)
            if got is None:
                return None
            if digest_of(got) == digest:
                return got
            data = got
        raise RemoteCorruptError(
            digest,
            f"remote object {digest} ({self.url}/{name.removeprefix(self.prefix)}) is corrupt or "
            f"truncated: its {len(data)} bytes hash to {digest_of(data)}. Refused; the step is "
            "made again locally, and the next push replaces the object",
        )

    def put_object(self, digest: str, data: bytes, *, replace: bool = False) -> bool:
        """Upload `data` under `digest` unless it is there (same size); True if uploaded.
        `replace` uploads anyway (over a copy found corrupt)."""
        if digest_of(data) != digest:
            raise StoreError(f"refusing to push object {digest}: its bytes do not match it")
        name = self.object_name(digest)
        if not replace and self.object_size(digest) == len(data):
            return False
        self._put(name, data, "application/octet-stream")
        return True

    # -- action records ----------------------------------------------------------------------
    def find_action(self, key: str, digest: str | None = None) -> ActionRecord | None:
        """The record of `key` whose result is `digest` (or, without one, the record with the
        smallest digest); None if the remote has none."""
        if digest is not None:
            return self._read_action(key, self.action_name(key, digest))
        for name in sorted(self._list(self.action_folder(key))):
            found = self._read_action(key, name)
            if found is not None:
                return found
        return None

    def has_action(self, key: str, digest: str) -> bool:
        return self._head(self.action_name(key, digest)) is not None

    def put_action(self, record: ActionRecord) -> bool:
        """Upload a record (its object first!); True if it was not there yet."""
        name = self.action_name(record.key, record.digest)
        if self._head(name) is not None:
            return False
        try:
            self._put(name, record_to_bytes(record), "application/json", if_absent=True)
        except _Taken:
            return False
        return True

    def action_keys(self) -> Iterator[str]:
        """Every key with a record on the remote (one listing)."""
        seen: set[str] = set()
        for name in self._list(f"{self.prefix}actions/"):
            parts = name.removeprefix(self.prefix).split("/")
            if len(parts) == 4 and parts[2] not in seen:
                seen.add(parts[2])
                yield parts[2]

    def _read_action(self, key: str, name: str) -> ActionRecord | None:
        data = self._get(name)
        if data is None:
            return None
        found = record_from_bytes(data, key)
        if found is None or not name.endswith(f"/{found.digest.removeprefix('sha256:')}.json"):
            return None  # not a record of this key and digest: ignored like a miss
        return found

    # -- S3 calls ----------------------------------------------------------------------------
    def _head(self, name: str) -> dict[str, Any] | None:
        head: dict[str, Any] | None = _call(
            self.url, f"HEAD {name}", lambda: self.client.head_object(**self._at(name))
        )
        return head

    def _get(self, name: str) -> bytes | None:
        """The body of `name` (None if absent). A connection dropped mid-body is retried here:
        botocore retries a request, not the reading of its body."""
        from botocore.exceptions import IncompleteReadError, ResponseStreamingError

        def read() -> bytes:
            for attempt in range(_BODY_ATTEMPTS):
                body = self.client.get_object(**self._at(name))["Body"]
                try:
                    return bytes(body.read())
                except (ResponseStreamingError, IncompleteReadError):
                    if attempt + 1 == _BODY_ATTEMPTS:
                        raise
                finally:
                    body.close()
            raise AssertionError("unreachable")

        got: bytes | None = _call(self.url, f"GET {name}", read)
        return got

    def _put(self, name: str, data: bytes, media_type: str, *, if_absent: bool = False) -> None:
        extra = {"IfNoneMatch": "*"} if if_absent else {}

        def put() -> None:
            self.client.put_object(**self._at(name), Body=data, ContentType=media_type, **extra)

        if _call(self.url, f"PUT {name}", put, taken_ok=if_absent) is _TAKEN_MARK:
            raise _Taken(name)

    def _list(self, prefix: str) -> list[str]:
        def listing() -> list[str]:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            return [item["Key"] for page in pages for item in page.get("Contents", [])]

        return _call(self.url, f"LIST {prefix}", listing) or []

    def _at(self, name: str) -> dict[str, str]:
        return {"Bucket": self.bucket, "Key": name}


class _Taken(Exception):
    """A conditional PUT found the name taken (another machine pushed it first)."""


_TAKEN_MARK: Any = object()


def _call(url: str, what: str, action: Any, *, taken_ok: bool = False) -> Any:
    """Run one S3 call; None for a missing name; RemoteError for everything else."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return action()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _MISSING or status == 404:
            return None
        if taken_ok and (code in _TAKEN or status == 412):
            return _TAKEN_MARK
        raise RemoteError(_client_message(url, what, code, status, error)) from None
    except NoCredentialsError:
        raise RemoteError(
            f"remote {url}: no credentials found. Set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (credentials never go in book.yaml)"
        ) from None
    except (BotoCoreError, OSError) as exc:
        raise RemoteError(f"remote {url}: {what}: {type(exc).__name__}: {exc}") from None


def _client_message(url: str, what: str, code: str, status: object, error: dict[str, Any]) -> str:
    message = str(error.get("Message", "")).strip()
    hint = ""
    if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch") or status == 403:
        hint = " (check the credentials of the AWS chain and the bucket's permissions)"
    elif code == "NoSuchBucket":
        hint = " (create the bucket, or fix store.remote in book.yaml)"
    return f"remote {url}: {what}: {code or status} {message}{hint}".rstrip()
