"""A tiny randomly initialised Stable Diffusion pipeline, built from configs and saved as a model
folder, so the `diffusers` provider's real code path runs in seconds with no weights downloaded.

The components follow diffusers' own fast tests (4/8-channel UNet, 2-block VAE, 3-layer CLIP text
encoder); the tokenizer is a byte-level CLIP tokenizer made here from a generated vocabulary and
an empty merges file, so nothing comes from the Hub. A 64 px picture has 32 px latents.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

IMAGE_SIZE = 64
"""Pixels a side of the pictures the tiny pipeline is asked for."""


def _byte_characters() -> list[str]:
    """CLIP's (GPT-2's) printable stand-in for each of the 256 bytes."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def write_tokenizer(folder: Path) -> None:
    """A byte-level CLIP tokenizer (vocab.json, merges.txt, its config) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    chars = _byte_characters()
    tokens = ["<|startoftext|>", "<|endoftext|>", *chars, *(c + "</w>" for c in chars)]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    from transformers import CLIPTokenizer

    tokenizer = CLIPTokenizer(
        vocab_file=str(folder / "vocab.json"),
        merges_file=str(folder / "merges.txt"),
        model_max_length=77,
    )
    tokenizer.save_pretrained(str(folder))


def tiny_text_encoder(layers: int) -> Any:
    """A CLIP text encoder of width 32 over the tokenizer's 514 tokens (random weights)."""
    from transformers import CLIPTextConfig, CLIPTextModel

    config = CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=32,
        intermediate_size=64,
        num_attention_heads=4,
        num_hidden_layers=layers,
        vocab_size=600,
    )
    return CLIPTextModel(config)


def tiny_components(unet_in_channels: int = 4) -> dict[str, Any]:
    """The UNet, VAE, text encoder and scheduler of a tiny SD 1.x pipeline (seeded weights);
    a UNet with 9 input channels makes an inpainting model (latents + mask + masked picture)."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=IMAGE_SIZE // 2,
        in_channels=unet_in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=2,
    )
    vae = AutoencoderKL(
        block_out_channels=[4, 8],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        norm_num_groups=2,
        sample_size=IMAGE_SIZE,
    )
    text_encoder = tiny_text_encoder(layers=3)
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return {"unet": unet, "vae": vae, "text_encoder": text_encoder, "scheduler": scheduler}


def save_tiny_pipeline(folder: Path, *, inpainting: bool = False) -> Path:
    """Build the tiny pipeline (or the tiny inpainting one) and save it in `folder`."""
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionPipeline
    from transformers import CLIPTokenizer

    with tempfile.TemporaryDirectory() as scratch:
        write_tokenizer(Path(scratch))
        tokenizer = CLIPTokenizer.from_pretrained(scratch)
    kind = StableDiffusionInpaintPipeline if inpainting else StableDiffusionPipeline
    pipe = kind(
        **tiny_components(9 if inpainting else 4),
        tokenizer=tokenizer,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return folder


def save_tiny_lora(pipeline_folder: Path, target: Path, *, rank: int = 4) -> Path:
    """A LoRA for the tiny pipeline's UNet attention layers, with non-zero weights, saved as
    `pytorch_lora_weights.safetensors` in `target` (the format `load_lora_weights` reads)."""
    import torch
    from diffusers import StableDiffusionPipeline
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    pipe = StableDiffusionPipeline.from_pretrained(str(pipeline_folder))
    config = LoraConfig(
        r=rank,
        lora_alpha=rank,
        target_modules=["to_q", "to_k", "to_v", "to_out.0"],
        init_lora_weights=False,
    )
    torch.manual_seed(1)
    pipe.unet.add_adapter(config)
    layers = get_peft_model_state_dict(pipe.unet)
    StableDiffusionPipeline.save_lora_weights(
        str(target), unet_lora_layers=layers, safe_serialization=True
    )
    return target / "pytorch_lora_weights.safetensors"


def save_tiny_controlnet(pipeline_folder: Path, target: Path) -> Path:
    """A ControlNet made from the tiny pipeline's UNet (its conditioning embedding downsamples
    by the tiny VAE's factor of 2), saved with save_pretrained in `target`."""
    import torch
    from diffusers import ControlNetModel, UNet2DConditionModel

    unet = UNet2DConditionModel.from_pretrained(str(pipeline_folder / "unet"))
    torch.manual_seed(2)
    controlnet = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(4, 8))
    with torch.no_grad():  # from_unet zero-initialises the output convs: make them count
        zeroed = [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]
        for block in [*zeroed, controlnet.controlnet_cond_embedding.conv_out]:
            block.weight.normal_(0.0, 0.5)
    controlnet.save_pretrained(str(target), safe_serialization=True)
    return target


def save_tiny_upscaler(folder: Path) -> Path:
    """A tiny x4 upscaler (StableDiffusionUpscalePipeline: a 7-channel UNet conditioned on the
    low-resolution picture, a 3-block VAE that scales by 4), saved in `folder`."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        DDPMScheduler,
        StableDiffusionUpscalePipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTokenizer

    torch.manual_seed(3)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 8, 16),
        layers_per_block=1,
        sample_size=32,
        in_channels=7,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        use_linear_projection=True,
        only_cross_attention=(True, True, False),
        num_class_embeds=100,
        norm_num_groups=4,
    )
    vae = AutoencoderKL(
        block_out_channels=[8, 8, 16],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 3,
        up_block_types=["UpDecoderBlock2D"] * 3,
        latent_channels=4,
        norm_num_groups=4,
        scaling_factor=0.08333,
    )
    text_encoder = tiny_text_encoder(layers=2)
    with tempfile.TemporaryDirectory() as scratch:
        write_tokenizer(Path(scratch))
        tokenizer = CLIPTokenizer.from_pretrained(scratch)
    pipe = StableDiffusionUpscalePipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        low_res_scheduler=DDPMScheduler(),
        scheduler=DDIMScheduler(prediction_type="v_prediction", steps_offset=1),
        safety_checker=None,
        watermarker=None,
        feature_extractor=None,
        max_noise_level=350,
    )
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return folder


IP_ADAPTER_WEIGHTS = "ip-adapter_tiny.safetensors"
"""The file name of the tiny IP-Adapter (`weight_name` of `load_ip_adapter`)."""


def save_tiny_ip_adapter(pipeline_folder: Path, target: Path, embed_dim: int = 16) -> Path:
    """A random IP-Adapter for the tiny pipeline's UNet in the original IP-Adapter layout
    (`image_proj.proj/norm` and `ip_adapter.<n>.to_k_ip/to_v_ip` for every cross-attention
    layer, n = 1, 3, 5...), saved as one safetensors file in `target`, with a tiny CLIP vision
    encoder in `target/image_encoder`: what `load_ip_adapter(target, subfolder="",
    weight_name=IP_ADAPTER_WEIGHTS)` reads, as it reads h94/IP-Adapter."""
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    target.mkdir(parents=True, exist_ok=True)
    unet = UNet2DConditionModel.from_pretrained(str(pipeline_folder / "unet"))
    cross = unet.config.cross_attention_dim
    torch.manual_seed(4)
    weights = {
        "image_proj.proj.weight": torch.randn(cross * 4, embed_dim),
        "image_proj.proj.bias": torch.randn(cross * 4),
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        hidden = _hidden_size(unet, name)
        for kind in ("to_k_ip", "to_v_ip"):
            weights[f"ip_adapter.{key_id}.{kind}.weight"] = torch.randn(hidden, cross) * 0.5
        key_id += 2
    save_file(weights, str(target / IP_ADAPTER_WEIGHTS))
    config = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        image_size=32,
        patch_size=4,
        projection_dim=embed_dim,
    )
    CLIPVisionModelWithProjection(config).save_pretrained(
        str(target / "image_encoder"), safe_serialization=True
    )
    return target


def _hidden_size(unet: Any, name: str) -> int:
    """The width of the attention layer `name` (as diffusers' IP-Adapter loader works it out)."""
    channels = list(unet.config.block_out_channels)
    if name.startswith("mid_block"):
        return int(channels[-1])
    block = int(name.split(".")[1])
    return int(list(reversed(channels))[block] if name.startswith("up_blocks") else channels[block])
