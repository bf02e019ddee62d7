"""Audio takes over HTTP: parts uploaded, the stem finished, checked, stored, in the song."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
from pycrdt import Doc

from bandmate.server import studio_of
from bandmate.server.security import SESSION_COOKIE
from bandmate.store.stems import StemStore
from bandmate.sync.decode import song_from_json as doc_to_song_of
from bandmate.sync.document import doc_to_json
from bandmate.sync.update import apply_update

from .conftest import Server
from .stems import opus_file, wav_file

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


async def upload_stem(
    client: httpx.AsyncClient, project_id: str, upload: str, data: bytes
) -> dict[str, Any]:
    """Upload ``data`` as one part and finish it; the finish's answer."""
    put = await client.put(f"{base(project_id)}/{upload}/parts/0", content=data)
    assert put.status_code == 204, put.text
    body = {"parts": 1, "start_quarter": 0.0, "duration_ms": 1000.0, "label": "voice"}
    finished = await client.post(f"{base(project_id)}/{upload}", json=body)
    assert finished.status_code == 201, finished.text
    result: dict[str, Any] = finished.json()
    return result


async def test_stems_are_recorded_and_their_blobs_go_with_the_last_project(
    server: Server, clients: list[httpx.AsyncClient]
) -> None:
    studio = studio_of(server.app)
    stems = StemStore(studio.database)
    alice, alice_token = await server.person("alice")
    ana = await client_for(server, alice_token, clients)
    first = await server.project(alice, "First")
    second = await server.project(alice, "Second")
    shared = wav_file(1.0)
    own = opus_file(1.0)
    a = await upload_stem(ana, first, "upload-shared-1", shared)
    b = await upload_stem(ana, first, "upload-own-0001", own)
    c = await upload_stem(ana, second, "upload-shared-2", shared)
    assert a["blob"] == c["blob"] != b["blob"]

    [row_a, row_b] = await stems.list_for_project(first)
    assert {row_a.digest, row_b.digest} == {a["blob"], b["blob"]}
    recorded = await stems.find(first, a["blob"])
    assert recorded is not None
    assert (recorded.uploader_id, recorded.mime, recorded.size) == (
        alice.id,
        "audio/wav",
        len(shared),
    )
    assert (recorded.duration_ms, recorded.track_id) == (1000.0, a["track_id"])
    assert await stems.find(second, b["blob"]) is None  # read only through its own project
    assert (await ana.get(f"{base(second)}/{b['blob']}")).status_code == 404
    staged = studio.settings.data_dir / "jam-uploads" / first
    assert staged.is_dir()

    assert (await ana.delete(f"/api/projects/{first}")).status_code == 204
    assert await stems.list_for_project(first) == []
    assert not studio.blobs.exists(b["blob"])  # only the deleted project used it
    assert studio.blobs.exists(a["blob"])  # the second project still does
    assert not staged.exists()
    fetched = await ana.get(f"{base(second)}/{c['blob']}")
    assert (fetched.status_code, fetched.content) == (200, shared)

    assert (await ana.delete(f"/api/projects/{second}")).status_code == 204
    assert not studio.blobs.exists(a["blob"])


async def test_a_stem_blob_that_is_also_a_song_seed_survives(
    server: Server, clients: list[httpx.AsyncClient]
) -> None:
    studio = studio_of(server.app)
    alice, alice_token = await server.person("alice")
    ana = await client_for(server, alice_token, clients)
    project_id = await server.project(alice, "Take")
    data = wav_file(0.5)
    result = await upload_stem(ana, project_id, "upload-seeded-1", data)
    # Another project whose seed is these very bytes (content addressing shares the file).
    await studio.projects.create(alice, "Seeded", song_blob=result["blob"])
    assert (await ana.delete(f"/api/projects/{project_id}")).status_code == 204
    assert studio.blobs.exists(result["blob"])


async def finished_job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    """The job once it has ended (polled; the jobs API's own tests cover its events)."""
    async with asyncio.timeout(120):
        while True:
            job: dict[str, Any] = (await client.get(f"/api/jobs/{job_id}")).json()
            if job["state"] not in ("queued", "running"):
                return job
            await asyncio.sleep(0.1)


async def test_a_render_job_mixes_the_stem_in_at_its_place(
    server: Server, clients: list[httpx.AsyncClient]
) -> None:
    alice, alice_token = await server.person("alice")
    ana = await client_for(server, alice_token, clients)
    project_id = await server.project(alice, "Stem render")
    data = wav_file(1.0)
    put = await ana.put(f"{base(project_id)}/upload-render-01/parts/0", content=data)
    assert put.status_code == 204
    # Recorded from bar 1 beat 2 (quarter 1: 0.5 s at the new song's 120 bpm).
    body = {"parts": 1, "start_quarter": 1.0, "duration_ms": 1000.0}
    assert (await ana.post(f"{base(project_id)}/upload-render-01", json=body)).status_code == 201
    song = doc_to_song_of(await song_json(server, project_id))
    [clip] = [c for t in song.tracks for c in t.clips]
    assert clip.start == song.ppq

    created = await ana.post(
        f"/api/projects/{project_id}/jobs", json={"kind": "render", "sample_rate": 22050}
    )
    assert created.status_code == 201, created.text
    job = await finished_job(ana, created.json()["id"])
    assert job["state"] == "succeeded", job
    download = await ana.get(job["result"]["url"])
    audio, rate = sf.read(io.BytesIO(download.content), dtype="float32")
    assert rate == 22050
    assert len(audio) == pytest.approx(1.5 * rate, abs=0.01 * rate)
    assert np.max(np.abs(audio[: rate // 2 - 1])) == 0.0  # nothing before the clip
    level = float(np.sqrt(np.mean(np.square(audio[rate // 2 + 100 : rate]))))
    assert level == pytest.approx(0.5 / np.sqrt(2) * (100 / 127) ** 2, rel=0.05)
