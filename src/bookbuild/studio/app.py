"""The studio's web app: Starlette routes over the library (pages, pictures, build events, and
the write endpoints in api.py). Jinja autoescapes every value, model output included."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bookbuild.errors import BookbuildError, StoreError
from bookbuild.media.images import decode_image
from bookbuild.project import Project
from bookbuild.store import check_digest
from bookbuild.studio import api
from bookbuild.studio.board import board, chain, find_illustration
from bookbuild.studio.builder import Builder
from bookbuild.studio.overlay import mask_overlay
from bookbuild.studio.security import PAGE_HEADERS, allowed_hosts, new_token
from bookbuild.studio.watch import watch_book

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEARTBEAT_SECONDS = 15.0


@dataclass
class Studio:
    """One book served: its folder, --draft, the page token, the builder and event listeners."""

    root: Path
    draft: bool
    host: str = "127.0.0.1"
    token: str = field(default_factory=new_token)
    listeners: set[asyncio.Queue[dict[str, Any]]] = field(default_factory=set)
    loop: asyncio.AbstractEventLoop | None = None
    builder: Builder | None = None
    watch: bool = True

    def project(self) -> Project:
        return Project.open(self.root, draft=self.draft)

    def notify(self, state: dict[str, Any]) -> None:
        """Called from the build thread: hand the state to every open page."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        for queue in list(self.listeners):
            loop.call_soon_threadsafe(queue.put_nowait, state)

    @property
    def build(self) -> Builder:
        assert self.builder is not None
        return self.builder


def create_app(studio: Studio) -> Starlette:
    templates = Environment(
        loader=PackageLoader("bookbuild.studio", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )

    def page(name: str, request: Request, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(
            token=studio.token, draft=studio.draft, request=request, **context
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        studio.loop = asyncio.get_running_loop()
        studio.builder = Builder(studio.root, studio.draft, studio.notify)
        studio.builder.start()
        studio.builder.request("studio started")
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_book(studio.root, studio.build, stop))
        if not studio.watch:
            stop.set()
        try:
            yield
        finally:
            stop.set()
            await watcher
            studio.build.stop()

    async def preview(request: Request) -> Response:
        return page("preview.html.j2", request)

    async def board_page(request: Request) -> Response:
        try:
            views = await asyncio.to_thread(board, studio.project())
        except BookbuildError as exc:
            return page("problem.html.j2", request, message=str(exc))
        return page("board.html.j2", request, views=views)

    async def editor_page(request: Request) -> Response:
        key = request.path_params["key"]
        try:
            project = studio.project()
            graph, statuses = await asyncio.to_thread(api.plan_and_statuses, project)
            _ref, plan = find_illustration(graph, key)
        except BookbuildError as exc:
            return page("problem.html.j2", request, message=str(exc))
        except LookupError:
            return page("problem.html.j2", request, message=f"no illustration {key}")
        links = chain(plan, statuses)
        at = api.insert_position(request.query_params.get("at"), len(plan.edit_steps))
        picture = links[at].digest if at is not None else links[-1].digest
        return page(
            "editor.html.j2", request, key=key, plan=plan, links=links, at=at, picture=picture
        )

    async def events(request: Request) -> Response:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        studio.listeners.add(queue)

        async def stream() -> AsyncIterator[str]:
            try:
                yield f"data: {json.dumps(studio.build.snapshot())}\n\n"
                while True:
                    try:
                        state = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                    except TimeoutError:
                        yield ": heartbeat\n\n"
                        continue
                    yield f"data: {json.dumps(state)}\n\n"
            finally:
                studio.listeners.discard(queue)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def status(request: Request) -> Response:
        return JSONResponse(studio.build.snapshot())

    async def stored_object(request: Request) -> Response:
        digest = request.path_params["digest"]
        try:
            check_digest(digest)
            data = await asyncio.to_thread(studio.project().store.get, digest)
        except (KeyError, StoreError):
            return Response("no such object", status_code=404)
        if data.startswith(PNG_SIGNATURE):
            return Response(data, media_type="image/png", headers=_immutable())
        return Response(data, media_type="text/plain; charset=utf-8", headers=_immutable())

    async def overlay(request: Request) -> Response:
        step_id = request.path_params["step"]
        try:
            png = await asyncio.to_thread(mask_overlay, studio.project(), step_id)
        except (BookbuildError, LookupError) as exc:
            return Response(str(exc), status_code=404)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def thumbnail_check(request: Request) -> Response:
        """The size of a stored picture (the editor draws at the picture's own pixels)."""
        digest = request.path_params["digest"]
        try:
            check_digest(digest)
            image = decode_image(studio.project().store.get(digest))
        except (KeyError, BookbuildError):
            return JSONResponse({"error": "no such picture"}, status_code=404)
        return JSONResponse({"width": image.width, "height": image.height})

    routes = [
        Route("/", preview),
        Route("/board", board_page),
        Route("/edit/{key:path}", editor_page),
        Route("/events", events),
        Route("/api/status", status),
        Route("/object/{digest}", stored_object),
        Route("/size/{digest}", thumbnail_check),
        Route("/overlay/{step:path}", overlay),
        *api.routes(studio),
        Mount("/book", StaticFiles(directory=studio.root / "build", html=True, check_dir=False)),
        Mount("/static", StaticFiles(packages=[("bookbuild.studio", "static")])),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(studio.host))]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def _immutable() -> dict[str, str]:
    return {"Cache-Control": "private, max-age=31536000, immutable"}


__all__ = ["Studio", "create_app"]
