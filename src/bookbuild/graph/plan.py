"""Book -> graph of steps. Pure: no network, no store; the only I/O is hashing input files.

Step ids are stable paths: `<chapter>/text`, `<chapter>/summary`, `<chapter>/<ill>/prompt`,
`<chapter>/<ill>/image`, `<chapter>/<ill>/edit-N`; the cover uses the chapter id `cover`, a
character sheet `cast/<id>/image` (and `cast/<id>/edit-N`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bookbuild.errors import ConfigError
from bookbuild.graph.cast import SHEET_PROMPT, placeholders
from bookbuild.graph.freeze import freeze_scopes
from bookbuild.graph.model import ChapterPlan, CharacterPlan, Graph, IllustrationPlan
from bookbuild.graph.steps import ArtInput, CastInput, FileInput, Step
from bookbuild.hashing import digest_of
from bookbuild.spec import LoadedSpec, resolve_in_book
from bookbuild.spec.models import (
    Book,
    Chapter,
    CharacterReference,
    Cover,
    Edit,
    Illustration,
    MaskShape,
)
from bookbuild.spec.presets import Preset
from bookbuild.style import cover_picture_size, default_picture_size

DEFAULT_SIZE = 768
MAX_PREVIOUS_SUMMARIES = 30
MAX_SEED_PLUS_ONE = 4_294_967_295  # the spec allows seeds 0..4294967294


def plan_book(spec: LoadedSpec, *, draft: bool = False, refresh: Iterable[str] = ()) -> Graph:
    """The book's steps. `refresh`: ids (or globs) whose `freeze: true` is ignored this time."""
    graph = _Planner(spec, draft).plan()
    graph.frozen = freeze_scopes(graph, refresh)
    return graph


def _draft_preset(spec: LoadedSpec) -> Preset:
    if spec.catalog is None:
        raise ConfigError(
            "a draft plan needs the provider catalog: load the spec with "
            "bookbuild.load_spec (or bookbuild.spec.load_spec(path, catalog))"
        )
    return spec.catalog.draft_preset()


class _Planner:
    def __init__(self, spec: LoadedSpec, draft: bool) -> None:
        self.spec = spec
        self.book: Book = spec.book
        self.draft = draft
        self.draft_preset = _draft_preset(spec) if draft else None
        self.graph = Graph()
        self._file_digests: dict[str, str] = {}
        self._cast: dict[str, CastInput] = {}
        self._art = self._art_input()
        style = self.book.style
        self.default_size = default_picture_size(
            style.theme, style.page, style.bleed, DEFAULT_SIZE, style.print is not None
        )  # a picture book's pictures follow its page

    def plan(self) -> Graph:
        self._plan_cast()
        needs_summary = _chapters_needing_summary(self.book.chapters)
        summaries: list[tuple[str, str]] = []  # (chapter title, summary step id)
        for index, chapter in enumerate(self.book.chapters):
            text_step = self._text_step(chapter, summaries)
            if index in needs_summary:
                summaries.append((chapter.title, self._summary_step(chapter, text_step)))
            ills = tuple(
                self._illustration(chapter.id, n, ill, text_step, chapter.title)
                for n, ill in enumerate(chapter.illustrations, start=1)
            )
            self.graph.chapters.append(ChapterPlan(chapter, text_step, ills))
        if self.book.cover is not None:
            self.graph.cover = self._illustration(
                "cover", 1, self.book.cover, None, self.book.title
            )
        return self.graph

    # -- presets ---------------------------------------------------------------------------
    def _preset(self, name: str | None, role: str, where: str) -> tuple[str, Preset]:
        if not name or name not in self.book.models:
            raise ConfigError(f"{where}: no {role} preset (set `defaults.{role}` or `model:`)")
        preset = self.book.models[name]
        if self.draft_preset is not None:
            preset = self.draft_preset
        self.graph.presets[name] = preset
        return name, preset

    @staticmethod
    def _model_fields(preset: Preset) -> dict[str, Any]:
        return preset.key_fields()

    def _step(self, step_id: str, op: str, preset: tuple[str, Preset], **kw: Any) -> str:
        name, model = preset
        own = tuple((role, self._file(path)) for role, path in model.book_files().items())
        if own:
            kw["files"] = (*kw.get("files", ()), *own)
        step = Step(
            id=step_id,
            op=op,
            preset=name,
            provider=model.provider,
            model=self._model_fields(model),
            **kw,
        )
        return self.graph.add(step)

    # -- text --------------------------------------------------------------------------------
    def _text_step(self, chapter: Chapter, summaries: list[tuple[str, str]]) -> str:
        step_id = f"{chapter.id}/text"
        if chapter.write is None:
            files: tuple[tuple[str, FileInput], ...] = ()
            params: dict[str, Any] = {}
            if chapter.file is not None:
                files = (("file", self._file(chapter.file)),)
            else:
                params = {"text": chapter.text}
            return self.graph.add(Step(step_id, "source", params=params, files=files))
        preset = self._preset(chapter.model or self.book.defaults.text, "text", step_id)
        previous = summaries[-MAX_PREVIOUS_SUMMARIES:]
        params = {
            "book_title": self.book.title,
            "language": self.book.language,
            "premise": self.book.premise or "",
            "chapter_title": chapter.title,
            "brief": chapter.write,
            "previous_titles": [title for title, _ in previous],
        }
        if self.book.characters:
            params["cast"] = [
                {"id": cid, "name": c.name, "traits": c.traits or ""}
                for cid, c in self.book.characters.items()
            ]
        deps = tuple((f"summary-{n}", sid) for n, (_, sid) in enumerate(previous, start=1))
        return self._step(step_id, "write", preset, params=params, deps=deps)

    def _summary_step(self, chapter: Chapter, text_step: str) -> str:
        name = chapter.model or self.book.defaults.text
        preset = self._preset(name, "text", f"{chapter.id}/summary")
        params = {"language": self.book.language, "chapter_title": chapter.title}
        deps = (("text", text_step),)
        return self._step(f"{chapter.id}/summary", "summarize", preset, params=params, deps=deps)

    # -- illustrations ---------------------------------------------------------------------
    def _illustration(
        self, chapter_id: str, n: int, ill: Illustration, text_step: str | None, title: str
    ) -> IllustrationPlan:
        ill_id = ill.id or f"ill-{n}"
        base = f"{chapter_id}/{ill_id}"
        prompt_step = None
        if ill.describe is not None:
            prompt_step = self._describe_step(base, ill, text_step, title)
        if ill.file is not None:
            image_step = self.graph.add(
                Step(f"{base}/image", "import", files=(("image", self._file(ill.file)),))
            )
            if not ill.edits:
                return IllustrationPlan(chapter_id, ill, ill_id, None, image_step, ())
            image_preset = self._preset(ill.model or self.book.defaults.image, "image", base)
        else:
            image_preset = self._preset(ill.model or self.book.defaults.image, "image", base)
            image_step = self._image_step(base, ill, image_preset, prompt_step)
        edits: list[str] = []
        previous = image_step
        for k, edit in enumerate(ill.edits, start=1):
            previous = self._edit_step(f"{base}/edit-{k}", edit, ill, image_preset, previous)
            edits.append(previous)
        return IllustrationPlan(chapter_id, ill, ill_id, prompt_step, image_step, tuple(edits))

    def _describe_step(
        self, base: str, ill: Illustration, text_step: str | None, title: str
    ) -> str:
        defaults = self.book.defaults
        name = ill.prompt_model or defaults.prompt or defaults.text
        preset = self._preset(name, "prompt", f"{base}/prompt")
        params: dict[str, Any] = {
            "style": _with_composition(ill),
            "chapter_title": title,
            "language": self.book.language,
            "seed": self._seed(ill, base),
        }
        if text_step is None:  # the cover: described from the book's premise and title
            params["source"] = self.book.premise or self.book.title
        if self.book.style.alt == "describe":  # only then: other books keep their keys
            params["alt"] = True
        fixed, pool = self._picture_cast(ill, base)
        if fixed or pool:  # by id and name only: how they look is the image step's business
            params["cast"] = [{"id": c.id, "name": c.name} for c in (*fixed, *pool)]
        deps = (("text", text_step),) if text_step else ()
        return self._step(f"{base}/prompt", "describe", preset, params=params, deps=deps)

    def _image_step(
        self, base: str, ill: Illustration, preset: tuple[str, Preset], prompt_step: str | None
    ) -> str:
        model = self.book.models[preset[0]]  # as written: a draft keeps the size and negative
        width, height = self._picture_size(ill, model)
        params: dict[str, Any] = {
            "width": width,
            "height": height,
            "seed": self._take_seed(ill, base),
            "take": ill.take,
            "negative_prompt": ill.negative_prompt or getattr(model, "negative_prompt", None) or "",
        }
        if ill.prompt is not None:
            params["prompt"] = ill.prompt
        deps: tuple[tuple[str, str], ...] = (("prompt", prompt_step),) if prompt_step else ()
        cast = self._cast_fields(*self._picture_cast(ill, base))
        deps = (*deps, *cast.pop("deps"))
        files: tuple[tuple[str, FileInput], ...] = ()
        op = "txt2img"
        if ill.init_image is not None:
            op, params["strength"] = "img2img", ill.init_image.strength
            files = (("image", self._file(ill.init_image.path)),)
        elif ill.controlnet is not None:
            op = "controlnet"
            params["controlnet"] = {
                "type": ill.controlnet.type,
                "strength": ill.controlnet.strength,
            }
            files = (("control_image", self._file(ill.controlnet.image)),)
        return self._step(
            f"{base}/image", op, preset, params=params, deps=deps, files=files, **cast
        )

    def _picture_size(self, ill: Illustration, model: Preset) -> tuple[int, int]:
        """Its own width/height, else the preset's (else the default); a cover with `shape`
        takes about the preset's pixels at the shape of the cover it is printed on."""
        width = getattr(model, "width", None) or self.default_size[0]
        height = getattr(model, "height", None) or self.default_size[1]
        if isinstance(ill, Cover) and ill.shape is not None and not (ill.width or ill.height):
            style = self.book.style
            return cover_picture_size(
                ill.shape, style.theme, style.page, style.bleed, (width, height),
                style.print is not None,
            )  # fmt: skip
        return ill.width or width, ill.height or height

    def _edit_step(
        self,
        step_id: str,
        edit: Edit,
        ill: Illustration,
        image_preset: tuple[str, Preset],
        previous: str,
    ) -> str:
        op, spec = edit.op, edit.params
        fields = spec.model_dump(mode="json", exclude={"model", "mask"}, exclude_none=True)
        params: dict[str, Any] = {"take": ill.take, **fields}
        if "seed" in type(spec).model_fields:
            params["seed"] = fields.get("seed", self._take_seed(ill, step_id.rsplit("/", 1)[0]))
        files: tuple[tuple[str, FileInput], ...] = ()
        mask = getattr(spec, "mask", None)
        if isinstance(mask, str):
            files = (("mask", self._file(mask)),)
        elif mask is not None:
            params["mask"] = _mask_json(mask)
        model_name = getattr(spec, "model", None)
        preset = self._preset(model_name, "image", step_id) if model_name else image_preset
        cast = self._edit_cast(str(fields.get("prompt", "")), "prompt" in type(spec).model_fields)
        deps = (("image", previous), *cast.pop("deps"))
        return self._step(step_id, op, preset, params=params, deps=deps, files=files, **cast)

    # -- the cast ----------------------------------------------------------------------------
    def _plan_cast(self) -> None:
        """Each character's key inputs, and the step chain of each generated character sheet
        (planned first: the pictures that show the character depend on it)."""
        for cid, character in self.book.characters.items():
            ref = character.reference
            lora = character.lora.model_dump(mode="json") if character.lora else None
            plain = CastInput(cid, character.name, character.description.strip(), (), None, lora)
            plain = replace(plain, weight=character.weight)
            self._cast[cid] = plain
            sheet = None
            if ref is not None and ref.generated:
                sheet = self._illustration("cast", 1, _sheet_illustration(cid, ref), None, cid)
                self._cast[cid] = replace(plain, sheet=sheet.final_step)
            elif ref is not None:
                self._cast[cid] = replace(plain, files=tuple(self._file(f) for f in ref.files))
            self.graph.cast.append(CharacterPlan(cid, character, self._cast[cid], sheet))

    def _art_input(self) -> ArtInput | None:
        art = self.book.style.art
        if art is None:
            return None
        refs = [art.reference] if isinstance(art.reference, str) else list(art.reference or [])
        return ArtInput((art.description or "").strip(), tuple(self._file(f) for f in refs))

    def _picture_cast(
        self, ill: Illustration, base: str
    ) -> tuple[tuple[CastInput, ...], tuple[CastInput, ...]]:
        """(the characters a picture shows, when known from the spec; the candidates when the
        `describe` prompt will say). A sheet shows its character, without a reference."""
        if not self._cast:
            return (), ()
        if ill.describe is not None and ill.characters is None:
            return (), tuple(self._cast.values())
        ids = [*(ill.characters or ()), *placeholders(ill.prompt or "")]
        fixed = tuple(self._cast[i] for i in dict.fromkeys(ids) if i in self._cast)
        if base.startswith("cast/"):
            own = base.removeprefix("cast/")
            fixed = tuple(replace(c, files=(), sheet=None) if c.id == own else c for c in fixed)
        return fixed, ()

    def _edit_cast(self, prompt: str, paints: bool) -> dict[str, Any]:
        """The cast an edit's own prompt names (`{id}`), and the art style if it paints."""
        fixed = tuple(self._cast[i] for i in placeholders(prompt) if i in self._cast)
        fields = self._cast_fields(fixed, ())
        if not paints:
            fields.pop("art", None)
        return fields

    def _cast_fields(
        self, fixed: tuple[CastInput, ...], pool: tuple[CastInput, ...]
    ) -> dict[str, Any]:
        """Step fields for a picture's cast: `cast`, `cast_pool`, `art`, and the `deps` on
        the character sheets."""
        deps = tuple((c.role, c.sheet) for c in (*fixed, *pool) if c.sheet is not None)
        fields: dict[str, Any] = {"deps": deps}
        if fixed:
            fields["cast"] = fixed
        if pool:
            fields["cast_pool"] = pool
        if self._art is not None:
            fields["art"] = self._art
        return fields

    # -- helpers ---------------------------------------------------------------------------
    def _seed(self, ill: Illustration, base: str) -> int:
        if ill.seed is not None:
            return ill.seed
        return zlib.crc32(base.encode("utf-8")) % 2_147_483_647

    def _take_seed(self, ill: Illustration, base: str) -> int:
        """Take 1 uses the illustration's seed, each later take the next one: a new take must
        be a new picture, and a service given the same seed and prompt paints the same one."""
        return (self._seed(ill, base) + ill.take - 1) % MAX_SEED_PLUS_ONE

    def _file(self, relative: str) -> FileInput:
        if relative not in self._file_digests:
            path: Path = resolve_in_book(self.spec.root, relative)
            self._file_digests[relative] = digest_of(path.read_bytes())
        return FileInput(relative, self._file_digests[relative])


def _sheet_illustration(cid: str, ref: CharacterReference) -> Illustration:
    """A generated character sheet as the illustration it is."""
    fields = ref.model_dump(exclude={"file", "prompt"}, exclude_unset=True)
    prompt = ref.prompt or SHEET_PROMPT.format(id=cid)
    return Illustration(id=cid, prompt=prompt, characters=[cid], **fields)


def _chapters_needing_summary(chapters: list[Chapter]) -> set[int]:
    """A chapter is summarised when a later chapter is written by a model."""
    last_write = max((i for i, c in enumerate(chapters) if c.write is not None), default=-1)
    return set(range(last_write))


def _mask_json(mask: MaskShape | list[MaskShape]) -> Any:
    if isinstance(mask, list):
        return [m.model_dump(mode="json", exclude_none=True) for m in mask]
    return mask.model_dump(mode="json", exclude_none=True)


COMPOSITIONS = {
    "front": "portrait book-cover composition, calm open space in the top third for the title",
    "wrap": (
        "wide wrap-around book cover: the right half is the front cover (its subject, calm "
        "open space in its top third for the title), the left half the back cover (a quiet "
        "continuation of the scene, room for text), nothing important in the middle strip"
    ),
}


def _with_composition(ill: Illustration) -> str | None:
    """The describer's style note; a cover with a `shape` asks for its composition (only
    then: the note, so the step's key, of every other picture is as before)."""
    if isinstance(ill, Cover) and ill.shape is not None and ill.describe is not None:
        return f"{ill.describe}; {COMPOSITIONS[ill.shape]}"
    return ill.describe
