"""Issue 8, item 10: reasoning models (o-series, gpt-5) refuse temperature/top_p other than 1:
validate says so, the request omits them, and their timeout fits their latency."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.providers.base import ChatRequest
from bookbuild.providers.openai import OpenAIChatProvider
from bookbuild.providers.openai.options import OpenAIOptions
from bookbuild.providers.openai.provider import REASONING_TIMEOUT
from tests.fakes.openai_server import FakeOpenAI
from tests.helpers.spec_books import issues_of, write_book

REQUEST = ChatRequest("one/text", "write", [{"role": "user", "content": "Write."}], "en")


def test_validate_names_temperature_on_a_reasoning_model(tmp_path: Path) -> None:
    spec = write_book(
        tmp_path,
        """\
title: T
language: en
models:
  writer: {provider: openai, model: gpt-5-mini, temperature: 0.8}
defaults: {text: writer}
chapters:
  - {id: one, title: One, write: "A fox."}
""",
    )
    (issue,) = issues_of(spec)
    assert issue.line == 4
    assert "`temperature: 0.8`" in issue.message and "gpt-5-mini" in issue.message


@pytest.mark.parametrize("model", ["o3-mini", "gpt-5", "o4-mini"])
def test_the_request_to_a_reasoning_model_has_no_sampling_settings(model: str) -> None:
    preset = OpenAIOptions(provider="openai", model=model, temperature=0.8, top_p=0.9)
    provider = OpenAIChatProvider(preset, {"OPENAI_API_KEY": "sk-test"})
    params = provider.chat_params(REQUEST)
    assert "temperature" not in params and "top_p" not in params
    assert provider.timeout() == REASONING_TIMEOUT


def test_other_models_keep_them() -> None:
    preset = OpenAIOptions(provider="openai", model="gpt-4o-mini", temperature=0.8)
    provider = OpenAIChatProvider(preset, {"OPENAI_API_KEY": "sk-test"})
    assert provider.chat_params(REQUEST)["temperature"] == 0.8
    assert provider.timeout() < REASONING_TIMEOUT


def test_a_proxy_to_a_reasoning_model_gets_the_setting_dropped_once() -> None:
    with FakeOpenAI() as fake:
        preset = OpenAIOptions(
            provider="openai", model="o3-mini", temperature=0.7, base_url=fake.base_url
        )
        provider = OpenAIChatProvider(preset, {"OPENAI_API_KEY": "sk-test"})
        provider.complete(REQUEST)
        first, second = fake.requests
    assert first.body["temperature"] == 0.7 and "temperature" not in second.body
