"""The Stability client against the fake service: multipart in, pictures and their headers
out, the service's errors verbatim, and submits never sent twice once they may have run."""

from __future__ import annotations

import pytest

from bookbuild.errors import ProviderError
from bookbuild.providers.http import RetryPolicy
from bookbuild.providers.stability.client import Picture, Running, StabilityClient
from tests.fakes.sdapi_drawing import png
from tests.fakes.stability_server import (
    FakeStability,
    content_moderation,
    dropped,
    error,
    fake_stability,
    rate_limited,
    running,
    server_error,
)

__all__ = ["fake_stability"]
CORE = "/v2beta/stable-image/generate/core"


def client_for(fake: FakeStability, sleeps: list[float] | None = None) -> StabilityClient:
    waits = sleeps if sleeps is not None else []
    policy = RetryPolicy(sleep=waits.append)
    return StabilityClient(fake.base_url, fake.key, timeout=30, policy=policy, notify=None)


def test_submit_returns_the_picture_with_the_seed_and_finish_reason(
    fake_stability: FakeStability,
) -> None:
    answer = client_for(fake_stability).submit(CORE, {"prompt": "a fox", "seed": "7"}, {})
    assert isinstance(answer, Picture)
    assert answer.seed == 7 and answer.finish_reason == "SUCCESS"
    sent = fake_stability.of("core")[0]
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert sent.headers["accept"] == "image/*"


def test_service_errors_are_reported_verbatim_with_advice(fake_stability: FakeStability) -> None:
    fake_stability.script("core", content_moderation())
    with pytest.raises(ProviderError) as raised:
        client_for(fake_stability).submit(CORE, {"prompt": "a fox"}, {})
    message = str(raised.value)
    assert "content_moderation: Your request was flagged" in message
    assert "not charged" in message and raised.value.status == 403
    assert not raised.value.transient


def test_validation_errors_name_every_field(fake_stability: FakeStability) -> None:
    with pytest.raises(ProviderError) as raised:
        client_for(fake_stability).submit(CORE, {"prompt": "a", "aspect_ratio": "7:3"}, {})
    assert "bad_request: aspect_ratio: must be one of" in str(raised.value)


def test_a_rate_limited_submit_waits_and_is_sent_again(fake_stability: FakeStability) -> None:
    fake_stability.script("core", rate_limited(retry_after=3))
    sleeps: list[float] = []
    answer = client_for(fake_stability, sleeps).submit(CORE, {"prompt": "a fox"}, {})
    assert isinstance(answer, Picture)
    assert sleeps == [3.0] and fake_stability.count("core") == 2


@pytest.mark.parametrize("failure", [dropped(), server_error()], ids=["dropped", "HTTP 500"])
def test_a_submit_that_may_have_run_is_never_sent_again(
    fake_stability: FakeStability, failure: object
) -> None:
    fake_stability.script("core", failure)  # type: ignore[arg-type]
    with pytest.raises(ProviderError) as raised:
        client_for(fake_stability).submit(CORE, {"prompt": "a fox"}, {})
    assert fake_stability.count("core") == 1
    if raised.value.status is None:
        assert "not sent again" in str(raised.value)


def test_a_refused_connection_is_retried_because_nothing_was_sent() -> None:
    with FakeStability() as fake:
        base_url, key = fake.base_url, fake.key
    sleeps: list[float] = []
    policy = RetryPolicy(sleep=sleeps.append)
    client = StabilityClient(base_url, key, timeout=5, policy=policy, notify=None)
    with pytest.raises(ProviderError, match="could not connect"):
        client.submit(CORE, {"prompt": "a fox"}, {})
    assert len(sleeps) == 3


def test_async_jobs_answer_running_until_the_result_is_ready(
    fake_stability: FakeStability,
) -> None:
    fake_stability.script("creative", running(polls=1))
    client = client_for(fake_stability)
    fields = {"prompt": "a fox", "output_format": "png"}
    job = client.submit("/v2beta/stable-image/upscale/creative", fields, {"image": png()})
    assert isinstance(job, Running) and len(job.id) == 64
    assert isinstance(client.result(job.id), Running)
    done = client.result(job.id)
    assert isinstance(done, Picture) and done.finish_reason == "SUCCESS"
    fake_stability.script("results", error(404, "generation_not_found", "id: expired"))
    with pytest.raises(ProviderError, match="generation_not_found: id: expired"):
        client.result(job.id)


def test_the_key_never_appears_in_an_error(fake_stability: FakeStability) -> None:
    fake_stability.script("core", error(400, "bad_request", f"key {fake_stability.key} is odd"))
    with pytest.raises(ProviderError) as raised:
        client_for(fake_stability).submit(CORE, {"prompt": "a fox"}, {})
    assert fake_stability.key not in str(raised.value) and "***" in str(raised.value)
