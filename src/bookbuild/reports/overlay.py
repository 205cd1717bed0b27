"""An edit's mask drawn over the picture it starts from: red where the model repaints."""

from __future__ import annotations

from PIL import Image

from bookbuild.fsutil import atomic_write_bytes
from bookbuild.media.images import decode_image, encode_png
from bookbuild.project import Project
from bookbuild.reports.board import plan_and_statuses
from bookbuild.spec.masks import load_mask_file, render_mask, scale_mask
from bookbuild.spec.models import MaskShape
from bookbuild.store.objects import check_key

OVERLAY_RGB = (230, 30, 60)
OVERLAY_OPACITY = 0.55


def edit_mask(project: Project, step_id: str) -> Image.Image:
    """The mask (mode L, 255 = repaint) of edit step `step_id` at its input picture's size."""
    _graph, statuses = plan_and_statuses(project)
    status = statuses.get(step_id)
    if status is None or status.step.op != "inpaint":
        raise LookupError(f"{step_id} is not an inpaint step")
    before = dict(status.step.deps).get("image")
    digest = statuses[before].digest if before else None
    if digest is None:
        raise LookupError(f"the picture before {step_id} is not built yet")
    size = decode_image(project.store.get(digest)).size
    files = dict(status.step.files)
    if "mask" in files:
        return scale_mask(load_mask_file(files["mask"].path, project.root), size)
    raw = status.step.params["mask"]
    shapes = [MaskShape(**m) for m in raw] if isinstance(raw, list) else MaskShape(**raw)
    return render_mask(shapes, size, project.root)


def mask_overlay(project: Project, step_id: str) -> bytes:
    """A transparent PNG, tinted where the edit repaints, to lay over the picture before it."""
    mask = edit_mask(project, step_id)
    alpha = mask.point(lambda v: round(v * OVERLAY_OPACITY))
    tint = Image.new("RGBA", mask.size, (*OVERLAY_RGB, 0))
    tint.putalpha(alpha)
    return encode_png(tint)


def board_overlay(project: Project, step_id: str, key: str | None, width: int) -> bytes:
    """The overlay sized for the board, cached by the step's key (the key names its mask and
    the picture before it, so a cached overlay is never out of date): no plan when cached."""
    cached = None
    if key is not None:
        check_key(key)
        cached = project.root / ".bookbuild" / "thumbs" / "overlays" / f"{key}-{width}.png"
        if cached.is_file():
            return cached.read_bytes()
    mask = edit_mask(project, step_id)
    if mask.width > width:
        mask = mask.resize((width, max(1, round(mask.height * width / mask.width))))
    alpha = mask.point(lambda v: round(v * OVERLAY_OPACITY))
    tint = Image.new("RGBA", mask.size, (*OVERLAY_RGB, 0))
    tint.putalpha(alpha)
    png = encode_png(tint)
    if cached is not None:
        atomic_write_bytes(cached, png)
    return png
