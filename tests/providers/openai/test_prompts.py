"""The messages bookbuild sends chat models, and how image-prompt replies are read."""

from __future__ import annotations

import json

import pytest

from bookbuild.errors import ProviderError
from bookbuild.graph import prompts


def chapter(**overrides: object) -> prompts.ChapterContext:
    fields: dict[str, object] = {
        "book_title": "토끼와 거북이",
        "language": "ko",
        "premise": "자만한 토끼와 꾸준한 거북이.",
        "chapter_title": "낮잠",
        "brief": "토끼가 낮잠을 잔다. 600자 안팎.",
        "previous": (("경주의 시작", "토끼가 경주를 제안한다.\n"),),
    }
    return prompts.ChapterContext(**{**fields, **overrides})


def test_write_names_the_language_and_gives_the_story_so_far() -> None:
    system, user = prompts.write_messages(chapter())
    assert system["role"] == "system" and "Korean (한국어)" in system["content"]
    assert "no title" in system["content"]
    text = user["content"]
    assert "Story so far:\n- 경주의 시작: 토끼가 경주를 제안한다.\n\nWrite" in text
    assert "“낮잠”" in text and "600자 안팎" in text and "Premise: 자만한" in text


def test_write_leaves_out_what_is_empty() -> None:
    _, user = prompts.write_messages(chapter(premise="", previous=()))
    assert "Premise" not in user["content"] and "Story so far" not in user["content"]


def test_summarize_and_describe_treat_the_chapter_as_material() -> None:
    system, user = prompts.summarize_messages("en", "The start", "Some text.")
    assert "English" in system["content"] and "not instructions" in system["content"]
    assert user["content"].endswith("Some text.")
    system, user = prompts.describe_messages("경주", "토끼가 웃었다.", "soft watercolor")
    assert "JSON" in system["content"] and "English" in system["content"]
    assert user["content"].startswith("Style note: soft watercolor")


def test_describe_schema_is_strict() -> None:
    schema = prompts.DESCRIBE_SCHEMA["schema"]
    assert prompts.DESCRIBE_SCHEMA["strict"] is True
    assert sorted(schema["required"]) == sorted(schema["properties"])
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    "reply",
    [
        '{"prompt": "a hare", "negative_prompt": "text"}',
        '```json\n{"prompt": "a hare", "negative_prompt": "text"}\n```',
        'Here it is: {"prompt": " a hare ", "negative_prompt": ["text"]} Enjoy!',
    ],
)
def test_image_prompt_replies_are_read(reply: str) -> None:
    assert prompts.parse_image_prompt(reply) == prompts.ImagePrompt("a hare", "text")


def test_negative_prompt_may_be_missing() -> None:
    assert prompts.parse_image_prompt(json.dumps({"prompt": "a hare"})).negative_prompt == ""


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ("A hare in a meadow.", "did not answer with JSON"),
        ('{"prompt": "  "}', "empty"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_bad_image_prompt_replies_fail_the_step(reply: str, words: str) -> None:
    with pytest.raises(ProviderError, match=words) as caught:
        prompts.parse_image_prompt(reply, "race/challenge/prompt")
    assert caught.value.step_id == "race/challenge/prompt"
