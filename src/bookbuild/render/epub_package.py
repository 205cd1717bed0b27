"""The EPUB container: templates, package document (OPF), XML check, reproducible zip."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bookbuild.errors import RenderError

MIMETYPE = b"application/epub+zip"
OEBPS = "OEBPS"

_ZIP_MIN_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest date a zip entry can hold
_ZIP_MAX_EPOCH = 4354819198  # 2107-12-31T23:59:58Z, the latest
_FILE_MODE = 0o100644 << 16  # regular file, rw-r--r--
_UNIX = 3  # ZipInfo.create_system
_ALREADY_COMPRESSED = (".png", ".jpg", ".jpeg")

_ENV = Environment(
    loader=PackageLoader("bookbuild", "templates/epub"),
    autoescape=select_autoescape(
        enabled_extensions=("xhtml", "opf", "xml"),
        disabled_extensions=("css",),
        default=True,
    ),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Item:
    """A manifest entry: id, path relative to the OPF, media type, EPUB properties."""

    item_id: str
    href: str
    media_type: str
    properties: str = ""


@dataclass(frozen=True)
class Page:
    """An XHTML content document, in spine order."""

    item_id: str
    href: str
    title: str
    xhtml: str
    landmark: str = ""  # epub:type in the landmarks nav ("" = not a landmark)
    in_toc: bool = False
    properties: str = ""
    spine_properties: str = ""  # e.g. "rendition:layout-reflowable" inside a fixed layout

    @property
    def item(self) -> Item:
        return Item(self.item_id, self.href, "application/xhtml+xml", self.properties)


def render_template(name: str, **context: Any) -> str:
    """Render `templates/epub/<name>` (autoescaped unless it is CSS)."""
    return _ENV.get_template(name).render(**context)


def build_package(
    metadata: dict[str, Any],
    pages: list[Page],
    resources: list[tuple[Item, bytes]],
    images: list[tuple[Item, bytes]],
) -> dict[str, bytes]:
    """Container, OPF, pages, stylesheets and images by their path in the zip (not `mimetype`)."""
    others = [*resources, *images]
    manifest = [page.item for page in pages] + [item for item, _ in others]
    opf = render_template(
        "content.opf",
        lang=metadata["language"],
        meta=metadata,
        manifest=manifest,
        spine=[(page.item_id, page.spine_properties) for page in pages],
        cover_id=next((i.item_id for i in manifest if i.properties == "cover-image"), ""),
    )
    files = {
        "META-INF/container.xml": render_template("container.xml", opf=f"{OEBPS}/content.opf"),
        f"{OEBPS}/content.opf": opf,
        **{f"{OEBPS}/{page.href}": page.xhtml for page in pages},
    }
    for name, text in files.items():
        _check_well_formed(name, text)
    encoded = {name: text.encode("utf-8") for name, text in files.items()}
    encoded.update({f"{OEBPS}/{item.href}": data for item, data in others})
    return encoded


def _check_well_formed(name: str, text: str) -> None:
    try:
        ElementTree.fromstring(text.encode("utf-8"))
    except ElementTree.ParseError as exc:
        raise RenderError(f"EPUB: {name} is not well-formed XML ({exc})") from exc


def zip_package(files: dict[str, bytes], source_date_epoch: int) -> bytes:
    """The EPUB zip: `mimetype` first and stored, then every file in name order, fixed dates."""
    date_time = _zip_date_time(source_date_epoch)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(archive, "mimetype", MIMETYPE, date_time, zipfile.ZIP_STORED)
        for name in sorted(files):
            stored = name.lower().endswith(_ALREADY_COMPRESSED)
            method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            _write(archive, name, files[name], date_time, method)
    return buffer.getvalue()


def _write(
    archive: zipfile.ZipFile,
    name: str,
    data: bytes,
    date_time: tuple[int, int, int, int, int, int],
    method: int,
) -> None:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = method
    info.external_attr = _FILE_MODE
    info.create_system = _UNIX
    archive.writestr(info, data, compresslevel=9 if method == zipfile.ZIP_DEFLATED else None)


def _zip_date_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    clamped = min(max(epoch, _ZIP_MIN_EPOCH), _ZIP_MAX_EPOCH)
    moment = datetime.fromtimestamp(clamped, tz=UTC)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
