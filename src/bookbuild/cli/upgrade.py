"""What `bookbuild upgrade-defaults` prints and writes: the fields the newer `defaults_version`
sets, the steps they make run again with their calls and cost, then the one line written."""

from __future__ import annotations

from pathlib import Path

import click

from bookbuild.build.upgrade import Rerun, rerun_forecast, spend_text
from bookbuild.errors import UserError
from bookbuild.fsutil import atomic_write_text
from bookbuild.project import Project
from bookbuild.spec.upgrade import describe_changes, spec_changes, upgraded_text
from bookbuild.spec.versions import LATEST, VERSIONS

__all__ = ["upgrade_command"]

_KEEP = {"cover": "cover: {shape: preset}", "style": "style: {alt: auto}"}
"""What to write to keep what a version's field would repaint (the first defaults' value)."""


def upgrade_command(path: Path, to: int | None, dry_run: bool, draft: bool) -> int:
    project = Project.open(path, draft=draft)
    spec = project.spec
    current, target = spec.book.defaults_version, LATEST if to is None else to
    if target not in VERSIONS:
        known = ", ".join(map(str, VERSIONS))
        raise UserError(f"--to {target}: no such defaults_version (known: {known})")
    if target <= current:
        click.echo(f"{spec.file}: already at defaults_version {current}; nothing to do")
        return 0
    changes = spec_changes(spec, target)
    click.echo(f"{spec.file}: defaults_version {current} -> {target}")
    if not changes:
        click.echo("  it changes nothing in this book (it writes every field itself)")
    for field in describe_changes(changes):
        click.echo(f"  sets {field}")
    _print_reruns(rerun_forecast(project, changes, target), draft)
    if dry_run:
        click.echo("nothing written (--dry-run); run it without --dry-run to write the line")
        return 0
    atomic_write_text(spec.path, upgraded_text(spec.text, target))
    click.echo(f"wrote `defaults_version: {target}` into {spec.file}; `bookbuild make` runs them")
    return 0


def _print_reruns(rerun: Rerun, draft: bool) -> None:
    where = ".bookbuild/draft.lock" if draft else "book.lock"
    if not rerun.steps:
        click.echo(f"  re-runs nothing: no step it changes has a result in {where} yet")
        return
    click.echo(
        f"  re-runs up to {len(rerun.steps)} step(s) whose results {where} keeps now: "
        f"{spend_text(rerun.forecast)}"
    )
    for status in rerun.steps:
        step = status.step
        click.echo(f"    {step.id}  ({step.op}, {step.preset or step.provider})")
    keep = [_KEEP[part] for part in rerun.changes if part in _KEEP]
    if keep:
        click.echo(f"  to keep what is made, write the old value yourself: {'; '.join(keep)}")
