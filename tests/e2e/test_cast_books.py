"""Issue 17, end to end: the two-character book (the hare with her own picture, the tortoise
with a generated character sheet, an art style) built through `make` with each of the seven
back ends against its fake (ComfyUI twice: its built-in graph, and an author's workflow whose
LoadImage nodes take the references by role). Read from what each fake RECEIVED, in the
vendor's own field: every picture carries the reference of each character it shows and no
other, and the description of each, verbatim; a new description of one character re-runs only
that character's pictures, and the service receives exactly those."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from bookbuild.providers.base import ImageRequest, ImageResult
from bookbuild.reports.cast import cast_lineup
from tests.fakes.a1111_drawing import decode
from tests.fakes.a1111_server import FakeA1111
from tests.fakes.comfyui_server import FakeComfyUI
from tests.fakes.multipart import parse_form
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sdapi_server import FakeSDAPI
from tests.fakes.stability_server import FakeStability
from tests.helpers.cast_books import CAST_BOOK, write_cast_book

OFFLINE_PAINTER = "painter: {provider: offline, width: 320, height: 256}"
HARE_RGB, STYLE_RGB = (230, 40, 40), (40, 170, 60)
DESCRIPTIONS = {
    "hare": "a slender white hare with long ears and a red knitted scarf",
    "tortoise": "an old green tortoise with a mossy shell and round glasses",
}
REPAINTED = "a slender white hare with long ears and a blue knitted scarf"
# Each picture, found in a request by a phrase of its prompt: its step and who it shows.
PICTURES = {
    "character sheet of": ("cast/tortoise/image", ("tortoise",)),
    "mocks the tortoise": ("start/line/image", ("hare", "tortoise")),
    "running alone": ("start/alone/image", ("hare",)),
    "oak tree on a hill": ("nap/oak/image", ()),
    "the tortoise walks past": ("nap/passing/image", ("tortoise",)),
}
HTML = MakeOptions(formats=("html",), jobs=1)
# What the cast page says under the hare's picture: how her reference reached it.
SENT = {
    "sdapi": "reference sent as ip_adapter_image",
    "a1111": "IP-Adapter",
    "comfyui": "reference sent as IPAdapterAdvanced",
    "comfyui-workflow": "reference sent as workflow input reference.hare (20.image)",
    "diffusers": "reference sent as ip_adapter_image[0]",
    "openai": "reference sent as image[]",
    "stability": "drawn from its description only",
    "offline": "drawn as its draft figure",
}


@dataclass(frozen=True)
class Received:
    """One picture request as the service saw it: the prompt, and the reference pictures in
    the field the vendor documents for them (in the order sent)."""

    prompt: str
    references: tuple[Image.Image, ...]
    by_field: tuple[tuple[str, Image.Image], ...] = ()  # where the field names one character


@dataclass
class BackEnd:
    preset: str
    env: dict[str, str]
    received: Callable[[], list[Received]]
    sends_sheet_of_several: bool = False  # one picture only: the characters side by side
    sends_style: bool = False  # the art style's picture goes with the references
    identity: bool = True  # it takes character references at all
    roles: dict[str, str] | None = None  # field -> whose reference it must hold
    files: dict[str, str] | None = None  # files the book needs (an author's workflow)


def _open(data: bytes) -> Image.Image:
    picture = Image.open(BytesIO(data))
    picture.load()
    return picture


@contextmanager
def sdapi(_: Any) -> Iterator[BackEnd]:
    with FakeSDAPI() as fake:

        def received() -> list[Received]:
            found = []
            for call in fake.submits:
                url = call.body.get("ip_adapter_image")
                pictures = (_open(fake.file_bytes(url)),) if url else ()
                found.append(Received(call.body["prompt"], pictures))
            return found

        preset = "{provider: sdapi, api: v6, model: sd-1.5, width: 256, height: 192}"
        yield BackEnd(preset, fake.env, received, sends_sheet_of_several=True)


@contextmanager
def a1111(_: Any) -> Iterator[BackEnd]:
    with FakeA1111() as fake:

        def received() -> list[Received]:
            found = []
            for call in fake.of("/sdapi/v1/txt2img"):
                scripts = call.body.get("alwayson_scripts", {})
                units = scripts.get("controlnet", {}).get("args", [])
                pictures = tuple(decode(unit["image"]) for unit in units)
                found.append(Received(call.body["prompt"], pictures))
            return found

        yield BackEnd("{provider: a1111, width: 128, height: 96, steps: 4}", fake.env, received)


def _comfyui_received(fake: FakeComfyUI) -> list[Received]:
    found = []
    for body in fake.prompts():
        graph: dict[str, Any] = body["prompt"]
        texts = [n["inputs"]["text"] for n in graph.values() if n["class_type"] == "CLIPTextEncode"]
        adapters = [n for n in graph.values() if n["class_type"] == "IPAdapterAdvanced"]
        loads = [graph[n["inputs"]["image"][0]] for n in adapters]  # the linked LoadImage
        assert all(load["class_type"] == "LoadImage" for load in loads)
        pictures = tuple(fake.input_file(load["inputs"]["image"]) for load in loads)
        found.append(Received(" | ".join(texts), pictures))
    return found


@contextmanager
def comfyui(_: Any) -> Iterator[BackEnd]:
    with FakeComfyUI() as fake:
        preset = (
            "{provider: comfyui, checkpoint: v1-5-pruned-emaonly.safetensors, width: 128, "
            "height: 96, poll_interval: 0.01}"
        )
        env = {"COMFYUI_BASE_URL": fake.base_url}
        yield BackEnd(preset, env, lambda: _comfyui_received(fake))


WORKFLOW = {
    "3": {
        "class_type": "KSampler",
        "inputs": {
            **{"seed": 0, "steps": 20, "cfg": 8.0, "sampler_name": "euler"},
            **{"scheduler": "normal", "denoise": 1.0, "model": ["4", 0]},
            **{"positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]},
        },
    },
    "4": {
        "class_type": "CheckpointLoaderSimple",
        "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"},
    },
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 96, "height": 64, "batch_size": 1}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "placeholder", "clip": ["4", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
    "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    **{n: {"class_type": "LoadImage", "inputs": {"image": "none.png"}} for n in ("20", "21", "22")},
}
ROLES = {"20.image": "hare", "21.image": "tortoise", "22.image": "style.art"}


@contextmanager
def comfyui_workflow(_: Any) -> Iterator[BackEnd]:
    """The author's own workflow: the references reach the LoadImage nodes mapped by role."""
    with FakeComfyUI() as fake:

        def received() -> list[Received]:
            found = []
            for body in fake.prompts():
                graph: dict[str, Any] = body["prompt"]
                fields = tuple(
                    (field, fake.input_file(graph[field[:2]]["inputs"]["image"]))
                    for field in ROLES
                    if graph[field[:2]]["inputs"]["image"] != "none.png"
                )
                pictures = tuple(picture for _, picture in fields)
                found.append(Received(graph["6"]["inputs"]["text"], pictures, fields))
            return found

        inputs = '{prompt: "6.text", seed: "3.seed", "reference.hare": "20.image", '
        inputs += '"reference.tortoise": "21.image", style_reference: "22.image"}'
        preset = f"{{provider: comfyui, workflow: workflows/flow.json, inputs: {inputs}}}"
        env = {"COMFYUI_BASE_URL": fake.base_url}
        files = {"workflows/flow.json": json.dumps(WORKFLOW)}
        yield BackEnd(preset, env, received, sends_style=True, roles=ROLES, files=files)


@contextmanager
def openai(_: Any) -> Iterator[BackEnd]:
    with FakeOpenAI(api_key="sk-cast") as fake:

        def received() -> list[Received]:
            found = []
            edits = iter(fake.edit_forms)
            for request in fake.image_requests:
                if request.path.endswith("/generations"):
                    found.append(Received(request.body["prompt"], ()))
                    continue
                form = parse_form(request.headers["content-type"], next(edits))
                pictures = tuple(_open(part.data) for part in form.files_named("image", "image[]"))
                found.append(Received(form.fields["prompt"], pictures))
            return found

        preset = "{provider: openai, model: gpt-image-1.5, width: 256, height: 192, quality: low}"
        env = {"OPENAI_API_KEY": "sk-cast", "OPENAI_BASE_URL": fake.base_url}
        yield BackEnd(preset, env, received, sends_style=True)


@contextmanager
def stability(_: Any) -> Iterator[BackEnd]:
    with FakeStability() as fake:

        def received() -> list[Received]:
            found = []
            for call in fake.of("submit"):
                # control/style's `image` is the art style's guide picture, documented as such
                style = (call.image(),) if call.path.endswith("/control/style") else ()
                found.append(Received(call.fields["prompt"], style))
            return found

        preset = "{provider: stability, model: core, width: 256, height: 192}"
        yield BackEnd(preset, fake.env, received, sends_style=True, identity=False)


@contextmanager
def diffusers(request: pytest.FixtureRequest) -> Iterator[BackEnd]:
    """No service: diffusers runs in the process, so what reaches the pipeline call's
    `ip_adapter_image` argument is recorded (the real call still runs, on the tiny model)."""
    pytest.importorskip("diffusers")
    from bookbuild.providers.diffusers import references
    from tests.helpers.tiny_diffusers import IMAGE_SIZE, IP_ADAPTER_WEIGHTS

    model, adapter = request.getfixturevalue("tiny_pipeline")
    seen: list[Received] = []
    original = references.call_inputs

    def spy(pipes: Any, role: str, settings: Any, picture: ImageRequest) -> dict[str, Any]:
        inputs = original(pipes, role, settings, picture)
        seen.append(Received(picture.prompt, tuple(inputs.get("ip_adapter_image", ()))))
        return inputs

    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setattr(references, "call_inputs", spy)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ip_adapter = f'{{model: "{adapter}", subfolder: "", weight_name: {IP_ADAPTER_WEIGHTS}}}'
    preset = (
        f'{{provider: diffusers, model: "{model}", width: {IMAGE_SIZE}, height: {IMAGE_SIZE}, '
        f"steps: 2, device: cpu, ip_adapter: {ip_adapter}}}"
    )
    yield BackEnd(preset, {"HF_HUB_OFFLINE": "1"}, lambda: list(seen))


@contextmanager
def offline(request: pytest.FixtureRequest) -> Iterator[BackEnd]:
    """The draft back end: the references handed to it, each drawn as the character's figure
    (tests/providers/offline/test_figures.py checks the figures on pixels)."""
    from bookbuild.providers.offline.provider import OfflineProvider

    seen: list[Received] = []
    original = OfflineProvider.run_image

    def spy(self: OfflineProvider, picture: ImageRequest) -> ImageResult:
        if picture.op == "txt2img":
            images = tuple(_open(c.images[0]) for c in picture.characters if c.images)
            seen.append(Received(picture.prompt, images))
        return original(self, picture)

    request.getfixturevalue("monkeypatch").setattr(OfflineProvider, "run_image", spy)
    yield BackEnd(OFFLINE_PAINTER.split(": ", 1)[1], {}, lambda: list(seen))


BACK_ENDS: dict[str, Callable[[Any], Any]] = {
    "sdapi": sdapi,
    "a1111": a1111,
    "comfyui": comfyui,
    "comfyui-workflow": comfyui_workflow,
    "diffusers": diffusers,
    "openai": openai,
    "stability": stability,
    "offline": offline,
}


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pytest.importorskip("diffusers")
    from tests.helpers.tiny_diffusers import save_tiny_ip_adapter, save_tiny_pipeline

    model = save_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd") / "model")
    return model, save_tiny_ip_adapter(model, tmp_path_factory.mktemp("tiny-ip") / "adapter")


def write_book(folder: Path, painter: str, files: dict[str, str] | None = None) -> Path:
    book = write_cast_book(folder, CAST_BOOK.replace(OFFLINE_PAINTER, f"painter: {painter}"))
    for name, text in (files or {}).items():
        (book / name).parent.mkdir(parents=True, exist_ok=True)
        (book / name).write_text(text, encoding="utf-8")
    Image.new("RGB", (64, 64), HARE_RGB).save(book / "art" / "hare.png")
    Image.new("RGB", (64, 64), STYLE_RGB).save(book / "art" / "style.png")
    return book


def alike(sent: Image.Image, known: Image.Image) -> bool:
    """The same picture, whatever size or encoding it was sent at."""
    a = sent.convert("RGB")
    b = known.convert("RGB").resize(a.size, Image.Resampling.BILINEAR)
    return max(ImageStat.Stat(ImageChops.difference(a, b)).mean) < 8


def side_by_side(sent: Image.Image, parts: tuple[Image.Image, ...]) -> bool:
    """`sent` is `parts` scaled to one height and set left to right."""
    height, x = sent.height, 0
    for part in parts:
        width = round(part.width * height / part.height)
        if not alike(sent.crop((x, 0, min(x + width, sent.width), height)), part):
            return False
        x += width
    return abs(x - sent.width) <= len(parts)


def who(sent: Image.Image, known: dict[str, Image.Image]) -> tuple[str, ...]:
    """Whose reference a sent picture is: one of `known`, or a cast sheet of several."""
    for name, picture in known.items():
        if alike(sent, picture):
            return (name,)
    for names in itertools.permutations(known, 2):
        if side_by_side(sent, tuple(known[n] for n in names)):
            return names
    return ("unknown",)


def by_picture(received: list[Received]) -> dict[str, Received]:
    """Each request under its picture's step, found by a phrase of its prompt."""
    found: dict[str, Received] = {}
    for one in received:
        (step,) = [step for phrase, (step, _) in PICTURES.items() if phrase in one.prompt]
        assert step not in found, f"{step} was asked for twice"
        found[step] = one
    return found


def references(book: Path, project: Project) -> dict[str, Image.Image]:
    entry = project.load_lock().entries["cast/tortoise/image"]
    return {
        "hare": Image.open(book / "art" / "hare.png"),
        "tortoise": _open(project.store.get(entry.digest)),  # the sheet as it was drawn
        "style.art": Image.open(book / "art" / "style.png"),
    }


def check_request(step: str, one: Received, known: dict[str, Image.Image], back: BackEnd) -> None:
    shows = next(cast for s, cast in PICTURES.values() if s == step)
    for cid, description in DESCRIPTIONS.items():
        assert (description in one.prompt) == (cid in shows), (step, cid, one.prompt)
    sheet = step.startswith("cast/")
    wanted = [] if sheet or not back.identity else list(shows)
    sent = [cid for picture in one.references for cid in who(picture, known)]
    for field, picture in one.by_field:  # the field named for a character holds its picture
        assert back.roles is not None and who(picture, known) == (back.roles[field],), field
    if back.sends_sheet_of_several and len(wanted) > 1:
        assert len(one.references) == 1, step  # one picture: the cast sheet
    if back.sends_style:
        assert sent[-1:] == ["style.art"], (step, sent)  # the art style's picture, last
        sent = sent[:-1]
    assert sorted(sent) == sorted(wanted), (step, sent)


@pytest.mark.parametrize("name", list(BACK_ENDS))
def test_each_picture_reaches_the_service_with_exactly_its_characters_references(
    tmp_path: Path, name: str, request: pytest.FixtureRequest
) -> None:
    with BACK_ENDS[name](request) as back:
        book = write_book(tmp_path / "book", back.preset, back.files)
        make(Project.open(book, env=back.env), HTML)
        project = Project.open(book, env=back.env)
        first = back.received()
        pictures = by_picture(first)
        assert sorted(pictures) == sorted(step for step, _ in PICTURES.values())
        known = references(book, project)
        for step, one in pictures.items():
            check_request(step, one, known, back)
        hare = cast_lineup(project).member("hare")
        sent = {a.key: a.sent for a in hare.appearances}
        assert SENT[name] in sent["start/alone"], sent
        if back.sends_sheet_of_several:
            assert "in a cast sheet with the others" in sent["start/line"]

        spec = book / "book.yaml"
        text = spec.read_text(encoding="utf-8")
        spec.write_text(text.replace(DESCRIPTIONS["hare"], REPAINTED), encoding="utf-8")
        called = make(Project.open(book, env=back.env), HTML).called
        assert sorted(called) == ["start/alone/image", "start/line/image"]
        again = by_picture(back.received()[len(first) :])
        assert sorted(again) == ["start/alone/image", "start/line/image"]
        for step, one in again.items():
            assert REPAINTED in one.prompt, step
            as_before = one.prompt.replace(REPAINTED, DESCRIPTIONS["hare"])
            check_request(step, dataclasses.replace(one, prompt=as_before), known, back)
