"""Both themes on both sample books, read back: page sizes, text order, fonts, EPUB validity;
and the font preflight on a machine whose fonts lack Hangul."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.conftest import copy_sample
from tests.render.test_epub import _epubcheck_command

FORMATS = ("html", "pdf", "epub")
PAGE_POINTS = {"novel": (419.53, 595.28), "picture-book": (576.0, 576.0)}  # A5, 8x8in
FIRST_CHAPTERS = {
    "hare-and-tortoise": ("토끼와 거북이", "숲속의 아침", "경주의 시작"),
    "lighthouse-fox": ("The Lighthouse Fox", "The Keeper", "The Storm"),
}


def set_theme(folder: Path, theme: str) -> None:
    spec = folder / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(re.sub(r"style: \{[^}]*\}", f"style: {{theme: {theme}}}", text), "utf-8")


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return dict(line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)


@pytest.fixture(scope="module", params=sorted(FIRST_CHAPTERS))
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sample(request.param, tmp_path_factory.mktemp("pub"))


@pytest.mark.parametrize("theme", ["novel", "picture-book"])
def test_theme_on_sample_book_reads_back(sample: Path, theme: str, tmp_path: Path) -> None:
    set_theme(sample, theme)
    make(Project.open(sample, draft=True), MakeOptions(formats=FORMATS))
    pdf = sample / "build" / f"{sample.name}.pdf"
    info = pdfinfo(pdf)
    width, height = (float(v) for v in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (width, height) == pytest.approx(PAGE_POINTS[theme], abs=0.5)
    assert int(info["Pages"]) >= 4
    text = re.sub(r"\s+", "", _pdftotext(pdf))
    positions = [text.find(t.replace(" ", "")) for t in FIRST_CHAPTERS[sample.name]]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    if sample.name == "hare-and-tortoise":
        assert re.search(r"CJK|Nanum", fonts), fonts
    _check_epub(sample / "build" / f"{sample.name}.epub", tmp_path)


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout


def _check_epub(epub: Path, tmp_path: Path) -> None:
    command = _epubcheck_command()
    assert command is not None, "epubcheck missing: run scripts/setup.sh"
    report = tmp_path / "report.json"
    done = subprocess.run(
        [*command, str(epub), "--failonwarnings", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(report.read_text("utf-8"))["messages"] == []


FONTS_WITHOUT_HANGUL = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


def test_make_stops_before_any_call_when_the_fonts_lack_hangul(tmp_path: Path) -> None:
    folder = copy_sample("hare-and-tortoise", tmp_path)
    config = tmp_path / "fonts.conf"
    config.write_text(FONTS_WITHOUT_HANGUL.format(cache=tmp_path / "fc-cache"), "utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    done = subprocess.run(
        [sys.executable, "-m", "bookbuild.cli.commands", "make", str(folder), "--draft", "--plain"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2, done.stdout + done.stderr  # found before any call
    lines = (folder / "book.yaml").read_text(encoding="utf-8").splitlines()
    title = next(n for n, line in enumerate(lines, 1) if line.startswith("title:"))
    assert f"book.yaml:{title}:8:" in done.stderr and "U+D1A0" in done.stderr  # 토, the title
    assert "not installed: Noto Serif CJK KR" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (folder / "build" / "hare-and-tortoise.pdf").exists()
