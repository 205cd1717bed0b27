"""`bookbuild make` on a print target: the cover wrap and the preflight end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import copy_sample


def print_sample(tmp_path: Path) -> Path:
    folder = copy_sample("lighthouse-fox", tmp_path)
    spec = folder / "book.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(
        text.replace("style: {theme: default, page: A5}", "style: {page: 6x9in, print: kdp}")
        + "blurb: A fox keeps the lamp burning.\n",
        "utf-8",
    )
    return folder


def make(folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "bookbuild.cli.commands",
        "make",
        str(folder),
        "--draft",
        "--plain",
    ]
    return subprocess.run(
        [*command, *options], capture_output=True, text=True, timeout=600, check=False
    )


def test_make_writes_interior_and_cover_and_warns_then_strict_fails(tmp_path: Path) -> None:
    folder = print_sample(tmp_path)
    done = make(folder)
    assert done.returncode == 0, done.stdout + done.stderr
    build = folder / "build"
    assert (build / "lighthouse-fox.pdf").is_file() and (
        build / "lighthouse-fox-cover.pdf"
    ).is_file()
    said = done.stdout + done.stderr
    assert "preflight:" in said and "ppi" in said and "at least 24 pages" in said
    strict = make(folder, "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "print preflight for Amazon KDP (--strict)" in strict.stderr
    assert "Traceback" not in strict.stderr


SVG = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='10'%3E"
    "%3Crect width='10' height='10' fill='%23ff0000'/%3E%3C/svg%3E"
)


def test_a_finding_of_the_written_pdf_fails_strict_and_writes_no_pdf(tmp_path: Path) -> None:
    folder = print_sample(tmp_path)
    (folder / "ornament.css").write_text(f'h1 {{ background: url("{SVG}") no-repeat; }}', "utf-8")
    spec = folder / "book.yaml"
    text = spec.read_text("utf-8")
    spec.write_text(text.replace("print: kdp}", "print: kdp, css: ornament.css}"), "utf-8")
    strict = make(folder, "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    said = strict.stderr
    assert "print preflight for Amazon KDP (--strict)" in said
    assert "DeviceRGB colour(s); a print PDF needs CMYK" in said and "Traceback" not in said
    assert not list((folder / "build").glob("*.pdf"))
    (folder / "ornament.css").write_text("h1 { letter-spacing: 0.02em; }", "utf-8")
    plain = make(folder, "--strict")
    assert "DeviceRGB" not in plain.stderr  # the same book without the RGB ornament
