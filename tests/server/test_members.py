"""Role changes, member removal, the last-owner rule, and the membership hooks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from bandmate.server import studio_of
from bandmate.store.records import Role

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


async def _band(
    app: FastAPI, make_client: ClientFactory, role: str = "editor"
) -> tuple[httpx.AsyncClient, httpx.AsyncClient, str, str]:
    """An owner, a member with ``role``, the project id and the member's user id."""
    owner, member = await make_client(app, "owner"), await make_client(app, "member")
    project_id = (await owner.post("/api/projects", json={"name": "Band"})).json()["id"]
    invite = await owner.post(f"/api/projects/{project_id}/invitations", json={"role": role})
    accepted = await member.post("/api/invitations/accept", json={"token": invite.json()["token"]})
    assert accepted.status_code == 200
    member_id = (await member.get("/api/auth/me")).json()["id"]
    return owner, member, project_id, member_id


@BOTH
async def test_owner_changes_roles(app: FastAPI, make_client: ClientFactory) -> None:
    owner, member, project_id, member_id = await _band(app, make_client, "viewer")
    denied = await member.patch(f"/api/projects/{project_id}", json={"name": "Mine"})
    assert denied.status_code == 403
    changed = await owner.patch(
        f"/api/projects/{project_id}/members/{member_id}", json={"role": "editor"}
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "editor"
    renamed = await member.patch(f"/api/projects/{project_id}", json={"name": "  Ours  "})
    assert renamed.json()["name"] == "Ours"


@BOTH
async def test_the_last_owner_can_neither_leave_nor_step_down(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner, _, project_id, member_id = await _band(app, make_client)
    owner_id = (await owner.get("/api/auth/me")).json()["id"]
    demote = await owner.patch(
        f"/api/projects/{project_id}/members/{owner_id}", json={"role": "editor"}
    )
    remove = await owner.delete(f"/api/projects/{project_id}/members/{owner_id}")
    for response in (demote, remove):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "last_owner"
    # With a second owner, the first may go.
    promoted = await owner.patch(
        f"/api/projects/{project_id}/members/{member_id}", json={"role": "owner"}
    )
    assert promoted.status_code == 200
    assert (await owner.delete(f"/api/projects/{project_id}/members/{owner_id}")).status_code == 204
    assert (await owner.get(f"/api/projects/{project_id}")).status_code == 404


async def test_changing_a_non_member_is_404(app: FastAPI, make_client: ClientFactory) -> None:
    owner, _, project_id, _ = await _band(app, make_client)
    response = await owner.patch(
        f"/api/projects/{project_id}/members/{'f' * 32}", json={"role": "viewer"}
    )
    assert response.status_code == 404
    assert (await owner.delete(f"/api/projects/{project_id}/members/nobody")).status_code == 404


@BOTH
async def test_removal_fires_the_hook_before_the_response(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner, member, project_id, member_id = await _band(app, make_client)
    removed: list[tuple[str, str]] = []
    closed = asyncio.Event()

    async def close_sockets(pid: str, uid: str) -> None:
        removed.append((pid, uid))
        closed.set()

    studio_of(app).events.on_member_removed(close_sockets)
    response = await owner.delete(f"/api/projects/{project_id}/members/{member_id}")
    assert response.status_code == 204
    assert closed.is_set()
    assert removed == [(project_id, member_id)]
    assert (await member.get(f"/api/projects/{project_id}")).status_code == 404


async def test_deleting_a_project_removes_every_member(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner, _, project_id, member_id = await _band(app, make_client)
    owner_id = (await owner.get("/api/auth/me")).json()["id"]
    removed: list[tuple[str, str]] = []
    studio_of(app).events.on_member_removed(lambda pid, uid: removed.append((pid, uid)))
    assert (await owner.delete(f"/api/projects/{project_id}")).status_code == 204
    assert sorted(removed) == sorted([(project_id, owner_id), (project_id, member_id)])
    assert (await owner.get(f"/api/projects/{project_id}")).status_code == 404


async def test_role_changes_fire_their_hook(app: FastAPI, make_client: ClientFactory) -> None:
    owner, _, project_id, member_id = await _band(app, make_client)
    changes: list[tuple[str, str, Role]] = []
    studio_of(app).events.on_role_changed(lambda p, u, r: changes.append((p, u, r)))
    path = f"/api/projects/{project_id}/members/{member_id}"
    await owner.patch(path, json={"role": "viewer"})
    await owner.patch(path, json={"role": "viewer"})  # no change, no event
    assert changes == [(project_id, member_id, "viewer")]


async def test_a_failing_hook_does_not_break_the_request(
    app: FastAPI, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    owner, _, project_id, member_id = await _band(app, make_client)
    seen: list[str] = []

    def broken(pid: str, uid: str) -> None:
        raise RuntimeError("socket layer down")

    events = studio_of(app).events
    events.on_member_removed(broken)
    events.on_member_removed(lambda pid, uid: seen.append(uid))
    response = await owner.delete(f"/api/projects/{project_id}/members/{member_id}")
    assert response.status_code == 204
    assert seen == [member_id]
    assert "socket layer down" in caplog.text


async def test_members_listing_shows_names_and_roles(
    app: FastAPI, make_client: ClientFactory
) -> None:
    _, member, project_id, _ = await _band(app, make_client, "viewer")
    listed = (await member.get(f"/api/projects/{project_id}/members")).json()
    assert [(m["username"], m["role"]) for m in listed] == [
        ("owner", "owner"),
        ("member", "viewer"),
    ]


@BOTH
async def test_two_owners_stepping_down_at_once_leave_one_owner(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner, member, project_id, member_id = await _band(app, make_client)
    owner_id = (await owner.get("/api/auth/me")).json()["id"]
    path = f"/api/projects/{project_id}/members/"
    await owner.patch(path + member_id, json={"role": "owner"})
    results = await asyncio.gather(
        owner.patch(path + owner_id, json={"role": "viewer"}),
        member.patch(path + member_id, json={"role": "viewer"}),
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    roles = [m["role"] for m in (await owner.get(f"/api/projects/{project_id}/members")).json()]
    assert sorted(roles) == ["owner", "viewer"]
