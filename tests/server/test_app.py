"""The app as a whole: OpenAPI, health, the demo seed, and serving over a real socket."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import socket
from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from bandmate.formats.midi import read_midi, write_midi
from bandmate.music.demo import demo_song
from bandmate.server import Settings, build_server, create_app, studio_of
from bandmate.server.app import DEMO_PASSWORD, DEMO_USERNAME

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]

ENDPOINTS = {
    ("get", "/api/health"),
    ("get", "/api/auth/csrf"),
    ("post", "/api/auth/signup"),
    ("post", "/api/auth/signin"),
    ("post", "/api/auth/signout"),
    ("get", "/api/auth/me"),
    ("get", "/api/projects"),
    ("post", "/api/projects"),
    ("get", "/api/projects/{project_id}"),
    ("patch", "/api/projects/{project_id}"),
    ("delete", "/api/projects/{project_id}"),
    ("get", "/api/projects/{project_id}/song.mid"),
    ("put", "/api/projects/{project_id}/jam/stems/{upload_id}/parts/{index}"),
    ("post", "/api/projects/{project_id}/jam/stems/{upload_id}"),
    ("get", "/api/projects/{project_id}/jam/stems/{digest}"),
    ("get", "/api/projects/{project_id}/members"),
    ("patch", "/api/projects/{project_id}/members/{user_id}"),
    ("delete", "/api/projects/{project_id}/members/{user_id}"),
    ("get", "/api/projects/{project_id}/invitations"),
    ("post", "/api/projects/{project_id}/invitations"),
    ("delete", "/api/projects/{project_id}/invitations/{invitation_id}"),
    ("post", "/api/invitations/accept"),
    ("get", "/api/soundfont"),
    ("post", "/api/projects/{project_id}/jobs"),
    ("get", "/api/projects/{project_id}/jobs"),
    ("get", "/api/jobs/{job_id}"),
    ("get", "/api/jobs/{job_id}/events"),
    ("get", "/api/jobs/{job_id}/result"),
    ("post", "/api/jobs/{job_id}/cancel"),
    ("delete", "/api/jobs/{job_id}"),
    ("get", "/api/assist/kinds"),
    ("post", "/api/projects/{project_id}/suggestions"),
    ("post", "/api/projects/{project_id}/suggestions/insert"),
    ("get", "/api/loops"),
    ("post", "/api/loops/events"),
    ("get", "/api/loops/recommended"),
    ("get", "/api/loops/{loop_id}"),
    ("get", "/api/loops/{loop_id}/audio"),
    ("get", "/api/loops/{loop_id}/notes"),
    ("post", "/api/projects/{project_id}/analyze"),
    ("get", "/api/projects/{project_id}/loops"),
    ("get", "/api/projects/{project_id}/loops/fit"),
    ("get", "/api/projects/{project_id}/loops/uploads"),
    ("post", "/api/projects/{project_id}/loops/uploads"),
    ("put", "/api/projects/{project_id}/loops/uploads/parts/{token}/{index}"),
    ("delete", "/api/projects/{project_id}/loops/uploads/{upload_id}"),
    ("get", "/api/projects/{project_id}/loops/uploads/{upload_id}"),
    ("get", "/api/projects/{project_id}/loops/uploads/{upload_id}/audio"),
    ("post", "/api/projects/{project_id}/loops/uploads/{upload_id}/clip"),
}


async def test_openapi_describes_every_endpoint(app: FastAPI, make_client: ClientFactory) -> None:
    client = await make_client(app)
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "Bandmate"
    found = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert found == ENDPOINTS
    signin = spec["paths"]["/api/auth/signin"]["post"]
    assert {"401", "429", "422"} <= set(signin["responses"])
    assert "ErrorOut" in spec["components"]["schemas"]


async def test_health(app: FastAPI, make_client: ClientFactory) -> None:
    client = await make_client(app)
    assert (await client.get("/api/health")).json() == {"status": "ok", "version": "0.1.0"}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_first_start_seeds_the_demo_once(
    settings: Settings, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    seeded = dataclasses.replace(settings, seed_demo=True)
    app = create_app(seeded)
    with caplog.at_level(logging.WARNING, logger="bandmate.server.app"):
        async with app.router.lifespan_context(app):
            demo = await make_client(app)
            signin = await demo.post(
                "/api/auth/signin", json={"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
            )
            assert signin.status_code == 200
            projects = (await demo.get("/api/projects")).json()
            assert [(p["name"], p["role"], p["has_song"]) for p in projects] == [
                ("First Light", "owner", True)
            ]
            midi = await demo.get(f"/api/projects/{projects[0]['id']}/song.mid")
            assert midi.headers["content-type"] == "audio/midi"
            assert midi.content == write_midi(demo_song())
            assert read_midi(midi.content).title == "First Light"
    assert DEMO_PASSWORD in caplog.text
    again = create_app(seeded)
    async with again.router.lifespan_context(again):
        assert await studio_of(again).accounts.count_users() == 1
        demo_user = await studio_of(again).accounts.sign_in(
            DEMO_USERNAME, DEMO_PASSWORD, address="test"
        )
        assert len(await studio_of(again).projects.list_for(demo_user[0])) == 1


async def test_a_project_without_a_song_has_no_midi(
    app: FastAPI, make_client: ClientFactory
) -> None:
    alice = await make_client(app, "alice")
    project = (await alice.post("/api/projects", json={"name": "Empty"})).json()
    assert project["has_song"] is False
    response = await alice.get(f"/api/projects/{project['id']}/song.mid")
    assert response.status_code == 404


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_build_server_serves_http_on_its_port(settings: Settings) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server = build_server(dataclasses.replace(settings, port=_free_port()))
    gc.unfreeze()
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.025)
        assert server.started
        # What start-up built is out of the collector's way (no full-collection pauses).
        assert gc.get_freeze_count() > 10_000
        url = f"http://127.0.0.1:{server.config.port}"
        async with httpx.AsyncClient(base_url=url) as client:
            health = await client.get("/api/health")
            assert health.json()["status"] == "ok"
            assert "server" not in health.headers
            refused = await client.post("/api/projects", json={"name": "x"})
            assert refused.status_code == 403
    finally:
        server.should_exit = True
        await task
        gc.unfreeze()  # the rest of the test session collects as usual
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
