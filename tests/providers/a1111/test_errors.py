"""Failures of `provider: a1111` are one clear message each, in the server's own words, and
never stored."""

from __future__ import annotations

import json
import socket
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from bookbuild.cli.commands import main
from bookbuild.errors import BuildFailed, ProviderError
from bookbuild.providers.a1111.client import A1111Client
from tests.fakes.a1111_drawing import encode
from tests.fakes.a1111_server import Answer, FakeA1111, crash, dropped
from tests.fakes.sdapi_drawing import png
from tests.helpers.waiting import wait_until

from .book_helpers import ILLUSTRATIONS, build, write_book

ONE = """\
      - id: dawn
        prompt: "a lighthouse at dawn"
        seed: 11
"""


def _failure(book: Path, env: dict[str, str]) -> str:
    with pytest.raises(BuildFailed) as failed:
        build(book, env)
    return str(failed.value)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_server_not_running_is_one_error_naming_the_url_and_how_to_start_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    book = write_book(tmp_path, ILLUSTRATIONS)  # six steps for the web UI
    monkeypatch.setenv("A1111_BASE_URL", url)
    outcome = CliRunner().invoke(main, ["make", str(book), "--format", "html"])
    assert outcome.exit_code == 2
    assert outcome.output.count(f"no AUTOMATIC1111/Forge web UI answers at {url}") == 1
    assert "./webui.sh --api" in outcome.output
    assert "Traceback" not in outcome.output
    assert not (book / "book.lock").exists()  # refused before any step ran


def test_server_started_without_api_flag_says_so(tmp_path: Path) -> None:
    with FakeA1111(api=False) as fake:
        message = _failure(write_book(tmp_path, ONE), fake.env)
    assert "started without `--api`" in message


def test_validation_error_is_shown_field_by_field(tmp_path: Path) -> None:
    detail = [
        {
            "loc": ["body", "steps"],
            "msg": "value is not a valid integer",
            "type": "type_error.integer",
        },
        {
            "loc": ["body", "cfg_scale"],
            "msg": "value is not a valid float",
            "type": "type_error.float",
        },
    ]
    with FakeA1111() as fake:
        fake.script("txt2img", Answer(422, {"detail": detail}))
        message = _failure(write_book(tmp_path, ONE), fake.env)
    assert "steps: value is not a valid integer" in message
    assert "cfg_scale: value is not a valid float" in message
    assert "HTTP 422" in message


def test_pydantic_v2_validation_error_shows_the_value_given(tmp_path: Path) -> None:
    detail = [
        {
            "type": "int_parsing",
            "loc": ["body", "seed"],
            "msg": "Input should be a valid integer",
            "input": "x",
        }
    ]
    with FakeA1111(pydantic=2) as fake:
        fake.script("txt2img", Answer(422, {"detail": detail}))
        message = _failure(write_book(tmp_path, ONE), fake.env)
    assert "seed: Input should be a valid integer (got 'x')" in message


def test_wrong_credentials_are_refused_without_showing_the_password(tmp_path: Path) -> None:
    with FakeA1111(auth=("ann", "right-pass")) as fake:
        env = {**fake.env, "A1111_AUTH": "ann:WRONG-SENTINEL"}
        message = _failure(write_book(tmp_path, ONE), env)
        assert build(tmp_path, fake.env).called == ["shore/dawn/image"]  # right ones work
    assert "refused the credentials" in message and "A1111_AUTH" in message
    assert "WRONG-SENTINEL" not in message
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"right-pass" not in path.read_bytes()


def test_unknown_checkpoint_lists_the_installed_ones_before_any_picture(tmp_path: Path) -> None:
    painter = "{provider: a1111, model: no-such-model, width: 128, height: 96}"
    with FakeA1111() as fake:
        message = _failure(write_book(tmp_path, ONE, painter), fake.env)
        assert fake.generations == []
    assert "no checkpoint `no-such-model`" in message and "dreamshaper_8.safetensors" in message


def test_a_picture_drawn_by_another_checkpoint_is_refused_and_not_stored(tmp_path: Path) -> None:
    info = {"seed": 11, "sd_model_name": "v1-5-pruned-emaonly", "sd_model_hash": "abc"}
    answer = {
        "images": [encode(Image.open(BytesIO(png())))],
        "parameters": {},
        "info": json.dumps(info),
    }
    book = write_book(tmp_path, ONE)
    with FakeA1111() as fake:
        fake.script("txt2img", Answer(200, answer))
        message = _failure(book, fake.env)
        assert build(book, fake.env).called == ["shore/dawn/image"]  # not cached
    assert "drew with checkpoint `v1-5-pruned-emaonly` instead of `dreamshaper_8`" in message


def test_an_unknown_sampler_is_refused_before_the_web_ui_draws_with_its_first_one(
    tmp_path: Path,
) -> None:
    """Issue 19, item 2: the web UI would answer 200 with its first sampler."""
    painter = "{provider: a1111, sampler: Heun++, width: 128, height: 96}"
    with FakeA1111() as fake:
        message = _failure(write_book(tmp_path, ONE, painter), fake.env)
        drawn = fake.generations
    assert "has no sampler `Heun++`" in message and "Euler a" in message and drawn == []


def test_a_sampler_with_its_schedule_in_the_name_is_accepted(tmp_path: Path) -> None:
    painter = "{provider: a1111, sampler: DPM++ 2M Karras, width: 128, height: 96}"
    with FakeA1111() as fake:
        build(write_book(tmp_path, ONE, painter), fake.env)
        assert len(fake.generations) == 1


def test_an_unknown_scheduler_is_refused(tmp_path: Path) -> None:
    painter = "{provider: a1111, scheduler: wobbly, width: 128, height: 96}"
    with FakeA1111() as fake:
        message = _failure(write_book(tmp_path, ONE, painter), fake.env)
        drawn = fake.generations
    assert "has no scheduler `wobbly`" in message and "karras" in message and drawn == []


def test_an_unknown_lora_is_refused_before_the_web_ui_drops_it(tmp_path: Path) -> None:
    painter = "{provider: a1111, lora: {model: no-such-style}, width: 128, height: 96}"
    with FakeA1111() as fake:
        message = _failure(write_book(tmp_path, ONE, painter), fake.env)
        drawn = fake.generations
    assert "has no LoRA `no-such-style`" in message and "watercolor-style" in message
    assert drawn == []


def test_server_crash_is_reported_and_not_cached(tmp_path: Path) -> None:
    book = write_book(tmp_path, ONE)
    with FakeA1111() as fake:
        fake.script(
            "txt2img", crash("OutOfMemoryError", "CUDA out of memory. Tried to allocate 2 GiB")
        )
        message = _failure(book, fake.env)
        assert build(book, fake.env).called == ["shore/dawn/image"]
    assert "OutOfMemoryError: CUDA out of memory" in message


def test_missing_controlnet_extension_is_a_clear_error(tmp_path: Path) -> None:
    with FakeA1111(controlnet=False) as fake:
        message = _failure(write_book(tmp_path, LINES), fake.env)
        assert fake.generations == []
    assert "has no ControlNet extension" in message and "sd-webui-controlnet" in message


def test_a_dropped_connection_is_retried(tmp_path: Path) -> None:
    book = write_book(tmp_path, ONE)
    with FakeA1111() as fake:
        fake.script("txt2img", dropped(), dropped())
        assert build(book, fake.env).called == ["shore/dawn/image"]
        assert fake.count("/sdapi/v1/txt2img") == 3


def test_a_connection_dropped_every_time_is_reported_as_the_server_hanging_up(
    tmp_path: Path,
) -> None:
    with FakeA1111() as fake:
        fake.script("txt2img", dropped(), dropped(), dropped())
        message = _failure(write_book(tmp_path, ONE), fake.env)
    assert "closed the connection before answering (gave up after 3 attempts)" in message


def test_a_server_that_stops_during_the_build_is_named_with_how_to_start_it() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    client = A1111Client(url, None, None)
    with pytest.raises(ProviderError) as failed:
        client.post("/sdapi/v1/txt2img", {"prompt": "x"})
    assert f"no AUTOMATIC1111/Forge web UI answers at {url}" in str(failed.value)
    assert not failed.value.transient


def test_a_picture_slower_than_the_timeout_says_how_to_wait_longer(tmp_path: Path) -> None:
    painter = "{provider: a1111, width: 128, height: 96, timeout: 0.2}"
    with FakeA1111(work_seconds=1.0) as fake:
        message = _failure(write_book(tmp_path, ONE, painter), fake.env)
        wait_until(lambda: fake.count("/sdapi/v1/txt2img") >= 1, "the submit", deadline_s=10)
        assert fake.count("/sdapi/v1/txt2img") == 1  # not re-sent behind the busy web UI
    assert "within 0.2 s" in message and "raise the preset's `timeout`" in message


LINES = """\
      - id: lines
        prompt: "a fox on a cliff"
        controlnet: {type: canny, image: art/lines.png}
"""


def test_controlnet_without_its_routes_uses_the_model_the_preset_names(tmp_path: Path) -> None:
    named = "{provider: a1111, controlnet_models: {canny: control_v11p_sd15_canny}}"
    with FakeA1111(controlnet_routes=False) as fake:
        message = _failure(write_book(tmp_path / "unnamed", LINES), fake.env)
        called = build(write_book(tmp_path / "named", LINES, named), fake.env).called
        unit = fake.of("/sdapi/v1/txt2img")[0].body["alwayson_scripts"]["controlnet"]["args"][0]
    assert "does not list its ControlNet models" in message and "controlnet_models" in message
    assert called == ["shore/lines/image"]
    assert unit["model"] == "control_v11p_sd15_canny"
