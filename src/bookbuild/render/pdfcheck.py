"""Preflight of a written print PDF, read back the way a printer's checker reads it: page boxes
per page side (bleed only on the top, bottom and outside edge), the colour of every content
stream, image and shading, in patterns and nested forms too (no DeviceRGB; see pdfwalk), fonts
embedded, picture resolution at its placed size (`pdfimages -list`), the PDF/X output intent
(a CMYK profile with /N 4), the trailer /ID, text inside the safe zone (`pdftotext -bbox`) and
total ink from a CMYK raster (`pdftoppm`). Each finding is one sentence naming the page and
the fix."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ContentStream

from .images import PRINT_DPI
from .pdfwalk import images, is_rgb, nested, resources_of, shadings

__all__ = ["Expect", "check_pdf"]

RGB_OPERATORS = {b"rg", b"RG"}
SPACE_OPERATORS = {b"cs", b"CS"}
INK_DPI = 24  # raster resolution of the ink check (coverage is an area measure)
TOLERANCE = 0.05  # points


@dataclass(frozen=True)
class Expect:
    """What the PDF must be (points; `safe` None: no text check)."""

    trim: tuple[float, float]
    bleed: float
    sides: bool = True  # bleed on the outside edge only (an interior); False: all round (cover)
    safe: tuple[float, float] | None = None  # (top/bottom/outside, inside) distances
    ink_limit: int = 300
    what: str = "interior"
    even_pages: bool = True
    skip_safe_pages: frozenset[int] = field(default_factory=frozenset)  # 1-based
    transparency: bool = True  # allowed (PDF/X-4); False: PDF/X-1a
    ppi: bool = False  # check image ppi here (render_pdf checks placements, with step ids)


def check_pdf(data: bytes, expect: Expect) -> list[str]:
    """Every finding on the PDF `data`, interior or cover."""
    reader = PdfReader(io.BytesIO(data))
    found = [*_boxes(reader, expect), *_colours(reader, expect.what)]
    found += [*_fonts(reader, expect.what), *_intent(reader, expect.what)]
    if not expect.transparency:
        found += _transparency(reader, expect.what)
    if expect.even_pages and len(reader.pages) % 2:
        found.append(f"{expect.what}: {len(reader.pages)} pages, an odd count (pad to even)")
    with tempfile.TemporaryDirectory(prefix="bookbuild-pdfcheck-") as tmp:
        path = Path(tmp) / "check.pdf"
        path.write_bytes(data)
        if expect.ppi:
            found += _image_ppi(path, expect.what)
        if expect.safe is not None:
            found += _text_outside_safe(path, reader, expect)
        found += _ink(path, Path(tmp), expect)
    return found


# -- boxes ---------------------------------------------------------------------------------
def _box(page: Any, name: str) -> tuple[float, float, float, float]:
    box = page.get(name) or page["/MediaBox"]
    left, bottom, right, top = (float(v) for v in box)
    return left, bottom, right, top


def page_boxes(page: Any) -> dict[str, tuple[float, float, float, float]]:
    return {name: _box(page, f"/{name}") for name in ("MediaBox", "TrimBox", "BleedBox")}


def expected_bleed(index: int, bleed: float, sides: bool) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) bleed of page `index` (0-based: even = right-hand page)."""
    if not sides:
        return bleed, bleed, bleed, bleed
    right_page = index % 2 == 0
    return (0.0 if right_page else bleed), bleed, (bleed if right_page else 0.0), bleed


def _boxes(reader: PdfReader, expect: Expect) -> Iterator[str]:
    for index, page in enumerate(reader.pages):
        boxes = page_boxes(page)
        media, trim, bleed_box = boxes["MediaBox"], boxes["TrimBox"], boxes["BleedBox"]
        size = (trim[2] - trim[0], trim[3] - trim[1])
        if any(abs(a - b) > TOLERANCE for a, b in zip(size, expect.trim, strict=True)):
            yield (
                f"{expect.what} page {index + 1}: TrimBox {size[0] / 72:.3f}x{size[1] / 72:.3f}"
                f" in, expected the trim {expect.trim[0] / 72:.3f}x{expect.trim[1] / 72:.3f} in"
            )
            continue
        want = expected_bleed(index, expect.bleed, expect.sides)
        have = (trim[0] - media[0], trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
        if any(abs(a - b) > TOLERANCE for a, b in zip(have, want, strict=True)):
            yield (
                f"{expect.what} page {index + 1}: bleed (left, bottom, right, top) "
                f"{_inches(have)} in, expected {_inches(want)} in"
            )
        if any(abs(a - b) > TOLERANCE for a, b in zip(bleed_box, media, strict=True)):
            yield f"{expect.what} page {index + 1}: BleedBox differs from the MediaBox"


def _inches(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v / 72:.3f}" for v in values)


# -- colours and fonts ---------------------------------------------------------------------
def _rgb_uses(stream: Any, reader: PdfReader, resources: Any) -> int:
    """Operators of one content stream that set an RGB colour."""
    spaces = (resources or {}).get("/ColorSpace") or {}
    count = 0
    for operands, operator in ContentStream(stream, reader).operations:
        if operator in RGB_OPERATORS:
            count += 1
        elif operator in SPACE_OPERATORS and operands:
            name = operands[0]
            space = spaces.get(name, name) if hasattr(spaces, "get") else name
            count += int(is_rgb(space))
    return count


def _colours(reader: PdfReader, what: str) -> Iterator[str]:
    seen: set[int] = set()
    for index, page in enumerate(reader.pages):
        resources = page.get("/Resources")
        contents = page.get_contents()
        count = _rgb_uses(contents, reader, resources) if contents is not None else 0
        for stream, inner in nested(resources, seen):
            count += _rgb_uses(stream, reader, inner)
        for _, used in resources_of(page):
            count += sum(1 for image in images(used) if is_rgb(image.get("/ColorSpace")))
            count += sum(1 for shading in shadings(used) if is_rgb(shading.get("/ColorSpace")))
        if count:
            yield (
                f"{what} page {index + 1}: {count} DeviceRGB colour(s); a print PDF needs "
                "CMYK (your stylesheet's colours are converted, but a CSS gradient is drawn in "
                "RGB: use a flat colour or a picture; an SVG or other vector art of your own "
                "must be drawn in CMYK, or made a raster picture)"
            )


def _fonts(reader: PdfReader, what: str) -> Iterator[str]:
    missing: set[str] = set()
    for page in reader.pages:
        fonts = ((page.get("/Resources") or {}).get("/Font")) or {}
        for ref in fonts.values():
            font = ref.get_object()
            if font.get("/Subtype") == "/Type3":
                continue
            target = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    if missing:
        yield f"{what}: fonts not embedded: {', '.join(sorted(missing))}"


def _intent(reader: PdfReader, what: str) -> Iterator[str]:
    root: Any = reader.trailer["/Root"]
    intents = root.get("/OutputIntents")
    if not intents:
        yield f"{what}: no PDF/X output intent"
        return
    intent = intents[0].get_object()
    if str(intent.get("/S")) != "/GTS_PDFX":
        yield f"{what}: the output intent is {intent.get('/S')}, not a PDF/X one (/GTS_PDFX)"
    profile = intent.get("/DestOutputProfile")
    stream = profile.get_object() if profile is not None else None
    if stream is None:
        yield f"{what}: the output intent has no profile"
    else:
        data = stream.get_data()
        space = data[16:20].decode("ascii", "replace")
        if stream.get("/N") != 4 or space != "CMYK":
            yield (
                f"{what}: output intent profile is {space!r} with /N {stream.get('/N')} "
                "(PDF/X needs the CMYK profile with /N 4)"
            )
    if "/ID" not in reader.trailer:
        yield f"{what}: the trailer has no /ID (PDF/X requires one)"


def _transparency(reader: PdfReader, what: str) -> Iterator[str]:
    """PDF/X-1a: no soft mask (of an image or a graphics state), no constant alpha below 1, no
    blend mode but Normal, no transparency group — on the page or in anything it draws."""
    for index, page in enumerate(reader.pages):
        if any(_transparent(owner, used) for owner, used in resources_of(page)):
            yield f"{what} page {index + 1}: transparency, which PDF/X-1a forbids"


def _transparent(owner: Any, resources: Any) -> bool:
    group = owner.get("/Group")
    if group is not None and str(group.get_object().get("/S")) == "/Transparency":
        return True
    for ref in ((resources or {}).get("/ExtGState") or {}).values():
        state = ref.get_object()
        if any(float(state.get(key, 1)) < 1 for key in ("/ca", "/CA")):
            return True
        if str(state.get("/SMask", "/None")) != "/None":
            return True
        if str(state.get("/BM", "/Normal")) not in ("/Normal", "/Compatible"):
            return True
    return any("/SMask" in image for image in images(resources))


# -- read back with poppler ----------------------------------------------------------------
def _run(args: list[str]) -> str | None:
    try:
        result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def image_ppi(path: Path) -> list[tuple[int, int]]:
    """(page, ppi) of every placed image (the smaller of x and y ppi), from `pdfimages -list`."""
    listed = _run(["pdfimages", "-list", str(path)])
    rows = []
    for line in (listed or "").splitlines()[2:]:
        cols = line.split()
        if len(cols) >= 14 and cols[2] == "image":
            rows.append((int(cols[0]), min(int(cols[12]), int(cols[13]))))
    return rows


def _image_ppi(path: Path, what: str) -> Iterator[str]:
    for page, ppi in image_ppi(path):
        if ppi < PRINT_DPI:
            yield f"{what} page {page}: a picture printed at {ppi} ppi (print needs {PRINT_DPI})"


_WORD = re.compile(
    r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>'
)
_PAGE = re.compile(r"<page width=")


def text_boxes(path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, each word's (left, top, right, bottom) from the MediaBox's top-left."""
    text = _run(["pdftotext", "-bbox", str(path), "-"]) or ""
    pages: list[list[tuple[float, float, float, float, str]]] = []
    for chunk in _PAGE.split(text)[1:]:
        words = [(*(float(v) for v in m.groups()[:4]), m.group(5)) for m in _WORD.finditer(chunk)]
        pages.append(words)  # type: ignore[arg-type]
    return pages


def _text_outside_safe(path: Path, reader: PdfReader, expect: Expect) -> Iterator[str]:
    assert expect.safe is not None
    outside, inside = expect.safe
    for index, words in enumerate(text_boxes(path)):
        if index + 1 in expect.skip_safe_pages or index >= len(reader.pages):
            continue
        boxes = page_boxes(reader.pages[index])
        media, trim = boxes["MediaBox"], boxes["TrimBox"]
        dx, dy = trim[0] - media[0], media[3] - trim[3]  # trim's top-left in the raster
        width, height = trim[2] - trim[0], trim[3] - trim[1]
        right_page = index % 2 == 0
        left_min = inside if right_page else outside
        right_min = outside if right_page else inside
        for x0, y0, x1, y1, word in words:
            x0, x1, y0, y1 = x0 - dx, x1 - dx, y0 - dy, y1 - dy
            gaps = {"top": y0, "bottom": height - y1, "left": x0, "right": width - x1}
            mins = {"top": outside, "bottom": outside, "left": left_min, "right": right_min}
            close = [s for s in gaps if gaps[s] < mins[s] - TOLERANCE]
            if close:
                side = close[0]
                yield (
                    f"{expect.what} page {index + 1}: {word!r} is {gaps[side] / 72:.3f} in from "
                    f"the {side} trim, inside the safe zone ({mins[side] / 72:.3f} in)"
                )
                break


def ink_coverage(path: Path, tmp: Path, dpi: int = INK_DPI) -> list[int]:
    """Per page, the highest total ink (C+M+Y+K, percent) of a CMYK raster of the page."""
    from PIL import Image, ImageMath

    prefix = tmp / "ink"
    args = ["pdftoppm", "-tiff", "-overprint", "-r", str(dpi), str(path), str(prefix)]
    if _run(args) is None:  # -tiff -overprint: a lossless CMYK raster
        return []
    found = []
    for raster in sorted(tmp.glob("ink-*.tif"), key=lambda p: int(p.stem.split("-")[-1])):
        with Image.open(raster) as image:
            c, m, y, k = image.split()
            total = ImageMath.lambda_eval(
                lambda a: a["c"] + a["m"] + a["y"] + a["k"], c=c, m=m, y=y, k=k
            )
            peak = total.getextrema()[1]
        found.append(round(float(peak) * 100 / 255))
    return found


def _ink(path: Path, tmp: Path, expect: Expect) -> Iterator[str]:
    for page, ink in enumerate(ink_coverage(path, tmp), start=1):
        if ink > expect.ink_limit:
            yield (
                f"{expect.what} page {page}: total ink {ink}% over the printer's limit of "
                f"{expect.ink_limit}%"
            )
