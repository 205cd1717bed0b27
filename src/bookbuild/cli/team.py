"""What `bookbuild push`, `pull` and `status` print (the commands are in commands.py)."""

from __future__ import annotations

from pathlib import Path

import click

from bookbuild.build.events import Event
from bookbuild.build.sync import (
    RemoteReport,
    batch_waits,
    pull_book,
    push_book,
    remote_status,
)
from bookbuild.project import Project


def _progress(event: Event) -> None:
    if event.kind in ("remote_warning", "remote_corrupt"):
        click.echo(f"{event.kind.removeprefix('remote_')}: {event.message}", err=True)
    elif event.kind == "remote_progress":
        click.echo(event.message, err=True)


def push_command(path: Path, everything: bool, jobs: int) -> int:
    report = push_book(Project.open(path), _progress, everything=everything, jobs=jobs)
    counts = report.counts
    click.echo(
        f"{report.url}: pushed {counts.pushed} object(s) ({counts.bytes_up / 1024:.0f} KiB) and "
        f"{counts.records} record(s); {counts.present} already there"
    )
    for step_id in report.absent_here:
        click.echo(f"not in the local store (run make first): {step_id}")
    return 0


def pull_command(path: Path, only: str | None, jobs: int) -> int:
    report = pull_book(Project.open(path), _progress, only=only, jobs=jobs)
    counts = report.counts
    click.echo(
        f"{report.url}: pulled {counts.fetched} result(s) ({counts.bytes_down / 1024:.0f} KiB)"
    )
    return _absent(report)


def _absent(report: RemoteReport) -> int:
    for step_id in report.absent_there:
        click.echo(f"not on the remote: {step_id}")
    if report.counts.corrupt:
        click.echo(f"refused {len(report.counts.corrupt)} corrupt object(s)", err=True)
    return 1 if report.absent_there or report.counts.corrupt else 0


def status_command(path: Path, remote: bool, jobs: int) -> int:
    project = Project.open(path)
    places = remote_status(project, remote=remote, jobs=jobs)
    local = sum(p.local for p in places)
    line = f"{len(places)} pinned result(s): {local} in the local store"
    if remote:
        line += f", {sum(bool(p.remote) for p in places)} on the remote"
    click.echo(line)
    for place in places:
        places_ok = (("local", place.local), ("remote", place.remote))
        missing = [where for where, ok in places_ok if ok is False]
        if missing:
            click.echo(f"  {place.step_id}: missing from {' and '.join(missing)}")
    for batch_id, steps in batch_waits(project).items():
        where = f"batch {batch_id}" if batch_id else "a batch being created"
        click.echo(f"{len(steps)} step(s) waiting in {where} (make collects them):")
        for step_id in steps:
            click.echo(f"  {step_id}")
    return 0
