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
from bookbuild.providers.base import ImageRequest, ImageResult, Provider, RetryNotice
from bookbuild.providers.comfyui import graphs, pictures
from bookbuild.providers.comfyui.client import ComfyUIClient
from bookbuild.providers.comfyui.jobs import DEFAULT_DEADLINE, JobRunner, output_images
from bookbuild.providers.comfyui.options import BASE_URL_ENV, DEFAULT_BASE_URL, ComfyUIOptions
from bookbuild.providers.comfyui.workflow import (
    FILLABLE,
    IMAGE_INPUTS,
    OPS_NEEDING,
    check_inputs,
    fill,
    input_problems,
    output_nodes,
    parse_workflow,
    workflow_ops,
)

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
    local: ClassVar[bool] = True

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
            unknown = sorted(set(preset.inputs) - set(FILLABLE))
            problems += [
                f"`inputs.{name}` is not something bookbuild fills (it fills: "
                f"{', '.join(FILLABLE)})"
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
        not running is one clear error before any step."""
        self._node_info(self._connect())

    def close(self) -> None:
        with self._guard:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- running ---------------------------------------------------------------------------

    def run_image(self, request: ImageRequest) -> ImageResult:
        client = self._connect()
        nodes = self._node_info(client)
        graph, output, finish = self._graph(request, client, nodes)
        runner = JobRunner(
            client,
            request.journal,
            self.preset.poll_interval,
            self.preset.deadline or DEFAULT_DEADLINE,
            self.sleep,
            self.clock,
            request.step_id,
        )
        prompt_id, entry = runner.run(graph)
        images = output_images(entry, output)
        if not images:
            raise ProviderError(
                "ComfyUI finished the workflow but saved no picture"
                + (f" in node {output}" if output else ""),
                provider="comfyui",
                step_id=request.step_id,
            )
        png = finish(pictures.as_rgb_png(client.view(images[0]), f"{request.step_id} result"))
        return ImageResult(png, self._metadata(request, prompt_id))

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
        """/object_info, fetched once per build (one provider instance per preset and build)."""
        with self._guard:
            if self._nodes is None:
                self._nodes = client.object_info()
            return self._nodes

    def _graph(
        self, request: ImageRequest, client: ComfyUIClient, nodes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], str | None, Callable[[bytes], bytes]]:
        if self.preset.workflow is not None:
            return self._custom_graph(request, client, nodes)
        _require_nodes(request.op, nodes, self.base_url())
        builder = _BuiltIn(self.preset, request, client, nodes)
        graph, finish = builder.build()
        return graph, graphs.OUTPUT_NODE, finish

    def _custom_graph(
        self, request: ImageRequest, client: ComfyUIClient, nodes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], str | None, Callable[[bytes], bytes]]:
        where = str(self.preset.workflow)
        data = request.files.get("workflow")
        if data is None:
            raise ConfigError(f"{request.step_id}: the workflow file {where} was not given")
        graph = parse_workflow(data, where)
        problems = check_inputs(graph, self.preset.inputs, where)
        if problems:
            raise ConfigError("comfyui: " + "; ".join(problems))
        values = _request_values(request, self.preset)
        uploads = _upload_images(request, client)
        filled = fill(graph, self.preset.inputs, {**values, **uploads})
        output = self.preset.output or next(iter(output_nodes(filled, nodes)), None)
        return filled, output, lambda png: png

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


def _require_nodes(op: str, nodes: Mapping[str, Any], url: str) -> None:
    needed = {"CheckpointLoaderSimple", "KSampler", "SaveImage", "LoadImage"}
    missing = sorted((needed | graphs.NODES_OF_OP.get(op, frozenset())) - set(nodes))
    if missing:
        raise ProviderError(
            f"the ComfyUI server at {url} has no {', '.join(missing)} node"
            f"{'s' if len(missing) > 1 else ''}, needed for {op}; install or update them "
            "(ComfyUI Manager), or use a preset of another provider for this step",
            provider="comfyui",
        )


def _request_values(request: ImageRequest, options: ComfyUIOptions) -> dict[str, Any]:
    values: dict[str, Any] = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt or options.negative_prompt or "",
        "seed": request.seed,
        "width": request.width,
        "height": request.height,
        "steps": options.steps,
        "cfg": options.cfg,
    }
    strength = options.denoise or request.strength
    if strength is not None:
        values["strength"] = float(strength)
    if "scale" in request.params:
        values["scale"] = request.params["scale"]
    return values


def _upload_images(request: ImageRequest, client: ComfyUIClient) -> dict[str, str]:
    """Upload the request's pictures; their names by input (`mask`: the picture with the
    mask as its alpha, for LoadImage's MASK output)."""
    names: dict[str, str] = {}
    if request.image is not None:
        image = pictures.as_rgb_png(request.image, f"{request.step_id} input")
        names["image"] = client.upload(pictures.upload_name("image", image), image)
        if request.mask is not None:
            alpha = pictures.alpha_mask(request.mask)
            name = pictures.upload_name("masked", image, alpha)
            names["mask"] = client.upload(name, alpha, mask_of=names["image"])
    if request.control_image is not None:
        control = pictures.as_rgb_png(request.control_image, f"{request.step_id} reference")
        names["control_image"] = client.upload(pictures.upload_name("control", control), control)
    return {k: v for k, v in names.items() if k in IMAGE_INPUTS}


class _BuiltIn:
    """The built-in graph for one request, with its uploads done, and what to do to the
    result (crop an outpaint back; scale an upscale to the exact factor)."""

    def __init__(
        self,
        options: ComfyUIOptions,
        request: ImageRequest,
        client: ComfyUIClient,
        nodes: Mapping[str, Any],
    ) -> None:
        self.o = options
        self.r = request
        self.client = client
        self.nodes = nodes

    def sampling(self) -> graphs.Sampling:
        return graphs.Sampling(
            checkpoint=str(self.o.checkpoint),
            prompt=self.r.prompt,
            negative_prompt=self.r.negative_prompt or self.o.negative_prompt or "",
            seed=self.r.seed,
            steps=self.o.steps,
            cfg=self.o.cfg,
            sampler=self.o.sampler,
            scheduler=self.o.scheduler,
            loras=self.o.loras(),
        )

    def strength(self, default: float) -> float:
        return float(self.o.denoise or self.r.strength or default)

    def build(self) -> tuple[dict[str, Any], Callable[[bytes], bytes]]:
        op, r = self.r.op, self.r
        keep: Callable[[bytes], bytes] = lambda png: png  # noqa: E731
        if op == "txt2img":
            return graphs.txt2img(self.sampling(), r.width, r.height), keep
        if op == "controlnet":
            return self._controlnet(), keep
        image = self._image_input()
        if op == "img2img":
            resized = pictures.resized(image, (r.width, r.height), f"{r.step_id} input")
            name = self.client.upload(pictures.upload_name("image", resized), resized)
            return graphs.img2img(self.sampling(), name, self.strength(0.5)), keep
        name = self.client.upload(pictures.upload_name("image", image), image)
        if op == "inpaint":
            return self._inpaint(image, name), keep
        if op == "outpaint":
            return self._outpaint(image, name)
        return self._upscale(image, name)

    def _image_input(self) -> bytes:
        if self.r.image is None:
            raise ProviderError(f"{self.r.op} needs an input picture", provider="comfyui")
        return pictures.as_rgb_png(self.r.image, f"{self.r.step_id} input")

    def _inpaint(self, image: bytes, name: str) -> dict[str, Any]:
        if self.r.mask is None:
            raise ProviderError("inpaint needs a mask", provider="comfyui")
        alpha = pictures.alpha_mask(self.r.mask)
        masked = self.client.upload(
            pictures.upload_name("masked", image, alpha), alpha, mask_of=name
        )
        return graphs.inpaint(
            self.sampling(),
            masked,
            self.strength(0.8),
            inpaint_model=self.o.inpaint_encoder == "inpaint_model",
            grow_mask_by=self.o.grow_mask_by,
        )

    def _outpaint(self, image: bytes, name: str) -> tuple[dict[str, Any], Callable[[bytes], bytes]]:
        p = self.r.params
        size = decode_image(image).size
        geometry = pictures.outpaint_geometry(
            size,
            int(p.get("left", 0)),
            int(p.get("up", 0)),
            int(p.get("right", 0)),
            int(p.get("down", 0)),
        )
        graph = graphs.outpaint(
            self.sampling(), name, geometry.pads, self.o.feathering, self.o.grow_mask_by
        )
        step = self.r.step_id
        return graph, lambda png: pictures.cropped(png, geometry.crop, f"{step} result")

    def _upscale(self, image: bytes, name: str) -> tuple[dict[str, Any], Callable[[bytes], bytes]]:
        scale = int(self.r.params.get("scale", 2))
        width, height = decode_image(image).size
        target = (width * scale, height * scale)
        graph = graphs.upscale(name, scale, self.o.upscale_model)
        step = self.r.step_id
        return graph, lambda png: pictures.resized(png, target, f"{step} result")

    def _controlnet(self) -> dict[str, Any]:
        r = self.r
        if r.control_image is None:
            raise ProviderError("controlnet needs a reference picture", provider="comfyui")
        settings = r.params.get("controlnet") or {}
        kind = str(settings.get("type") or "canny")
        model = self.o.controlnet_models.get(kind)
        if model is None:
            raise ConfigError(
                f"{r.step_id}: the comfyui preset has no ControlNet model for type {kind!r}; "
                f"add `controlnet_models: {{{kind}: <file in models/controlnet>}}`"
            )
        reference = pictures.as_rgb_png(r.control_image, f"{r.step_id} reference")
        uploaded = self.client.upload(pictures.upload_name("control", reference), reference)
        control = graphs.Control(
            uploaded,
            model,
            float(settings.get("strength") or 1.0),
            canny=kind == "canny" and "Canny" in self.nodes,
        )
        return graphs.controlnet(self.sampling(), r.width, r.height, control)
