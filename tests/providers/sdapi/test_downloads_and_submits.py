"""Issue 8, items 2 and 6: a submit the service took is never sent again (even when its answer
is late), and downloads have an overall deadline, safe redirects, and no key on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bookbuild.errors import ProviderError
from bookbuild.hashing import key_of
from bookbuild.providers import downloads
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.downloads import redirect_problem
from bookbuild.providers.sdapi import client
from bookbuild.providers.sdapi.provider import SDAPIProvider
from bookbuild.store.objects import Store
from tests.fakes.sdapi_server import (
    FakeClock,
    FakeSDAPI,
    Scenario,
    fake_sdapi,
    redirected,
    stalled,
    trickled,
)
from tests.helpers.waiting import wait_until

__all__ = ["fake_sdapi"]


def provider(fake: FakeSDAPI, **fields: Any) -> SDAPIProvider:
    made = SDAPIProvider(fake.preset(model="m", **fields), {"SDAPI_KEY": fake.key})
    clock = FakeClock()
    made.sleep, made.clock = clock.sleep, clock
    return made


def txt2img(**fields: Any) -> ImageRequest:
    return ImageRequest(step_id="one/hill/image", op="txt2img", prompt="a hill", **fields)


def test_a_submit_answered_too_late_is_not_sent_again(
    fake_sdapi: FakeSDAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "SUBMIT_TIMEOUT", 0.3)
    fake_sdapi.script("txt2img", stalled(1.5))  # taken and charged, answered after the timeout
    with pytest.raises(ProviderError, match="may have been queued and charged") as caught:
        provider(fake_sdapi, timeout=0.3).run_image(txt2img())
    wait_until(lambda: fake_sdapi.count("submit") >= 1, "the submit", deadline_s=10)
    assert fake_sdapi.count("submit") == 1
    assert "run make again" in str(caught.value)


def test_a_trickling_download_hits_the_overall_deadline(
    fake_sdapi: FakeSDAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(downloads, "DOWNLOAD_DEADLINE", 0.5)
    attempts = 2 * client.MAX_ATTEMPTS  # `output`, then `proxy_links`
    fake_sdapi.script("file", *[trickled(0.2)] * attempts)  # each byte well within the timeout
    with pytest.raises(ProviderError, match="download was too slow") as caught:
        provider(fake_sdapi).run_image(txt2img())
    assert caught.value.transient and fake_sdapi.count("submit") == 1


def test_a_redirect_to_a_file_url_is_refused(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("file", redirected("file:///etc/passwd"), redirected("file:///etc/passwd"))
    with pytest.raises(ProviderError, match="redirected to a file: URL"):
        provider(fake_sdapi).run_image(txt2img())


def test_a_redirect_on_the_same_host_is_followed(fake_sdapi: FakeSDAPI) -> None:
    fake_sdapi.script("txt2img", Scenario())
    first = provider(fake_sdapi).run_image(txt2img(seed=1))
    (served,) = fake_sdapi.of("file")
    fake_sdapi.script("file", redirected(served.path))
    again = provider(fake_sdapi).run_image(txt2img(seed=1))
    assert again.png.startswith(b"\x89PNG") and first.png.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("origin", "target", "refused"),
    [
        ("https://pub.r2.dev/a.png", "http://127.0.0.1:8080/x", True),
        ("https://pub.r2.dev/a.png", "http://10.0.0.5/x", True),
        ("https://pub.r2.dev/a.png", "http://169.254.169.254/latest/meta-data", True),
        ("https://pub.r2.dev/a.png", "http://intranet.local/x", True),
        ("https://pub.r2.dev/a.png", "https://cdn2.example.com/a.png", False),
        ("http://127.0.0.1:7860/a.png", "http://127.0.0.1:7860/b.png", False),
        ("https://pub.r2.dev/a.png", "ftp://pub.r2.dev/a.png", True),
    ],
)
def test_redirects_never_go_from_the_internet_to_private_addresses(
    origin: str, target: str, refused: bool
) -> None:
    table = {"pub.r2.dev": ["104.18.2.3"], "cdn2.example.com": ["93.184.216.34"]}
    table["intranet.local"] = ["192.168.1.20"]
    problem = redirect_problem(origin, target, lambda host: table.get(host, []))
    assert (problem is not None) == refused


def test_a_key_echoed_in_urls_never_reaches_the_job_journal(
    fake_sdapi: FakeSDAPI, tmp_path: Path
) -> None:
    fake_sdapi.script("txt2img", Scenario(kind="processing", fetches=3, eta=1, echo_key=True))
    store = Store(tmp_path / "store")
    journal = store.journal(key_of({"step": "one/hill/image"}))
    with pytest.raises(ProviderError, match="still processing"):
        provider(fake_sdapi, deadline=1).run_image(txt2img(journal=journal))
    written = (tmp_path / "store" / "jobs").glob("*.json")
    texts = [path.read_text(encoding="utf-8") for path in written]
    assert texts and all(fake_sdapi.key not in text for text in texts)
    assert "?key=***" in json.loads(texts[0])["fetch_result"]
    result = provider(fake_sdapi).run_image(txt2img(journal=journal))  # resumes all the same
    assert result.png.startswith(b"\x89PNG") and fake_sdapi.count("submit") == 1


def test_the_download_deadline_covers_all_attempts_of_one_link(
    fake_sdapi: FakeSDAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19, item 12: a slow-drip link held a build for 8 attempts x 180 s per image."""
    monkeypatch.setattr(downloads, "DOWNLOAD_DEADLINE", 0.5)
    fake_sdapi.script("file", *[trickled(0.2)] * (2 * client.MAX_ATTEMPTS))
    with pytest.raises(ProviderError, match="too slow"):
        provider(fake_sdapi).run_image(txt2img())
    assert fake_sdapi.count("file") <= 2  # one slow attempt per link (output, proxy_links)
