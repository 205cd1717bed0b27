"""`plan` opens with a summary (calls and cost, what changed and what it cascades into, the
freeze hint), `plan --changed` lists only what will run, `explain` reads as a report (`--json`
for scripts) and says when a draft result exists; step ids complete in the shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.cli.commands import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    book = tmp_path_factory.mktemp("plan") / "novel"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(book), "--template", "novel"]).exit_code == 0
    made = runner.invoke(main, ["make", str(book), "--draft", "--plain", "--format", "html"])
    assert made.exit_code == 0, made.output
    return book


@pytest.fixture
def edited(built: Path, tmp_path: Path) -> Path:
    """The built book with the first chapter's text changed."""
    import shutil

    book = tmp_path / "novel"
    shutil.copytree(built, book)
    with (book / "chapters" / "bottle.md").open("a", encoding="utf-8") as out:
        out.write("\nOne more line.\n")
    return book


def plan(book: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["plan", str(book), "--draft", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_plan_of_an_up_to_date_book_opens_with_a_summary(built: Path) -> None:
    out = plan(built)
    first = out.splitlines()[0]
    assert first.startswith("plan: 9 step(s), 0 will run (9 pinned)")
    assert "make would make 0 call(s)" in out.split("step ")[0]  # before the table


def test_plan_names_what_changed_and_what_it_cascades_into(edited: Path) -> None:
    out = plan(edited)
    summary = out.split("\n\n")[0]
    assert "changed: bottle/text (files.file changed)" in summary
    assert "re-runs 6 step(s) after it: bottle/summary, letter/text" in summary
    assert "offline: 6 call(s), free (runs locally)" in summary


def test_plan_hints_at_freeze_when_upstream_change_reruns_pinned_work(edited: Path) -> None:
    out = plan(edited)
    hint = next(line for line in out.splitlines() if line.startswith("hint:"))
    assert "letter/lamplight/image" in hint and "letter/text" in hint
    assert "bottle/summary" not in hint  # a summary follows its chapter: freeze cannot keep it
    assert "freeze: true" in hint


def test_freezing_the_approved_work_silences_the_hint(edited: Path) -> None:
    spec = edited / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    text = text.replace("  - id: letter\n", "  - id: letter\n    freeze: true\n")
    text = text.replace("  - id: storm\n", "  - id: storm\n    freeze: true\n")
    spec.write_text(text, encoding="utf-8")
    out = plan(edited)
    assert "hint:" not in out
    assert "frozen" in out.splitlines()[0]


def test_plan_changed_lists_only_the_steps_that_will_run(edited: Path) -> None:
    out = plan(edited, "--changed")
    table = out.split("\n\n", 1)[1]
    assert "letter/lamplight/image" in table
    assert "bottle/shore/image" not in table and "cover/front/image" not in table
    data = json.loads(plan(edited, "--changed", "--json"))
    assert {s["id"] for s in data["steps"]} == {
        "bottle/text", "bottle/summary", "letter/text", "letter/summary",
        "letter/lamplight/prompt", "letter/lamplight/image", "storm/text",
    }  # fmt: skip
    assert data["summary"]["changes"][0]["step"] == "bottle/text"


def test_plan_changed_on_an_up_to_date_book_says_nothing_runs(built: Path) -> None:
    assert "nothing to run: every step is up to date" in plan(built, "--changed")


def test_explain_is_a_readable_report_and_json_on_request(built: Path) -> None:
    runner = CliRunner()
    args = ["explain", "letter/lamplight/image", str(built), "--draft"]
    out = runner.invoke(main, args).output
    assert out.splitlines()[0].split() == ["step", "letter/lamplight/image"]
    assert "status  pinned" in out
    assert "needs   prompt ← letter/lamplight/prompt" in out
    assert "key inputs" in out and not out.lstrip().startswith("{")
    info = json.loads(runner.invoke(main, [*args, "--json"]).output)
    assert info["status"] == "pinned" and info["draft_result"] is None


def test_explain_without_draft_says_a_draft_result_exists(built: Path) -> None:
    result = CliRunner().invoke(
        main, ["explain", "letter/lamplight/image", str(built)], env={"OPENAI_API_KEY": "x"}
    )
    assert result.exit_code == 0, result.output
    assert "status  waiting" in result.output
    assert "draft   a draft result exists: add --draft to see it" in result.output


def _complete(book: Path, words: str) -> list[str]:
    env = {
        **os.environ,
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        "_BOOKBUILD_COMPLETE": "bash_complete",
        "PYTHONPATH": str(ROOT / "src"),
        "BOOKBUILD_NO_FASTPATH": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bookbuild"], capture_output=True, text=True, env=env, cwd=book,
        timeout=120,
    )  # fmt: skip
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]


def test_shell_completion_offers_step_ids_for_explain_and_show(built: Path) -> None:
    assert _complete(built, "bookbuild explain letter/lamp") == [
        "letter/lamplight/prompt", "letter/lamplight/image", "letter/lamplight",
    ]  # fmt: skip
    assert "cover/front/image" in _complete(built, "bookbuild show co")


def test_shell_completion_offers_ids_for_only_and_refresh(built: Path) -> None:
    assert "storm/text" in _complete(built, "bookbuild make --only sto")
    assert "letter/lamplight" in _complete(built, "bookbuild make --refresh letter/l")


def test_shell_completion_outside_a_book_offers_nothing(tmp_path: Path) -> None:
    assert _complete(tmp_path, "bookbuild explain ") == []
