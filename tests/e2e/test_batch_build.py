"""Issue 23, item 3: batch builds through the OpenAI Batch API (a fake following the documented
lifecycle): the Korean sample over two `make` runs, each chat step paid once at half price;
a killed build never submits its batch again; failed, expired and refused requests."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, MakeSummary, make
from bookbuild.errors import BuildFailed
from bookbuild.project import Project
from bookbuild.providers import pricing
from bookbuild.providers.openai import batches
from bookbuild.reports.inspect_plan import plan_report
from bookbuild.store.objects import Store
from tests.conftest import copy_sample
from tests.fakes.openai_server import CHAT_PATH, FakeOpenAI
from tests.fakes.sdapi_server import FakeSDAPI

KEY = "sk-batch-test-0001"
WRITER = "writer:    {provider: openai, model: gpt-4o-mini, temperature: 0.8}"


@pytest.fixture
def services() -> tuple[FakeOpenAI, FakeSDAPI]:
    with FakeOpenAI(api_key=KEY) as chat, FakeSDAPI() as images:
        yield chat, images


def korean(tmp_path: Path, batch: bool = True) -> Path:
    book = copy_sample("hare-and-tortoise", tmp_path)
    spec = (book / "book.yaml").read_text(encoding="utf-8")
    assert WRITER in spec
    writer = WRITER.replace("temperature: 0.8}", "temperature: 0.8, batch: true}")
    (book / "book.yaml").write_text(spec.replace(WRITER, writer if batch else WRITER), "utf-8")
    return book


def env(chat: FakeOpenAI, images: FakeSDAPI) -> dict[str, str]:
    return {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": chat.base_url, **images.env}


def build(book: Path, services: tuple[FakeOpenAI, FakeSDAPI], **opts: object) -> MakeSummary:
    options = MakeOptions(formats=("html",), jobs=2, batch_poll=0.01, **opts)  # type: ignore[arg-type]
    events: list[Event] = []
    summary = make(Project.open(book, env=env(*services)), options, events.append)
    summary.events = events  # type: ignore[attr-defined]
    return summary


def direct_chat_calls(chat: FakeOpenAI) -> int:
    batched = len(chat.batch.answered)
    return sum(r.path == CHAT_PATH for r in chat.requests) - batched


def chat_steps(book: Path) -> list[str]:
    return [
        s["id"]
        for s in plan_report(Project.open(book)).to_json()["steps"]
        if s["provider"] == "openai"
    ]


def test_the_korean_sample_builds_over_two_makes_each_step_paid_once_at_half_price(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, _ = services
    book = korean(tmp_path)
    wanted = chat_steps(book)
    first = build(book, services)
    assert first.pending and first.batches and not first.rendered
    assert direct_chat_calls(chat) == 0
    assert not (book / "build" / "index.html").exists()
    second = build(book, services, wait=True)
    assert second.rendered and not second.pending
    assert "숲속의 아침" in (book / "build" / "index.html").read_text(encoding="utf-8")
    assert direct_chat_calls(chat) == 0
    assert Counter(chat.batch.answered) == Counter(wanted)  # every chat step paid exactly once
    assert len(chat.batch.uploads) == len(chat.batch.batches)  # one JSONL upload per batch
    lock = Project.open(book).load_lock()
    store = Store(book / ".bookbuild" / "store")
    for step_id in wanted:
        record = store.lookup(lock.entries[step_id].key)
        assert record is not None
        usage = record.metadata["usage"]
        price = pricing.chat_price("gpt-4o-mini", None)
        assert price is not None
        full = price.cost(usage["prompt_tokens"], usage["completion_tokens"])
        assert record.metadata["cost"] == pytest.approx(full * batches.BATCH_DISCOUNT, abs=1e-8)
        assert record.metadata["batch"].startswith("batch_")
    assert build(book, services).called == []  # and a third make has nothing to do


def test_plan_prices_batch_steps_at_half(tmp_path: Path) -> None:
    plain = plan_report(Project.open(korean(tmp_path / "a", batch=False))).to_json()
    batched = plan_report(Project.open(korean(tmp_path / "b"))).to_json()
    full, half = plain["estimated_cost_usd"]["openai"], batched["estimated_cost_usd"]["openai"]
    assert full > 0 and half == pytest.approx(full / 2)
    assert batched["estimated_cost_usd"]["sdapi"] == plain["estimated_cost_usd"]["sdapi"]


def test_make_batch_sends_chat_steps_of_a_preset_without_batch(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, _ = services
    book = korean(tmp_path, batch=False)
    assert build(book, services, batch=True).pending
    assert direct_chat_calls(chat) == 0 and chat.batch.batches


def test_a_build_killed_after_creating_its_batch_never_submits_it_again(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, _ = services
    book = korean(tmp_path)
    real = batches.OpenAIBatchAPI.submit

    def killed(self: batches.OpenAIBatchAPI, *args: object) -> str:
        real(self, *args)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # the process dies before the batch id is journaled

    monkeypatch.setattr(batches.OpenAIBatchAPI, "submit", killed)
    with pytest.raises(KeyboardInterrupt):
        build(book, services)
    monkeypatch.setattr(batches.OpenAIBatchAPI, "submit", real)
    assert len(chat.batch.batches) == 1
    jobs = list((book / ".bookbuild" / "store" / "jobs").glob("*.json"))
    assert jobs and all("id" not in json.loads(j.read_text())["batch"] for j in jobs)
    build(book, services, wait=True)
    first = next(iter(chat.batch.batches.values()))
    assert sorted(chat.batch.requests_in(first.id)) == sorted(
        s for s in chat.batch.answered if s in chat.batch.requests_in(first.id)
    )
    assert Counter(chat.batch.answered) == Counter(chat_steps(book))  # nothing paid twice
    assert len(chat.batch.uploads) == len(chat.batch.batches)


def test_an_expired_batch_keeps_what_finished_and_sends_the_rest_again(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, _ = services
    book = korean(tmp_path)
    chat.batch.end_next("expired", finish=1)
    summary = build(book, services, wait=True)
    assert summary.rendered
    statuses = [b.status for b in chat.batch.batches.values()]
    assert statuses[0] == "expired" and "completed" in statuses[1:]
    assert Counter(chat.batch.answered) == Counter(chat_steps(book))


def test_a_failed_batch_fails_its_steps_clearly_and_is_not_cached(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, _ = services
    book = korean(tmp_path)
    chat.batch.end_next("failed")
    with pytest.raises(BuildFailed, match="line 1 is not valid"):
        build(book, services, wait=True)
    assert build(book, services, wait=True).rendered  # sent again in a new batch
    assert Counter(chat.batch.answered) == Counter(chat_steps(book))


def test_a_request_the_batch_refused_fails_with_the_servers_message(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, _ = services
    book = korean(tmp_path)
    chat.batch.failing["meadow/summary"] = (400, "invalid_value", "max_tokens is too large")
    with pytest.raises(BuildFailed, match="max_tokens is too large"):
        build(book, services, wait=True)
    states = {b.status for b in chat.batch.batches.values()}
    assert states == {"completed"}  # every state went validating -> in_progress -> finalizing


def test_the_command_line_says_what_is_pending_then_collects(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    from click.testing import CliRunner

    from bookbuild.cli.commands import main

    book = korean(tmp_path)
    runner = CliRunner()
    argv = ["make", str(book), "--plain", "--format", "html"]
    first = runner.invoke(main, argv, env=env(*services))
    assert first.exit_code == 0, first.output
    assert "step(s) waiting in a batch" in first.output and "batch_fake0001" in first.output
    services[0].batch.finish_all()  # a day later
    second = runner.invoke(main, argv, env=env(*services))
    assert second.exit_code == 0, second.output
    assert "waiting in a batch" in second.output  # the next wave went in a new batch
    third = runner.invoke(main, [*argv, "--wait"], env=env(*services))
    assert third.exit_code == 0 and "html:" in third.output, third.output


def test_status_lists_the_steps_waiting_in_each_batch_without_asking_anyone(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    from click.testing import CliRunner

    from bookbuild.cli.commands import main

    chat, _ = services
    book = korean(tmp_path)
    pending = build(book, services).pending
    asked = len(chat.requests)
    shown = CliRunner().invoke(main, ["status", str(book)], env={})  # no key, no network
    assert shown.exit_code == 0, shown.output
    assert f"{len(pending)} step(s) waiting in batch batch_fake0001" in shown.output
    assert all(f"  {step}\n" in shown.output for step in pending)
    assert len(chat.requests) == asked
    build(book, services, wait=True)
    after = CliRunner().invoke(main, ["status", str(book)], env={})
    assert "waiting in" not in after.output


def test_a_cancelled_batch_is_not_billed_and_its_requests_go_in_the_next_batch(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    chat, _ = services
    book = korean(tmp_path)
    chat.batch.end_next("cancelled")
    assert build(book, services, wait=True).rendered
    statuses = [b.status for b in chat.batch.batches.values()]
    assert statuses[0] == "cancelled" and statuses[1:] and set(statuses[1:]) == {"completed"}
    first = next(iter(chat.batch.batches.values()))
    assert first.counts == {"completed": 0, "failed": len(first.lines)}  # none billed
    assert Counter(chat.batch.answered) == Counter(chat_steps(book))  # each paid once


def test_requests_over_the_batch_apis_limits_are_cut_into_several_batches(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bookbuild.providers import batch

    chat, _ = services
    book = korean(tmp_path)
    monkeypatch.setattr(batch, "MAX_BATCH_REQUESTS", 2)
    first = build(book, services)
    assert len(first.pending) > 2
    sizes = [len(b.lines) for b in chat.batch.batches.values()]
    assert max(sizes) == 2 and sum(sizes) == len(first.pending)
    assert len(chat.batch.uploads) == len(sizes)  # one JSONL upload per batch
    monkeypatch.setattr(batch, "MAX_BATCH_REQUESTS", 50_000)
    monkeypatch.setattr(batch, "MAX_BATCH_BYTES", 1)  # every line alone
    assert build(book, services, wait=True).rendered
    assert all(len(b.lines) == 1 for b in list(chat.batch.batches.values())[len(sizes) :])
    assert Counter(chat.batch.answered) == Counter(chat_steps(book))


def test_a_build_killed_while_waiting_collects_its_batch_later_and_pays_nothing_twice(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI]
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    chat, _ = services
    book = korean(tmp_path)
    chat.batch.looks_per_state = 10**9  # the batch stays `validating` while the build waits
    child = subprocess.Popen(
        [sys.executable, "-m", "bookbuild.cli.commands", "make", str(book), "--plain", "--wait"],
        env={**os.environ, **env(*services)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    jobs = book / ".bookbuild" / "store" / "jobs"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not _journaled_ids(jobs):
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert _journaled_ids(jobs) == {"batch_fake0001"} and len(chat.batch.batches) == 1
    chat.batch.looks_per_state = 1
    assert build(book, services, wait=True).rendered
    sent = Counter(c for b in chat.batch.batches.values() for c in chat.batch.requests_in(b.id))
    assert set(sent.values()) == {1}  # no request went in two batches
    assert Counter(chat.batch.answered) == Counter(chat_steps(book))


def _journaled_ids(jobs: Path) -> set[str]:
    found = set()
    for path in jobs.glob("*.json"):
        try:
            job = json.loads(path.read_text(encoding="utf-8")).get("batch") or {}
        except ValueError:  # being replaced
            continue
        if job.get("id"):
            found.add(job["id"])
    return found


def test_a_server_without_a_batch_api_fails_clearly_and_a_make_without_batch_recovers(
    tmp_path: Path, services: tuple[FakeOpenAI, FakeSDAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OpenAI-compatible server (Ollama, vLLM) answers 404 to /v1/files and /v1/batches."""
    from bookbuild.errors import ProviderError

    chat, _ = services
    book = korean(tmp_path)

    def no_batch_api(method: str, path: str, headers: object, raw: bytes) -> tuple[int, str]:
        return 404, {"error": {"message": "404 page not found"}}  # type: ignore[return-value]

    monkeypatch.setattr(chat.batch, "handle", no_batch_api)
    with pytest.raises(ProviderError, match="404 page not found") as refused:
        build(book, services)
    assert "batch: true" in str(refused.value)  # how to fix it
    plain = (book / "book.yaml").read_text(encoding="utf-8").replace(", batch: true}", "}")
    (book / "book.yaml").write_text(plain, encoding="utf-8")
    assert build(book, services).rendered  # nothing left journaled: the steps go directly
    assert direct_chat_calls(chat) == len(chat_steps(book))
