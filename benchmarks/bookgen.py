"""Generated Korean books for the benchmarks: N chapters, two illustrations each, some edits.

    python benchmarks/bookgen.py 60 /tmp/book60

Hand-written chapters (`file:`) alternate with chapters the (offline, in a draft) writer
writes; every chapter has a `prompt:` picture and a `describe:` picture, every second one an
inpaint edit, every fifth an upscale. `illustrations` sets the pictures per chapter instead
(prompt-only), for planning large books.
"""

from __future__ import annotations

import sys
from pathlib import Path

PARAGRAPHS = (
    "바람숲 마을의 아침은 언제나 조용하게 시작되었다. 안개가 낮게 깔린 들판 위로 해가 "
    "천천히 떠오르면, 숲속 친구들은 하나둘 잠에서 깨어 기지개를 켰다.",
    "토끼는 누구보다 빨랐지만 누구보다 쉽게 지루해했다. 거북이는 느렸지만 한 번 시작한 "
    "일은 끝까지 해내는 친구였다. 두 친구는 서로를 신기하게 바라보곤 했다.",
    "그날 오후, 숲속 광장에는 작은 소문이 돌았다. 올해의 달리기 경주에 모두가 참가할 수 "
    "있다는 것이었다. 다람쥐와 부엉이는 벌써부터 응원 깃발을 만들기 시작했다.",
    "길은 생각보다 길었고, 언덕은 생각보다 가팔랐다. 하지만 한 걸음씩 나아가는 발자국은 "
    "어느새 강가에 닿아 있었다. 물소리가 잔잔하게 귀를 간질였다.",
)
HEADER = """# A generated Korean book for the bookbuild benchmarks.
title: 숲속 이야기 {chapters}장
authors: [벤치마크]
language: ko
premise: 숲속 친구들이 함께 자라며 배우는 이야기.
models:
  writer:  {{provider: openai, model: gpt-4o-mini}}
  painter: {{provider: sdapi, model: sdxl, width: 768, height: 768, steps: 30}}
defaults: {{text: writer, prompt: writer, image: painter}}
style: {{theme: default, page: A5}}
cover:
  id: front
  prompt: "watercolor cover, a forest village at dawn"
  seed: 7
chapters:
"""


def chapter_yaml(n: int, illustrations: int | None) -> str:
    lines = [f"  - id: ch{n:03d}", f"    title: 제{n}장 숲속의 하루"]
    if n % 2:
        lines.append(f"    file: chapters/ch{n:03d}.md")
    else:
        lines.append(f'    write: "제{n}장: 숲속 친구들이 새로운 모험을 떠난다. 1500자 안팎."')
    lines.append("    illustrations:")
    if illustrations is not None:
        for i in range(illustrations):
            lines.append(f'      - {{id: p{i}, prompt: "watercolor scene {n} {i}", seed: {i}}}')
        return "\n".join(lines) + "\n"
    lines += [
        "      - id: scene",
        f'        prompt: "watercolor forest scene number {n}, soft light"',
        f"        seed: {n}",
        f"        caption: 제{n}장의 풍경",
        "      - id: friend",
        '        describe: "gentle watercolor, children\'s book"',
    ]
    edits = []
    if n % 2 == 0:
        edits.append('{inpaint: {mask: {rect: [0.0, 0.7, 1.0, 1.0]}, prompt: "wild flowers"}}')
    if n % 5 == 0:
        edits.append("upscale")
    if edits:
        lines.append("        edits: [" + ", ".join(edits) + "]")
    return "\n".join(lines) + "\n"


def chapter_text(n: int) -> str:
    body = "\n\n".join(PARAGRAPHS[(n + i) % len(PARAGRAPHS)] for i in range(6))
    return f"{body}\n"


def generate(chapters: int, folder: Path, illustrations: int | None = None) -> Path:
    """Write a book of `chapters` chapters into `folder` (created) and return it."""
    (folder / "chapters").mkdir(parents=True, exist_ok=True)
    parts = [HEADER.format(chapters=chapters)]
    for n in range(1, chapters + 1):
        parts.append(chapter_yaml(n, illustrations))
        if n % 2:
            (folder / "chapters" / f"ch{n:03d}.md").write_text(chapter_text(n), encoding="utf-8")
    (folder / "book.yaml").write_text("".join(parts), encoding="utf-8")
    return folder


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
