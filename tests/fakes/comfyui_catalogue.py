"""The node classes the fake ComfyUI offers: each one's `/object_info` entry (input specs as
ComfyUI's `INPUT_TYPES` gives them, return types, output flag) and its stand-in from
`comfyui_nodes`. Input names, types and limits follow ComfyUI's `nodes.py`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import comfyui_nodes as run
from .comfyui_nodes import SAMPLERS, SCHEDULERS, UPSCALE_METHODS

MAX_RESOLUTION = 16384


@dataclass(frozen=True)
class NodeClass:
    """One node class: what `/object_info` says about it and what it does."""

    name: str
    required: dict[str, tuple[Any, ...]]
    returns: tuple[str, ...]
    run: Callable[..., tuple[Any, ...]]
    optional: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    output_node: bool = False
    category: str = "sd"

    def info(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {"required": self.required}
        if self.optional:
            inputs["optional"] = self.optional
        return {
            "input": inputs,
            "input_order": {kind: list(spec) for kind, spec in inputs.items()},
            "output": list(self.returns),
            "output_is_list": [False] * len(self.returns),
            "output_name": list(self.returns),
            "name": self.name,
            "display_name": self.name,
            "description": "",
            "python_module": "nodes",
            "category": self.category,
            "output_node": self.output_node,
        }


def _int(default: int, low: int, high: int, step: int = 1) -> tuple[str, dict[str, int]]:
    return ("INT", {"default": default, "min": low, "max": high, "step": step})


def _float(default: float, low: float, high: float) -> tuple[str, dict[str, float]]:
    return ("FLOAT", {"default": default, "min": low, "max": high, "step": 0.01})


# -- drawing ----------------------------------------------------------------------------------


def catalogue(
    models: Mapping[str, list[str]],
    input_files: list[str],
    saver: Callable[..., tuple[Any, ...]],
    loader: Callable[..., tuple[Any, ...]],
    mask_loader: Callable[..., tuple[Any, ...]],
    controlnet: bool = True,
    ipadapter: bool = True,
) -> dict[str, NodeClass]:
    """Every node class the fake offers, with the server's current model and input lists.
    Without `controlnet` the ControlNet nodes are absent (as on a server lacking them); without
    `ipadapter` the ComfyUI_IPAdapter_plus custom nodes are."""
    io = FileIO(saver, loader, mask_loader)
    groups = [_model_nodes, _latent_nodes, _sampler_nodes, _file_nodes, _transform_nodes]
    groups += [_upscale_nodes, *([_controlnet_nodes] if controlnet else [])]
    groups += [_ipadapter_nodes] if ipadapter else []
    files = sorted(input_files)
    return {node.name: node for group in groups for node in group(models, files, io)}


@dataclass(frozen=True)
class FileIO:
    """The server's own stand-ins for the nodes that read and write its files."""

    saver: Callable[..., tuple[Any, ...]]
    loader: Callable[..., tuple[Any, ...]]
    mask_loader: Callable[..., tuple[Any, ...]]


CONDITIONING = ("CONDITIONING",)


def _model_nodes(models: Mapping[str, list[str]], files: list[str], io: FileIO) -> list[NodeClass]:
    return [
        NodeClass(
            "CheckpointLoaderSimple",
            {"ckpt_name": (models["checkpoints"],)},
            ("MODEL", "CLIP", "VAE"),
            run.checkpoint,
            category="loaders",
        ),
        NodeClass(
            "LoraLoader",
            {
                "model": ("MODEL",),
                "clip": ("CLIP",),
                "lora_name": (models["loras"],),
                "strength_model": _float(1.0, -100, 100),
                "strength_clip": _float(1.0, -100, 100),
            },
            ("MODEL", "CLIP"),
            run.lora,
            category="loaders",
        ),
        NodeClass(
            "CLIPTextEncode",
            {"text": ("STRING", {"multiline": True}), "clip": ("CLIP",)},
            CONDITIONING,
            run.encode_text,
            category="conditioning",
        ),
    ]


def _latent_nodes(models: Mapping[str, list[str]], files: list[str], io: FileIO) -> list[NodeClass]:
    return [
        NodeClass(
            "EmptyLatentImage",
            {
                "width": _int(512, 16, MAX_RESOLUTION, 8),
                "height": _int(512, 16, MAX_RESOLUTION, 8),
                "batch_size": _int(1, 1, 4096),
            },
            ("LATENT",),
            run.empty_latent,
            category="latent",
        ),
        NodeClass(
            "VAEEncode",
            {"pixels": ("IMAGE",), "vae": ("VAE",)},
            ("LATENT",),
            run.vae_encode,
            category="latent",
        ),
        NodeClass(
            "VAEEncodeForInpaint",
            {
                "pixels": ("IMAGE",),
                "vae": ("VAE",),
                "mask": ("MASK",),
                "grow_mask_by": _int(6, 0, 64),
            },
            ("LATENT",),
            run.vae_encode_inpaint,
            category="latent/inpaint",
        ),
    ]


def _sampler_nodes(
    models: Mapping[str, list[str]], files: list[str], io: FileIO
) -> list[NodeClass]:
    return [
        NodeClass(
            "SetLatentNoiseMask",
            {"samples": ("LATENT",), "mask": ("MASK",)},
            ("LATENT",),
            run.noise_mask,
            category="latent/inpaint",
        ),
        NodeClass(
            "KSampler",
            {
                "model": ("MODEL",),
                "seed": _int(0, 0, 0xFFFFFFFFFFFFFFFF),
                "steps": _int(20, 1, 10000),
                "cfg": _float(8.0, 0.0, 100.0),
                "sampler_name": (SAMPLERS,),
                "scheduler": (SCHEDULERS,),
                "positive": CONDITIONING,
                "negative": CONDITIONING,
                "latent_image": ("LATENT",),
                "denoise": _float(1.0, 0.0, 1.0),
            },
            ("LATENT",),
            run.ksampler,
            category="sampling",
        ),
        NodeClass(
            "VAEDecode",
            {"samples": ("LATENT",), "vae": ("VAE",)},
            ("IMAGE",),
            run.vae_decode,
            category="latent",
        ),
    ]


def _file_nodes(models: Mapping[str, list[str]], files: list[str], io: FileIO) -> list[NodeClass]:
    return [
        NodeClass(
            "SaveImage",
            {"images": ("IMAGE",), "filename_prefix": ("STRING", {"default": "ComfyUI"})},
            (),
            io.saver,
            output_node=True,
            category="image",
        ),
        NodeClass(
            "LoadImage",
            {"image": (files, {"image_upload": True})},
            ("IMAGE", "MASK"),
            io.loader,
            category="image",
        ),
        NodeClass(
            "LoadImageMask",
            {
                "image": (files, {"image_upload": True}),
                "channel": (["alpha", "red", "green", "blue"],),
            },
            ("MASK",),
            io.mask_loader,
            category="mask",
        ),
    ]


def _transform_nodes(
    models: Mapping[str, list[str]], files: list[str], io: FileIO
) -> list[NodeClass]:
    return [
        NodeClass(
            "ImagePadForOutpaint",
            {
                "image": ("IMAGE",),
                "left": _int(0, 0, MAX_RESOLUTION, 8),
                "top": _int(0, 0, MAX_RESOLUTION, 8),
                "right": _int(0, 0, MAX_RESOLUTION, 8),
                "bottom": _int(0, 0, MAX_RESOLUTION, 8),
                "feathering": _int(40, 0, MAX_RESOLUTION),
            },
            ("IMAGE", "MASK"),
            run.pad_for_outpaint,
            category="image",
        ),
        NodeClass(
            "ImageScaleBy",
            {
                "image": ("IMAGE",),
                "upscale_method": (UPSCALE_METHODS,),
                "scale_by": _float(1.0, 0.01, 8.0),
            },
            ("IMAGE",),
            run.scale_by,
            category="image/upscaling",
        ),
    ]


def _upscale_nodes(
    models: Mapping[str, list[str]], files: list[str], io: FileIO
) -> list[NodeClass]:
    return [
        NodeClass(
            "UpscaleModelLoader",
            {"model_name": (models["upscale_models"],)},
            ("UPSCALE_MODEL",),
            run.upscale_loader,
            category="loaders",
        ),
        NodeClass(
            "ImageUpscaleWithModel",
            {"upscale_model": ("UPSCALE_MODEL",), "image": ("IMAGE",)},
            ("IMAGE",),
            run.upscale_with_model,
            category="image/upscaling",
        ),
    ]


def _controlnet_nodes(
    models: Mapping[str, list[str]], files: list[str], io: FileIO
) -> list[NodeClass]:
    return [
        NodeClass(
            "ControlNetLoader",
            {"control_net_name": (models["controlnet"],)},
            ("CONTROL_NET",),
            run.controlnet_loader,
            category="loaders",
        ),
        NodeClass(
            "ControlNetApplyAdvanced",
            {
                "positive": CONDITIONING,
                "negative": CONDITIONING,
                "control_net": ("CONTROL_NET",),
                "image": ("IMAGE",),
                "strength": _float(1.0, 0.0, 10.0),
                "start_percent": _float(0.0, 0.0, 1.0),
                "end_percent": _float(1.0, 0.0, 1.0),
            },
            ("CONDITIONING", "CONDITIONING"),
            run.controlnet_apply,
            optional={"vae": ("VAE",)},
            category="conditioning/controlnet",
        ),
        NodeClass(
            "Canny",
            {
                "image": ("IMAGE",),
                "low_threshold": _float(0.4, 0.01, 0.99),
                "high_threshold": _float(0.8, 0.01, 0.99),
            },
            ("IMAGE",),
            run.canny,
            category="image/preprocessors",
        ),
    ]


def _ipadapter_nodes(
    models: Mapping[str, list[str]], files: list[str], io: FileIO
) -> list[NodeClass]:
    """The nodes of cubiq/ComfyUI_IPAdapter_plus that bookbuild uses (IPAdapterPlus.py)."""
    installed = {kind: list(models.get(kind, [])) for kind in ("ipadapter", "clip_vision")}
    return [
        NodeClass(
            "IPAdapterUnifiedLoader",
            {"model": ("MODEL",), "preset": (run.IPADAPTER_PRESETS,)},
            ("MODEL", "IPADAPTER"),
            lambda **kw: run.ipadapter_unified_loader(installed, **kw),
            optional={"ipadapter": ("IPADAPTER",)},
            category="ipadapter",
        ),
        NodeClass(
            "IPAdapterAdvanced",
            {
                "model": ("MODEL",),
                "ipadapter": ("IPADAPTER",),
                "image": ("IMAGE",),
                "weight": ("FLOAT", {"default": 1.0, "min": -1, "max": 5, "step": 0.05}),
                "weight_type": (run.WEIGHT_TYPES,),
                "combine_embeds": (["concat", "add", "subtract", "average", "norm average"],),
                "start_at": ("FLOAT", {"default": 0.0, "min": 0.0, "max": 1.0, "step": 0.001}),
                "end_at": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0, "step": 0.001}),
                "embeds_scaling": (
                    ["V only", "K+V", "K+V w/ C penalty", "K+mean(V) w/ C penalty"],
                ),
            },
            ("MODEL",),
            run.ipadapter_advanced,
            optional={"image_negative": ("IMAGE",), "attn_mask": ("MASK",)},
            category="ipadapter",
        ),
        NodeClass(
            "IPAdapterModelLoader",
            {"ipadapter_file": (installed["ipadapter"],)},
            ("IPADAPTER",),
            lambda ipadapter_file: ({"file": ipadapter_file},),
            category="ipadapter",
        ),
        NodeClass(
            "CLIPVisionLoader",
            {"clip_name": (installed["clip_vision"],)},
            ("CLIP_VISION",),
            lambda clip_name: ({"clip_vision": clip_name},),
            category="loaders",
        ),
    ]
