"""Which endpoint and fields each op and preset choose (no network)."""

from __future__ import annotations

import pytest

from bookbuild.errors import ConfigError
from bookbuild.providers.stability.calls import (
    control_call,
    control_of,
    crop_share,
    generate_call,
    nearest_ratio,
)
from tests.fakes.sdapi_drawing import png


@pytest.mark.parametrize(
    ("kind", "chosen", "endpoint"),
    [
        ("canny", None, "sketch"),
        ("scribble", None, "sketch"),
        ("depth", None, "structure"),
        ("openpose", None, "structure"),
        ("style", None, "style"),
        ("canny", "structure", "structure"),
    ],
)
def test_controlnet_types_map_to_control_endpoints(
    kind: str, chosen: str | None, endpoint: str
) -> None:
    assert control_of(kind, chosen) == endpoint


def test_an_unknown_controlnet_type_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known: canny"):
        control_of("tile", None)


def test_style_control_sends_fidelity_and_an_aspect_ratio() -> None:
    call = control_call("style", png(), {"prompt": "a fox", "grow_mask": "0"}, 2.5, "3:2")
    assert call.path.endswith("/control/style")
    assert call.fields == {"prompt": "a fox", "fidelity": "1", "aspect_ratio": "3:2"}
    sketch = control_call("sketch", png(), {"prompt": "a fox"}, 0.4, "3:2")
    assert sketch.fields == {"prompt": "a fox", "control_strength": "0.4"}


def test_sizes_go_to_the_nearest_ratio() -> None:
    assert nearest_ratio(768, 768) == "1:1"
    assert nearest_ratio(1920, 1080) == "16:9"
    assert nearest_ratio(600, 900) == "2:3"
    assert crop_share(1024, 1024) == 0


def test_core_cannot_start_from_a_picture_but_sd3_can() -> None:
    with pytest.raises(ConfigError, match="ultra"):
        generate_call("core", {"prompt": "a"}, png(), 0.5)
    call = generate_call("sd3.5-medium", {"prompt": "a", "aspect_ratio": "1:1"}, png(), 0.4)
    assert call.path.endswith("/generate/sd3")
    assert call.fields == {
        "prompt": "a",
        "model": "sd3.5-medium",
        "strength": "0.4",
        "mode": "image-to-image",
    }
