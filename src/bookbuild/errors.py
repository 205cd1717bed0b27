"""The one error hierarchy of bookbuild: every error it raises on purpose is defined here.

    BookbuildError               exit 1 unless a subclass says otherwise
    ├── UserError                exit 2: the user's input is wrong (fix the spec, an option, a file)
    │   ├── SpecError            book.yaml problems; carries every SpecIssue found, with line:col
    │   ├── ConfigError          environment/options: missing API key, unknown preset, bad option
    │   │   └── ServiceUnreachable  a service a step needs accepts no connection (names the URL)
    │   ├── MaskError            a mask file that cannot be used
    │   ├── ImageDecodeError     a picture of the book (art/, masks/) that cannot be decoded
    │   └── StudioInputError     a studio request that cannot be carried out as sent (a region
    │       └── SpecWriteError   drawn wrong, no such illustration or edit in book.yaml)
    ├── ProviderError            a model service failed a step, or gave an unusable result
    │                            (step id, provider, transient?); the server's own message
    ├── StoreError               the content-addressed store or the lock cannot be used
    │   ├── LockConflictError    exit 2: book.lock has merge conflict markers, or pins a result
    │   │                        that disagrees with the store's own record (names book.lock:LINE)
    │   ├── MalformedLockError   exit 2: book.lock is not a lock (truncated, bad JSON, bad digest)
    │   └── CorruptObjectError   a stored object does not match its digest (quarantined)
    ├── LockedError              --locked and some steps are not pinned and stored
    ├── BuildFailed              some steps failed; the others were kept (stored and pinned)
    ├── Interrupted              exit 130: Ctrl-C stopped the build (finished work kept)
    └── RenderError              HTML/PDF/EPUB rendering failed
        ├── FontCoverageError    characters of the text that no font of the theme covers
        ├── FetchRefused         a URL the book may not load (outside the build folder)
        └── PreflightError       make --strict: the print preflight found problems

The library raises these and never prints; `cli.py` maps them to exit codes in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class BookbuildError(Exception):
    """Base of every error bookbuild raises on purpose."""

    exit_code = 1


class UserError(BookbuildError):
    """The user's input is wrong; exit code 2."""

    exit_code = 2


@dataclass(frozen=True)
class SpecIssue:
    """One problem in a spec file, at a 1-based line and column."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class SpecError(UserError):
    """One or more problems in book.yaml, all reported at once."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.file, i.line, i.col, i.message))
        super().__init__("\n".join(str(i) for i in self.issues))


class ConfigError(UserError):
    """A wrong option, a missing environment variable, an unknown step: exit code 2."""


class ServiceUnreachable(ConfigError):
    """A service the build needs accepts no connection at its address: found before any step
    (the build stops at once) or when a step failed (its provider's other steps are not sent).
    Exit 2: the address or the server is the user's to fix."""

    def __init__(self, message: str, *, url: str = "", step_id: str = "") -> None:
        self.url = url
        self.step_id = step_id
        super().__init__(f"{step_id}: {message}" if step_id else message)


class ProviderError(BookbuildError):
    """A provider could not produce a step's result.

    `transient` errors (rate limits, 5xx, timeouts) may be retried; the others may not.
    The message is the service's own message; it never contains a secret.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        step_id: str = "",
        transient: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.step_id = step_id
        self.transient = transient
        self.status = status
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.step_id}: " if self.step_id else ""
        who = f"{self.provider}: " if self.provider else ""
        code = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{who}{self.message}{code}"


class StoreError(BookbuildError):
    """The store or the lock file is unusable (corrupt, unwritable)."""


class LockConflictError(StoreError):
    """book.lock cannot be trusted as it is: git conflict markers, or a pinned digest that
    differs from the store's record for that step's key (a hand edit, a line-by-line merge)."""

    exit_code = 2


class MalformedLockError(StoreError):
    """book.lock is not a valid lock file (truncated, not JSON, a malformed digest): wrong
    input like a conflicted lock, so exit 2 as well."""

    exit_code = 2


class Interrupted(BookbuildError):
    """Ctrl-C stopped the build: no new step was started, finished steps were kept, queued
    jobs stay recorded for the next `make`."""

    exit_code = 130


class BatchPending(BookbuildError):
    """A step's request waits in a provider's batch (OpenAI Batch API): not a failure; its
    batch id is journaled and a later `make` collects the result."""

    def __init__(self, step_id: str, batch_id: str | None = None) -> None:
        where = f"in batch {batch_id}" if batch_id else "queued for the next batch"
        super().__init__(f"{step_id}: {where}")
        self.step_id = step_id
        self.batch_id = batch_id


class LockedError(BookbuildError):
    """`--locked` was given and these steps are not pinned and stored."""

    def __init__(self, step_ids: list[str]) -> None:
        self.step_ids = sorted(step_ids)
        listed = "\n".join(f"  {s}" for s in self.step_ids)
        super().__init__(
            f"--locked: {len(self.step_ids)} step(s) are not pinned and stored:\n{listed}\n"
            "run `bookbuild make` without --locked to compute them, then commit book.lock"
        )


class RenderError(BookbuildError):
    """Rendering HTML, PDF or EPUB failed."""


class FontCoverageError(RenderError):
    """Some characters of the book have no glyph in the theme's fonts."""


class MaskError(UserError):
    """A mask that cannot be used: a missing file, a path leaving the book folder."""


class StudioInputError(UserError):
    """A studio request that cannot be carried out as sent (a bad region, a bad painting)."""


class SpecWriteError(StudioInputError):
    """book.yaml cannot be changed as asked (no such illustration or edit)."""


class ImageDecodeError(UserError, ValueError):
    """Bytes that are not a usable PNG, JPEG or WebP image, or one too large to decode."""


class CorruptObjectError(StoreError):
    """A stored object's bytes do not match its digest; it has been moved to quarantine."""

    def __init__(self, digest: str, path: Path, quarantined: Path | None) -> None:
        self.digest = digest
        self.path = path
        self.quarantined = quarantined
        where = f"moved to {quarantined}" if quarantined else "already moved aside"
        super().__init__(
            f"store object {path} does not match its digest {digest} ({where}); "
            "it will be recomputed, or restored by any `put` of the right bytes"
        )


class BuildFailed(BookbuildError):
    """Some steps failed; the others were kept (stored and pinned)."""

    def __init__(self, failures: dict[str, str], skipped: list[str]) -> None:
        self.failures = failures
        lines = [f"  {sid}: {msg}" for sid, msg in sorted(failures.items())]
        tail = f"\n{len(skipped)} dependent step(s) skipped" if skipped else ""
        super().__init__(f"{len(failures)} step(s) failed:\n" + "\n".join(lines) + tail)


class FetchRefused(RenderError):
    """A URL the book may not load."""


class PreflightError(RenderError):
    """`make --strict` on a print target: the print preflight's warnings, as an error."""
