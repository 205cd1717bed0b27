"""Issue 19, item 1: the web UI catches any error of the ControlNet script and draws WITHOUT
control (HTTP 200); such a picture is never kept. The fake behaves as the web UI does: a unit
the extension refuses is logged and skipped, a unit it runs is recorded in
`extra_generation_params["ControlNet 0"]`; `forge=True` is Forge's built-in ControlNet (no
`/controlnet/version`, modules `None` and `normalbae`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.errors import BuildFailed
from tests.fakes.a1111_server import FakeA1111

from .book_helpers import PAINTER, build, result, write_book

STEP = "shore/lines/image"


def _lines(strength: float = 0.8, kind: str = "canny") -> str:
    return (
        "      - id: lines\n"
        '        prompt: "a fox on a cliff"\n'
        "        seed: 7\n"
        f"        controlnet: {{type: {kind}, image: art/lines.png, strength: {strength}}}\n"
    )


def _painter(extra: str) -> str:
    return PAINTER.replace("steps: 20}", f"steps: 20, {extra}}}")


def _failure(book: Path, env: dict[str, str]) -> str:
    with pytest.raises(BuildFailed) as failed:
        build(book, env)
    return failed.value.failures[STEP]


def test_a_strength_above_2_is_refused_before_the_web_ui_skips_the_unit(tmp_path: Path) -> None:
    book = write_book(tmp_path, _lines(strength=3))
    with FakeA1111() as fake:
        message = _failure(book, fake.env)
        drawn = fake.generations
    assert "above 2" in message and drawn == []


def test_a_picture_drawn_without_the_unit_is_refused_not_kept(tmp_path: Path) -> None:
    painter = _painter("controlnet_models: {canny: control_mistyped}")
    book = write_book(tmp_path, _lines(), painter)
    with FakeA1111(controlnet_routes=False) as fake:  # nothing to check the name against
        message = _failure(book, fake.env)
        logged = fake.script_errors
    assert "WITHOUT ControlNet" in message and "control_mistyped" in message
    assert "model(control_mistyped) not found" in logged[0]  # the web UI's console
    assert not (book / "book.lock").exists() or STEP not in (book / "book.lock").read_text()


def test_forge_gets_its_own_module_names_and_picks_the_model_itself(tmp_path: Path) -> None:
    book = write_book(tmp_path, _lines(), _painter("controlnet_preprocess: false"))
    with FakeA1111(forge=True) as fake:
        build(book, fake.env)
        errors = fake.script_errors
    _, metadata = result(book, STEP)
    assert errors == []
    assert metadata["controlnet_module"] == "None"  # Forge's name for `none`
    assert metadata["controlnet_model"].startswith("control_v11p_sd15_canny")


def test_forge_normal_bae_is_sent_as_normalbae(tmp_path: Path) -> None:
    painter = _painter("controlnet_models: {normal: control_v11p_sd15_canny}")
    book = write_book(tmp_path, _lines(kind="normal"), painter)
    with FakeA1111(forge=True) as fake:
        build(book, fake.env)
        sent = [g.body["alwayson_scripts"]["controlnet"]["args"][0] for g in fake.generations]
    assert sent[0]["module"] == "normalbae"
