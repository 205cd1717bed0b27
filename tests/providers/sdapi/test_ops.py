"""Every image op of the sdapi provider on every API family, over real HTTP to FakeSDAPI:
the path, the body, the key in the body (never a header), uploads, and the pixels."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any

import pytest
import requests
from PIL import Image, ImageChops

from bookbuild.providers.base import ImageRequest, ImageResult
from bookbuild.providers.registry import provider_class
from bookbuild.providers.sdapi import uploads as sdapi_uploads
from bookbuild.providers.sdapi.provider import SDAPIProvider
from tests.fakes.sdapi_drawing import mask_png, png, prompt_colour
from tests.fakes.sdapi_server import FakeClock, FakeSDAPI, Recorded, fake_sdapi, success

__all__ = ["fake_sdapi"]

FAMILIES: dict[str, dict[str, Any]] = {
    "v3": {"api": "v3", "model": "sdxl"},
    "v4": {"api": "v4", "model": "dreamshaper-8"},
    "v6": {"api": "v6", "model": "dreamshaper-8"},
    "realtime": {},
}
PATHS: dict[str, dict[str, str]] = {
    "v3": {
        "txt2img": "/api/v3/text2img",
        "img2img": "/api/v3/img2img",
        "inpaint": "/api/v3/inpaint",
        "controlnet": "/api/v5/controlnet",
        "outpaint": "/api/v3/inpaint",  # an inpaint of the padded canvas
        "upscale": "/api/v3/super_resolution",
        "remove_background": "/api/v5/removebg_mask",
    },
    "v4": {
        "txt2img": "/api/v4/dreambooth",
        "img2img": "/api/v4/dreambooth/img2img",
        "inpaint": "/api/v4/dreambooth/inpaint",
        "controlnet": "/api/v5/controlnet",
        "outpaint": "/api/v4/dreambooth/inpaint",  # an inpaint of the padded canvas
        "upscale": "/api/v3/super_resolution",
        "remove_background": "/api/v5/removebg_mask",
    },
    "v6": {
        "txt2img": "/api/v6/images/text2img",
        "img2img": "/api/v6/images/img2img",
        "inpaint": "/api/v6/images/inpaint",
        "controlnet": "/api/v5/controlnet",
        "outpaint": "/api/v6/images/inpaint",  # an inpaint of the padded canvas
        "upscale": "/api/v6/image_editing/super_resolution",
        "remove_background": "/api/v6/image_editing/removebg_mask",
    },
    "realtime": {
        "txt2img": "/api/v6/realtime/text2img",
        "img2img": "/api/v6/realtime/img2img",
        "inpaint": "/api/v6/realtime/inpaint",
        "controlnet": "/api/v5/controlnet",
        "outpaint": "/api/v6/realtime/inpaint",  # an inpaint of the padded canvas
        "upscale": "/api/v6/image_editing/super_resolution",
        "remove_background": "/api/v6/image_editing/removebg_mask",
    },
}
UPLOAD_PATHS = {
    "v3": "/api/v3/base64_crop",
    "v4": "/api/v3/base64_crop",
    "v6": "/api/v6/image_editing/base64_to_url",
    "realtime": "/api/v6/image_editing/base64_to_url",
}
CASES = [
    (family, op)
    for family in PATHS
    for op in PATHS[family]
    if (family, op) != ("realtime", "controlnet")  # a validate error (test_request_shapes)
]


def make(fake: FakeSDAPI, **fields: Any) -> SDAPIProvider:
    provider = SDAPIProvider(fake.preset(**fields), {"SDAPI_KEY": fake.key})
    clock = FakeClock()
    provider.sleep, provider.clock = clock.sleep, clock
    return provider


def request_for(op: str, **overrides: Any) -> ImageRequest:
    fields: dict[str, Any] = {"step_id": f"ch/ill/{op}", "op": op, "prompt": "a rabbit", "seed": 7}
    if op in ("img2img", "inpaint", "outpaint", "upscale", "remove_background"):
        fields["image"] = png()
    if op == "inpaint":
        fields["mask"] = mask_png((128, 96), (0, 0, 63, 95))
    if op == "img2img":
        fields["strength"] = 0.6
    if op == "outpaint":
        fields["params"] = {"left": 16, "right": 16, "up": 0, "down": 8}
    if op == "upscale":
        fields["params"] = {"scale": 2}
    if op == "controlnet":
        fields["control_image"] = png()
        fields["params"] = {"controlnet": {"type": "canny", "strength": 0.8}}
    fields.update(overrides)
    return ImageRequest(**fields)


def decoded(result: ImageResult) -> Image.Image:
    assert result.png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(BytesIO(result.png))


def key_only_in_body(fake: FakeSDAPI, request: Recorded) -> None:
    assert request.body["key"] == fake.key
    assert "authorization" not in request.headers
    assert all(fake.key not in value for value in request.headers.values())


def test_the_provider_is_registered_under_its_entry_point() -> None:
    assert provider_class("sdapi") is SDAPIProvider


@pytest.mark.parametrize(("family", "op"), CASES)
def test_each_op_goes_to_its_family_endpoint(fake_sdapi: FakeSDAPI, family: str, op: str) -> None:
    provider = make(fake_sdapi, **FAMILIES[family])
    result = provider.run_image(request_for(op))
    (submit,) = fake_sdapi.submits
    assert submit.path == PATHS[family][op]
    key_only_in_body(fake_sdapi, submit)
    for upload in fake_sdapi.of("upload"):
        assert upload.path == UPLOAD_PATHS[family]
        key_only_in_body(fake_sdapi, upload)
    assert result.metadata["endpoint"] == PATHS[family][op]
    assert result.metadata["provider"] == "sdapi"
    assert decoded(result).size[0] > 0


@pytest.mark.parametrize("family", ["v3", "v4"])
def test_legacy_families_send_yes_no_strings(fake_sdapi: FakeSDAPI, family: str) -> None:
    make(fake_sdapi, **FAMILIES[family]).run_image(request_for("txt2img"))
    body = fake_sdapi.submits[0].body
    assert body["enhance_prompt"] == "no"
    assert body["safety_checker"] == "no"
    assert body["base64"] == "no"
    assert "webhook" not in body


def test_v6_community_sends_yes_no_strings_and_the_model_id(fake_sdapi: FakeSDAPI) -> None:
    provider = make(fake_sdapi, model="dreamshaper-8", steps=25, guidance=7.5)
    result = provider.run_image(
        request_for("txt2img", width=768, height=512, negative_prompt="blurry")
    )
    body = fake_sdapi.submits[0].body
    assert body["enhance_prompt"] == "no" and body["safety_checker"] == "no"
    assert "prompt_used" not in result.metadata  # the server did not rewrite the prompt
    assert body["model_id"] == "dreamshaper-8"
    assert (body["width"], body["height"], body["samples"], body["seed"]) == (768, 512, 1, 7)
    assert (body["num_inference_steps"], body["guidance_scale"]) == (25, 7.5)
    assert body["negative_prompt"] == "blurry"


def test_enhance_prompt_and_safety_checker_follow_the_preset(fake_sdapi: FakeSDAPI) -> None:
    provider = make(fake_sdapi, api="v4", model="m", enhance_prompt=True, safety_checker=True)
    result = provider.run_image(request_for("txt2img"))
    body = fake_sdapi.submits[0].body
    assert (body["enhance_prompt"], body["safety_checker"]) == ("yes", "yes")
    assert result.metadata["prompt_used"].startswith("a rabbit, DSLR photography")


def test_community_fields_lora_scheduler_embeddings(fake_sdapi: FakeSDAPI) -> None:
    provider = make(
        fake_sdapi,
        api="v4",
        model="dreamshaper-8",
        scheduler="DPMSolverMultistepScheduler",
        embeddings="easynegative",
        negative_prompt="extra limbs",
        lora=[{"model": "watercolor-style", "strength": 0.7}, {"model": "ink", "strength": 0.45}],
    )
    provider.run_image(request_for("txt2img"))
    body = fake_sdapi.submits[0].body
    assert body["lora_model"] == "watercolor-style,ink"
    assert body["lora_strength"] == "0.7,0.45"
    assert body["scheduler"] == "DPMSolverMultistepScheduler"
    assert body["embeddings_model"] == "easynegative"
    assert body["negative_prompt"] == "extra limbs"  # the preset's, as the request has none


def test_realtime_sends_no_model_id(fake_sdapi: FakeSDAPI) -> None:
    make(fake_sdapi, model="realtime").run_image(request_for("txt2img"))
    submit = fake_sdapi.submits[0]
    assert submit.path == "/api/v6/realtime/text2img"
    assert "model_id" not in submit.body


def test_img2img_uploads_the_init_image_and_sends_strength(fake_sdapi: FakeSDAPI) -> None:
    result = make(fake_sdapi, model="m").run_image(request_for("img2img"))
    (upload,) = fake_sdapi.of("upload")
    assert upload.body["init_image"].startswith("data:image/png;base64,")
    body = fake_sdapi.submits[0].body
    assert body["init_image"].startswith(fake_sdapi.base_url + "/files/upload-")
    assert body["strength"] == 0.6
    assert result.metadata["uploads"] == 1


def test_uploads_are_cached_by_content_within_a_provider(fake_sdapi: FakeSDAPI) -> None:
    provider = make(fake_sdapi, model="m")
    provider.run_image(request_for("img2img"))
    second = provider.run_image(request_for("img2img", prompt="a fox", step_id="ch/other/image"))
    assert fake_sdapi.count("upload") == 1
    assert second.metadata["uploads"] == 0
    assert fake_sdapi.submits[0].body["init_image"] == fake_sdapi.submits[1].body["init_image"]


def test_the_same_picture_sent_by_two_steps_at_once_is_uploaded_once(
    fake_sdapi: FakeSDAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = make(fake_sdapi, model="m")
    both_uploading = threading.Barrier(2)
    real_data_url = sdapi_uploads.data_url

    def data_url_when_both_arrive(picture: bytes) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_uploading.wait(timeout=2)  # reached by both steps only if each uploads
        return real_data_url(picture)

    monkeypatch.setattr(sdapi_uploads, "data_url", data_url_when_both_arrive)
    second = request_for("img2img", prompt="a fox", step_id="ch/other/image")
    requests_ = [request_for("img2img"), second]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(provider.run_image, requests_))
    assert fake_sdapi.count("upload") == 1
    assert sorted(r.metadata["uploads"] for r in results) == [0, 1]


def test_legacy_uploads_go_through_base64_crop(fake_sdapi: FakeSDAPI) -> None:
    make(fake_sdapi, api="v3").run_image(request_for("upscale"))
    (upload,) = fake_sdapi.of("upload")
    assert upload.path == "/api/v3/base64_crop"
    assert upload.body["image"].startswith("data:image/png;base64,")
    assert fake_sdapi.submits[0].body["url"].startswith(fake_sdapi.base_url + "/files/upload-")


@pytest.mark.parametrize("family", ["v3", "v4", "v6", "realtime"])
def test_inpaint_repaints_only_where_the_mask_is_white(fake_sdapi: FakeSDAPI, family: str) -> None:
    base = png((128, 96))
    box = (0, 0, 63, 95)  # the left half is white: repaint it
    request = request_for("inpaint", image=base, mask=mask_png((128, 96), box), prompt="a sun")
    result = make(fake_sdapi, **FAMILIES[family]).run_image(request)
    out = decoded(result).convert("RGB")
    before = Image.open(BytesIO(base)).convert("RGB")
    assert out.size == before.size
    changed = ImageChops.difference(out, before).convert("L").point(lambda v: 255 if v else 0)
    assert changed.getbbox() == (0, 0, 64, 96)  # only masked pixels differ
    assert out.getpixel((10, 20)) == prompt_colour("a sun")
    assert out.getpixel((100, 20)) == before.getpixel((100, 20))
    body = fake_sdapi.submits[0].body
    (mask_upload,) = [u for u in fake_sdapi.uploaded_images() if u.mode == "L"]
    assert mask_upload.size == (128, 96)
    assert body["mask_image"] != body["init_image"]


def test_a_mask_of_another_size_is_scaled_to_the_image(fake_sdapi: FakeSDAPI) -> None:
    request = request_for("inpaint", image=png((128, 96)), mask=mask_png((32, 24), (0, 0, 15, 23)))
    make(fake_sdapi, model="m").run_image(request)
    sizes = sorted(image.size for image in fake_sdapi.uploaded_images())
    assert sizes == [(128, 96), (128, 96)]


def test_controlnet_uploads_the_reference_and_sends_its_fields(fake_sdapi: FakeSDAPI) -> None:
    make(fake_sdapi, model="dreamshaper-8").run_image(request_for("controlnet"))
    body = fake_sdapi.submits[0].body
    assert fake_sdapi.count("upload") == 1
    assert body["control_image"].startswith(fake_sdapi.base_url + "/files/upload-")
    assert body["init_image"] == body["control_image"]
    assert (body["controlnet_model"], body["controlnet_type"]) == ("canny", "canny")
    assert body["controlnet_conditioning_scale"] == 0.8
    assert body["auto_hint"] == "yes"  # v5 endpoint: yes/no strings
    assert body["model_id"] == "dreamshaper-8"


@pytest.mark.parametrize(("family", "field"), [("v3", "url"), ("v6", "init_image")])
def test_upscale_sends_scale_and_the_upscale_model(
    fake_sdapi: FakeSDAPI, family: str, field: str
) -> None:
    provider = make(fake_sdapi, **FAMILIES[family], upscale_model="RealESRGAN_x4plus")
    result = provider.run_image(request_for("upscale", params={"scale": 3}))
    body = fake_sdapi.submits[0].body
    assert body[field].startswith(fake_sdapi.base_url + "/files/upload-")
    assert (body["scale"], body["model_id"]) == (3, "RealESRGAN_x4plus")
    assert decoded(result).size == (128 * 3, 96 * 3)
    assert result.metadata["model"] == "RealESRGAN_x4plus"
    assert "seed" not in result.metadata


@pytest.mark.parametrize("family", ["v3", "v4", "v6"])
def test_remove_background_keeps_the_alpha_channel(fake_sdapi: FakeSDAPI, family: str) -> None:
    result = make(fake_sdapi, **FAMILIES[family]).run_image(request_for("remove_background"))
    body = fake_sdapi.submits[0].body
    assert body["only_mask"] is False and body["inverse_mask"] is False  # booleans, as typed
    assert fake_sdapi.submits[0].body["image"].startswith(fake_sdapi.base_url + "/files/upload-")
    out = decoded(result)
    assert out.mode == "RGBA"
    corner, centre = out.getpixel((0, 0)), out.getpixel((64, 48))
    assert isinstance(corner, tuple) and isinstance(centre, tuple)
    assert corner[3] == 0 and centre[3] == 255


def test_metadata_reports_what_the_service_used() -> None:
    fake = FakeSDAPI(max_steps=20).start()
    try:
        provider = make(fake, model="dreamshaper-8", steps=30, price={"per_image": 0.01})
        result = provider.run_image(request_for("txt2img", width=256, height=128))
    finally:
        fake.stop()
    meta = result.metadata
    assert meta["steps"] == 20  # the service clamped 30 to 20: record what it used
    assert (meta["seed"], meta["width"], meta["height"]) == (7, 256, 128)
    assert (meta["model"], meta["scheduler"]) == ("dreamshaper-8", "UniPCMultistepScheduler")
    assert meta["cost"] == 0.01 and meta["uploads"] == 0
    assert meta["job_id"] and meta["generation_time"] == 1.23
    assert "prompt_used" not in meta


@pytest.mark.parametrize(
    "answer",
    [
        success(fmt="JPEG"),
        success(fmt="WEBP"),
        success(base64=True),
        success(output_as_string=True),
    ],
    ids=["jpeg", "webp", "base64", "output-string"],
)
def test_every_output_shape_becomes_png(fake_sdapi: FakeSDAPI, answer: Any) -> None:
    fake_sdapi.script("txt2img", answer)
    result = make(fake_sdapi, model="m").run_image(request_for("txt2img"))
    image = decoded(result)
    assert image.size == (512, 512)
    pixel = image.convert("RGB").getpixel((5, 5))
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= 6 for a, b in zip(pixel, prompt_colour("a rabbit"), strict=True))


def test_estimate_cost_is_the_per_image_price(fake_sdapi: FakeSDAPI) -> None:
    assert make(fake_sdapi).estimate_cost("image", "txt2img") == pytest.approx(0.0047)
    priced = make(fake_sdapi, price={"per_image": 0.02})
    assert priced.estimate_cost("image", "upscale") == 0.02
    assert priced.estimate_cost("chat", "write") == 0.0


def test_controlnet_also_reads_flat_params(fake_sdapi: FakeSDAPI) -> None:
    params = {"controlnet_type": "depth", "conditioning_scale": 1.5, "auto_hint": False}
    make(fake_sdapi, model="m").run_image(request_for("controlnet", params=params))
    body = fake_sdapi.submits[0].body
    assert (body["controlnet_type"], body["controlnet_conditioning_scale"]) == ("depth", 1.5)
    assert body["auto_hint"] == "no"


def test_the_fake_coerces_strings_and_resolves_a_null_seed(fake_sdapi: FakeSDAPI) -> None:
    body = {
        "key": fake_sdapi.key,
        "prompt": "a hare",
        "width": "512",
        "height": "256",
        "samples": "1",
        "seed": None,
        "enhance_prompt": "yes",
    }
    url = fake_sdapi.base_url + "/api/v3/text2img"
    answer = requests.post(url, json=body, timeout=5).json()
    assert answer["status"] == "success"
    meta = answer["meta"]
    assert (meta["W"], meta["H"]) == (512, 256)
    assert isinstance(meta["seed"], int) and meta["seed"] >= 0
    assert meta["prompt"].startswith("a hare, DSLR photography")
    image = Image.open(BytesIO(requests.get(answer["output"][0], timeout=5).content))
    assert image.size == (512, 256)
