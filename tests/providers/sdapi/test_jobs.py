"""Queued jobs of the sdapi provider: processing -> fetch -> success, the journal, and resuming
a job after an interrupted build without submitting (and paying) again."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bookbuild.errors import ProviderError
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.sdapi.paths import absolute_url
from bookbuild.providers.sdapi.provider import SDAPIProvider
from tests.fakes.sdapi_drawing import png
from tests.fakes.sdapi_server import (
    DictJournal,
    FakeClock,
    FakeSDAPI,
    error_200,
    fake_sdapi,
    processing,
)

__all__ = ["fake_sdapi"]


def make(fake: FakeSDAPI, clock: FakeClock | None = None, **fields: Any) -> SDAPIProvider:
    provider = SDAPIProvider(fake.preset(**fields), {"SDAPI_KEY": fake.key})
    clock = clock or FakeClock()
    provider.sleep, provider.clock = clock.sleep, clock
    return provider


def txt2img(journal: DictJournal | None = None) -> ImageRequest:
    extra: dict[str, Any] = {"journal": journal} if journal is not None else {}
    return ImageRequest(step_id="race/challenge/image", op="txt2img", prompt="a hare", **extra)


def test_a_queued_job_is_polled_through_fetch_result(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", processing(fetches=3, eta=5))
    clock, journal = FakeClock(), DictJournal()
    result = make(fake_sdapi, clock, model="dreamshaper-8").run_image(txt2img(journal))
    assert fake_sdapi.count("submit") == 1 and fake_sdapi.count("fetch") == 3
    assert clock.sleeps == [5, 1, 1]  # eta first, then a short fixed interval
    queued, done = journal.remembered  # queued at once, then with its answer before download
    assert queued["fetch_result"] == fake_sdapi.base_url + "/api/v6/images/fetch"
    assert (queued["id"], queued["family"]) == (result.metadata["job_id"], "v6")
    assert queued["answer"] == {} and done["answer"]["status"] == "success"
    # the record and the downloaded result stay until the engine has stored the step
    assert journal.job == done and journal.forgotten == 0
    assert journal.kept_data is not None and journal.kept_data.startswith(b"\x89PNG")
    job = queued
    for fetch in fake_sdapi.of("fetch"):
        assert fetch.body == {"key": fake_sdapi.key, "request_id": job["id"]}
    assert result.metadata["seed"] == 0 and result.metadata["steps"] == 20  # queued meta


def test_polling_waits_for_the_eta_then_polls_at_a_short_fixed_interval(
    fake_sdapi: FakeSDAPI,
) -> None:
    fake_sdapi.script("txt2img", processing(fetches=5, eta=20))
    clock = FakeClock()
    make(fake_sdapi, clock, model="m").run_image(txt2img())
    assert clock.sleeps == [20, 1, 1, 1, 1]  # never 1-3-7-15-31 s doubling


@pytest.mark.parametrize(
    ("fields", "fetch_path", "request_id"),
    [
        ({"api": "v3"}, "/api/v3/fetch/{id}", False),
        ({"api": "v4", "model": "m"}, "/api/v4/dreambooth/fetch", True),
        ({"model": "realtime"}, "/api/v6/realtime/fetch/{id}", False),
    ],
    ids=["v3", "v4", "realtime"],
)
def test_each_family_polls_its_own_fetch_url(
    fake_sdapi: FakeSDAPI, fields: dict[str, Any], fetch_path: str, request_id: bool
) -> None:
    fake_sdapi.script("txt2img", processing(fetches=1, legacy=True))  # `messege` spelling
    result = make(fake_sdapi, **fields).run_image(txt2img())
    (fetch,) = fake_sdapi.of("fetch")
    job_id = result.metadata["job_id"]
    assert fetch.path == fetch_path.format(id=job_id)
    assert ("request_id" in fetch.body) is request_id


def test_a_job_without_fetch_result_is_polled_on_the_documented_path(
    fake_sdapi: FakeSDAPI,
) -> None:
    fake_sdapi.script("txt2img", processing(fetches=2, with_fetch_result=False))
    result = make(fake_sdapi).run_image(txt2img())
    paths = {fetch.path for fetch in fake_sdapi.of("fetch")}
    assert paths == {f"/api/v6/realtime/fetch/{result.metadata['job_id']}"}


def test_an_interrupted_job_is_resumed_without_a_second_submit(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("img2img", processing(fetches=4, eta=10))
    journal = DictJournal()
    request = ImageRequest(
        step_id="nap/oak/image", op="img2img", prompt="an oak", image=png(), journal=journal
    )
    first = make(fake_sdapi, model="m", deadline=1)
    with pytest.raises(ProviderError) as caught:
        first.run_image(request)
    assert caught.value.transient
    assert "still processing after 1 s; run make again to keep waiting" in str(caught.value)
    assert caught.value.step_id == "nap/oak/image"
    assert journal.job is not None and journal.forgotten == 0
    assert fake_sdapi.count("fetch") == 1

    second = make(fake_sdapi, model="m")  # a new build: a new provider, the same journal
    result = second.run_image(request)
    assert fake_sdapi.count("submit") == 1  # resumed, not paid twice
    assert fake_sdapi.count("upload") == 1
    assert fake_sdapi.count("fetch") == 4
    assert journal.job is not None and journal.kept() is not None  # until the engine stores it
    assert result.metadata["job_id"] == journal.remembered[0]["id"]
    assert result.metadata["endpoint"] == "/api/v6/images/img2img"


def test_a_failed_job_is_forgotten_and_submitted_once_more(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", processing(fetches=3))
    fake_sdapi.script("fetch", error_200("generation failed on the GPU", word="failed"))
    journal = DictJournal()
    result = make(fake_sdapi, model="m").run_image(txt2img(journal))
    assert fake_sdapi.count("submit") == 2 and journal.forgotten == 1
    assert journal.job is not None and result.metadata["job_id"] == journal.job["id"]


def test_a_job_that_fails_twice_fails_the_step(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", processing(fetches=3), processing(fetches=3))
    failed = error_200("generation failed on the GPU", word="failed")
    fake_sdapi.script("fetch", failed, failed)
    journal = DictJournal()
    with pytest.raises(ProviderError, match="generation failed on the GPU") as caught:
        make(fake_sdapi, model="m").run_image(txt2img(journal))
    assert not caught.value.transient
    assert fake_sdapi.count("submit") == 2  # once more, never a third time in one build
    assert journal.job is None and journal.forgotten == 2


def test_a_resumed_job_the_service_says_failed_is_submitted_again(
    fake_sdapi: FakeSDAPI,
) -> None:
    fake_sdapi.script("txt2img", processing(fetches=5))
    journal = DictJournal()
    first = make(fake_sdapi, model="m", deadline=1)
    with pytest.raises(ProviderError, match="still processing"):
        first.run_image(txt2img(journal))
    fake_sdapi.script("fetch", error_200("generation failed", word="failed"))
    make(fake_sdapi, model="m").run_image(txt2img(journal))  # not resumed forever
    assert fake_sdapi.count("submit") == 2


def test_a_pending_job_the_service_no_longer_knows_is_forgotten(fake_sdapi: FakeSDAPI) -> None:
    journal = DictJournal()
    journal.remember(
        {
            "fetch_result": fake_sdapi.base_url + "/api/v3/fetch/424242",
            "id": "424242",
            "family": "v3",
        }
    )
    with pytest.raises(ProviderError, match="not found") as caught:
        make(fake_sdapi, api="v3").run_image(txt2img(journal))
    assert caught.value.status == 404 and not caught.value.transient
    assert journal.job is None
    assert fake_sdapi.count("submit") == 0


def test_one_provider_serves_several_threads(fake_sdapi: FakeSDAPI) -> None:
    provider = make(fake_sdapi, model="m")
    fake_sdapi.script("img2img", processing(fetches=2), processing(fetches=1))
    results: list[Any] = []

    def work(prompt: str) -> None:
        request = ImageRequest(step_id=prompt, op="img2img", prompt=prompt, image=png())
        results.append(provider.run_image(request))

    threads = [threading.Thread(target=work, args=(p,)) for p in ("a", "b", "c", "d")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 4
    assert fake_sdapi.count("submit") == 4
    assert 1 <= fake_sdapi.count("upload") <= 4  # cached once the first upload is known


def test_fetch_urls_on_other_hosts_are_rerooted_on_the_base_url() -> None:
    base = "https://modelslab.com"
    assert absolute_url(base, "/api/v3/fetch/1") == "https://modelslab.com/api/v3/fetch/1"
    vendor = "https://stablediffusionapi.com/api/v3/fetch/1"
    assert absolute_url(base, vendor) == vendor
    assert absolute_url(base, "https://evil.example/api/v3/fetch/1") == base + "/api/v3/fetch/1"
    assert absolute_url(base, "http://modelslab.com/api/v3/fetch/1") == base + "/api/v3/fetch/1"
