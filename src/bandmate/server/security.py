"""Request guards that run before routing: body size cap, origin check, CSRF.

CSRF uses the double-submit pattern with a signed token: the server sets a
non-HttpOnly cookie ``bandmate_csrf`` holding ``nonce.hmac`` (signed with the
server secret); every POST/PUT/PATCH/DELETE must echo it in the ``X-CSRF-Token``
header. A page on another site can make the browser send the cookie but cannot
read it, so it cannot set the header. Requests whose ``Origin`` (or, failing
that, ``Referer``) is neither the server's own origin nor an allowed one are
refused as well. Any response to a request without a valid token carries a fresh
cookie; ``GET /api/auth/csrf`` returns it in the body too.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bandmate.auth.credentials import same, sign, verify_signed
from bandmate.errors import BandmateError
from bandmate.server.errors import CsrfError, PayloadTooLargeError, ServerError, error_response

SESSION_COOKIE = "bandmate_session"
CSRF_COOKIE = "bandmate_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_SCOPE_KEY = "bandmate.csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def is_https(scope: Scope) -> bool:
    """Whether the request came over TLS (as uvicorn saw it, proxy headers included)."""
    return scope.get("scheme") in ("https", "wss")


def own_origin(scope: Scope) -> str:
    """``scheme://host[:port]`` of this server as the client addressed it."""
    host = Headers(scope=scope).get("host", "")
    scheme = "https" if is_https(scope) else "http"
    return f"{scheme}://{host}".lower()


def origin_allowed(scope: Scope, allowed: Iterable[str]) -> bool:
    """Whether the request's ``Origin`` (or ``Referer``) is this server's or an allowed one.

    A request with neither header (not sent by a browser) passes; ``Origin: null`` fails.
    The sync layer can use this for WebSocket handshakes.
    """
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is None and (referer := headers.get("referer")) is not None:
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin is None:
        return True
    origin = origin.lower()
    return origin == own_origin(scope) or origin in allowed


def new_csrf_token(secret: str) -> str:
    """A fresh signed CSRF token."""
    return sign(secret, secrets.token_urlsafe(24))


def _cookie_header(
    name: str, value: str, *, secure: bool, http_only: bool, same_site: str, max_age: int | None
) -> tuple[bytes, bytes]:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["samesite"] = same_site
    if max_age is not None:
        morsel["max-age"] = max_age
    if secure:
        morsel["secure"] = True
    if http_only:
        morsel["httponly"] = True
    return b"set-cookie", morsel.OutputString().encode("latin-1")


def set_session_cookie(response: Response, scope: Scope, token: str, *, max_age: int) -> None:
    """Put the session token in an HttpOnly, SameSite=Lax cookie (Secure over https)."""
    response.raw_headers.append(
        _cookie_header(
            SESSION_COOKIE,
            token,
            secure=is_https(scope),
            http_only=True,
            same_site="Lax",
            max_age=max_age,
        )
    )


def clear_session_cookie(response: Response, scope: Scope) -> None:
    """Tell the browser to forget the session cookie."""
    response.raw_headers.append(
        _cookie_header(
            SESSION_COOKIE, "", secure=is_https(scope), http_only=True, same_site="Lax", max_age=0
        )
    )


class Guard:
    """ASGI middleware enforcing the body cap, the origin check and CSRF on HTTP requests.

    Args:
        app: The wrapped application.
        secret: Signs CSRF tokens.
        max_body_bytes: Bodies above this many bytes are refused with 413.
        allowed_origins: Origins besides the server's own that may change state.
    """

    def __init__(
        self, app: ASGIApp, *, secret: str, max_body_bytes: int, allowed_origins: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.secret = secret
        self.max_body_bytes = max_body_bytes
        self.allowed_origins = frozenset(o.lower() for o in allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        cookie = connection.cookies.get(CSRF_COOKIE, "")
        valid_cookie = bool(cookie) and len(cookie) < 200 and verify_signed(self.secret, cookie)
        token = cookie if valid_cookie else new_csrf_token(self.secret)
        scope[CSRF_SCOPE_KEY] = token
        send = send if valid_cookie else self._with_cookie(scope, send, token)
        try:
            self._check_length(connection.headers)
            if scope["method"] not in SAFE_METHODS:
                self._check_origin(scope)
                header = connection.headers.get(CSRF_HEADER, "")
                if not (valid_cookie and header and same(header, cookie)):
                    raise CsrfError(
                        f"{scope['method']} needs the {CSRF_COOKIE} cookie's value in the "
                        "X-CSRF-Token header (GET /api/auth/csrf issues one)"
                    )
            receive = await self._buffered(receive)
        except BandmateError as exc:
            await error_response(exc)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check_length(self, headers: Headers) -> None:
        length = headers.get("content-length")
        if length is None:
            return
        if not length.isdigit():
            raise ServerError(f"content-length={length[:20]!r} must be a whole number")
        if int(length) > self.max_body_bytes:
            raise PayloadTooLargeError(
                f"body of {length} bytes exceeds the limit of {self.max_body_bytes} bytes"
            )

    def _check_origin(self, scope: Scope) -> None:
        if not origin_allowed(scope, self.allowed_origins):
            origin = Headers(scope=scope).get("origin") or Headers(scope=scope).get("referer", "")
            raise CsrfError(f"origin={origin[:100]!r} may not change state on this server")

    async def _buffered(self, receive: Receive) -> Receive:
        # Read the whole body (it is capped) so that chunked uploads are capped too.
        messages: list[Message] = []
        total = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            total += len(message.get("body", b""))
            if total > self.max_body_bytes:
                raise PayloadTooLargeError(f"body exceeds the limit of {self.max_body_bytes} bytes")
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return replay

    def _with_cookie(self, scope: Scope, send: Send, token: str) -> Send:
        header = _cookie_header(
            CSRF_COOKIE,
            token,
            secure=is_https(scope),
            http_only=False,
            same_site="Strict",
            max_age=None,
        )

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        return send_with_cookie
