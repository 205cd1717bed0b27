"""How `plan` and `explain` read on a terminal: a summary first, then the table (plan); a short
report, not JSON (explain). `--json` on either prints the library's data as it is."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

MAX_LISTED = 8  # step ids named in one summary line before "and N more"


def _listed(ids: list[str]) -> str:
    shown = ", ".join(ids[:MAX_LISTED])
    more = len(ids) - MAX_LISTED
    return f"{shown}, and {more} more" if more > 0 else shown


def print_plan(console: Console, data: dict[str, Any], changed_only: bool) -> None:
    print_summary(console, data)
    steps = [s for s in data["steps"] if s["will_run"]] if changed_only else data["steps"]
    if not steps:
        console.print("nothing to run: every step is up to date" if changed_only else "")
        return
    console.print()
    table = Table(show_edge=False, pad_edge=False)
    cast = any(step.get("characters") for step in steps)  # a book with `characters:`
    for column in ("step", "op", "provider", "status", *(("cast",) if cast else ())):
        table.add_column(column, no_wrap=True)
    table.add_column("why")
    for step in steps:
        row = [step["id"], step["op"], step["provider"] or "-", step["status"]]
        if cast:
            row.append(", ".join(step.get("characters", ())))
        table.add_row(*row, "; ".join(step["reasons"]))
    console.print(table)


def print_summary(console: Console, data: dict[str, Any]) -> None:
    summary = data["summary"]
    counts = summary["counts"]
    parts = [f"{counts[state]} {state}" for state in sorted(counts)]
    console.print(
        f"[bold]plan:[/] {len(data['steps'])} step(s), {summary['will_run']} will run "
        f"({', '.join(parts)})"
    )
    for line in _call_lines(data):
        console.print(f"  {line}")
    for change in summary["changes"]:
        why = "; ".join(change["reasons"])
        console.print(f"[bold]changed:[/] {escape(change['step'])} ({escape(why)})")
        if change["cascades_into"]:
            cascade = change["cascades_into"]
            console.print(
                f"  → re-runs {len(cascade)} step(s) after it: {escape(_listed(cascade))}"
            )
    for hint in data.get("hints", ()):
        console.print(f"[bold]hint:[/] {escape(hint)}")
    rerun = summary["rerun_by_upstream"]
    if rerun:
        console.print(
            f"[bold]hint:[/] {len(rerun)} step(s) that had a result re-run only because something "
            f"upstream changed ({escape(_listed(rerun))}); put `freeze: true` on the chapters and "
            "illustrations you approved to keep them (`make --refresh ID` redoes one on purpose)"
        )


def _call_lines(data: dict[str, Any]) -> list[str]:
    lines = []
    for provider, calls in sorted(data["calls"].items()):
        cost = data["estimated_cost_usd"].get(provider, 0.0)
        if provider in data["local_providers"]:
            lines.append(f"{provider}: {calls} call(s), free (runs locally)")
        else:
            lines.append(f"{provider}: {calls} call(s), estimated ${cost:.4f}")
    for preset, calls in sorted(data["unknown_price_calls"].items()):
        lines.append(f"preset {preset}: {calls} call(s) of unknown price (set `price:` on it)")
    lines.append(
        f"make would make {data['total_calls']} call(s), "
        f"estimated ${data['total_estimated_cost_usd']:.4f}"
    )
    return lines


def print_explain(console: Console, info: dict[str, Any], draft: bool) -> None:
    """A step as a short report: what it is, its state and why, the draft result, its inputs."""
    who = ", ".join(
        x for x in (info["provider"], info["preset"] and f"preset {info['preset']}") if x
    )
    rows = [
        ("step", info["id"]),
        ("op", f"{info['op']} ({who})" if who else info["op"]),
        (
            "status",
            info["status"] + (f" — {'; '.join(info['reasons'])}" if info["reasons"] else ""),
        ),
    ]
    if info.get("draft_result") and not draft:
        rows.append(("draft", "a draft result exists: add --draft to see it"))
    rows += [("needs", f"{role} ← {dep}") for role, dep in info["depends_on"].items()]
    rows += [("file", f"{role}: {f['path']}") for role, f in info["files"].items()]
    rows += [("key", info["key"] or "not known yet (an input is not made yet)")]
    rows += [("output", info["output"] or "none yet")]
    for label, value in rows:
        console.print(f"[bold]{label:<7}[/] {escape(str(value))}")
    if info["stored_metadata"]:
        console.print("[bold]stored[/]")
        for name, value in info["stored_metadata"].items():
            console.print(f"  {escape(name)}: {escape(_short(value))}")
    if info["key_inputs"]:
        console.print("[bold]key inputs[/] (everything that can change the result)")
        for name, value in info["key_inputs"].items():
            console.print(f"  {escape(name)}: {escape(_short(value))}")
    if info["output_text"]:
        console.print("[bold]output text[/]")
        console.print(escape(info["output_text"]))


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."
