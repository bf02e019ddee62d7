"""The jobs API end to end: a real render through HTTP, SSE progress, downloads, rights,
bad parameters and limits, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile
from fastapi import FastAPI

from bandmate.formats.midi import read_midi, write_midi
from bandmate.music.song import Instrument, Note, Song, Track
from bandmate.server import Settings, create_app, studio_of
from bandmate.server.security import SESSION_COOKIE

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
HANG_GUARD_S = 240
"""Only there so that a broken worker fails the test instead of hanging the suite."""


def _song(title: str = "Tiny") -> Song:
    notes = tuple(Note(p, i * 480, 460, 100) for i, p in enumerate((60, 64, 67, 72)))
    return Song(title=title, tracks=(Track("Keys", Instrument(), notes),))


async def _project_with_song(
    app: FastAPI, owner: httpx.AsyncClient, *members: tuple[str, str]
) -> str:
    studio = studio_of(app)
    user = await studio.accounts.user_for_token(owner.cookies[SESSION_COOKIE])
    assert user is not None
    digest = studio.blobs.put(write_midi(_song()))
    access = await studio.projects.create(user, "Tiny", song_blob=digest)
    for token_owner, role in members:
        invitation, token = await studio.projects.invite(user, access.project.id, role)  # type: ignore[arg-type]
        del invitation
        member = await studio.accounts.user_for_token(token_owner)
        assert member is not None
        await studio.projects.accept(member, token)
    return access.project.id


def _events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        name = next((line[7:] for line in lines if line.startswith("event: ")), None)
        data = next((line[6:] for line in lines if line.startswith("data: ")), None)
        if name is not None and data is not None:
            out.append((name, json.loads(data)))
    return out


async def _wait(client: httpx.AsyncClient, job_id: str) -> list[dict[str, Any]]:
    async with asyncio.timeout(HANG_GUARD_S):
        response = await client.get(f"/api/jobs/{job_id}/events")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return [data for name, data in _events(response.text) if name == "job"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_a_viewer_renders_the_song_and_downloads_the_wav(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    viewer = await make_client(app, "viewer")
    project = await _project_with_song(app, owner, (viewer.cookies[SESSION_COOKIE], "viewer"))

    created = await viewer.post(
        f"/api/projects/{project}/jobs", json={"kind": "render", "sample_rate": 22050}
    )
    assert created.status_code == 201, created.text
    job = created.json()
    assert (job["kind"], job["state"], job["params"]["sample_rate"]) == ("render", "queued", 22050)

    states = await _wait(viewer, job["id"])
    assert states[-1]["state"] == "succeeded", states[-1]["error"]
    progress = [s["progress"] for s in states]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert states[-1]["result"]["url"] == f"/api/jobs/{job['id']}/result"

    download = await viewer.get(states[-1]["result"]["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "audio/wav"
    assert download.headers["content-disposition"] == 'attachment; filename="Tiny.wav"'
    assert download.content[:4] == b"RIFF"
    audio, rate = soundfile.read(io.BytesIO(download.content))
    assert rate == 22050
    assert 2.0 <= len(audio) / rate <= 3.05
    assert np.max(np.abs(audio)) > 0.01

    listed = (await owner.get(f"/api/projects/{project}/jobs")).json()
    assert [j["id"] for j in listed] == [job["id"]]
    assert (await owner.get(f"/api/jobs/{job['id']}")).json()["state"] == "succeeded"


async def test_exports_and_a_master_produce_their_files(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project = await _project_with_song(app, owner)
    bodies = [
        {"kind": "export-midi"},
        {"kind": "export-musicxml", "compressed": True},
        {"kind": "master", "target": "custom", "lufs": -16, "ceiling_dbtp": -1.5},
    ]
    ids = []
    for body in bodies:
        response = await owner.post(f"/api/projects/{project}/jobs", json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    files = {}
    for job_id in ids:
        final = (await _wait(owner, job_id))[-1]
        assert final["state"] == "succeeded", final["error"]
        files[final["kind"]] = (final, (await owner.get(final["result"]["url"])).content)

    midi = read_midi(files["export-midi"][1])
    assert [n.pitch for n in midi.tracks[0].notes] == [60, 64, 67, 72]
    assert zipfile.ZipFile(io.BytesIO(files["export-musicxml"][1])).namelist()

    master, data = files["master"]
    assert master["result"]["name"] == "Tiny (master).zip"
    names = sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())
    assert names == ["master.wav", "report.html", "report.json"]
    assert master["summary"]["target_lufs"] == -16.0
    assert master["summary"]["after_true_peak_dbtp"] <= -1.5 + 0.05


async def test_roles_decide_who_masters_and_who_cancels(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    editor = await make_client(app, "editor")
    viewer = await make_client(app, "viewer")
    outsider = await make_client(app, "outsider")
    project = await _project_with_song(
        app,
        owner,
        (editor.cookies[SESSION_COOKIE], "editor"),
        (viewer.cookies[SESSION_COOKIE], "viewer"),
    )
    await studio_of(app).jobs.stop()  # keep jobs queued: this test is about rights
    url = f"/api/projects/{project}/jobs"
    refused = await viewer.post(url, json={"kind": "master"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    mine = (await editor.post(url, json={"kind": "master"})).json()
    assert (await outsider.get(f"/api/jobs/{mine['id']}")).status_code == 404
    assert (await outsider.get(f"/api/projects/{project}/jobs")).status_code == 404
    assert (await viewer.post(f"/api/jobs/{mine['id']}/cancel")).status_code == 403
    assert (await viewer.delete(f"/api/jobs/{mine['id']}")).status_code == 403
    result = await viewer.get(f"/api/jobs/{mine['id']}/result")
    assert result.status_code == 409
    assert result.json()["error"]["code"] == "job_state"
    cancelled = await editor.post(f"/api/jobs/{mine['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["error"] == "cancelled by editor"
    again = await owner.post(f"/api/jobs/{mine['id']}/cancel")
    assert again.status_code == 409
    events = _events((await viewer.get(f"/api/jobs/{mine['id']}/events")).text)
    assert [e[1]["state"] for e in events] == ["cancelled"]

    theirs = (await viewer.post(url, json={"kind": "export-midi"})).json()
    assert (await owner.delete(f"/api/jobs/{theirs['id']}")).status_code == 204
    assert (await viewer.get(f"/api/jobs/{theirs['id']}")).status_code == 404


BAD_BODIES: list[tuple[object, str]] = [
    ({}, "kind"),
    ({"kind": "transcode"}, "kind"),
    ({"kind": "render", "format": "ogg"}, "format"),
    ({"kind": "render", "sample_rate": 12345}, "sample_rate"),
    ({"kind": "render", "sample_rate": "44100"}, "sample_rate"),
    ({"kind": "render", "format": "mp3", "sample_rate": 22050}, "mp3"),
    ({"kind": "render", "bit_depth": 32}, "bit_depth"),
    ({"kind": "render", "volume": 11}, "volume"),
    ({"kind": "export-midi", "compressed": True}, "compressed"),
    ({"kind": "master", "target": "custom"}, "lufs"),
    ({"kind": "master", "target": "spotify", "lufs": -10}, "lufs"),
    ({"kind": "master", "target": "custom", "lufs": -60}, "lufs"),
    ({"kind": "master", "ceiling_dbtp": 0.5}, "ceiling_dbtp"),
    ({"kind": "master", "compression": "lots"}, "compression"),
    ({"kind": "master", "target": "reference"}, "target"),
    ({"kind": "release", "title": "T"}, "artists"),
    ({"kind": "release", "title": "T", "artists": []}, "artists"),
    ({"kind": "release", "title": "", "artists": ["A"]}, "title"),
    ({"kind": "release", "title": "T", "artists": ["A"], "isrc": "nope"}, "ISRC"),
    (
        {
            "kind": "release",
            "title": "T",
            "artists": ["A"],
            "credits": [{"name": "B", "role": "Chef"}],
        },
        "role",
    ),
    ({"kind": "release", "title": "x" * 500, "artists": ["A"]}, "title"),
    ([1, 2, 3], "body"),
    ("render", "body"),
]


async def test_bad_parameters_are_a_422_that_names_the_field(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project = await _project_with_song(app, owner)
    url = f"/api/projects/{project}/jobs"
    for body, field in BAD_BODIES:
        response = await owner.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_input"
        assert field.lower() in json.dumps(error).lower(), (body, error)
    raw = await owner.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert raw.status_code == 422
    assert (await owner.get(f"/api/projects/{project}/jobs")).json() == []


async def test_too_many_unfinished_jobs_is_a_429(
    settings: Settings, make_client: ClientFactory
) -> None:
    app = create_app(dataclasses.replace(settings, jobs_per_project=2))
    async with app.router.lifespan_context(app):
        owner = await make_client(app, "owner")
        project = await _project_with_song(app, owner)
        await studio_of(app).jobs.stop()  # nothing runs: the jobs stay unfinished
        url = f"/api/projects/{project}/jobs"
        for _ in range(2):
            assert (await owner.post(url, json={"kind": "export-midi"})).status_code == 201
        refused = await owner.post(url, json={"kind": "export-midi"})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_jobs"
        assert int(refused.headers["retry-after"]) >= 1
        first = (await owner.get(url)).json()[-1]
        assert (await owner.post(f"/api/jobs/{first['id']}/cancel")).status_code == 200
        assert (await owner.post(url, json={"kind": "export-midi"})).status_code == 201


async def test_unknown_jobs_are_404(app: FastAPI, make_client: ClientFactory) -> None:
    owner = await make_client(app, "owner")
    anonymous = await make_client(app)
    for method, path in (
        ("GET", "/api/jobs/{j}"),
        ("GET", "/api/jobs/{j}/events"),
        ("GET", "/api/jobs/{j}/result"),
        ("POST", "/api/jobs/{j}/cancel"),
        ("DELETE", "/api/jobs/{j}"),
    ):
        for job_id in ("0" * 32, "x" * 300, "%00"):
            response = await owner.request(method, path.replace("{j}", job_id))
            assert response.status_code == 404, (method, job_id)
        assert (await anonymous.request(method, path.replace("{j}", "0" * 32))).status_code == 401


async def test_deleting_a_project_deletes_its_jobs_files(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project = await _project_with_song(app, owner)
    created = await owner.post(f"/api/projects/{project}/jobs", json={"kind": "render"})
    final = (await _wait(owner, created.json()["id"]))[-1]
    assert final["state"] == "succeeded", final["error"]
    studio = studio_of(app)
    job = await studio.jobs.get(final["id"])
    assert job.result is not None
    assert studio.blobs.exists(job.result.blob)
    assert (await owner.delete(f"/api/projects/{project}")).status_code == 204
    assert not studio.blobs.exists(job.result.blob)
    assert (await owner.get(f"/api/jobs/{final['id']}")).status_code == 404
