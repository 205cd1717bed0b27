"""The `a1111` provider: image ops on your own AUTOMATIC1111 / Forge / reForge web UI, started
with `--api`. Free (your GPU), so `plan` prices it at 0.

One op is one blocking JSON call (`/sdapi/v1/txt2img`, `/img2img`, `/extra-single-image`, the
rembg extension's `/rembg`); pictures travel as base64 in the bodies, so there is nothing to
upload, poll or download. The checkpoint a preset names is looked up once per build and sent in
`override_settings` for each request; the seed and parameters the server reports in `info` are
recorded with the result, and a result drawn by another checkpoint than the one asked for (the
web UI silently ignores an override it cannot load) is refused, never stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from PIL import Image

from bookbuild.errors import ConfigError, ProviderError
from bookbuild.media.images import decode_image, encode_png
from bookbuild.media.outpaint import Outpaint, prepare, restore
from bookbuild.providers.a1111 import bodies, controlnet, names, references
from bookbuild.providers.a1111.answers import decode_picture, generation_record, info_of
from bookbuild.providers.a1111.bodies import Generation, Inpainting
from bookbuild.providers.a1111.client import (
    AUTH_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    NAME,
    A1111Client,
    not_running,
    shown,
)
from bookbuild.providers.a1111.options import CONTROLNET_MODULES, A1111Options
from bookbuild.providers.a1111.references import check_applied
from bookbuild.providers.a1111.rembg import require_transparency
from bookbuild.providers.a1111.server import ServerFacts
from bookbuild.providers.base import (
    CastNeeds,
    CastProblem,
    ImageRequest,
    ImageResult,
    Provider,
    RetryNotice,
)
from bookbuild.providers.reach import listening
from bookbuild.providers.references import all_loras, loras_metadata

log = logging.getLogger("bookbuild.providers.a1111")

OPS = frozenset({"txt2img", "img2img", "inpaint", "outpaint", "upscale", "controlnet"})
"""What every web UI can do; `remove_background` too when the preset names a `rembg` model."""
DEFAULT_STEPS = 30
DEFAULT_CFG = 7.0
OUTPAINT_MAX_SIDE = 2048
OUTPAINT_STRENGTH = 0.9
TXT2IMG, IMG2IMG = "/sdapi/v1/txt2img", "/sdapi/v1/img2img"
UPSCALE, REMBG = "/sdapi/v1/extra-single-image", "/rembg"


class A1111Provider(Provider[A1111Options]):
    name: ClassVar[str] = NAME
    ops: ClassVar[frozenset[str]] = OPS | {"remove_background"}
    Options = A1111Options
    base_url_env: ClassVar[str | None] = BASE_URL_ENV
    default_base_url: ClassVar[str] = DEFAULT_BASE_URL
    local: ClassVar[bool] = True
    pools: ClassVar[bool] = True  # base_url: [server, ...] (providers/servers.py)

    def __init__(
        self, preset: A1111Options, env: Mapping[str, str], on_retry: RetryNotice | None = None
    ) -> None:
        super().__init__(preset, env, on_retry)
        self.options = preset
        self._client: A1111Client | None = None
        self._facts: ServerFacts | None = None
        self._guard = threading.Lock()
        self._up = False

    def __repr__(self) -> str:
        return f"A1111Provider(model={self.options.model!r})"

    @classmethod
    def ops_for(cls, preset: A1111Options) -> frozenset[str]:
        """remove_background only when the preset says the server has the rembg extension."""
        return cls.ops if getattr(preset, "rembg", None) else OPS

    @classmethod
    def preset_problems(cls, preset: A1111Options) -> list[str]:
        """Generic preset fields that mean nothing for a web UI on your own machine."""
        unused = {
            "api_key_env": f"it takes no key; for `--api-auth` set {AUTH_ENV}=user:password",
            "price": "it runs on your machine and costs nothing",
            "deadline": "it answers each request when the picture is done; use `timeout`",
        }
        given = preset.model_fields_set
        return [f"`{f}` has no effect on a1111: {why}" for f, why in unused.items() if f in given]

    @classmethod
    def cast_problems(cls, preset: A1111Options, op: str, needs: CastNeeds) -> list[CastProblem]:
        return references.cast_problems(needs)

    def check_ready(self) -> None:
        """The preset and environment are usable, and the web UI is up: a TCP connect, once
        per build and only when some step needs it, so a server that is not running is one
        error before any call instead of one per step."""
        self._check_config()
        with self._guard:
            if self._up:
                return
        if not listening(self.base_url(), 3.0):
            raise ConfigError(f"a1111: {not_running(shown(self.base_url()))}")
        with self._guard:
            self._up = True

    def _check_config(self) -> None:
        super().check_ready()
        if not self.base_url().startswith(("http://", "https://")):
            raise ConfigError(
                f"a1111: the web UI address (`base_url` or {BASE_URL_ENV}) must start with http://"
            )
        auth = self.env.get(AUTH_ENV, "")
        if auth and ":" not in auth:
            raise ConfigError(f"a1111: {AUTH_ENV} must be user:password (as given to --api-auth)")

    def estimate_cost(self, kind: Literal["chat", "image"], op: str) -> float:
        return 0.0

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def run_image(self, request: ImageRequest) -> ImageResult:
        self._check_config()
        if request.op not in self.ops_for(self.options):
            raise ConfigError(f"a1111: this preset cannot do {request.op}")
        with self.naming_step(request.step_id):
            picture, metadata = self._run(request)
        info = {"provider": NAME, **metadata, "width": picture.width, "height": picture.height}
        return ImageResult(encode_png(picture), {**info, "cost": 0.0})

    # -- the ops ---------------------------------------------------------------------------

    def _run(self, request: ImageRequest) -> tuple[Image.Image, dict[str, Any]]:
        op = request.op
        if op == "txt2img":
            gen = self._generation(request, (request.width, request.height))
            return self._generate(TXT2IMG, bodies.txt2img_body(gen), gen, request)
        if op == "controlnet":
            return self._controlnet(request)
        picture = _input(request.image, f"{op} input image")
        if op == "upscale":
            return self._upscale(picture, request)
        if op == "remove_background":
            return self._remove_background(picture)
        if op == "outpaint":
            return self._outpaint(picture, request)
        if op == "inpaint":
            return self._inpaint(picture, request)
        gen = self._generation(request, (request.width, request.height))
        strength = _strength(request, 0.6)
        body = bodies.img2img_body(gen, _png(picture), strength)
        return self._generate(IMG2IMG, body, gen, request)

    def _inpaint(
        self, picture: Image.Image, request: ImageRequest
    ) -> tuple[Image.Image, dict[str, Any]]:
        if request.mask is None:
            raise ProviderError("inpaint needs a mask", provider=NAME)
        mask = _input(request.mask, "mask").convert("L").resize(picture.size)
        o = self.options
        sent = (
            bodies.only_masked_size(mask, o.inpaint_full_res_padding)
            if o.inpaint_full_res
            else bodies.multiple_of_8(picture.size)
        )
        gen = self._generation(request, sent)
        body = bodies.inpaint_body(
            gen, _png(picture), _png(mask), _strength(request, 0.8), self._inpainting()
        )
        result, meta = self._generate(IMG2IMG, body, gen, request)
        result = result.convert("RGB").resize(picture.size, Image.Resampling.LANCZOS)
        # pixels the mask keeps stay exactly as they were, whatever the server's VAE did
        return Image.composite(result, picture.convert("RGB"), mask), meta

    def _outpaint(
        self, picture: Image.Image, request: ImageRequest
    ) -> tuple[Image.Image, dict[str, Any]]:
        plan: Outpaint = prepare(
            picture, request.params, (request.width, request.height), OUTPAINT_MAX_SIDE
        )
        gen = self._generation(request, plan.sent)
        strength = _strength(request, OUTPAINT_STRENGTH)
        body = bodies.inpaint_body(
            gen, _png(plan.image), _png(plan.mask), strength, self._inpainting()
        )
        result, meta = self._generate(IMG2IMG, body, gen, request)
        meta.update(outpaint_via="inpaint", canvas=list(plan.canvas))
        return restore(result.convert("RGB"), plan), meta

    def _controlnet(self, request: ImageRequest) -> tuple[Image.Image, dict[str, Any]]:
        control = _input(request.control_image, "ControlNet reference image")
        given = request.params.get("controlnet")
        settings = given if isinstance(given, Mapping) else request.params
        kind = str(settings.get("type") or "canny")
        weight = float(settings.get("strength") or 1.0)
        controlnet.check_weight(weight)
        server = self._server()
        model = server.controlnet_model(kind, self.options.controlnet_models.get(kind))
        module = controlnet.server_module(
            CONTROLNET_MODULES.get(kind, kind) if self.options.controlnet_preprocess else "none",
            server.controlnet_modules(),
            self._client_().shown_url,
        )
        gen = self._generation(request, (request.width, request.height))
        unit = bodies.controlnet_unit(_png(control), module, model, weight)
        body = bodies.controlnet_body(gen, unit)
        picture, meta = self._generate(TXT2IMG, body, gen, request, control_model=model)
        meta.update(controlnet_model=model, controlnet_module=module, controlnet_weight=weight)
        return picture, meta

    def _upscale(
        self, picture: Image.Image, request: ImageRequest
    ) -> tuple[Image.Image, dict[str, Any]]:
        upscaler = self._server().upscaler(self.options.upscaler)
        scale = float(request.params.get("scale") or 2)
        answer = self._client_().post(UPSCALE, bodies.upscale_body(_png(picture), upscaler, scale))
        result = self._picture(answer.get("image") if isinstance(answer, dict) else None)
        meta: dict[str, Any] = {"endpoint": UPSCALE, "upscaler": upscaler, "scale": scale}
        target = (round(picture.width * scale), round(picture.height * scale))
        if result.size != target:  # the web UI floors to multiples of 8: exact, as elsewhere
            meta["server_size"] = list(result.size)
            result = result.resize(target, Image.Resampling.LANCZOS)
        return result, meta

    def _remove_background(self, picture: Image.Image) -> tuple[Image.Image, dict[str, Any]]:
        model = self.options.rembg or "u2net"
        try:
            answer = self._client_().post(REMBG, bodies.rembg_body(_png(picture), model))
        except ProviderError as err:
            if err.status != 404:
                raise
            raise ProviderError(
                f"the web UI at {self._client_().shown_url} has no rembg extension (POST /rembg "
                "is 404): install stable-diffusion-webui-rembg, or remove `rembg` from the preset",
                provider=NAME,
            ) from None
        result = self._picture(answer.get("image") if isinstance(answer, dict) else None)
        require_transparency(result, self._client_().shown_url)
        return result, {"endpoint": REMBG, "rembg_model": model}

    # -- one generation --------------------------------------------------------------------

    def _generation(self, request: ImageRequest, size: tuple[int, int]) -> Generation:
        o = self.options
        checkpoint = self._server().checkpoint(o.model).title if o.model else None
        return Generation(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt or o.negative_prompt or "",
            seed=int(request.seed),
            width=size[0],
            height=size[1],
            steps=o.steps or DEFAULT_STEPS,
            cfg_scale=o.guidance if o.guidance is not None else DEFAULT_CFG,
            sampler=o.sampler,
            scheduler=o.scheduler,
            checkpoint=checkpoint,
            loras=tuple((lora.model, lora.strength) for lora in all_loras(o.lora, request)),
        )

    def _generate(
        self,
        path: str,
        body: dict[str, Any],
        gen: Generation,
        request: ImageRequest,
        control_model: str | None = None,
    ) -> tuple[Image.Image, dict[str, Any]]:
        self._check_names(gen)  # the web UI would silently use others
        sent = self._with_references(body, request)  # checked against the server first
        log.debug("POST %s (%s)", path, ", ".join(sorted(body)))
        answer = self._client_().post(path, body)
        if not isinstance(answer, dict):
            raise ProviderError("the web UI answered without pictures", provider=NAME)
        images = answer.get("images") or [None]
        picture = self._picture(images[0])
        info = info_of(answer)
        if control_model is not None:  # the unit ran, or the picture has no control
            controlnet.check_applied(info, control_model, self._client_().shown_url)
        record = generation_record(info)
        self._check_checkpoint(record)
        if sent:
            check_applied(info, sent)
        return picture, {
            "endpoint": path,
            "model": gen.checkpoint or record.get("checkpoint"),
            **record,
            **sent,
            **loras_metadata(request),
        }

    def _check_names(self, gen: Generation) -> None:
        """Sampler, scheduler and LoRAs against the server's lists (see `names`)."""
        server = self._server()
        names.check_names(
            server.listing("/sdapi/v1/samplers") or [],
            server.listing("/sdapi/v1/schedulers", optional=True),
            server.listing("/sdapi/v1/loras", optional=True) if gen.loras else None,
            sampler=gen.sampler,
            scheduler=gen.scheduler,
            lora_names=[name for name, _ in gen.loras],
            shown_url=self._client_().shown_url,
        )

    def server_identity(self) -> dict[str, Any]:
        """The checkpoint this preset draws with on this server, by its title with the hash
        (a pool's servers must all have the same file)."""
        if not self.options.model:
            return {}
        return {"checkpoint": self._server().checkpoint(self.options.model).title}

    def _with_references(self, body: dict[str, Any], request: ImageRequest) -> dict[str, Any]:
        """Add one IP-Adapter unit per character with a reference to `body`; what was sent
        (for the metadata), {} without references."""
        characters = references.referenced(request)
        if not characters:
            return {}
        adapter, count = self._server().ip_adapter(self.options)
        scripts = body.setdefault("alwayson_scripts", {})
        controlnet = scripts.setdefault("controlnet", {"args": []})
        references.check_room(characters, len(controlnet["args"]), count)
        controlnet["args"] = [*controlnet["args"], *references.units(characters, adapter)]
        return references.metadata(characters, adapter)

    def _check_checkpoint(self, record: Mapping[str, Any]) -> None:
        """Refuse a picture drawn by another checkpoint than the preset's (the web UI ignores
        an override it cannot load and draws with the loaded model)."""
        if not self.options.model or "checkpoint" not in record:
            return
        wanted = self._server().checkpoint(self.options.model)
        if not wanted.drew(record["checkpoint"], record.get("checkpoint_hash")):
            raise ProviderError(
                f"the web UI drew with checkpoint `{record['checkpoint']}` instead of "
                f"`{wanted.name}` "
                "(it could not switch to it: check its console, e.g. for lack of memory)",
                provider=NAME,
            )

    def _picture(self, encoded: Any) -> Image.Image:
        try:
            data = decode_picture(encoded, "the web UI's answer")
        except ValueError as exc:
            raise ProviderError(str(exc), provider=NAME) from None
        return decode_image(data, what="the web UI's picture")

    def _inpainting(self) -> Inpainting:
        o = self.options
        return Inpainting(
            o.inpainting_fill, o.inpaint_full_res, o.inpaint_full_res_padding, o.mask_blur
        )

    # -- plumbing --------------------------------------------------------------------------

    def _client_(self) -> A1111Client:
        with self._guard:
            if self._client is None:
                auth = self.env.get(AUTH_ENV, "")
                user, _, password = auth.partition(":")
                credentials = (user, password) if auth else None
                self._client = A1111Client(
                    self.base_url(), credentials, self.options.timeout, self.on_retry
                )
            return self._client

    def _server(self) -> ServerFacts:
        client = self._client_()
        with self._guard:
            if self._facts is None:
                self._facts = ServerFacts(client)
            return self._facts


def _input(data: bytes | None, what: str) -> Image.Image:
    if data is None:
        raise ProviderError(f"no {what}", provider=NAME)
    return decode_image(data, what=what)


def _png(picture: Image.Image) -> bytes:
    return encode_png(picture)


def _strength(request: ImageRequest, default: float) -> float:
    return float(request.strength) if request.strength is not None else default
