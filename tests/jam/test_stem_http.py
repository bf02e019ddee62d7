"""Audio takes over HTTP: parts uploaded, the stem finished, checked, stored, in the song."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pycrdt import Doc

from bandmate.server import studio_of
from bandmate.server.security import SESSION_COOKIE
from bandmate.sync.document import doc_to_json
from bandmate.sync.update import apply_update

from .conftest import Server
from .stems import opus_file

pytestmark = pytest.mark.anyio

UPLOAD = "take-0123456789abcdef"


@pytest.fixture
async def clients() -> AsyncIterator[list[httpx.AsyncClient]]:
    made: list[httpx.AsyncClient] = []
    yield made
    for client in made:
        await client.aclose()


async def client_for(
    server: Server, token: str, made: list[httpx.AsyncClient]
) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=f"http://{server.host}", cookies={SESSION_COOKIE: token})
    made.append(client)
    csrf = (await client.get("/api/auth/csrf")).json()["csrf_token"]
    client.headers["X-CSRF-Token"] = csrf
    return client


async def song_json(server: Server, project_id: str) -> dict[str, Any]:
    doc: Doc[Any] = Doc()
    for update in await studio_of(server.app).updates.read_since(project_id, 0):
        apply_update(doc, update.data)
    return doc_to_json(doc)


def base(project_id: str) -> str:
    return f"/api/projects/{project_id}/jam/stems"


async def test_an_audio_take_uploaded_in_parts_lands_in_the_song(
    server: Server, clients: list[httpx.AsyncClient]
) -> None:
    alice, alice_token = await server.person("alice")
    bob, bob_token = await server.person("bob")
    project_id = await server.project(alice, "Duet", (bob, "viewer"))
    ana = await client_for(server, alice_token, clients)
    ben = await client_for(server, bob_token, clients)
    listener = await server.player(project_id, bob_token)  # in the jam room, hears of it
    await listener.next_of("welcome")
    data = opus_file(2.0)
    cut = [0, 5000, 11000, len(data)]
    for index in (2, 0, 1):  # in any order, one twice
        part = data[cut[index] : cut[index + 1]]
        response = await ana.put(f"{base(project_id)}/{UPLOAD}/parts/{index}", content=part)
        assert response.status_code == 204, response.text
    await ana.put(f"{base(project_id)}/{UPLOAD}/parts/1", content=data[cut[1] : cut[2]])
    body = {"parts": 3, "start_quarter": 4.0, "duration_ms": 2000.0, "label": "instrument"}
    finished = await ana.post(f"{base(project_id)}/{UPLOAD}", json=body)
    assert finished.status_code == 201, finished.text
    result = finished.json()
    assert result["mime"] == "audio/webm"
    assert result["bytes"] == len(data)
    # Asking again (the browser missed the answer) answers the same, and writes nothing new.
    again = await ana.post(f"{base(project_id)}/{UPLOAD}", json=body)
    assert (again.status_code, again.json()) == (200, result)

    song = await song_json(server, project_id)
    tracks = song["tracks"]
    assert isinstance(tracks, dict)
    [track] = [t for t in tracks.values() if t.get("kind") == "audio"]
    assert track["name"] == "alice – instrument audio"
    [clip] = track["clips"].values()
    assert clip["blob"] == result["blob"]
    assert clip["author"] == alice.id
    ppq = song["meta"]["ppq"]
    assert clip["start"] == 4 * ppq
    log = await studio_of(server.app).updates.read_since(project_id, 0)
    assert log[-1].author_id == alice.id
    assert sum(1 for u in log if u.author_id == alice.id) == 1  # once, despite two finishes

    notice = await listener.next_of("stem")
    assert (notice["track_id"], notice["user"]) == (result["track_id"], "alice")
    await listener.close()

    # Any member plays it back; a stranger does not learn it exists.
    fetched = await ben.get(f"{base(project_id)}/{result['blob']}")
    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["content-type"] == "audio/webm"
    _, eve_token = await server.person("eve")
    eve = await client_for(server, eve_token, clients)
    assert (await eve.get(f"{base(project_id)}/{result['blob']}")).status_code == 404
    other = await server.project(alice, "Other")
    assert (await ana.get(f"{base(other)}/{result['blob']}")).status_code == 404


async def test_bad_uploads_get_clear_errors_and_write_nothing(
    server: Server, clients: list[httpx.AsyncClient]
) -> None:
    alice, alice_token = await server.person("alice")
    bob, bob_token = await server.person("bob")
    _, eve_token = await server.person("eve")
    project_id = await server.project(alice, "Duet", (bob, "viewer"))
    ana = await client_for(server, alice_token, clients)
    ben = await client_for(server, bob_token, clients)
    eve = await client_for(server, eve_token, clients)
    url = f"{base(project_id)}/{UPLOAD}"
    body = {"parts": 1, "start_quarter": 0, "duration_ms": 1000}

    viewer = await ben.put(f"{url}/parts/0", content=b"x" * 100)
    assert viewer.status_code == 403, viewer.text
    assert (await eve.put(f"{url}/parts/0", content=b"x" * 100)).status_code == 404
    anonymous = httpx.AsyncClient(base_url=f"http://{server.host}")
    clients.append(anonymous)
    csrf = (await anonymous.get("/api/auth/csrf")).json()["csrf_token"]
    anonymous.headers["X-CSRF-Token"] = csrf
    assert (await anonymous.put(f"{url}/parts/0", content=b"x")).status_code == 401

    too_big = await ana.put(f"{url}/parts/0", content=b"x" * ((1 << 20) + 1))
    assert too_big.status_code == 413
    bad_id = await ana.put(f"{base(project_id)}/bad%20id%21/parts/0", content=b"x")
    assert bad_id.status_code == 400
    assert "upload_id" in bad_id.json()["error"]["message"]
    assert (await ana.put(f"{url}/parts/-1", content=b"x")).status_code == 400
    assert (await ana.put(f"{url}/parts/zero", content=b"x")).status_code == 422

    missing = await ana.post(url, json=body)
    assert missing.status_code == 400
    assert "lacks part(s) 0 of 1" in missing.json()["error"]["message"]
    await ana.put(f"{url}/parts/0", content=b"MZ" + bytes(200))  # not a recording
    not_audio = await ana.post(url, json=body)
    assert not_audio.status_code == 422
    assert "WebM/Ogg" in not_audio.json()["error"]["message"]
    bad_body = await ana.post(url, json={**body, "duration_ms": -5})
    assert bad_body.status_code == 400
    assert "duration_ms" in bad_body.json()["error"]["message"]
    not_json = await ana.post(url, content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    tracks = (await song_json(server, project_id))["tracks"]
    assert isinstance(tracks, dict)
    assert not any(t.get("kind") == "audio" for t in tracks.values())
