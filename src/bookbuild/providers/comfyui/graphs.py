"""The built-in workflows: one API-format graph (`{node_id: {class_type, inputs}}`, links as
`[node_id, output_index]`) per op, made of ComfyUI's core nodes only.

    txt2img     CheckpointLoaderSimple → (LoraLoader…) → CLIPTextEncode ×2 → EmptyLatentImage
                → KSampler → VAEDecode → SaveImage
    img2img     LoadImage → VAEEncode → KSampler(denoise = strength) → …
    inpaint     LoadImage (MASK = 1 − alpha) → VAEEncode + SetLatentNoiseMask, denoise = strength
                (`inpaint_encoder: noise_mask`, any checkpoint), or VAEEncodeForInpaint with
                denoise 1 (`inpaint_model`, for inpainting checkpoints)
    outpaint    LoadImage → ImagePadForOutpaint → VAEEncodeForInpaint → KSampler(denoise 1) → …
    upscale     LoadImage → UpscaleModelLoader + ImageUpscaleWithModel, or ImageScaleBy (lanczos)
    controlnet  LoadImage → (Canny) → ControlNetLoader + ControlNetApplyAdvanced → KSampler …

Every graph ends in one SaveImage node, `OUTPUT_NODE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OUTPUT_NODE = "save"
FILENAME_PREFIX = "bookbuild"

Link = list[Any]


@dataclass(frozen=True)
class Sampling:
    """What a KSampler and its loaders are given."""

    checkpoint: str
    prompt: str
    negative_prompt: str
    seed: int
    steps: int
    cfg: float
    sampler: str
    scheduler: str
    loras: tuple[tuple[str, float], ...] = ()


@dataclass
class GraphBuilder:
    """Adds nodes under readable ids ("checkpoint", "positive", …) and links them."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, node_id: str, class_type: str, **inputs: Any) -> str:
        self.nodes[node_id] = {"class_type": class_type, "inputs": inputs}
        return node_id

    @staticmethod
    def out(node_id: str, slot: int = 0) -> Link:
        return [node_id, slot]


@dataclass(frozen=True)
class Model:
    """The links a sampler needs: model, positive and negative conditioning, VAE."""

    model: Link
    positive: Link
    negative: Link
    vae: Link


def load_model(g: GraphBuilder, s: Sampling) -> Model:
    g.add("checkpoint", "CheckpointLoaderSimple", ckpt_name=s.checkpoint)
    model, clip = g.out("checkpoint", 0), g.out("checkpoint", 1)
    for n, (name, strength) in enumerate(s.loras, start=1):
        node = g.add(
            f"lora-{n}",
            "LoraLoader",
            model=model,
            clip=clip,
            lora_name=name,
            strength_model=strength,
            strength_clip=strength,
        )
        model, clip = g.out(node, 0), g.out(node, 1)
    g.add("positive", "CLIPTextEncode", text=s.prompt, clip=clip)
    g.add("negative", "CLIPTextEncode", text=s.negative_prompt, clip=clip)
    return Model(model, g.out("positive"), g.out("negative"), g.out("checkpoint", 2))


def sample_and_save(g: GraphBuilder, s: Sampling, m: Model, latent: Link, denoise: float) -> None:
    g.add(
        "sampler",
        "KSampler",
        model=m.model,
        seed=s.seed,
        steps=s.steps,
        cfg=s.cfg,
        sampler_name=s.sampler,
        scheduler=s.scheduler,
        positive=m.positive,
        negative=m.negative,
        latent_image=latent,
        denoise=round(denoise, 4),
    )
    g.add("decode", "VAEDecode", samples=g.out("sampler"), vae=m.vae)
    save(g, g.out("decode"))


def save(g: GraphBuilder, image: Link) -> None:
    g.add(OUTPUT_NODE, "SaveImage", images=image, filename_prefix=FILENAME_PREFIX)


def txt2img(s: Sampling, width: int, height: int) -> dict[str, Any]:
    g = GraphBuilder()
    m = load_model(g, s)
    g.add("latent", "EmptyLatentImage", width=width, height=height, batch_size=1)
    sample_and_save(g, s, m, g.out("latent"), 1.0)
    return g.nodes


def img2img(s: Sampling, image: str, strength: float) -> dict[str, Any]:
    g = GraphBuilder()
    m = load_model(g, s)
    g.add("image", "LoadImage", image=image)
    g.add("encode", "VAEEncode", pixels=g.out("image"), vae=m.vae)
    sample_and_save(g, s, m, g.out("encode"), strength)
    return g.nodes


def inpaint(
    s: Sampling, image_with_mask: str, strength: float, *, inpaint_model: bool, grow_mask_by: int
) -> dict[str, Any]:
    """`image_with_mask`: an uploaded picture whose alpha is 0 where it is to be repainted."""
    g = GraphBuilder()
    m = load_model(g, s)
    g.add("image", "LoadImage", image=image_with_mask)
    pixels, mask = g.out("image", 0), g.out("image", 1)
    if inpaint_model:
        g.add(
            "encode",
            "VAEEncodeForInpaint",
            pixels=pixels,
            vae=m.vae,
            mask=mask,
            grow_mask_by=grow_mask_by,
        )
        sample_and_save(g, s, m, g.out("encode"), 1.0)
        return g.nodes
    g.add("encode", "VAEEncode", pixels=pixels, vae=m.vae)
    g.add("noise-mask", "SetLatentNoiseMask", samples=g.out("encode"), mask=mask)
    sample_and_save(g, s, m, g.out("noise-mask"), strength)
    return g.nodes


def outpaint(
    s: Sampling, image: str, pads: tuple[int, int, int, int], feathering: int, grow_mask_by: int
) -> dict[str, Any]:
    """`pads`: pixels added (left, top, right, bottom)."""
    g = GraphBuilder()
    m = load_model(g, s)
    g.add("image", "LoadImage", image=image)
    left, top, right, bottom = pads
    g.add(
        "pad",
        "ImagePadForOutpaint",
        image=g.out("image"),
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        feathering=feathering,
    )
    g.add(
        "encode",
        "VAEEncodeForInpaint",
        pixels=g.out("pad", 0),
        vae=m.vae,
        mask=g.out("pad", 1),
        grow_mask_by=grow_mask_by,
    )
    sample_and_save(g, s, m, g.out("encode"), 1.0)
    return g.nodes


def upscale(image: str, scale: float, upscale_model: str | None) -> dict[str, Any]:
    g = GraphBuilder()
    g.add("image", "LoadImage", image=image)
    if upscale_model:
        g.add("upscaler", "UpscaleModelLoader", model_name=upscale_model)
        g.add(
            "upscale",
            "ImageUpscaleWithModel",
            upscale_model=g.out("upscaler"),
            image=g.out("image"),
        )
    else:
        g.add(
            "upscale",
            "ImageScaleBy",
            image=g.out("image"),
            upscale_method="lanczos",
            scale_by=scale,
        )
    save(g, g.out("upscale"))
    return g.nodes


@dataclass(frozen=True)
class Control:
    image: str
    model: str
    strength: float
    canny: bool


def controlnet(s: Sampling, width: int, height: int, control: Control) -> dict[str, Any]:
    g = GraphBuilder()
    m = load_model(g, s)
    g.add("control-image", "LoadImage", image=control.image)
    hint = g.out("control-image")
    if control.canny:
        g.add("canny", "Canny", image=hint, low_threshold=0.4, high_threshold=0.8)
        hint = g.out("canny")
    g.add("controlnet", "ControlNetLoader", control_net_name=control.model)
    g.add(
        "apply-controlnet",
        "ControlNetApplyAdvanced",
        positive=m.positive,
        negative=m.negative,
        control_net=g.out("controlnet"),
        image=hint,
        strength=control.strength,
        start_percent=0.0,
        end_percent=1.0,
    )
    guided = Model(m.model, g.out("apply-controlnet", 0), g.out("apply-controlnet", 1), m.vae)
    g.add("latent", "EmptyLatentImage", width=width, height=height, batch_size=1)
    sample_and_save(g, s, guided, g.out("latent"), 1.0)
    return g.nodes


NODES_OF_OP: dict[str, frozenset[str]] = {
    "controlnet": frozenset({"ControlNetLoader", "ControlNetApplyAdvanced"}),
    "upscale": frozenset({"ImageScaleBy"}),
    "outpaint": frozenset({"ImagePadForOutpaint", "VAEEncodeForInpaint"}),
}
"""Node classes an op needs beyond the txt2img ones, checked against /object_info."""
MODEL_UPSCALE_NODES = frozenset({"UpscaleModelLoader", "ImageUpscaleWithModel"})


def nodes_of_op(op: str, upscale_model: str | None) -> frozenset[str]:
    """NODES_OF_OP, where an upscale with a model uses the model's nodes instead."""
    if op == "upscale" and upscale_model:
        return MODEL_UPSCALE_NODES
    return NODES_OF_OP.get(op, frozenset())
