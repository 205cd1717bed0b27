"""The read-back check of the output intent: a PDF/X intent (`/S /GTS_PDFX`), a CMYK profile
with `/N 4`. A print PDF passes; the same file with its intent made a PDF/A one does not."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from bookbuild.render.pdfcheck import Expect, check_pdf
from tests.helpers.render_views import english_book
from tests.render.test_print_geometry import TRIM, printed, quiet


def intent_findings(data: bytes) -> list[str]:
    found = check_pdf(data, Expect(trim=TRIM, bleed=0.0))
    return [f for f in found if "intent" in f]


def test_an_output_intent_that_is_not_pdf_x_is_a_finding(tmp_path: Path) -> None:
    data = quiet(printed(english_book()), tmp_path).read_bytes()
    assert intent_findings(data) == []
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    root = writer.root_object
    intent = root["/OutputIntents"][0].get_object()  # type: ignore[index]
    intent[NameObject("/S")] = NameObject("/GTS_PDFA1")
    out = io.BytesIO()
    writer.write(out)
    assert intent_findings(out.getvalue()) == [
        "interior: the output intent is /GTS_PDFA1, not a PDF/X one (/GTS_PDFX)"
    ]
