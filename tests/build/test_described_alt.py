"""`style.alt: describe`: each `describe:` picture's chat step also writes its alt text, in the
book's language, in the same structured answer as the prompt; the HTML, EPUB and (tagged) PDF
carry it, escaped, unless the author wrote `alt:`. Over real HTTP to FakeOpenAI, and in a draft
build of the Korean sample with the offline writer. Read back from the written files."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.build.test_alt_text import epub_alts
from tests.conftest import copy_sample
from tests.fakes.openai_server import FakeOpenAI, reply

KEY = "sk-test-ALT-18"
HOSTILE = '<script>alert("alt")</script> 토끼 & 거북이가 <b>출발선</b>에 섰습니다.'
AUTHORS = "작가가 쓴 대체 텍스트"
BOOK = """\
title: 경주
authors: [바람숲]
language: ko
models:
  writer: {provider: openai, model: gpt-4o-mini}
  painter: {provider: offline, width: 256, height: 256}
defaults: {text: writer, image: painter}
style: {theme: default, page: A5, font: "Noto Serif CJK KR"ALT}
chapters:
  - id: start
    title: 출발
    text: "토끼와 거북이가 숲속 출발선에 섰습니다."
    illustrations:
      - id: line
        describe: "soft watercolour"
  - id: end
    title: 결승
    text: "거북이가 먼저 결승선을 넘었습니다."
    illustrations:
      - id: finish
        describe: "soft watercolour"
        alt: "AUTHORS"
"""


class _Images(HTMLParser):
    """The alt attribute of every <img>, as a browser reads it (entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")


def img_alts(markup: str) -> list[str]:
    parser = _Images()
    parser.feed(markup)
    return parser.alts


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def write_book(folder: Path, alt: str | None) -> Path:
    folder.mkdir(parents=True)
    setting = f", alt: {alt}" if alt else ""
    text = BOOK.replace("ALT}", setting + "}").replace("AUTHORS", AUTHORS)
    (folder / "book.yaml").write_text(text, encoding="utf-8")
    return folder


def build(book: Path, fake: FakeOpenAI, formats: tuple[str, ...]) -> None:
    env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake.base_url}
    make(Project.open(book, env=env), MakeOptions(formats=formats))


def answer(alt: str | None) -> str:
    body: dict[str, Any] = {"prompt": "a rabbit and a tortoise", "negative_prompt": "text"}
    if alt is not None:
        body["alt"] = alt
    return json.dumps(body, ensure_ascii=False)


def pdf_alts(path: Path) -> list[str]:
    """/Alt of every structure element of a tagged PDF."""
    found: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject):
            if "/Alt" in node:
                found.append(str(node["/Alt"]))
            if "/K" in node:
                walk(node["/K"])

    root = PdfReader(path).trailer["/Root"]
    if "/StructTreeRoot" in root:
        walk(root["/StructTreeRoot"])
    return found


def test_the_describer_is_asked_for_the_alt_in_the_books_language(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    build(write_book(tmp_path / "book", "describe"), fake, ("html",))
    bodies = [b for b in fake.bodies if "response_format" in b]
    assert len(bodies) == 2
    for body in bodies:
        schema = body["response_format"]["json_schema"]["schema"]
        assert schema["required"] == ["prompt", "negative_prompt", "alt"]
        assert schema["properties"]["alt"]["type"] == "string"
        system = body["messages"][0]["content"]
        assert '"alt": "..."' in system and "ONE plain sentence in Korean" in system
    html = (tmp_path / "book" / "build" / "ch-start.html").read_text(encoding="utf-8")
    assert img_alts(html) == ["토끼와 거북이가 숲속 출발선에 나란히 서 있습니다."]  # the fake's


def test_without_the_setting_nothing_asks_for_an_alt(tmp_path: Path, fake: FakeOpenAI) -> None:
    build(write_book(tmp_path / "book", None), fake, ("html",))
    for body in fake.bodies:
        schema = body["response_format"]["json_schema"]["schema"]
        assert schema["required"] == ["prompt", "negative_prompt"]
        assert "alt" not in json.dumps(body["messages"])
    html = (tmp_path / "book" / "build" / "ch-start.html").read_text(encoding="utf-8")
    assert img_alts(html) == ["「출발」의 그림 1"]  # as before: the picture's name


def test_the_models_alt_is_data_in_html_epub_and_pdf(tmp_path: Path, fake: FakeOpenAI) -> None:
    book = write_book(tmp_path / "book", "describe")
    fake.script(reply(answer(HOSTILE)), reply(answer(HOSTILE)))
    build(book, fake, ("html", "epub", "pdf"))
    out = book / "build"
    described = json.loads(Project.open(book).store.get(_digest(book, "start/line/prompt")))
    assert described["alt"] == HOSTILE  # stored with the prompt
    pages = {"html": (out / "ch-start.html").read_text(encoding="utf-8")}
    with zipfile.ZipFile(next(out.glob("*.epub"))) as epub:
        for name in epub.namelist():
            if name.endswith(".xhtml"):
                pages[name] = epub.read(name).decode("utf-8")
    for name, page in pages.items():
        assert "<script>alert" not in page and "<b>출발선" not in page, name
    assert HOSTILE in img_alts(pages["html"])
    epub_found = [alt for page in pages.values() for alt in img_alts(page)]
    assert epub_found.count(HOSTILE) == 2  # the HTML page and the EPUB chapter
    assert AUTHORS in img_alts((out / "ch-end.html").read_text(encoding="utf-8"))
    assert HOSTILE in pdf_alts(out / "book.pdf") and AUTHORS in pdf_alts(out / "book.pdf")


def test_a_reply_without_an_alt_leaves_the_default(tmp_path: Path, fake: FakeOpenAI) -> None:
    book = write_book(tmp_path / "book", "describe")
    fake.script(reply(answer(None)), reply(answer(None)))
    build(book, fake, ("html",))
    html = (book / "build" / "ch-start.html").read_text(encoding="utf-8")
    assert img_alts(html) == ["「출발」의 그림 1"]


def test_the_korean_sample_in_draft_gets_korean_alt_text(tmp_path: Path) -> None:
    book = copy_sample("hare-and-tortoise", tmp_path)  # `defaults_version: 2`: alt: describe
    assert "alt:" not in (book / "book.yaml").read_text(encoding="utf-8")
    alts = epub_alts(book)
    described = [alt for key, alt in alts.items() if re.search("cover|chapter-00[24]", key)]
    assert len(described) == 3, alts  # the cover, race/challenge and steady/path (describe:)
    for alt in described:
        assert re.search(r"[가-힣]{2}", alt) and alt.endswith("."), alt
        assert not re.search(r"[A-Za-z]{3}", alt), alt  # no English prompt
        assert "표지" not in alt and "의 그림" not in alt, alt  # not the picture's name
    assert "토끼가 거북이에게 경주를 하자고 합니다." not in alts.values()  # not the caption again
    assert "거북이가 먼저 결승선을 넘었습니다." in alts.values()  # a prompt: picture's caption


def _digest(book: Path, step_id: str) -> str:
    return Project.open(book).load_lock().entries[step_id].digest


def test_a_tagged_pdf_keeps_decorative_pictures_without_alt(tmp_path: Path) -> None:
    """The back half of a wrap-around cover is decorative (alt=""): WeasyPrint's tagged PDF
    logs an error for it, which must not fail the render; the front half has its alt."""
    book = copy_sample("hare-and-tortoise", tmp_path)
    spec = book / "book.yaml"
    text = spec.read_text(encoding="utf-8").replace("page: A5}", "page: A5, alt: describe}", 1)
    spec.write_text(text.replace("  id: front\n", "  id: front\n  shape: wrap\n", 1), "utf-8")
    make(Project.open(book, draft=True), MakeOptions(formats=("pdf",)))
    [cover_alt] = pdf_alts(book / "build" / "hare-and-tortoise-cover.pdf")
    assert re.search(r"[가-힣]{2}", cover_alt) and "표지" not in cover_alt
    interior = pdf_alts(book / "build" / "hare-and-tortoise.pdf")
    assert "작가의 밑그림" in interior and len(interior) == 6  # every interior picture
