"""Pictures from the command line: `show STEP` and the `proofs` contact sheet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from bookbuild.cli.commands import main
from tests.conftest import BUILD_STATE

SAMPLES = Path(__file__).resolve().parents[2] / "sample_books"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("books") / "hare"
    shutil.copytree(SAMPLES / "hare-and-tortoise", root, ignore=BUILD_STATE)
    result = CliRunner().invoke(main, ["make", str(root), "--draft", "--format", "html"])
    assert result.exit_code == 0, result.output
    return root


def test_show_writes_the_step_picture_to_a_named_file(built: Path) -> None:
    result = CliRunner().invoke(main, ["show", "race/challenge/edit-1", str(built), "--draft"])
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path == built / "build" / "steps" / "race--challenge--edit-1.png"
    with Image.open(path) as picture:
        assert picture.size == (768, 768)


def test_show_writes_a_written_prompt_as_text(built: Path) -> None:
    result = CliRunner().invoke(main, ["show", "race/challenge/prompt", str(built), "--draft"])
    assert result.exit_code == 0, result.output
    assert '"prompt"' in Path(result.output.strip()).read_text(encoding="utf-8")


def test_show_an_unknown_or_unbuilt_step_is_exit_2_with_advice(built: Path) -> None:
    unknown = CliRunner().invoke(main, ["show", "race/challenge/edit-9", str(built), "--draft"])
    assert unknown.exit_code == 2
    assert "did you mean" in unknown.output
    unbuilt = CliRunner().invoke(main, ["show", "race/challenge/edit-1", str(built)])
    assert unbuilt.exit_code == 2
    assert "run `bookbuild make` first" in unbuilt.output


def test_proofs_list_every_chain_with_step_ids_seeds_and_outlined_masks(built: Path) -> None:
    result = CliRunner().invoke(main, ["proofs", str(built), "--draft"])
    assert result.exit_code == 0, result.output
    html = (built / "build" / "proofs" / "index.html").read_text(encoding="utf-8")
    text = "".join(page.extract_text() for page in PdfReader(built / "build" / "proofs.pdf").pages)
    for needle in ("race/challenge/image", "race/challenge/edit-2", "seed 42", "mask outlined"):
        assert needle in html
        assert needle in text.replace("\n", " ")
    outlined = built / "build" / "proofs" / "img" / "race--challenge--edit-2-mask.png"
    with Image.open(outlined) as picture:
        colors = picture.convert("RGB").getcolors(maxcolors=1 << 24) or []
    red = dict((color, count) for count, color in colors).get((230, 30, 60), 0)
    assert red > 100  # the ellipse's edge is drawn
