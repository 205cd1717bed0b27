"""bookbuild: illustrated books from a YAML spec, built reproducibly.

The public API for scripts (imported on first use, so `import bookbuild` stays cheap):

    import bookbuild
    project = bookbuild.Project.open(Path("my-book"), draft=True)   # load and validate book.yaml
    report = bookbuild.plan_report(project)                          # what make would do, and why
    summary = bookbuild.make_book(project, bookbuild.MakeOptions(formats=("html", "pdf")))
    print(summary.called, summary.outputs)

Errors are the `BookbuildError` tree (`bookbuild.errors`): `UserError` (exit 2: fix the input)
and the others (exit 1: the build failed).
"""

from __future__ import annotations

from importlib import import_module

from bookbuild.version import __version__ as __version__

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the no-op `make` ms
if TYPE_CHECKING:
    from typing import Any

    from bookbuild.build.make import MakeOptions, MakeSummary
    from bookbuild.build.make import make as make_book
    from bookbuild.errors import (
        BookbuildError,
        BuildFailed,
        ConfigError,
        LockedError,
        ProviderError,
        RenderError,
        SpecError,
        SpecIssue,
        StoreError,
        UserError,
    )
    from bookbuild.graph.model import Graph
    from bookbuild.graph.plan import plan_book
    from bookbuild.project import Project, load_spec
    from bookbuild.reports.inspect_plan import PlanReport, explain_step, plan_report
    from bookbuild.spec import LoadedSpec

_HOMES = {
    "Project": "project",
    "load_spec": "project",
    "LoadedSpec": "spec",
    "plan_book": "graph.plan",
    "Graph": "graph.model",
    "plan_report": "reports.inspect_plan",
    "PlanReport": "reports.inspect_plan",
    "explain_step": "reports.inspect_plan",
    "make_book": "build.make",
    "MakeOptions": "build.make",
    "MakeSummary": "build.make",
    **dict.fromkeys(
        [
            "BookbuildError",
            "BuildFailed",
            "ConfigError",
            "LockedError",
            "ProviderError",
            "RenderError",
            "SpecError",
            "SpecIssue",
            "StoreError",
            "UserError",
        ],
        "errors",
    ),
}

__all__ = [
    "BookbuildError",
    "BuildFailed",
    "ConfigError",
    "Graph",
    "LoadedSpec",
    "LockedError",
    "MakeOptions",
    "MakeSummary",
    "PlanReport",
    "Project",
    "ProviderError",
    "RenderError",
    "SpecError",
    "SpecIssue",
    "StoreError",
    "UserError",
    "explain_step",
    "load_spec",
    "make_book",
    "plan_book",
    "plan_report",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        module = import_module(f"bookbuild.{_HOMES[name]}")
        return getattr(module, "make" if name == "make_book" else name)
    raise AttributeError(f"module 'bookbuild' has no attribute {name!r}")
