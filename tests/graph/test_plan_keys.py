"""Step ids and keys: stable across runs, changed by every input that matters and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.graph.plan import plan_book
from bookbuild.graph.steps import step_key
from bookbuild.hashing import digest_of
from bookbuild.project import load_spec
from tests.conftest import copy_sample

SPEC = """\
title: Keys
language: en
models:
  writer: {provider: openai, model: gpt-4o-mini, temperature: 0.5}
  painter: {provider: sdapi, model: sdxl, width: 512, height: 512, concurrency: 2,
            timeout: 30, base_url: "https://proxy.example", api_key_env: MY_KEY}
defaults: {text: writer, prompt: writer, image: painter}
chapters:
  - id: one
    title: One
    text: "Hello."
    illustrations:
      - id: pic
        prompt: "a fox"
        seed: 1
        edits:
          - inpaint: {mask: masks/m.png, prompt: "a hat"}
  - id: two
    title: Two
    write: "Go on."
"""


def keys(folder: Path, draft: bool = False) -> dict[str, str]:
    """Every step's key, with each upstream output standing in as a digest of its step id."""
    graph = plan_book(load_spec(folder), draft=draft)
    outputs = {sid: digest_of(sid.encode()) for sid in graph.steps}
    return {sid: step_key(step, outputs) for sid, step in graph.steps.items()}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    (tmp_path / "masks").mkdir()
    (tmp_path / "masks" / "m.png").write_bytes(_png(255))
    (tmp_path / "book.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def _png(value: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    image = Image.new("L", (8, 8), 0)
    image.paste(value, (0, 0, 4, 8))  # a region, not the whole picture (that is refused)
    image.save(out, format="PNG")
    return out.getvalue()


def edit(folder: Path, old: str, new: str) -> None:
    spec = folder / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    assert old in text
    spec.write_text(text.replace(old, new), encoding="utf-8")


def test_step_ids_are_stable_paths(book: Path) -> None:
    graph = plan_book(load_spec(book))
    assert list(graph.steps) == [
        "one/text",
        "one/summary",
        "one/pic/image",
        "one/pic/edit-1",
        "two/text",
    ]


def test_keys_are_stable_across_runs(book: Path) -> None:
    assert keys(book) == keys(book)


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        ('prompt: "a fox"', 'prompt: "a wolf"', "one/pic/image"),
        ("seed: 1", "seed: 2", "one/pic/image"),
        ("seed: 1", "seed: 1\n        take: 2", "one/pic/image"),
        ("width: 512", "width: 640", "one/pic/image"),
        ("model: sdxl", "model: sd15", "one/pic/image"),
        ("temperature: 0.5", "temperature: 0.9", "one/summary"),
        ("model: gpt-4o-mini", "model: gpt-4o", "one/summary"),
        ('text: "Hello."', 'text: "Hello there."', "one/text"),
    ],
)
def test_each_input_that_matters_changes_the_key(
    book: Path, old: str, new: str, changed: str
) -> None:
    before = keys(book)
    edit(book, old, new)
    after = keys(book)
    assert before[changed] != after[changed]


def test_mask_file_content_changes_the_edit_key(book: Path) -> None:
    graph = plan_book(load_spec(book))
    step = graph.steps["one/pic/edit-1"]
    before = step_key(step, {"one/pic/image": "sha256:" + "0" * 64})
    (book / "masks" / "m.png").write_bytes(_png(128))
    step2 = plan_book(load_spec(book)).steps["one/pic/edit-1"]
    assert step_key(step2, {"one/pic/image": "sha256:" + "0" * 64}) != before


def test_upstream_output_changes_the_downstream_key(book: Path) -> None:
    step = plan_book(load_spec(book)).steps["one/pic/edit-1"]
    a = step_key(step, {"one/pic/image": "sha256:" + "0" * 64})
    b = step_key(step, {"one/pic/image": "sha256:" + "1" * 64})
    assert a != b


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("concurrency: 2", "concurrency: 8"),
        ("timeout: 30", "timeout: 90"),
        ('base_url: "https://proxy.example"', 'base_url: "https://other.example"'),
        ("api_key_env: MY_KEY", "api_key_env: OTHER_KEY"),
        ("title: Two", "title: Two"),  # no-op edit
    ],
)
def test_settings_that_cannot_change_a_result_leave_keys_alone(
    book: Path, old: str, new: str
) -> None:
    before = keys(book)
    edit(book, old, new)
    assert keys(book) == before


def test_unrelated_chapter_edit_leaves_other_keys_alone(book: Path) -> None:
    before = keys(book)
    edit(book, "title: Two", "title: Deux")
    after = keys(book)
    assert after["one/pic/image"] == before["one/pic/image"]
    assert after["one/pic/edit-1"] == before["one/pic/edit-1"]


def test_secrets_in_the_environment_never_reach_a_key(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = keys(book)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-sentinel-123")
    monkeypatch.setenv("MY_KEY", "sentinel-456")
    assert keys(book) == before


def test_draft_keys_differ_from_real_keys(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    assert keys(folder, draft=True)["keeper/tower/image"] != keys(folder)["keeper/tower/image"]
