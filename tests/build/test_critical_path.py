"""Steps start in critical-path order: of the ready steps, the one with the longest chain of
steps waiting on it first, so the chapters' writing (each waits on the summaries before it) is
not queued behind every picture that is ready."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from bookbuild.build.engine import chain_lengths
from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.graph.ops import IMAGE_OPS
from bookbuild.graph.plan import plan_book
from bookbuild.project import Project

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bookgen import generate


def test_chain_lengths_count_the_longest_chain_waiting_on_each_step(tmp_path: Path) -> None:
    project = Project.open(generate(6, tmp_path / "book"), draft=True)
    graph = plan_book(project.spec, draft=True)
    lengths = chain_lengths(graph, list(graph.steps))
    for sid, step in graph.steps.items():
        for _, dep in step.deps:
            assert lengths[dep] > lengths[sid]  # a step is on every chain of its dependants
    writing = [
        sid for sid in graph.steps if sid.endswith("/text") and "write" in graph.steps[sid].op
    ]
    assert len(writing) == 3  # chapters 2, 4, 6: each waits on the summaries before it
    assert all(lengths[a] > lengths[b] for a, b in itertools.pairwise(writing))
    assert lengths[writing[0]] >= 2 * len(writing)  # write, summarize, write, ...


def test_each_step_started_had_the_longest_chain_of_the_ready_steps(tmp_path: Path) -> None:
    project = Project.open(generate(8, tmp_path / "book"), draft=True)
    graph = plan_book(project.spec, draft=True)
    lengths = chain_lengths(graph, list(graph.steps))
    events: list[Event] = []
    make(project, MakeOptions(formats=("html",), jobs=1), events.append)
    done: set[str] = set()
    started: set[str] = set()
    checked = 0
    for event in events:
        if event.kind in ("step_done", "step_cached"):
            done.add(event.step_id)
        elif event.kind == "step_started":
            ready = [
                sid
                for sid, step in graph.steps.items()
                if sid not in started and sid not in done and all(d in done for _, d in step.deps)
            ]
            assert lengths[event.step_id] == max(lengths[sid] for sid in ready), event.step_id
            started.add(event.step_id)
            checked += 1
    assert checked > 40
    last_writing = max(
        i for i, e in enumerate(events) if e.kind == "step_done" and e.step_id == "ch008/text"
    )
    pictures = [i for i, e in enumerate(events) if e.kind == "step_done" and "/image" in e.step_id]
    assert last_writing < pictures[len(pictures) // 2]  # the writing is not left for the end


def test_pictures_start_while_the_writing_runs_until_half_the_slots_draw(tmp_path: Path) -> None:
    project = Project.open(generate(8, tmp_path / "book"), draft=True)
    graph = plan_book(project.spec, draft=True)
    events: list[Event] = []
    make(project, MakeOptions(formats=("html",), jobs=4), events.append)
    drawing, running, done = set(), set(), set()
    for event in events:
        if event.kind in ("step_done", "step_cached", "step_failed"):
            done.add(event.step_id)
            running.discard(event.step_id)
            drawing.discard(event.step_id)
        elif event.kind == "step_started":
            step = graph.steps[event.step_id]
            waiting_pictures = [
                sid
                for sid, other in graph.steps.items()
                if other.op in IMAGE_OPS
                and sid not in running
                and sid not in done
                and sid != event.step_id
                and all(d in done for _, d in other.deps)
            ]
            if step.op not in IMAGE_OPS and waiting_pictures:
                assert len(drawing) >= 2, event.step_id  # half of the 4 slots draw
            running.add(event.step_id)
            if step.op in IMAGE_OPS:
                drawing.add(event.step_id)
    first_picture = next(
        i for i, e in enumerate(events) if e.kind == "step_started" and "/image" in e.step_id
    )
    first_writing = next(
        i for i, e in enumerate(events) if e.kind == "step_started" and e.step_id == "ch008/text"
    )
    assert first_picture < first_writing  # a picture ready from the start does not wait
