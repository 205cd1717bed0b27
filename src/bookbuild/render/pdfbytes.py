"""The PDF's bytes made repeatable, and read back: the document and trailer ids derived from the
book, the fonts' subsetting time fixed, the page count read with poppler. No WeasyPrint here."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_ENV_LOCK = threading.Lock()

_XMP_DOCUMENT_ID = re.compile(
    rb"xmp\.did:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)


def fixed_ids(data: bytes, name: str) -> bytes:
    """PDF/X-4 metadata carries a random xmpMM:DocumentID (WeasyPrint's uuid4): put a UUID
    derived from the book in its place, the same length (the metadata stream is uncompressed
    and no offset moves); then the trailer /ID (an MD5 of the objects, so of that random id)
    becomes the MD5 of the file itself: the same book gives the same bytes."""
    fixed = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, 'bookbuild:' + name)}".encode()
    data = _XMP_DOCUMENT_ID.sub(fixed, data, count=1)
    found = _TRAILER_ID.search(data)
    if found is None:
        return data
    blank = data[: found.start()] + b"0" * (found.end() - found.start()) + data[found.end() :]
    digest = hashlib.md5(blank, usedforsecurity=False).hexdigest().encode()
    return (
        data[: found.start()] + b"/ID [(" + digest + b") (" + digest + b")]" + data[found.end() :]
    )


_TRAILER_ID = re.compile(rb"/ID \[\([0-9a-f]{32}\) \([0-9a-f]{32}\)\]")


@contextmanager
def source_date_epoch(epoch: int) -> Iterator[None]:
    """Fonts subset by fontTools stamp the time unless SOURCE_DATE_EPOCH is set."""
    with _ENV_LOCK:
        old = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
        try:
            yield
        finally:
            if old is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = old


def pdf_stats(path: Path) -> dict[str, int]:
    """Pages and bytes of a PDF (pages read with poppler's pdfinfo when installed)."""
    stats = {"bytes": path.stat().st_size, "pages": 0}
    try:
        result = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, check=False, timeout=60
        )
    except OSError:
        return stats
    match = re.search(r"^Pages:\s+(\d+)", result.stdout, re.MULTILINE)
    stats["pages"] = int(match.group(1)) if match else 0
    return stats
