"""`store:` in book.yaml: where a team shares its results (a remote store on S3-compatible
object storage). Credentials never go here: they come from the standard AWS chain."""

from __future__ import annotations

from pydantic import Field

from bookbuild.spec.base import Strict

__all__ = ["StoreSettings"]

S3_URL = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$"


class StoreSettings(Strict):
    remote: str | None = Field(
        default=None,
        pattern=S3_URL,
        description=(
            "A shared remote store, `s3://bucket/prefix`: `make` looks a missing step up there "
            "before paying and pushes what it stores; `bookbuild push`/`pull`. Credentials come "
            "only from the standard AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE, an instance role), never from book.yaml."
        ),
    )
    endpoint_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description=(
            "Endpoint of an S3-compatible service (MinIO, Cloudflare R2, Backblaze B2, Ceph), "
            "e.g. https://<account>.r2.cloudflarestorage.com; omit it for AWS S3."
        ),
    )
    region: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+$",
        description="Region of the bucket (default: the AWS chain's, else us-east-1; R2: auto).",
    )
    timeout: float = Field(
        default=20.0,
        gt=0,
        le=600,
        description="Seconds to wait for the remote before building locally (one warning).",
    )
    push: bool = Field(
        default=True,
        description="Push what `make` stores (false: only read from the remote, e.g. in CI).",
    )
