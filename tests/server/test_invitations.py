"""Invitation links: accept, expiry, use limits, wrong or revoked tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from bandmate.server import studio_of
from bandmate.store.models import InvitationRow
from bandmate.store.updates import utc_now

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


async def _project(owner: httpx.AsyncClient) -> str:
    response = await owner.post("/api/projects", json={"name": "Band"})
    assert response.status_code == 201
    return str(response.json()["id"])


async def _invite(owner: httpx.AsyncClient, project_id: str, **body: object) -> dict[str, object]:
    response = await owner.post(f"/api/projects/{project_id}/invitations", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def _accept(client: httpx.AsyncClient, token: object) -> httpx.Response:
    return await client.post("/api/invitations/accept", json={"token": token})


@BOTH
async def test_accepting_joins_with_the_invitations_role(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner, bob = await make_client(app, "owner"), await make_client(app, "bob")
    project_id = await _project(owner)
    invitation = await _invite(owner, project_id, role="editor")
    assert invitation["link"] == f"/invite/{invitation['token']}"
    assert (invitation["uses"], invitation["max_uses"]) == (0, 1)
    joined = await _accept(bob, invitation["token"])
    assert joined.status_code == 200
    assert (joined.json()["id"], joined.json()["role"]) == (project_id, "editor")
    members = (await owner.get(f"/api/projects/{project_id}/members")).json()
    assert [(m["username"], m["role"]) for m in members] == [("owner", "owner"), ("bob", "editor")]


@BOTH
async def test_a_used_up_invitation_is_410(app: FastAPI, make_client: ClientFactory) -> None:
    owner = await make_client(app, "owner")
    bob, carol = await make_client(app, "bob"), await make_client(app, "carol")
    invitation = await _invite(owner, await _project(owner), role="viewer", max_uses=1)
    assert (await _accept(bob, invitation["token"])).status_code == 200
    reused = await _accept(carol, invitation["token"])
    assert reused.status_code == 410
    assert reused.json()["error"]["code"] == "invitation_used_up"


@BOTH
async def test_an_expired_invitation_is_410(app: FastAPI, make_client: ClientFactory) -> None:
    owner, bob = await make_client(app, "owner"), await make_client(app, "bob")
    invitation = await _invite(owner, await _project(owner), expires_in_s=60)
    async with studio_of(app).database.transaction() as db:
        await db.execute(update(InvitationRow).values(expires_at=utc_now() - timedelta(seconds=1)))
    expired = await _accept(bob, invitation["token"])
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "invitation_expired"
    assert (await bob.get("/api/projects")).json() == []


@pytest.mark.parametrize("token", ["wrong", "x" * 43, "%00", "../../etc"])
async def test_a_wrong_token_is_404(app: FastAPI, make_client: ClientFactory, token: str) -> None:
    owner, bob = await make_client(app, "owner"), await make_client(app, "bob")
    await _invite(owner, await _project(owner))
    response = await _accept(bob, token)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_a_revoked_invitation_is_404(app: FastAPI, make_client: ClientFactory) -> None:
    owner, bob = await make_client(app, "owner"), await make_client(app, "bob")
    project_id = await _project(owner)
    invitation = await _invite(owner, project_id)
    revoked = await owner.delete(f"/api/projects/{project_id}/invitations/{invitation['id']}")
    assert revoked.status_code == 204
    assert (await _accept(bob, invitation["token"])).status_code == 404
    again = await owner.delete(f"/api/projects/{project_id}/invitations/{invitation['id']}")
    assert again.status_code == 404


async def test_a_multi_use_invitation_counts_each_new_member_once(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project_id = await _project(owner)
    invitation = await _invite(owner, project_id, role="viewer", max_uses=2)
    bob, carol, dave = [await make_client(app, n) for n in ("bob", "carol", "dave")]
    assert (await _accept(bob, invitation["token"])).status_code == 200
    # Accepting again as a member changes nothing and uses nothing up.
    assert (await _accept(bob, invitation["token"])).json()["role"] == "viewer"
    assert (await _accept(owner, invitation["token"])).json()["role"] == "owner"
    assert (await _accept(carol, invitation["token"])).status_code == 200
    assert (await _accept(dave, invitation["token"])).status_code == 410
    listed = (await owner.get(f"/api/projects/{project_id}/invitations")).json()
    assert [(i["uses"], i["max_uses"]) for i in listed] == [(2, 2)]


async def test_tokens_are_shown_once_and_stored_hashed(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_client(app, "owner")
    project_id = await _project(owner)
    invitation = await _invite(owner, project_id)
    listed = await owner.get(f"/api/projects/{project_id}/invitations")
    assert str(invitation["token"]) not in listed.text
    async with studio_of(app).database.transaction() as db:
        stored = (await db.execute(select(InvitationRow.token_hash))).scalar_one()
    assert stored != invitation["token"]
    assert len(stored) == 64


async def test_anonymous_users_cannot_accept(app: FastAPI, make_client: ClientFactory) -> None:
    owner, anonymous = await make_client(app, "owner"), await make_client(app)
    invitation = await _invite(owner, await _project(owner))
    assert (await _accept(anonymous, invitation["token"])).status_code == 401


@BOTH
async def test_accepting_twice_at_once_joins_once(app: FastAPI, make_client: ClientFactory) -> None:
    owner, bob = await make_client(app, "owner"), await make_client(app, "bob")
    project_id = await _project(owner)
    invitation = await _invite(owner, project_id, role="editor", max_uses=5)
    results = await asyncio.gather(*(_accept(bob, invitation["token"]) for _ in range(4)))
    assert [r.status_code for r in results] == [200] * 4
    assert {r.json()["role"] for r in results} == {"editor"}
    listed = (await owner.get(f"/api/projects/{project_id}/invitations")).json()
    assert listed[0]["uses"] == 1
