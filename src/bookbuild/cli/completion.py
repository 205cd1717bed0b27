"""Shell completion of step ids (click's mechanism: `_BOOKBUILD_COMPLETE=bash_source bookbuild`)
for `explain`, `show`, `make --only` and `make --refresh`, from the book in the folder given
on the command line so far, else the current folder. A book that does not load completes nothing."""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem


def book_ids(path: Path) -> list[str]:
    """Every step id of the book, then each chapter and illustration id prefix (for globs and
    --refresh, which takes an illustration or a chapter)."""
    from bookbuild.graph.plan import plan_book
    from bookbuild.project import load_spec

    graph = plan_book(load_spec(path))
    prefixes: dict[str, None] = {}
    for step_id in graph.steps:
        parts = step_id.split("/")
        for end in range(1, len(parts)):
            prefixes["/".join(parts[:end])] = None
    return [*graph.steps, *(p for p in prefixes if p not in graph.steps)]


def complete_step(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    try:
        ids = book_ids(_book_path(ctx))
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [CompletionItem(i) for i in ids if i.startswith(incomplete)]


def _book_path(ctx: click.Context) -> Path:
    """The book the command line names so far. While an option waits for its value (`make
    my-book --only <Tab>`), click leaves the words before it unparsed in `ctx.args`: the
    first of them that is not an option is the book's folder."""
    given = ctx.params.get("path")
    if given is not None and Path(given) != Path("."):
        return Path(given)
    words = [w for w in ctx.args if not w.startswith("-")]
    return Path(words[0]) if words else Path(".")
