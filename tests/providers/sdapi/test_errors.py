"""Failures of the sdapi provider, counted on FakeSDAPI: what is retried (429, 5xx, dropped
connections) and how often, what a paid submit never re-sends (a 500, a drop or a timeout
after it was sent: the job may be running), what fails at once (400-403, error envelopes even
on HTTP 200), and results that are never returned (blanked or NSFW images, expired links)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.http import CONNECT_ATTEMPTS
from bookbuild.providers.sdapi import client
from bookbuild.providers.sdapi.provider import SDAPIProvider
from tests.fakes.sdapi_server import (
    FakeClock,
    FakeSDAPI,
    dropped,
    error,
    error_200,
    fake_sdapi,
    processing,
    rate_limited,
    server_error,
    success,
)

__all__ = ["fake_sdapi"]


class Retries:
    """Records on_retry notices."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, int, float]] = []

    def __call__(self, reason: str, attempt: int, wait: float) -> None:
        self.notices.append((reason, attempt, wait))


def make(
    fake: FakeSDAPI, *, key: str | None = None, **fields: Any
) -> tuple[SDAPIProvider, FakeClock, Retries]:
    retries = Retries()
    provider = SDAPIProvider(fake.preset(**fields), {"SDAPI_KEY": key or fake.key}, retries)
    clock = FakeClock()
    provider.sleep, provider.clock = clock.sleep, clock
    return provider, clock, retries


def txt2img() -> ImageRequest:
    return ImageRequest(step_id="race/challenge/image", op="txt2img", prompt="a hare", seed=3)


def test_429_waits_retry_after_then_succeeds(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", rate_limited(retry_after=30))
    provider, clock, retries = make(fake_sdapi, model="m")
    provider.run_image(txt2img())
    assert fake_sdapi.count("submit") == 2
    assert clock.sleeps == [30]
    assert retries.notices == [("/api/v6/images/text2img: HTTP 429 (not queued)", 1, 30)]


def test_retry_after_header_is_read_and_waits_are_capped(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", rate_limited(7, header=True, body=False), rate_limited(900))
    provider, clock, _ = make(fake_sdapi, model="m")
    provider.run_image(txt2img())
    assert fake_sdapi.count("submit") == 3
    assert clock.sleeps == [7, 60]


@pytest.mark.parametrize(
    ("failure", "wait"), [(server_error(503), 1.0), (rate_limited(retry_after=2), 2.0)]
)
def test_a_submit_the_service_did_not_queue_is_sent_again(
    fake_sdapi: FakeSDAPI, failure: Any, wait: float
) -> None:
    fake_sdapi.script("txt2img", failure)
    provider, clock, retries = make(fake_sdapi, model="m")
    provider.run_image(txt2img())
    assert fake_sdapi.count("submit") == 2
    assert clock.sleeps == [wait]
    assert len(retries.notices) == 1


@pytest.mark.parametrize("failure", [server_error(500), server_error(502), dropped()])
def test_a_submit_that_may_have_been_queued_is_never_sent_again(
    fake_sdapi: FakeSDAPI, failure: Any
) -> None:
    fake_sdapi.script("txt2img", failure)
    provider, clock, retries = make(fake_sdapi, model="m")
    with pytest.raises(ProviderError, match="may have been queued and charged") as caught:
        provider.run_image(txt2img())
    assert fake_sdapi.count("submit") == 1
    assert clock.sleeps == [] and retries.notices == []
    assert "was not sent again" in str(caught.value)


def test_a_submit_that_cannot_connect_is_tried_a_few_times_then_fails() -> None:
    with FakeSDAPI() as fake:
        provider, clock, _ = make(fake, model="m")
    # the fake is stopped: its port refuses connections, so nothing was ever sent; a service
    # that is down fails in seconds (issue 19 item 10), not after SUBMIT_ATTEMPTS backoffs
    with pytest.raises(ProviderError, match="cannot connect") as caught:
        provider.run_image(txt2img())
    assert caught.value.transient and len(clock.sleeps) == CONNECT_ATTEMPTS - 1
    assert CONNECT_ATTEMPTS < client.SUBMIT_ATTEMPTS


@pytest.mark.parametrize("failure", [server_error(500), dropped()])
def test_fetches_are_retried_on_server_errors_and_drops(
    fake_sdapi: FakeSDAPI, failure: Any
) -> None:
    fake_sdapi.script("txt2img", processing(fetches=1, eta=1))
    fake_sdapi.script("fetch", failure)
    provider, _, _ = make(fake_sdapi, model="m")
    provider.run_image(txt2img())
    assert fake_sdapi.count("submit") == 1 and fake_sdapi.count("fetch") == 2


def test_transient_errors_inside_http_200_are_retried(fake_sdapi: FakeSDAPI) -> None:
    busy = error_200("Something went wrong, please try again later")
    fake_sdapi.script("txt2img", busy, error_200("Server busy, queue full"))
    provider, clock, _ = make(fake_sdapi, model="m")
    provider.run_image(txt2img())
    assert fake_sdapi.count("submit") == 3 and clock.sleeps == [1, 2]


def test_retries_stop_after_eight_attempts_with_a_transient_error(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", *[server_error(503)] * 8)
    provider, clock, _ = make(fake_sdapi, model="m")
    with pytest.raises(ProviderError) as caught:
        provider.run_image(txt2img())
    assert fake_sdapi.count("submit") == 8
    assert clock.sleeps == [1, 2, 4, 8, 16, 32, 60]  # capped backoff
    err = caught.value
    assert err.transient and err.status == 503 and err.step_id == "race/challenge/image"
    assert "Internal server error (gave up after 8 attempts)" in str(err)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (400, "width must be between 256 and 1024"),
        (402, "Insufficient credits. Please top up your wallet."),
        (403, "Your plan does not include this feature"),
    ],
)
def test_client_errors_fail_at_once_with_the_server_message(
    fake_sdapi: FakeSDAPI, status: int, message: str
) -> None:
    fake_sdapi.script("txt2img", error(message, status))
    provider, clock, retries = make(fake_sdapi, model="m")
    with pytest.raises(ProviderError) as caught:
        provider.run_image(txt2img())
    assert len(fake_sdapi.requests) == 1
    assert caught.value.status == status and not caught.value.transient
    assert message in str(caught.value)
    assert clock.sleeps == [] and retries.notices == []


def test_a_wrong_key_is_401_after_exactly_one_request(fake_sdapi: FakeSDAPI) -> None:
    provider, clock, _ = make(fake_sdapi, key="not-the-key", model="m")
    with pytest.raises(ProviderError, match="Invalid API key") as caught:
        provider.run_image(txt2img())
    assert caught.value.status == 401 and not caught.value.transient
    assert len(fake_sdapi.requests) == 1 and clock.sleeps == []


@pytest.mark.parametrize("legacy", [False, True], ids=["message", "messege"])
def test_an_error_envelope_on_http_200_fails(fake_sdapi: FakeSDAPI, legacy: bool) -> None:
    fake_sdapi.script("txt2img", error_200("Model not found: dreamshaper-99", legacy=legacy))
    provider, _, _ = make(fake_sdapi, model="dreamshaper-99")
    with pytest.raises(ProviderError, match="Model not found: dreamshaper-99") as caught:
        provider.run_image(txt2img())
    assert not caught.value.transient
    assert fake_sdapi.count("submit") == 1


def test_legacy_error_status_with_http_400_reads_messege(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", error("prompt is required", 400, legacy=True))
    provider, _, _ = make(fake_sdapi, api="v3")
    with pytest.raises(ProviderError, match="prompt is required"):
        provider.run_image(txt2img())


def test_output_links_are_downloaded_at_once_before_they_expire(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", success(expire=True))
    provider, _, _ = make(fake_sdapi, model="m")
    result = provider.run_image(txt2img())
    assert result.png.startswith(b"\x89PNG")
    (download,) = fake_sdapi.of("file")
    url = fake_sdapi.base_url + download.path
    assert fake_sdapi.gets_of(url) == 1
    assert requests.get(url, timeout=5).status_code == 404  # expired after the first GET


def test_a_link_that_404s_briefly_after_success_is_retried(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("file", error("Not Found", 404), error("Not Found", 404))
    provider, clock, _ = make(fake_sdapi, model="m")
    assert provider.run_image(txt2img()).png.startswith(b"\x89PNG")
    assert fake_sdapi.count("submit") == 1 and fake_sdapi.count("file") == 3
    assert clock.sleeps == [1, 2]


def test_an_expired_link_fails_without_resubmitting(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("file", *[error("Not Found", 404)] * 16)
    provider, _, _ = make(fake_sdapi, model="m")
    expired = "the links expired; the next make submits the job again"
    with pytest.raises(ProviderError, match=expired) as caught:
        provider.run_image(txt2img())
    assert not caught.value.transient  # forgotten: the next make submits it again
    assert fake_sdapi.count("submit") == 1
    assert fake_sdapi.count("file") == 16  # `output`, then the `proxy_links` mirror, 8 each


def test_a_failed_download_is_retried(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("file", server_error(503))
    provider, clock, _ = make(fake_sdapi, model="m")
    provider.run_image(txt2img())
    assert fake_sdapi.count("file") == 2 and clock.sleeps == [1]


@pytest.mark.parametrize("answer", [success(black=True), success(nsfw=True)], ids=["black", "nsfw"])
def test_blanked_or_nsfw_images_are_refused(fake_sdapi: FakeSDAPI, answer: Any) -> None:
    fake_sdapi.script("txt2img", answer)
    provider, _, _ = make(fake_sdapi, model="m")
    with pytest.raises(ProviderError, match="change the prompt or the seed") as caught:
        provider.run_image(txt2img())
    assert not caught.value.transient
    assert fake_sdapi.count("submit") == 1


def test_a_blanked_queued_image_is_refused_too(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", processing(fetches=1, black=True))
    provider, _, _ = make(fake_sdapi, api="v3")
    with pytest.raises(ProviderError, match="safety checker blanked the image"):
        provider.run_image(txt2img())


def test_an_oversized_download_is_refused(
    fake_sdapi: FakeSDAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "MAX_DOWNLOAD_BYTES", 100)
    provider, _, _ = make(fake_sdapi, model="m")
    with pytest.raises(ProviderError, match="larger than"):
        provider.run_image(txt2img())


@pytest.mark.parametrize(
    ("fields", "variable"),
    [({}, "SDAPI_KEY"), ({"api_key_env": "BOOK_SD_KEY"}, "BOOK_SD_KEY")],
)
def test_a_missing_key_is_a_config_error_naming_the_variable(
    fake_sdapi: FakeSDAPI, fields: dict[str, Any], variable: str
) -> None:
    provider = SDAPIProvider(fake_sdapi.preset(**fields), {"SDAPI_KEY_OTHER": "x"})
    with pytest.raises(ConfigError) as caught:
        provider.check_ready()
    assert f"set {variable} (get a key at https://modelslab.com/" in str(caught.value)
    assert "or name another variable with `api_key_env`" in str(caught.value)
    with pytest.raises(ConfigError):
        provider.run_image(txt2img())
    assert fake_sdapi.requests == []


def test_the_key_can_come_from_another_variable(fake_sdapi: FakeSDAPI) -> None:
    preset = fake_sdapi.preset(model="m", api_key_env="BOOK_SD_KEY")
    SDAPIProvider(preset, {"BOOK_SD_KEY": fake_sdapi.key}).run_image(txt2img())
    assert fake_sdapi.submits[0].body["key"] == fake_sdapi.key


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"api": "v4"}, "needs `model`"),
        ({"api": "v5"}, "unknown `api: v5`"),
        ({"api": "v3", "lora": {"model": "ink"}}, "community model"),
    ],
)
def test_presets_the_service_cannot_run_are_config_errors(
    fake_sdapi: FakeSDAPI, fields: dict[str, Any], message: str
) -> None:
    provider = SDAPIProvider(fake_sdapi.preset(**fields), {"SDAPI_KEY": "k"})
    with pytest.raises(ConfigError, match=message):
        provider.check_ready()
