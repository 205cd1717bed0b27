"""Request checking of the fake AUTOMATIC1111 server, as FastAPI does it for the web UI's
pydantic request models (`modules/api/models.py`): every field is Optional of its type, unknown
fields are ignored, and a value of the wrong type is a 422 whose `detail` lists each bad field
with its `loc`, `msg` and `type` (pydantic v1 wording, as A1111 ships; pydantic v2 wording, as
Forge ships, with `style=2`)."""

from __future__ import annotations

from typing import Any

_T2I: dict[str, str] = {
    "prompt": "str",
    "negative_prompt": "str",
    "styles": "list",
    "seed": "int",
    "subseed": "int",
    "subseed_strength": "float",
    "seed_resize_from_h": "int",
    "seed_resize_from_w": "int",
    "sampler_name": "str",
    "sampler_index": "str",
    "scheduler": "str",
    "batch_size": "int",
    "n_iter": "int",
    "steps": "int",
    "cfg_scale": "float",
    "width": "int",
    "height": "int",
    "restore_faces": "bool",
    "tiling": "bool",
    "denoising_strength": "float",
    "override_settings": "dict",
    "override_settings_restore_afterwards": "bool",
    "send_images": "bool",
    "save_images": "bool",
    "alwayson_scripts": "dict",
    "script_name": "str",
    "script_args": "list",
    "force_task_id": "str",
    "infotext": "str",
    "enable_hr": "bool",
}
_I2I_EXTRA: dict[str, str] = {
    "init_images": "list",
    "resize_mode": "int",
    "mask": "str",
    "mask_blur": "int",
    "mask_blur_x": "int",
    "mask_blur_y": "int",
    "mask_round": "bool",
    "inpainting_fill": "int",
    "inpaint_full_res": "bool",
    "inpaint_full_res_padding": "int",
    "inpainting_mask_invert": "int",
    "initial_noise_multiplier": "float",
    "include_init_images": "bool",
    "image_cfg_scale": "float",
}
_EXTRAS: dict[str, str] = {
    "resize_mode": "int",
    "show_extras_results": "bool",
    "upscaling_resize": "float",
    "upscaling_resize_w": "int",
    "upscaling_resize_h": "int",
    "upscaling_crop": "bool",
    "upscaler_1": "str",
    "upscaler_2": "str",
    "extras_upscaler_2_visibility": "float",
    "upscale_first": "bool",
    "image": "str",
}
SCHEMAS: dict[str, dict[str, str]] = {
    "/sdapi/v1/txt2img": _T2I,
    "/sdapi/v1/img2img": {**_T2I, **_I2I_EXTRA},
    "/sdapi/v1/extra-single-image": _EXTRAS,
    "/rembg": {
        "input_image": "str",
        "model": "str",
        "return_mask": "bool",
        "alpha_matting": "bool",
    },
}

_V1 = {
    "int": ("value is not a valid integer", "type_error.integer"),
    "float": ("value is not a valid float", "type_error.float"),
    "bool": ("value could not be parsed to a boolean", "type_error.bool"),
    "str": ("str type expected", "type_error.str"),
    "list": ("value is not a valid list", "type_error.list"),
    "dict": ("value is not a valid dict", "type_error.dict"),
}
_V2 = {
    "int": ("Input should be a valid integer", "int_type"),
    "float": ("Input should be a valid number", "float_type"),
    "bool": ("Input should be a valid boolean", "bool_type"),
    "str": ("Input should be a valid string", "string_type"),
    "list": ("Input should be a valid list", "list_type"),
    "dict": ("Input should be a valid dictionary", "dict_type"),
}


def validation_errors(path: str, body: Any, *, style: int = 1) -> list[dict[str, Any]]:
    """FastAPI's 422 `detail` list for `body` posted to `path` ([] when it is acceptable)."""
    schema = SCHEMAS.get(path)
    if schema is None:
        return []
    if not isinstance(body, dict):
        return [_error(("body",), "dict", body, style)]
    errors = []
    for name, kind in schema.items():
        if name in body and body[name] is not None and not _fits(kind, body[name]):
            errors.append(_error(("body", name), kind, body[name], style))
    extras_mode = body.get("resize_mode")
    if path.endswith("extra-single-image") and extras_mode not in (None, 0, 1):
        errors.append(_literal_error(extras_mode, style))
    return errors


def _fits(kind: str, value: Any) -> bool:
    """Whether pydantic (lax mode) would accept `value` for a field of type `kind`."""
    if kind == "str":
        return isinstance(value, str)
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    if kind == "bool":
        return isinstance(value, bool) or value in (0, 1, "true", "false", "yes", "no")
    if isinstance(value, bool):
        return kind == "int"
    if isinstance(value, int | float):
        return kind == "float" or float(value).is_integer()
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return False
        return kind == "float" or number.is_integer()
    return False


def _error(loc: tuple[str, ...], kind: str, value: Any, style: int) -> dict[str, Any]:
    msg, code = (_V2 if style == 2 else _V1)[kind]
    if style == 2:
        return {"type": code, "loc": list(loc), "msg": msg, "input": value}
    return {"loc": list(loc), "msg": msg, "type": code}


def _literal_error(value: Any, style: int) -> dict[str, Any]:
    loc = ["body", "resize_mode"]
    if style == 2:
        return {
            "type": "literal_error",
            "loc": loc,
            "msg": "Input should be 0 or 1",
            "input": value,
        }
    return {
        "loc": loc,
        "msg": "unexpected value; permitted: 0, 1",
        "type": "value_error.const",
        "ctx": {"given": value, "permitted": [0, 1]},
    }
