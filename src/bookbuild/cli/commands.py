"""The command line: parse options, call the library, map errors to exit codes. No logic here."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from bookbuild.cli.completion import complete_step
from bookbuild.errors import BookbuildError, Interrupted
from bookbuild.project import Project, load_spec
from bookbuild.version import __version__

if TYPE_CHECKING:
    from bookbuild.build.make import MakeSummary
    from bookbuild.cli.report import PlainReporter, RichReporter

F = TypeVar("F", bound=Callable[..., Any])
PATH_ARG = click.argument("path", type=click.Path(path_type=Path), default=Path("."))


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _run(ctx: click.Context, action: Callable[[], int | None]) -> None:
    """Run a command body; BookbuildError -> its exit code (2 input, 1 build), no traceback."""
    try:
        code = action() or 0
    except BookbuildError as exc:
        if ctx.obj.get("debug"):
            traceback.print_exc()
        _console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
        code = exc.exit_code
    ctx.exit(code)


def draft_option(func: F) -> F:
    return click.option(
        "--draft", is_flag=True, help="Route every model call to the free offline provider."
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bookbuild")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Build illustrated books from book.yaml with chat and image models, reproducibly."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command()
@click.argument("folder", type=click.Path(path_type=Path), default=Path("."))
@click.option(
    "--template",
    "-t",
    default=None,
    metavar="NAME",
    help="picture-book, novel or korean-novel (default: novel; korean-novel for --language ko).",
)
@click.option("--list", "list_templates", is_flag=True, help="List the templates and exit.")
@click.option("--title", default=None, help="Book title (default: the template's).")
@click.option("--language", default=None, help="Language tag (ko, en, ...).")
@click.option("--author", default=None, help="Author name.")
@click.pass_context
def init(
    ctx: click.Context,
    folder: Path,
    template: str | None,
    list_templates: bool,
    title: str | None,
    language: str | None,
    author: str | None,
) -> None:
    """Create a new book folder from a template: a complete book that builds with --draft."""
    from bookbuild.project import book_json_schema
    from bookbuild.scaffold import TEMPLATES, init_book

    def action() -> None:
        if list_templates:
            for name, known in TEMPLATES.items():
                click.echo(f"{name:<14} {known.summary}")
            return
        written = init_book(
            folder,
            template=template,
            title=title,
            language=language,
            author=author,
            schema=book_json_schema,
        )
        for path in written:
            click.echo(f"created {path}")
        click.echo(
            f"next: bookbuild make {folder} --draft   (free; then `bookbuild plan {folder}`)"
        )

    _run(ctx, action)


@main.command()
@PATH_ARG
@draft_option
@click.option("--locked", is_flag=True, help="Never call a model; fail if a step is not pinned.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=4, help="Steps in parallel.")
@click.option("--format", "formats", default="html,pdf", help="Outputs: html,pdf,epub.")
@click.option(
    "--only",
    default=None,
    shell_complete=complete_step,
    help="Only steps matching this glob (and their inputs).",
)
@click.option("--budget", type=click.FloatRange(min=0), default=None, help="Max forecast, USD.")
@click.option(
    "--refresh",
    multiple=True,
    metavar="ID",
    shell_complete=complete_step,
    help="Redo a frozen illustration or chapter (id or glob; repeatable).",
)
@click.option("--progress/--plain", default=None, help="Progress bar (default: on a terminal).")
@click.option("--verbose", "-v", is_flag=True, help="Also list cached steps.")
@click.option("--strict", is_flag=True, help="Make print-preflight warnings errors.")
@click.option(
    "--batch", is_flag=True, help="Chat and picture steps via the OpenAI Batch API (half price)."
)
@click.option("--wait", is_flag=True, help="Wait for batches to finish (default: return).")
@click.pass_context
def make(
    ctx: click.Context,
    path: Path,
    draft: bool,
    locked: bool,
    jobs: int,
    formats: str,
    only: str | None,
    budget: float | None,
    refresh: tuple[str, ...],
    progress: bool | None,
    verbose: bool,
    strict: bool,
    batch: bool,
    wait: bool,
) -> None:
    """Build the book: run what is new or changed, then render."""
    from bookbuild.build.make import MakeOptions
    from bookbuild.build.make import make as make_book
    from bookbuild.build.outputs import parse_formats
    from bookbuild.build.stamping import StampRecorder

    def action() -> None:
        options = MakeOptions(
            parse_formats(formats),
            jobs,
            locked,
            only,
            budget,
            refresh,
            strict=strict,
            batch=batch,
            wait=wait,
        )
        stamp = StampRecorder(
            path, draft=draft, locked=locked, strict=strict, formats=options.formats, budget=budget
        )
        project = Project.open(path, draft=draft)
        with _reporter(progress, verbose) as reporter:
            summary = make_book(project, options, reporter, stop)
        _echo_summary(summary)
        if only is None and not summary.pending:
            stamp.record(project, summary)

    with _stop_on_ctrl_c() as stop:
        _run(ctx, action)


def _reporter(progress: bool | None, verbose: bool) -> PlainReporter | RichReporter:
    """Progress bars on a terminal (or with --progress), plain lines otherwise."""
    from bookbuild.cli.report import PlainReporter, RichReporter

    console = _console()
    use_rich = console.is_terminal if progress is None else progress
    return (RichReporter if use_rich else PlainReporter)(console, verbose)


def _echo_summary(summary: MakeSummary) -> None:
    """The closing lines of `make`: calls, cache hits, each output written or up to date."""
    from bookbuild.build.stamp import summary_lines

    if summary.pending:
        click.echo(
            f"{len(summary.pending)} step(s) waiting in a batch, {len(summary.deferred)} after "
            "them; nothing rendered yet: run `bookbuild make` again later to collect them "
            "(nothing is sent twice), or `make --wait`"
        )
    outputs = [(f, str(out), out.stat().st_size) for f, out in summary.outputs.items()]
    state = "written" if summary.rendered else "up to date"
    for line in summary_lines(len(summary.called), summary.cached, outputs, state):
        click.echo(line)


@contextmanager
def _stop_on_ctrl_c() -> Iterator[threading.Event]:
    """The first Ctrl-C sets the event (the build starts no new step and finishes what is in
    flight); the second quits at once with exit 130. Never a KeyboardInterrupt traceback."""
    from bookbuild.build.events import BuildStop

    stop = BuildStop()

    def on_sigint(signum: int, frame: object) -> None:
        if not stop.is_set():
            stop.set()
            if stop.rendering:  # nothing paid is in flight: stop the render itself
                sys.stderr.write("\nCtrl-C: stopping the render\n")
                raise Interrupted(
                    "stopped by Ctrl-C while rendering: every step is kept and pinned; the "
                    "outputs were not all written (`bookbuild make` renders them again)"
                )
            sys.stderr.write("\nCtrl-C: finishing the steps in flight; Ctrl-C again quits now\n")
            return
        sys.stderr.write("\nCtrl-C again: quitting now (queued jobs stay recorded)\n")
        sys.stderr.flush()
        os._exit(130)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


@main.command()
@PATH_ARG
@draft_option
@click.option("--changed", is_flag=True, help="Only the steps that make would run.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def plan(ctx: click.Context, path: Path, draft: bool, changed: bool, as_json: bool) -> None:
    """A summary (calls, cost, what changed and what it cascades into), then every step."""
    from bookbuild.cli.plan_view import print_plan
    from bookbuild.reports.inspect_plan import plan_report

    def action() -> None:
        data = plan_report(Project.open(path, draft=draft)).to_json()
        if as_json:
            if changed:
                data["steps"] = [s for s in data["steps"] if s["will_run"]]
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
            return
        console = _console()
        if not console.is_terminal:
            console.width = 160  # a log or a pipe: keep step ids whole
        print_plan(console, data, changed)

    _run(ctx, action)


@main.command()
@click.argument("step", shell_complete=complete_step)
@PATH_ARG
@draft_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def explain(ctx: click.Context, step: str, path: Path, draft: bool, as_json: bool) -> None:
    """A step's status and why, its inputs, and what it made (says when a draft result exists)."""
    from bookbuild.cli.plan_view import print_explain
    from bookbuild.reports.inspect_plan import explain_step

    def action() -> None:
        info = explain_step(Project.open(path, draft=draft), step)
        if as_json:
            click.echo(json.dumps(info, indent=2, ensure_ascii=False))
            return
        print_explain(_console(), info, draft)

    _run(ctx, action)


@main.command("upgrade-defaults")
@PATH_ARG
@click.option("--to", type=int, default=None, help="The defaults_version to write (the newest).")
@click.option("--dry-run", is_flag=True, help="Only say what changes and what re-runs.")
@draft_option
@click.pass_context
def upgrade_defaults(
    ctx: click.Context, path: Path, to: int | None, dry_run: bool, draft: bool
) -> None:
    """Raise book.yaml's defaults_version: what it sets, what re-runs (calls, cost), then write."""
    from bookbuild.cli.upgrade import upgrade_command

    _run(ctx, lambda: upgrade_command(path, to, dry_run, draft))


@main.command()
@PATH_ARG
@click.option("--strict", is_flag=True, help="Make warnings errors (exit 2).")
@click.pass_context
def validate(ctx: click.Context, path: Path, strict: bool) -> None:
    """Check book.yaml (every error at once, with line:col), fonts; warnings too."""
    from bookbuild.build.checks import check_book
    from bookbuild.errors import SpecError
    from bookbuild.graph.plan import plan_book
    from bookbuild.providers.registry import CATALOG
    from bookbuild.spec.validate import validate_warnings

    def action() -> None:
        project = Project(load_spec(path, checks=(lambda spec: check_book(spec).errors,)))
        graph = plan_book(project.spec)
        checks = check_book(project.spec)
        if checks.errors:
            raise SpecError(checks.errors)
        warnings = validate_warnings(project.spec, project.spec.catalog or CATALOG)
        warnings = [*warnings, *checks.warnings]
        if strict and warnings:
            raise SpecError(warnings)
        for warning in warnings:
            _console(stderr=True).print(f"[yellow]warning: {escape(str(warning))}[/]")
        click.echo(
            f"{project.spec.path.name}: ok ({len(graph.chapters)} chapter(s), "
            f"{len(graph.steps)} step(s))" + (f", {len(warnings)} warning(s)" if warnings else "")
        )

    _run(ctx, action)


@main.command()
@click.argument("step", shell_complete=complete_step)
@PATH_ARG
@draft_option
@click.pass_context
def show(ctx: click.Context, step: str, path: Path, draft: bool) -> None:
    """Write a step's picture (or text) to build/steps/ and print its path."""
    from bookbuild.reports.show import show_step

    _run(ctx, lambda: click.echo(show_step(Project.open(path, draft=draft), step)))


@main.command()
@PATH_ARG
@draft_option
@click.pass_context
def proofs(ctx: click.Context, path: Path, draft: bool) -> None:
    """Contact sheet (HTML and PDF) of every illustration's chain and takes."""
    from bookbuild.reports.proofs import write_proofs

    def action() -> None:
        written = write_proofs(Project.open(path, draft=draft))
        click.echo(f"{written.illustrations} illustration(s)")
        click.echo(f"html: {written.html}")
        click.echo(f"pdf: {written.pdf}")

    _run(ctx, action)


@main.command()
@PATH_ARG
@draft_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the studio in a browser.")
@click.pass_context
def serve(
    ctx: click.Context, path: Path, draft: bool, host: str, port: int, open_browser: bool
) -> None:
    """The studio: live preview, illustration board and region editor, in the browser."""
    from bookbuild.studio import serve as serve_studio

    def ready(url: str) -> None:
        click.echo(f"bookbuild studio: {url} (Ctrl-C stops it)", err=True)

    def say(line: str) -> None:
        click.echo(f"bookbuild studio: {line}", err=True)

    _run(
        ctx,
        lambda: serve_studio(
            path,
            host=host,
            port=port,
            draft=draft,
            open_browser=open_browser,
            on_ready=ready,
            say=say,
        ),
    )


@main.command()
@PATH_ARG
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@click.pass_context
def gc(ctx: click.Context, path: Path, dry_run: bool) -> None:
    """Remove store entries that neither book.lock nor the draft lock pins (old takes too)."""
    from bookbuild.store.buildlock import exclusive_build, exclusive_store
    from bookbuild.store.gc import collect_garbage

    def waiting(owner: str) -> None:
        click.echo(f"waiting for the build in progress ({owner})", err=True)

    def action() -> None:
        for draft in (False, True):  # the real store, then the drafts' own
            project = Project.open(path, draft=draft)
            with (  # a make in progress writes temp files and job records: wait for it
                exclusive_build(project.root / ".bookbuild", waiting, optional=True),
                exclusive_store(project.store.root, waiting),
            ):
                report = collect_garbage(project.root, project.store, dry_run=dry_run)
            verb = "would remove" if report.dry_run else "removed"
            click.echo(
                f"{'drafts' if draft else 'store'}: {verb} {report.removed_objects} object(s) "
                f"({report.freed_bytes / 1024:.0f} KiB) and {report.removed_actions} record(s), "
                f"{report.removed_temp} stray temp file(s) and {report.removed_jobs} finished "
                f"job record(s); kept {report.kept_objects} pinned object(s)"
            )

    _run(ctx, action)


JOBS_OPTION = click.option(
    "--jobs", "-j", type=click.IntRange(1, 64), default=8, help="Transfers in parallel."
)


@main.command()
@PATH_ARG
@click.option("--all", "everything", is_flag=True, help="Every stored result, not only pins.")
@JOBS_OPTION
@click.pass_context
def push(ctx: click.Context, path: Path, everything: bool, jobs: int) -> None:
    """Upload the pinned results to the team's remote store (`store: remote:` in book.yaml)."""
    from bookbuild.cli.team import push_command

    _run(ctx, lambda: push_command(path, everything, jobs))


@main.command()
@PATH_ARG
@click.option("--only", default=None, help="Only the steps matching this glob.")
@JOBS_OPTION
@click.pass_context
def pull(ctx: click.Context, path: Path, only: str | None, jobs: int) -> None:
    """Fetch the pinned results missing here from the team's remote store."""
    from bookbuild.cli.team import pull_command

    _run(ctx, lambda: pull_command(path, only, jobs))


@main.command()
@PATH_ARG
@click.option("--remote", is_flag=True, help="Also ask the remote store what it holds.")
@JOBS_OPTION
@click.pass_context
def status(ctx: click.Context, path: Path, remote: bool, jobs: int) -> None:
    """Where the pinned results are: the local store, and with --remote the remote store."""
    from bookbuild.cli.team import status_command

    _run(ctx, lambda: status_command(path, remote, jobs))


@main.command()
@click.pass_context
def schema(ctx: click.Context) -> None:
    """Print the JSON Schema of book.yaml (for editors)."""
    from bookbuild.project import book_json_schema

    _run(ctx, lambda: click.echo(json.dumps(book_json_schema(), indent=2, ensure_ascii=False)))


@main.group()
def lock() -> None:
    """Work with book.lock (git's merge driver)."""


@lock.command("merge")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("ours", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.pass_context
def lock_merge(ctx: click.Context, base: Path, ours: Path, theirs: Path) -> None:
    """Merge book.lock step by step; git runs it as `bookbuild lock merge %O %A %B`."""
    from bookbuild.store.merge import merge_lock_files

    def action() -> int:
        merged = merge_lock_files(base, ours, theirs)
        for line in merged.notes + merged.conflicts:
            click.echo(f"book.lock: {line}", err=True)
        return 1 if merged.conflicts else 0

    _run(ctx, action)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
