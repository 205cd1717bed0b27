"""`{id}` placeholders: found in order, expanded to the description verbatim, the missing
ones put first, the art style last; and nothing changes for a prompt without a cast."""

from __future__ import annotations

from bookbuild.graph.cast import expand, placeholders, shown_in
from bookbuild.graph.steps import ArtInput, CastInput

HARE = CastInput("hare", "Hazel", "a white hare, red scarf")
TORTOISE = CastInput("tortoise", "Tom", "an old green tortoise")
ART = ArtInput("soft watercolour")


def test_placeholders_are_found_once_in_order() -> None:
    assert placeholders("{tortoise} naps while {hare} runs past {tortoise}") == [
        "tortoise",
        "hare",
    ]
    assert placeholders('no {Capital} or { spaced } ids, json {"a": 1}') == []


def test_each_placeholder_becomes_the_description_verbatim() -> None:
    text = expand("{hare} laughs at {tortoise}", (HARE, TORTOISE), None)
    assert text == "a white hare, red scarf laughs at an old green tortoise"


def test_a_character_shown_without_its_placeholder_is_put_first() -> None:
    assert expand("a race at dawn", (TORTOISE,), None) == "an old green tortoise, a race at dawn"


def test_the_art_style_goes_last_once() -> None:
    assert expand("{hare} runs", (HARE,), ART) == "a white hare, red scarf runs, soft watercolour"
    assert expand("a soft watercolour sky", (), ART) == "a soft watercolour sky"


def test_without_cast_or_style_the_prompt_is_unchanged() -> None:
    assert expand("a fox {unknown}, braces kept", (), None) == "a fox {unknown}, braces kept"
    assert expand("{hare} and {wolf}", (HARE,), None) == "a white hare, red scarf and {wolf}"


def test_the_cast_of_a_described_prompt_is_read_from_its_json() -> None:
    assert shown_in(b'{"prompt": "x", "characters": ["hare"]}') == ["hare"]
    assert shown_in(b'{"prompt": "x"}') == [] and shown_in(b"not json") == []
