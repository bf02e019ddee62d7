"""Every role against every project and job endpoint, with the exact status each must get.

Each cell runs on a fresh project (owner, editor, viewer, a second viewer as the
target of member changes, an invitation, a song file, and two jobs the owner started:
one succeeded with a file, one still queued), on SQLite and PostgreSQL. The job
runner is stopped, so jobs stay as the cell made them. A refused request must also
leave the project exactly as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from bandmate.server import Studio, studio_of
from bandmate.server.security import SESSION_COOKIE
from bandmate.store import repos
from bandmate.store.jobs import JobResult, Limits
from bandmate.store.loops import LoopStore
from bandmate.store.records import Role, User
from bandmate.store.updates import utc_now

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
ROLES = ("owner", "editor", "viewer", "outsider", "anonymous")
LIMITS = Limits(per_project=100, per_user=100)

# (method, path template, JSON body) -> statuses for owner, editor, viewer, outsider, anonymous
# A short silent WAV: what the loop upload row sends as its raw body.
WAV = (
    b"RIFF\x2c\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00"
    b"\x44\xac\x00\x00\x02\x00\x10\x00data\x08\x00\x00\x00" + b"\x00" * 8
)
LOOP = "lib-bass-pop-d-major-98-0"

MATRIX: dict[tuple[str, str], tuple[dict[str, object] | bytes | None, tuple[int, ...]]] = {
    ("GET", "/api/projects"): (None, (200, 200, 200, 200, 401)),
    ("POST", "/api/projects"): ({"name": "New"}, (201, 201, 201, 201, 401)),
    ("GET", "/api/projects/{p}"): (None, (200, 200, 200, 404, 401)),
    ("PATCH", "/api/projects/{p}"): ({"name": "Renamed"}, (200, 200, 403, 404, 401)),
    ("DELETE", "/api/projects/{p}"): (None, (204, 403, 403, 404, 401)),
    ("GET", "/api/projects/{p}/song.mid"): (None, (200, 200, 200, 404, 401)),
    ("GET", "/api/projects/{p}/members"): (None, (200, 200, 200, 404, 401)),
    ("PATCH", "/api/projects/{p}/members/{u}"): ({"role": "editor"}, (200, 403, 403, 404, 401)),
    ("DELETE", "/api/projects/{p}/members/{u}"): (None, (204, 403, 403, 404, 401)),
    ("GET", "/api/projects/{p}/invitations"): (None, (200, 403, 403, 404, 401)),
    ("POST", "/api/projects/{p}/invitations"): ({"role": "viewer"}, (201, 403, 403, 404, 401)),
    ("DELETE", "/api/projects/{p}/invitations/{i}"): (None, (204, 403, 403, 404, 401)),
    ("POST", "/api/invitations/accept"): ({"token": "{t}"}, (200, 200, 200, 200, 401)),
    ("POST", "/api/projects/{p}/jobs"): ({"kind": "export-midi"}, (201, 201, 201, 404, 401)),
    # The same endpoint with a kind that needs an editor (the query string only tells the
    # two rows apart).
    ("POST", "/api/projects/{p}/jobs?as=master"): ({"kind": "master"}, (201, 201, 403, 404, 401)),
    ("GET", "/api/projects/{p}/jobs"): (None, (200, 200, 200, 404, 401)),
    ("GET", "/api/jobs/{j}"): (None, (200, 200, 200, 404, 401)),
    ("GET", "/api/jobs/{j}/events"): (None, (200, 200, 200, 404, 401)),
    ("GET", "/api/jobs/{j}/result"): (None, (200, 200, 200, 404, 401)),
    ("POST", "/api/jobs/{q}/cancel"): (None, (200, 403, 403, 404, 401)),
    ("DELETE", "/api/jobs/{q}"): (None, (204, 403, 403, 404, 401)),
    ("GET", "/api/assist/kinds"): (None, (200, 200, 200, 200, 401)),
    # Drums need no key or chords, so the cell's empty song answers.
    ("POST", "/api/projects/{p}/suggestions"): ({"kind": "drums"}, (200, 200, 200, 404, 401)),
    ("POST", "/api/projects/{p}/suggestions/insert"): (
        {
            "ppq": 480,
            "alternative": {
                "kind": "chords",
                "chords": [{"tick": 0, "duration": 1920, "symbol": "C"}],
            },
        },
        (201, 201, 403, 404, 401),
    ),
    # Listening and loops: the library is for everyone signed in; a project's uploads,
    # fits and analyses for its members; uploading for editors; deleting for the uploader
    # (here the owner) and owners.
    ("GET", "/api/loops"): (None, (200, 200, 200, 200, 401)),
    ("GET", "/api/loops/recommended"): (None, (200, 200, 200, 200, 401)),
    ("GET", f"/api/loops/{LOOP}/notes"): (None, (200, 200, 200, 200, 401)),
    ("GET", f"/api/loops/{LOOP}/audio"): (None, (200, 200, 200, 200, 401)),
    ("POST", "/api/loops/events"): ({"item": "{l}", "kind": "play"}, (204, 204, 204, 404, 401)),
    ("POST", "/api/projects/{p}/analyze"): ({}, (201, 201, 201, 404, 401)),
    ("GET", "/api/projects/{p}/loops"): (None, (200, 200, 200, 404, 401)),
    ("GET", "/api/projects/{p}/loops/fit"): (None, (200, 200, 200, 404, 401)),
    ("GET", "/api/projects/{p}/loops/uploads"): (None, (200, 200, 200, 404, 401)),
    ("POST", "/api/projects/{p}/loops/uploads"): (WAV, (201, 201, 403, 404, 401)),
    ("PUT", "/api/projects/{p}/loops/uploads/parts/abcdefgh/0"): (WAV, (204, 204, 403, 404, 401)),
    ("GET", "/api/projects/{p}/loops/uploads/{l}"): (None, (200, 200, 200, 404, 401)),
    ("GET", "/api/projects/{p}/loops/uploads/{l}/audio"): (None, (200, 200, 200, 404, 401)),
    ("DELETE", "/api/projects/{p}/loops/uploads/{l}"): (None, (204, 403, 403, 404, 401)),
    # The cell's upload is not analyzed (no job runs): editors and owners get its 409.
    ("POST", "/api/projects/{p}/loops/uploads/{l}/clip"): (None, (409, 409, 403, 404, 401)),
}


@dataclass
class World:
    studio: Studio
    clients: dict[str, httpx.AsyncClient]
    users: dict[str, User]


@dataclass
class Cell:
    project_id: str
    target_id: str
    invitation_id: str
    token: str
    done_job: str
    queued_job: str
    upload: str


@pytest.fixture
async def world(app: FastAPI, make_client: ClientFactory) -> World:
    studio = studio_of(app)
    await studio.jobs.stop()  # jobs stay as each cell makes them
    clients: dict[str, httpx.AsyncClient] = {"anonymous": await make_client(app)}
    users: dict[str, User] = {}
    for name in ("owner", "editor", "viewer", "outsider", "target"):
        client = await make_client(app, name)
        user = await studio.accounts.user_for_token(client.cookies[SESSION_COOKIE])
        assert user is not None
        clients[name], users[name] = client, user
    return World(studio, clients, users)


async def _fresh_project(world: World) -> Cell:
    studio, users = world.studio, world.users
    digest = studio.blobs.put(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0")
    access = await studio.projects.create(users["owner"], "Song", song_blob=digest)
    project_id = access.project.id
    async with studio.database.transaction() as db:
        cast: tuple[tuple[str, Role], ...] = (
            ("editor", "editor"),
            ("viewer", "viewer"),
            ("target", "viewer"),
        )
        for name, role in cast:
            await repos.insert_member(
                db, project_id=project_id, user_id=users[name].id, role=role, now=utc_now()
            )
    invitation, token = await studio.projects.invite(
        users["owner"], project_id, "viewer", max_uses=5
    )
    jobs = studio.jobs.store
    done = await jobs.create(project_id, users["owner"].id, "export-midi", {}, limits=LIMITS)
    claimed = await jobs.claim_next()
    assert not isinstance(done, str)
    assert claimed is not None
    assert claimed.id == done.id
    await jobs.succeed(done.id, JobResult(digest, "Song.mid", "audio/midi", 14), None)
    queued = await jobs.create(project_id, users["owner"].id, "export-midi", {}, limits=LIMITS)
    assert not isinstance(queued, str)
    upload = await LoopStore(studio.database).add_upload(
        project_id, users["owner"].id, name="loop.wav", blob=studio.blobs.put(WAV),
        size=len(WAV), media_type="audio/wav", styles=("pop",), instrument="",
    )  # fmt: skip
    return Cell(project_id, users["target"].id, invitation.id, token, done.id, queued.id, upload.id)


async def _settle(world: World, cell: Cell) -> None:
    """Cancel the cell's unfinished jobs so that limits and claims start afresh next cell."""
    for job in await world.studio.jobs.store.list_for_project(cell.project_id):
        if not job.finished:
            await world.studio.jobs.store.cancel(job.id)


async def _state(world: World, project_id: str) -> object:
    owner = world.users["owner"]
    projects = world.studio.projects
    access = await projects.access(owner, project_id)
    members = [(m.user_id, m.role) for m in await projects.members(owner, project_id)]
    invitations = [(i.id, i.uses) for i in await projects.invitations(owner, project_id)]
    jobs = [(j.id, j.state) for j in await world.studio.jobs.store.list_for_project(project_id)]
    updates = len(await world.studio.updates.read_since(project_id))
    uploads = [u.id for u in await LoopStore(world.studio.database).list_uploads(project_id)]
    return access.project.name, members, invitations, jobs, updates, uploads


def _fill(template: str, cell: Cell) -> str:
    return (
        template.replace("{p}", cell.project_id)
        .replace("{u}", cell.target_id)
        .replace("{i}", cell.invitation_id)
        .replace("{t}", cell.token)
        .replace("{j}", cell.done_job)
        .replace("{q}", cell.queued_job)
        .replace("{l}", cell.upload)
    )


def _fill_value(value: object, cell: Cell) -> object:
    return _fill(value, cell) if isinstance(value, str) else value


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("role", ROLES)
async def test_rights_matrix(world: World, role: str) -> None:
    column = ROLES.index(role)
    expected = {key: statuses[column] for key, (_, statuses) in MATRIX.items()}
    actual: dict[tuple[str, str], int] = {}
    for (method, template), (body, _) in MATRIX.items():
        cell = await _fresh_project(world)
        before = await _state(world, cell.project_id)
        client, url = world.clients[role], _fill(template, cell)
        if isinstance(body, bytes):
            response = await client.request(method, url, content=body)
        else:
            json = None if body is None else {k: _fill_value(v, cell) for k, v in body.items()}
            response = await client.request(method, url, json=json)
        actual[(method, template)] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()["error"]) == {"code", "message"}
            assert await _state(world, cell.project_id) == before, (method, template)
        await _settle(world, cell)
    assert actual == expected


async def test_an_outsider_cannot_tell_a_hidden_project_from_a_missing_one(
    world: World,
) -> None:
    cell = await _fresh_project(world)
    outsider = world.clients["outsider"]
    hidden = await outsider.get(f"/api/projects/{cell.project_id}")
    missing = await outsider.get(f"/api/projects/{'0' * 32}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


async def test_list_shows_only_my_projects_with_my_role(world: World) -> None:
    cell = await _fresh_project(world)
    for name, role in (("owner", "owner"), ("editor", "editor"), ("viewer", "viewer")):
        listed = (await world.clients[name].get("/api/projects")).json()
        assert [(p["id"], p["role"], p["has_song"]) for p in listed] == [
            (cell.project_id, role, True)
        ]
    assert (await world.clients["outsider"].get("/api/projects")).json() == []
