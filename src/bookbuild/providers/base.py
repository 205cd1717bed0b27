"""What a provider is: one small class per back end (see `registry` for how they are found).

A provider class declares what it can do with class attributes: `ops` (exactly the op names of
`bookbuild.graph.ops` it implements), `Options` (the pydantic model of its presets' fields,
validated at book.yaml:LINE:COL and exported by `bookbuild schema`), `key_env` / `base_url_env`
(where its key and address come from). It is constructed with one preset and the environment,
implements `complete` (chat ops) and/or `run_image` (image ops), and is closed at the end of a
build.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from bookbuild.errors import ConfigError, Interrupted, ProviderError
from bookbuild.graph.ops import CHAT_OPS, IMAGE_OPS
from bookbuild.providers.memo import BuildMemo
from bookbuild.spec.catalog import CastNeeds as CastNeeds  # with the catalog: validate uses it
from bookbuild.spec.catalog import CastProblem as CastProblem
from bookbuild.spec.presets import Lora, Preset
from bookbuild.store.journal import JobJournal, NullJournal

if TYPE_CHECKING:
    from PIL import Image

    from bookbuild.providers.batch import BatchBook

ChatTask = Literal["write", "describe", "summarize"]
ImageOp = Literal[
    "txt2img",
    "img2img",
    "inpaint",
    "outpaint",
    "upscale",
    "remove_background",
    "controlnet",
    "erase",
    "replace",
]
OptionsT = TypeVar("OptionsT", bound=Preset)


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
    cast: tuple[CastName, ...] = ()
    """The book's characters as the writer and the describer know them (no looks)."""
    alt: bool = False
    """`describe`: the reply also carries `alt`, the picture's alt text in `language`."""
    journal: JobJournal = field(default_factory=NullJournal, compare=False)


@dataclass(frozen=True)
class CastName:
    """A character as a chat step knows it: its id (the `{id}` placeholder of prompts), its
    name in the book's text and, for the writer, its traits. Never the visual description."""

    id: str
    name: str
    traits: str = ""


@dataclass(frozen=True)
class ChatResult:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CharacterRef:
    """One character of the book's cast shown in a picture, as a back end receives it.

    The prompt already holds `description` verbatim (placeholders expanded by the runner); a
    back end that takes identity references sends `images` through its own mechanism
    (IP-Adapter, reference pictures, a LoRA) and records in its result metadata what it sent.
    """

    id: str
    """The cast id in book.yaml (`characters.<id>`)."""
    name: str
    """The name as it appears in the book's text."""
    description: str
    """The canonical visual description (one phrase, never paraphrased)."""
    images: tuple[bytes, ...] = ()
    """Reference pictures (PNG bytes): the author's files or the generated character sheet."""
    lora: Lora | None = None
    """A LoRA of this character, for back ends that take LoRAs."""
    weight: float = 0.6
    """How strongly the reference steers the picture (IP-Adapter scale and the like)."""


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
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Other files of the book the step reads (e.g. a ComfyUI `workflow`), by role."""
    characters: tuple[CharacterRef, ...] = ()
    """The cast members this picture shows, in prompt order (see CharacterRef)."""
    style_images: tuple[bytes, ...] = ()
    """`style.art.reference` pictures (PNG bytes), for back ends with a style reference."""
    journal: JobJournal = field(default_factory=NullJournal, compare=False)


@dataclass(frozen=True)
class ImageResult:
    png: bytes
    metadata: dict[str, Any] = field(default_factory=dict)
    canonical: bool = False
    """True when `png` is bookbuild's own encoding (`encode_png`, or `encode_draft_png` for the
    offline provider's drafts): kept as it is, instead of
    being decoded and encoded again. Bytes from a service are not, and are re-encoded."""

    @classmethod
    def of_image(cls, image: Image.Image, metadata: dict[str, Any]) -> ImageResult:
        """The result for a picture the provider holds decoded: encoded once, here."""
        from bookbuild.media.images import encode_png

        return cls(encode_png(image), metadata, canonical=True)


RetryNotice = Callable[[str, int, float], None]
"""Called by a provider before it retries: (reason, attempt number, seconds to wait)."""


MISSING_KEY = "no API key:"
"""Starts every missing-key message (the pool then adds how to build a free draft instead)."""


class Provider(Generic[OptionsT]):
    """Base of every provider. Subclasses set the class attributes and implement the methods
    for what they support."""

    name: ClassVar[str] = ""
    ops: ClassVar[frozenset[str]] = frozenset()
    Options: ClassVar[type[Preset]] = Preset  # the default: the fields its ops need
    key_env: ClassVar[str | None] = None  # environment variable of the API key, if it needs one
    key_url: ClassVar[str] = ""  # where an author gets that key (named by the missing-key error)
    base_url_env: ClassVar[str | None] = None  # environment variable overriding the address
    default_base_url: ClassVar[str] = ""
    local: ClassVar[bool] = False  # runs on the author's machine: no money is spent
    pools: ClassVar[bool] = False  # `base_url` may list several servers (providers/servers.py)

    def __init__(
        self,
        preset: OptionsT,
        env: Mapping[str, str],
        on_retry: RetryNotice | None = None,
    ) -> None:
        self.preset = preset
        self.env = env
        self.on_retry = on_retry
        self.stop = threading.Event()  # set (by the pool's owner) when Ctrl-C stops the build
        self.batch_book: BatchBook | None = None  # the build's batches (providers/batch.py)
        self.batch_all = False  # `make --batch`: every step that can wait goes in a batch
        self.shared = BuildMemo()  # the build's (set by the pool): listings read once per build

    def pause(self, seconds: float) -> None:
        """Wait `seconds` (a retry's backoff, a poll); Interrupted at once if the build is
        stopping, so Ctrl-C never waits for a backoff or a job's deadline."""
        if self.stop.wait(seconds):
            raise Interrupted("stopped by Ctrl-C while waiting; `bookbuild make` goes on from here")

    def check_stop(self) -> None:
        """Interrupted if the build is stopping: called before anything is paid for."""
        if self.stop.is_set():
            raise Interrupted("stopped by Ctrl-C before this step was sent")

    @classmethod
    def does_chat(cls) -> bool:
        return bool(cls.ops & CHAT_OPS)

    @classmethod
    def image_ops(cls) -> frozenset[str]:
        return cls.ops & IMAGE_OPS

    @classmethod
    def ops_for(cls, preset: OptionsT) -> frozenset[str]:
        """The ops one preset can do (`validate` asks this): `ops`, unless an option or the
        model of the preset decides (a server extension it says is installed; openai: chat
        models write, GPT image models draw)."""
        return cls.ops

    @classmethod
    def preset_problems(cls, preset: OptionsT) -> list[str]:
        """What is wrong with a preset for this provider, found from the spec alone (no
        environment, no network): `bookbuild validate` reports these at the preset's line.
        Subclasses extend it (call super)."""
        return []

    @classmethod
    def request_problems(
        cls, preset: OptionsT, *, size: tuple[int, int] | None, texts: tuple[str, ...]
    ) -> list[str]:
        """What this provider cannot do with one illustration or edit of the spec: its size (when
        the spec sets one) and the literal texts it sends (prompts, search words). `validate`
        reports these at the illustration or edit. No environment, no network."""
        return []

    @classmethod
    def preset_op_problem(cls, preset: OptionsT, op: str) -> str | None:
        """Why this preset cannot do `op`, one of `ops` (e.g. a ComfyUI workflow whose inputs
        take no picture cannot do img2img); None when it can."""
        return None

    @classmethod
    def cast_problems(cls, preset: OptionsT, op: str, needs: CastNeeds) -> list[CastProblem]:
        """What this preset cannot do with one picture's cast (references, LoRAs, the art
        style's reference) for `op`, from the spec alone: `validate` reports these at the
        illustration or edit. Errors stop the build; warnings say a reference is not used (e.g.
        a back end with no identity reference: the character relies on its description)."""
        return []

    @classmethod
    def book_file_problems(
        cls, preset: OptionsT, role: str, data: bytes
    ) -> list[tuple[tuple[str, ...], str]]:
        """What is wrong with a file the preset reads (`Preset.book_files`), from its bytes:
        (where in the preset, e.g. `("inputs", "seed")`, message) pairs."""
        return []

    def check_ready(self) -> None:
        """Raise ConfigError if the provider cannot run (e.g. a missing API key). No network."""
        problems = self.preset_problems(self.preset)
        if isinstance(self.preset.base_url, list) and not self.pools:
            problems.append(
                "`base_url` is one address here (a list of servers is for a1111 and comfyui)"
            )
        if problems:
            raise ConfigError(f"{self.name}: " + "; ".join(problems))
        if self.key_env is not None:
            self.api_key()

    def prepare(self) -> None:
        """Called once before a build runs this preset's steps (never when it runs none); may
        reach the service, e.g. to fail at once, with one error, when a local server is not
        running. Raises ProviderError."""
        return None

    def key_var(self) -> str:
        """The environment variable holding this preset's key."""
        return self.preset.api_key_env or self.key_env or ""

    def api_key(self) -> str:
        """The key from the environment; ConfigError naming the variable when it is unset."""
        key = self.env.get(self.key_var(), "").strip()
        if not key:
            raise ConfigError(self.missing_key_message())
        return key

    def missing_key_message(self, hint: str = "") -> str:
        """No key: which variable to set, where to get a key (the pool adds the --draft way)."""
        where = f" (get a key at {self.key_url})" if self.key_url else ""
        return (
            f"{self.name}: {MISSING_KEY} set {self.key_var()}{where}, or name another variable "
            f"with `api_key_env`{hint}"
        )

    def base_url(self) -> str:
        """The service's address: the preset's `base_url`, else the environment, else the
        provider's default."""
        from_env = self.env.get(self.base_url_env, "") if self.base_url_env else ""
        given = self.preset.servers()
        return (given[0] if given else from_env.strip() or self.default_base_url).rstrip("/")

    def service_url(self) -> str | None:
        """The address a build probes once before its first step (`providers.reach`); None
        for a provider that reaches nothing (offline, diffusers)."""
        if not (self.default_base_url or self.base_url_env or self.preset.base_url):
            return None
        return self.base_url() or None

    start_hint: ClassVar[str] = "start it"
    """What to do when `service_url` accepts no connection (e.g. how to start a local server)."""

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

    @staticmethod
    @contextmanager
    def naming_step(step_id: str) -> Iterator[None]:
        """A ProviderError raised inside names `step_id` (unless it names a step already)."""
        try:
            yield
        except ProviderError as err:
            err.step_id = err.step_id or step_id
            raise

    def server_identity(self) -> dict[str, Any]:
        """What on the server decides the pictures (checkpoint and model hashes): every server
        of a pool must answer the same. Reaches the server; {} when nothing is checked."""
        return {}

    def expect_calls(self, pictures: int) -> None:
        """Before any step runs: this build will make `pictures` image calls with this preset
        (never called when it makes none). A local provider may get ready for many, e.g. start
        worker processes; no network."""
        return None

    def close(self) -> None:
        """Release connections, pipelines, worker processes and files; called once at the end
        of a build (after its steps, before its outputs are rendered)."""
        return None
