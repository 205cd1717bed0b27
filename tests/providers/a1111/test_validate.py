"""`validate` knows what an a1111 preset can do, from the spec alone."""

from __future__ import annotations

from pathlib import Path

from bookbuild.project import load_spec
from tests.helpers.spec_books import only_issue

from .book_helpers import write_book

CUT_OUT = """\
      - id: fox
        prompt: "a fox"
        edits:
          - upscale: {scale: 2}
          - remove_background: {}
"""


def test_remove_background_without_rembg_is_refused_at_its_line(tmp_path: Path) -> None:
    book = write_book(tmp_path, CUT_OUT)
    issue = only_issue(book / "book.yaml")
    assert (issue.line, issue.col) == (16, 32)  # the edit's value
    assert "`a1111`" in issue.message and "remove_background" in issue.message


def test_every_other_op_is_accepted(tmp_path: Path) -> None:
    book = write_book(tmp_path, CUT_OUT.replace("          - remove_background: {}\n", ""))
    assert load_spec(book / "book.yaml").book.models["painter"].provider == "a1111"


def test_fields_that_mean_nothing_for_a_local_web_ui_are_reported(tmp_path: Path) -> None:
    book = write_book(tmp_path, CUT_OUT, "{provider: a1111, rembg: u2net, api_key_env: A1111_KEY}")
    issue = only_issue(book / "book.yaml")
    assert issue.line == 5 and "`api_key_env` has no effect on a1111" in issue.message
    assert "A1111_AUTH" in issue.message
