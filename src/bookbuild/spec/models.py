"""Typed model of book.yaml. Every field has a description: it feeds `bookbuild schema`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Optional

from pydantic import BaseModel, Field, create_model, field_validator, model_validator

from bookbuild.spec.base import Fraction, Slug, Strict
from bookbuild.spec.edits import EDITS, Mask, MaskShape
from bookbuild.spec.presets import Lora, Preset
from bookbuild.spec.remote import StoreSettings
from bookbuild.spec.versions import apply_defaults_version, check_version

__all__ = [
    "ArtStyle",
    "Book",
    "Chapter",
    "Character",
    "CharacterReference",
    "Defaults",
    "Edit",
    "Illustration",
    "Mask",
    "MaskShape",
    "Style",
]


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


class ArtStyle(Strict):
    description: str | None = Field(
        default=None,
        description="The art style, added to every picture's prompt (e.g. 'soft watercolour').",
    )
    reference: str | list[str] | None = Field(
        default=None,
        description=(
            "Style reference picture(s), relative to book.yaml, for back ends with a style "
            "reference."
        ),
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
    print_bleed: Literal["auto", "always", "never"] = Field(
        default="auto",
        description=(
            "Print target: bleed (0.125 in on the top, bottom and outside edge of each page) "
            "when something on the pages runs to the edge (auto: the picture-book theme or "
            "text_over), or always / never. Without bleed the interior is at the trim size."
        ),
    )
    pdf_x: Literal["x-4", "x-1a"] = Field(
        default="x-4",
        description=(
            "Print target: the PDF/X variant of the interior and cover: x-4 (default; "
            "transparency kept) or x-1a (transparency flattened against the paper, as "
            "older IngramSpark workflows ask)."
        ),
    )
    opening: Literal["classic", "drop-cap", "small-caps", "ornament"] = Field(
        default="classic",
        description=(
            "How chapters open: classic (number and title), drop-cap (a large first letter), "
            "small-caps (the first line in capitals), ornament (a fleuron under the title)."
        ),
    )
    chapter_number: Literal["numeral", "roman", "word", "none"] = Field(
        default="numeral",
        description="Chapter numbers above the titles: 1, I, One (en; 제1장 in ko) or none.",
    )
    scene_break: Literal["asterism", "dinkus", "fleuron", "rule", "space"] = Field(
        default="asterism",
        description=(
            "The mark of a scene break (`***` or `---` in a chapter): ⁂, * * *, ❦, a short "
            "rule or a blank line."
        ),
    )
    cover_color: str | None = Field(
        default=None,
        pattern=r"^#[0-9a-fA-F]{6}$",
        description=(
            "Colour of the cover's spine and back ('#rrggbb'); default: taken from the cover "
            "art's spine-side edge (slate without art)."
        ),
    )
    paper: Literal["white", "cream", "color"] = Field(
        default="white", description="Paper of the print target (sets the spine width)."
    )
    text_over: bool = Field(
        default=True,
        description=(
            "picture-book: short text goes over its picture (on a pale panel) so the picture "
            "fills the page to the bleed (default); false frames the picture above its text."
        ),
    )
    art: ArtStyle | None = Field(
        default=None, description="The art style of every picture: a description, a reference."
    )
    alt: Literal["auto", "describe"] = Field(
        default="auto",
        description=(
            "Alt text of pictures without `alt:`: describe (each `describe:` picture's chat "
            "step also writes a one-sentence description in the book's language, used before "
            "the caption; the PDF is tagged with it) or auto (the caption, else the prompt in "
            "an English book, else the picture's name). Default: auto; describe under "
            "`defaults_version: 2`."
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
        default=None,
        description=(
            "Alt text; default: the description the chat model wrote (`style.alt: "
            "describe`), else the caption, else the prompt (English books) or the picture's "
            "name in the book's language."
        ),
    )
    edits: list[Edit] = Field(default_factory=list, description="Edits applied in order.")
    freeze: bool = Field(
        default=False,
        description=(
            "Keep the pinned prompt, picture and edits when only something upstream changes "
            "(the chapter's text); its own fields still count. `make --refresh ID` redoes it."
        ),
    )
    characters: list[Slug] | None = Field(
        default=None,
        description=(
            "Ids of the `characters:` this picture shows. Optional with `describe:` (the chat "
            "model says who appears); given, it forces the list. `{id}` in a prompt also counts."
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


CoverShape = Literal["front", "wrap", "preset"]


class Cover(Illustration):
    """The cover picture: an illustration, generated at the shape it is printed at when
    `shape` is given."""

    shape: CoverShape | None = Field(
        default=None,
        description=(
            "Generate the art at the cover's shape: `front` (the front cover, bleed included) "
            "or `wrap` (one picture across the back, the spine and the front), or `preset` "
            "(the image preset's own size, cropped to the front). Default: preset; front "
            "under `defaults_version: 2`. Its own width/height win."
        ),
    )

    @field_validator("shape")
    @classmethod
    def _preset_is_no_shape(cls, value: CoverShape | None) -> CoverShape | None:
        return None if value == "preset" else value  # the same steps and keys as no shape


class CharacterReference(Strict):
    """Your own picture(s) (`file`), or a generated character sheet: an illustration of the
    character alone (its own step chain `cast/<id>/image`, with take, freeze and edits)."""

    file: str | list[str] | None = Field(
        default=None,
        description="Your reference picture(s) (PNG, JPEG or WebP), relative to book.yaml.",
    )
    prompt: str | None = Field(
        default=None,
        description="Prompt of the character sheet; default: made from the `{id}` description.",
    )
    model: str | None = Field(default=None, description="Image preset; default: defaults.image.")
    negative_prompt: str | None = Field(default=None, description="What to avoid.")
    width: int | None = Field(default=None, ge=64, le=2048, multiple_of=8, description="Width, px.")
    height: int | None = Field(
        default=None, ge=64, le=2048, multiple_of=8, description="Height, px."
    )
    seed: int | None = Field(
        default=None, ge=0, le=4294967294, description="Seed; default from the id."
    )
    take: int = Field(default=1, ge=1, description="Bump to get a new character sheet.")
    edits: list[Edit] = Field(default_factory=list, description="Edits of the sheet, in order.")
    freeze: bool = Field(
        default=False, description="Keep the approved sheet (`make --refresh cast/ID` redoes it)."
    )

    @model_validator(mode="after")
    def _file_or_sheet(self) -> CharacterReference:
        sheet = [n for n in type(self).model_fields if n != "file" and n in self.model_fields_set]
        if self.file is not None and sheet:
            raise ValueError(
                f"a reference is either your `file` or a generated sheet: drop {', '.join(sheet)}"
            )
        return self

    @property
    def files(self) -> list[str]:
        if self.file is None:
            return []
        return [self.file] if isinstance(self.file, str) else list(self.file)

    @property
    def generated(self) -> bool:
        return self.file is None


class Character(Strict):
    """One member of the book's cast, the same in every chapter and every picture."""

    name: str = Field(min_length=1, description="The name as it appears in the book's text.")
    description: str = Field(
        description=(
            "What the character looks like: one canonical phrase, put verbatim in every "
            "picture that shows it (never given to the chat models)."
        ),
    )
    traits: str | None = Field(
        default=None, description="Who they are and how they speak: given to the writer."
    )
    reference: CharacterReference | None = Field(
        default=None,
        description="A reference picture: `{file: ...}`, or a generated sheet (`{seed: 11}`).",
    )
    lora: Lora | None = Field(
        default=None, description="A LoRA of this character, for back ends that take LoRAs."
    )
    weight: float = Field(
        default=0.6, ge=0.0, le=1.0, description="How strongly the reference steers, 0..1."
    )


class Chapter(Strict):
    id: Slug
    title: str = Field(min_length=1, description="Chapter title.")
    short_title: str | None = Field(
        default=None,
        description="Shorter title for the running heads of the PDF (default: the title, cut).",
    )
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

    defaults_version: Literal[1, 2] = Field(
        default=1,
        description=(
            "Which of bookbuild's defaults the book is built with (like Rust's `edition`): "
            "1 (a book without the field; its step keys never change) or 2 (cover art at the "
            "front cover's shape, `cover.shape: front`; alt text written by the describer, "
            "`style.alt: describe`). A field the book writes itself wins. Raising it repaints "
            "what it changes: `bookbuild upgrade-defaults` shows the calls first."
        ),
    )
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
    defaults: Defaults = Field(
        default_factory=Defaults,
        description="Default presets by role (`defaults_version:` is the defaults' version).",
    )
    style: Style = Field(default_factory=Style, description="Look of the book.")
    characters: dict[Slug, Character] = Field(
        default_factory=dict,
        description="The cast, by id: `{id}` in prompts, `characters: [id]` on pictures.",
    )
    cover: Cover | None = Field(default=None, description="Cover illustration.")
    blurb: str | None = Field(default=None, description="Back-cover text (plain text).")
    isbn: str | None = Field(
        default=None,
        description="ISBN of this edition (on the copyright page, the EPUB's identifiers).",
    )
    publisher: str | None = Field(
        default=None, description="Publisher or imprint (copyright page, EPUB dc:publisher)."
    )
    edition: str | None = Field(
        default=None, description="Edition line of the copyright page, e.g. 'First edition'."
    )
    rights: str | None = Field(
        default=None,
        description=(
            "Rights line of the copyright page and EPUB dc:rights (default: 'All rights "
            "reserved.' in the book's language)."
        ),
    )
    dedication: str | None = Field(
        default=None, description="Dedication, on its own right-hand page after the copyright."
    )
    epigraph: str | None = Field(
        default=None,
        description=(
            "Epigraph before the first chapter; a last line starting with '—' is its source."
        ),
    )
    acknowledgements: str | None = Field(
        default=None,
        description="Acknowledgements page after the last chapter (Markdown-free text).",
    )
    about_author: str | None = Field(
        default=None, description="About-the-author page at the back of the book (plain text)."
    )
    also_by: list[str] = Field(
        default_factory=list, description="Other titles by the author(s), listed at the back."
    )
    chapters: list[Chapter] = Field(min_length=1, description="Chapters, in order.")
    store: StoreSettings = Field(
        default_factory=StoreSettings,
        description="Where results are shared with a team (`remote: s3://bucket/prefix`).",
    )

    @field_validator("defaults_version", mode="before")
    @classmethod
    def _known_version(cls, value: Any) -> Any:
        return check_version(value)

    @field_validator("defaults", mode="before")
    @classmethod
    def _presets_not_a_version(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(
                "`defaults:` names the default presets by role ({text, prompt, image}); "
                f"the version of bookbuild's defaults is its own field: `defaults_version: "
                f"{value}` at the top level"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _version_defaults(cls, data: Any) -> Any:
        """The defaults of `defaults_version` where the book writes nothing (see versions)."""
        return apply_defaults_version(data)
