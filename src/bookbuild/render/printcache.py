"""Print-ready images, made once: kept in a cache folder under a key of everything that decides
their bytes (the source image's digest, the box, CMYK or not, the encoder's settings), and made
on every core when many are missing (a cold build of a large book).

The cache holds derived files only (derived.py): a missing or damaged entry is made again, so
it may be deleted at any time (`bookbuild gc` does not need to know about it)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bookbuild.hashing import digest_of, key_of

from . import derived
from .derived import EncodedImage
from .images import JPEG_QUALITY, PRINT_DPI, cmyk_profile, prepare_for_print
from .progress import note

_FORMAT = 2  # bump when prepare_for_print's output changes for the same inputs
PARALLEL_FROM = 4  # fewer missing images than this are made in this process


@dataclass(frozen=True)
class PrintJob:
    """One image to prepare: `digest` names `data` (the store digest of the final image)."""

    digest: str
    data: bytes
    box: tuple[int, int]
    what: str
    cmyk: bool
    ink_limit: int = 300  # total ink (percent) of the CMYK conversion


def prepare_many(jobs: Sequence[PrintJob], cache: Path | None) -> list[EncodedImage]:
    """Each job's print image, in order: from the cache when there, otherwise made (on every
    core when many are missing) and kept in the cache."""
    keys = [_key(job) for job in jobs]
    found: list[EncodedImage | None] = [derived.load(cache, key) for key in keys]
    missing = [i for i, image in enumerate(found) if image is None]
    made = _make([jobs[i] for i in missing]) if missing else []
    for index, image in zip(missing, made, strict=True):
        found[index] = image
        derived.store(cache, keys[index], image)
    return [image for image in found if image is not None]


def _key(job: PrintJob) -> str:
    profile = digest_of(cmyk_profile()) if job.cmyk else None
    return key_of(
        {
            "format": _FORMAT,
            "image": job.digest if job.digest.startswith("sha256:") else digest_of(job.data),
            "box": list(job.box),
            "cmyk": profile,
            "ink_limit": job.ink_limit if job.cmyk else None,
            "quality": JPEG_QUALITY,
            "dpi": PRINT_DPI,
        }
    )


def _make(jobs: list[PrintJob]) -> list[EncodedImage]:
    """Each job's image, in order, reporting the count made to the PDF's progress."""
    workers = min(len(jobs), os.cpu_count() or 1)
    made: list[EncodedImage] = []
    note(f"print images 0/{len(jobs)}")
    if workers < 2 or len(jobs) < PARALLEL_FROM or "fork" not in _methods():
        for job in jobs:
            made.append(_prepare(job))
            note(f"print images {len(made)}/{len(jobs)}")
        return made
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        chunk = max(1, len(jobs) // (8 * workers))
        for image in pool.imap(_prepare, jobs, chunksize=chunk):
            made.append(image)
            note(f"print images {len(made)}/{len(jobs)}")
    return made


def _methods() -> list[str]:
    return multiprocessing.get_all_start_methods()


def _prepare(job: PrintJob) -> EncodedImage:
    return prepare_for_print(
        job.data, job.box, what=job.what, cmyk=job.cmyk, ink_limit=job.ink_limit
    )
