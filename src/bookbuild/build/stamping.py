"""Writing the no-op stamp (read by stamp.py) around a full `make`.

`StampRecorder(...)` is made before the book is opened: it removes the previous stamp and notes
the file system's clock. `record(...)` after a successful build stats every input and output; an
input modified since the build started (it may have been read before the change) means no stamp,
so the next `make` takes the full path and stamps then.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from bookbuild.build.make import MakeSummary
from bookbuild.build.outputs import STATE_FILE
from bookbuild.build.stamp import (
    NOOP_RENDER_LINE,
    dump_stamp,
    file_state,
    fs_clock_ns,
    spec_file,
    stamp_options,
    stamp_path,
    summary_lines,
)
from bookbuild.errors import BookbuildError
from bookbuild.fsutil import atomic_write_bytes
from bookbuild.graph.model import Graph
from bookbuild.graph.plan import plan_book
from bookbuild.graph.steps import book_files
from bookbuild.project import Project
from bookbuild.spec import resolve_in_book
from bookbuild.store.lock import Lock

PACKAGE = Path(__file__).resolve().parents[1]  # bookbuild/, not build/: every module counts
"""bookbuild's own files: a changed module or template (an upgrade, a `git pull` in an editable
install) changes what a build makes even when the version number does not."""


class StampRecorder:
    """The stamp of one full `make` run with these options."""

    def __init__(
        self,
        path: Path,
        *,
        draft: bool,
        locked: bool,
        strict: bool,
        formats: Iterable[str],
        budget: float | None,
    ) -> None:
        self.spec = spec_file(str(path))
        self.formats = list(formats)
        self.options = stamp_options(self.spec, draft, locked, strict, self.formats, budget)
        self.started_ns = fs_clock_ns()
        self.path = Path(stamp_path(os.path.dirname(self.spec)))
        with contextlib.suppress(OSError):  # not a book folder, or not writable: make says so
            self.path.unlink(missing_ok=True)

    def record(self, project: Project, summary: MakeSummary) -> bool:
        """Write the stamp after a successful build; False (and no stamp) when an input changed
        while the build ran, or anything is not where it should be."""
        if sorted(summary.outputs) != sorted(self.formats) or str(project.spec.path) != self.spec:
            return False
        try:
            graph = summary.graph or plan_book(project.spec, draft=project.draft)
            inputs = [_state(p) for p in _input_paths(project, graph, "pdf" in self.formats)]
            written = [_state(p) for p in _written_paths(project, summary)]
            report = self._noop_report(len(graph.steps), summary)
        except (OSError, BookbuildError, ValueError):
            return False
        if any(mtime >= self.started_ns for _, mtime in inputs):
            return False  # changed while the build ran: it may have read the old content
        stamp: dict[str, object] = {
            "options": self.options,
            "files": [s for s, _ in inputs + written],
            "absent": [str(p) for p in _absent_paths(project)],
            "report": report,
        }
        atomic_write_bytes(self.path, dump_stamp(stamp))
        return True

    def _noop_report(self, steps: int, summary: MakeSummary) -> list[str]:
        """What `make` prints when there is nothing to do (outputs in --format's order)."""
        outputs = [
            (f, str(summary.outputs[f]), summary.outputs[f].stat().st_size) for f in self.formats
        ]
        return [NOOP_RENDER_LINE, *summary_lines(0, steps, outputs, "up to date")]


def _state(path: Path) -> tuple[list[object], int]:
    state = file_state(str(path))
    if state is None:
        raise FileNotFoundError(f"{path} is gone")
    return state, os.stat(path).st_mtime_ns


def _input_paths(project: Project, graph: Graph, pdf: bool) -> Iterator[Path]:
    """Every file (and folder, for files added to it) the build read or could read."""
    spec = project.spec
    yield spec.path
    relative = {f.path for step in graph.steps.values() for f in book_files(step)}
    if spec.book.style.css:
        relative.add(spec.book.style.css)
    for name in sorted(relative):
        yield resolve_in_book(project.root, name)
    for folder in [PACKAGE, *project.theme_dirs]:  # the package: its code and templates
        yield folder
        yield from sorted(p for p in folder.rglob("*") if "__pycache__" not in p.parts)
    if pdf:
        yield from _font_files(project)
        yield from _print_profile()


def _font_files(project: Project) -> Iterator[Path]:
    """The files of every installed family in the book's font stack, and their folders."""
    from bookbuild.render.fonts import family_files, font_stack

    book = project.spec.book
    stack = font_stack(book.language, book.style.font)
    files = {Path(name) for name in family_files(stack)}
    yield from sorted(files | {f.parent for f in files})


def _print_profile() -> Iterator[Path]:
    """The CMYK profile a print target's PDF embeds, when installed."""
    from bookbuild.render.images import CMYK_PROFILE

    if CMYK_PROFILE.is_file():
        yield CMYK_PROFILE


def _written_paths(project: Project, summary: MakeSummary) -> Iterator[Path]:
    """What the build wrote and a no-op reads: the lock, pinned objects, outputs."""
    yield project.lock_path
    store = project.store
    for entry in sorted(Lock.load(project.lock_path).entries.values(), key=lambda e: e.digest):
        yield store.path(entry.digest)
    yield project.build_dir / STATE_FILE
    yield from summary.outputs.values()


def _absent_paths(project: Project) -> list[Path]:
    """Paths whose appearance would change the build: a theme folder."""
    return [] if project.theme_dirs else [project.root / "theme"]
