"""CSS gradients on a print target, and colour or transparency hidden inside patterns.

A gradient in the book's stylesheet used to crash the print render with a traceback (its
colours were rewritten as device-cmyk(), which the PDF renderer cannot mix); it is now left as
written, drawn in CMYK under PDF/X, and a PDF/X-1a file says that its gradient is transparency
(a group, which X-1a forbids). The read-back walks patterns and nested forms, so an RGB
gradient of a screen PDF is found too. Files read back with pypdf."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from pypdf import PdfReader

from bookbuild.render.ink import cmyk_css
from bookbuild.render.pdf import BuildFetcher, html_to_pdf, render_pdf
from bookbuild.render.pdfcheck import Expect, check_pdf
from bookbuild.render.pdfwalk import resources_of, shadings
from tests.helpers.render_views import english_book
from tests.render.test_print_geometry import printed

GRADIENT = ".chapter-title { background: linear-gradient(#fc0, rgb(255, 96, 0)); }"
A4 = (595.276, 841.89)


def shading_spaces(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    return {
        str(shading.get("/ColorSpace"))
        for page in reader.pages
        for _, used in resources_of(page)
        for shading in shadings(used)
    }


def test_gradients_are_left_as_written_and_colours_around_them_converted() -> None:
    css = "h1 { background: linear-gradient(#c00, rgba(0, 0, 200, 0.5)) ; color: #333 }"
    assert cmyk_css(css) == (
        "h1 { background: linear-gradient(#c00, rgba(0, 0, 200, 0.5)) ; "
        "color: device-cmyk(0 0 0 0.8) }"
    )
    nested = "a { background: radial-gradient(red, url(x.png)) red; }"
    assert (
        cmyk_css(nested)
        == "a { background: radial-gradient(red, url(x.png)) device-cmyk(0 1 1 0); }"
    )


def test_a_book_stylesheet_gradient_prints_in_cmyk(tmp_path: Path) -> None:
    view = printed(english_book())
    view = dataclasses.replace(view, style=dataclasses.replace(view.style, css=GRADIENT))
    pdf = render_pdf(view, tmp_path, warn=lambda _: None)  # no NotImplementedError
    data = pdf.read_bytes()
    assert shading_spaces(data) == {"/DeviceCMYK"}
    found = check_pdf(data, Expect(trim=(432.0, 648.0), bleed=0.0))
    assert not [f for f in found if "DeviceRGB" in f]


def test_pdf_x_1a_names_a_gradient_as_transparency(tmp_path: Path) -> None:
    view = printed(english_book(), "ingramspark", pdf_x="x-1a")
    plain: list[str] = []
    render_pdf(view, tmp_path / "plain", warn=plain.append)
    assert not [w for w in plain if "transparency" in w]
    styled = dataclasses.replace(view, style=dataclasses.replace(view.style, css=GRADIENT))
    warnings: list[str] = []
    render_pdf(styled, tmp_path / "styled", warn=warnings.append)
    assert any("transparency, which PDF/X-1a forbids" in w for w in warnings), warnings


def test_an_rgb_gradient_inside_a_pattern_is_a_devicergb_finding(tmp_path: Path) -> None:
    html = '<html><body><div style="width: 80px; height: 80px; background: {}"></div></body></html>'
    flat = html_to_pdf(html.format("device-cmyk(0 0 0 1)"), BuildFetcher(tmp_path), 0)
    assert not [f for f in check_pdf(flat, Expect(trim=A4, bleed=0.0)) if "DeviceRGB" in f]
    data = html_to_pdf(html.format("linear-gradient(#c00, #00c)"), BuildFetcher(tmp_path), 0)
    assert shading_spaces(data) == {"/DeviceRGB"}
    found = check_pdf(data, Expect(trim=A4, bleed=0.0, transparency=False))
    assert "interior page 1: 1 DeviceRGB colour(s)" in " ".join(found)
    assert "a CSS gradient is drawn in RGB" in " ".join(found)
    assert "interior page 1: transparency, which PDF/X-1a forbids" in found  # its group
