"""The studio's write endpoints. Each one turns the page's request into a new book.yaml text (the
round-trip writer), checks it like `validate`, forecasts it like `plan`, asks once when it would
pay, writes it, and starts a build. Every request needs the page's token (security.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bookbuild.errors import BookbuildError, StudioInputError
from bookbuild.graph.model import IllustrationPlan
from bookbuild.media.images import image_size
from bookbuild.reports import iterate
from bookbuild.reports.board import chain, find_illustration, plan_and_statuses
from bookbuild.reports.changes import Candidate, check_candidate, check_variants, write_spec
from bookbuild.reports.editing import EditRequest, spec_edit
from bookbuild.reports.takes import next_take, stored_seeds, take_numbers
from bookbuild.spec import specwrite
from bookbuild.studio.security import write_refusal
from bookbuild.studio.state import Studio

MAX_BODY = 24 * 1024 * 1024
PRICE_SLACK = 1e-9

Handler = Callable[[Request], Awaitable[Response]]


def insert_position(raw: Any, edits: int) -> int | None:
    """Where a new edit goes: after picture `raw` of the chain (0 = the base), None = at the end."""
    if raw is None or raw == "" or raw == edits:
        return None
    try:
        at = int(raw)
    except (TypeError, ValueError):
        raise StudioInputError("`at` must be a whole number") from None
    if not 0 <= at <= edits:
        raise StudioInputError(f"`at` must be between 0 and {edits}")
    return None if at == edits else at


def change_index(raw: Any, edits: int) -> int | None:
    """`?change=N` of the editor: edit N (0-based) changed in place; None: a new edit."""
    if raw is None or raw == "":
        return None
    try:
        index = int(raw)
    except (TypeError, ValueError):
        raise StudioInputError("`change` must be a whole number") from None
    return _index(index, edits)


class _Change:
    """One write request: the body, the book as it is now, and the illustration it is about."""

    def __init__(self, studio: Studio, body: dict[str, Any]) -> None:
        self.studio = studio
        self.body = body
        self.project = studio.project()
        self.graph, self.statuses = plan_and_statuses(self.project)
        key = str(body.get("ill", ""))
        try:
            self.ref, self.plan = find_illustration(self.graph, key)
        except LookupError:
            raise StudioInputError(f"no illustration {key!r}") from None
        self.key = key

    @property
    def text(self) -> str:
        return self.project.spec.text

    def approved(self) -> float | None:
        value = self.body.get("approved_cost")
        return float(value) if isinstance(value, int | float) else None

    def finish(self, new_text: str, reason: str) -> dict[str, Any]:
        """Check, forecast, (ask,) write and build. Returns the answer for the page."""
        candidate = check_candidate(self.project, new_text)
        approved = self.approved()
        if candidate.paid and not _covers(approved, candidate):
            return {"needs_approval": candidate.summary()}
        write_spec(self.project, candidate)
        self.studio.build.request(f"studio: {reason}", approved)
        return {"ok": True, "forecast": candidate.summary(), "reason": reason}

    def finish_variants(self, texts: list[str], step_of: str | None, reason: str) -> dict[str, Any]:
        """Write the first text, build the others' `step_of` step first (kept as takes)."""
        candidate = check_variants(self.project, texts)
        approved = self.approved()
        if candidate.paid and not _covers(approved, candidate):
            return {"needs_approval": candidate.summary()}
        write_spec(self.project, candidate)
        others = tuple((text, step_of or self.plan.final_step) for text in texts[1:])
        self.studio.build.request(f"studio: {reason}", approved, variants=others)
        return {"ok": True, "forecast": candidate.summary(), "reason": reason}


def _covers(approved: float | None, candidate: Candidate) -> bool:
    return approved is not None and candidate.forecast.total_cost <= approved + PRICE_SLACK


def _picture_before(change: _Change, at: int | None) -> tuple[int, int]:
    links = chain(change.plan, change.statuses)
    digest = links[at].digest if at is not None else links[-1].digest
    if digest is None:
        raise StudioInputError("the picture is not built yet: wait for the build, then draw")
    return image_size(change.project.store.get(digest))


def _mask_stem(plan: IllustrationPlan, position: int) -> str:
    return f"{plan.chapter_id}-{plan.id}-edit-{position + 1}"


def _edited_text(change: _Change, *, save: bool) -> tuple[str, str]:
    request = EditRequest.from_json(change.body.get("edit"))
    at = insert_position(change.body.get("at"), len(change.plan.edit_steps))
    size = _picture_before(change, at)
    position = len(change.plan.edit_steps) if at is None else at
    edit = spec_edit(
        request, change.project.root, size, _mask_stem(change.plan, position), save=save
    )
    text = specwrite.add_edit(change.text, change.ref, edit, at)
    return text, f"{request.op} added to {change.key} as edit {position + 1}"


def forecast_edit(change: _Change) -> dict[str, Any]:
    text, _ = _edited_text(change, save=False)
    return {"forecast": check_candidate(change.project, text).summary()}


def apply_edit(change: _Change) -> dict[str, Any]:
    text, reason = _edited_text(change, save=False)
    candidate = check_candidate(change.project, text)  # before a mask file is written
    if candidate.paid and not _covers(change.approved(), candidate):
        return {"needs_approval": candidate.summary()}
    text, reason = _edited_text(change, save=True)
    return change.finish(text, reason)


def remove_edit(change: _Change) -> dict[str, Any]:
    index = _index(change.body.get("index"), len(change.plan.edit_steps))
    text = specwrite.remove_edit(change.text, change.ref, index)
    return change.finish(text, f"edit {index + 1} of {change.key} removed")


def move_edit(change: _Change) -> dict[str, Any]:
    count = len(change.plan.edit_steps)
    index = _index(change.body.get("index"), count)
    to = _index(change.body.get("to"), count)
    text = specwrite.move_edit(change.text, change.ref, index, to)
    return change.finish(text, f"edit {index + 1} of {change.key} moved to {to + 1}")


def set_take(change: _Change) -> dict[str, Any]:
    take = change.body.get("take")
    if take is None:  # "New take": the first number no stored take has
        take = next_take(change.plan, take_numbers(change.project))
    if isinstance(take, bool) or not isinstance(take, int) or take < 1:
        raise StudioInputError("`take` must be a whole number from 1")
    text = specwrite.set_field(change.text, change.ref, "take", take)
    return change.finish(text, f"{change.key} take {take}")


def approve(change: _Change) -> dict[str, Any]:
    """Approve = `freeze: true`: keep these pictures when only the chapter's text changes."""
    freeze = change.body.get("freeze", True)
    if not isinstance(freeze, bool):
        raise StudioInputError("`freeze` must be true or false")
    if freeze:
        text = specwrite.set_field(change.text, change.ref, "freeze", True)
    else:  # the default is not frozen: the line goes, as the author would remove it
        text = specwrite.remove_field(change.text, change.ref, "freeze")
    verb = "approved (frozen)" if freeze else "unfrozen"
    return change.finish(text, f"{change.key} {verb}")


def reroll_edit(change: _Change) -> dict[str, Any]:
    """The same edit with a new seed (one no stored variant of it used)."""
    index = _index(change.body.get("index"), len(change.plan.edit_steps))
    step_id = change.plan.edit_steps[index]
    current = iterate.edit_seed(change.statuses, change.plan, index)
    seed = iterate.next_seeds(stored_seeds(change.project, step_id), current, 1)[0]
    text = iterate.with_edit_seed(change.text, change.ref, index, seed)
    return change.finish(text, f"edit {index + 1} of {change.key} re-rolled (seed {seed})")


def choose_seed(change: _Change) -> dict[str, Any]:
    index = _index(change.body.get("index"), len(change.plan.edit_steps))
    seed = change.body.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise StudioInputError("`seed` must be a whole number from 0")
    text = iterate.with_edit_seed(change.text, change.ref, index, seed)
    return change.finish(text, f"edit {index + 1} of {change.key}: seed {seed} chosen")


def make_variants(change: _Change) -> dict[str, Any]:
    """N new takes of the picture, or N seeds of edit `index`, made at once; the first is
    written to book.yaml, the others stay stored (Choose on the board picks one)."""
    count = change.body.get("count")
    if isinstance(count, bool) or not isinstance(count, int):
        raise StudioInputError("`count` must be a whole number")
    raw = change.body.get("index")
    if raw is None:
        first = next_take(change.plan, take_numbers(change.project))
        texts = iterate.take_variants(change.text, change.ref, first, count)
        reason = f"{change.key}: {count} variants (takes {first}–{first + count - 1})"
        return change.finish_variants(texts, None, reason)
    index = _index(raw, len(change.plan.edit_steps))
    step_id = change.plan.edit_steps[index]
    current = iterate.edit_seed(change.statuses, change.plan, index)
    seeds = iterate.next_seeds(stored_seeds(change.project, step_id), current, count)
    texts = iterate.seed_variants(change.text, change.ref, index, seeds)
    reason = f"edit {index + 1} of {change.key}: {count} variants (seeds {seeds[0]}–{seeds[-1]})"
    return change.finish_variants(texts, step_id, reason)


def change_edit(change: _Change) -> dict[str, Any]:
    """Edit `index` changed in place: its fields, and its mask when a region is drawn."""
    index = _index(change.body.get("index"), len(change.plan.edit_steps))
    raw = change.body.get("edit")
    if not isinstance(raw, dict):
        raise StudioInputError("`edit` must be an object")
    fields = {k: raw[k] for k in (*iterate.CHANGEABLE, *iterate.MARGINS) if k in raw}
    mask = None
    if raw.get("shape") is not None or raw.get("brush") is not None:
        request = EditRequest.from_json(
            {**raw, "op": "inpaint", "prompt": raw.get("prompt") or "x"}
        )
        size = _picture_before(change, index)
        stem = _mask_stem(change.plan, index)
        probe = spec_edit(request, change.project.root, size, stem, save=False)["inpaint"]["mask"]
        text = iterate.changed_edit(change.text, change.ref, index, fields, probe)
        candidate = check_candidate(change.project, text)
        if candidate.paid and not _covers(change.approved(), candidate):
            return {"needs_approval": candidate.summary()}
        mask = spec_edit(request, change.project.root, size, stem, save=True)["inpaint"]["mask"]
    text = iterate.changed_edit(change.text, change.ref, index, fields, mask)
    return change.finish(text, f"edit {index + 1} of {change.key} changed")


def _index(raw: Any, count: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw < count:
        raise StudioInputError(f"edit index must be 0..{count - 1}")
    return raw


def routes(studio: Studio) -> list[Route]:
    def endpoint(action: Callable[[_Change], dict[str, Any]]) -> Handler:
        async def handle(request: Request) -> Response:
            refused = write_refusal(request, studio.token)
            if refused is not None:
                return JSONResponse({"error": refused}, status_code=403)
            body = await _json_body(request)
            if body is None:
                return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
            try:
                answer = await asyncio.to_thread(lambda: action(_Change(studio, body)))
            except BookbuildError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            status = 409 if "needs_approval" in answer else 200
            return JSONResponse(answer, status_code=status)

        return handle

    return [
        Route("/api/forecast", endpoint(forecast_edit), methods=["POST"]),
        Route("/api/edit", endpoint(apply_edit), methods=["POST"]),
        Route("/api/edit/remove", endpoint(remove_edit), methods=["POST"]),
        Route("/api/edit/move", endpoint(move_edit), methods=["POST"]),
        Route("/api/take", endpoint(set_take), methods=["POST"]),
        Route("/api/edit/reroll", endpoint(reroll_edit), methods=["POST"]),
        Route("/api/edit/seed", endpoint(choose_seed), methods=["POST"]),
        Route("/api/edit/change", endpoint(change_edit), methods=["POST"]),
        Route("/api/variants", endpoint(make_variants), methods=["POST"]),
        Route("/api/approve", endpoint(approve), methods=["POST"]),
        Route("/api/build", _build_endpoint(studio), methods=["POST"]),
    ]


def _build_endpoint(studio: Studio) -> Handler:
    async def build(request: Request) -> Response:
        refused = write_refusal(request, studio.token)
        if refused is not None:
            return JSONResponse({"error": refused}, status_code=403)
        body = await _json_body(request) or {}
        approved = body.get("approved_cost")
        cost = float(approved) if isinstance(approved, int | float) else None
        studio.build.request("studio: build asked from the page", cost)
        return JSONResponse({"ok": True})

    return build


async def _json_body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return None
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


read_json_body = _json_body  # the cast page's write (cast_api.py) reads its body the same way
