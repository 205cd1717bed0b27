"""Typed model of book.yaml. Every field has a description: it feeds `bookbuild schema`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Optional

from pydantic import BaseModel, Field, create_model, model_validator

from bookbuild.spec.base import Fraction, Slug, Strict
from bookbuild.spec.edits import EDITS, Mask, MaskShape
from bookbuild.spec.presets import Preset
from bookbuild.spec.remote import StoreSettings

__all__ = ["Book", "Chapter", "Defaults", "Edit", "Illustration", "Mask", "MaskShape", "Style"]


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


class InitImage(Strict):
    path: str = Field(description="Input image, relative to book.yaml (PNG, JPEG or WebP).")
    strength: Fraction = Field(
        default=0.6, description="How far to move away from the input (0 = keep, 1 = ignore it)."
    )


class ControlNet(Strict):
    type: str = Field(description="ControlNet type: canny, depth, openpose, scribble, lineart...")
    image: str = Field(description="Reference image, relative to book.yaml.")
    strength: float = Field(default=1.0, ge=0.1, le=5.0, description="Conditioning scale.")


class EditBase(Strict):
    """One edit of an illustration: exactly one key (one per edit op of `bookbuild.graph.ops`)."""

    @model_validator(mode="after")
    def _exactly_one(self) -> EditBase:
        if len(self._given()) != 1:
            names = ", ".join(EDITS)
            raise ValueError(
                f"an edit needs exactly one of {names} "
                "(write each edit as its own `- op: {...}` list item)"
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


def _edit_model() -> type[EditBase]:
    fields: dict[str, Any] = {
        name: (Optional[model], Field(default=None, description=summary))  # noqa: UP045
        for name, (model, summary) in EDITS.items()
    }
    return create_model("Edit", __base__=EditBase, __module__=__name__, **fields)


if TYPE_CHECKING:

    class Edit(EditBase):
        """An edit: one field per edit op."""

else:
    Edit = _edit_model()


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
    freeze: bool = Field(
        default=False,
        description=(
            "Keep the pinned prompt, picture and edits when only something upstream changes "
            "(the chapter's text); its own fields still count. `make --refresh ID` redoes it."
        ),
    )

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
    freeze: bool = Field(
        default=False,
        description=(
            "Keep the chapter's pinned text and pictures when only something upstream changes "
            "(earlier chapters); its own fields still count. `make --refresh ID` redoes it."
        ),
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
    models: dict[str, Preset] = Field(default_factory=dict, description="Named model presets.")
    defaults: Defaults = Field(default_factory=Defaults, description="Default presets by role.")
    style: Style = Field(default_factory=Style, description="Look of the book.")
    cover: Illustration | None = Field(default=None, description="Cover illustration.")
    blurb: str | None = Field(default=None, description="Back-cover text (plain text).")
    chapters: list[Chapter] = Field(min_length=1, description="Chapters, in order.")
    store: StoreSettings = Field(
        default_factory=StoreSettings,
        description="Where results are shared with a team (`remote: s3://bucket/prefix`).",
    )
