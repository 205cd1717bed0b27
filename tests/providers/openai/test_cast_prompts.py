"""The cast and the chat model: the describer gets each character by placeholder and name
(never its looks) and a schema asking which characters appear; its JSON answer is read and
checked against the cast; the writer gets names and traits. Over real HTTP to FakeOpenAI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.errors import BuildFailed, ProviderError
from bookbuild.graph import prompts
from bookbuild.project import Project
from tests.fakes.openai_server import FakeOpenAI, reply
from tests.helpers.cast_books import CAST_BOOK, write_cast_book

KEY = "sk-test-CAST-77"
HARE = "a slender white hare with long ears and a red knitted scarf"
OPENAI_BOOK = CAST_BOOK.replace(
    "writer: {provider: offline}", "writer: {provider: openai, model: gpt-4o-mini}"
)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def build(book: Path, fake: FakeOpenAI) -> list[str]:
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url}
    return sorted(make(Project.open(book, env=env), MakeOptions(formats=("html",))).called)


def describe_bodies(fake: FakeOpenAI) -> list[dict[str, object]]:
    return [b for b in fake.bodies if "response_format" in b]


def test_describer_gets_placeholders_and_names_but_not_the_looks(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    book = write_cast_book(tmp_path / "book", OPENAI_BOOK)
    build(book, fake)
    bodies = describe_bodies(fake)
    assert len(bodies) == 2
    for body in bodies:
        text = json.dumps(body, ensure_ascii=False)
        assert HARE not in text and "mossy shell" not in text
        schema = body["response_format"]["json_schema"]["schema"]  # type: ignore[index]
        assert schema["required"] == ["prompt", "negative_prompt", "characters"]
    user = bodies[0]["messages"][1]["content"]  # type: ignore[index]
    assert "- {hare}: Hazel\n- {tortoise}: Tom" in user
    system = bodies[0]["messages"][0]["content"]  # type: ignore[index]
    assert "ONLY as its placeholder" in system


def test_the_answer_says_who_appears_and_the_picture_gets_their_descriptions(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    book = write_cast_book(tmp_path / "book", OPENAI_BOOK)
    build(book, fake)
    project = Project.open(book)
    lock = project.load_lock()
    described = json.loads(project.store.get(lock.entries["start/line/prompt"].digest))
    assert described["characters"] == ["hare", "tortoise"]
    record = project.store.lookup(lock.entries["start/line/image"].key)
    assert record is not None and HARE in str(record.metadata["prompt"])
    assert record.manifest["characters"].keys() == {"hare", "tortoise"}


def test_the_writer_knows_names_and_traits_but_not_looks(tmp_path: Path, fake: FakeOpenAI) -> None:
    book = write_cast_book(tmp_path / "book", OPENAI_BOOK)
    build(book, fake)
    writes = [b for b in fake.bodies if "Write the chapter" in json.dumps(b, ensure_ascii=False)]
    assert len(writes) == 1
    user = writes[0]["messages"][1]["content"]  # type: ignore[index]
    assert "- Hazel: boastful, quick, kind at heart\n- Tom" in user
    assert "red knitted scarf" not in user


def test_a_character_outside_the_cast_fails_the_step_and_is_not_cached(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    book = write_cast_book(tmp_path / "book", OPENAI_BOOK)
    bad = {"prompt": "{fox} at the line", "negative_prompt": "", "characters": ["fox"]}
    for _ in range(2):
        fake.script(reply(json.dumps(bad)))
    with pytest.raises(BuildFailed) as failed:
        build(book, fake)
    assert "not in the cast: fox" in str(failed.value.failures)
    lock = Project.open(book).load_lock()
    assert "start/line/prompt" not in lock.entries or "nap/passing/prompt" not in lock.entries


def test_a_listed_character_without_its_placeholder_is_put_first() -> None:
    answer = json.dumps({"prompt": "two friends", "negative_prompt": "", "characters": ["hare"]})
    parsed = prompts.parse_cast_prompt(answer, ["hare", "tortoise"])
    assert parsed.prompt == "{hare}, two friends" and parsed.characters == ("hare",)
    answer = json.dumps({"prompt": "{tortoise} naps", "negative_prompt": "", "characters": []})
    assert prompts.parse_cast_prompt(answer, ["tortoise"]).characters == ("tortoise",)
    with pytest.raises(ProviderError, match="not in the cast: wolf"):
        prompts.parse_cast_prompt(answer.replace("tortoise", "wolf"), ["tortoise"])
