"""The openai provider over real HTTP: the `openai` SDK talks to FakeOpenAI on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from bookbuild.errors import ConfigError
from bookbuild.graph import prompts
from bookbuild.providers.base import ChatRequest
from bookbuild.providers.http import RetryPolicy
from bookbuild.providers.openai.provider import OpenAIChatProvider
from bookbuild.providers.pricing import CHAT_PRICES, PRICES_AS_OF
from bookbuild.providers.registry import make_preset, provider_class
from tests.fakes.openai_server import FakeOpenAI, reply, unsupported_max_tokens

KEY = "sk-test-SENTINEL-4c1d9e"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def make(
    fake: FakeOpenAI | None, env: dict[str, str] | None = None, **preset: Any
) -> OpenAIChatProvider:
    fields: dict[str, Any] = {"provider": "openai", "model": "gpt-4o-mini", "timeout": 5, **preset}
    base = {"OPENAI_API_KEY": KEY, **({"OPENAI_BASE_URL": fake.base_url} if fake else {})}
    provider = OpenAIChatProvider(make_preset(**fields), env if env is not None else base)
    provider.retry = RetryPolicy(base_delay=0.01, max_delay=0.05)
    return provider


def write_request(language: str = "en", seed: int | None = None) -> ChatRequest:
    ctx = prompts.ChapterContext("The Race", language, "", "The start", "The rabbit mocks.")
    return ChatRequest("race/text", "write", prompts.write_messages(ctx), language, seed=seed)


def describe_request(seed: int | None = 42) -> ChatRequest:
    messages = prompts.describe_messages("The start", "The rabbit laughed.", "soft watercolor")
    return ChatRequest(
        "race/challenge/prompt",
        "describe",
        messages,
        "en",
        json_schema=prompts.DESCRIBE_SCHEMA,
        seed=seed,
    )


def test_registered_under_its_entry_point() -> None:
    cls = provider_class("openai")
    assert cls is OpenAIChatProvider
    image_ops = {"txt2img", "img2img", "inpaint", "outpaint", "remove_background", "controlnet"}
    assert (cls.name, cls.does_chat(), cls.image_ops(), cls.key_env) == (
        "openai",
        True,
        frozenset(image_ops | {"erase", "replace"}),  # GPT image models
        "OPENAI_API_KEY",
    )


def test_sends_model_sampling_seed_and_preset_system_prompt(fake: FakeOpenAI) -> None:
    provider = make(fake, temperature=0.3, top_p=0.9, max_tokens=500, system="House style.")
    request = write_request(seed=7)
    provider.complete(request)
    [sent] = fake.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    body = sent.body
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": "system", "content": "House style."}, *request.messages]
    assert (body["temperature"], body["top_p"], body["seed"]) == (0.3, 0.9, 7)
    assert body["max_tokens"] == 500 and "max_completion_tokens" not in body
    assert "response_format" not in body


def test_unset_options_are_not_sent(fake: FakeOpenAI) -> None:
    request = write_request()
    make(fake).complete(request)
    body = fake.bodies[0]
    assert set(body) == {"model", "messages"}
    assert body["messages"] == request.messages


def test_newer_models_on_api_openai_com_get_max_completion_tokens() -> None:
    for model in ("gpt-5-mini", "o3", "o4-mini", "gpt-4.1-nano"):
        params = make(None, model=model, max_tokens=900).chat_params(write_request())
        assert params["max_completion_tokens"] == 900 and "max_tokens" not in params, model
    params = make(None, model="gpt-4o", max_tokens=900).chat_params(write_request())
    assert params["max_tokens"] == 900


def test_compatible_servers_get_max_tokens_even_for_newer_model_names(fake: FakeOpenAI) -> None:
    params = make(fake, model="gpt-5-mini", max_tokens=900).chat_params(write_request())
    assert params["max_tokens"] == 900


def test_refused_max_tokens_is_resent_once_as_max_completion_tokens(fake: FakeOpenAI) -> None:
    provider = make(fake, model="gpt-5-mini", max_tokens=900)  # the fake refuses max_tokens
    result = provider.complete(write_request())
    assert result.text
    first, second = fake.bodies
    assert first["max_tokens"] == 900 and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 900 and "max_tokens" not in second
    provider.complete(write_request())  # remembered: no second refusal
    assert len(fake.bodies) == 3 and "max_completion_tokens" in fake.bodies[2]


def test_the_limit_fallback_happens_once(fake: FakeOpenAI) -> None:
    fake.script(unsupported_max_tokens(), unsupported_max_tokens())
    with pytest.raises(Exception, match="Unsupported parameter"):
        make(fake, max_tokens=100).complete(write_request())
    assert len(fake.requests) == 2


def test_describe_asks_for_structured_output(fake: FakeOpenAI) -> None:
    result = make(fake).complete(describe_request())
    body = fake.bodies[0]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": prompts.DESCRIBE_SCHEMA,
    }
    assert body["seed"] == 42
    parsed = prompts.parse_image_prompt(result.text)
    assert "soft watercolor" in parsed.prompt and parsed.negative_prompt
    assert result.metadata["structured_output"] is True


def test_refused_structured_output_is_resent_without_it() -> None:
    with FakeOpenAI(structured_outputs=False) as fake:
        provider = make(fake)
        result = provider.complete(describe_request())
        assert [("response_format" in b) for b in fake.bodies] == [True, False]
        assert prompts.parse_image_prompt(result.text).prompt
        assert result.metadata["structured_output"] is False
        provider.complete(describe_request())  # remembered: asks for JSON in the prompt only
        assert len(fake.bodies) == 3 and "response_format" not in fake.bodies[2]


def test_metadata_records_snapshot_fingerprint_usage_and_cost(fake: FakeOpenAI) -> None:
    result = make(fake).complete(write_request(seed=3))
    meta = result.metadata
    assert meta["provider"] == "openai"
    assert meta["model"] == "gpt-4o-mini-2024-07-18"
    assert meta["requested_model"] == "gpt-4o-mini"
    assert meta["system_fingerprint"] == "fp_fake0001"
    assert meta["seed"] == 3 and meta["finish_reason"] == "stop"
    assert meta["request_id"] == "req_fake0001" and meta["response_id"] == "chatcmpl-fake1"
    usage = meta["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    price = CHAT_PRICES["gpt-4o-mini"]
    expected = (usage["prompt_tokens"] * 0.15 + usage["completion_tokens"] * 0.60) / 1e6
    assert (price.input_per_mtok, price.output_per_mtok) == (0.15, 0.60)
    assert meta["cost"] == pytest.approx(expected)
    assert meta["price_known"] is True and meta["prices_as_of"] == PRICES_AS_OF


def test_preset_price_overrides_the_table(fake: FakeOpenAI) -> None:
    provider = make(fake, price={"input_per_mtok": 1000.0, "output_per_mtok": 2000.0})
    meta = provider.complete(write_request()).metadata
    usage = meta["usage"]
    expected = (usage["prompt_tokens"] * 1000 + usage["completion_tokens"] * 2000) / 1e6
    assert meta["cost"] == pytest.approx(expected)


def test_unknown_models_cost_nothing_and_say_so(fake: FakeOpenAI) -> None:
    meta = make(fake, model="llama3.1:8b").complete(write_request()).metadata
    assert meta["cost"] == 0.0 and meta["price_known"] is False


def test_estimate_cost_uses_typical_tokens_per_task() -> None:
    provider = make(None, model="gpt-4o-mini")
    assert provider.estimate_cost("chat", "write") == pytest.approx(
        (1500 * 0.15 + 1200 * 0.6) / 1e6
    )
    assert provider.estimate_cost("chat", "describe") == pytest.approx(
        (1500 * 0.15 + 150 * 0.6) / 1e6
    )
    assert provider.estimate_cost("image", "txt2img") == 0.0
    assert make(None, model="my-local-model").estimate_cost("chat", "write") == 0.0
    priced = make(None, model="my-local-model", price={"input_per_mtok": 1, "output_per_mtok": 2})
    assert priced.estimate_cost("chat", "summarize") == pytest.approx((1500 + 300) / 1e6)


def test_missing_key_names_the_variable_and_api_key_env() -> None:
    with pytest.raises(ConfigError) as caught:
        make(None, env={}).check_ready()
    assert (
        "set OPENAI_API_KEY (get a key at https://platform.openai.com/api-keys), or name "
        "another variable with `api_key_env`" in str(caught.value)
    )
    with pytest.raises(ConfigError, match=r"set BOOK_KEY .*, or name another variable"):
        make(None, env={"OPENAI_API_KEY": KEY}, api_key_env="BOOK_KEY").check_ready()
    make(None, env={"BOOK_KEY": KEY}, api_key_env="BOOK_KEY").check_ready()


def test_missing_key_fails_before_any_request(fake: FakeOpenAI) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make(fake, env={"OPENAI_BASE_URL": fake.base_url}).complete(write_request())
    assert fake.requests == []


def test_a_preset_needs_a_model_and_known_price_keys() -> None:
    with pytest.raises(ConfigError, match="`model`"):
        make(None, model=None).check_ready()
    with pytest.raises(ConfigError, match="per_image"):
        make(None, price={"per_image": 0.04}).check_ready()


def test_openai_base_url_points_at_a_compatible_server(fake: FakeOpenAI) -> None:
    env = {"OPENAI_API_KEY": "ollama", "OPENAI_BASE_URL": fake.base_url}
    result = make(None, env=env, model="llama3.1:8b").complete(write_request())
    assert result.text and len(fake.requests) == 1
    assert fake.requests[0].body["model"] == "llama3.1:8b"


def test_preset_base_url_wins_over_the_environment(fake: FakeOpenAI) -> None:
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    make(None, env=env, base_url=fake.base_url).complete(write_request())
    assert len(fake.requests) == 1


def test_replies_follow_the_language_of_the_system_prompt(fake: FakeOpenAI) -> None:
    text = make(fake).complete(write_request(language="ko")).text
    assert "토끼" in text and "\n\n" in text
    summary_messages = prompts.summarize_messages("ko", "경주의 시작", text)
    request = ChatRequest("race/summary", "summarize", summary_messages, "ko", source_text=text)
    summary = make(fake).complete(request).text
    assert "경주의 시작" in summary and len(summary) < len(text) * 2


def test_scripted_reply_is_returned_trimmed(fake: FakeOpenAI) -> None:
    fake.script(reply("  Once upon a time.\n"))
    assert make(fake).complete(write_request()).text == "Once upon a time."


def test_importing_and_planning_do_not_import_the_sdk() -> None:
    code = (
        "import sys\n"
        "from bookbuild.providers.openai.provider import OpenAIChatProvider\n"
        "from bookbuild.providers.registry import make_preset\n"
        "preset = make_preset(provider='openai', model='gpt-4o')\n"
        "p = OpenAIChatProvider(preset, {'OPENAI_API_KEY': 'k'})\n"
        "p.check_ready(); p.estimate_cost('chat', 'write')\n"
        "assert 'openai' not in sys.modules, 'openai imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
