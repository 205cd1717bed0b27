"""The author's own ComfyUI workflow (`workflow:` + `inputs:`) in a whole book: the mapped
node fields are filled, the file's digest is part of the key, bad mappings are refused."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import SpecError
from bookbuild.project import Project, load_spec
from bookbuild.store.lock import Lock
from bookbuild.store.objects import Store
from tests.fakes.comfyui_server import FakeComfyUI

from .conftest import CHECKPOINT

# The shape of ComfyUI's default workflow as "Export (API)" writes it: numeric node ids.
WORKFLOW = {
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 0,
            "steps": 20,
            "cfg": 8.0,
            "sampler_name": "euler",
            "scheduler": "normal",
            "denoise": 1.0,
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
    },
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": CHECKPOINT}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 48, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "placeholder", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
}

SPEC = """\
title: Own Workflow
authors: [Test]
language: en
models:
  mine: {provider: comfyui, workflow: workflows/my-flow.json,
         inputs: {prompt: "6.text", seed: "3.seed", negative_prompt: "7.text"}}
defaults: {image: mine}
chapters:
  - id: one
    title: One
    text: "Once."
    illustrations:
      - id: fox
        prompt: "a fox in the snow"
        negative_prompt: "blurry"
        seed: 1234
"""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "my-flow.json").write_text(json.dumps(WORKFLOW), encoding="utf-8")
    return tmp_path


def build(book: Path, fake: FakeComfyUI) -> list[str]:
    events: list[Event] = []
    project = Project.open(book, env={"COMFYUI_BASE_URL": fake.base_url})
    return sorted(make(project, MakeOptions(formats=("html",)), events.append).called)


def test_the_mapped_node_fields_are_filled(book: Path, fake_comfyui: FakeComfyUI) -> None:
    assert build(book, fake_comfyui) == ["one/fox/image"]
    (sent,) = fake_comfyui.prompts()
    graph = sent["prompt"]
    assert graph["6"]["inputs"]["text"] == "a fox in the snow"
    assert graph["7"]["inputs"]["text"] == "blurry"
    assert graph["3"]["inputs"]["seed"] == 1234
    assert graph["3"]["inputs"]["steps"] == 20  # what the workflow says, untouched
    assert sent["client_id"]


def test_editing_the_workflow_file_rebuilds_its_steps(
    book: Path, fake_comfyui: FakeComfyUI
) -> None:
    build(book, fake_comfyui)
    assert build(book, fake_comfyui) == []
    changed = json.loads(json.dumps(WORKFLOW))
    changed["3"]["inputs"]["steps"] = 30
    (book / "workflows" / "my-flow.json").write_text(json.dumps(changed), encoding="utf-8")
    assert build(book, fake_comfyui) == ["one/fox/image"]
    assert fake_comfyui.prompts()[-1]["prompt"]["3"]["inputs"]["steps"] == 30


def test_a_mapping_to_a_missing_node_is_refused_before_any_call(
    book: Path, fake_comfyui: FakeComfyUI
) -> None:
    spec = SPEC.replace('seed: "3.seed"', 'seed: "12.seed"')
    (book / "book.yaml").write_text(spec, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(book / "book.yaml")
    assert "book.yaml:6:" in str(caught.value)  # at `seed:` inside `inputs:`
    assert "no node '12'" in str(caught.value)
    assert not fake_comfyui.requests


def test_a_workflow_without_an_image_input_cannot_do_img2img(book: Path) -> None:
    spec = SPEC.replace(
        "        seed: 1234\n",
        '        seed: 1234\n        edits:\n          - img2img: {prompt: "at night"}\n',
    )
    (book / "book.yaml").write_text(spec, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(book / "book.yaml")
    assert "img2img" in str(caught.value)
    assert "book.yaml:" in str(caught.value)


def edit_workflow() -> dict[str, Any]:
    """The default workflow turned into an img2img one: LoadImage → VAEEncode → KSampler."""
    graph = json.loads(json.dumps(WORKFLOW))
    del graph["5"]
    graph["10"] = {"class_type": "LoadImage", "inputs": {"image": "example.png"}}
    graph["11"] = {"class_type": "VAEEncode", "inputs": {"pixels": ["10", 0], "vae": ["4", 2]}}
    graph["3"]["inputs"]["latent_image"] = ["11", 0]
    return graph


def test_a_workflow_with_an_image_input_does_img2img_edits(
    book: Path, fake_comfyui: FakeComfyUI
) -> None:
    (book / "workflows" / "edit-flow.json").write_text(json.dumps(edit_workflow()))
    spec = SPEC.replace(
        "defaults: {image: mine}\n",
        "  redo: {provider: comfyui, workflow: workflows/edit-flow.json,\n"
        '         inputs: {prompt: "6.text", image: "10.image", strength: "3.denoise"}}\n'
        "defaults: {image: mine}\n",
    ).replace(
        "        seed: 1234\n",
        '        seed: 1234\n        edits:\n          - img2img: {prompt: "at night", '
        "strength: 0.4, model: redo}\n",
    )
    (book / "book.yaml").write_text(spec, encoding="utf-8")

    assert build(book, fake_comfyui) == ["one/fox/edit-1", "one/fox/image"]

    edit = fake_comfyui.prompts()[-1]["prompt"]
    uploaded = edit["10"]["inputs"]["image"]
    assert uploaded != "example.png"
    assert fake_comfyui.input_file(uploaded).size == (64, 48)  # the base picture, uploaded
    assert edit["3"]["inputs"]["denoise"] == 0.4
    assert edit["6"]["inputs"]["text"] == "at night"


def test_a_workflow_saved_in_the_ui_format_is_refused_with_how_to_export_it(book: Path) -> None:
    ui_format = {"last_node_id": 9, "nodes": [{"id": 3, "type": "KSampler"}], "links": []}
    (book / "workflows" / "my-flow.json").write_text(json.dumps(ui_format), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(book / "book.yaml")
    assert "UI format" in str(caught.value) and "Export (API)" in str(caught.value)


def test_an_input_bookbuild_does_not_fill_is_refused(book: Path) -> None:
    spec = SPEC.replace('seed: "3.seed"', 'seed: "3.seed", sampler: "3.sampler_name"')
    (book / "book.yaml").write_text(spec, encoding="utf-8")
    with pytest.raises(SpecError, match=r"`inputs.sampler` is not something bookbuild fills"):
        load_spec(book / "book.yaml")


def test_a_workflow_mapping_mask_repaints_only_the_masked_half(
    book: Path, fake_comfyui: FakeComfyUI
) -> None:
    graph = edit_workflow()
    graph["12"] = {
        "class_type": "SetLatentNoiseMask",
        "inputs": {"samples": ["11", 0], "mask": ["10", 1]},  # LoadImage's MASK = 1 - alpha
    }
    graph["3"]["inputs"]["latent_image"] = ["12", 0]
    (book / "workflows" / "inpaint-flow.json").write_text(json.dumps(graph))
    spec = SPEC.replace(
        "defaults: {image: mine}\n",
        "  fix: {provider: comfyui, workflow: workflows/inpaint-flow.json,\n"
        '        inputs: {prompt: "6.text", mask: "10.image", strength: "3.denoise"}}\n'
        "defaults: {image: mine}\n",
    ).replace(
        "        seed: 1234\n",
        "        seed: 1234\n        edits:\n          - inpaint: {mask: {rect: [0, 0, 0.5, 1]}, "
        'prompt: "a moon", strength: 1.0, model: fix}\n',
    )
    (book / "book.yaml").write_text(spec, encoding="utf-8")

    build(book, fake_comfyui)

    lock = Lock.load(book / "book.lock")
    store = Store(book / ".bookbuild" / "store")
    base, edited = (
        Image.open(BytesIO(store.get(lock.entries[s].digest))).convert("RGB")
        for s in ("one/fox/image", "one/fox/edit-1")
    )
    right = [(x, y) for x in range(40, 64) for y in range(48)]
    left = [(x, y) for x in range(0, 28) for y in range(48)]
    assert all(edited.getpixel(p) == base.getpixel(p) for p in right)  # black in our mask: kept
    assert sum(edited.getpixel(p) != base.getpixel(p) for p in left) > 0.9 * len(left)
