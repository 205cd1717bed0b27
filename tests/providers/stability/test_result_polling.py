"""Issue 19, item 7: a creative upscale's result is polled with `accept: image/*` (the results
route documents only image/* and application/json), and a poll the service refuses never makes
bookbuild forget the paid job: the next make polls the same job instead of paying 60 credits
again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bookbuild.errors import BuildFailed
from tests.fakes.stability_server import FakeStability, error, running
from tests.helpers.provider_books import build, write_book

SPEC = """\
title: The Sea
language: en
models:
  painter: {provider: stability, model: core, width: 512, height: 384}
  creative: {provider: stability, upscaler: creative, creativity: 0.3, poll_interval: 0.01}
defaults: {image: painter}
chapters:
  - id: shore
    title: The shore
    text: "The sea."
    illustrations:
      - id: big
        prompt: "the sea at night"
        edits:
          - upscale: {scale: 2, model: creative}
"""
UPSCALE = "shore/big/edit-1"


@pytest.fixture
def service() -> Iterator[FakeStability]:
    with FakeStability() as fake:
        yield fake


def test_the_result_is_polled_with_a_documented_accept_header(
    tmp_path: Path, service: FakeStability
) -> None:
    book = write_book(tmp_path, SPEC)
    service.script("creative", running(polls=2))
    assert UPSCALE in build(book, service.env)
    polls = [r for r in service.requests if r.path.startswith("/v2beta/results/")]
    assert polls and {r.headers.get("accept") for r in polls} == {"image/*"}


def test_a_refused_poll_keeps_the_paid_job_for_the_next_make(
    tmp_path: Path, service: FakeStability
) -> None:
    book = write_book(tmp_path, SPEC)
    service.script("creative", running(polls=1))
    service.script("results", error(400, "bad_request", "something about the poll"))
    with pytest.raises(BuildFailed) as failed:
        build(book, service.env)
    assert "stays recorded" in failed.value.failures[UPSCALE]
    assert list((book / ".bookbuild" / "store" / "jobs").glob("*.json"))
    assert build(book, service.env) == [UPSCALE]
    assert service.count("creative") == 1  # the same job, fetched, not paid again
