"""The proofs' cast page: each character's reference and every picture it appears in, side by
side in one row, and what repainting it would re-run; read back from the HTML and the PDF. The
character sheets are proofed like any illustration."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from bookbuild.reports.board import board
from bookbuild.reports.proofs import write_proofs
from tests.helpers.cast_books import CAST_BOOK, write_cast_book


class _Rows(HTMLParser):
    """The `<img>` sources of each character row (`id="cast-<id>"`)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if (found.get("id") or "").startswith("cast-"):
            self.current = str(found["id"])[5:]
            self.rows[self.current] = []
        elif tag == "img" and self.current is not None:
            self.rows[self.current].append(str(found.get("src")))
        elif tag == "section" and found.get("class") == "ill":
            self.current = None


@pytest.fixture(scope="module")
def proofs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    book = write_cast_book(tmp_path_factory.mktemp("cast") / "book")
    project = Project.open(book)
    make(project, MakeOptions(formats=("html",), jobs=1))
    files = write_proofs(project)
    text = "\n".join(page.extract_text() for page in PdfReader(files.pdf).pages)
    return files.html.parent, files.html.read_text(encoding="utf-8"), text


def test_each_character_has_one_row_with_its_reference_and_every_picture(
    proofs: tuple[Path, str, str],
) -> None:
    folder, html, _ = proofs
    parser = _Rows()
    parser.feed(html)
    assert set(parser.rows) == {"hare", "tortoise"}
    assert len(parser.rows["hare"]) == 3  # your picture + start/line + start/alone
    assert len(parser.rows["tortoise"]) == 3  # its sheet + start/line + nap/passing
    for sources in parser.rows.values():
        for source in sources:
            assert Image.open(folder / source).size[0] > 0
    assert parser.rows["hare"][0].startswith("img/ref-")  # the author's file, as a thumbnail
    assert parser.rows["hare"][1] == parser.rows["tortoise"][1]  # the picture they share


def test_the_pdf_cast_page_comes_first_and_says_what_a_change_reruns(
    proofs: tuple[Path, str, str],
) -> None:
    _, _, text = proofs
    cast = text.split("Cast", 1)[1]
    assert "Hazel" in cast and "Tom" in cast
    flat = re.sub(r"\s+", " ", text)
    assert "Hazel re-runs 2 step(s) (start/line/image, start/alone/image)" in flat
    assert "estimated $0.00, and no chat step" in flat
    assert flat.index("Tom · tortoise") < flat.index("The nap · nap/passing")
    row = flat[flat.index("Tom · tortoise") : flat.index("A new description or reference of Tom")]
    assert row.count("drawn as its draft figure") == 2  # under each picture with Tom, not his sheet


def test_the_character_sheet_is_proofed_like_an_illustration(tmp_path: Path) -> None:
    book = write_cast_book(tmp_path / "book")
    views = board(Project.open(book), with_takes=False)
    sheet = next(v for v in views if v.key == "cast/tortoise")
    assert sheet.chapter_title == "Cast: Tom"
    assert sheet.ref.path() == ("characters", "tortoise", "reference")
    assert [link.step_id for link in sheet.links] == ["cast/tortoise/image"]


def _words(pdf: Path, page: int) -> tuple[float, list[tuple[float, float, str]]]:
    """The page's width and each word on it with its left and right edge (pdftotext -bbox)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))  # type: ignore[union-attr]
    found = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', out)
    return width, [(float(x0), float(x1), word) for x0, x1, word in found]


def test_a_character_in_many_pictures_keeps_every_one_beside_its_reference(
    tmp_path: Path,
) -> None:
    scenes = "".join(
        f'      - id: scene{n}\n        prompt: "{{hare}} in scene {n}"\n' for n in range(1, 12)
    )
    book = write_cast_book(
        tmp_path / "book", CAST_BOOK.replace("      - id: alone\n", scenes + "      - id: alone\n")
    )
    project = Project.open(book)
    make(project, MakeOptions(formats=("html",), jobs=1))
    files = write_proofs(project)
    width, words = _words(files.pdf, 1)
    labels = {word for _, _, word in words if word.startswith("start/")}
    assert labels >= {f"start/scene{n}" for n in range(1, 12)} | {"start/line", "start/alone"}
    margin = 12 / 25.4 * 72  # the page's 12 mm margin, in points
    assert all(x1 <= width - margin + 1 for _, x1, _ in words), "a picture ran off the page"
    hare_lines = [x0 for x0, _, word in words if word == "art/hare.png"]
    assert len(hare_lines) == 3  # 13 pictures, 6 to a line: the reference starts each line
    assert len(set(hare_lines)) == 1  # always in the first column
