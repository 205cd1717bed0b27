"""Issue 13's goals, measured side by side against a baseline commit, in one run.

    ./dev.sh python benchmarks/bench_scale.py                      # 30, 60 and 120 chapters
    ./dev.sh python benchmarks/bench_scale.py --sizes 60 --repeat 3
    ./dev.sh python benchmarks/bench_scale.py --baseline HEAD~3

The baseline is checked out in a temporary `git worktree` and run from its own `src/` (through
PYTHONPATH) with this venv's packages, so both trees run on the same machine at the same time;
runs are interleaved and medians are shown. Books are generated (benchmarks/bookgen.py): Korean,
two illustrations per chapter. Printed per goal: the baseline, now, the ratio now/baseline, and
the target. Nothing here asserts: the figures are for reading (and for the README).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bookgen import generate

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = "09da44f"  # main when issue 13 was measured
DISABLE_ENV = "BOOKBUILD_NO_FASTPATH"
LAUNCHER = """
import atexit, os, sys
def _report():
    found = [m for m in ("requests", "openai", "httpx", "urllib3") if m in sys.modules]
    sys.stderr.write("HTTP-CLIENTS:" + ",".join(found) + "\\n")
atexit.register(_report)
sys.argv[0] = "bookbuild"
try:
    from bookbuild.cli.entry import main
except ImportError:  # a tree from before the fast path
    from bookbuild.cli.commands import main
main()
"""
PLAN_PROBE = """
import sys, time
from pathlib import Path
from bookbuild.reports.inspect_plan import plan_report
from bookbuild.project import Project
started = time.perf_counter()
report = plan_report(Project.open(Path(sys.argv[1])))
print(time.perf_counter() - started, len(report.to_json()["steps"]))
"""


class Tree:
    """A source tree of bookbuild run as the `bookbuild` command."""

    def __init__(self, name: str, pythonpath: str) -> None:
        self.name = name
        self.env = {**os.environ, "PYTHONPATH": pythonpath}

    def make(self, book: Path, *options: str, env: dict[str, str] | None = None) -> Run:
        argv = [sys.executable, "-c", LAUNCHER, "make", str(book), "--draft", "--plain", *options]
        return Run.of(argv, {**self.env, **(env or {})})

    def plan_seconds(self, book: Path) -> float:
        out = subprocess.run(
            [sys.executable, "-c", PLAN_PROBE, str(book)],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.split()[0])


class Forced:
    name = "now-full-path"


FORCED = Forced()


class Run:
    def __init__(self, seconds: float, peak_rss_mb: float, http: str, cpu: float = 0.0) -> None:
        self.seconds, self.peak_rss_mb, self.http = seconds, peak_rss_mb, http
        self.cpu_seconds = cpu  # user + system, with the child processes it waited for

    @classmethod
    def of(cls, argv: list[str], env: dict[str, str]) -> Run:
        started = time.perf_counter()
        child = subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        assert child.stderr is not None
        stderr = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        child.stderr.close()
        if child.returncode:
            raise SystemExit(f"{' '.join(argv[3:])} failed:\n{stderr[-3000:]}")
        http = next((ln.split(":", 1)[1] for ln in stderr.splitlines() if "HTTP-CLIENTS" in ln), "")
        cpu = usage.ru_utime + usage.ru_stime
        return cls(seconds, usage.ru_maxrss / 1024, http, cpu)


@contextmanager
def baseline_tree(ref: str) -> Iterator[str]:
    """PYTHONPATH for `ref` checked out aside: its src/ and its own entry points (the venv's
    name today's provider modules, which an older tree may not have)."""
    folder = Path(tempfile.mkdtemp(prefix="bookbuild-baseline-"))
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder), ref],
        check=True,
        capture_output=True,
    )
    try:
        yield f"{folder / 'src'}{os.pathsep}{_dist_info(folder)}"
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
            check=False,
            capture_output=True,
        )


def _dist_info(tree: Path) -> Path:
    project = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    meta = tree / "bench-meta"
    info = meta / f"bookbuild-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: bookbuild\nVersion: {project['version']}\n", "utf-8"
    )
    lines = []
    for group, points in project.get("entry-points", {}).items():
        lines += [f"[{group}]", *(f"{name} = {target}" for name, target in points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", "utf-8")
    return meta


def median(values: list[float]) -> float:
    return statistics.median(values)


def fresh_copy(book: Path, where: Path) -> Path:
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(book, where)
    return where


def python_pass() -> float:
    """Seconds of one `python -c pass` (the interpreter's own start and exit)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def row(goal: str, base: float, now: float, unit: str, target: str) -> None:
    ratio = now / base if base else float("nan")
    print(f"{goal:<42} {base:>10.3f} {now:>10.3f} {unit:<3} {ratio:>7.2f}x   {target}")


def measure_size(chapters: int, trees: tuple[Tree, Tree], work: Path, repeat: int) -> None:
    book = generate(chapters, work / f"gen{chapters}")
    cold: dict[str, list[Run]] = {t.name: [] for t in trees}
    built: dict[str, Path] = {}
    for attempt in range(repeat):
        for tree in trees if attempt % 2 == 0 else trees[::-1]:
            copy = fresh_copy(book, work / f"{tree.name}{chapters}")
            cold[tree.name].append(tree.make(copy))
            built[tree.name] = copy
    noop: dict[str, list[float]] = {t.name: [] for t in (*trees, FORCED)}
    slow = {DISABLE_ENV: "1"}
    passes = []  # measured between the no-ops: the machine's load changes over a run
    for _ in range(max(7, repeat)):
        for tree in trees:
            noop[tree.name].append(tree.make(built[tree.name]).seconds)
        noop[FORCED.name].append(trees[1].make(built[trees[1].name], env=slow).seconds)
        passes.append(python_pass())
    base, now = trees
    seconds = {name: median([r.seconds for r in runs]) for name, runs in cold.items()}
    rss = {name: max(r.peak_rss_mb for r in runs) for name, runs in cold.items()}
    print(f"-- {chapters} chapters (generated Korean book, --draft, HTML + PDF)")
    row("cold draft build (s)", seconds[base.name], seconds[now.name], "s", "<= 0.6x (60 ch)")
    row("peak RSS of the cold build (MB)", rss[base.name], rss[now.name], "MB", "<= 1024 MB")
    base_noop, now_noop = median(noop[base.name]), median(noop[now.name])
    row("no-op make (s)", base_noop, now_noop, "s", "<= 0.15 s")
    pass_s = median(passes)
    row("no-op make / python -c pass", base_noop / pass_s, now_noop / pass_s, "x", "<= 5x")
    forced = median(noop[FORCED.name])
    row("no-op make, full path forced (s)", base_noop, forced, "s", f"({DISABLE_ENV}=1)")
    print(
        f"{'  HTTP clients imported by the cold build':<42} "
        f"{cold[base.name][0].http or '-':>10} {cold[now.name][0].http or '-':>10}"
    )


def measure_plan(trees: tuple[Tree, Tree], work: Path) -> None:
    book = generate(100, work / "plan1000", illustrations=10)
    times = {t.name: median([t.plan_seconds(book) for _ in range(3)]) for t in trees}
    base, now = trees
    print("-- plan of 1,000 illustrations (100 chapters x 10), work beyond imports")
    row("plan (s)", times[base.name], times[now.name], "s", "< 1 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git ref to compare with")
    parser.add_argument("--sizes", default="30,60,120", help="chapters, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="cold builds per tree and size")
    parser.add_argument("--now", default=None, help="git ref to measure (default: this tree)")
    args = parser.parse_args()
    with ExitStack() as stack:
        base_src = stack.enter_context(baseline_tree(args.baseline))
        now_src = stack.enter_context(baseline_tree(args.now)) if args.now else str(REPO / "src")
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        trees = (Tree("baseline", base_src), Tree("now", now_src))
        work = Path(tmp)
        now = args.now or "this worktree"
        print(f"baseline {args.baseline}; now {now}")
        print(f"{'goal':<42} {'baseline':>10} {'now':>10} {'':<3} {'ratio':>8}   target")
        for chapters in (int(s) for s in args.sizes.split(",")):
            measure_size(chapters, trees, work, args.repeat)
        measure_plan(trees, work)


if __name__ == "__main__":
    main()
