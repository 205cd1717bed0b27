"""Typed model of book.yaml. Every field has a description: it feeds `bookbuild schema`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=64,
        description="A stable id: lowercase letters, digits, '-' and '_' (used in step ids).",
    ),
]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class Strict(BaseModel):
    """Base of every spec model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Lora(Strict):
    model: str = Field(description="LoRA model id on the service (e.g. 'watercolor-style').")
    strength: float = Field(default=0.7, ge=0.0, le=1.0, description="LoRA strength, 0..1.")


class ModelPreset(Strict):
    """A named model configuration; steps refer to it by name."""

    provider: str = Field(description="Provider name: 'openai', 'sdapi', 'offline' or a plugin.")
    model: str | None = Field(
        default=None, description="Model id on the service (e.g. gpt-4o-mini, sdxl)."
    )
    api: str | None = Field(
        default=None, description="API family for providers that have several (sdapi: v3, v4, v6)."
    )
    base_url: str | None = Field(
        default=None, description="Service base URL; overrides the provider's environment variable."
    )
    api_key_env: str | None = Field(
        default=None, description="Name of the environment variable holding this preset's API key."
    )
    concurrency: int | None = Field(
        default=None, ge=1, le=64, description="At most this many calls in flight for this preset."
    )
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds to wait for one HTTP request."
    )
    deadline: float | None = Field(
        default=None, gt=0, description="Seconds to wait in total for a queued job before failing."
    )
    # chat options
    temperature: float | None = Field(
        default=None, ge=0, le=2, description="Chat sampling temperature."
    )
    top_p: float | None = Field(default=None, ge=0, le=1, description="Chat nucleus sampling.")
    max_tokens: int | None = Field(
        default=None, ge=1, description="Output token limit for chat replies."
    )
    system: str | None = Field(
        default=None, description="System prompt prepended to every chat request."
    )
    price: dict[str, float] | None = Field(
        default=None,
        description=(
            "Price overrides: for chat {input_per_mtok, output_per_mtok} in USD per million "
            "tokens; for images {per_image} in USD."
        ),
    )
    # image options
    negative_prompt: str | None = Field(default=None, description="Default negative prompt.")
    width: int | None = Field(
        default=None, ge=64, le=2048, multiple_of=8, description="Image width, px."
    )
    height: int | None = Field(
        default=None, ge=64, le=2048, multiple_of=8, description="Image height, px."
    )
    steps: int | None = Field(default=None, ge=1, le=150, description="Diffusion inference steps.")
    guidance: float | None = Field(
        default=None, ge=0, le=30, description="Classifier-free guidance scale."
    )
    scheduler: str | None = Field(
        default=None, description="Sampler/scheduler name for the service."
    )
    lora: Lora | list[Lora] | None = Field(default=None, description="LoRA model(s) to apply.")
    embeddings: str | None = Field(
        default=None, description="Textual-inversion embeddings model id."
    )
    enhance_prompt: bool = Field(
        default=False,
        description="Let the service rewrite the prompt (off: what you write is drawn).",
    )
    safety_checker: bool = Field(
        default=False, description="Ask the service to run its NSFW checker."
    )
    upscale_model: str | None = Field(
        default=None, description="Super-resolution model id for upscale."
    )


class Defaults(Strict):
    text: str | None = Field(
        default=None, description="Preset that writes chapter text (`write:`)."
    )
    prompt: str | None = Field(
        default=None, description="Preset that writes image prompts (`describe:`)."
    )
    image: str | None = Field(
        default=None, description="Preset that draws illustrations and edits."
    )


class Style(Strict):
    theme: str = Field(
        default="default", description="Theme name (built-in) or a theme/ folder override."
    )
    page: str = Field(
        default="auto",
        description=(
            "Page size: auto (the theme's: A5 for novel, 8x8in for picture-book), A4, A5, A6, "
            "B5, JIS-B5, B6, Letter, 6x9in, 5.5x8.5in, 8x8in, 8.5x8.5in, 8x10in, or "
            "'148mm 210mm'; add ' landscape' to turn it."
        ),
    )
    margin: str | None = Field(
        default=None,
        description="Page margins: '18mm' or 'top outer bottom inner' (default: the theme's).",
    )
    bleed: str | None = Field(
        default=None, description="Bleed around each PDF page for printers, e.g. '3mm'."
    )
    font: str | None = Field(default=None, description="Main font family; defaults by language.")
    css: str | None = Field(default=None, description="Extra stylesheet, relative to book.yaml.")
    print: Literal["kdp", "ingramspark"] | None = Field(
        default=None,
        description=(
            "Print target: the PDF becomes a print-ready interior (trim + bleed, gutter by page "
            "count, PDF/X) and build/<slug>-cover.pdf a cover wrap for this printer."
        ),
    )
    paper: Literal["white", "cream", "color"] = Field(
        default="white", description="Paper of the print target (sets the spine width)."
    )
    text_over: bool = Field(
        default=False,
        description=(
            "picture-book: short text goes over its picture (on a pale panel) so the picture "
            "fills the page to the bleed."
        ),
    )


class MaskShape(Strict):
    """A mask drawn from shapes, in fractions of the image (0..1), so it survives a new base."""

    rect: list[Fraction] | None = Field(
        default=None, min_length=4, max_length=4, description="[x0, y0, x1, y1] rectangle."
    )
    ellipse: list[Fraction] | None = Field(
        default=None, min_length=4, max_length=4, description="[x0, y0, x1, y1] bounding box."
    )
    polygon: list[list[Fraction]] | None = Field(
        default=None, min_length=3, description="[[x, y], ...] polygon vertices."
    )
    feather: Fraction = Field(
        default=0.0, description="Edge softness, fraction of the shorter side."
    )
    invert: bool = Field(default=False, description="Repaint everything except the shape.")

    @model_validator(mode="after")
    def _exactly_one_shape(self) -> MaskShape:
        given = [n for n in ("rect", "ellipse", "polygon") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("a mask shape needs exactly one of rect, ellipse, polygon")
        box = self.rect or self.ellipse
        if box is not None and not (box[0] < box[2] and box[1] < box[3]):
            raise ValueError(
                f"the {given[0]} [x0, y0, x1, y1] is empty: x0 < x1 and y0 < y1 are needed "
                "(an empty mask would pay for an edit that changes nothing)"
            )
        return self


Mask = Annotated[
    str | MaskShape,
    Field(description="PNG path (white = repaint, any size) or a shape in image fractions."),
]


class InitImage(Strict):
    path: str = Field(description="Input image, relative to book.yaml (PNG, JPEG or WebP).")
    strength: Fraction = Field(
        default=0.6, description="How far to move away from the input (0 = keep, 1 = ignore it)."
    )


class ControlNet(Strict):
    type: str = Field(description="ControlNet type: canny, depth, openpose, scribble, lineart...")
    image: str = Field(description="Reference image, relative to book.yaml.")
    strength: float = Field(default=1.0, ge=0.1, le=5.0, description="Conditioning scale.")


class InpaintEdit(Strict):
    mask: Mask
    prompt: str = Field(min_length=1, description="What to paint in the masked region.")
    negative_prompt: str | None = Field(default=None, description="What to avoid in the region.")
    strength: Fraction = Field(default=0.8, description="How strongly to repaint the region.")
    seed: int | None = Field(
        default=None, ge=0, description="Seed; defaults to the illustration's."
    )
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class OutpaintEdit(Strict):
    left: int = Field(default=0, ge=0, le=2048, description="Pixels to add on the left.")
    right: int = Field(default=0, ge=0, le=2048, description="Pixels to add on the right.")
    up: int = Field(default=0, ge=0, le=2048, description="Pixels to add at the top.")
    down: int = Field(default=0, ge=0, le=2048, description="Pixels to add at the bottom.")
    prompt: str | None = Field(
        default=None, description="What the new area shows; default: the image's."
    )
    seed: int | None = Field(
        default=None, ge=0, description="Seed; defaults to the illustration's."
    )
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )

    @model_validator(mode="after")
    def _grows(self) -> OutpaintEdit:
        if not (self.left or self.right or self.up or self.down):
            raise ValueError("outpaint needs at least one of left, right, up, down > 0")
        return self


class UpscaleEdit(Strict):
    scale: Literal[2, 3, 4] = Field(default=2, description="Upscaling factor.")
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class RemoveBackgroundEdit(Strict):
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class Img2ImgEdit(Strict):
    prompt: str = Field(min_length=1, description="What the new image shows.")
    strength: Fraction = Field(default=0.5, description="How far to move from the current image.")
    seed: int | None = Field(
        default=None, ge=0, description="Seed; defaults to the illustration's."
    )
    model: str | None = Field(
        default=None, description="Preset for this edit; default: the image's."
    )


class Edit(Strict):
    """One edit of an illustration: exactly one of the keys."""

    inpaint: InpaintEdit | None = Field(default=None, description="Repaint a masked region.")
    outpaint: OutpaintEdit | None = Field(
        default=None, description="Grow the canvas and paint the rest."
    )
    upscale: UpscaleEdit | None = Field(default=None, description="Super-resolution.")
    remove_background: RemoveBackgroundEdit | None = Field(
        default=None, description="Cut the subject out (transparent background)."
    )
    img2img: Img2ImgEdit | None = Field(
        default=None, description="Redraw the whole image from itself."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Edit:
        if len(self._given()) != 1:
            raise ValueError(
                "an edit needs exactly one of inpaint, outpaint, upscale, remove_background, "
                "img2img (write each edit as its own `- op: {...}` list item)"
            )
        return self

    def _given(self) -> list[str]:
        return [name for name in type(self).model_fields if getattr(self, name) is not None]

    @property
    def op(self) -> str:
        return self._given()[0]

    @property
    def params(self) -> BaseModel:
        value = getattr(self, self.op)
        assert isinstance(value, BaseModel)
        return value


class Illustration(Strict):
    id: Slug | None = Field(
        default=None, description="Stable id; default ill-N (1-based position)."
    )
    prompt: str | None = Field(default=None, description="Literal image prompt.")
    describe: str | None = Field(
        default=None,
        description="Style note; a chat model writes the prompt from the chapter's text.",
    )
    file: str | None = Field(
        default=None,
        description=(
            "Your own picture (PNG, JPEG or WebP), relative to book.yaml, used as-is; "
            "`edits` apply to it like to a generated image."
        ),
    )
    model: str | None = Field(default=None, description="Image preset; default: defaults.image.")
    prompt_model: str | None = Field(default=None, description="Chat preset for describe.")
    negative_prompt: str | None = Field(default=None, description="What to avoid.")
    width: int | None = Field(default=None, ge=64, le=2048, multiple_of=8, description="Width, px.")
    height: int | None = Field(
        default=None, ge=64, le=2048, multiple_of=8, description="Height, px."
    )
    seed: int | None = Field(
        default=None, ge=0, le=4294967294, description="Seed; default from the id."
    )
    take: int = Field(
        default=1, ge=1, description="Bump to get a new version; old takes stay stored."
    )
    init_image: InitImage | None = Field(default=None, description="Start from an image (img2img).")
    controlnet: ControlNet | None = Field(
        default=None, description="Guide the drawing with a reference."
    )
    caption: str | None = Field(default=None, description="Caption printed under the image.")
    alt: str | None = Field(
        default=None, description="Alt text; default: the caption or the prompt."
    )
    edits: list[Edit] = Field(default_factory=list, description="Edits applied in order.")

    @model_validator(mode="after")
    def _prompt_or_describe(self) -> Illustration:
        given = [n for n in ("prompt", "describe", "file") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("an illustration needs exactly one of `prompt`, `describe` or `file`")
        if self.file is not None and (self.init_image or self.controlnet):
            raise ValueError("`file` is used as-is: it takes no `init_image` or `controlnet`")
        if self.init_image is not None and self.controlnet is not None:
            raise ValueError("use either `init_image` or `controlnet`, not both")
        return self


class Chapter(Strict):
    id: Slug
    title: str = Field(min_length=1, description="Chapter title.")
    text: str | None = Field(default=None, description="Chapter text (Markdown), inline.")
    file: str | None = Field(
        default=None, description="Markdown file with the text, relative to book.yaml."
    )
    write: str | None = Field(
        default=None, description="Brief from which a chat model writes the text."
    )
    model: str | None = Field(
        default=None, description="Chat preset for `write`; default: defaults.text."
    )
    illustrations: list[Illustration] = Field(
        default_factory=list, description="Illustrations of this chapter, in order."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Chapter:
        given = [n for n in ("text", "file", "write") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("a chapter needs exactly one of `text`, `file` or `write`")
        return self


class Book(Strict):
    """A book spec (book.yaml)."""

    title: str = Field(min_length=1, description="Book title.")
    subtitle: str | None = Field(default=None, description="Subtitle.")
    authors: list[str] = Field(default_factory=list, description="Author names.")
    language: str = Field(
        default="en",
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$",
        description="BCP 47 language tag (ko, en).",
    )
    premise: str | None = Field(
        default=None, description="What the book is about; given to the writer."
    )
    models: dict[str, ModelPreset] = Field(default_factory=dict, description="Named model presets.")
    defaults: Defaults = Field(default_factory=Defaults, description="Default presets by role.")
    style: Style = Field(default_factory=Style, description="Look of the book.")
    cover: Illustration | None = Field(default=None, description="Cover illustration.")
    blurb: str | None = Field(default=None, description="Back-cover text (plain text).")
    chapters: list[Chapter] = Field(min_length=1, description="Chapters, in order.")
