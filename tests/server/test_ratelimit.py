"""Sign-in limits: per username and per address, sliding window, 429 with Retry-After."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from bandmate.auth.ratelimit import MemoryRateLimiter, RateLimiter
from bandmate.server import Settings, create_app

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
PASSWORD = "correct horse battery"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_limiter_slides_its_window() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(limit=3, window_s=60, clock=clock)
    assert isinstance(limiter, RateLimiter)
    for _ in range(2):
        await limiter.record_failure("k")
        clock.now += 10
    assert await limiter.retry_after("k") is None
    await limiter.record_failure("k")  # failures at 1000, 1010, 1020
    assert await limiter.retry_after("k") == pytest.approx(40.0)  # the first expires at 1060
    clock.now = 1060.0
    assert await limiter.retry_after("k") is None  # one slid out of the window
    await limiter.record_failure("k")
    assert await limiter.retry_after("k") == pytest.approx(10.0)
    await limiter.reset("k")
    assert await limiter.retry_after("k") is None
    assert await limiter.retry_after("other") is None


async def test_memory_limiter_stays_bounded() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(limit=2, window_s=60, clock=clock, max_keys=100)
    for i in range(1000):
        await limiter.record_failure(f"ip:{i}")
        clock.now += 0.001
    assert len(limiter._hits) <= 100
    # The most recent keys are the ones kept.
    await limiter.record_failure("ip:999")
    assert await limiter.retry_after("ip:999") is not None


@pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (1, 0.0)])
def test_memory_limiter_rejects_nonsense(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        MemoryRateLimiter(limit=limit, window_s=window)


@pytest.fixture
async def limited_app(settings: Settings) -> AsyncIterator[FastAPI]:
    limited = dataclasses.replace(settings, login_max_per_user=3, login_max_per_address=5)
    application = create_app(limited)
    async with application.router.lifespan_context(application):
        yield application


async def _sign_in(client: httpx.AsyncClient, username: str, password: str) -> int:
    response = await client.post(
        "/api/auth/signin", json={"username": username, "password": password}
    )
    return response.status_code


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_too_many_failures_for_one_username_is_429(
    limited_app: FastAPI, make_client: ClientFactory
) -> None:
    await make_client(limited_app, "alice")
    attacker = await make_client(limited_app, ip="10.0.0.1")
    assert [await _sign_in(attacker, "alice", "wrong-password") for _ in range(3)] == [401] * 3
    blocked = await attacker.post(
        "/api/auth/signin", json={"username": "alice", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60
    # The limit is on the name, so the real owner is blocked too, from anywhere.
    owner = await make_client(limited_app, ip="192.0.2.7")
    assert await _sign_in(owner, "alice", PASSWORD) == 429
    # Other names are not affected.
    await make_client(limited_app, "bob")
    assert await _sign_in(owner, "bob", PASSWORD) == 200


async def test_too_many_failures_from_one_address_is_429(
    limited_app: FastAPI, make_client: ClientFactory
) -> None:
    await make_client(limited_app, "alice")
    attacker = await make_client(limited_app, ip="10.0.0.2")
    statuses = [await _sign_in(attacker, f"user{i}", "wrong-password") for i in range(5)]
    assert statuses == [401] * 5
    assert await _sign_in(attacker, "alice", PASSWORD) == 429
    elsewhere = await make_client(limited_app, ip="10.0.0.3")
    assert await _sign_in(elsewhere, "alice", PASSWORD) == 200


async def test_success_clears_the_username_count(
    limited_app: FastAPI, make_client: ClientFactory
) -> None:
    await make_client(limited_app, "alice")
    client = await make_client(limited_app, ip="10.0.0.4")
    for _ in range(4):
        assert await _sign_in(client, "alice", "wrong-password") == 401
        assert await _sign_in(client, "alice", PASSWORD) == 200
        # Only username failures reset; this address has failed 4 times of 5 by now.
    assert await _sign_in(client, "alice", "wrong-password") == 401
    assert await _sign_in(client, "alice", PASSWORD) == 429
