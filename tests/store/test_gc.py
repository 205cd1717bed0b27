"""`bookbuild gc` removes what no lock pins and keeps every build free."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.project import Project
from bookbuild.store.objects import Store


def test_gc_drops_old_takes_and_keeps_pinned_results(english_book: Path) -> None:
    options = MakeOptions(formats=("html",))
    make(Project.open(english_book, draft=True), options)
    spec = english_book / "book.yaml"
    spec.write_text(spec.read_text().replace("seed: 3", "seed: 3\n        take: 2"), "utf-8")
    make(Project.open(english_book, draft=True), options)  # take 1's image and edit now unpinned
    store = Store(english_book / ".bookbuild" / "store")
    before = len(list(store.objects()))
    runner = CliRunner()
    dry = runner.invoke(main, ["gc", str(english_book), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 2 object(s)" in dry.output
    assert len(list(store.objects())) == before
    done = runner.invoke(main, ["gc", str(english_book)])
    assert "removed 2 object(s)" in done.output
    assert len(list(store.objects())) == before - 2
    again = make(Project.open(english_book, draft=True), options)
    assert again.called == []
