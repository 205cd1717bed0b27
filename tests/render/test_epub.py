"""EPUB output: valid for epubcheck, reproducible, escaped, navigable, sensible images."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image

from bookbuild.errors import RenderError
from bookbuild.hashing import digest_of
from bookbuild.render.epub import render_epub
from bookbuild.render.epub_xhtml import html_to_xhtml
from bookbuild.render.view import BookView, ChapterView, IllustrationView, Provenance, StyleView

XHTML = "{http://www.w3.org/1999/xhtml}"
OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
EPUB_NS = "{http://www.idpf.org/2007/ops}"
EPOCH = 1_700_000_000


def _png(mode: str, color: tuple[int, ...], size: tuple[int, int]) -> bytes:
    image = Image.new(mode, size, color)
    for x in range(0, size[0], 7):  # a little texture so JPEG has something to encode
        image.putpixel((x, x % size[1]), (0,) * len(color))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _illustration(
    ident: str,
    image: bytes,
    caption: str | None,
    alt: str,
    provenance: Provenance | None = None,
) -> IllustrationView:
    with Image.open(io.BytesIO(image)) as opened:
        width, height = opened.size
    return IllustrationView(ident, digest_of(image), image, width, height, caption, alt, provenance)


WIDE = _png("RGB", (200, 40, 40), (2400, 1200))
TRANSLUCENT = _png("RGBA", (20, 40, 220, 128), (320, 320))
OPAQUE_RGBA = _png("RGBA", (20, 160, 60, 255), (400, 300))
SMALL = _png("RGB", (240, 220, 120), (500, 700))


def korean_view() -> BookView:
    sunrise = _illustration(
        "challenge",
        WIDE,
        "아침 해가 뜬다",
        "언덕 위의 토끼와 거북이",
        Provenance("sdapi", "sdxl", 42, "a rabbit", ("inpaint: 빨간 목도리", "upscale: 2")),
    )
    turtle = _illustration(
        "turtle", TRANSLUCENT, None, "거북이", Provenance("offline", "draft", 7, "t")
    )
    chapters = (
        ChapterView(
            "race",
            "경주의 시작",
            "토끼가 *거북이*를 놀렸다.  \n“느림보야!”\n\n## 약속\n\n- 언덕까지\n- 먼저 가기\n\n"
            "---\n\n거북이는 천천히, 그러나 쉬지 않고 걸었다.",
            (sunrise, turtle),
        ),
        ChapterView("nap", "낮잠", "토끼는 나무 아래에서 잠이 들었다.", (sunrise,)),
    )
    return BookView(
        title="토끼와 거북이",
        subtitle="다시 쓰는 이솝 우화",
        authors=("바람숲", "물결"),
        language="ko",
        chapters=chapters,
        style=StyleView(font="Noto Serif KR"),
        cover=_illustration("cover", SMALL, None, "표지 그림", Provenance("sdapi", "sdxl", 1, "c")),
        source_date_epoch=EPOCH,
        identifier="urn:uuid:6f1c8c52-3c1f-5b7e-9f3e-0d6a8f0c2b11",
    )


def english_view() -> BookView:
    hostile = _illustration(
        "hostile", OPAQUE_RGBA, 'A "fox" & <b>hound</b>', "<img src=x onerror=alert(1)>"
    )
    chapters = (
        ChapterView(
            "one",
            "<script>alert('title')</script>",
            "Raw <b>bold</b> and <script>alert(1)</script> stay text.\n\n"
            '<div onclick="x()">block html</div>\n\n'
            "Entities: &copy; &nbsp; &#1; &amp; 5 < 6.  \nA hard break.\n\n"
            "[web](https://example.org/a?b=1&c=2) [local](notes.html) [frag](#nowhere) "
            "![pic](art/pic.png)\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n    code <tag>\n",
            (hostile,),
        ),
        ChapterView("two", "Second", "# A heading\n\nPlain text.", ()),
        ChapterView("three", "   ", "A chapter without a title.", ()),
    )
    return BookView(
        title="The Fox & the Hound",
        language="en",
        chapters=chapters,
        authors=("A. Writer",),
        source_date_epoch=0,
    )


def _epubcheck_command() -> list[str] | None:
    """`epubcheck`, or `java -jar` on it when it is a bare jar (Debian, without binfmt_misc)."""
    found = shutil.which("epubcheck")
    if found is None:
        return None
    resolved = Path(found).resolve()
    if resolved.read_bytes()[:2] == b"PK":
        java = shutil.which("java")
        return [java, "-jar", str(resolved)] if java else None
    return [found]


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _xml(path: Path, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(_members(path)[name])


@pytest.fixture(params=["ko", "en"])
def book(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    view = korean_view() if request.param == "ko" else english_view()
    return render_epub(view, tmp_path, slug=request.param)


def test_epubcheck_reports_no_errors_and_no_warnings(book: Path, tmp_path: Path) -> None:
    command = _epubcheck_command()
    if command is None:
        pytest.skip("epubcheck (and java) not installed: run scripts/setup.sh")
    report = tmp_path / "report.json"
    done = subprocess.run(
        [*command, str(book), "--failonwarnings", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    messages = json.loads(report.read_text("utf-8"))["messages"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert messages == [], messages


def test_mimetype_is_the_first_entry_and_stored(book: Path) -> None:
    with zipfile.ZipFile(book) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert archive.read(first) == b"application/epub+zip"
        names = [info.filename for info in archive.infolist()[1:]]
    assert names == sorted(names)
    assert book.read_bytes()[30:58] == b"mimetypeapplication/epub+zip"


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    first = render_epub(korean_view(), tmp_path / "a")
    second = render_epub(korean_view(), tmp_path / "b")
    assert first.name == "book.epub"
    assert first.read_bytes() == second.read_bytes()


def test_zip_dates_come_from_source_date_epoch_clamped_to_1980(tmp_path: Path) -> None:
    with zipfile.ZipFile(render_epub(korean_view(), tmp_path / "ko")) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    with zipfile.ZipFile(render_epub(english_view(), tmp_path / "en")) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr for i in archive.infolist()} == {0o100644 << 16}


def test_chapter_title_and_captions_are_escaped(tmp_path: Path) -> None:
    members = _members(render_epub(english_view(), tmp_path))
    chapter = members["OEBPS/chapter-001.xhtml"].decode()
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in chapter
    assert "A &#34;fox&#34; &amp; &lt;b&gt;hound&lt;/b&gt;" in chapter
    assert 'alt="&lt;img src=x onerror=alert(1)&gt;"' in chapter
    nav = members["OEBPS/nav.xhtml"].decode()
    assert "&lt;script&gt;" in nav
    for name, data in members.items():
        if name.endswith(".xhtml"):
            root = ElementTree.fromstring(data)
            assert root.find(f".//{XHTML}script") is None, name


def test_raw_html_in_markdown_is_not_rendered(tmp_path: Path) -> None:
    path = render_epub(english_view(), tmp_path)
    text = _members(path)["OEBPS/chapter-001.xhtml"].decode()
    body = _xml(path, "OEBPS/chapter-001.xhtml")
    assert "Raw &lt;b&gt;bold&lt;/b&gt;" in text
    assert body.find(f".//{XHTML}b") is None
    assert body.find(f".//{XHTML}div") is None
    assert "onclick" not in text.replace("&lt;div onclick", "")


def test_chapter_markdown_becomes_well_formed_xhtml(tmp_path: Path) -> None:
    path = render_epub(english_view(), tmp_path)
    body = _xml(path, "OEBPS/chapter-001.xhtml")
    links = [a.get("href") for a in body.iter(f"{XHTML}a")]
    assert links == ["https://example.org/a?b=1&c=2"]
    assert body.find(f".//{XHTML}br") is not None
    assert body.find(f".//{XHTML}table") is not None
    images = [img.get("src") for img in body.iter(f"{XHTML}img")]
    assert len(images) == 1 and images[0] is not None and images[0].startswith("images/")
    headings = _xml(path, "OEBPS/chapter-002.xhtml").iter()
    assert [e.tag for e in headings if e.tag[-2:-1] == "h"] == [f"{XHTML}h1", f"{XHTML}h2"]


def test_nav_lists_every_chapter_and_the_landmarks(tmp_path: Path) -> None:
    path = render_epub(english_view(), tmp_path)
    nav = _xml(path, "OEBPS/nav.xhtml")
    navs = {n.get(f"{EPUB_NS}type"): n for n in nav.iter(f"{XHTML}nav")}
    toc = [(a.get("href"), a.text) for a in navs["toc"].iter(f"{XHTML}a")]
    assert toc == [
        ("chapter-001.xhtml", "<script>alert('title')</script>"),
        ("chapter-002.xhtml", "Second"),
        ("chapter-003.xhtml", "Chapter 3"),
        ("colophon.xhtml", "Colophon"),
    ]
    kinds = [a.get(f"{EPUB_NS}type") for a in navs["landmarks"].iter(f"{XHTML}a")]
    assert kinds == ["cover", "titlepage", "toc", "bodymatter", "colophon"]  # a typeset cover


def test_package_metadata_spine_and_cover(tmp_path: Path) -> None:
    opf = _xml(render_epub(korean_view(), tmp_path), "OEBPS/content.opf")
    meta = opf.find(f"{OPF}metadata")
    assert meta is not None
    assert [t.text for t in meta.iter(f"{DC}title")] == ["토끼와 거북이", "다시 쓰는 이솝 우화"]
    assert [c.text for c in meta.iter(f"{DC}creator")] == ["바람숲", "물결"]
    assert meta.findtext(f"{DC}language") == "ko"
    assert meta.findtext(f"{DC}identifier") == korean_view().identifier
    modified = [m.text for m in meta.iter(f"{OPF}meta") if m.get("property") == "dcterms:modified"]
    assert modified == ["2023-11-14T22:13:20Z"]
    items = {i.get("id"): i for i in opf.iter(f"{OPF}item")}
    covers = [i.get("href") for i in items.values() if i.get("properties") == "cover-image"]
    assert len(covers) == 1 and covers[0] is not None and covers[0].endswith(".jpg")
    spine = [ref.get("idref") for ref in opf.iter(f"{OPF}itemref")]
    assert spine == ["cover", "titlepage", "nav", "chapter-001", "chapter-002", "colophon"]
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "ko"


def test_identifier_defaults_to_a_uuid5_of_the_title(tmp_path: Path) -> None:
    first = _xml(render_epub(english_view(), tmp_path / "a"), "OEBPS/content.opf")
    identifier = first.findtext(f"{OPF}metadata/{DC}identifier")
    assert identifier is not None and identifier.startswith("urn:uuid:")
    assert identifier[9:][14] == "5"  # the UUID version digit


def test_images_are_resized_typed_and_stored_once(tmp_path: Path) -> None:
    members = _members(render_epub(korean_view(), tmp_path))
    images = {name: data for name, data in members.items() if name.startswith("OEBPS/images/")}
    assert len(images) == 3  # the sunrise is used twice but packaged once
    wide = images[f"OEBPS/images/{digest_of(WIDE)[7:]}.jpg"]
    with Image.open(io.BytesIO(wide)) as opened:
        assert (opened.format, opened.size) == ("JPEG", (1600, 800))
    translucent = images[f"OEBPS/images/{digest_of(TRANSLUCENT)[7:]}.png"]
    with Image.open(io.BytesIO(translucent)) as opened:
        assert (opened.format, opened.mode) == ("PNG", "RGBA")
    chapter = members["OEBPS/chapter-001.xhtml"].decode()
    assert 'width="1600" height="800"' in chapter


def test_colophon_lists_each_illustrations_provenance_once(tmp_path: Path) -> None:
    colophon = _members(render_epub(korean_view(), tmp_path))["OEBPS/colophon.xhtml"].decode()
    credits = colophon[colophon.index('<dl class="credits">') :]  # after the AI disclosure
    assert credits.count("아침 해가 뜬다") == 1
    assert "제공자: sdapi; 모델: sdxl; 시드: 42" in colophon
    assert "편집: inpaint: 빨간 목도리; upscale: 2" in colophon
    assert "제공자: offline; 모델: draft; 시드: 7" in colophon
    assert "<dt>표지</dt>" in colophon  # the cover is named as such, not by its alt text


def test_stylesheet_keeps_korean_words_whole(tmp_path: Path) -> None:
    members = _members(render_epub(korean_view(), tmp_path))
    css = members["OEBPS/style.css"].decode()
    assert "word-break: keep-all" in css
    assert 'font-family: "Noto Serif KR", ' in css
    title_page = members["OEBPS/title.xhtml"].decode()
    assert 'xml:lang="ko" lang="ko"' in title_page


def test_unreadable_image_is_a_render_error(tmp_path: Path) -> None:
    broken = IllustrationView("broken", digest_of(b"nope"), b"nope", 1, 1, None, "x")
    view = BookView("T", "en", (ChapterView("c", "C", "text", (broken,)),))
    with pytest.raises(RenderError, match="'broken'"):
        render_epub(view, tmp_path)
    assert not (tmp_path / "book.epub").exists()


def test_invalid_language_is_a_render_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="language"):
        render_epub(BookView("T", "", ()), tmp_path)


def test_html_to_xhtml_closes_void_elements_and_balances_tags() -> None:
    html = '<p>a<br>b &amp; <a href="#x">in page</a> <em>open<hr><p>c&nbsp;d</em>'
    xhtml = html_to_xhtml(html)
    assert xhtml == "<p>a<br />b &amp; in page <em>open<hr /><p>c\xa0d</p></em></p>"
    ElementTree.fromstring(f"<div>{xhtml}</div>")


@pytest.mark.parametrize("make_view", [korean_view, english_view])
def test_a_draft_epub_says_it_is_a_draft_and_stays_valid(
    make_view: Callable[[], BookView], tmp_path: Path
) -> None:
    path = render_epub(dataclasses.replace(make_view(), draft=True), tmp_path, slug="draft")
    members = _members(path)
    meta = _xml(path, "OEBPS/content.opf").find(f"{OPF}metadata")
    assert meta is not None and "DRAFT" in (meta.findtext(f"{DC}description") or "")
    pages = {n: m.decode("utf-8") for n, m in members.items() if n.endswith(".xhtml")}
    noted = [n for n, text in pages.items() if 'class="draft-note"' in text]
    assert any("title" in n for n in noted) and any("colophon" in n for n in noted)
    command = _epubcheck_command()
    if command is not None:
        done = subprocess.run(
            [*command, str(path), "--failonwarnings"], capture_output=True, text=True, timeout=240
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_real_epub_has_no_draft_note(tmp_path: Path) -> None:
    members = _members(render_epub(english_view(), tmp_path))
    documents = [data for name, data in members.items() if name.endswith((".xhtml", ".opf"))]
    assert documents and not any(b"draft-note" in d or b"DRAFT" in d for d in documents)
