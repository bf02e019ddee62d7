"""CSRF: double-submit signed token plus an Origin check on every state-changing request."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from bandmate.server import Settings, create_app
from bandmate.server.security import CSRF_COOKIE

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
BODY = {"username": "alice", "password": "correct horse battery"}


async def _refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "csrf_failed"


async def test_missing_token_is_403(app: FastAPI, make_client: ClientFactory) -> None:
    client = await make_client(app, csrf=False)
    await _refused(await client.post("/api/auth/signup", json=BODY))
    # The refusal hands out a cookie so that the client can retry properly.
    assert CSRF_COOKIE in client.cookies


async def test_header_without_cookie_is_403(app: FastAPI, make_client: ClientFactory) -> None:
    client = await make_client(app)
    client.cookies.clear()
    await _refused(await client.post("/api/auth/signup", json=BODY))


async def test_wrong_token_is_403(app: FastAPI, make_client: ClientFactory) -> None:
    client = await make_client(app)
    client.headers["X-CSRF-Token"] = client.headers["X-CSRF-Token"][:-2] + "xx"
    await _refused(await client.post("/api/auth/signup", json=BODY))


async def test_an_unsigned_cookie_and_matching_header_is_403(
    app: FastAPI, make_client: ClientFactory
) -> None:
    # An attacker able to plant cookies cannot mint a token: it must carry our signature.
    client = await make_client(app, csrf=False)
    client.cookies.set(CSRF_COOKIE, "forged.token")
    client.headers["X-CSRF-Token"] = "forged.token"
    await _refused(await client.post("/api/auth/signup", json=BODY))


async def test_a_token_signed_with_another_secret_is_403(
    app: FastAPI, settings: Settings, make_client: ClientFactory
) -> None:
    other = create_app(dataclasses.replace(settings, secret="another-secret-" + "y" * 40))
    foreign = await make_client(other)
    token = foreign.headers["X-CSRF-Token"]
    client = await make_client(app, csrf=False)
    client.cookies.set(CSRF_COOKIE, token)
    client.headers["X-CSRF-Token"] = token
    await _refused(await client.post("/api/auth/signup", json=BODY))


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
async def test_every_unsafe_method_is_checked(
    app: FastAPI, make_client: ClientFactory, method: str
) -> None:
    client = await make_client(app, "alice")
    del client.headers["X-CSRF-Token"]
    await _refused(await client.request(method, "/api/projects/0123"))


async def test_safe_methods_need_no_token(app: FastAPI, make_client: ClientFactory) -> None:
    client = await make_client(app, "alice")
    del client.headers["X-CSRF-Token"]
    assert (await client.get("/api/projects")).status_code == 200
    assert (await client.get("/api/auth/me")).status_code == 200


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Origin", "https://evil.example"),
        ("Origin", "null"),
        ("Origin", "https://testserver"),  # wrong scheme: the server is on http
        ("Referer", "https://evil.example/page"),
    ],
)
async def test_foreign_origins_are_403_even_with_a_token(
    app: FastAPI, make_client: ClientFactory, header: str, value: str
) -> None:
    client = await make_client(app)
    await _refused(await client.post("/api/auth/signup", json=BODY, headers={header: value}))


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver"},
        {"Referer": "http://testserver/studio"},
        {},
    ],
)
async def test_own_origin_passes(
    app: FastAPI, make_client: ClientFactory, headers: dict[str, str]
) -> None:
    client = await make_client(app)
    response = await client.post("/api/auth/signup", json=BODY, headers=headers)
    assert response.status_code == 201


async def test_allowed_origins_pass(settings: Settings, make_client: ClientFactory) -> None:
    app = create_app(dataclasses.replace(settings, allowed_origins=("https://studio.example.org",)))
    async with app.router.lifespan_context(app):
        client = await make_client(app)
        ok = await client.post(
            "/api/auth/signup", json=BODY, headers={"Origin": "https://studio.example.org"}
        )
        assert ok.status_code == 201
        other = await client.post(
            "/api/auth/signin", json=BODY, headers={"Origin": "https://other.example.org"}
        )
        await _refused(other)


async def test_the_csrf_cookie_is_readable_by_scripts_and_strict(
    app: FastAPI, make_client: ClientFactory
) -> None:
    client = await make_client(app, csrf=False, https=True)
    response = await client.get("/api/auth/csrf")
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(CSRF_COOKIE))
    assert "HttpOnly" not in header
    assert "SameSite=Strict" in header
    assert "Secure" in header
    assert response.json()["csrf_token"] == header.split(";")[0].split("=", 1)[1]


async def test_a_valid_cookie_is_kept(app: FastAPI, make_client: ClientFactory) -> None:
    client = await make_client(app)
    response = await client.get("/api/auth/csrf")
    assert response.json()["csrf_token"] == client.headers["X-CSRF-Token"]
    assert not any(h.startswith(CSRF_COOKIE) for h in response.headers.get_list("set-cookie"))
