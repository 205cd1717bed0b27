"""The built-in `offline` provider: free, instant, deterministic drafts, no network.

`bookbuild make --draft` routes every model call here. Text comes from small phrase tables
(text), pictures are painted with Pillow (paint), and edits are really done
(image): masks applied, canvases grown, images resampled, backgrounds cut out.
Everything is derived from the request, so the same request always gives the same bytes.
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar, Literal

from bookbuild.graph.ops import CHAT_OPS
from bookbuild.providers.base import (
    ChatRequest,
    ChatResult,
    ImageRequest,
    ImageResult,
    Provider,
)
from bookbuild.providers.offline.draftmark import MARK_VERSION
from bookbuild.providers.offline.drawing import OPS
from bookbuild.providers.offline.drawing import outpaint_margins as outpaint_margins
from bookbuild.providers.offline.text import (
    describe_json,
    estimate_tokens,
    summarize_text,
    write_text,
)
from bookbuild.providers.offline.workers import DrawPool
from bookbuild.spec.presets import ChatAndImagePreset

MODEL = "offline-draft"


class OfflineOptions(ChatAndImagePreset):
    """An offline preset: every chat and image field is accepted (and none costs anything)."""


class OfflineProvider(Provider[OfflineOptions]):
    """Deterministic local stand-in for every chat and image model."""

    name: ClassVar[str] = "offline"
    ops: ClassVar[frozenset[str]] = frozenset()  # every chat op and each op of drawing
    Options = OfflineOptions
    local: ClassVar[bool] = True

    def complete(self, request: ChatRequest) -> ChatResult:
        seed = request.seed or 0
        names = [member.name for member in request.cast]
        if request.task == "write":
            text = write_text(request.brief, request.language, seed, names)
        elif request.task == "describe":
            cast = [(member.id, member.name) for member in request.cast]
            alt = request.language if request.alt else None
            text = describe_json(request.brief, request.source_text, seed, cast, alt)
        else:
            text = summarize_text(request.source_text, request.language)
        metadata = {"provider": self.name, "model": MODEL, "tokens": estimate_tokens(text)}
        return ChatResult(text, metadata)

    @cached_property
    def _draw_pool(self) -> DrawPool:
        return DrawPool()

    def run_image(self, request: ImageRequest) -> ImageResult:
        drawn = self._draw_pool.draw(request)
        metadata = {
            "provider": self.name,
            "model": MODEL,
            "seed": request.seed,
            "op": request.op,
            "width": drawn.width,
            "height": drawn.height,
            "draft_mark": MARK_VERSION,
        }
        if request.characters:
            metadata["characters"] = [c.id for c in request.characters]
        return ImageResult(drawn.png, metadata, canonical=True)

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        return 0.0

    def expect_calls(self, pictures: int) -> None:
        """A build will draw `pictures` with this preset: many are drawn on every core."""
        self._draw_pool.expect(pictures)

    def close(self) -> None:
        self._draw_pool.close()


OfflineProvider.ops = CHAT_OPS | OPS
