"""How far WeasyPrint is: its progress log ('weasyprint.progress') turned into calls of
`report(stage, page)` while a PDF is made in this thread. Only the standard library: WeasyPrint
is not imported here (its logger is looked up by name)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Report = Callable[[str, int], None]  # (stage, page): "layout" with the page number, "writing"
_PAGE = re.compile(r"Creating layout - Page (\d+)")


class _ProgressHandler(logging.Handler):
    def __init__(self, report: Report) -> None:
        super().__init__(logging.INFO)
        self.report = report
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        page = _PAGE.search(message)
        if page:
            self.report("layout", int(page.group(1)))
        elif "Creating PDF" in message:
            self.report("writing", 0)


@contextmanager
def pdf_progress(report: Report) -> Iterator[None]:
    """Call `report` for each page WeasyPrint lays out and when it writes the PDF."""
    logger = logging.getLogger("weasyprint.progress")
    handler = _ProgressHandler(report)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # its INFO records are for us, not for the application's logs
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
