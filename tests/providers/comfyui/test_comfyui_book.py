"""Whole books built against the fake ComfyUI server: every op end to end, the pictures
checked, then rebuilt with no call; plan shows the calls as free."""

from __future__ import annotations

import socket
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from bookbuild.build.events import Event
from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.project import Project
from bookbuild.reports.inspect_plan import plan_report
from bookbuild.store.lock import Lock
from bookbuild.store.objects import Store
from tests.fakes.comfyui_server import FakeComfyUI

from .conftest import CHECKPOINT

SPEC = f"""\
title: The Lighthouse Fox
authors: [Test]
language: en
models:
  painter: {{provider: comfyui, checkpoint: {CHECKPOINT}, steps: 12, cfg: 6.5,
            width: 96, height: 64, feathering: 0,
            lora: {{model: watercolor.safetensors, strength: 0.6}},
            controlnet_models: {{canny: control_v11p_sd15_canny.pth}}}}
  sharp: {{provider: comfyui, upscale_model: 4x-UltraSharp.pth}}
defaults: {{image: painter}}
chapters:
  - id: shore
    title: The Shore
    text: "A fox lived by the lighthouse."
    illustrations:
      - id: fox
        prompt: "a red fox on a rock"
        seed: 11
        edits:
          - inpaint: {{mask: {{rect: [0.0, 0.0, 0.5, 1.0]}}, prompt: "a bright sun", strength: 1.0}}
          - outpaint: {{left: 16, right: 5}}
          - img2img: {{prompt: "at dusk", strength: 0.5}}
          - upscale: {{scale: 2, model: sharp}}
      - id: sketch
        prompt: "a lighthouse at night"
        seed: 5
        controlnet: {{type: canny, image: art/sketch.png, strength: 1.0}}
      - id: painted
        prompt: "the lighthouse in oil"
        seed: 9
        init_image: {{path: art/sketch.png, strength: 0.6}}
"""

STEPS = [
    "shore/fox/edit-1",
    "shore/fox/edit-2",
    "shore/fox/edit-3",
    "shore/fox/edit-4",
    "shore/fox/image",
    "shore/painted/image",
    "shore/sketch/image",
]


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "art").mkdir()
    sketch = Image.new("RGB", (80, 60), "white")
    ImageDraw.Draw(sketch).rectangle((20, 10, 60, 50), outline="black", width=3)
    sketch.save(tmp_path / "art" / "sketch.png")
    return tmp_path


def build(book: Path, fake: FakeComfyUI) -> list[str]:
    events: list[Event] = []
    project = Project.open(book, env={"COMFYUI_BASE_URL": fake.base_url})
    summary = make(project, MakeOptions(formats=("html",)), events.append)
    return sorted(summary.called)


def picture(book: Path, step_id: str) -> Image.Image:
    """The pinned result of `step_id`, read back from the store."""
    entry = Lock.load(book / "book.lock").entries[step_id]
    data = Store(book / ".bookbuild" / "store").get(entry.digest)
    return Image.open(BytesIO(data)).convert("RGB")


def test_every_op_runs_on_comfyui_and_a_rebuild_calls_nothing(
    book: Path, fake_comfyui: FakeComfyUI
) -> None:
    assert build(book, fake_comfyui) == STEPS
    assert fake_comfyui.count("prompt") == len(STEPS)
    requests_made = len(fake_comfyui.requests)

    assert build(book, fake_comfyui) == []
    assert len(fake_comfyui.requests) == requests_made  # not even /object_info


def test_the_pictures_follow_seed_size_image_and_mask(
    book: Path, fake_comfyui: FakeComfyUI
) -> None:
    build(book, fake_comfyui)
    base = picture(book, "shore/fox/image")
    assert base.size == (96, 64)
    painted = picture(book, "shore/fox/edit-1")
    assert painted.getpixel((90, 60)) == base.getpixel((90, 60))  # outside the mask: kept
    left = [(x, y) for x in range(0, 40) for y in range(64)]
    repainted = sum(painted.getpixel(p) != base.getpixel(p) for p in left)
    assert repainted > 0.9 * len(left)  # inside the mask (white = repaint): new paint
    grown = picture(book, "shore/fox/edit-2")
    assert grown.size == (96 + 16 + 5, 64)
    assert grown.getpixel((16 + 60, 30)) == painted.getpixel((60, 30))  # original kept in place
    assert picture(book, "shore/fox/edit-4").size == (2 * 117, 2 * 64)
    graphs = [body["prompt"] for body in fake_comfyui.prompts()]
    seeds = sorted(g["sampler"]["inputs"]["seed"] for g in graphs if "sampler" in g)
    assert 11 in seeds and 5 in seeds and 9 in seeds
    drawn = [g for g in graphs if "checkpoint" in g]
    assert all(g["lora-1"]["inputs"]["lora_name"] == "watercolor.safetensors" for g in drawn)
    assert all(g["sampler"]["inputs"]["cfg"] == 6.5 for g in drawn)


def test_plan_shows_comfyui_calls_as_free(book: Path, fake_comfyui: FakeComfyUI) -> None:
    project = Project.open(book, env={"COMFYUI_BASE_URL": fake_comfyui.base_url})
    report = plan_report(project).to_json()
    assert report["calls"] == {"comfyui": len(STEPS)}
    assert report["estimated_cost_usd"].get("comfyui", 0) == 0
    assert report["local_providers"] == ["comfyui"]
    assert not fake_comfyui.requests
    shown = CliRunner().invoke(main, ["plan", str(book)])
    assert f"comfyui: {len(STEPS)} call(s), free (runs locally)" in shown.output


def test_a_server_that_is_not_running_is_one_error_before_any_step(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("COMFYUI_BASE_URL", url)
    result = CliRunner().invoke(main, ["make", str(book), "--format", "html", "--plain"])
    assert result.exit_code == 2  # as a1111 (issue 19 item 8): the address is the user's to fix
    assert result.output.count(f"no service answers at {url}") == 1
    assert "python main.py --listen" in result.output
    assert "Traceback" not in result.output
    assert (
        not (book / "book.lock").exists()
        or "shore/fox/image" not in (book / "book.lock").read_text()
    )


def test_validate_refuses_an_op_comfyui_cannot_do_at_its_line(book: Path) -> None:
    spec = SPEC.replace(
        "          - upscale: {scale: 2, model: sharp}\n",
        "          - upscale: {scale: 2, model: sharp}\n          - remove_background: {}\n",
    )
    (book / "book.yaml").write_text(spec, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(book)])
    assert result.exit_code == 2
    line = spec.splitlines().index("          - remove_background: {}") + 1
    assert f"book.yaml:{line}:" in result.output
    assert "comfyui" in result.output and "remove_background" in result.output


def test_a_preset_without_checkpoint_cannot_draw(book: Path) -> None:
    spec = SPEC.replace(f"checkpoint: {CHECKPOINT}, ", "")
    (book / "book.yaml").write_text(spec, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(book)])
    assert result.exit_code == 2
    assert "set `checkpoint`" in result.output
