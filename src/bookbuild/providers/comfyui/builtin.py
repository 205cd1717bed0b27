"""The built-in graph of one request: its pictures uploaded, the op's graph (`graphs`) made
from the preset, and what to do to the result (paste the original back outside an inpaint's
mask and under an outpaint's new margins, crop an outpaint back to the asked canvas, bring an
upscale to exactly `scale` times the input)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.media.images import decode_image
from bookbuild.providers.base import ImageRequest
from bookbuild.providers.comfyui import graphs, pictures
from bookbuild.providers.comfyui.client import ComfyUIClient
from bookbuild.providers.comfyui.options import ComfyUIOptions
from bookbuild.providers.references import all_loras

Finish = Callable[[bytes], bytes]


def require_nodes(op: str, nodes: Mapping[str, Any], url: str, upscale_model: str | None) -> None:
    """The node classes the op's built-in graph uses: an upscale loads no checkpoint and
    draws nothing; with an upscale model it uses UpscaleModelLoader, not ImageScaleBy."""
    needed = {"SaveImage", "LoadImage"}
    if op != "upscale":
        needed |= {"CheckpointLoaderSimple", "KSampler"}
    needed |= graphs.nodes_of_op(op, upscale_model)
    missing = sorted(needed - set(nodes))
    if missing:
        raise ProviderError(
            f"the ComfyUI server at {url} has no {', '.join(missing)} node"
            f"{'s' if len(missing) > 1 else ''}, needed for {op}; install or update them "
            "(ComfyUI Manager), or use a preset of another provider for this step",
            provider="comfyui",
        )


class BuiltIn:
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
            loras=tuple((lora.model, lora.strength) for lora in all_loras(self.o.lora, self.r)),
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
            return self._inpaint(image, name)
        if op == "outpaint":
            return self._outpaint(image, name)
        return self._upscale(image, name)

    def _image_input(self) -> bytes:
        if self.r.image is None:
            raise ProviderError(f"{self.r.op} needs an input picture", provider="comfyui")
        return pictures.as_rgb_png(self.r.image, f"{self.r.step_id} input")

    def _inpaint(self, image: bytes, name: str) -> tuple[dict[str, Any], Finish]:
        mask = self.r.mask
        if mask is None:
            raise ProviderError("inpaint needs a mask", provider="comfyui")
        alpha = pictures.alpha_mask(mask)
        masked = self.client.upload(
            pictures.upload_name("masked", image, alpha), alpha, mask_of=name
        )
        graph = graphs.inpaint(
            self.sampling(),
            masked,
            self.strength(0.8),
            inpaint_model=self.o.inpaint_encoder == "inpaint_model",
            grow_mask_by=self.o.grow_mask_by,
        )
        what = f"{self.r.step_id} result"
        return graph, lambda png: pictures.kept_outside(png, image, mask, what)

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
        what, feathering = f"{self.r.step_id} result", self.o.feathering
        return graph, lambda png: pictures.outpainted(png, image, geometry, feathering, what)

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
