"""The offline writer's draft alt text (`style.alt: describe` in --draft builds): one sentence in
the book's language naming what the text shows, the characters first, with Korean particles
that agree with each word; modifiers and sentence-initial words are not taken for subjects."""

from __future__ import annotations

import json

from bookbuild.providers.offline.text import describe_json, draft_alt


def test_a_korean_alt_lists_the_subjects_with_agreeing_particles() -> None:
    text = "토끼와 거북이가 숲에서 만났습니다."
    assert draft_alt(text, "ko") == "토끼, 거북이와 숲이 있는 장면을 그린 그림입니다."
    assert draft_alt("자만한 토끼가 달립니다.", "ko") == "토끼가 있는 장면을 그린 그림입니다."
    assert (
        draft_alt("거북이가 걷습니다.", "ko", ["토끼"])
        == "토끼와 거북이가 있는 장면을 그린 그림입니다."
    )
    assert draft_alt("", "ko") == "이 장의 한 장면을 그린 그림입니다."


def test_an_english_alt_names_the_cast_and_the_things_after_a_determiner() -> None:
    text = "Something moved. The fox watched the lighthouse while Mara slept."
    assert draft_alt(text, "en", ["Fox"]) == "A scene with Fox, Mara and the lighthouse."
    assert draft_alt("", "en") == "A scene from the chapter."


def test_describe_json_carries_the_alt_only_when_asked() -> None:
    text = "토끼가 거북이를 놀렸습니다."
    cast = [("hare", "토끼"), ("tortoise", "거북이")]
    plain = json.loads(describe_json("watercolour", text, 1, cast))
    assert "alt" not in plain
    asked = json.loads(describe_json("watercolour", text, 1, cast, "ko"))
    assert asked["alt"] == "토끼와 거북이가 있는 장면을 그린 그림입니다."
    assert {k: v for k, v in asked.items() if k != "alt"} == plain
