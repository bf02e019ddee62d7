"""The listening and loops API end to end: analysis jobs, the library, uploads analyzed by
a real job, fits offered in the song's key and tempo, transformed audio, events and taste,
rights, and hostile uploads."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile
from fastapi import FastAPI

from bandmate.formats.midi import write_midi
from bandmate.music.chord import parse_chord
from bandmate.music.key import parse_key
from bandmate.music.song import ChordEvent, Instrument, Note, Song, TempoChange, Track
from bandmate.server import studio_of
from bandmate.server.security import SESSION_COOKIE
from bandmate.store.loops import LoopStore
from bandmate.store.stems import StemStore

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
HANG_GUARD_S = 240
"""Only there so that a broken worker fails the test instead of hanging the suite."""


def _song() -> Song:
    """Four bars in D major at 100 bpm: D, G, A, D with a melody on the chord tones."""
    chords = tuple(ChordEvent(i * 1920, 1920, parse_chord(s)) for i, s in enumerate("DGAD"))
    pitches = (62, 66, 69, 67, 71, 74, 69, 73, 76, 74, 66, 62)
    notes = tuple(Note(p, i * 640, 600, 96) for i, p in enumerate(pitches))
    return Song(
        title="Dawn",
        tempos=(TempoChange(0, 100.0),),
        key=parse_key("D major"),
        chords=chords,
        tracks=(Track("Lead", Instrument(0), notes),),
    )


async def _project(app: FastAPI, owner: httpx.AsyncClient, *members: tuple[str, str]) -> str:
    studio = studio_of(app)
    user = await studio.accounts.user_for_token(owner.cookies[SESSION_COOKIE])
    assert user is not None
    digest = studio.blobs.put(write_midi(_song()))
    access = await studio.projects.create(user, "Dawn", song_blob=digest)
    for token, role in members:
        _, secret = await studio.projects.invite(user, access.project.id, role)  # type: ignore[arg-type]
        member = await studio.accounts.user_for_token(token)
        assert member is not None
        await studio.projects.accept(member, secret)
    return access.project.id


def _wav(seconds: float = 4.0, rate: int = 22050, *, bpm: float = 120.0) -> bytes:
    """A clicky A-minor loop: an A minor triad struck on every beat."""
    t = np.arange(int(seconds * rate)) / rate
    phase = (t * bpm / 60.0) % 1.0
    envelope = np.exp(-phase * 8.0)
    tone = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63))
    audio = (0.25 * envelope * tone).astype(np.float32)
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, rate, "PCM_16", format="WAV")
    return buffer.getvalue()


async def _finish(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    async with asyncio.timeout(HANG_GUARD_S):
        response = await client.get(f"/api/jobs/{job_id}/events")
    assert response.status_code == 200
    events = [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")
    ]
    final: dict[str, Any] = events[-1]
    return final


async def test_the_song_is_analyzed_by_a_job_with_key_chords_and_mood(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project = await _project(app, owner)
    started = await owner.post(f"/api/projects/{project}/analyze", json={})
    assert started.status_code == 201, started.text
    assert started.json()["kind"] == "analyze"
    job = await _finish(owner, started.json()["id"])
    assert job["state"] == "succeeded", job
    summary = job["summary"]
    assert summary["source"] == "song"
    assert summary["key"] == "D major"
    assert summary["bpm"] == 100.0
    assert [c["symbol"] for c in summary["chords"]] == ["D", "G", "A", "D"]
    assert summary["mood"]["label"] in {"happy", "calm", "sad", "tense"}
    result = await owner.get(f"/api/jobs/{job['id']}/result")
    assert result.status_code == 200
    assert json.loads(result.content)["key"] == "D major"


async def test_library_search_filters_and_refuses_bad_queries(
    app: FastAPI, make_client: ClientFactory
) -> None:
    user = await make_client(app, "someone")
    everything = (await user.get("/api/loops", params={"limit": 200})).json()
    assert everything["total"] >= 200
    funk_bass = (await user.get("/api/loops", params={"role": "bass", "style": "funk"})).json()
    assert funk_bass["total"] == 8
    assert all(x["role"] == "bass" and x["style"] == "funk" for x in funk_bass["loops"])
    in_e_minor = (await user.get("/api/loops", params={"key": "e minor"})).json()
    assert in_e_minor["total"] > 0
    assert all(x["key"] == "E minor" for x in in_e_minor["loops"])
    slow = (await user.get("/api/loops", params={"bpm_max": 80, "role": "drums"})).json()
    assert slow["total"] > 0
    assert all(x["bpm"] <= 80 for x in slow["loops"])
    for params in ({"key": "H# lydian"}, {"role": "kazoo"}, {"bpm_min": 150, "bpm_max": 90},
                   {"limit": 0}, {"mood": "angry"}):  # fmt: skip
        bad = await user.get("/api/loops", params=params)
        assert bad.status_code == 422, (params, bad.text)
        assert bad.json()["error"]["message"]
    assert (await user.get("/api/loops/lib-nothing-here")).status_code == 404
    anonymous = await make_client(app)
    assert (await anonymous.get("/api/loops")).status_code == 401


async def test_a_loop_renders_seamlessly_in_another_key_and_tempo(
    app: FastAPI, make_client: ClientFactory
) -> None:
    user = await make_client(app, "someone")
    loop = (await user.get("/api/loops", params={"role": "bass", "limit": 1})).json()["loops"][0]
    own = await user.get(loop["audio_url"])
    assert own.status_code == 200
    assert own.headers["content-type"] == "audio/wav"
    audio, rate = soundfile.read(io.BytesIO(own.content))
    assert len(audio) / rate == pytest.approx(loop["seconds"], abs=1e-3)
    assert np.max(np.abs(audio)) > 0.01
    faster = await user.get(loop["audio_url"], params={"shift": 2, "bpm": loop["bpm"] * 1.25})
    assert faster.status_code == 200
    fast_audio, _ = soundfile.read(io.BytesIO(faster.content))
    assert len(fast_audio) == pytest.approx(len(audio) / 1.25, abs=2)
    again = await user.get(loop["audio_url"], params={"shift": 2, "bpm": loop["bpm"] * 1.25})
    assert again.content == faster.content  # the cached blob
    for params in ({"shift": 13}, {"bpm": 10}, {"bpm": "fast"}):
        assert (await user.get(loop["audio_url"], params=params)).status_code == 422


async def test_loop_notes_come_at_the_songs_resolution_ready_to_insert(
    app: FastAPI, make_client: ClientFactory
) -> None:
    user = await make_client(app, "someone")
    loop = (await user.get("/api/loops", params={"role": "chords", "limit": 1})).json()["loops"][0]
    plain = (await user.get(f"/api/loops/{loop['id']}/notes")).json()
    moved = await user.get(
        f"/api/loops/{loop['id']}/notes",
        params={"shift": 3, "ppq": 960, "at_tick": 7680, "repeat": 2},
    )
    assert moved.status_code == 200
    body = moved.json()
    assert body["ppq"] == 960
    alt = body["alternative"]
    assert alt["start_tick"] == 7680
    assert alt["end_tick"] == 7680 + 2 * loop["bars"] * 4 * 960
    base = plain["alternative"]["tracks"][0]["notes"]
    notes = alt["tracks"][0]["notes"]
    assert len(notes) == 2 * len(base)
    assert notes[0]["pitch"] == base[0]["pitch"] + 3
    assert notes[0]["start"] == 7680 + 2 * base[0]["start"]
    assert all(alt["start_tick"] <= n["start"] < alt["end_tick"] for n in notes)
    assert parse_key(body["key"]) == parse_key(loop["key"]).transpose(3)


async def test_fits_rank_loops_against_the_song_and_offer_them_in_its_key(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project = await _project(app, owner)
    response = await owner.get(f"/api/projects/{project}/loops/fit", params={"n": 20})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["project"]["key"] == "D major"
    assert body["project"]["bpm"] == 100.0
    fits = body["fits"]
    assert len(fits) == 20
    assert [f["score"] for f in fits] == sorted((f["score"] for f in fits), reverse=True)
    pitched = [f for f in fits if f["loop"]["key"] is not None]
    assert pitched
    assert all(f["key_relation"] in {"same", "relative"} for f in pitched)
    for fit in pitched:
        offered = parse_key(fit["offered_key"])
        assert offered in {parse_key("D major"), parse_key("B minor")}
        assert f"shift={fit['shift']}" in fit["audio_url"]
    drums = (await owner.get(f"/api/projects/{project}/loops/fit", params={"role": "drums"})).json()
    assert all(f["loop"]["role"] == "drums" for f in drums["fits"])
    assert all(f["tempo_relation"] in {"equal", "half-time", "double-time"} for f in drums["fits"])
    best = drums["fits"][0]
    assert best["offered_bpm"] in {100.0, 50.0, 200.0}


async def test_an_upload_is_analyzed_by_a_job_then_found_fitted_and_transformed(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    viewer = await make_client(app, "viewer")
    project = await _project(app, owner, (viewer.cookies[SESSION_COOKIE], "viewer"))
    data = _wav()
    sent = await owner.post(
        f"/api/projects/{project}/loops/uploads",
        params={"name": "Am stabs.wav", "styles": "Pop, electronic", "instrument": "Keys"},
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert sent.status_code == 201, sent.text
    upload = sent.json()
    assert upload["state"] == "pending"
    assert upload["styles"] == ["electronic", "pop"]
    job = await _finish(owner, upload["job_id"])
    assert job["state"] == "succeeded", job
    # The first read after the job (here the fits) records the analysis on the upload.
    early = await viewer.get(f"/api/projects/{project}/loops/fit", params={"source": "uploads"})
    assert [f["upload"]["id"] for f in early.json()["fits"]] == [upload["id"]]
    ready = (await viewer.get(f"/api/projects/{project}/loops/uploads/{upload['id']}")).json()
    assert ready["state"] == "ready"
    assert ready["key"] in {"A minor", "C major"}
    assert ready["bpm"] == pytest.approx(120.0, rel=0.05) or ready["bpm"] == pytest.approx(
        60.0, rel=0.05
    )
    found = (await viewer.get(f"/api/projects/{project}/loops", params={"q": "stabs"})).json()
    assert [u["id"] for u in found["uploads"]] == [upload["id"]]
    params = {"source": "uploads"}
    fits = (await viewer.get(f"/api/projects/{project}/loops/fit", params=params)).json()
    mine = fits["fits"]
    assert len(mine) == 1
    assert mine[0]["upload"]["id"] == upload["id"]
    assert mine[0]["loop"] is None
    assert mine[0]["offered_key"] in {"B minor", "D major"}
    assert "semitones=" in mine[0]["audio_url"]
    assert "rate=" in mine[0]["audio_url"]
    original = await viewer.get(f"/api/projects/{project}/loops/uploads/{upload['id']}/audio")
    assert original.content == data
    changed = await viewer.get(
        f"/api/projects/{project}/loops/uploads/{upload['id']}/audio",
        params={"semitones": 2, "rate": 1.25},
    )
    assert changed.status_code == 200
    audio, rate = soundfile.read(io.BytesIO(changed.content))
    assert rate == 22050
    assert len(audio) == pytest.approx(4.0 * 22050 / 1.25, abs=2)
    # The same bytes again: analyzed at once, by content.
    twin = await owner.post(
        f"/api/projects/{project}/loops/uploads", content=data,
        headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip
    assert twin.status_code == 201
    assert twin.json()["state"] == "ready"
    # Analysis of a named upload through the analyze endpoint.
    again = await viewer.post(f"/api/projects/{project}/analyze", json={"upload_id": upload["id"]})
    assert again.status_code == 201
    assert (await _finish(viewer, again.json()["id"]))["summary"]["upload_id"] == upload["id"]
    # A viewer may not upload or delete; the uploader may delete.
    refused = await viewer.post(f"/api/projects/{project}/loops/uploads", content=data)
    assert refused.status_code == 403
    gone = await viewer.delete(f"/api/projects/{project}/loops/uploads/{upload['id']}")
    assert gone.status_code == 403
    gone = await owner.delete(f"/api/projects/{project}/loops/uploads/{upload['id']}")
    assert gone.status_code == 204
    assert (
        await owner.get(f"/api/projects/{project}/loops/uploads/{upload['id']}")
    ).status_code == 404


async def test_hostile_uploads_get_clear_errors_and_a_corrupt_one_fails_its_job(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project = await _project(app, owner)
    url = f"/api/projects/{project}/loops/uploads"
    empty = await owner.post(url, content=b"")
    assert empty.status_code == 422
    assert "empty" in empty.json()["error"]["message"]
    text = await owner.post(url, content=b"hello, I am not audio at all")
    assert text.status_code == 415
    midi = await owner.post(url, content=write_midi(_song()))
    assert midi.status_code == 415
    huge = await owner.post(url, content=b"RIFF" + b"\0" * (2 << 20))
    assert huge.status_code == 413
    for params in ({"styles": ",".join(f"s{i}" for i in range(20))}, {"name": ""}):
        bad = await owner.post(url, params=params, content=_wav(0.5))
        assert bad.status_code == 422, params
    # A WAV header over garbage passes the sniff, then its analysis fails cleanly.
    corrupt = b"RIFF\x24\x00\x10\x00WAVEfmt " + bytes(range(256)) * 40
    sent = await owner.post(url, params={"name": "broken.wav"}, content=corrupt)
    assert sent.status_code == 201
    job = await _finish(owner, sent.json()["job_id"])
    assert job["state"] == "failed"
    assert job["error"]
    failed = (await owner.get(f"{url}/{sent.json()['id']}")).json()
    assert failed["state"] == "failed"
    assert failed["error"]
    conflict = await owner.get(f"{url}/{sent.json()['id']}/audio", params={"semitones": 1})
    assert conflict.status_code == 409
    bad_id = await owner.post(f"/api/projects/{project}/analyze", json={"upload_id": "0" * 32})
    assert bad_id.status_code == 404


async def test_taste_goes_from_cold_start_to_content_to_als_with_real_events(
    app: FastAPI, make_client: ClientFactory
) -> None:
    people = [await make_client(app, name) for name in ("ana", "ben", "cyd", "dee")]
    funk = (await people[0].get("/api/loops", params={"style": "funk", "limit": 30})).json()
    reggae = (await people[0].get("/api/loops", params={"style": "reggae", "limit": 30})).json()
    cold = await people[0].get("/api/loops/recommended", params={"styles": "reggae", "n": 5})
    assert cold.json()["method"] == "cold-start"
    assert all(x["loop"]["style"] == "reggae" for x in cold.json()["loops"])
    liked = funk["loops"][:3]
    sent = await people[0].post("/api/loops/events", json={"item": liked[0]["id"], "kind": "like"})
    assert sent.status_code == 204
    content = (await people[0].get("/api/loops/recommended", params={"n": 5})).json()
    assert content["method"] == "content"
    assert liked[0]["id"] not in [x["loop"]["id"] for x in content["loops"]]
    assert content["loops"][0]["loop"]["style"] == "funk"
    for i, person in enumerate(people):
        mine = funk["loops"] if i % 2 == 0 else reggae["loops"]
        for loop in mine[:6]:
            await person.post("/api/loops/events", json={"item": loop["id"], "kind": "use"})
    als = (await people[2].get("/api/loops/recommended", params={"n": 5})).json()
    assert als["method"] == "als"
    assert len(als["loops"]) == 5
    for body in ({"item": "lib-nothing", "kind": "play"}, {"item": "x" * 32, "kind": "use"}):
        assert (await people[0].post("/api/loops/events", json=body)).status_code == 404
    bad = await people[0].post("/api/loops/events", json={"item": liked[0]["id"], "kind": "hate"})
    assert bad.status_code == 422


async def test_outsiders_see_no_uploads_or_fits(app: FastAPI, make_client: ClientFactory) -> None:
    owner = await make_client(app, "owner")
    outsider = await make_client(app, "outsider")
    project = await _project(app, owner)
    sent = await owner.post(f"/api/projects/{project}/loops/uploads", content=_wav(1.0))
    upload = sent.json()["id"]
    for path in (
        f"/api/projects/{project}/loops/fit",
        f"/api/projects/{project}/loops",
        f"/api/projects/{project}/loops/uploads",
        f"/api/projects/{project}/loops/uploads/{upload}",
        f"/api/projects/{project}/loops/uploads/{upload}/audio",
    ):
        assert (await outsider.get(path)).status_code == 404, path
    used = await outsider.post("/api/loops/events", json={"item": upload, "kind": "play"})
    assert used.status_code == 404


async def test_a_file_over_the_body_cap_arrives_in_parts(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    viewer = await make_client(app, "viewer")
    project = await _project(app, owner, (viewer.cookies[SESSION_COOKIE], "viewer"))
    data = _wav(30.0)  # 1.3 MB: over the 1 MiB body cap
    url = f"/api/projects/{project}/loops/uploads"
    assert (await owner.post(url, content=data)).status_code == 413
    token, size = "abcdef0123456789", 600_000
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    for index, chunk in enumerate(chunks):
        sent = await owner.put(f"{url}/parts/{token}/{index}", content=chunk)
        assert sent.status_code == 204, sent.text
    refused = await viewer.put(f"{url}/parts/{token}/0", content=chunks[0])
    assert refused.status_code == 403
    missing = await owner.post(url, params={"parts": len(chunks) + 1, "token": token})
    assert missing.status_code == 422
    assert f"index={len(chunks)}" in missing.json()["error"]["message"]
    done = await owner.post(url, params={"parts": len(chunks), "token": token, "name": "long"})
    assert done.status_code == 201, done.text
    assert done.json()["size"] == len(data)
    stored = await owner.get(f"{url}/{done.json()['id']}/audio")
    assert stored.content == data
    again = await owner.post(url, params={"parts": len(chunks), "token": token})
    assert again.status_code == 422  # the parts were used up
    for path, params in (
        (f"{url}/parts/BAD/0", None),
        (f"{url}/parts/{token}/64", None),
        (f"{url}/parts/{token}/-1", None),
    ):
        assert (await owner.put(path, params=params, content=b"x")).status_code == 422, path
    assert (await owner.put(f"{url}/parts/{token}/0", content=b"")).status_code == 422
    lone = await owner.post(url, params={"parts": 2}, content=_wav(0.5))
    assert lone.status_code == 422


async def _ready_upload(client: httpx.AsyncClient, project: str, data: bytes) -> dict[str, Any]:
    sent = await client.post(
        f"/api/projects/{project}/loops/uploads", params={"name": "Am stabs"}, content=data
    )
    assert sent.status_code == 201, sent.text
    if sent.json()["job_id"] is not None:
        job = await _finish(client, sent.json()["job_id"])
        assert job["state"] == "succeeded", job
    ready: dict[str, Any] = (
        await client.get(f"/api/projects/{project}/loops/uploads/{sent.json()['id']}")
    ).json()
    assert ready["state"] == "ready"
    return ready


async def test_an_upload_goes_into_the_song_as_a_stem_a_render_mixes_in(
    app: FastAPI, make_client: ClientFactory
) -> None:
    from functools import partial

    from bandmate.jam.song import StemClip, write_stem
    from bandmate.server.routes_sync import rooms_of, seed_update

    owner = await make_client(app, "owner")
    viewer = await make_client(app, "viewer")
    outsider = await make_client(app, "outsider")
    project = await _project(app, owner, (viewer.cookies[SESSION_COOKIE], "viewer"))
    data = _wav()
    upload = await _ready_upload(owner, project, data)
    url = f"/api/projects/{project}/loops/uploads/{upload['id']}/clip"
    # As uploaded: a WAV is its own stem, the same blob.
    plain = await owner.post(url, params={"track_id": "abcDEF0123"})
    assert plain.status_code == 201, plain.text
    clip = plain.json()
    assert clip["mime"] == "audio/wav"
    assert clip["duration_ms"] == pytest.approx(4000.0, abs=0.1)
    assert clip["blob"] == studio_of(app).blobs.put(data)
    fetched = await viewer.get(clip["url"])
    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["content-type"] == "audio/wav"
    # In the song's key and tempo: transformed, cached, recorded as a stem once.
    moved = await owner.post(url, params={"semitones": 2, "rate": 1.25})
    assert moved.status_code == 201, moved.text
    shifted = moved.json()
    assert shifted["blob"] != clip["blob"]
    assert shifted["duration_ms"] == pytest.approx(3200.0, abs=1.0)
    assert (await owner.post(url, params={"semitones": 2, "rate": 1.25})).json() == shifted
    stems = await StemStore(studio_of(app).database).list_for_project(project)
    assert sorted(s.digest for s in stems) == sorted([clip["blob"], shifted["blob"]])
    assert [s.track_id for s in stems if s.digest == clip["blob"]] == ["abcDEF0123"]
    audio, rate = soundfile.read(io.BytesIO((await viewer.get(shifted["url"])).content))
    assert len(audio) / rate == pytest.approx(3.2, abs=1e-3)
    # Rights and bad requests.
    assert (await viewer.post(url)).status_code == 403
    assert (await outsider.post(url)).status_code == 404
    assert (await outsider.get(shifted["url"])).status_code == 404
    for params in ({"semitones": 13}, {"rate": 3}, {"rate": "fast"}, {"track_id": "../x"},
                   {"track_id": "x" * 33}):  # fmt: skip
        bad = await owner.post(url, params=params)
        assert bad.status_code == 422, (params, bad.text)
    other = await _project(app, owner)
    assert (
        await owner.post(f"/api/projects/{other}/loops/uploads/{upload['id']}/clip")
    ).status_code == 404
    # The clip in the song (as the studio writes it): a render reads the stem and mixes it in
    # from bar 5 (9.6 s at 100 bpm) for its 3.2 s.
    studio = studio_of(app)
    me = await _user(app, owner)
    access = await studio.projects.access(me, project)
    placed = StemClip(
        user_id=me.id, name="Am stabs", blob=shifted["blob"], mime="audio/wav",
        start_quarter=16.0, duration_ms=shifted["duration_ms"],
    )  # fmt: skip
    seed = partial(seed_update, studio, access.project)
    await write_stem(rooms_of(app), project, placed, seed=seed)
    created = await owner.post(
        f"/api/projects/{project}/jobs", json={"kind": "render", "sample_rate": 22050}
    )
    assert created.status_code == 201, created.text
    job = await _finish(owner, created.json()["id"])
    assert job["state"] == "succeeded", job
    rendered, rendered_rate = soundfile.read(
        io.BytesIO((await owner.get(job["result"]["url"])).content), dtype="float32"
    )
    assert len(rendered) / rendered_rate >= 12.7
    tail = rendered[int(11.0 * rendered_rate) : int(12.5 * rendered_rate)]
    assert float(np.sqrt(np.mean(np.square(tail)))) > 0.01  # only the clip sounds there


async def test_a_failed_upload_does_not_go_into_the_song(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project = await _project(app, owner)
    corrupt = b"RIFF\x24\x00\x10\x00WAVEfmt " + bytes(range(256)) * 40
    sent = await owner.post(f"/api/projects/{project}/loops/uploads", content=corrupt)
    job = await _finish(owner, sent.json()["job_id"])
    assert job["state"] == "failed"
    refused = await owner.post(f"/api/projects/{project}/loops/uploads/{sent.json()['id']}/clip")
    assert refused.status_code == 409
    assert "failed" in refused.json()["error"]["message"]
    assert await StemStore(studio_of(app).database).list_for_project(project) == []


async def test_deleting_a_project_deletes_its_upload_files_but_not_shared_ones(
    app: FastAPI, make_client: ClientFactory
) -> None:
    studio = studio_of(app)
    owner = await make_client(app, "owner")
    doomed = await _project(app, owner)
    kept = await _project(app, owner)
    shared = _wav(2.0)
    own = _wav(2.0, bpm=90.0)
    alone = await _ready_upload(owner, doomed, own)
    twin = await _ready_upload(owner, doomed, shared)
    await _ready_upload(owner, kept, shared)  # the same bytes in a project that stays
    base = f"/api/projects/{doomed}/loops/uploads"
    moved = await owner.get(f"{base}/{alone['id']}/audio", params={"semitones": 1})
    assert moved.status_code == 200
    clip = (await owner.post(f"{base}/{alone['id']}/clip", params={"rate": 1.1})).json()
    # As uploaded: the doomed project's stem is the very blob the other project's upload holds.
    twin_clip = (await owner.post(f"{base}/{twin['id']}/clip")).json()
    assert twin_clip["blob"] == studio.blobs.put(shared)
    token = "partsleft01"
    assert (await owner.put(f"{base}/parts/{token}/0", content=b"abc")).status_code == 204
    on_disk = {
        "own": studio.blobs.put(own),
        "shared": studio.blobs.put(shared),
        "moved": studio.blobs.put(moved.content),
        "clip": clip["blob"],
    }
    assert all(studio.blobs.exists(d) for d in on_disk.values())
    staged = list((studio.settings.data_dir / "loop-parts").iterdir())
    assert [p.name[:32] for p in staged] == [doomed]
    assert (await owner.delete(f"/api/projects/{doomed}")).status_code == 204
    assert not studio.blobs.exists(on_disk["own"])
    assert not studio.blobs.exists(on_disk["moved"])
    assert not studio.blobs.exists(on_disk["clip"])
    assert studio.blobs.exists(on_disk["shared"])  # the other project's upload (and stem)
    assert list((studio.settings.data_dir / "loop-parts").iterdir()) == []
    assert await LoopStore(studio.database).forget_audio(f"up:{alone['id']}:") == []
    still = await owner.get(f"/api/projects/{kept}/loops/uploads")
    assert [u["name"] for u in still.json()] == ["Am stabs"]


async def _user(app: FastAPI, client: httpx.AsyncClient) -> Any:
    user = await studio_of(app).accounts.user_for_token(client.cookies[SESSION_COOKIE])
    assert user is not None
    return user
