"""Sign up, sign in, sign out: cookies, hashes, validation, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie

import httpx
import pytest
from argon2 import Type, extract_parameters
from fastapi import FastAPI
from sqlalchemy import select

from bandmate.server import studio_of
from bandmate.server.security import SESSION_COOKIE
from bandmate.store.models import SessionRow, UserRow

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
PASSWORD = "correct horse battery"
BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def _session_cookie(response: httpx.Response) -> SimpleCookie:
    cookie: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{SESSION_COOKIE}="):
            cookie.load(header)
    assert SESSION_COOKIE in cookie, response.headers
    return cookie


@BOTH
async def test_sign_up_sign_in_me_sign_out(app: FastAPI, make_client: ClientFactory) -> None:
    alice = await make_client(app, "alice")
    me = await alice.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert (await alice.post("/api/auth/signout")).status_code == 204
    assert (await alice.get("/api/auth/me")).status_code == 401
    signin = await alice.post("/api/auth/signin", json={"username": "alice", "password": PASSWORD})
    assert signin.status_code == 200
    assert signin.json()["id"] == me.json()["id"]
    assert (await alice.get("/api/auth/me")).json()["username"] == "alice"


@BOTH
async def test_sign_out_invalidates_the_session_server_side(
    app: FastAPI, make_client: ClientFactory
) -> None:
    alice = await make_client(app, "alice")
    token = alice.cookies[SESSION_COOKIE]
    assert (await alice.post("/api/auth/signout")).status_code == 204
    # Replaying the old cookie (as a thief would) no longer works.
    thief = await make_client(app)
    thief.cookies.set(SESSION_COOKIE, token)
    response = await thief.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@BOTH
async def test_passwords_are_stored_as_argon2id_and_tokens_hashed(
    app: FastAPI, make_client: ClientFactory
) -> None:
    alice = await make_client(app, "alice")
    token = alice.cookies[SESSION_COOKIE]
    async with studio_of(app).database.transaction() as db:
        stored = (await db.execute(select(UserRow.password_hash))).scalar_one()
        session_keys = (await db.execute(select(SessionRow.token_hash))).scalars().all()
    assert stored.startswith("$argon2id$v=19$")
    assert extract_parameters(stored).type is Type.ID
    assert PASSWORD not in stored
    assert token not in session_keys
    assert len(token) >= 43  # 32 random bytes, base64
    assert len(session_keys) == 1
    assert len(session_keys[0]) == 64


async def test_session_cookie_flags_over_http(app: FastAPI, make_client: ClientFactory) -> None:
    client = await make_client(app)
    response = await client.post(
        "/api/auth/signup", json={"username": "alice", "password": PASSWORD}
    )
    morsel = _session_cookie(response)[SESSION_COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert int(morsel["max-age"]) == studio_of(app).settings.session_ttl_s
    assert not morsel["secure"]


async def test_session_cookie_is_secure_over_https(
    app: FastAPI, make_client: ClientFactory
) -> None:
    client = await make_client(app, https=True)
    response = await client.post(
        "/api/auth/signup", json={"username": "alice", "password": PASSWORD}
    )
    morsel = _session_cookie(response)[SESSION_COOKIE]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True


async def test_sign_out_clears_the_cookie(app: FastAPI, make_client: ClientFactory) -> None:
    alice = await make_client(app, "alice")
    response = await alice.post("/api/auth/signout")
    morsel = _session_cookie(response)[SESSION_COOKIE]
    assert morsel.value == ""
    assert morsel["max-age"] == "0"


async def test_sign_out_without_a_session_is_harmless(
    app: FastAPI, make_client: ClientFactory
) -> None:
    anonymous = await make_client(app)
    assert (await anonymous.post("/api/auth/signout")).status_code == 204


async def test_usernames_are_case_insensitive(app: FastAPI, make_client: ClientFactory) -> None:
    await make_client(app, "Alice")
    other = await make_client(app)
    taken = await other.post("/api/auth/signup", json={"username": "ALICE", "password": PASSWORD})
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "username_taken"
    signin = await other.post("/api/auth/signin", json={"username": "aLiCe", "password": PASSWORD})
    assert signin.json()["username"] == "alice"


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("ab", PASSWORD, "username"),
        ("-alice", PASSWORD, "username"),
        ("al ice", PASSWORD, "username"),
        ("a" * 33, PASSWORD, "username"),
        ("alice", "short", "password"),
        ("alice", "x" * 257, "password"),
    ],
)
async def test_sign_up_rejects_bad_usernames_and_passwords(
    app: FastAPI, make_client: ClientFactory, username: str, password: str, field: str
) -> None:
    client = await make_client(app)
    response = await client.post(
        "/api/auth/signup", json={"username": username, "password": password}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["message"]
    assert password not in response.text


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice"},
        {"username": "alice", "password": 12345678},
        {"username": "alice", "password": PASSWORD, "admin": True},
        {"username": "a" * 100, "password": PASSWORD},
        {"username": "alice", "password": "p" * 2000},
        [],
        "alice",
    ],
)
async def test_malformed_bodies_are_422_and_never_echo_passwords(
    app: FastAPI, make_client: ClientFactory, body: object
) -> None:
    client = await make_client(app)
    response = await client.post("/api/auth/signup", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert PASSWORD not in response.text
    assert "p" * 100 not in response.text


async def test_wrong_password_and_unknown_user_look_the_same(
    app: FastAPI, make_client: ClientFactory
) -> None:
    await make_client(app, "alice")
    client = await make_client(app)
    wrong = await client.post(
        "/api/auth/signin", json={"username": "alice", "password": "wrong password"}
    )
    unknown = await client.post(
        "/api/auth/signin", json={"username": "nobody", "password": "wrong password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "bad_credentials"
    assert SESSION_COOKIE not in client.cookies


async def test_a_password_too_long_to_hash_is_simply_wrong(
    app: FastAPI, make_client: ClientFactory
) -> None:
    await make_client(app, "alice")
    client = await make_client(app)
    response = await client.post(
        "/api/auth/signin", json={"username": "alice", "password": "x" * 1000}
    )
    assert response.status_code == 401


async def test_expired_sessions_are_refused(app: FastAPI, make_client: ClientFactory) -> None:
    alice = await make_client(app, "alice")
    async with studio_of(app).database.transaction() as db:
        row = (await db.execute(select(SessionRow))).scalar_one()
        row.expires_at = row.created_at
    assert (await alice.get("/api/auth/me")).status_code == 401
    assert await studio_of(app).accounts.purge_sessions() == 1
