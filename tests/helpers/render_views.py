"""Small BookViews with real images, shared by the render tests (holds no tests itself)."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw

from bookbuild.render.view import (
    BookView,
    ChapterView,
    IllustrationView,
    Provenance,
    StyleView,
)


def png(width: int, height: int, color: tuple[int, int, int], alpha: bool = False) -> bytes:
    mode = "RGBA" if alpha else "RGB"
    image = Image.new(mode, (width, height), (*color, 0) if alpha else color)
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 24):
        shade = (color[0] // 2, (color[1] + i) % 256, color[2] // 2, 255)
        draw.ellipse((i, i * height // width, i + 80, i * height // width + 80), fill=shade)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def illustration(
    ill_id: str,
    color: tuple[int, int, int],
    caption: str,
    alt: str,
    size: tuple[int, int] = (512, 512),
    alpha: bool = False,
) -> IllustrationView:
    data = png(*size, color, alpha)
    return IllustrationView(
        id=ill_id,
        digest="sha256:" + hashlib.sha256(data).hexdigest(),
        image=data,
        width=size[0],
        height=size[1],
        caption=caption,
        alt=alt,
        provenance=Provenance("offline", "placeholder-1", 42, f"prompt for {ill_id}", ("inpaint",)),
    )


KO_TEXT = (
    "옛날 옛적 깊은 숲속에 발이 빠른 토끼와 느릿느릿한 거북이가 살았습니다. "
    "토끼는 날마다 거북이를 놀렸습니다.\n\n"
    "\u201c느림보 거북아, 나랑 달리기 시합을 해 보지 않을래?\u201d\n\n"
    "거북이는 잠시 생각하더니 고개를 끄덕였습니다. 숲속 동물들이 모두 모여들었습니다.\n\n"
)

EN_TEXT = (
    "Once upon a time a quick hare and a slow tortoise lived in a deep forest. "
    "Every day the hare laughed at the tortoise.\n\n"
    "\u201cSlowpoke, will you race me?\u201d said the hare.\n\n"
    "The tortoise thought for a while and nodded. All the animals of the forest came to watch.\n\n"
)


def korean_book(
    theme: str = "default",
    page: str = "A5",
    chapters: int = 2,
    paragraphs: int = 3,
    images: bool = True,
) -> BookView:
    titles = ["경주의 시작", "낮잠", "결승선", "다시 만난 날"]
    chs = []
    for n in range(chapters):
        ills = (
            (
                illustration(
                    f"ill{n}", (200, 120 + 30 * n, 80), f"{titles[n % 4]} 장면", "숲속의 토끼"
                ),
            )
            if images
            else ()
        )
        chs.append(ChapterView(f"ch{n + 1}", titles[n % 4], KO_TEXT * paragraphs, ills))
    return BookView(
        title="토끼와 거북이",
        subtitle="다시 쓰는 이솝 우화",
        authors=("바람숲",),
        language="ko",
        chapters=tuple(chs),
        style=StyleView(theme=theme, page=page),
        source_date_epoch=1_700_000_000,
    )


def english_book(
    theme: str = "default",
    page: str = "A5",
    chapters: int = 2,
    paragraphs: int = 3,
    images: bool = True,
) -> BookView:
    titles = ["The Challenge", "The Nap", "The Finish Line", "Friends Again"]
    chs = []
    for n in range(chapters):
        ills = (
            (
                illustration(
                    f"ill{n}",
                    (80, 120 + 30 * n, 200),
                    f"Scene of {titles[n % 4]}",
                    "A hare in the forest",
                    size=(768, 512),
                ),
            )
            if images
            else ()
        )
        chs.append(ChapterView(f"ch{n + 1}", titles[n % 4], EN_TEXT * paragraphs, ills))
    return BookView(
        title="The Hare and the Tortoise",
        subtitle="An Aesop fable retold",
        authors=("Wind Forest", "A. Nother"),
        language="en",
        chapters=tuple(chs),
        style=StyleView(theme=theme, page=page),
        source_date_epoch=1_700_000_000,
    )
