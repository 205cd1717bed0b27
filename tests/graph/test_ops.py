"""The op table is the one definition of an op: plan, runner, schema, validation and every
provider read it."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from bookbuild.graph import ops
from bookbuild.graph.steps import Step, step_key
from bookbuild.project import book_json_schema
from bookbuild.providers.registry import provider_classes
from bookbuild.spec.models import Edit


def test_every_edit_op_is_an_edit_key_with_its_spec_model() -> None:
    assert list(Edit.model_fields) == [op.name for op in ops.EDIT_OPS]
    for op in ops.EDIT_OPS:
        assert op.edit is not None and op.kind == "image" and "image" in op.inputs


def test_the_schema_offers_every_edit_op() -> None:
    edit = book_json_schema()["$defs"]["Edit"]
    assert set(edit["properties"]) == {op.name for op in ops.EDIT_OPS}


def test_each_builtin_provider_declares_only_ops_of_the_table() -> None:
    for name, cls in provider_classes().items():
        assert cls is not None, name
        assert cls.ops <= set(ops.OPS), name


def test_the_offline_provider_does_every_call_op() -> None:
    offline = provider_classes()["offline"]
    assert offline is not None
    assert offline.ops == {op.name for op in ops.OPS.values() if op.is_call}


def test_sdapi_claims_no_chat() -> None:
    sdapi = provider_classes()["sdapi"]
    assert sdapi is not None and not sdapi.does_chat()


def test_bumping_an_ops_version_changes_its_steps_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    step = Step("a/b/image", "txt2img", preset="p", provider="offline", params={"prompt": "x"})
    before = step_key(step, {})
    bumped = dataclasses.replace(ops.OPS["txt2img"], version=2)
    monkeypatch.setitem(ops.OPS, "txt2img", bumped)
    assert step_key(step, {}) != before


def test_media_type_and_kind_come_from_the_table() -> None:
    assert Step("c/ill/prompt", "describe").media_type == "application/json"
    assert Step("c/ill/image", "import").kind == "source"
    assert Step("c/ill/edit-1", "upscale").media_type == "image/png"


def test_an_undecodable_picture_from_a_provider_is_a_provider_error(tmp_path: Path) -> None:
    from bookbuild.build.runner import StepRunner
    from bookbuild.errors import ProviderError, UserError
    from bookbuild.project import load_spec
    from bookbuild.providers.base import ImageRequest, ImageResult
    from bookbuild.store.journal import JobJournal, NullJournal

    class Garbage:
        local = False  # a paid service: its journal is checked like one

        def run_image(self, request: ImageRequest) -> ImageResult:
            return ImageResult(b"<html>not a picture</html>")

    class Pool:
        def get(self, preset: str, step_id: str = "") -> Garbage:
            return Garbage()

        def limit(self, preset: str) -> contextlib.nullcontext[None]:
            return contextlib.nullcontext()

        def call(self, preset: str, step_id: str, send: Any) -> Any:
            return send(self.get(preset, step_id))

    (tmp_path / "book.yaml").write_text(
        "title: T\nchapters:\n  - {id: a, title: A, text: x}\n", encoding="utf-8"
    )
    runner = StepRunner(load_spec(tmp_path), Pool())  # type: ignore[arg-type]
    step = Step("a/p/image", "txt2img", preset="p", provider="junk", params={"prompt": "x"})
    journal: JobJournal = NullJournal()
    with pytest.raises(ProviderError, match="unusable picture") as caught:
        runner.run(step, {}, journal)
    assert not isinstance(caught.value, UserError) and caught.value.exit_code == 1
