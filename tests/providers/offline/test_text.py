"""The offline provider's chat side: deterministic drafts in the book's language."""

from __future__ import annotations

import json
import re

import pytest

from bookbuild.providers.base import ChatRequest, ChatTask
from bookbuild.providers.offline.provider import OfflineProvider
from bookbuild.providers.offline.text import length_target, split_sentences
from bookbuild.providers.offline.words import has_batchim, korean_nouns, particle
from bookbuild.providers.registry import make_preset, provider_class

HANGUL = re.compile(r"[가-힣]")
KO_BRIEF = "토끼가 거북이를 놀리고 경주를 제안한다. 600자 안팎."
EN_BRIEF = "The rabbit mocks the tortoise and proposes a race."


def _provider() -> OfflineProvider:
    return OfflineProvider(make_preset(provider="offline"), {})


def _ask(
    task: ChatTask,
    *,
    language: str = "en",
    brief: str = "",
    source_text: str = "",
    seed: int | None = None,
) -> str:
    request = ChatRequest(
        step_id="ch/text",
        task=task,
        messages=[{"role": "user", "content": "ignored offline"}],
        language=language,
        brief=brief,
        source_text=source_text,
        seed=seed,
    )
    return _provider().complete(request).text


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n")[1:] if p.strip()]


def test_offline_is_registered_as_an_entry_point() -> None:
    assert provider_class("offline") is OfflineProvider
    assert OfflineProvider.does_chat()
    assert {"txt2img", "inpaint", "outpaint", "upscale"} <= OfflineProvider.image_ops()


def test_korean_write_is_korean_prose_with_the_brief_words() -> None:
    text = _ask("write", language="ko", brief=KO_BRIEF)
    assert HANGUL.search(text)
    assert "토끼" in text and "거북이" in text
    assert text.splitlines()[0].startswith("*(") and "초안" in text.splitlines()[0]
    for paragraph in _paragraphs(text):
        for sentence in split_sentences(paragraph):
            assert sentence.endswith("다."), sentence


def test_korean_write_follows_a_character_count() -> None:
    body = "\n\n".join(_paragraphs(_ask("write", language="ko", brief=KO_BRIEF)))
    assert 480 <= len(body) <= 760
    short = "\n\n".join(_paragraphs(_ask("write", language="ko", brief="토끼의 낮잠. 200자")))
    assert len(short) < len(body)


def test_english_write_has_no_hangul_and_uses_the_brief() -> None:
    text = _ask("write", language="en", brief=EN_BRIEF)
    assert not HANGUL.search(text)
    assert "rabbit" in text and "tortoise" in text
    assert text.startswith("*(Draft")
    assert len(_paragraphs(text)) == 4  # the default length


def test_english_write_follows_word_and_paragraph_counts() -> None:
    words = _ask("write", brief=EN_BRIEF + " About 300 words.")
    assert 260 <= len(" ".join(_paragraphs(words)).split()) <= 360
    assert len(_paragraphs(_ask("write", brief=EN_BRIEF + " 2 paragraphs."))) == 2


def test_other_languages_fall_back_to_english() -> None:
    text = _ask("write", language="ja", brief="うさぎとかめ")
    assert text.startswith("*(Draft") and not HANGUL.search(text)


def test_write_is_deterministic_and_seed_dependent() -> None:
    first = _ask("write", language="ko", brief=KO_BRIEF, seed=1)
    assert first == _ask("write", language="ko", brief=KO_BRIEF, seed=1)
    assert first != _ask("write", language="ko", brief=KO_BRIEF, seed=2)


def test_metadata_names_the_offline_model() -> None:
    request = ChatRequest("s", "write", [], "en", brief=EN_BRIEF)
    metadata = _provider().complete(request).metadata
    assert metadata["provider"] == "offline" and metadata["model"] == "offline-draft"
    assert isinstance(metadata["tokens"], int) and metadata["tokens"] > 0


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ko", "토끼가 숲에서 거북이를 놀렸다. 달빛 아래 경주가 시작되었다."),
        ("en", "Alice met the Cheshire Cat in the garden of the Queen."),
        ("ja", "うさぎとかめ 🐢 Ünïcödé"),
        ("ko", ""),
    ],
)
def test_describe_returns_json_with_an_ascii_prompt(language: str, text: str) -> None:
    reply = _ask("describe", language=language, brief="soft watercolor, 동화", source_text=text)
    data = json.loads(reply)
    assert set(data) == {"prompt", "negative_prompt"}
    assert data["prompt"].strip() and data["prompt"].isascii()
    assert "soft watercolor" in data["prompt"]
    assert data["negative_prompt"]


def test_describe_translates_common_korean_nouns() -> None:
    reply = _ask("describe", language="ko", source_text="토끼가 숲에서 거북이를 놀렸다.")
    prompt = json.loads(reply)["prompt"]
    assert "rabbit" in prompt and "forest" in prompt and "tortoise" in prompt


def test_summarize_keeps_the_first_sentences_in_the_text_language() -> None:
    source = "# 제목\n\n토끼가 달렸다. 거북이는 걸었다. 해가 졌다. 밤이 왔다."
    summary = _ask("summarize", language="ko", source_text=source)
    assert summary == "토끼가 달렸다. 거북이는 걸었다. 해가 졌다."


def test_summarize_is_at_most_400_characters() -> None:
    long_sentence = "word " * 300 + "end."
    summary = _ask("summarize", source_text=long_sentence)
    assert 0 < len(summary) <= 400
    drafted = _ask("write", brief=EN_BRIEF)
    summary = _ask("summarize", source_text=drafted)
    assert "Draft" not in summary and 0 < len(summary) <= 400


def test_length_hints_are_read_and_removed() -> None:
    target, rest = length_target(KO_BRIEF, korean=True)
    assert (target.unit, target.amount) == ("chars", 600)
    assert "600" not in rest and "안팎" not in rest
    target, _ = length_target("A short scene, 300 words", korean=False)
    assert (target.unit, target.amount) == ("words", 300)
    target, _ = length_target("no hint here", korean=False)
    assert (target.unit, target.amount) == ("paragraphs", 4)


def test_korean_particles_agree_with_the_last_syllable() -> None:
    assert particle("토끼", "이", "가") == "토끼가"
    assert particle("거북이", "을", "를") == "거북이를"
    assert particle("곰", "이", "가") == "곰이"
    assert has_batchim("Tom") and not has_batchim("Alice")
    assert korean_nouns("토끼가 거북이를 놀리고 경주를 제안한다.") == ["토끼", "거북이", "경주"]
