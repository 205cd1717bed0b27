"""The fake A1111 server speaks the web UI's documented shapes (so provider tests mean it)."""

from __future__ import annotations

import base64
import json
from io import BytesIO

import requests
from PIL import Image

from tests.fakes.a1111_drawing import encode
from tests.fakes.a1111_server import FakeA1111, crash
from tests.fakes.sdapi_drawing import mask_png, png


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _image(b64: str) -> Image.Image:
    return Image.open(BytesIO(base64.b64decode(b64)))


def test_txt2img_answers_bare_base64_and_info_as_a_json_string() -> None:
    with FakeA1111() as fake:
        body = {"prompt": "a fox", "seed": -1, "width": 64, "height": 48, "batch_size": 2}
        answer = requests.post(f"{fake.base_url}/sdapi/v1/txt2img", json=body, timeout=10).json()
    assert isinstance(answer["info"], str)
    info = json.loads(answer["info"])
    assert 0 <= info["seed"] < 4294967294 and info["all_seeds"] == [info["seed"], info["seed"] + 1]
    assert len(answer["images"]) == 2 and _image(answer["images"][0]).size == (64, 48)
    assert info["sd_model_name"] == "v1-5-pruned-emaonly"


def test_unknown_checkpoint_override_is_silently_ignored() -> None:
    with FakeA1111() as fake:
        body = {"prompt": "x", "override_settings": {"sd_model_checkpoint": "nope"}}
        answer = requests.post(f"{fake.base_url}/sdapi/v1/txt2img", json=body, timeout=10).json()
    assert json.loads(answer["info"])["sd_model_name"] == "v1-5-pruned-emaonly"


def test_inpaint_repaints_only_where_the_mask_is_white() -> None:
    with FakeA1111() as fake:
        body = {
            "prompt": "sun",
            "seed": 1,
            "width": 128,
            "height": 96,
            "denoising_strength": 1.0,
            "init_images": [_b64(png())],
            "mask": _b64(mask_png((128, 96), (64, 0, 127, 95))),
        }
        answer = requests.post(f"{fake.base_url}/sdapi/v1/img2img", json=body, timeout=10).json()
    picture = _image(answer["images"][0]).convert("RGB")
    assert picture.getpixel((30, 40)) == (200, 30, 30)  # kept
    assert picture.getpixel((100, 40)) != (200, 30, 30)  # repainted
    assert answer["parameters"]["init_images"] is None


def test_rgba_mask_with_transparency_uses_its_alpha() -> None:
    mask = Image.new("RGBA", (128, 96), (255, 255, 255, 0))  # white but transparent: keep
    with FakeA1111() as fake:
        body = {
            "prompt": "sun",
            "width": 128,
            "height": 96,
            "denoising_strength": 1.0,
            "init_images": [_b64(png())],
            "mask": encode(mask),
        }
        answer = requests.post(f"{fake.base_url}/sdapi/v1/img2img", json=body, timeout=10).json()
    assert _image(answer["images"][0]).convert("RGB").getpixel((100, 40)) == (200, 30, 30)


def test_documented_errors() -> None:
    with FakeA1111(auth=("ann", "pw")) as fake:
        url, auth = fake.base_url, ("ann", "pw")
        bad_type = requests.post(f"{url}/sdapi/v1/txt2img", json={"steps": "many"}, auth=auth)
        sampler = requests.post(f"{url}/sdapi/v1/txt2img", json={"sampler_name": "X"}, auth=auth)
        no_init = requests.post(f"{url}/sdapi/v1/img2img", json={"prompt": "x"}, auth=auth)
        no_auth = requests.get(f"{url}/sdapi/v1/sd-models")
        wrong = requests.get(f"{url}/sdapi/v1/sd-models", auth=("ann", "no"))
        script = {"alwayson_scripts": {"regional": {"args": []}}}
        no_script = requests.post(f"{url}/sdapi/v1/txt2img", json=script, auth=auth)
    assert bad_type.status_code == 422
    assert bad_type.json()["detail"][0]["loc"] == ["body", "steps"]
    # an unknown sampler is replaced by the first one (1.9+ get_sampler_and_scheduler)
    assert sampler.status_code == 200
    assert json.loads(sampler.json()["info"])["sampler_name"] == "DPM++ 2M"
    assert (no_init.status_code, no_init.json()["detail"]) == (404, "Init image not found")
    assert (no_auth.status_code, wrong.json()["detail"]) == (401, "Incorrect username or password")
    assert (no_script.status_code, no_script.json()["detail"]) == (
        422,
        "Script 'regional' not found",
    )


def test_without_api_flag_every_sdapi_route_is_404() -> None:
    with FakeA1111(api=False) as fake:
        answer = requests.get(f"{fake.base_url}/sdapi/v1/sd-models", timeout=10)
    assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"})


def test_a_controlnet_unit_the_extension_refuses_is_skipped_with_a_200_as_the_web_ui_does() -> None:
    unit = {"enabled": True, "module": "canny", "model": "control_nope", "image": _b64(png())}
    with FakeA1111() as fake:
        body = {"prompt": "x", "alwayson_scripts": {"controlnet": {"args": [unit]}}}
        answer = requests.post(f"{fake.base_url}/sdapi/v1/txt2img", json=body, timeout=10)
        logged = fake.script_errors
    assert answer.status_code == 200
    assert "ControlNet 0" not in json.loads(answer.json()["info"])["extra_generation_params"]
    assert "model(control_nope) not found" in logged[0]


def test_a_controlnet_unit_the_extension_runs_is_recorded_in_extra_generation_params() -> None:
    model = "control_v11p_sd15_canny [d14c016b]"
    unit = {"enabled": True, "module": "canny", "model": model, "weight": 0.8, "image": _b64(png())}
    with FakeA1111() as fake:
        body = {"prompt": "x", "alwayson_scripts": {"controlnet": {"args": [unit]}}}
        answer = requests.post(f"{fake.base_url}/sdapi/v1/txt2img", json=body, timeout=10)
    extra = json.loads(answer.json()["info"])["extra_generation_params"]
    assert extra["ControlNet 0"].strip('"') == f"Module: canny, Model: {model}, Weight: 0.8"


def test_upscale_and_scripted_crash() -> None:
    with FakeA1111() as fake:
        fake.script("extra-single-image", crash("OutOfMemoryError", "CUDA out of memory"))
        body = {"image": _b64(png((40, 30))), "upscaler_1": "Lanczos", "upscaling_resize": 2}
        first = requests.post(f"{fake.base_url}/sdapi/v1/extra-single-image", json=body, timeout=10)
        second = requests.post(
            f"{fake.base_url}/sdapi/v1/extra-single-image", json=body, timeout=10
        )
    assert first.status_code == 500 and first.json()["errors"] == "CUDA out of memory"
    # the web UI's upscaler floors each side to a multiple of 8 (modules/upscaler.py)
    assert _image(second.json()["image"]).size == (80, 56)
