"""The studio's web app: Starlette routes over the library (pages, pictures, build events, and
the write endpoints in api.py). Jinja autoescapes every value, model output included."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
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
from bookbuild.reports.board import board, chain, find_illustration, plan_and_statuses
from bookbuild.reports.overlay import mask_overlay
from bookbuild.store.objects import check_digest
from bookbuild.studio import api
from bookbuild.studio.builder import Builder
from bookbuild.studio.security import PAGE_HEADERS, allowed_hosts
from bookbuild.studio.state import Studio
from bookbuild.studio.watch import watch_book

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEARTBEAT_SECONDS = 15.0
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}


class _Pages:
    """The studio's read-only pages and pictures."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.templates = Environment(
            loader=PackageLoader("bookbuild.studio", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )

    def generation(self) -> int:
        """The last finished build, read before a page reads the book: a build finishing
        while the page is made then reloads it (see studio.js)."""
        return int(self.studio.build.snapshot()["generation"])

    def page(
        self, name: str, request: Request, generation: int = -1, **context: Any
    ) -> HTMLResponse:
        html = self.templates.get_template(name).render(
            token=self.studio.token,
            draft=self.studio.draft,
            request=request,
            generation=generation,
            **context,
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)

    async def preview(self, request: Request) -> Response:
        generation = self.generation()
        built = (self.studio.root / "build" / "index.html").is_file()
        return self.page("preview.html.j2", request, generation, built=built)

    async def board(self, request: Request) -> Response:
        generation = self.generation()
        try:
            views = await asyncio.to_thread(board, self.studio.project())
        except BookbuildError as exc:
            return self.page("problem.html.j2", request, generation, message=str(exc))
        return self.page("board.html.j2", request, generation, views=views)

    async def editor(self, request: Request) -> Response:
        key = request.path_params["key"]
        try:
            project = self.studio.project()
            graph, statuses = await asyncio.to_thread(plan_and_statuses, project)
            _, plan = find_illustration(graph, key)
            at = api.insert_position(request.query_params.get("at"), len(plan.edit_steps))
        except BookbuildError as exc:
            return self.page("problem.html.j2", request, message=str(exc))
        except LookupError:
            return self.page("problem.html.j2", request, message=f"no illustration {key}")
        links = chain(plan, statuses)
        picture = links[at].digest if at is not None else links[-1].digest
        context = {"key": key, "plan": plan, "links": links, "at": at, "picture": picture}
        return self.page("editor.html.j2", request, **context)

    async def events(self, request: Request) -> Response:
        """Server-sent build states: the current one at once, then every change."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.studio.listeners.add(queue)
        build = self.studio.build

        async def stream() -> AsyncIterator[str]:
            try:
                yield f"data: {json.dumps(build.snapshot())}\n\n"
                while True:
                    try:
                        state = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                    except TimeoutError:
                        yield ": heartbeat\n\n"
                        continue
                    yield f"data: {json.dumps(state)}\n\n"
            finally:
                self.studio.listeners.discard(queue)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def status(self, request: Request) -> Response:
        return JSONResponse(self.studio.build.snapshot())

    async def stored_object(self, request: Request) -> Response:
        """A verified store object: a picture, or text (a chapter, a written prompt)."""
        digest = request.path_params["digest"]
        try:
            check_digest(digest)
            data = await asyncio.to_thread(self.studio.project().store.get, digest)
        except (KeyError, StoreError):
            return Response("no such object", status_code=404)
        kind = "image/png" if data.startswith(PNG_SIGNATURE) else "text/plain; charset=utf-8"
        return Response(data, media_type=kind, headers=IMMUTABLE)

    async def overlay(self, request: Request) -> Response:
        step_id = request.path_params["step"]
        try:
            png = await asyncio.to_thread(mask_overlay, self.studio.project(), step_id)
        except (BookbuildError, LookupError) as exc:
            return Response(str(exc), status_code=404)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


def _lifespan(studio: Studio) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        studio.loop = asyncio.get_running_loop()
        studio.builder = Builder(studio.root, studio.draft, studio.notify)
        studio.builder.start()
        studio.builder.request("studio started")
        stop = asyncio.Event()
        if not studio.watch:
            stop.set()
        watcher = asyncio.create_task(watch_book(studio.root, studio.builder, stop))
        try:
            yield
        finally:
            stop.set()
            await watcher
            studio.builder.stop()

    return lifespan


def create_app(studio: Studio) -> Starlette:
    pages = _Pages(studio)
    build_folder = StaticFiles(directory=studio.root / "build", html=True, check_dir=False)
    routes = [
        Route("/", pages.preview),
        Route("/board", pages.board),
        Route("/edit/{key:path}", pages.editor),
        Route("/events", pages.events),
        Route("/api/status", pages.status),
        Route("/object/{digest}", pages.stored_object),
        Route("/overlay/{step:path}", pages.overlay),
        *api.routes(studio),
        Mount("/book", build_folder),
        Mount("/static", StaticFiles(packages=[("bookbuild.studio", "static")])),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(studio.host))]
    return Starlette(routes=routes, middleware=middleware, lifespan=_lifespan(studio))


__all__ = ["Studio", "create_app"]
