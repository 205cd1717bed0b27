"""Alt text a book gets without `alt:` or a caption: in an English book the picture's prompt
(it describes the picture), in any other language the picture's name in that language, never
the English prompt (read back from the EPUB of a draft build)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import copy_sample


def epub_alts(folder: Path) -> dict[str, str]:
    """src -> alt of every <img> of the built EPUB."""
    command = [sys.executable, "-m", "bookbuild.cli.commands", "make", str(folder)]
    done = subprocess.run(
        [*command, "--draft", "--plain", "--format", "epub"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    [epub] = (folder / "build").glob("*.epub")
    alts: dict[str, str] = {}
    with zipfile.ZipFile(epub) as archive:
        for name in archive.namelist():
            if name.endswith(".xhtml"):
                page = archive.read(name).decode()
                for src, alt in re.findall(r'<img src="([^"]+)" alt="([^"]*)"', page):
                    alts[f"{name}:{src}"] = alt
    return alts


def test_a_korean_book_names_its_uncaptioned_pictures_in_korean(tmp_path: Path) -> None:
    alts = epub_alts(copy_sample("hare-and-tortoise", tmp_path, defaults_version=1))
    values = set(alts.values())
    assert "「토끼와 거북이」 표지" in values  # the cover
    assert "「느리지만 꾸준하게」의 그림 1" in values  # steady/path: no caption
    assert "거북이가 먼저 결승선을 넘었습니다." in values  # a caption stays the alt
    assert not [a for a in values if re.search(r"[A-Za-z]{4,}", a)], values  # no English prompt


def test_an_english_book_describes_an_uncaptioned_picture_by_its_prompt(
    tmp_path: Path,
) -> None:
    alts = epub_alts(copy_sample("lighthouse-fox", tmp_path, defaults_version=1))
    storm = [alt for key, alt in alts.items() if "lamp" in key or "chapter-002" in key]
    assert storm and all(len(alt.split()) > 3 for alt in storm), alts  # a described picture
    assert "The lighthouse at dusk." in alts.values()
