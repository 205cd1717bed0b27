"""The API key travels in request bodies; it must appear nowhere else: not in an exception
(message, repr, chained causes, traceback), not in metadata, the journal, or any log record."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import pytest

from bookbuild.errors import ProviderError
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.sdapi.provider import SDAPIProvider
from tests.fakes.sdapi_drawing import mask_png, png
from tests.fakes.sdapi_server import (
    DictJournal,
    FakeClock,
    FakeSDAPI,
    Scenario,
    dropped,
    error,
    error_200,
    processing,
    rate_limited,
    server_error,
    success,
)

SENTINEL = "sk-SENTINEL-5f0c9e7d-do-not-leak"


def make(fake: FakeSDAPI, key: str = SENTINEL, **fields: Any) -> SDAPIProvider:
    provider = SDAPIProvider(fake.preset(**fields), {"SDAPI_KEY": key}, lambda *a: None)
    clock = FakeClock()
    provider.sleep, provider.clock = clock.sleep, clock
    return provider


def inpaint(journal: DictJournal) -> ImageRequest:
    return ImageRequest(
        step_id="s",
        op="inpaint",
        prompt="a scarf",
        image=png(),
        mask=mask_png((128, 96), (0, 0, 40, 40)),
        journal=journal,
    )


def exception_texts(err: BaseException) -> list[str]:
    """Everything an exception can show: str, repr, args, the chain, the traceback."""
    texts: list[str] = ["".join(traceback.format_exception(err))]
    seen: BaseException | None = err
    while seen is not None:
        texts += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
        body = getattr(getattr(seen, "request", None), "body", None)  # requests' exceptions
        if body:
            texts.append(body.decode() if isinstance(body, bytes) else str(body))
        seen = seen.__cause__ or seen.__context__
    return texts


SCENARIOS: list[tuple[str, list[Scenario]]] = [
    ("ok", [success()]),
    ("queued", [processing(fetches=2)]),
    ("retried", [rate_limited(1), server_error(500), dropped()]),
    ("exhausted", [server_error(503)] * 4),
    ("bad-request", [error("mask_image is required", 400)]),
    ("error-200", [error_200("failed", legacy=True)]),
    ("echoes-key", [error_200(f"key {SENTINEL} has no credits")]),
    ("blank", [success(black=True)]),
    ("dropped", [dropped()] * 4),
]


@pytest.mark.parametrize(("name", "answers"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_the_key_never_leaks(
    caplog: pytest.LogCaptureFixture, name: str, answers: list[Scenario]
) -> None:
    caplog.set_level(logging.DEBUG)
    journal = DictJournal()
    with FakeSDAPI(key=SENTINEL) as fake:
        fake.script("inpaint", *answers)
        provider = make(fake, model="m", deadline=1 if name == "queued" else None)
        texts: list[str] = [repr(provider)]
        try:
            result = provider.run_image(inpaint(journal))
            texts.append(json.dumps(result.metadata))
        except ProviderError as err:
            texts += exception_texts(err)
        assert fake.submits and fake.submits[0].body["key"] == SENTINEL  # it was sent
    texts += [json.dumps(job) for job in journal.remembered]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert not [text for text in texts if SENTINEL in text]


def test_a_wrong_key_is_not_repeated_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeSDAPI() as fake:
        provider = make(fake, model="m")  # SENTINEL is the wrong key here
        with pytest.raises(ProviderError) as caught:
            provider.run_image(inpaint(DictJournal()))
    texts = exception_texts(caught.value) + [r.getMessage() for r in caplog.records]
    assert caught.value.status == 401
    assert not [text for text in texts if SENTINEL in text]


def test_a_message_echoing_the_key_is_redacted() -> None:
    with FakeSDAPI(key=SENTINEL) as fake:
        fake.script("txt2img", error(f"bad key {SENTINEL}", 403))
        provider = make(fake, model="m")
        with pytest.raises(ProviderError) as caught:
            provider.run_image(ImageRequest(step_id="s", op="txt2img", prompt="x"))
    assert "bad key ***" in str(caught.value)
