"""How much of an image step is our own waiting? A book of queued SD API jobs, timed.

    ./dev.sh python benchmarks/bench_polling.py [--latency 0.3] [--service 1.0] [-n 8] [-j 4]

The fake Stable Diffusion API (tests/fakes, in `timed` mode) answers every request after
`latency` seconds and finishes each job `service` seconds after it arrived, answering
`processing` with that `eta`. One image step then needs at least `service + 2 × latency`
(the job itself, then one fetch and one download; the submit's own latency overlaps the job).
The ideal schedule for n independent steps on -j workers is ceil(n / j) × that. Prints the
steps' wall time (first step started to last step done; the whole make adds planning and
rendering), the ideal, and their ratio (the goal: at most 1.15).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fakes

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.fakes.sdapi_server import FakeSDAPI

HEAD = """\
title: Timing
language: en
models:
  painter: {provider: sdapi, model: sdxl, width: 64, height: 64}
defaults: {image: painter}
chapters:
  - id: one
    title: One
    text: "One."
    illustrations:
"""


def book(folder: Path, steps: int) -> Path:
    lines = [f'      - {{id: p{i}, prompt: "picture {i}", seed: {i}}}\n' for i in range(steps)]
    (folder / "book.yaml").write_text(HEAD + "".join(lines), encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--service", type=float, default=1.0)
    parser.add_argument("-n", type=int, default=8, help="image steps")
    parser.add_argument("-j", type=int, default=4, help="--jobs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSDAPI() as fake:
        fake.timed(args.latency, args.service)
        project = Project.open(book(Path(tmp), args.n), env=fake.env)
        marks: dict[str, float] = {}

        def mark(event: Event) -> None:
            if event.kind in ("build_started", "step_done"):
                marks.setdefault(event.kind, time.perf_counter())
                marks["last_step"] = time.perf_counter()

        started = time.perf_counter()
        summary = make(project, MakeOptions(formats=("html",), jobs=args.j), mark)
        total = time.perf_counter() - started
        wall = marks["last_step"] - marks["build_started"]
        fetches = fake.count("fetch")
    step = args.service + 2 * args.latency
    ideal = math.ceil(args.n / args.j) * step
    print(
        f"{len(summary.called)} image steps, --jobs {args.j}, latency {args.latency:g} s, "
        f"service {args.service:g} s, {fetches} fetches"
    )
    print(f"steps wall {wall:.2f} s (whole make {total:.2f} s), ideal {ideal:.2f} s")
    print(f"ratio {wall / ideal:.2f} (goal <= 1.15)")


if __name__ == "__main__":
    main()
