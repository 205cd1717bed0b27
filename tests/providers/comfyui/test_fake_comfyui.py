"""The fake ComfyUI answers as ComfyUI's server.py and execution.py do (checked with plain
`requests`, independently of bookbuild's client)."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

import requests
from PIL import Image

from tests.fakes.comfyui_server import FakeComfyUI

from .conftest import CHECKPOINT


def png(image: Image.Image) -> bytes:
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def default_graph(seed: int = 1) -> dict[str, Any]:
    return {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": CHECKPOINT}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["4", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
        "5": {
            "class_type": "EmptyLatentImage",
            "inputs": {"width": 64, "height": 40, "batch_size": 1},
        },
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["4", 0],
                "seed": seed,
                "steps": 20,
                "cfg": 7.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "positive": ["6", 0],
                "negative": ["7", 0],
                "latent_image": ["5", 0],
                "denoise": 1.0,
            },
        },
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "t"}},
    }


def run(fake: FakeComfyUI, graph: dict[str, Any]) -> Image.Image:
    answer = requests.post(f"{fake.base_url}/prompt", json={"prompt": graph}, timeout=5).json()
    prompt_id = answer["prompt_id"]
    entry: dict[str, Any] = {}
    for _ in range(fake.polls + 1):
        entry = requests.get(f"{fake.base_url}/history/{prompt_id}", timeout=5).json()
    image = entry[prompt_id]["outputs"]["9"]["images"][0]
    picture = requests.get(f"{fake.base_url}/view", params=image, timeout=5)
    return Image.open(BytesIO(picture.content))


def test_history_is_empty_while_queued_then_has_the_outputs(fake_comfyui: FakeComfyUI) -> None:
    url = fake_comfyui.base_url
    answer = requests.post(f"{url}/prompt", json={"prompt": default_graph()}, timeout=5).json()
    assert answer["node_errors"] == {} and isinstance(answer["number"], int)
    assert requests.get(f"{url}/history/{answer['prompt_id']}", timeout=5).json() == {}
    picture = run(fake_comfyui, default_graph())
    assert picture.size == (64, 40)


def test_same_seed_same_picture_other_seed_other_picture(fake_comfyui: FakeComfyUI) -> None:
    first, again, other = (run(fake_comfyui, default_graph(s)) for s in (1, 1, 2))
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()


def test_unknown_class_and_missing_inputs_are_refused_like_comfyui(
    fake_comfyui: FakeComfyUI,
) -> None:
    url = f"{fake_comfyui.base_url}/prompt"
    graph = default_graph()
    graph["10"] = {"class_type": "NoSuchNode", "inputs": {}}
    answer = requests.post(url, json={"prompt": graph}, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_prompt"
    assert "NoSuchNode does not exist" in answer.json()["error"]["message"]

    graph = default_graph()
    del graph["3"]["inputs"]["seed"]
    answer = requests.post(url, json={"prompt": graph}, timeout=5)
    body = answer.json()
    assert answer.status_code == 400
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    assert body["node_errors"]["3"]["class_type"] == "KSampler"
    assert body["node_errors"]["3"]["errors"][0]["type"] == "required_input_missing"
    assert fake_comfyui.state.jobs == {}


def test_uploads_rename_on_collision_and_the_mask_route_copies_alpha(
    fake_comfyui: FakeComfyUI,
) -> None:
    url = fake_comfyui.base_url
    red, blue = png(Image.new("RGB", (8, 8), "red")), png(Image.new("RGB", (8, 8), "blue"))
    first = requests.post(f"{url}/upload/image", files={"image": ("a.png", red)}, timeout=5).json()
    same = requests.post(f"{url}/upload/image", files={"image": ("a.png", red)}, timeout=5).json()
    other = requests.post(f"{url}/upload/image", files={"image": ("a.png", blue)}, timeout=5).json()
    assert (first["name"], same["name"], other["name"]) == ("a.png", "a.png", "a (1).png")

    mask = Image.new("RGBA", (8, 8), (0, 0, 0, 255))
    mask.putpixel((2, 3), (0, 0, 0, 0))
    ref = json.dumps({"filename": "a.png", "type": "input"})
    files = {"image": ("m.png", png(mask))}
    requests.post(f"{url}/upload/mask", files=files, data={"original_ref": ref}, timeout=5)
    merged = fake_comfyui.input_file("m.png")
    assert merged.getpixel((2, 3)) == (255, 0, 0, 0)  # the picture, transparent where masked
    assert merged.getpixel((0, 0)) == (255, 0, 0, 255)
