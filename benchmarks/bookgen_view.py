"""A generated Korean BookView (no build): the text of bookgen.py, two small pictures a
chapter, for timing the renderers alone (benchmarks/bench_render.py)."""

from __future__ import annotations

import hashlib
import io

from bookgen import chapter_text
from PIL import Image, ImageDraw

from bookbuild.render.view import BookView, ChapterView, IllustrationView, Provenance


def picture(n: int, size: int = 256) -> bytes:
    image = Image.new("RGB", (size, size), (200, (40 * n) % 256, 120))
    ImageDraw.Draw(image).ellipse((n % 64, n % 48, size - 20, size - 30), fill=(30, 90, n % 256))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def illustration(n: int, name: str, caption: str | None) -> IllustrationView:
    data = picture(n)
    return IllustrationView(
        id=name,
        digest="sha256:" + hashlib.sha256(data).hexdigest(),
        image=data,
        width=256,
        height=256,
        caption=caption,
        alt=f"장면 {n}",
        provenance=Provenance("offline", "offline-draft", n, f"watercolor scene {n}"),
    )


def korean_view(chapters: int) -> BookView:
    return BookView(
        title=f"숲속 이야기 {chapters}장",
        language="ko",
        authors=("벤치마크",),
        chapters=tuple(
            ChapterView(
                id=f"ch{n:03d}",
                title=f"제{n}장 숲속의 하루",
                markdown=chapter_text(n),
                illustrations=(
                    illustration(2 * n, "scene", f"제{n}장의 풍경"),
                    illustration(2 * n + 1, "friend", None),
                ),
            )
            for n in range(1, chapters + 1)
        ),
        source_date_epoch=1_700_000_000,
    )
