"""A whole book built against fake OpenAI and Stable Diffusion API servers on 127.0.0.1,
through the real `openai` SDK and `requests`: calls, caching, budgets, secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.errors import BuildFailed, ConfigError
from bookbuild.project import Project
from tests.fakes.openai_server import FakeOpenAI, invalid_api_key
from tests.fakes.sdapi_server import FakeSDAPI, processing

OPENAI_SENTINEL = "sk-SENTINEL-openai-7f3a9c"
SDAPI_SENTINEL = "SENTINEL-sdapi-51be02"

SPEC = """\
title: 토끼와 거북이
authors: [바람숲]
language: ko
premise: 토끼와 거북이의 경주.
models:
  writer: {provider: openai, model: gpt-4o-mini, temperature: 0.7, max_tokens: 800}
  painter: {provider: sdapi, model: sdxl, width: 512, height: 512, steps: 20,
            negative_prompt: "blurry"}
  legacy: {provider: sdapi, api: v3, model: null}
defaults: {text: writer, prompt: writer, image: painter}
chapters:
  - id: meadow
    title: 숲속의 아침
    text: "토끼와 거북이가 숲속에 살았습니다."
    illustrations:
      - id: morning
        prompt: "a forest meadow at sunrise, watercolor"
        seed: 11
        edits:
          - inpaint: {mask: {ellipse: [0.6, 0.05, 0.95, 0.35]}, prompt: "a bright sun"}
          - upscale: {scale: 2}
  - id: race
    title: 경주의 시작
    write: "토끼가 거북이에게 경주를 제안한다."
    illustrations:
      - id: challenge
        describe: "soft watercolor"
        seed: 42
        model: legacy
        edits:
          - remove_background: {}
"""

EXPECTED_CALLS = {
    "openai": ["meadow/summary", "race/challenge/prompt", "race/text"],
    "sdapi": [
        "meadow/morning/edit-1",
        "meadow/morning/edit-2",
        "meadow/morning/image",
        "race/challenge/edit-1",
        "race/challenge/image",
    ],
}


@pytest.fixture
def services() -> Iterator[tuple[FakeOpenAI, FakeSDAPI]]:
    with FakeOpenAI(api_key=OPENAI_SENTINEL) as chat, FakeSDAPI(key=SDAPI_SENTINEL) as images:
        yield chat, images


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def env_for(chat: FakeOpenAI, images: FakeSDAPI) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": OPENAI_SENTINEL,
        "OPENAI_BASE_URL": chat.base_url,
        "SDAPI_KEY": SDAPI_SENTINEL,
        "SDAPI_BASE_URL": images.base_url,
    }


def build(book: Path, env: dict[str, str], **options: object) -> list[str]:
    events: list[Event] = []
    opts = MakeOptions(formats=("html",), **options)  # type: ignore[arg-type]
    summary = make(Project.open(book, env=env), opts, events.append)
    return sorted(summary.called)


def test_full_book_calls_each_service_once_per_step(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, images = services
    called = build(book, env_for(chat, images))
    assert called == sorted(EXPECTED_CALLS["openai"] + EXPECTED_CALLS["sdapi"])
    assert len(chat.bodies) == 3
    assert images.count("submit") == 5
    html = (book / "build" / "index.html").read_text(encoding="utf-8")
    assert "경주의 시작" in html
    # the writer of chapter 2 was told what happened in chapter 1
    write_body = next(
        b
        for b in chat.bodies
        if "경주의 시작" in json.dumps(b, ensure_ascii=False) and "Brief" in json.dumps(b)
    )
    assert "숲속의 아침" in json.dumps(write_body, ensure_ascii=False)


def test_rebuild_with_nothing_changed_calls_no_service(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, images = services
    build(book, env_for(chat, images))
    before = (len(chat.requests), len(images.requests))
    assert build(book, env_for(chat, images)) == []
    assert (len(chat.requests), len(images.requests)) == before


def test_secrets_never_reach_any_file_written(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, images = services
    events: list[Event] = []
    make(
        Project.open(book, env=env_for(chat, images)), MakeOptions(formats=("html",)), events.append
    )
    written = [p for p in book.rglob("*") if p.is_file()]
    assert any(".bookbuild" in p.parts for p in written)
    for path in written:
        data = path.read_bytes()
        assert OPENAI_SENTINEL.encode() not in data, path
        assert SDAPI_SENTINEL.encode() not in data, path
    for event in events:
        assert OPENAI_SENTINEL not in event.message and SDAPI_SENTINEL not in event.message


def test_plan_forecasts_calls_and_cost_per_provider(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, images = services
    from bookbuild.reports.inspect_plan import plan_report

    report = plan_report(Project.open(book, env=env_for(chat, images))).to_json()
    assert report["calls"] == {"openai": 3, "sdapi": 5}
    assert report["estimated_cost_usd"]["sdapi"] > 0
    assert report["estimated_cost_usd"]["openai"] > 0
    assert not chat.requests and not images.requests  # planning calls nothing


def test_budget_refuses_to_start_when_forecast_exceeds_it(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, images = services
    for name, value in env_for(chat, images).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["make", str(book), "--budget", "0.001"])
    assert result.exit_code == 2
    assert "--budget" in result.output
    assert not chat.requests and not images.requests


def test_missing_key_is_exit_2_before_any_call(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, images = services
    env = env_for(chat, images)
    del env["SDAPI_KEY"]
    with pytest.raises(ConfigError, match="SDAPI_KEY"):
        build(book, env)
    assert not chat.requests and not images.requests


def test_failed_step_keeps_the_others_and_is_never_cached(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, images = services
    chat.script(invalid_api_key())  # the first chat call (meadow/summary) fails
    with pytest.raises(BuildFailed) as failed:
        build(book, env_for(chat, images), jobs=1)
    assert "meadow/summary" in str(failed.value)
    assert OPENAI_SENTINEL not in str(failed.value)
    lock = json.loads((book / "book.lock").read_text())
    assert "meadow/morning/image" in lock["steps"]  # finished work is pinned
    assert "meadow/summary" not in lock["steps"]
    called = build(book, env_for(chat, images))  # the failure was not cached
    assert "meadow/summary" in called
    assert "meadow/morning/image" not in called


def test_queued_image_job_is_polled_to_completion(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, images = services
    images.script("txt2img", processing(fetches=1, eta=0.01))
    build(book, env_for(chat, images))
    assert images.count("fetch") >= 1
    assert images.count("txt2img") == 2


def test_concurrency_is_capped_per_provider() -> None:
    from bookbuild.build.pool import ProviderPool
    from bookbuild.providers.registry import make_preset

    presets = {
        "painter": make_preset(provider="sdapi", concurrency=2),
        "storybook": make_preset(provider="sdapi"),  # same account: shares painter's limit
        "writer": make_preset(provider="openai", concurrency=32),
        "draft": make_preset(provider="offline"),
    }
    pool = ProviderPool(presets, {}, jobs=4, on_event=lambda event: None)
    assert pool.limit("painter") is pool.limit("storybook")
    shared = pool.limit("storybook")
    assert sum(shared.acquire(blocking=False) for _ in range(10)) == 2
    assert sum(pool.limit("writer").acquire(blocking=False) for _ in range(10)) == 4  # --jobs
    assert sum(pool.limit("draft").acquire(blocking=False) for _ in range(10)) == 4


def test_interrupted_queued_job_resumes_without_paying_again(
    book: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, images = services
    spec = book / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(
        text.replace(
            'negative_prompt: "blurry"}', 'negative_prompt: "blurry",\n            deadline: 0.2}'
        ),
        encoding="utf-8",
    )
    meadow = "/api/v6/images/text2img"  # by path: the legacy (v3) picture may submit first
    images.script(meadow, processing(fetches=3, eta=0.01))  # meadow's image is slow
    with pytest.raises(BuildFailed, match="still processing"):
        build(book, env_for(chat, images))
    submits = images.count("txt2img")
    fetches = images.count("fetch")
    assert fetches >= 1
    spec.write_text(text, encoding="utf-8")  # a longer deadline: not part of any key
    called = build(book, env_for(chat, images))
    assert "meadow/morning/image" in called
    assert images.count("txt2img") == submits  # polled the same job, no second submit
    assert images.count("fetch") > fetches
