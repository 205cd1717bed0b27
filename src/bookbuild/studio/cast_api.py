"""The cast page's own write: a character's new description. Like every studio write (api.py):
the page's token, the new book.yaml text from the round-trip writer, checked like `validate`,
forecast like `plan`, asked once when it would pay, written, and built."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bookbuild.errors import BookbuildError, StudioInputError
from bookbuild.reports.cast import described
from bookbuild.reports.changes import check_candidate, write_spec
from bookbuild.studio.api import PRICE_SLACK, read_json_body
from bookbuild.studio.security import write_refusal
from bookbuild.studio.state import Studio


def describe(studio: Studio, cid: str, body: dict[str, Any]) -> dict[str, Any]:
    """Write `body["description"]` as the character's; the answer for the page."""
    description = body.get("description")
    if not isinstance(description, str):
        raise StudioInputError("`description` must be text")
    project = studio.project()
    candidate = check_candidate(project, described(project, cid, description.strip()))
    approved = body.get("approved_cost")
    approved = float(approved) if isinstance(approved, int | float) else None
    covered = approved is not None and candidate.forecast.total_cost <= approved + PRICE_SLACK
    if candidate.paid and not covered:
        return {"needs_approval": candidate.summary()}
    write_spec(project, candidate)
    reason = f"characters.{cid}.description changed"
    studio.build.request(f"studio: {reason}", approved)
    return {"ok": True, "forecast": candidate.summary(), "reason": reason}


def routes(studio: Studio) -> list[Route]:
    async def handle(request: Request) -> Response:
        refused = write_refusal(request, studio.token)
        if refused is not None:
            return JSONResponse({"error": refused}, status_code=403)
        body = await read_json_body(request)
        if body is None:
            return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
        cid = request.path_params["cid"]
        try:
            answer = await asyncio.to_thread(describe, studio, cid, body)
        except BookbuildError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(answer, status_code=409 if "needs_approval" in answer else 200)

    return [Route("/api/cast/{cid}/description", handle, methods=["POST"])]
