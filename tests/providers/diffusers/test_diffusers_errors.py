"""What goes wrong with `provider: diffusers`, said clearly and before any work: an op it cannot
do (at book.yaml:LINE:COL), a model folder that is not there, a Hub model missing from the cache
with HF_HUB_OFFLINE set; and what must not happen: a network call with a cached model offline,
or torch imported just because the provider is registered."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bookbuild.build.make import MakeOptions, make
from bookbuild.cli.commands import main
from bookbuild.errors import ConfigError
from bookbuild.project import Project

SPEC = """\
title: The Fox
language: en
models:
  painter: {{provider: diffusers, model: "{model}", width: 64, height: 64, steps: 2}}
defaults: {{image: painter}}
chapters:
  - id: one
    title: One
    text: "A fox."
    illustrations:
      - id: fox
        prompt: "a red fox"
        seed: 1
{edits}"""


def book_with(folder: Path, model: str, edits: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "book.yaml").write_text(SPEC.format(model=model, edits=edits), encoding="utf-8")
    return folder


def build(book: Path, env: dict[str, str]) -> list[str]:
    summary = make(Project.open(book, env=env), MakeOptions(formats=("html",), jobs=1))
    return sorted(summary.called)


def test_validate_refuses_remove_background_at_its_line(tmp_path: Path) -> None:
    edits = "        edits:\n          - remove_background: {}\n"
    book = book_with(tmp_path / "book", str(tmp_path / "model"), edits)
    result = CliRunner().invoke(main, ["validate", str(book)])
    assert result.exit_code == 2
    assert "book.yaml:15:" in result.output
    assert "cannot do the image op `remove_background`" in result.output
    assert "Traceback" not in result.output


def test_missing_model_folder_is_a_clear_error_before_any_work(tmp_path: Path) -> None:
    book = book_with(tmp_path / "book", str(tmp_path / "no-such-model"))
    with pytest.raises(ConfigError) as raised:
        build(book, {})
    message = str(raised.value)
    assert "preset `painter`" in message and "no-such-model does not exist" in message
    assert "save_pretrained" in message
    assert not (book / "book.lock").exists()


def test_folder_without_model_index_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    book = book_with(tmp_path / "book", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match=r"has no model_index\.json"):
        build(book, {})


def test_offline_hub_model_not_in_the_cache_says_how_to_download_it(tmp_path: Path) -> None:
    book = book_with(tmp_path / "book", "someone/not-cached-sd")
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    with pytest.raises(ConfigError) as raised:
        build(book, env)
    message = str(raised.value)
    assert "someone/not-cached-sd is not in the Hugging Face cache" in message
    assert "hf download someone/not-cached-sd" in message


def cache_as_hub_model(model: Path, hub: Path, repo: str) -> None:
    """Lay `model` out as huggingface_hub's cache does for `repo` at revision main."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    entry = hub / f"models--{repo.replace('/', '--')}"
    shutil.copytree(model, entry / "snapshots" / commit)
    (entry / "refs").mkdir(parents=True)
    (entry / "refs" / "main").write_text(commit)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every attempt to open a network connection is recorded and refused."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_cached_hub_model_builds_offline_without_any_network_call(
    tiny_model: Path, tmp_path: Path, no_network: list[Any]
) -> None:
    hub = tmp_path / "hub"
    cache_as_hub_model(tiny_model, hub, "tiny/sd-random")
    book = book_with(tmp_path / "book", "tiny/sd-random")
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hub)}
    assert build(book, env) == ["one/fox/image"]
    assert no_network == []


PROBE = """
import sys
from pathlib import Path
from bookbuild.reports.inspect_plan import plan_report
from bookbuild.project import Project
report = plan_report(Project.open(Path(sys.argv[1]), env={})).to_json()
assert report["calls"] == {"diffusers": 1}, report["calls"]
heavy = ("torch", "diffusers", "transformers", "huggingface_hub", "peft")
print(",".join(sorted(m for m in heavy if m in sys.modules)) or "none")
"""


def test_loading_validating_and_planning_a_book_imports_nothing_heavy(tmp_path: Path) -> None:
    book = book_with(tmp_path / "book", str(tmp_path / "model"))
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(book)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "none"


def test_relative_model_paths_are_refused_at_the_preset_line(tmp_path: Path) -> None:
    book = book_with(tmp_path / "book", "./models/sd15")
    result = CliRunner().invoke(main, ["validate", str(book)])
    assert result.exit_code == 2
    assert "book.yaml:4:" in result.output
    assert "`model: ./models/sd15` is a relative path" in result.output


def test_missing_extra_names_the_libraries_and_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bookbuild.providers.diffusers import loading

    real = loading.find_spec
    monkeypatch.setattr(
        loading, "find_spec", lambda name: None if name in ("torch", "peft") else real(name)
    )
    book = book_with(tmp_path / "book", str(tmp_path / "model"))
    with pytest.raises(ConfigError) as raised:
        build(book, {})
    assert "torch not installed" in str(raised.value)
    assert "pip install 'bookbuild[diffusers]'" in str(raised.value)
    assert not (book / "book.lock").exists()
