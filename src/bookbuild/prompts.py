"""What bookbuild asks chat models: the messages for writing a chapter, summarising it, and
describing an illustration (the seed tutorial's tab 1). Pure functions, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bookbuild.errors import ProviderError

DESCRIBE_SCHEMA: dict[str, Any] = {
    "name": "illustration_prompt",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "prompt": {"type": "string", "description": "English image prompt."},
            "negative_prompt": {"type": "string", "description": "What to avoid."},
        },
        "required": ["prompt", "negative_prompt"],
        "additionalProperties": False,
    },
}

LANGUAGE_NAMES = {"ko": "Korean (한국어)", "en": "English", "ja": "Japanese", "zh": "Chinese"}


@dataclass(frozen=True)
class ChapterContext:
    """What the writer knows of the book when writing one chapter."""

    book_title: str
    language: str
    premise: str
    chapter_title: str
    brief: str
    previous: tuple[tuple[str, str], ...] = ()  # (chapter title, summary) of earlier chapters


def language_name(tag: str) -> str:
    return LANGUAGE_NAMES.get(tag.split("-")[0], tag)


def write_messages(ctx: ChapterContext) -> list[dict[str, str]]:
    story_so_far = "\n".join(f"- {title}: {summary}" for title, summary in ctx.previous)
    user = "\n".join(
        part
        for part in (
            f"Book: {ctx.book_title}",
            f"Premise: {ctx.premise}" if ctx.premise else "",
            f"Story so far:\n{story_so_far}" if story_so_far else "",
            f"Write the chapter titled “{ctx.chapter_title}”.",
            f"Brief: {ctx.brief}",
        )
        if part
    )
    system = (
        f"You write chapters of an illustrated book in {language_name(ctx.language)}. "
        "Answer with the chapter text only, as Markdown paragraphs, without the chapter title."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def summarize_messages(language: str, chapter_title: str, text: str) -> list[dict[str, str]]:
    system = (
        f"Summarise book chapters in {language_name(language)} in at most three sentences, "
        "keeping names, places and open threads. Answer with the summary only."
    )
    user = f"Chapter “{chapter_title}”:\n\n{text}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def describe_messages(chapter_title: str, text: str, style_note: str) -> list[dict[str, str]]:
    system = (
        "You write prompts for a Stable Diffusion image model that illustrates a book. "
        "Read the chapter and answer with JSON: {\"prompt\": ..., \"negative_prompt\": ...}. "
        "The prompt is in English whatever the chapter's language, under 60 words, one scene, "
        "concrete subjects, setting, lighting and composition, then the style note. "
        "The negative prompt lists what to avoid (e.g. text, watermark, extra limbs)."
    )
    user = f"Style note: {style_note}\n\nChapter “{chapter_title}”:\n\n{text}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


@dataclass(frozen=True)
class ImagePrompt:
    prompt: str
    negative_prompt: str


def parse_image_prompt(reply: str, step_id: str = "") -> ImagePrompt:
    """Validate a `describe` reply; a reply that is not the JSON asked for fails the step."""
    cleaned = reply.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    try:
        data = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise ProviderError(
            f"the chat model did not answer with JSON for the image prompt ({exc.msg})",
            step_id=step_id,
        ) from exc
    prompt = data.get("prompt") if isinstance(data, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        raise ProviderError("the chat model's image prompt is empty", step_id=step_id)
    negative = data.get("negative_prompt", "")
    return ImagePrompt(prompt.strip(), negative.strip() if isinstance(negative, str) else "")
