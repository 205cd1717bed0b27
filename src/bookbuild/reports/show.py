"""`bookbuild show STEP`: a step's result as a named file under build/steps/, to look at."""

from __future__ import annotations

import difflib
from pathlib import Path

from bookbuild.errors import ConfigError, UserError
from bookbuild.fsutil import atomic_write_bytes
from bookbuild.project import Project
from bookbuild.render.fetch import build_path
from bookbuild.reports.inspect_plan import plan_report

STEPS_FOLDER = "steps"
SUFFIXES = {"image/png": ".png", "application/json": ".json", "text/markdown": ".md"}


def step_file_name(step_id: str, media_type: str) -> str:
    """`race/challenge/edit-1` -> `race--challenge--edit-1.png`: one flat, readable name."""
    return step_id.replace("/", "--") + SUFFIXES.get(media_type, ".bin")


def show_step(project: Project, step_id: str) -> Path:
    """Write the pinned or stored result of `step_id` to build/steps/ and return its path."""
    report = plan_report(project)
    status = report.statuses.get(step_id)
    if status is None:
        close = difflib.get_close_matches(step_id, list(report.statuses), n=3)
        hint = f" — did you mean {', '.join(close)}?" if close else " (see `bookbuild plan`)"
        raise ConfigError(f"no step {step_id!r}{hint}")
    if status.digest is None:
        draft = " --draft" if project.draft else ""
        raise UserError(
            f"{step_id} is {status.state}: it has no result yet; "
            f"run `bookbuild make{draft}` first (`bookbuild plan{draft}` says why)"
        )
    data = project.store.get(status.digest)
    target = build_path(
        project.build_dir, STEPS_FOLDER, step_file_name(step_id, status.step.media_type)
    )
    atomic_write_bytes(target, data)
    return target
