"""The fake Stability service speaks the documented v2beta formats (checked with plain
`requests`, independently of bookbuild's client)."""

from __future__ import annotations

import base64
from io import BytesIO

import pytest
import requests
from PIL import Image

from tests.fakes.sdapi_drawing import mask_png, png, prompt_colour
from tests.fakes.stability_server import (
    FakeStability,
    content_moderation,
    dropped,
    fake_stability,
    filtered,
    running,
)

__all__ = ["fake_stability"]
V2 = "/v2beta/stable-image"


def post(
    fake: FakeStability,
    path: str,
    fields: dict[str, str],
    files: dict[str, bytes] | None = None,
    *,
    accept: str = "image/*",
    key: str | None = None,
) -> requests.Response:
    headers = {"authorization": f"Bearer {key or fake.key}", "accept": accept}
    parts = {name: (f"{name}.png", data, "image/png") for name, data in (files or {}).items()}
    return requests.post(
        fake.base_url + path, headers=headers, data=fields, files=parts or {"none": ""}, timeout=10
    )


def picture(response: requests.Response) -> Image.Image:
    return Image.open(BytesIO(response.content))


def test_generate_answers_image_bytes_with_finish_reason_and_seed_headers(
    fake_stability: FakeStability,
) -> None:
    response = post(fake_stability, f"{V2}/generate/core", {"prompt": "a fox", "seed": "42"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["finish-reason"] == "SUCCESS"
    assert response.headers["seed"] == "42"
    assert response.headers["x-request-id"]
    assert picture(response).getpixel((100, 100)) == prompt_colour("a fox")


def test_json_accept_gives_base64_image_seed_and_finish_reason_in_the_body(
    fake_stability: FakeStability,
) -> None:
    response = post(
        fake_stability, f"{V2}/generate/ultra", {"prompt": "a fox"}, accept="application/json"
    )
    body = response.json()
    assert response.headers["content-type"] == "application/json; type=image/png"
    assert "finish-reason" not in response.headers and body["finish_reason"] == "SUCCESS"
    assert 1 <= body["seed"] <= 4294967294  # seed 0 / none = random, reported
    assert Image.open(BytesIO(base64.b64decode(body["image"]))).format == "PNG"


def test_output_size_follows_the_aspect_ratio(fake_stability: FakeStability) -> None:
    fields = {"prompt": "a fox", "aspect_ratio": "16:9", "model": "sd3.5-medium"}
    size = picture(post(fake_stability, f"{V2}/generate/sd3", fields)).size
    assert size[0] > size[1] and abs(size[0] / size[1] - 16 / 9) < 0.03


def test_urlencoded_body_is_refused_with_the_error_shape(fake_stability: FakeStability) -> None:
    response = requests.post(
        fake_stability.base_url + f"{V2}/generate/core",
        headers={"authorization": f"Bearer {fake_stability.key}"},
        data={"prompt": "a fox"},
        timeout=10,
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"id", "name", "errors"} and body["name"] == "bad_request"


def test_validation_runs_before_auth(fake_stability: FakeStability) -> None:
    bad_fields = post(fake_stability, f"{V2}/generate/core", {"aspect_ratio": "7:3"}, key="no")
    assert bad_fields.status_code == 400
    assert "prompt: is required" in bad_fields.json()["errors"]
    assert any(e.startswith("aspect_ratio:") for e in bad_fields.json()["errors"])
    bad_key = post(fake_stability, f"{V2}/generate/core", {"prompt": "a fox"}, key="no")
    assert bad_key.status_code == 401


def test_width_and_height_are_not_generate_fields(fake_stability: FakeStability) -> None:
    response = post(fake_stability, f"{V2}/generate/core", {"prompt": "a", "width": "512"})
    assert response.status_code == 400
    assert response.json()["errors"] == ["width: is not a valid field"]


def test_non_english_prompt_is_invalid_language(fake_stability: FakeStability) -> None:
    response = post(fake_stability, f"{V2}/generate/core", {"prompt": "토끼와 거북이"})
    assert response.status_code == 422
    assert response.json()["name"] == "invalid_language"


def test_inpaint_repaints_only_the_white_of_the_mask_grown_by_grow_mask(
    fake_stability: FakeStability,
) -> None:
    files = {"image": png((128, 128)), "mask": mask_png((128, 128), (0, 0, 63, 127))}
    fields = {"prompt": "a red scarf", "grow_mask": "0"}
    out = picture(post(fake_stability, f"{V2}/edit/inpaint", fields, files))
    assert out.getpixel((10, 64)) == prompt_colour("a red scarf")
    assert out.getpixel((100, 64)) == Image.open(BytesIO(files["image"])).getpixel((100, 64))
    grown = picture(post(fake_stability, f"{V2}/edit/inpaint", {**fields, "grow_mask": "8"}, files))
    assert grown.getpixel((68, 64)) == prompt_colour("a red scarf")


def test_outpaint_grows_the_canvas_by_the_exact_margins(fake_stability: FakeStability) -> None:
    fields = {"left": "10", "right": "30", "up": "0", "down": "6"}
    out = picture(post(fake_stability, f"{V2}/edit/outpaint", fields, {"image": png((128, 96))}))
    assert out.size == (168, 102)
    none = post(fake_stability, f"{V2}/edit/outpaint", {}, {"image": png((128, 96))})
    assert none.status_code == 400


def test_erase_fills_the_mask_from_the_rest(fake_stability: FakeStability) -> None:
    files = {"image": png((128, 128)), "mask": mask_png((128, 128), (30, 30, 90, 90))}
    out = picture(post(fake_stability, f"{V2}/edit/erase", {"grow_mask": "0"}, files))
    assert out.getpixel((60, 60)) != (200, 30, 30)


def test_search_and_replace_repaints_the_found_object(fake_stability: FakeStability) -> None:
    cat = prompt_colour("the cat")
    files = {"image": png((128, 128), cat)}
    fields = {"prompt": "a small dog", "search_prompt": "the cat", "grow_mask": "0"}
    out = picture(post(fake_stability, f"{V2}/edit/search-and-replace", fields, files))
    assert out.getpixel((64, 64)) == prompt_colour("a small dog")
    assert out.getpixel((2, 2)) == (255, 255, 255)


def test_remove_background_gives_real_alpha_and_refuses_jpeg(
    fake_stability: FakeStability,
) -> None:
    files = {"image": png((128, 128))}
    out = picture(post(fake_stability, f"{V2}/edit/remove-background", {}, files))
    assert out.mode == "RGBA" and out.getpixel((2, 2))[3] == 0 and out.getpixel((64, 64))[3] == 255
    jpeg = post(fake_stability, f"{V2}/edit/remove-background", {"output_format": "jpeg"}, files)
    assert jpeg.status_code == 400


def test_fast_upscale_is_four_times(fake_stability: FakeStability) -> None:
    out = picture(post(fake_stability, f"{V2}/upscale/fast", {}, {"image": png((64, 48))}))
    assert out.size == (256, 192)


def test_creative_upscale_is_polled_through_results_while_202(
    fake_stability: FakeStability,
) -> None:
    fake_stability.script("creative", running(polls=2))
    submit = post(fake_stability, f"{V2}/upscale/creative", {"prompt": "a fox"}, {"image": png()})
    job = submit.json()["id"]
    assert submit.status_code == 200 and len(job) == 64
    url = f"{fake_stability.base_url}/v2beta/results/{job}"
    auth = {"authorization": f"Bearer {fake_stability.key}", "accept": "image/*"}
    codes = [requests.get(url, headers=auth, timeout=10).status_code for _ in range(2)]
    assert codes == [202, 202]
    done = requests.get(url, headers=auth, timeout=10)
    assert done.status_code == 200 and done.headers["finish-reason"] == "SUCCESS"
    other_key = requests.get(
        url, headers={"authorization": "Bearer other", "accept": "image/*"}, timeout=10
    )
    assert other_key.status_code == 404 and other_key.json()["name"] == "generation_not_found"


def test_content_filtered_is_a_200_and_charged_while_moderation_is_403_and_free(
    fake_stability: FakeStability,
) -> None:
    fake_stability.script("core", filtered(), content_moderation())
    blurred = post(fake_stability, f"{V2}/generate/core", {"prompt": "a fox"})
    assert blurred.status_code == 200 and blurred.headers["finish-reason"] == "CONTENT_FILTERED"
    refused = post(fake_stability, f"{V2}/generate/core", {"prompt": "a fox"})
    assert refused.status_code == 403 and refused.json()["name"] == "content_moderation"
    assert fake_stability.credits == 3


def test_a_dropped_answer_still_charges_the_accepted_job(fake_stability: FakeStability) -> None:
    fake_stability.script("core", dropped())
    with pytest.raises(requests.ConnectionError):
        post(fake_stability, f"{V2}/generate/core", {"prompt": "a fox"})
    assert fake_stability.credits == 3


def test_unquoted_part_names_are_malformed(fake_stability: FakeStability) -> None:
    boundary = "xyz"
    part = "Content-Disposition: form-data; name=prompt\r\n\r\na fox"
    body = f"--{boundary}\r\n{part}\r\n--{boundary}--\r\n"
    response = requests.post(
        fake_stability.base_url + f"{V2}/generate/core",
        headers={
            "authorization": f"Bearer {fake_stability.key}",
            "content-type": f"multipart/form-data; boundary={boundary}",
        },
        data=body.encode(),
        timeout=10,
    )
    assert response.status_code == 400
    assert "missing a name" in response.json()["errors"][0]
