"""No-op rebuild vs full draft build of the Korean sample book, in one process.

    ./dev.sh python benchmarks/bench_noop.py

Prints the time of a cold draft build (every step + HTML + PDF), of a rebuild with nothing
changed (no calls, no render), and of a rebuild after editing one chapter brief, with ratios.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project

SAMPLE = Path(__file__).resolve().parent.parent / "sample_books" / "hare-and-tortoise"


def timed(folder: Path, options: MakeOptions) -> tuple[float, int]:
    started = time.perf_counter()
    summary = make(Project.open(folder, draft=True), options)
    return time.perf_counter() - started, len(summary.called)


def main() -> None:
    options = MakeOptions(formats=("html", "pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "book"
        shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(".bookbuild", "build"))
        cold, cold_calls = timed(folder, options)
        noop = min(timed(folder, options)[0] for _ in range(5))
        spec = folder / "book.yaml"
        spec.write_text(spec.read_text(encoding="utf-8").replace("500자", "450자"), "utf-8")
        edit, edit_calls = timed(folder, options)
    print(f"cold draft build : {cold * 1000:8.1f} ms  ({cold_calls} calls, HTML + PDF)")
    print(f"no-op rebuild    : {noop * 1000:8.1f} ms  (0 calls, no render; best of 5)")
    print(f"one chapter edit : {edit * 1000:8.1f} ms  ({edit_calls} calls, re-render)")
    print(f"cold / no-op     : {cold / noop:8.1f} x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
