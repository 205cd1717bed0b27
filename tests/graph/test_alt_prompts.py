"""The describer's alt text request and answer: the request word for word as before without
`style.alt: describe`; with it, the JSON shape and schema gain `alt`; the answer is read as one
line of plain text, never longer than ALT_CHARS."""

from __future__ import annotations

import json

from bookbuild.graph import prompts


def test_without_alt_the_describer_gets_the_messages_and_schema_of_before() -> None:
    for cast in ((), (("hare", "토끼"),)):
        plain = prompts.describe_messages("T", "text", "watercolour", cast)
        assert plain == prompts.describe_messages("T", "text", "watercolour", cast, None)
        assert '"alt"' not in json.dumps(plain)
    assert prompts.describe_schema(False, False) is prompts.DESCRIBE_SCHEMA
    assert prompts.describe_schema(True, False) is prompts.CAST_DESCRIBE_SCHEMA


def test_with_alt_the_shape_schema_and_language_ask_for_it() -> None:
    cast = (("hare", "토끼"),)
    system = prompts.describe_messages("T", "text", "watercolour", cast, "ko")[0]["content"]
    assert '"characters": ["id", ...], "alt": "..."}' in system
    assert "in Korean (한국어)" in system and "never by placeholder" in system
    schema = prompts.describe_schema(True, True)["schema"]
    assert schema["required"] == ["prompt", "negative_prompt", "characters", "alt"]
    assert prompts.CAST_DESCRIBE_SCHEMA["schema"]["required"][-1] == "characters"  # not changed


def test_the_alt_answer_is_one_line_of_text_at_most_alt_chars() -> None:
    reply = json.dumps({"prompt": "p", "alt": '  "토끼가\n\n  달립니다."  '}, ensure_ascii=False)
    assert prompts.parse_alt(reply) == "토끼가 달립니다."
    long = json.dumps({"prompt": "p", "alt": "word " * 200})
    cut = prompts.parse_alt(long)
    assert len(cut) <= prompts.ALT_CHARS and cut.endswith("word…")
    assert prompts.parse_alt(json.dumps({"prompt": "p", "alt": ["not", "text"]})) == ""
    assert prompts.parse_alt(json.dumps({"prompt": "p"})) == ""


def test_the_stored_alt_is_read_back_from_the_describe_output() -> None:
    stored = prompts.ImagePrompt("p", "n", alt="거북이").to_json(with_cast=False, with_alt=True)
    assert prompts.stored_alt(stored.encode()) == "거북이"
    assert prompts.stored_alt(b'{"prompt": "p", "negative_prompt": ""}') == ""
    assert prompts.stored_alt(b"not json") == ""
