"""How one step is executed: inputs gathered, the provider request built, the output checked.

The engine decides *whether* and *when* a step runs; this module decides *what* running it means
for each op. Outputs are bytes plus metadata; nothing here touches the lock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bookbuild.build.pool import ProviderPool
from bookbuild.errors import ImageDecodeError, MaskError, ProviderError, StoreError
from bookbuild.graph import prompts
from bookbuild.graph.cast import expand
from bookbuild.graph.ops import op_named
from bookbuild.graph.steps import FileInput, Step
from bookbuild.hashing import digest_of
from bookbuild.media.images import decode_image, encode_png, image_size
from bookbuild.providers.base import CastName, CharacterRef, ChatRequest, ImageRequest, ImageResult
from bookbuild.spec import LoadedSpec, resolve_in_book
from bookbuild.spec.masks import (
    aspect_warning,
    coverage_problem,
    mask_png,
    render_mask,
    scale_mask,
    to_mask,
)
from bookbuild.spec.models import MaskShape
from bookbuild.spec.presets import Lora
from bookbuild.store.journal import JobJournal, describe_job, unknown_job


@dataclass(frozen=True)
class StepOutput:
    data: bytes
    metadata: dict[str, Any]


class StepRunner:
    def __init__(self, spec: LoadedSpec, providers: ProviderPool) -> None:
        self.spec = spec
        self.providers = providers

    def run(self, step: Step, inputs: Mapping[str, bytes], journal: JobJournal) -> StepOutput:
        """Run `step`; `inputs` maps each dependency role to the upstream output bytes."""
        if step.kind == "source":
            return self._source(step)
        if step.kind == "chat":
            return self._chat(step, inputs, journal)
        return self._image(step, inputs, journal)

    # -- source ----------------------------------------------------------------------------
    def _source(self, step: Step) -> StepOutput:
        if step.op == "import":
            path = dict(step.files)["image"].path
            image = decode_image(self._file_bytes(step, "image"), what=path)
            meta = {"provider": "file", "path": path, "width": image.width, "height": image.height}
            return StepOutput(encode_png(image), meta)
        if "text" in step.params:
            text = str(step.params["text"])
        else:
            text = self._file_bytes(step, "file").decode("utf-8")
        return StepOutput(_normalise_text(text).encode("utf-8"), {"provider": "source"})

    def _file_bytes(self, step: Step, role: str) -> bytes:
        file = dict(step.files)[role]
        data = resolve_in_book(self.spec.root, file.path).read_bytes()
        if digest_of(data) != file.digest:
            raise StoreError(f"{step.id}: {file.path} changed during the build; run make again")
        return data

    # -- chat ------------------------------------------------------------------------------
    def _chat(self, step: Step, inputs: Mapping[str, bytes], journal: JobJournal) -> StepOutput:
        request = self._chat_request(step, inputs, journal)
        result = self.providers.call(step.preset, step.id, lambda p: p.complete(request))
        if step.op == "describe":
            return StepOutput(_described(step, result.text).encode(), result.metadata)
        text = _normalise_text(result.text)
        if not text.strip():
            raise ProviderError("the chat model returned no text", step_id=step.id)
        return StepOutput(text.encode("utf-8"), result.metadata)

    def _chat_request(
        self, step: Step, inputs: Mapping[str, bytes], journal: JobJournal
    ) -> ChatRequest:
        p = step.params
        text = inputs["text"].decode("utf-8") if "text" in inputs else str(p.get("source", ""))
        if step.op == "write":
            return _write_request(step, inputs, journal)
        if step.op == "summarize":
            messages = prompts.summarize_messages(p["language"], p["chapter_title"], text)
            return ChatRequest(
                step.id, "summarize", messages, p["language"], source_text=text, journal=journal
            )
        cast = _cast_names(step)
        pairs = [(c.id, c.name) for c in cast]
        alt = bool(p.get("alt"))
        messages = prompts.describe_messages(
            p["chapter_title"], text, p["style"], pairs, p["language"] if alt else None
        )
        return ChatRequest(
            step.id,
            "describe",
            messages,
            p["language"],
            brief=p["style"],
            source_text=text,
            json_schema=prompts.describe_schema(bool(cast), alt),
            seed=p.get("seed"),
            cast=cast,
            journal=journal,
            alt=alt,
        )

    # -- images ----------------------------------------------------------------------------
    def _image(self, step: Step, inputs: Mapping[str, bytes], journal: JobJournal) -> StepOutput:
        request = self._image_request(step, inputs, journal)
        refuse_unknown_job(journal, step.id, paid=not self.providers.get(step.preset).local)
        result = self.providers.call(step.preset, step.id, lambda p: p.run_image(request))
        data, (width, height) = normalised_png(result, step)
        metadata = {**result.metadata, "width": width, "height": height}
        if request.prompt and "prompt" not in metadata:
            metadata["prompt"] = request.prompt
        return StepOutput(data, metadata)

    def _image_request(
        self, step: Step, inputs: Mapping[str, bytes], journal: JobJournal
    ) -> ImageRequest:
        p = dict(step.params)
        prompt, negative = _prompt_of(p, inputs)
        prompt = expand(prompt, step.cast, step.art)
        image = self._input_image(step, inputs, "image")
        control = self._input_image(step, inputs, "control_image")
        op = op_named(step.op)
        width, height = int(p.pop("width", 0)), int(p.pop("height", 0))
        if image is not None and (op.size_from_input or not (width and height)):
            width, height = image_size(image, what=f"{step.id} input image")
        mask = self._mask(step, p, (width, height)) if "mask" in op.inputs else None
        extra = {k: v for k, v in p.items() if k not in _REQUEST_FIELDS}
        return ImageRequest(
            step_id=step.id,
            op=step.op,  # type: ignore[arg-type]
            prompt=prompt,
            negative_prompt=negative,
            width=width or 768,
            height=height or 768,
            seed=int(p.get("seed", 0)),
            strength=p.get("strength"),
            image=image,
            mask=mask,
            control_image=control,
            params=extra,
            files=self._other_files(step, op.inputs),
            characters=self._characters(step, inputs),
            style_images=self._pictures(step, step.art.files if step.art else ()),
            journal=journal,
        )

    def _characters(self, step: Step, inputs: Mapping[str, bytes]) -> tuple[CharacterRef, ...]:
        """The cast the picture shows, with its reference pictures: the sheet's output (an
        input of role `cast:<id>`) or the author's files, as hashed into the key."""
        found = []
        for c in step.cast:
            images = (inputs[c.role],) if c.role in inputs else self._pictures(step, c.files)
            lora = Lora.model_validate(dict(c.lora)) if c.lora else None
            found.append(CharacterRef(c.id, c.name, c.description, images, lora, c.weight))
        return tuple(found)

    def _pictures(self, step: Step, files: tuple[FileInput, ...]) -> tuple[bytes, ...]:
        return tuple(encode_png(decode_image(self._read(step, f), what=f.path)) for f in files)

    def _read(self, step: Step, file: FileInput) -> bytes:
        data = resolve_in_book(self.spec.root, file.path).read_bytes()
        if digest_of(data) != file.digest:
            raise StoreError(f"{step.id}: {file.path} changed during the build; run make again")
        return data

    def _other_files(self, step: Step, roles: tuple[str, ...]) -> dict[str, bytes]:
        """The step's files that are not its op's input pictures (e.g. a ComfyUI workflow),
        as they were hashed into its key."""
        return {role: self._file_bytes(step, role) for role, _ in step.files if role not in roles}

    def _input_image(self, step: Step, inputs: Mapping[str, bytes], role: str) -> bytes | None:
        if role in inputs:
            return inputs[role]
        if role in dict(step.files):
            data = self._file_bytes(step, role)
            return encode_png(decode_image(data, what=dict(step.files)[role].path))
        return None

    def _mask(self, step: Step, params: dict[str, Any], size: tuple[int, int]) -> bytes:
        if "mask" in dict(step.files):  # the bytes hashed into the key, not whatever is there now
            painted = decode_image(self._file_bytes(step, "mask"), what=f"{step.id} mask")
            stretched = aspect_warning(painted.size, size)
            if stretched:
                self.providers.warn(step.id, stretched)
            mask = scale_mask(to_mask(painted), size)
        else:
            raw = params["mask"]
            spec = [MaskShape(**m) for m in raw] if isinstance(raw, list) else MaskShape(**raw)
            mask = render_mask(spec, size, self.spec.root)
        problem = coverage_problem(mask)
        if problem:  # before any call: a mask that cannot mean what it says
            raise MaskError(f"{step.id}: {problem}")
        return mask_png(mask)


def _write_request(step: Step, inputs: Mapping[str, bytes], journal: JobJournal) -> ChatRequest:
    """A chapter from its brief, the premise, and the summaries of the chapters before it."""
    p = step.params
    previous = tuple(
        (title, inputs[f"summary-{n}"].decode("utf-8"))
        for n, title in enumerate(p["previous_titles"], start=1)
    )
    cast = _cast_names(step)
    ctx = prompts.ChapterContext(
        p["book_title"],
        p["language"],
        p["premise"],
        p["chapter_title"],
        p["brief"],
        previous,
        tuple((c.name, c.traits) for c in cast),
    )
    messages = prompts.write_messages(ctx)
    return ChatRequest(
        step.id, "write", messages, p["language"], brief=p["brief"], cast=cast, journal=journal
    )


def _cast_names(step: Step) -> tuple[CastName, ...]:
    """The cast a chat step knows (`params.cast`): ids and names, and traits for the writer."""
    return tuple(
        CastName(str(c["id"]), str(c["name"]), str(c.get("traits", "")))
        for c in step.params.get("cast", ())
    )


def _described(step: Step, reply: str) -> str:
    """The `describe` output stored: the prompt JSON, with the characters it shows when the
    book has a cast (checked against it; the picture's key is bound to them), and the alt
    text when the step asked for one (`style.alt: describe`)."""
    cast = [str(c["id"]) for c in step.params.get("cast", ())]
    if cast:
        parsed = prompts.parse_cast_prompt(reply, cast, step.id)
    else:
        parsed = prompts.parse_image_prompt(reply, step.id)
    alt = bool(step.params.get("alt"))
    if alt:
        parsed = replace(parsed, alt=prompts.parse_alt(reply, step.id))
    return parsed.to_json(with_cast=bool(cast), with_alt=alt)


def refuse_unknown_job(journal: JobJournal, step_id: str, *, paid: bool = True) -> None:
    """A paid submit of an earlier make whose answer was never recorded: said once (the job
    may be running and charged), then forgotten, so the next make sends the step again. On a
    local server (`paid` False: nothing is charged) it is forgotten and the step sent again."""
    record = journal.pending()
    if record is None or not unknown_job(record):
        return
    journal.forget()
    if not paid:
        return
    raise ProviderError(
        f"a paid job may be running: id unknown ({describe_job(record)}): an earlier make "
        "sent it but could not record the service's answer (it was killed, or the disk was "
        "full). Check the service's dashboard or history for it; the next make sends this "
        "step again",
        step_id=step_id,
    )


_REQUEST_FIELDS = {"prompt", "negative_prompt", "seed", "strength", "take", "mask"}


def normalised_png(result: ImageResult, step: Step) -> tuple[bytes, tuple[int, int]]:
    """The result as bookbuild's PNG (no metadata, fixed level) and its size; a provider's own
    `encode_png` output is kept as it is (encoding is most of a draft build's time)."""
    try:
        if result.canonical:
            return result.png, image_size(result.png, what=f"{step.id} result")
        image = decode_image(result.png, what=f"{step.id} result")
    except ImageDecodeError as exc:  # the service's fault, not the author's: exit 1
        raise ProviderError(
            f"the provider returned an unusable picture ({exc})",
            provider=step.provider,
            step_id=step.id,
        ) from None
    return encode_png(image), image.size


def _prompt_of(params: Mapping[str, Any], inputs: Mapping[str, bytes]) -> tuple[str, str]:
    negative = str(params.get("negative_prompt") or "")
    if "prompt" in inputs:
        described = json.loads(inputs["prompt"].decode("utf-8"))
        extra = str(described.get("negative_prompt") or "")
        negative = ", ".join(n for n in (negative, extra) if n)
        return str(described["prompt"]), negative
    return str(params.get("prompt") or ""), negative


def _normalise_text(text: str) -> str:
    """Unix newlines, no trailing spaces at the end, exactly one final newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip() + "\n"
