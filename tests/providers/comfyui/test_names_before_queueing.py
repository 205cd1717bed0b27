"""Issue 19, item 8: the names a comfyui preset gives (checkpoint, LoRA, sampler, scheduler,
ControlNet and upscale models) are checked against the server's /object_info before anything
is queued: one error (exit 2) with what the server has, not "not in (list of length 44)" once
per step; /object_info is read once per server and build, whatever the presets; an upscale
with a model needs the model's nodes, not ImageScaleBy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.errors import ConfigError
from bookbuild.project import Project
from tests.fakes.comfyui_catalogue import NodeClass
from tests.fakes.comfyui_server import FakeComfyUI

from .conftest import CHECKPOINT

SPEC = f"""\
title: Names
authors: [Test]
language: en
models:
  painter: {{provider: comfyui, checkpoint: {CHECKPOINT}, width: 64, height: 64PAINTER}}
  sharp: {{provider: comfyui, upscale_model: 4x-UltraSharp.pth}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
PICTURES"""


def _book(root: Path, painter: str = "", pictures: int = 3, upscale: bool = False) -> Path:
    edits = "        edits:\n          - upscale: {scale: 2, model: sharp}\n" if upscale else ""
    listed = "".join(
        f'      - id: p{n}\n        prompt: "fox {n}"\n        seed: {n}\n{edits}'
        for n in range(pictures)
    )
    text = SPEC.replace("PAINTER", painter).replace("PICTURES", listed)
    (root / "book.yaml").write_text(text, encoding="utf-8")
    return root


def _make(book: Path, fake: FakeComfyUI) -> list[str]:
    project = Project.open(book, env={"COMFYUI_BASE_URL": fake.base_url})
    return sorted(make(project, MakeOptions(formats=("html",))).called)


@pytest.mark.parametrize(
    ("field", "what", "listed"),
    [
        ("checkpoint: nope.safetensors", "checkpoint `nope.safetensors`", CHECKPOINT),
        ("lora: {model: nope.safetensors}", "LoRA `nope.safetensors`", "watercolor"),
        ("sampler: euler_z", "sampler `euler_z`", "dpmpp_2m"),
        ("scheduler: wobbly", "scheduler `wobbly`", "karras"),
        ("controlnet_models: {canny: nope.pth}", "ControlNet model `nope.pth`", "canny.pth"),
        ("upscale_model: 8x-Nope.pth", "upscale model `8x-Nope.pth`", "4x-UltraSharp"),
    ],
)
def test_a_name_the_server_does_not_list_is_one_error_before_anything_is_queued(
    tmp_path: Path, fake_comfyui: FakeComfyUI, field: str, what: str, listed: str
) -> None:
    if field.startswith("checkpoint"):
        text = SPEC.replace(f"checkpoint: {CHECKPOINT}", field).replace("PAINTER", "")
        (tmp_path / "book.yaml").write_text(
            text.replace("PICTURES", _pictures(3)), encoding="utf-8"
        )
    else:
        _book(tmp_path, ", " + field)
    with pytest.raises(ConfigError) as refused:
        _make(tmp_path, fake_comfyui)
    message = str(refused.value)
    assert f"has no {what}" in message and listed in message and "`painter`" in message
    assert fake_comfyui.count("prompt") == 0 and fake_comfyui.count("upload") == 0
    assert refused.value.exit_code == 2


def _pictures(count: int) -> str:
    return "".join(
        f'      - id: p{n}\n        prompt: "fox {n}"\n        seed: {n}\n' for n in range(count)
    )


def test_the_cli_says_a_missing_checkpoint_once_not_once_per_step(
    tmp_path: Path, fake_comfyui: FakeComfyUI
) -> None:
    text = SPEC.replace(f"checkpoint: {CHECKPOINT}", "checkpoint: gone.safetensors")
    text = text.replace("PAINTER", "").replace("PICTURES", _pictures(6))
    (tmp_path / "book.yaml").write_text(text, encoding="utf-8")
    env = {"COMFYUI_BASE_URL": fake_comfyui.base_url}
    done = CliRunner().invoke(main, ["make", str(tmp_path), "--format", "html"], env=env)
    assert done.exit_code == 2, done.output
    assert done.output.count("gone.safetensors") == 1 and "Traceback" not in done.output
    assert fake_comfyui.count("prompt") == 0


def test_object_info_is_read_once_per_server_and_build(
    tmp_path: Path, fake_comfyui: FakeComfyUI
) -> None:
    book = _book(tmp_path, pictures=2, upscale=True)  # two presets on one server
    assert len(_make(book, fake_comfyui)) == 4
    assert fake_comfyui.count("object_info") == 1


class WithoutImageScaleBy(FakeComfyUI):
    """A server whose only upscaling nodes are the model ones."""

    def classes(self) -> dict[str, NodeClass]:
        return {k: v for k, v in super().classes().items() if k != "ImageScaleBy"}


def test_an_upscale_with_a_model_needs_the_model_nodes_not_image_scale_by(
    tmp_path: Path,
) -> None:
    book = _book(tmp_path, pictures=1, upscale=True)
    with WithoutImageScaleBy() as fake:
        assert _make(book, fake) == ["one/p0/edit-1", "one/p0/image"]
        graph: dict[str, Any] = fake.prompts()[-1]["prompt"]
    assert {n["class_type"] for n in graph.values()} >= {"UpscaleModelLoader"}
