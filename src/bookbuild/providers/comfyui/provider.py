"""The `comfyui` provider: image ops on a ComfyUI server (local, free).

One op is: look up the server's nodes once (`/object_info`: the op's nodes and ControlNet must
exist), upload the input pictures (`/upload/image`; a mask through `/upload/mask`, turned from
our white = repaint into ComfyUI's alpha 0 = repaint), build the op's graph (`graphs`, or the
author's `workflow` with its `inputs` filled), queue it (`/prompt`) and wait (`jobs`: the
prompt_id is journaled first, so a killed build resumes the job), then fetch the picture
(`/view`) and bring it to the asked size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.media.images import decode_image
from bookbuild.providers.base import (
    CastNeeds,
    CastProblem,
    ImageRequest,
    ImageResult,
    Provider,
    RetryNotice,
)
from bookbuild.providers.comfyui import graphs, names, pictures, references
from bookbuild.providers.comfyui.builtin import BuiltIn, require_nodes
from bookbuild.providers.comfyui.client import START_HINT, ComfyUIClient
from bookbuild.providers.comfyui.custom import request_values, upload_images
from bookbuild.providers.comfyui.jobs import DEFAULT_DEADLINE, JobRunner, output_images
from bookbuild.providers.comfyui.options import BASE_URL_ENV, DEFAULT_BASE_URL, ComfyUIOptions
from bookbuild.providers.comfyui.references import is_role
from bookbuild.providers.comfyui.workflow import (
    FILLABLE,
    OPS_NEEDING,
    check_inputs,
    fill,
    input_problems,
    output_nodes,
    parse_workflow,
    workflow_ops,
)
from bookbuild.providers.references import all_loras, loras_metadata, with_references

BUILT_IN_OPS = frozenset({"txt2img", "img2img", "inpaint", "outpaint", "upscale", "controlnet"})
SAMPLING_OPS = BUILT_IN_OPS - {"upscale"}


class ComfyUIProvider(Provider[ComfyUIOptions]):
    """Image ops through a ComfyUI server. `sleep` and `clock` are attributes so tests can
    replace every wait."""

    name: ClassVar[str] = "comfyui"
    ops: ClassVar[frozenset[str]] = BUILT_IN_OPS
    Options = ComfyUIOptions
    base_url_env: ClassVar[str | None] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    start_hint: ClassVar[str] = START_HINT
    local: ClassVar[bool] = True
    pools: ClassVar[bool] = True  # base_url: [server, ...] (providers/servers.py)

    def __init__(
        self,
        preset: ComfyUIOptions,
        env: Mapping[str, str],
        on_retry: RetryNotice | None = None,
    ) -> None:
        super().__init__(preset, env, on_retry)
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], float] = time.monotonic
        self._guard = threading.Lock()
        self._client: ComfyUIClient | None = None
        self._nodes: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"ComfyUIProvider({self.base_url()!r})"

    @classmethod
    def preset_problems(cls, preset: ComfyUIOptions) -> list[str]:
        problems = super().preset_problems(preset)
        if preset.model is not None:
            problems.append("name the checkpoint file with `checkpoint` (comfyui has no `model`)")
        if preset.workflow is not None:
            unknown = sorted(n for n in set(preset.inputs) - set(FILLABLE) if not is_role(n))
            problems += [
                f"`inputs.{name}` is not something bookbuild fills (it fills: "
                f"{', '.join(FILLABLE)}, and the reference pictures reference_1, "
                "reference.<character id>, style_reference)"
                for name in unknown
            ]
        return problems

    @classmethod
    def preset_op_problem(cls, preset: ComfyUIOptions, op: str) -> str | None:
        if preset.workflow is not None:
            if op in workflow_ops(preset.inputs):
                return None
            needs = OPS_NEEDING.get(op)
            if needs is None:
                return "a custom workflow is not used for it"
            missing = [n for n in needs if n not in preset.inputs]
            return f"its workflow's `inputs` map no {', '.join(f'`{n}`' for n in missing)}"
        if op in SAMPLING_OPS and not preset.checkpoint:
            return "set `checkpoint` (a file of ComfyUI's models/checkpoints)"
        return None

    @classmethod
    def cast_problems(cls, preset: ComfyUIOptions, op: str, needs: CastNeeds) -> list[CastProblem]:
        return references.cast_problems(preset, op, needs)

    @classmethod
    def book_file_problems(
        cls, preset: ComfyUIOptions, role: str, data: bytes
    ) -> list[tuple[tuple[str, ...], str]]:
        where = str(preset.workflow)
        try:
            graph = parse_workflow(data, where)
        except ConfigError as exc:
            return [((role,), str(exc))]
        found = input_problems(graph, preset.inputs, where)
        return [(("inputs", name), message) for name, message in found]

    def check_ready(self) -> None:
        super().check_ready()
        if not self.base_url().startswith(("http://", "https://")):
            raise ConfigError(
                f"comfyui: the base URL (`base_url` or {BASE_URL_ENV}) must start with http://"
            )

    def prepare(self) -> None:
        """Read the server's nodes (/object_info) at the start of a build: a server that is
        not running, or a checkpoint, LoRA, sampler, scheduler, ControlNet or upscale model it
        does not list, is one clear error (exit 2) before any step."""
        nodes = self._node_info(self._connect())
        if self.preset.workflow is None:  # an author's workflow is checked by the server
            wrong = names.problems(nodes, names.preset_names(self.preset), self.base_url())
            if wrong:
                raise ConfigError("comfyui: " + "; ".join(wrong))

    def close(self) -> None:
        with self._guard:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- running ---------------------------------------------------------------------------

    def run_image(self, request: ImageRequest) -> ImageResult:
        client = self._connect()
        nodes = self._node_info(client)
        graph, output, finish, sent = self._graph(request, client, nodes)
        runner = JobRunner(
            client,
            request.journal,
            self.preset.poll_interval,
            self.preset.deadline or DEFAULT_DEADLINE,
            self.sleep,
            self.clock,
            request.step_id,
        )
        prompt_id, entry = runner.run(graph, output)
        images = output_images(entry, output)
        if not images:
            raise ProviderError(
                "ComfyUI finished the workflow but saved no picture"
                + (f" in node {output}" if output else ""),
                provider="comfyui",
                step_id=request.step_id,
            )
        png = finish(pictures.as_rgb_png(client.view(images[0]), f"{request.step_id} result"))
        return ImageResult(png, {**self._metadata(request, prompt_id), **sent})

    def _connect(self) -> ComfyUIClient:
        with self._guard:
            if self._client is None:
                self._client = ComfyUIClient(
                    self.base_url(),
                    timeout=self.preset.timeout,
                    sleep=lambda s: self.sleep(s),
                    notify=self.on_retry or (lambda *_: None),
                )
            return self._client

    def _node_info(self, client: ComfyUIClient) -> dict[str, Any]:
        """/object_info, fetched once per server and build, whatever the presets using it."""
        with self._guard:
            if self._nodes is not None:
                return self._nodes
        nodes = self.shared.once(f"comfyui /object_info {client.base_url}", client.object_info)
        with self._guard:
            self._nodes = nodes
        return nodes

    def _graph(
        self, request: ImageRequest, client: ComfyUIClient, nodes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], str | None, Callable[[bytes], bytes], dict[str, Any]]:
        """The graph to queue, its output node, what to do to the picture, and the metadata
        of the references sent."""
        if self.preset.workflow is not None:
            return self._custom_graph(request, client, nodes)
        require_nodes(request.op, nodes, self.base_url(), self.preset.upscale_model)
        if request.op in SAMPLING_OPS:  # a character's LoRA too, before anything is uploaded
            loras = [("LoRA", lora.model) for lora in all_loras(self.preset.lora, request)]
            wrong = names.problems(nodes, loras, self.base_url())
            if wrong:
                raise ProviderError("; ".join(wrong), provider="comfyui")
        characters = with_references(request) if request.op in SAMPLING_OPS else ()
        if characters:  # before anything is uploaded
            references.require(nodes, self.preset, self.base_url())
        builder = BuiltIn(self.preset, request, client, nodes)
        graph, finish = builder.build()
        sent = loras_metadata(request)
        if characters:
            uploaded = [references.upload(client, request, c.images[0]) for c in characters]
            references.insert(graph, characters, uploaded, self.preset)
            sent.update(references.builtin_metadata(characters, self.preset))
        return graph, graphs.OUTPUT_NODE, finish, sent

    def _custom_graph(
        self, request: ImageRequest, client: ComfyUIClient, nodes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], str | None, Callable[[bytes], bytes], dict[str, Any]]:
        where = str(self.preset.workflow)
        data = request.files.get("workflow")
        if data is None:
            raise ConfigError(f"{request.step_id}: the workflow file {where} was not given")
        graph = parse_workflow(data, where)
        problems = check_inputs(graph, self.preset.inputs, where)
        if problems:
            raise ConfigError("comfyui: " + "; ".join(problems))
        values = request_values(request, self.preset)
        uploads = upload_images(request, client)
        chosen, sent = references.workflow_pictures(request, self.preset.inputs)
        for role, picture in chosen.items():
            uploads[role] = references.upload(client, request, picture)
        filled = fill(graph, self.preset.inputs, {**values, **uploads})
        output = self.preset.output or next(iter(output_nodes(filled, nodes)), None)
        if loras_metadata(request):
            sent.setdefault("reference_notes", []).append(
                "character LoRAs are not added to an author's workflow: load them in it"
            )
        return filled, output, _kept_outside_mask(request), sent

    def _metadata(self, request: ImageRequest, prompt_id: str) -> dict[str, Any]:
        o = self.preset
        meta: dict[str, Any] = {"provider": "comfyui", "prompt_id": prompt_id}
        if o.workflow is not None:
            meta["workflow"] = o.workflow
        elif request.op != "upscale":
            meta.update(
                checkpoint=o.checkpoint,
                sampler=o.sampler,
                scheduler=o.scheduler,
                steps=o.steps,
                cfg=o.cfg,
            )
        if request.op != "upscale":
            meta["seed"] = request.seed
        return meta


def _kept_outside_mask(request: ImageRequest) -> Callable[[bytes], bytes]:
    """For an author's workflow: an inpaint whose result has the input's size gets the
    original back outside the mask, as the built-in graph's does (the VAE changes them)."""
    image, mask = request.image, request.mask
    if request.op != "inpaint" or image is None or mask is None:
        return lambda png: png
    size = decode_image(image, what="the input picture").size
    what = f"{request.step_id} result"

    def finish(png: bytes) -> bytes:
        if decode_image(png, what=what).size != size:
            return png  # the workflow made another canvas: it is the author's
        return pictures.kept_outside(png, image, mask, what)

    return finish
