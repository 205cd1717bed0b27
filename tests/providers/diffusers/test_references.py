"""Issue 17: character references in the `diffusers` provider go through diffusers' own
IP-Adapter support (`load_ip_adapter` once per character, `set_ip_adapter_scale`, the call's
`ip_adapter_image`), proved on a tiny random IP-Adapter built locally; character LoRAs through
`load_lora_weights`. Every picture runs diffusers' real code path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bookbuild.errors import ConfigError
from bookbuild.providers.base import CastNeeds, CharacterRef, ImageRequest
from bookbuild.providers.diffusers.provider import DiffusersProvider
from bookbuild.providers.references import digest
from bookbuild.providers.registry import make_preset
from bookbuild.spec.presets import Lora
from tests.helpers.cast import BLUE, HARE, RED, TORTOISE, cast_request, picture, solid
from tests.helpers.tiny_diffusers import IMAGE_SIZE, IP_ADAPTER_WEIGHTS

pytest.importorskip("diffusers")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def provider(model: Path, adapter: Path | None, **fields: Any) -> DiffusersProvider:
    if adapter is not None:
        fields["ip_adapter"] = {
            "model": str(adapter),
            "subfolder": "",
            "weight_name": IP_ADAPTER_WEIGHTS,
        }
    preset = make_preset(provider="diffusers", model=str(model), steps=2, device="cpu", **fields)
    made = DiffusersProvider(preset, {"HF_HUB_OFFLINE": "1"})  # type: ignore[arg-type]
    made.check_ready()
    return made


def draw(made: DiffusersProvider, *characters: CharacterRef, **fields: Any) -> Any:
    fields.setdefault("width", IMAGE_SIZE)
    fields.setdefault("height", IMAGE_SIZE)
    fields.setdefault("seed", 3)
    return made.run_image(cast_request(*characters, **fields))


def pixels(result: Any) -> np.ndarray:
    return np.asarray(picture(result.png), dtype=np.float32)


@pytest.mark.usefixtures("offline")
def test_each_characters_reference_steers_its_own_adapter(
    tiny_model: Path, tiny_ip_adapter: Path
) -> None:
    made = provider(tiny_model, tiny_ip_adapter)
    both = draw(made, HARE, TORTOISE)
    swapped_pictures = (
        CharacterRef("hare", "Hare", "a white hare", images=(BLUE,), weight=0.7),
        CharacterRef("tortoise", "Tortoise", "an old tortoise", images=(RED,), weight=0.5),
    )
    swapped = draw(made, *swapped_pictures)
    again = draw(made, HARE, TORTOISE)
    assert np.abs(pixels(both) - pixels(again)).max() == 0  # same references, same pixels
    assert np.abs(pixels(both) - pixels(swapped)).mean() > 0.1  # each picture reached its adapter
    assert both.metadata["references"] == [
        {"character": "hare", "via": "ip_adapter_image[0]", "images": [digest(RED)], "weight": 0.7},
        {
            "character": "tortoise",
            "via": "ip_adapter_image[1]",
            "images": [digest(BLUE)],
            "weight": 0.5,
        },
    ]
    made.close()


@pytest.mark.usefixtures("offline")
def test_adapters_are_unloaded_for_a_picture_without_references(
    tiny_model: Path, tiny_ip_adapter: Path
) -> None:
    plain_first = draw(provider(tiny_model, None))
    made = provider(tiny_model, tiny_ip_adapter)
    with_hare = draw(made, HARE)
    plain_after = draw(made)
    assert np.abs(pixels(plain_first) - pixels(plain_after)).max() == 0
    assert np.abs(pixels(plain_first) - pixels(with_hare)).mean() > 0.1
    assert "references" not in plain_after.metadata
    made.close()


@pytest.mark.usefixtures("offline")
def test_img2img_takes_the_references_too(tiny_model: Path, tiny_ip_adapter: Path) -> None:
    made = provider(tiny_model, tiny_ip_adapter)
    source = solid((120, 120, 120), (IMAGE_SIZE, IMAGE_SIZE))
    red = draw(made, HARE, op="img2img", image=source, strength=0.8)
    blue_hare = CharacterRef("hare", "Hare", "a white hare", images=(BLUE,), weight=0.7)
    blue = draw(made, blue_hare, op="img2img", image=source, strength=0.8)
    assert np.abs(pixels(red) - pixels(blue)).mean() > 0.1
    made.close()


def test_references_without_an_ip_adapter_are_refused(tiny_model: Path) -> None:
    made = provider(tiny_model, None)
    with pytest.raises(ConfigError, match="`ip_adapter:`"):
        made.run_image(ImageRequest("a/b/image", "txt2img", prompt="x", characters=(HARE,)))
    needs = CastNeeds(characters=("hare",), references=("hare",))
    problems = DiffusersProvider.cast_problems(made.preset, "txt2img", needs)
    assert [severity for severity, _ in problems] == ["error"]


@pytest.mark.usefixtures("offline")
def test_a_characters_lora_is_active_only_in_its_pictures(
    tiny_model: Path, tiny_lora: Path
) -> None:
    made = provider(tiny_model, None)
    plain = draw(made)
    hare = CharacterRef(
        "hare", "Hare", "a white hare", lora=Lora(model=str(tiny_lora), strength=1.0)
    )
    with_lora = draw(made, hare)
    plain_again = draw(made)
    assert np.abs(pixels(plain) - pixels(with_lora)).mean() > 0.1
    assert np.abs(pixels(plain) - pixels(plain_again)).max() == 0
    assert with_lora.metadata["character_loras"] == {"hare": str(tiny_lora)}
    made.close()


@pytest.mark.usefixtures("offline")
def test_the_two_character_book_sends_each_picture_its_characters_references(
    tmp_path: Path, tiny_model: Path, tiny_ip_adapter: Path
) -> None:
    from bookbuild.build.make import MakeOptions, make
    from bookbuild.project import Project
    from bookbuild.reports.inspect_plan import plan_report
    from tests.helpers.cast_books import CAST_BOOK, write_cast_book
    from tests.providers.test_cast_books import (
        IMAGE_STEPS,
        OFFLINE_PAINTER,
        expected_digests,
        stored,
    )

    adapter = f'{{model: "{tiny_ip_adapter}", subfolder: "", weight_name: {IP_ADAPTER_WEIGHTS}}}'
    painter = (
        f'painter: {{provider: diffusers, model: "{tiny_model}", width: {IMAGE_SIZE}, '
        f"height: {IMAGE_SIZE}, steps: 2, device: cpu, ip_adapter: {adapter}}}"
    )
    book = write_cast_book(tmp_path / "book", CAST_BOOK.replace(OFFLINE_PAINTER, painter))
    env = {"HF_HUB_OFFLINE": "1"}
    make(Project.open(book, env=env), MakeOptions(formats=("html",), jobs=1))
    project = Project.open(book, env=env)
    digests = expected_digests(book, project)
    statuses = plan_report(project).statuses
    for step in IMAGE_STEPS:
        shown = [c.id for c in statuses[step].step.cast if step != f"cast/{c.id}/image"]
        _, meta = stored(project, step)
        sent = meta.get("references", [])
        assert [r["character"] for r in sent] == shown, step
        assert all(r["images"] == [digests[r["character"]]] for r in sent), step
