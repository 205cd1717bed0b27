"""What a provider is: one small class per back end, found through the `bookbuild.providers`
entry-point group (the built-ins register the same way as plugins).

A provider class is constructed with its preset and the environment; it declares what it can do
with class attributes, and implements `complete` (chat) and/or `run_image` (image ops).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, ClassVar, Literal, Protocol

from bookbuild.errors import ConfigError
from bookbuild.spec.models import ModelPreset

ChatTask = Literal["write", "describe", "summarize"]
ImageOp = Literal[
    "txt2img", "img2img", "inpaint", "outpaint", "upscale", "remove_background", "controlnet"
]
IMAGE_OPS: frozenset[str] = frozenset(
    {"txt2img", "img2img", "inpaint", "outpaint", "upscale", "remove_background", "controlnet"}
)


CHAT_FIELDS = frozenset({"temperature", "top_p", "max_tokens", "system"})
IMAGE_FIELDS = frozenset(
    {
        "negative_prompt",
        "width",
        "height",
        "steps",
        "guidance",
        "scheduler",
        "lora",
        "embeddings",
        "enhance_prompt",
        "safety_checker",
        "upscale_model",
    }
)


class JobJournal(Protocol):
    """Lets a provider remember a paid job under the step's key until the engine has stored its
    result: a queued job (e.g. its fetch URL) so a build killed while waiting resumes polling
    it, a finished job's answer so its result is downloaded again rather than paid again, and
    the downloaded result itself (`keep`) so nothing paid is lost between download and store.
    The engine calls `forget` once the step's result is in the store and the lock."""

    def pending(self) -> dict[str, Any] | None: ...

    def remember(self, job: dict[str, Any]) -> None: ...

    def keep(self, data: bytes) -> None: ...

    def kept(self) -> bytes | None: ...

    def forget(self) -> None: ...


class NullJournal:
    """A journal that remembers nothing (for direct calls and tests)."""

    def pending(self) -> dict[str, Any] | None:
        return None

    def remember(self, job: dict[str, Any]) -> None:
        return None

    def keep(self, data: bytes) -> None:
        return None

    def kept(self) -> bytes | None:
        return None

    def forget(self) -> None:
        return None


@dataclass(frozen=True)
class ChatRequest:
    """One chat call. `messages` is what a real chat model gets; `task`, `brief`, `source_text`
    and `language` say the same thing in structured form (the offline provider uses those)."""

    step_id: str
    task: ChatTask
    messages: list[dict[str, str]]
    language: str
    brief: str = ""
    source_text: str = ""
    json_schema: dict[str, Any] | None = None
    seed: int | None = None
    journal: JobJournal = field(default_factory=NullJournal, compare=False)


@dataclass(frozen=True)
class ChatResult:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImageRequest:
    """One image operation. Images are PNG bytes; `mask` is an 8-bit greyscale PNG of the same
    size as `image`, white (255) = repaint. Providers convert to their service's convention."""

    step_id: str
    op: ImageOp
    prompt: str = ""
    negative_prompt: str = ""
    width: int = 512
    height: int = 512
    seed: int = 0
    strength: float | None = None
    image: bytes | None = None
    mask: bytes | None = None
    control_image: bytes | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    journal: JobJournal = field(default_factory=NullJournal, compare=False)


@dataclass(frozen=True)
class ImageResult:
    png: bytes
    metadata: dict[str, Any] = field(default_factory=dict)


RetryNotice = Callable[[str, int, float], None]
"""Called by a provider before it retries: (reason, attempt number, seconds to wait)."""


class Provider:
    """Base class of every provider. Subclasses set the class attributes and implement the
    methods for what they support."""

    name: ClassVar[str] = ""
    chat: ClassVar[bool] = False
    image_ops: ClassVar[frozenset[str]] = frozenset()
    key_env: ClassVar[str | None] = None

    def __init__(
        self,
        preset: ModelPreset,
        env: Mapping[str, str],
        on_retry: RetryNotice | None = None,
    ) -> None:
        self.preset = preset
        self.env = env
        self.on_retry = on_retry

    @classmethod
    def preset_problems(cls, preset: ModelPreset) -> list[str]:
        """What is wrong with a preset for this provider, found from the spec alone (no
        environment, no network): `bookbuild validate` reports these at the preset's line.
        Subclasses extend it (call super)."""
        given = preset.model_fields_set
        unused = sorted(given & CHAT_FIELDS) if not cls.chat else []
        unused += sorted(given & IMAGE_FIELDS) if not cls.image_ops else []
        if not unused:
            return []
        kind = "image" if cls.image_ops else "chat"
        return [
            f"{', '.join(f'`{f}`' for f in unused)} has no effect on the {kind} provider "
            f"`{cls.name}`; remove it (or use a preset of another provider)"
        ]

    def check_ready(self) -> None:
        """Raise ConfigError if the provider cannot run (e.g. a missing API key). No network."""
        problems = self.preset_problems(self.preset)
        if problems:
            raise ConfigError(f"{self.name}: " + "; ".join(problems))

    def complete(self, request: ChatRequest) -> ChatResult:
        raise NotImplementedError(f"{self.name} does not do chat")

    def run_image(self, request: ImageRequest) -> ImageResult:
        raise NotImplementedError(f"{self.name} does not do image ops")

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        """Forecast in USD of one call; 0 when unknown or free."""
        return 0.0

    def price_known(self) -> bool:
        """False when `estimate_cost` cannot know the price (a model missing from a table)."""
        return True


def provider_classes() -> dict[str, type[Provider]]:
    """Every registered provider class, by name (entry-point group `bookbuild.providers`)."""
    found: dict[str, type[Provider]] = {}
    for ep in entry_points(group="bookbuild.providers"):
        cls = ep.load()
        if isinstance(cls, type) and issubclass(cls, Provider):
            found[ep.name] = cls
    return found


def provider_class(name: str) -> type[Provider]:
    classes = provider_classes()
    if name not in classes:
        known = ", ".join(sorted(classes)) or "none"
        raise ConfigError(f"unknown provider {name!r} (known: {known})")
    return classes[name]
