"""Retries and errors of the openai provider, counted on FakeOpenAI. One retry layer: the
provider's (the SDK runs with max_retries=0), so the number of requests is exact."""

from __future__ import annotations

import email.utils
import time
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from bookbuild.errors import ProviderError
from bookbuild.graph import prompts
from bookbuild.providers.base import ChatRequest
from bookbuild.providers.http import RetryPolicy, retry_after
from bookbuild.providers.openai.provider import OpenAIChatProvider
from bookbuild.providers.registry import make_preset
from tests.fakes.openai_server import (
    FakeOpenAI,
    content_filter,
    dropped_connection,
    error,
    insufficient_quota,
    invalid_api_key,
    rate_limited,
    reply,
    server_error,
    slow,
)
from tests.helpers.waiting import wait_until

KEY = "sk-proj-SENTINEL-key-0123456789abcdef"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


class Retries:
    """Records `on_retry` notices."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, int, float]] = []

    def __call__(self, reason: str, attempt: int, wait: float) -> None:
        self.notices.append((reason, attempt, wait))


def make(fake: FakeOpenAI, retries: Retries | None = None, **preset: Any) -> OpenAIChatProvider:
    fields: dict[str, Any] = {"provider": "openai", "model": "gpt-4o-mini", "timeout": 5, **preset}
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url}
    provider = OpenAIChatProvider(make_preset(**fields), env, on_retry=retries)
    provider.retry = RetryPolicy(base_delay=0.01, max_delay=0.05)
    return provider


def request() -> ChatRequest:
    ctx = prompts.ChapterContext("The Race", "en", "", "The start", "The rabbit mocks.")
    return ChatRequest("race/text", "write", prompts.write_messages(ctx), "en")


def failure(provider: OpenAIChatProvider) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        provider.complete(request())
    return caught.value


def everything_said(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(exc.__dict__)


def test_rate_limit_waits_retry_after_then_succeeds(fake: FakeOpenAI) -> None:
    fake.script(rate_limited(retry_after_ms=30), reply("Done."))
    retries = Retries()
    started = time.monotonic()
    assert make(fake, retries).complete(request()).text == "Done."
    assert len(fake.requests) == 2
    assert retries.notices == [("rate_limit_exceeded", 1, 0.03)]
    assert time.monotonic() - started >= 0.03


def test_the_sdk_does_not_retry_on_its_own(fake: FakeOpenAI) -> None:
    fake.script(rate_limited(), server_error())
    make(fake).complete(request())
    assert [r.headers.get("x-stainless-retry-count") for r in fake.requests] == ["0", "0", "0"]


def test_insufficient_quota_fails_at_once(fake: FakeOpenAI) -> None:
    fake.script(insufficient_quota())
    retries = Retries()
    err = failure(make(fake, retries))
    assert len(fake.requests) == 1 and retries.notices == []
    assert err.status == 429 and not err.transient
    assert "You exceeded your current quota" in err.message
    assert err.provider == "openai" and err.step_id == "race/text"


def test_server_error_is_retried(fake: FakeOpenAI) -> None:
    fake.script(server_error(), reply("Fine."))
    retries = Retries()
    assert make(fake, retries).complete(request()).text == "Fine."
    assert len(fake.requests) == 2 and [n[:2] for n in retries.notices] == [("HTTP 500", 1)]


def test_gives_up_after_max_retries(fake: FakeOpenAI) -> None:
    fake.script(*[server_error(503)] * 6)
    err = failure(make(fake))
    assert len(fake.requests) == 4  # 1 + RetryPolicy.max_retries
    assert err.transient and err.status == 503
    assert "The server had an error" in err.message and "gave up after 4 attempts" in err.message


def test_invalid_key_fails_at_once_with_the_server_message(fake: FakeOpenAI) -> None:
    fake.script(invalid_api_key())
    err = failure(make(fake))
    assert len(fake.requests) == 1
    assert err.status == 401 and not err.transient
    assert "Incorrect API key provided" in err.message and "OPENAI_API_KEY" in err.message
    assert KEY not in everything_said(err)


def test_dropped_connection_is_retried(fake: FakeOpenAI) -> None:
    fake.script(dropped_connection(), reply("Back."))
    retries = Retries()
    assert make(fake, retries).complete(request()).text == "Back."
    assert len(fake.requests) == 2 and retries.notices[0][:2] == ("connection", 1)


def test_timeout_is_retried_and_reported(fake: FakeOpenAI) -> None:
    fake.script(*[slow(1.0)] * 2)
    provider = make(fake, timeout=0.2)
    provider.retry = RetryPolicy(max_retries=1, base_delay=0.01)
    err = failure(provider)
    wait_until(lambda: len(fake.requests) >= 2, "the retry to reach the fake", deadline_s=10)
    assert len(fake.requests) == 2 and err.transient and err.status is None
    assert "within 0.2 s" in err.message


def test_bad_request_is_not_retried(fake: FakeOpenAI) -> None:
    fake.script(error(400, "Invalid value for 'temperature'.", param="temperature"))
    err = failure(make(fake, temperature=0.5))
    assert len(fake.requests) == 1 and err.status == 400 and not err.transient
    assert err.message.startswith("Invalid value for 'temperature'.")


def test_x_should_retry_false_is_obeyed(fake: FakeOpenAI) -> None:
    fake.script(error(503, "Overloaded", type="server_error", headers={"x-should-retry": "false"}))
    err = failure(make(fake))
    assert len(fake.requests) == 1 and not err.transient


def test_retry_after_beyond_two_minutes_gives_up_at_once(fake: FakeOpenAI) -> None:
    fake.script(rate_limited(retry_after_ms=600_000))
    err = failure(make(fake))
    assert len(fake.requests) == 1
    assert err.transient and err.retry_after == 600.0 and "wait 600 s" in err.message


def test_unreachable_server_is_retried_then_reported() -> None:
    with FakeOpenAI() as gone:
        provider = make(gone)
    err = failure(provider)  # the fake is stopped: connection refused
    assert err.transient and "could not talk to http://127.0.0.1:" in err.message


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (content_filter(), "content filter"),
        (reply("", finish_reason="stop"), "empty reply"),
        (reply("", finish_reason="length"), "raise `max_tokens`"),
        (reply("Once upon a ti", finish_reason="length"), "cut"),
    ],
)
def test_unusable_replies_fail_with_advice(fake: FakeOpenAI, answer: Any, words: str) -> None:
    fake.script(answer)
    err = failure(make(fake))
    assert words in err.message and not err.transient and len(fake.requests) == 1


def test_the_key_never_appears_in_errors_or_metadata(fake: FakeOpenAI) -> None:
    echo = error(400, f"Key {KEY} is not valid for this model")  # a server that echoes the key
    answers = [invalid_api_key(), echo, insufficient_quota(), *[server_error()] * 4]
    fake.script(*answers, dropped_connection(), *[server_error()] * 3)
    provider = make(fake)
    said = [everything_said(failure(provider)) for _ in range(5)]
    assert all(KEY not in text for text in said)
    assert "[redacted]" in said[1]
    meta = provider.complete(request()).metadata
    assert KEY not in repr(meta)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250", "retry-after": "3"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(headers) == seconds


def test_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 27 <= (retry_after({"retry-after": when}) or 0) <= 30
