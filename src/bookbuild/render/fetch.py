"""What the PDF renderer may load: files inside the build folder (or prepared in memory for
it) and data: URLs. Everything else (file:// elsewhere, symlinks leading out, other hosts,
ftp) is refused by raising FetchRefused. Kept free of WeasyPrint so it is cheap to test.

The document's base URL is a fixed virtual address (`BASE_URL`, under the reserved `.invalid`
domain, never contacted) mapped onto the build folder: WeasyPrint names images after their
URL, so a base that does not depend on where the book is built keeps the PDF bytes identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import FetchRefused, RenderError

BASE_URL = "https://build.bookbuild.invalid/"


def inside(path: Path, root: Path) -> Path:
    """`path` with symlinks resolved, if it stays inside `root`; FetchRefused otherwise."""
    base = root.resolve()
    target = path.resolve()
    if not target.is_relative_to(base):
        raise FetchRefused(f"refused to load {path}: outside the build folder {base}")
    return target


def build_path(out_dir: Path, *parts: str) -> Path:
    """`out_dir/parts...`, after checking that neither the build folder nor a folder on the way
    is a symlink: a book whose `build` (or `build/assets`) links elsewhere would otherwise have
    its outputs written, and the PDF's files read, outside the book."""
    real = out_dir.absolute().parent.resolve() / out_dir.absolute().name
    target = real.joinpath(*parts)
    folder = target.parent if parts else target
    if folder.resolve() != folder:
        raise RenderError(
            f"{out_dir.joinpath(*parts[:-1])} is a symlink (or inside one) leading elsewhere; "
            "outputs are written only inside the real build folder: remove the link"
        )
    return out_dir.joinpath(*parts)


def local_path(url: str, root: Path) -> Path:
    """The file inside `root` that a URL names: a file:// URL or one under BASE_URL."""
    if url.startswith(BASE_URL):
        relative = unquote(urlsplit(url).path).lstrip("/")
        return inside(root.resolve() / relative, root)
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        raise FetchRefused(f"refused to fetch {url!r}: only the build folder's files are served")
    if parts.netloc not in ("", "localhost"):
        raise FetchRefused(f"refused to fetch {url!r}: remote file URL")
    return inside(Path(unquote(parts.path)), root)


def fetch_bytes(url: str, root: Path, prepared: Mapping[Path, bytes]) -> bytes:
    """The bytes a URL names: a prepared in-memory file, or a regular file inside `root`."""
    target = local_path(url, root)
    if target in prepared:
        return prepared[target]
    if not target.is_file():
        raise FetchRefused(f"refused to fetch {url!r}: no such file in the build folder")
    return target.read_bytes()
