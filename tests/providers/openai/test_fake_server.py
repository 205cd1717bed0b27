"""FakeOpenAI itself, checked with the raw `openai` SDK: the shapes others' tests rely on."""

from __future__ import annotations

import openai
import pytest

from bookbuild.graph import prompts
from tests.fakes.openai_server import FakeOpenAI, fake_openai

__all__ = ["fake_openai"]  # the fixture, imported for the tests below


def client(fake: FakeOpenAI, key: str = "sk-test") -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=fake.base_url, max_retries=0, timeout=5)


def test_completion_has_the_documented_shape(fake_openai: FakeOpenAI) -> None:
    messages = prompts.write_messages(
        prompts.ChapterContext("The Race", "en", "", "The start", "The rabbit mocks.")
    )
    completion = client(fake_openai).chat.completions.create(
        model="gpt-4o-mini",
        messages=messages,
        seed=1,
    )
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4o-mini-2024-07-18"
    assert completion.system_fingerprint == "fp_fake0001"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert "“The start”" in (choice.message.content or "")
    assert completion.usage is not None and completion.usage.total_tokens > 0
    assert fake_openai.requests[0].body["seed"] == 1


def test_default_replies_fit_each_task(fake_openai: FakeOpenAI) -> None:
    sdk = client(fake_openai)

    def ask(messages: list[dict[str, str]]) -> str:
        completion = sdk.chat.completions.create(model="m", messages=messages)
        return completion.choices[0].message.content or ""

    ko = prompts.ChapterContext("토끼와 거북이", "ko", "", "경주의 시작", "경주를 제안한다.")
    chapter = ask(prompts.write_messages(ko))
    assert "경주의 시작" in chapter and chapter.count("\n\n") >= 2
    summary = ask(prompts.summarize_messages("ko", "경주의 시작", chapter))
    assert "토끼" in summary and "\n" not in summary
    described = ask(prompts.describe_messages("경주의 시작", chapter, "soft watercolor"))
    assert prompts.parse_image_prompt(described).prompt.endswith("soft watercolor")


def test_a_fake_with_a_key_refuses_other_keys() -> None:
    with FakeOpenAI(api_key="sk-right-0000") as fake:
        with pytest.raises(openai.AuthenticationError) as caught:
            client(fake, key="sk-wrong-1234").chat.completions.create(model="m", messages=[])
        assert caught.value.code == "invalid_api_key"
        assert "sk-wrong-1234" not in str(caught.value) and "1234" in str(caught.value)
        client(fake, key="sk-right-0000").chat.completions.create(model="m", messages=[])


def test_unknown_paths_are_404(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client(fake_openai).embeddings.create(model="m", input="x")
    assert fake_openai.requests[0].path == "/v1/embeddings"
