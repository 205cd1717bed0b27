"""How far the PDF is: WeasyPrint's progress log ('weasyprint.progress') and bookbuild's own
stages (`note`) turned into calls of `report(stage, page)` while a PDF is made in this thread.
Only the standard library: WeasyPrint is not imported here (its logger is looked up by name).

Stages, in order: "print images N/M" (made, not found in the cache), "reading the HTML" (and its
stylesheets), "applying the styles", "building the boxes", "layout" (with each page number),
"laying out again" (a repagination), "writing" (the PDF file), "the cover" (the cover PDF, all of
its steps), "checking the PDF" (on a print target) and "saving". Every stage but "layout" comes
with page 0."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Report = Callable[[str, int], None]  # (stage, page): "layout" with the page number, "writing"
_PAGE = re.compile(r"Creating layout - Page (\d+)")
_STAGES = (  # WeasyPrint's messages (its `Step n - ...`) -> the stage they start
    ("Fetching and parsing", "reading the HTML"),
    ("Applying CSS", "applying the styles"),
    ("Creating formatting structure", "building the boxes"),
    ("Repagination", "laying out again"),
    ("Creating PDF", "writing"),
)
COVER = "the cover"
_current = threading.local()  # the handler of the PDF being made in this thread


def note(stage: str) -> None:
    """Report a stage of bookbuild's own (see the module's list) to this thread's PDF
    progress, if a PDF is being made with `pdf_progress`."""
    handler: _ProgressHandler | None = getattr(_current, "handler", None)
    if handler is not None:
        handler.stage(stage)


class _ProgressHandler(logging.Handler):
    def __init__(self, report: Report) -> None:
        super().__init__(logging.INFO)
        self.report = report
        self.thread = threading.get_ident()
        self.current = ""

    def stage(self, stage: str, page: int = 0) -> None:
        if stage != self.current or page:
            self.current = stage
            self.report(stage, page)

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread or self.current == COVER:
            return  # the cover's own steps are all "the cover"
        message = record.getMessage()
        page = _PAGE.search(message)
        if page:
            self.stage("layout", int(page.group(1)))
            return
        for words, stage in _STAGES:
            if words in message:
                self.stage(stage)
                return


@contextmanager
def pdf_progress(report: Report) -> Iterator[None]:
    """Call `report` for each page WeasyPrint lays out and when it writes the PDF."""
    logger = logging.getLogger("weasyprint.progress")
    handler = _ProgressHandler(report)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # its INFO records are for us, not for the application's logs
    outer, _current.handler = getattr(_current, "handler", None), handler
    try:
        yield
    finally:
        _current.handler = outer
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
