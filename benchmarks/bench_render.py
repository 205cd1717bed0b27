"""Issue 21's goals (a fast edit loop at book scale), measured side by side against a baseline.

    ./dev.sh python benchmarks/bench_render.py                       # every goal, 3 repetitions
    ./dev.sh python benchmarks/bench_render.py --goals 1,2 --repeat 5
    ./dev.sh python benchmarks/bench_render.py --baseline c162000

Both trees run as child processes with this venv's packages (the baseline checked out in a
temporary `git worktree`, as in bench_scale.py), interleaved, and medians are printed:
1. HTML rendering per chapter at 30, 60, 120 and 240 chapters (`render_html` of a generated
   Korean view, two pictures a chapter, into a fresh folder, the second time in its process as
   in the studio; the first, which compiles the templates, is printed in total): flat means
   linear.
2. Edit -> HTML updated at 120 chapters: `make --format html` after one chapter's text edit
   (a hand-written chapter: no model call) on a built book.
3. The render phase (HTML + PDF) at 60 chapters against WeasyPrint's own time in it (its
   `render` and `write_pdf`, timed from inside the same process; and with its HTML parsing,
   `weasyprint.HTML(...)`, also WeasyPrint's work), after a text edit; peak RSS.
4. Cold draft build of 60 chapters (HTML + PDF + EPUB, `--cold-formats`): wall, CPU of all
   its processes, peak RSS.
5. The progress display in the render phase at 60 chapters (HTML + PDF, after a text edit, a
   `make` with an event sink as the CLI's): the longest time it has nothing new to show (no
   event) from the last step to the end, how many events the render phase sends, whether they
   name the formats and how many page events carry the page total an ETA needs.
The machine's load average is printed with each goal (the machine may be shared).
Nothing here asserts: the figures are for reading (docs/speed.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import REPO, Tree, baseline_tree, fresh_copy, row
from bookgen import generate

DEFAULT_BASELINE = "c162000"  # main when issue 21 was taken up
HTML_PROBE = """
import json, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from bookgen_view import korean_view
from bookbuild.render.html import render_html
view = korean_view(int(sys.argv[1]))
walls, cpus = [], []
for _ in range(int(sys.argv[3])):  # the first in a new process (templates compiled), then again
    with tempfile.TemporaryDirectory() as out:
        started, cpu = time.perf_counter(), time.process_time()
        render_html(view, Path(out))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
print(json.dumps({"first": walls[0], "seconds": statistics.median(walls[1:]),
                  "cpu": statistics.median(cpus[1:])}))
"""
STUDIO_PROBE = """
import json, sys, time
from pathlib import Path
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
book = Path(sys.argv[1])
spec = book / "book.yaml"
seconds = []
for attempt in range(3):  # as `bookbuild serve` does: make in a process kept running
    text = spec.read_text("utf-8")
    spec.write_text(text.replace("caption: 제7장의 풍경", f"caption: 제7장의 풍경{attempt}", 1),
                    "utf-8")
    started, cpu = time.perf_counter(), time.process_time()
    make(Project.open(book, draft=True), MakeOptions(formats=("html",)))
    seconds.append((time.perf_counter() - started, time.process_time() - cpu))
wall, cpu = sorted(seconds[1:])[0]  # the first pays the imports a running studio has paid
print(json.dumps({"seconds": wall, "cpu": cpu}))
"""
RENDER_PROBE = """
import json, resource, sys, time
from pathlib import Path
import weasyprint
from weasyprint.document import Document
from bookbuild.build import make as make_module
own = [0.0, 0.0]  # its render and write_pdf; its HTML parsing (weasyprint.HTML(...))
def timed(function, slot=0):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            own[slot] += time.perf_counter() - started
    return wrapper
weasyprint.HTML.render = timed(weasyprint.HTML.render)
weasyprint.HTML.__init__ = timed(weasyprint.HTML.__init__, 1)
Document.write_pdf = timed(Document.write_pdf)
phase = [0.0]
original = make_module.Build.render
def render(self, digests):
    started = time.perf_counter()
    try:
        return original(self, digests)
    finally:
        phase[0] = time.perf_counter() - started
make_module.Build.render = render
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
make(Project.open(Path(sys.argv[1]), draft=True), MakeOptions(formats=("html", "pdf")))
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({"phase": phase[0], "weasyprint": own[0], "parse": own[1], "rss": rss}))
"""

PROGRESS_PROBE = """
import json, sys, time
from pathlib import Path
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
seen = []
def sink(event):
    seen.append((time.perf_counter(), event.kind, event.message, getattr(event, "total", 0)))
make(Project.open(Path(sys.argv[1]), draft=True), MakeOptions(formats=("html", "pdf")), sink)
end = time.perf_counter()
steps = [t for t, kind, _, _ in seen if kind.startswith("step_")]
start = max(steps) if steps else seen[0][0]
times = [start] + [t for t, _, _, _ in seen if t > start] + [end]
render = [(kind, message, total) for t, kind, message, total in seen if t > start]
pages = [total for kind, _, total in render if kind == "render_progress"]
print(json.dumps({
    "render": end - start,
    "silence": max(b - a for a, b in zip(times, times[1:])),
    "events": len(render),
    "named": float(any(k == "render_started" and "pdf" in m for k, m, _ in render)),
    "pages": len(pages),
    "with_total": sum(1 for t in pages if t),
}))
"""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def probe(tree: Tree, script: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=tree.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"{tree.name}: probe failed:\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def interleaved(
    trees: tuple[Tree, Tree], repeat: int, measure: Callable[[Tree], float]
) -> list[float]:
    """Medians of `measure` per tree, baseline and now taking turns to go first."""
    values: dict[str, list[float]] = {t.name: [] for t in trees}
    for attempt in range(repeat):
        for tree in trees if attempt % 2 == 0 else trees[::-1]:
            values[tree.name].append(measure(tree))
    return [statistics.median(values[t.name]) for t in trees]


def edit_chapter(book: Path, number: int, attempt: int) -> None:
    path = book / "chapters" / f"ch{number:03d}.md"
    path.write_text(path.read_text("utf-8") + f"\n한 줄 더 {attempt}.\n", "utf-8")


def goal_html_scaling(trees: tuple[Tree, Tree], repeat: int, sizes: list[int]) -> None:
    print(f"-- 1. HTML rendering (render_html, fresh folder): flat ms/chapter = linear; {load()}")
    here = str(Path(__file__).resolve().parent)
    for chapters in sizes:
        reps = repeat if chapters <= 120 else 1
        size = str(chapters)
        runs: dict[str, list[dict[str, float]]] = {t.name: [] for t in trees}

        def measure(
            tree: Tree, size: str = size, runs: dict[str, list[dict[str, float]]] = runs
        ) -> float:
            renders = "4" if int(size) <= 120 or tree.name == "now" else "2"
            runs[tree.name].append(probe(tree, HTML_PROBE, size, here, renders))
            return runs[tree.name][-1]["seconds"]

        base, now = interleaved(trees, reps, measure)
        row(f"{chapters} chapters: ms per chapter", base * 1000 / chapters, now * 1000 / chapters,
            "ms", "flat 30 -> 240 (+-20%)")  # fmt: skip
        cpu = [statistics.median(r["cpu"] for r in runs[t.name]) * 1000 / chapters for t in trees]
        row(f"{chapters} chapters: CPU ms per chapter", *cpu, "ms", "flat (~ a quiet machine)")
        first = [statistics.median(r["first"] for r in runs[t.name]) for t in trees]
        row(f"{chapters} chapters: first render (s)", *first, "s", "(compiles the templates)")


def goal_edit(trees: tuple[Tree, Tree], repeat: int, work: Path) -> None:
    print(f"-- 2. edit -> HTML updated, 120 chapters (make --format html); {load()}")
    book = generate(120, work / "gen120")
    built = {t.name: fresh_copy(book, work / f"{t.name}120") for t in trees}
    for tree in trees:
        tree.make(built[tree.name], "--format", "html")
    counter = iter(range(10_000))

    cpu: dict[str, list[float]] = {t.name: [] for t in trees}

    def measure(tree: Tree) -> float:
        edit_chapter(built[tree.name], 7, next(counter))
        run = tree.make(built[tree.name], "--format", "html")
        cpu[tree.name].append(run.cpu_seconds)
        return run.seconds

    base, now = interleaved(trees, repeat, measure)
    row("edit -> HTML updated (s)", base, now, "s", "<= 1 s")
    base_cpu, now_cpu = (statistics.median(cpu[t.name]) for t in trees)
    row("  its CPU time, user + system (s)", base_cpu, now_cpu, "s", "(~ a quiet machine's)")
    # the text edit also re-makes the chapter's `describe:` picture (offline model calls);
    # a caption edit calls no model at all
    captions = {t.name: [] for t in trees}  # type: dict[str, list[float]]

    def caption(tree: Tree) -> float:
        spec = built[tree.name] / "book.yaml"
        text = spec.read_text("utf-8")
        spec.write_text(text.replace("caption: 제7장의 풍경", "caption: 제7장의 풍경!", 1), "utf-8")
        run = tree.make(built[tree.name], "--format", "html")
        captions[tree.name].append(run.cpu_seconds)
        return run.seconds

    base, now = interleaved(trees, repeat, caption)
    row("caption edit -> HTML updated (s)", base, now, "s", "<= 1 s (no model call)")
    base_cpu, now_cpu = (statistics.median(captions[t.name]) for t in trees)
    row("  its CPU time, user + system (s)", base_cpu, now_cpu, "s", "(~ a quiet machine's)")
    studio: dict[str, list[dict[str, float]]] = {t.name: [] for t in trees}

    def in_process(tree: Tree) -> float:
        studio[tree.name].append(probe(tree, STUDIO_PROBE, str(built[tree.name])))
        return studio[tree.name][-1]["seconds"]

    base, now = interleaved(trees, repeat, in_process)
    row("studio preview: caption edit -> HTML (s)", base, now, "s", "<= 1 s (make in-process)")
    base_cpu, now_cpu = (statistics.median(r["cpu"] for r in studio[t.name]) for t in trees)
    row("  its CPU time (s)", base_cpu, now_cpu, "s", "(~ a quiet machine's)")


def goal_render(
    trees: tuple[Tree, Tree], repeat: int, work: Path, cold_formats: str = "html,pdf,epub"
) -> dict[str, Path]:
    """Goals 3 and 4 (the cold build makes `cold_formats`); returns the books built."""
    print(f"-- 3. render phase (HTML + PDF), 60 ch, after a text edit; 4. cold build "
          f"({cold_formats}); {load()}")  # fmt: skip
    book = generate(60, work / "gen60")
    cold: dict[str, list[tuple[float, float, float]]] = {t.name: [] for t in trees}
    built: dict[str, Path] = {}
    for attempt in range(repeat):
        for tree in trees if attempt % 2 == 0 else trees[::-1]:
            copy = fresh_copy(book, work / f"{tree.name}60")
            run = tree.make(copy, "--format", cold_formats)
            cold[tree.name].append((run.seconds, run.peak_rss_mb, run.cpu_seconds))
            built[tree.name] = copy
    results: dict[str, list[dict[str, float]]] = {t.name: [] for t in trees}
    counter = iter(range(10_000))
    for attempt in range(repeat):
        for tree in trees if attempt % 2 == 0 else trees[::-1]:
            edit_chapter(built[tree.name], 9, next(counter))
            results[tree.name].append(probe(tree, RENDER_PROBE, str(built[tree.name])))
    base, now = trees

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    def ratio(name: str, parse: bool = False) -> float:
        runs = results[name]
        own = [r["weasyprint"] + (r["parse"] if parse else 0.0) for r in runs]
        return statistics.median(r["phase"] / o for r, o in zip(runs, own, strict=True))

    row("render phase (s)", med(base.name, "phase"), med(now.name, "phase"), "s", "")
    row("WeasyPrint's own time in it (s)", med(base.name, "weasyprint"),
        med(now.name, "weasyprint"), "s", "(render + write_pdf)")  # fmt: skip
    row("  + WeasyPrint parsing the HTML (s)", med(base.name, "parse"), med(now.name, "parse"),
        "s", "(weasyprint.HTML(...))")  # fmt: skip
    row("render phase / WeasyPrint", ratio(base.name), ratio(now.name), "x", "<= 1.15x")
    row("  / WeasyPrint incl. its parsing", ratio(base.name, True), ratio(now.name, True), "x",
        "<= 1.15x")  # fmt: skip
    row("peak RSS of the render (MB)", max(r["rss"] for r in results[base.name]),
        max(r["rss"] for r in results[now.name]), "MB", "<= baseline + 20%")  # fmt: skip
    seconds = {n: statistics.median(s for s, _, _ in runs) for n, runs in cold.items()}
    rss = {n: max(m for _, m, _ in runs) for n, runs in cold.items()}
    cpu = {n: statistics.median(c for _, _, c in runs) for n, runs in cold.items()}
    row("4. cold draft build, 60 ch (s)", seconds[base.name], seconds[now.name], "s", "<= 0.6x")
    row("   its CPU time, all processes (s)", cpu[base.name], cpu[now.name], "s", "")
    row("   its peak RSS (MB)", rss[base.name], rss[now.name], "MB", "<= baseline + 20%")
    return built


def goal_progress(trees: tuple[Tree, Tree], repeat: int, built: dict[str, Path]) -> None:
    print(f"-- 5. progress display in the render phase (HTML + PDF), 60 ch; {load()}")
    counter = iter(range(20_000, 30_000))
    runs: dict[str, list[dict[str, float]]] = {t.name: [] for t in trees}

    def measure(tree: Tree) -> float:
        edit_chapter(built[tree.name], 11, next(counter))
        runs[tree.name].append(probe(tree, PROGRESS_PROBE, str(built[tree.name])))
        return runs[tree.name][-1]["silence"]

    base, now = interleaved(trees, repeat, measure)

    def med(tree: Tree, key: str) -> float:
        return statistics.median(r[key] for r in runs[tree.name])

    row("longest silence in the render phase (s)", base, now, "s", "short (page by page)")
    row("  the render phase itself (s)", *(med(t, "render") for t in trees), "s", "")
    row("  events it sends", *(med(t, "events") for t in trees), "", "one per format and page")
    row("  names the formats (1 = yes)", *(med(t, "named") for t in trees), "", "1")
    row("  page events", *(med(t, "pages") for t in trees), "", "~ the PDF's pages")
    row("  of which with the page total (ETA)", *(med(t, "with_total") for t in trees), "",
        "all but the first build's")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git ref to compare with")
    parser.add_argument("--goals", default="1,2,3,5", help="which goals (3 includes 4)")
    parser.add_argument("--sizes", default="30,60,120,240", help="chapters for goal 1")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per tree")
    parser.add_argument("--now", default=None, help="git ref to measure (default: this tree)")
    parser.add_argument("--cold-formats", default="html,pdf,epub", help="goal 4's outputs")
    args = parser.parse_args()
    goals = {g.strip() for g in args.goals.split(",")}
    with ExitStack() as stack:
        base_src = stack.enter_context(baseline_tree(args.baseline))
        now_src = stack.enter_context(baseline_tree(args.now)) if args.now else str(REPO / "src")
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        trees = (Tree("baseline", base_src), Tree("now", now_src))
        now = args.now or "this worktree"
        print(f"baseline {args.baseline}; now {now}; {os.cpu_count()} cores; "
              f"medians of {args.repeat}, interleaved")  # fmt: skip
        print(f"{'goal':<42} {'baseline':>10} {'now':>10} {'':<3} {'ratio':>8}   target")
        if "1" in goals:
            goal_html_scaling(trees, args.repeat, [int(s) for s in args.sizes.split(",")])
        if "2" in goals:
            goal_edit(trees, args.repeat, work)
        built = goal_render(trees, args.repeat, work, args.cold_formats) if "3" in goals else None
        if "5" in goals:
            goal_progress(trees, args.repeat, built or build_60(trees, work))
        print(f"-- done; {load()}")


def build_60(trees: tuple[Tree, Tree], work: Path) -> dict[str, Path]:
    """A built 60-chapter book per tree (HTML + PDF), for goal 5 alone."""
    book = generate(60, work / "gen60")
    built = {t.name: fresh_copy(book, work / f"{t.name}60") for t in trees}
    for tree in trees:
        tree.make(built[tree.name])
    return built


if __name__ == "__main__":
    main()
