"""PDF rendering: Korean text and fonts, page sizes, the URL fetcher, determinism."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from bookbuild.errors import FetchRefused, RenderError
from bookbuild.render.fetch import BASE_URL, fetch_bytes, local_path
from bookbuild.render.pdf import BuildFetcher, render_pdf
from bookbuild.render.pdfbytes import pdf_stats
from bookbuild.render.view import ChapterView
from tests.helpers.render_views import english_book, korean_book

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
MM = 72 / 25.4


def pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


def test_korean_pdf_holds_title_chapters_and_embedded_cjk_font(tmp_path: Path) -> None:
    pdf = render_pdf(korean_book(), tmp_path)
    text = pdftext(pdf)
    assert "토끼와 거북이" in text and "경주의 시작" in text and "낮잠" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line or "Nanum" in line]
    assert cjk and all(" yes " in line for line in cjk)


def test_a5_page_count_and_size(tmp_path: Path) -> None:
    pdf = render_pdf(korean_book(page="A5"), tmp_path)
    reader = PdfReader(pdf)
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(148 * MM, abs=0.5)
    assert float(box.height) == pytest.approx(210 * MM, abs=0.5)
    assert len(reader.pages) == pdf_stats(pdf)["pages"] >= 5


def test_toc_has_page_numbers(tmp_path: Path) -> None:
    text = pdftext(render_pdf(english_book(), tmp_path))
    toc = text.split("Contents", 1)[1].split("1\n", 1)[0]
    assert "The Challenge" in toc and any(c.isdigit() for c in toc)
    assert " 0\n" not in toc


HOSTILE = (
    '<img src="file:///etc/hostname">\n\n<link rel=attachment href="file:///etc/hostname">\n\n'
    "![host](file:///etc/hostname)\n\n[host](file:///etc/hostname)\n"
)


def test_local_files_in_chapter_text_never_enter_the_pdf(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7f3a", "utf-8")
    hostile = HOSTILE + HOSTILE.replace("/etc/hostname", str(secret))
    book = english_book()
    chapter = ChapterView("evil", "Evil <link rel=attachment href='file:///etc/hostname'>", hostile)
    book = dataclasses.replace(book, chapters=(chapter, *book.chapters))
    pdf = render_pdf(book, tmp_path / "out")
    data = pdf.read_bytes()
    assert b"TOPSECRET" not in data
    hostname = Path("/etc/hostname")
    if hostname.is_file() and len(hostname.read_bytes().strip()) >= 6:
        assert hostname.read_bytes().strip() not in data
    reader = PdfReader(pdf)
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
    assert not any("/Annots" in p and "/FileAttachment" in str(p["/Annots"]) for p in reader.pages)


def test_fetcher_refuses_paths_outside_the_build_folder(tmp_path: Path) -> None:
    root = tmp_path / "build"
    root.mkdir()
    (root / "ok.css").write_text("p {}", "utf-8")
    (tmp_path / "outside.txt").write_text("no", "utf-8")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    assert fetch_bytes(BASE_URL + "ok.css", root, {}) == b"p {}"
    assert fetch_bytes((root / "ok.css").as_uri(), root, {}) == b"p {}"
    for url in (
        (tmp_path / "outside.txt").as_uri(),
        (root / "link.txt").as_uri(),
        BASE_URL + "../outside.txt",
        BASE_URL + "%2e%2e/outside.txt",
        "file:///etc/hostname",
        "https://example.com/x.png",
        "http://127.0.0.1/x.png",
        "ftp://example.com/x",
    ):
        with pytest.raises(FetchRefused):
            local_path(url, root)
    with pytest.raises(FetchRefused):
        BuildFetcher(root).fetch("file:///etc/hostname")


def test_fetcher_serves_data_urls(tmp_path: Path) -> None:
    response = BuildFetcher(tmp_path).fetch("data:text/plain,hello")
    assert response.read() == b"hello"


def test_unloadable_theme_resource_is_a_render_error(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "extra.css").write_text("body { background: url(file:///etc/hostname); }", "utf-8")
    with pytest.raises(RenderError, match="refused"):
        render_pdf(english_book(), tmp_path / "out", [theme])


def test_two_renders_give_identical_bytes(tmp_path: Path) -> None:
    first = render_pdf(korean_book(), tmp_path / "a").read_bytes()
    second = render_pdf(korean_book(), tmp_path / "b", slug="other").read_bytes()
    assert first == second


def test_metadata_is_fixed(tmp_path: Path) -> None:
    meta = PdfReader(render_pdf(korean_book(), tmp_path)).metadata
    assert meta is not None
    assert meta["/Title"] == "토끼와 거북이" and meta["/Author"] == "바람숲"
    assert meta["/CreationDate"] == "D:20231114221320Z"


def test_print_images_are_jpeg_and_embedded_once(tmp_path: Path) -> None:
    book = english_book()
    shared = book.chapters[0].illustrations[0]
    chapters = tuple(dataclasses.replace(ch, illustrations=(shared,)) for ch in book.chapters)
    reader = PdfReader(render_pdf(dataclasses.replace(book, chapters=chapters), tmp_path))
    images = {
        id(obj.get_object()): obj.get_object()
        for page in reader.pages
        for obj in page["/Resources"].get("/XObject", {}).values()
    }
    filters = [str(img.get("/Filter")) for img in images.values()]
    assert filters.count("/DCTDecode") == 1


def test_bad_slug_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="plain file name"):
        render_pdf(english_book(), tmp_path, slug="../evil")
