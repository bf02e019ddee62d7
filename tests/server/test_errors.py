"""Every error is a 4xx JSON body from one mapping; bad input never yields a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Scope

from bandmate.auth.errors import (
    AuthError,
    BadCredentialsError,
    InvalidInputError,
    InvitationExpiredError,
    InvitationUsedUpError,
    LastOwnerError,
    NotAuthenticatedError,
    PermissionDeniedError,
    RateLimitedError,
)
from bandmate.errors import BandmateError, FormatError, MusicError, ParseError
from bandmate.server.errors import (
    CsrfError,
    PayloadTooLargeError,
    ServerError,
    error_response,
    status_of,
)
from bandmate.server.settings import SettingsError
from bandmate.store.blobs import CorruptBlobError
from bandmate.store.errors import ConflictError, NotFoundError, UsernameTakenError

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
LIMIT = 1 << 20


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (CorruptBlobError("x"), 500, "corrupt_blob"),
        (PayloadTooLargeError("x"), 413, "payload_too_large"),
        (CsrfError("x"), 403, "csrf_failed"),
        (RateLimitedError("x", retry_after=1.2), 429, "rate_limited"),
        (BadCredentialsError("x"), 401, "bad_credentials"),
        (NotAuthenticatedError("x"), 401, "not_authenticated"),
        (PermissionDeniedError("x"), 403, "forbidden"),
        (InvitationExpiredError("x"), 410, "invitation_expired"),
        (InvitationUsedUpError("x"), 410, "invitation_used_up"),
        (InvalidInputError("x"), 422, "invalid_input"),
        (NotFoundError("x"), 404, "not_found"),
        (UsernameTakenError("x"), 409, "username_taken"),
        (LastOwnerError("x"), 409, "last_owner"),
        (ConflictError("x"), 409, "conflict"),
        (ParseError("x"), 422, "invalid_music"),
        (MusicError("x"), 422, "invalid_music"),
        (FormatError("x"), 422, "invalid_format"),
        (AuthError("x"), 400, "auth_error"),
        (ServerError("x"), 400, "bad_request"),
        (SettingsError("x"), 400, "bad_setting"),
        (BandmateError("x"), 400, "bad_request"),
    ],
)
def test_each_family_maps_to_one_status(error: BandmateError, status: int, code: str) -> None:
    response = error_response(error)
    assert status_of(error) == (status, code)
    assert response.status_code == status
    assert response.body == (b'{"error":{"code":"' + code.encode() + b'","message":"x"}}')


def test_rate_limited_errors_say_when_to_retry() -> None:
    response = error_response(RateLimitedError("x", retry_after=1.2))
    assert response.headers["retry-after"] == "2"


@pytest.fixture
async def alice(app: FastAPI, make_client: ClientFactory) -> httpx.AsyncClient:
    return await make_client(app, "alice")


async def test_unknown_route_is_json_404(alice: httpx.AsyncClient) -> None:
    response = await alice.get("/api/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found"}}


async def test_wrong_method_is_json_405(alice: httpx.AsyncClient) -> None:
    response = await alice.put("/api/projects")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_declared_oversized_body_is_413(alice: httpx.AsyncClient) -> None:
    response = await alice.post(
        "/api/projects",
        content=b"{" + b" " * LIMIT + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_streamed_oversized_body_is_413(alice: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 65536

    response = await alice.post(
        "/api/projects", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_a_body_just_under_the_cap_is_read(alice: httpx.AsyncClient) -> None:
    body = b'{"name": "ok"}'
    padded = body[:-1] + b" " * (LIMIT - len(body)) + b"}"
    response = await alice.post(
        "/api/projects", content=padded, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"name": "x"}', "text/plain"),
        (b"", "application/json"),
        (b"null", "application/json"),
        (b'{"name": null}', "application/json"),
        (b'{"name": ["x"]}', "application/json"),
        (b'{"name": "' + b"x" * 300 + b'"}', "application/json"),
        (b'{"name": "   "}', "application/json"),
        (b'{"name": "a\\u0000b"}', "application/json"),
    ],
)
async def test_bad_project_bodies_are_4xx_json(
    alice: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await alice.post(
        "/api/projects", content=content, headers={"Content-Type": content_type}
    )
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()["error"]) >= {"code", "message"}


async def test_a_bad_content_length_is_400(app: FastAPI) -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/health",
        "raw_path": b"/api/health",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-length", b"12abc")],
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "http_version": "1.1",
        "root_path": "",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/projects/x/members/y", {"role": "admin"}),
        ("POST", "/api/projects/x/invitations", {"max_uses": 10**30}),
        ("POST", "/api/projects/x/invitations", {"expires_in_s": -1}),
        ("POST", "/api/invitations/accept", {"token": ""}),
        ("POST", "/api/invitations/accept", {"token": "t" * 500}),
    ],
)
async def test_out_of_range_fields_are_422(
    alice: httpx.AsyncClient, method: str, path: str, body: dict[str, object]
) -> None:
    response = await alice.request(method, path, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
