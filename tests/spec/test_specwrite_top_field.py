"""`set_top_field` (what `upgrade-defaults` writes): one line above `title:`, or the value
replaced where it is written; every other byte of book.yaml kept."""

from __future__ import annotations

from bookbuild.spec.specwrite import set_top_field

TEXT = """\
# my book
title: Fox   # the title
models:
  painter: {provider: offline,
            width: 768}
chapters: [{id: one, title: One, text: a}]
"""


def test_the_field_goes_above_the_title_and_nothing_else_moves() -> None:
    written = set_top_field(TEXT, "defaults_version", 2)
    assert written == TEXT.replace("title: Fox", "defaults_version: 2\ntitle: Fox")


def test_a_written_field_is_replaced_in_place() -> None:
    once = set_top_field(TEXT, "defaults_version", 1)
    again = set_top_field(
        once.replace("defaults_version: 1", "defaults_version: 1  # old"), "defaults_version", 2
    )
    assert again == TEXT.replace("title: Fox", "defaults_version: 2  # old\ntitle: Fox")
