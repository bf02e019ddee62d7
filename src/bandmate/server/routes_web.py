"""The browser studio: the built client (``web/dist``) at ``/`` and the SoundFont it plays.

Caching follows the build's naming: files under ``/assets/`` carry a content hash in their
names and are cached for a year as immutable; everything else (``index.html``, ``sw.js``)
must be revalidated on every load (``no-cache`` with an ETag, answered 304 when unchanged)
so a new build is picked up at once. Any other path that is not under ``/api/`` and names
no file gets ``index.html`` (the client routes ``/p/<id>``, ``/invite/<token>``, ...).

``GET /api/soundfont`` serves the SoundFont the server renders with
(:func:`bandmate.render.find_soundfont`) to signed-in users, so the studio's synthesizer
sounds like the export. It supports ``Range`` and ``If-None-Match``.

When the client is not built, ``/`` answers 503 with the command that builds it.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

import bandmate
from bandmate.errors import BandmateError
from bandmate.server.schemas import ErrorOut
from bandmate.server.services import UserDep
from bandmate.store.errors import NotFoundError

ASSET_CACHE = "public, max-age=31536000, immutable"
"""Hashed build assets never change under the same name."""
REVALIDATE = "no-cache"
"""The shell and the service worker: use a stored copy only after asking the server."""
SOUNDFONT_CACHE = "private, no-cache"
SOUNDFONT_TYPE = "audio/x-soundfont"

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Bandmate</title>
<body style="font-family:system-ui;background:#111317;color:#e3e6ec;padding:40px">
<h1>The studio is not built yet</h1>
<p>Build the web client once with
<code>npm ci --prefix web &amp;&amp; npm run build --prefix web</code>, then reload this page.
The API is running at <a href="/docs">/docs</a>.</p></body>"""

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/manifest+json", ".webmanifest")


def default_web_dir() -> Path:
    """``web/dist`` of the source tree this package runs from."""
    return Path(bandmate.__file__).resolve().parents[2] / "web" / "dist"


def _etag(path: Path) -> str:
    stat = path.stat()
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def send_file(
    request: Request, path: Path, *, cache_control: str, media_type: str | None = None
) -> Response:
    """``path`` with an ETag and ``cache_control``; 304 when the client's copy is current."""
    etag = _etag(path)
    headers: Mapping[str, str] = {"Cache-Control": cache_control, "ETag": etag}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=dict(headers))
    return FileResponse(path, media_type=media_type, headers=dict(headers))


def _inside(root: Path, relative: str) -> Path | None:
    """The file ``relative`` names under ``root``, or ``None`` (missing or outside)."""
    if "\x00" in relative:
        return None
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def build_router(web_dir: Path) -> APIRouter:
    """The routes of the studio client served from ``web_dir`` (a Vite build)."""
    router = APIRouter()
    root = web_dir.resolve()

    @router.get(
        "/api/soundfont",
        tags=["studio"],
        response_class=Response,
        responses={
            200: {"content": {SOUNDFONT_TYPE: {}}, "description": "A SoundFont 2 file"},
            206: {"description": "The requested byte range"},
            304: {"description": "The client's copy (If-None-Match) is current"},
            401: {"model": ErrorOut, "description": "Not signed in"},
            503: {"model": ErrorOut, "description": "No SoundFont is installed"},
        },
    )
    async def soundfont(request: Request, _user: UserDep) -> Response:
        """The SoundFont the server renders with (signed-in users)."""
        # Imported here: the render package loads the synthesizer, which requests need not.
        from bandmate.render import find_soundfont

        try:
            path = await run_in_threadpool(find_soundfont)
        except BandmateError as exc:
            raise StarletteHTTPException(503, f"no SoundFont is available: {exc}") from exc
        return send_file(request, path, cache_control=SOUNDFONT_CACHE, media_type=SOUNDFONT_TYPE)

    @router.api_route(
        "/{path:path}", methods=["GET", "HEAD"], include_in_schema=False, response_model=None
    )
    async def studio(request: Request, path: str) -> Response:
        """A file of the built client, or its ``index.html`` for the client's own routes."""
        if path == "api" or path.startswith("api/"):
            raise StarletteHTTPException(404)  # as for any unknown route: a JSON 404
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": REVALIDATE})
        found = _inside(root, path) if path else None
        if found is None:
            if path.startswith("assets/"):
                raise NotFoundError(f"path={'/' + path!r} is not part of this build")
            return send_file(request, index, cache_control=REVALIDATE, media_type="text/html")
        immutable = found.is_relative_to(root / "assets")
        return send_file(request, found, cache_control=ASSET_CACHE if immutable else REVALIDATE)

    return router


def install(app: FastAPI, *, web_dir: Path | None = None) -> None:
    """Serve the studio on ``app``; include after every other route (its ``/`` catches all)."""
    app.include_router(build_router(web_dir or default_web_dir()))
