"""Checks beyond the schema: ids are unique, presets exist and can do what is asked of them,
and every path names a usable file inside the book folder."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from bookbuild.errors import ConfigError, SpecIssue, UserError
from bookbuild.spec.catalog import ProviderCatalog, ProviderInfo
from bookbuild.spec.loaded import LoadedSpec
from bookbuild.spec.models import Chapter, Edit, Illustration, MaskShape
from bookbuild.spec.paths import IMAGE_SUFFIXES, is_image_file, is_text_file, resolve_in_book
from bookbuild.spec.positions import Loc
from bookbuild.spec.presets import Preset

COVER_ID = "cover"
MASK_CHECK_SIZE = (256, 256)  # shapes are checked for coverage at this size
FileKind = Literal["image", "text", "css"]


def validate_book(spec: LoadedSpec, catalog: ProviderCatalog) -> list[SpecIssue]:
    """Every semantic problem of a schema-valid spec, each at its position."""
    checker = _Checker(spec, catalog)
    checker.check()
    return list(dict.fromkeys(checker.issues))


def validate_warnings(spec: LoadedSpec, catalog: ProviderCatalog) -> list[SpecIssue]:
    """What a valid spec asks that its back ends will not do, without stopping the build
    (e.g. character references on a back end that has none): errors under `--strict`."""
    from bookbuild.spec.cast_backends import cast_issues

    presets = spec.book.models
    found = cast_issues(spec.book, presets, _providers_of(presets, catalog))
    return [spec.issue(i.loc, f"warning: {i.message}") for i in found if i.severity == "warning"]


def _providers_of(
    presets: Mapping[str, Preset], catalog: ProviderCatalog
) -> dict[str, ProviderInfo | None]:
    """The provider classes the presets name, by name; None for one that is unknown or cannot
    be loaded (its error is reported where the preset is loaded)."""
    found: dict[str, ProviderInfo | None] = {}
    for name in sorted({p.provider for p in presets.values()}):
        try:
            found[name] = catalog.provider_info(name)
        except ConfigError:
            found[name] = None
    return found


def _able(cls: ProviderInfo, preset: Preset, need: str) -> bool:
    """Whether `preset` (of provider `cls`) can chat (`need` "chat") or do the image op `need`."""
    ops = cls.ops_for(preset)
    return bool(ops - cls.image_ops()) if need == "chat" else need in ops


def _suggest(name: str, known: Iterable[str], what: str) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f" — did you mean `{close[0]}`?"
    if known:
        return f"; known {what}: {', '.join(known)}"
    return ""


class _Checker:
    def __init__(self, spec: LoadedSpec, catalog: ProviderCatalog) -> None:
        self.spec = spec
        self.book = spec.book
        self.presets = spec.book.models
        self.providers = _providers_of(self.presets, catalog)
        self.issues: list[SpecIssue] = []

    def add(self, loc: Loc, message: str, *, at_key: bool = False) -> None:
        self.issues.append(self.spec.issue(loc, message, at_key=at_key))

    def check(self) -> None:
        self.check_providers()
        self.check_style()
        for role in ("text", "prompt", "image"):
            self.reference(("defaults", role), getattr(self.book.defaults, role))
        if self.book.style.css is not None:
            self.file(("style", "css"), self.book.style.css, "css")
        self.check_chapter_ids()
        for i, chapter in enumerate(self.book.chapters):
            self.check_chapter(("chapters", i), chapter)
        if self.book.cover is not None:
            self.check_illustration(("cover",), self.book.cover)
        from bookbuild.spec.cast_checks import check_cast

        check_cast(self)
        self.check_cast_backends()

    def check_cast_backends(self) -> None:
        """What each picture's back end cannot do with its cast: the errors (warnings are
        `validate_warnings`)."""
        from bookbuild.spec.cast_backends import cast_issues

        for issue in cast_issues(self.book, self.presets, self.providers):
            if issue.severity == "error":
                self.add(issue.loc, issue.message)

    # presets and providers

    def check_providers(self) -> None:
        """The provider's own static checks of each preset (e.g. openai needs `model`)."""
        for name, preset in self.presets.items():
            cls = self.providers.get(preset.provider)
            for problem in cls.preset_problems(preset) if cls else ():
                self.add(("models", name), f"preset `{name}`: {problem}")
            for role, relative in preset.book_files().items():
                self.preset_file(name, role, relative)

    def preset_file(self, name: str, role: str, relative: str) -> None:
        """A file a preset reads (a ComfyUI workflow): inside the book, readable, and what its
        provider expects."""
        before = len(self.issues)
        self.file(("models", name, role), relative, "text")
        cls = self.providers.get(self.presets[name].provider)
        if len(self.issues) > before or cls is None:
            return
        data = resolve_in_book(self.spec.root, relative).read_bytes()
        for where, problem in cls.book_file_problems(self.presets[name], role, data):
            self.add(("models", name, *where), f"preset `{name}`: {problem}")

    def check_style(self) -> None:
        """Theme, page size, margins and bleed: what the renderer will accept."""
        from bookbuild.style import parse_length, parse_margins, parse_page, resolve_theme

        style = self.book.style
        checks: list[tuple[str, Callable[[str], object], str | None]] = [
            ("theme", resolve_theme, style.theme),
            ("page", parse_page, style.page),
            ("margin", parse_margins, style.margin),
            ("bleed", parse_length, style.bleed),
        ]
        for field, parse, value in checks:
            if value is None:
                continue
            try:
                parse(value)
            except ConfigError as exc:
                message = str(exc).removeprefix(f"style.{field}: ")
                self.add(("style", field), f"style.{field}: {message}")

    def reference(self, loc: Loc, name: str | None) -> None:
        """An explicitly written preset name must be defined under `models:`."""
        if name is not None and name not in self.presets:
            hint = _suggest(name, self.presets, "presets")
            if not self.presets:
                hint = "; define it under `models:`"
            self.add(loc, f"unknown preset `{name}`{hint}")

    def capable(self, loc: Loc, name: str, need: str, via: str = "") -> None:
        """The preset `name` (if it exists and its provider loads) can do `need`."""
        preset = self.presets.get(name)
        cls = self.providers.get(preset.provider) if preset else None
        if preset is None or cls is None:
            return
        able = _able(cls, preset, need)
        refusal = cls.preset_op_problem(preset, need) if able and need != "chat" else None
        if refusal is not None:
            self.add(loc, f"preset `{name}`{via} cannot do the image op `{need}`: {refusal}")
        if able:
            return
        what = "chat (writing text)" if need == "chat" else f"the image op `{need}`"
        fit = [n for n in sorted(self.presets) if self.can(n, need)]
        hint = f"; presets that can: {', '.join(fit)}" if fit else ""
        self.add(
            loc,
            f"preset `{name}`{via} uses provider `{preset.provider}`, which cannot do {what}{hint}",
        )

    def request(
        self, loc: Loc, name: str, size: tuple[int, int] | None, texts: tuple[str, ...]
    ) -> None:
        """What the preset's provider says it cannot do with this size or these texts."""
        preset = self.presets.get(name)
        cls = self.providers.get(preset.provider) if preset else None
        if preset is None or cls is None:
            return
        for problem in cls.request_problems(preset, size=size, texts=texts):
            self.add(loc, f"preset `{name}` ({preset.provider}): {problem}")

    def can(self, name: str, need: str) -> bool:
        preset = self.presets[name]
        cls = self.providers.get(preset.provider)
        if cls is None or not _able(cls, preset, need):
            return False
        return need == "chat" or cls.preset_op_problem(preset, need) is None

    # chapters

    def check_chapter_ids(self) -> None:
        first: dict[str, int] = {}
        for i, chapter in enumerate(self.book.chapters):
            loc = ("chapters", i, "id")
            if chapter.id == COVER_ID:
                self.add(
                    loc, "the chapter id `cover` is reserved for the cover; rename the chapter"
                )
            if chapter.id in first:
                line = self.spec.position("chapters", first[chapter.id], "id")[0]
                self.add(loc, f"duplicate chapter id `{chapter.id}` (also on line {line})")
            first.setdefault(chapter.id, i)

    def check_chapter(self, loc: Loc, chapter: Chapter) -> None:
        self.reference((*loc, "model"), chapter.model)
        if chapter.file is not None:
            self.file((*loc, "file"), chapter.file, "text")
        if chapter.write is not None:
            self.chat_role(
                (*loc, "write"),
                [((*loc, "model"), chapter.model), (("defaults", "text"), self.book.defaults.text)],
                f"chapter `{chapter.id}` has `write:` but no chat preset to write it: "
                "add `model: <preset>` to the chapter or set `defaults: {text: <preset>}`",
            )
        self.check_illustration_ids(loc, chapter)
        for j, illustration in enumerate(chapter.illustrations):
            self.check_illustration((*loc, "illustrations", j), illustration)

    def check_illustration_ids(self, loc: Loc, chapter: Chapter) -> None:
        first: dict[str, int] = {}
        for j, illustration in enumerate(chapter.illustrations):
            ill_id = illustration.id or f"ill-{j + 1}"
            if ill_id in first:
                at: Loc = (*loc, "illustrations", j)
                at = (*at, "id") if illustration.id else at
                how = "" if illustration.id else f" (its default id, as illustration {j + 1})"
                self.add(
                    at,
                    f"duplicate illustration id `{ill_id}`{how} in chapter `{chapter.id}` "
                    f"(also illustration {first[ill_id] + 1}); give it another `id:`",
                )
            first.setdefault(ill_id, j)

    def chat_role(self, loc: Loc, choices: list[tuple[Loc, str | None]], missing: str) -> None:
        """The first named preset of `choices` must exist and chat; none named -> `missing`."""
        for source, name in choices:
            if name is not None and source[0] == "defaults":
                self.capable(loc, name, "chat", f" (from `{'.'.join(map(str, source))}`)")
                return
            if name is not None:
                self.capable(source, name, "chat")
                return
        self.add(loc, missing)

    # illustrations

    def check_illustration(self, loc: Loc, ill: Illustration) -> None:
        defaults = self.book.defaults
        self.reference((*loc, "model"), ill.model)
        self.reference((*loc, "prompt_model"), ill.prompt_model)
        if ill.describe is not None:
            self.chat_role(
                (*loc, "describe"),
                [
                    ((*loc, "prompt_model"), ill.prompt_model),
                    (("defaults", "prompt"), defaults.prompt),
                    (("defaults", "text"), defaults.text),
                ],
                "`describe:` needs a chat preset to write the prompt: set `prompt_model:` "
                "or `defaults: {prompt: <preset>}`",
            )
        image = ill.model or defaults.image
        via = "" if ill.model else " (from `defaults.image`)"
        if ill.file is not None:
            self.file((*loc, "file"), ill.file, "image")
            if image is None and not ill.edits:
                return  # used as-is: no model needed
        if image is None:
            self.add(
                loc,
                "no image preset for this illustration: set `model: <preset>` on it "
                "or `defaults: {image: <preset>}`",
            )
        elif ill.file is None:
            base_op = "controlnet" if ill.controlnet else "img2img" if ill.init_image else "txt2img"
            self.capable((*loc, "model") if ill.model else loc, image, base_op, via)
            size = (ill.width, ill.height) if ill.width and ill.height else None
            self.request(loc, image, size, (ill.prompt or "", ill.negative_prompt or ""))
        if ill.init_image is not None:
            self.file((*loc, "init_image", "path"), ill.init_image.path, "image")
        if ill.controlnet is not None:
            self.file((*loc, "controlnet", "image"), ill.controlnet.image, "image")
        for k, edit in enumerate(ill.edits):
            self.check_edit((*loc, "edits", k, edit.op), edit, image, via or " (the image's)")

    def check_edit(self, loc: Loc, edit: Edit, image: str | None, via: str) -> None:
        own = getattr(edit.params, "model", None)
        self.reference((*loc, "model"), own)
        if own is not None:
            self.capable((*loc, "model"), own, edit.op)
        elif image is not None:
            self.capable(loc, image, edit.op, via)
        texts = tuple(str(getattr(edit.params, f, None) or "") for f in ("prompt", "search"))
        if own or image:
            self.request(loc, str(own or image), None, texts)
        mask = getattr(edit.params, "mask", None)
        if isinstance(mask, str):
            if self.file((*loc, "mask"), mask, "image"):
                self.mask_coverage((*loc, "mask"), mask)
        elif mask is not None:
            self.mask_coverage((*loc, "mask"), mask)

    def mask_coverage(self, loc: Loc, mask: str | MaskShape | list[MaskShape]) -> None:
        """A mask that repaints nothing or everything is refused before any call."""
        from bookbuild.spec import masks

        try:
            if isinstance(mask, MaskShape):  # the common case, without scaling the drawing
                problem = masks.extrema_problem(masks.shape_extrema(mask, MASK_CHECK_SIZE))
            elif isinstance(mask, str):
                problem = masks.coverage_problem(masks.load_mask_file(mask, self.spec.root))
            else:
                image = masks.render_mask(mask, MASK_CHECK_SIZE, self.spec.root)
                problem = masks.coverage_problem(image)
        except UserError as exc:
            self.add(loc, str(exc))
            return
        if problem:
            self.add(loc, problem)

    # files

    def file(self, loc: Loc, relative: str, kind: FileKind) -> bool:
        """Check a file the spec names; True when it is usable."""
        try:
            target = resolve_in_book(self.spec.root, relative)
        except ValueError as exc:
            self.add(loc, str(exc))
            return False
        problem = _file_problem(target, relative, kind)
        if problem and not target.exists():
            problem += _near_file(self.spec.root, relative)
        if problem:
            self.add(loc, problem)
        return problem is None


_SKIPPED_FOLDERS = frozenset({".bookbuild", ".git", "build", "site", "node_modules", ".venv"})
MAX_FILES_SEARCHED = 5000


def _book_files(root: Path) -> list[str]:
    """The book's own files (relative, posix), for suggestions; bookkeeping folders skipped."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_FOLDERS)
        found += [(Path(folder) / f).relative_to(root).as_posix() for f in sorted(files)]
        if len(found) > MAX_FILES_SEARCHED:
            break
    return found


def _near_file(root: Path, relative: str) -> str:
    """` — did you mean `chapters/opening.md`?` for the book's file nearest to a missing path."""
    wanted = relative.replace("\\", "/").removeprefix("./")
    files = _book_files(root)
    close = difflib.get_close_matches(wanted, files, n=1, cutoff=0.6)
    if not close:
        by_name = {Path(f).name: f for f in files}
        names = difflib.get_close_matches(Path(wanted).name, by_name, n=1, cutoff=0.6)
        close = [by_name[n] for n in names]
    return f" — did you mean `{close[0]}`?" if close else ""


def _file_problem(target: Path, relative: str, kind: FileKind) -> str | None:
    if not target.exists():
        return f"file not found: `{relative}` (paths are relative to the spec's folder)"
    if not target.is_file():
        return f"`{relative}` is not a file"
    suffix = target.suffix.lower()
    try:
        if kind == "image" and suffix not in IMAGE_SUFFIXES:
            return f"`{relative}` is not a PNG, JPEG or WebP file (.png, .jpg, .jpeg, .webp)"
        if kind == "image" and not is_image_file(target):
            return f"`{relative}` is named like an image but is not a PNG, JPEG or WebP image"
        if kind == "css" and suffix != ".css":
            return f"`{relative}` should be a stylesheet (.css)"
        if kind in ("text", "css") and not is_text_file(target):
            return f"`{relative}` is not UTF-8 text; save it as UTF-8"
    except OSError as exc:
        return f"cannot read `{relative}`: {exc.strerror or exc}"
    return None
