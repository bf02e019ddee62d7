"""The STUN/TURN list reaches members of the jam room, with their own TURN credential, and
nobody else."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import time

import pytest

from bandmate.jam.ice import parse_ice_servers
from bandmate.server import Settings
from tests.server.sync_peer import serving

from .conftest import Server, make_app

pytestmark = pytest.mark.anyio

SECRET = "coturn-static-auth-secret"


async def test_members_get_ice_servers_with_time_limited_turn_credentials(
    settings: Settings,
) -> None:
    servers = parse_ice_servers("stun:stun.example.org:3478,turns:turn.example.org:5349")
    configured = dataclasses.replace(
        settings, ice_servers=servers, turn_secret=SECRET, turn_ttl_s=600
    )
    app = make_app(configured)
    async with serving(app) as host:
        server = Server(app, host)
        alice, alice_token = await server.person("alice")
        _eve, eve_token = await server.person("eve")
        project_id = await server.project(alice)
        before = int(time.time())
        a = await server.player(project_id, alice_token)
        ice = await a.next_of("ice")
        after = int(time.time())
        stun, turn = ice["servers"]
        assert stun == {"urls": ["stun:stun.example.org:3478"]}
        assert turn["urls"] == ["turns:turn.example.org:5349"]
        expiry, user_id = turn["username"].split(":")
        assert user_id == alice.id
        assert before + 600 <= int(expiry) <= after + 600
        digest = hmac.new(SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
        assert turn["credential"] == base64.b64encode(digest).decode()

        # Not a member, not signed in: closed before anything about the room is sent.
        for token, code in ((eve_token, 4404), (None, 4401)):
            stranger = await server.player(project_id, token)
            assert (await stranger.closed())[0] == code
            assert stranger.of_type("ice") == []
            assert not any(SECRET in str(m) for m in stranger.messages)
        await a.close()
