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
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bookbuild.errors import BookbuildError, StoreError
from bookbuild.project import store_at
from bookbuild.reports.board import (
    board,
    chain,
    chapter_jumps,
    edit_fields,
    find_illustration,
    picture_index,
    plan_and_statuses,
)
from bookbuild.reports.cast import change_forecast
from bookbuild.reports.cast_page import cast_page, reference_file, sniff_image
from bookbuild.reports.overlay import board_overlay, cached_overlay, mask_overlay
from bookbuild.reports.thumbs import thumb_width, thumbnail
from bookbuild.store.objects import check_digest
from bookbuild.studio import api
from bookbuild.studio.boardcache import BoardCache
from bookbuild.studio.builder import Builder
from bookbuild.studio.cast_api import routes as cast_routes
from bookbuild.studio.security import BOOK_HEADERS, PAGE_HEADERS, allowed_hosts
from bookbuild.studio.state import Studio
from bookbuild.studio.watch import watch_book

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEARTBEAT_SECONDS = 15.0
IMMUTABLE = {"Cache-Control": "private, max-age=31536000, immutable"}


class _Pages:
    """The studio's read-only pages and pictures."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.boards = BoardCache(studio.root, studio.draft, self.board_html)
        self.templates = Environment(
            loader=PackageLoader("bookbuild.studio", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )

    def generation(self) -> int:
        """The last finished build, read before a page reads the book: a build finishing
        while the page is made then reloads it (see studio.js)."""
        return int(self.studio.build.snapshot()["generation"])

    def page(
        self, name: str, request: Request, generation: int = -1, status: int = 200, **context: Any
    ) -> HTMLResponse:
        html = self.html(name, generation, request=request, **context)
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    def html(self, name: str, generation: int, **context: Any) -> str:
        return self.templates.get_template(name).render(
            token=self.studio.token, draft=self.studio.draft, generation=generation, **context
        )

    def board_html(self, generation: int) -> str:
        """The board as of now (kept by BoardCache until the book changes)."""
        views = board(self.studio.project())
        return self.html("board.html.j2", generation, views=views, chapters=chapter_jumps(views))

    async def preview(self, request: Request) -> Response:
        generation = self.generation()
        built = (self.studio.root / "build" / "index.html").is_file()
        return self.page("preview.html.j2", request, generation, built=built)

    async def board(self, request: Request) -> Response:
        generation = self.generation()
        try:
            html = await asyncio.to_thread(self.boards.page, self.studio.build)
        except BookbuildError as exc:
            return self.page("problem.html.j2", request, generation, message=str(exc))
        return HTMLResponse(html, headers=PAGE_HEADERS)

    async def cast(self, request: Request) -> Response:
        generation = self.generation()
        try:
            page = await asyncio.to_thread(cast_page, self.studio.project())
        except BookbuildError as exc:
            return self.page("problem.html.j2", request, generation, message=str(exc))
        return self.page("cast.html.j2", request, generation, **page)

    async def cast_reference(self, request: Request) -> Response:
        """A character's own reference picture (only the files the cast names)."""
        try:
            data = await asyncio.to_thread(
                reference_file,
                self.studio.project(),
                request.path_params["cid"],
                request.path_params["n"],
            )
        except (BookbuildError, LookupError, OSError):
            return Response("no such reference", status_code=404)
        return Response(data, media_type=sniff_image(data), headers={"Cache-Control": "no-store"})

    async def cast_forecast(self, request: Request) -> Response:
        try:
            found = await asyncio.to_thread(
                change_forecast,
                self.studio.project(),
                request.path_params["cid"],
                request.query_params.get("description"),
            )
        except BookbuildError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        return JSONResponse(found.to_json(), headers={"Cache-Control": "no-store"})

    async def thumb(self, request: Request) -> Response:
        """A stored picture sized for the board (WebP, cached by digest and width)."""
        digest = request.path_params["digest"]
        try:
            width = int(request.query_params.get("w", "320"))
            check_digest(digest)
            data = await asyncio.to_thread(
                thumbnail, self.studio.root, digest, width, draft=self.studio.draft
            )
        except (KeyError, ValueError, BookbuildError):
            return Response("no such picture", status_code=404)
        return Response(data, media_type="image/webp", headers=IMMUTABLE)

    async def editor(self, request: Request) -> Response:
        """The region editor: a new edit (`?at=N`: after picture N) or `?change=N` (edit N,
        changed in place, drawn on the picture before it)."""
        key = request.path_params["key"]
        try:
            project = self.studio.project()
            graph, statuses = await asyncio.to_thread(plan_and_statuses, project)
            _, plan = find_illustration(graph, key)
            count = len(plan.edit_steps)
            changing = api.change_index(request.query_params.get("change"), count)
            raw_at = changing if changing is not None else request.query_params.get("at")
            at = api.insert_position(raw_at, count) if changing is None else changing
        except BookbuildError as exc:
            return self.page("problem.html.j2", request, message=str(exc))
        except LookupError:
            message = f"no illustration {key} (see the board for the book's illustrations)"
            return self.page("problem.html.j2", request, status=404, message=message)
        links = chain(plan, statuses)
        picture = links[at].digest if at is not None else links[-1].digest
        current = edit_fields(plan, statuses, changing) if changing is not None else {}
        context = {"key": key, "plan": plan, "links": links, "at": at, "picture": picture}
        context["presets"] = sorted(project.spec.book.models)
        return self.page("editor.html.j2", request, changing=changing, current=current, **context)

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

    async def pictures(self, request: Request) -> Response:
        try:
            found = await asyncio.to_thread(picture_index, self.studio.project())
        except BookbuildError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        return JSONResponse(found, headers={"Cache-Control": "no-store"})

    async def status(self, request: Request) -> Response:
        return JSONResponse(self.studio.build.snapshot())

    async def stored_object(self, request: Request) -> Response:
        """A verified store object: a picture, or text (a chapter, a written prompt)."""
        digest = request.path_params["digest"]
        try:
            check_digest(digest)
            store = store_at(self.studio.root, draft=self.studio.draft)
            data = await asyncio.to_thread(store.get, digest)
        except (KeyError, StoreError):
            return Response("no such object", status_code=404)
        kind = "image/png" if data.startswith(PNG_SIGNATURE) else "text/plain; charset=utf-8"
        return Response(data, media_type=kind, headers=IMMUTABLE)

    async def overlay(self, request: Request) -> Response:
        step_id = request.path_params["step"]
        key, width = request.query_params.get("key"), request.query_params.get("w")
        try:
            if key is None and width is None:
                png = await asyncio.to_thread(mask_overlay, self.studio.project(), step_id)
            else:
                size = thumb_width(int(width or 320))
                found = cached_overlay(self.studio.root, key, size) if key else None
                if found is None:
                    project = self.studio.project()
                    found = await asyncio.to_thread(board_overlay, project, step_id, key, size)
                png = found
        except (BookbuildError, LookupError, ValueError) as exc:
            return Response(str(exc), status_code=404)
        cache = IMMUTABLE if key is not None else {"Cache-Control": "no-store"}
        return Response(png, media_type="image/png", headers=cache)


def _lifespan(
    studio: Studio, boards: BoardCache
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        studio.loop = asyncio.get_running_loop()
        studio.builder = Builder(studio.root, studio.draft, studio.notify, studio.say)
        studio.builder.start()
        studio.builder.request("studio started")
        stop = asyncio.Event()
        if not studio.watch:
            stop.set()
        watcher = asyncio.create_task(watch_book(studio.root, studio.builder, stop))
        states: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        studio.listeners.add(states)
        warming = asyncio.create_task(boards.keep_warm(studio.builder, states))
        try:
            yield
        finally:
            stop.set()
            warming.cancel()
            await watcher
            studio.builder.stop()

    return lifespan


class _WithHeaders:
    """An ASGI app whose responses get the studio's page headers (CSP, nosniff, …)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def favicon(request: Request) -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


def create_app(studio: Studio) -> Starlette:
    pages = _Pages(studio)
    build_folder = _WithHeaders(
        StaticFiles(directory=studio.root / "build", html=True, check_dir=False), BOOK_HEADERS
    )
    routes = [
        Route("/", pages.preview),
        Route("/favicon.ico", favicon),
        Route("/board", pages.board),
        Route("/cast", pages.cast),
        Route("/cast/reference/{cid}/{n:int}", pages.cast_reference),
        Route("/api/cast/{cid}/forecast", pages.cast_forecast),
        Route("/edit/{key:path}", pages.editor),
        Route("/events", pages.events),
        Route("/api/status", pages.status),
        Route("/api/pictures", pages.pictures),
        Route("/object/{digest}", pages.stored_object),
        Route("/thumb/{digest}", pages.thumb),
        Route("/overlay/{step:path}", pages.overlay),
        *api.routes(studio),
        *cast_routes(studio),
        Mount("/book", build_folder),
        Mount("/static", StaticFiles(packages=[("bookbuild.studio", "static")])),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(studio.host))]
    return Starlette(routes=routes, middleware=middleware, lifespan=_lifespan(studio, pages.boards))


__all__ = ["Studio", "create_app"]
