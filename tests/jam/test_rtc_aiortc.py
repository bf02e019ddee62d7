"""Two scripted WebRTC peers (aiortc) exchange audio through the jam room's signalling.

Each joins the room over the real jam socket, offers or answers as the browsers do
(``web/src/jam/rtc.ts``: the lower player id offers), and sends a tone of its own; each
must hear the other's tone, through Opus, at the right pitch. aioice leaves out
127.0.0.1 when it gathers candidates, and a test machine may have no other interface,
so the test (only the test) has it gather on 127.0.0.1.
"""

from __future__ import annotations

import aioice.ice
import pytest

from .conftest import Server
from .rtc_peer import RtcPeer, peak_hz

pytestmark = pytest.mark.anyio


@pytest.fixture
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


@pytest.mark.usefixtures("loopback_ice")
async def test_aiortc_peers_send_and_receive_audio_through_the_jam_signalling(
    server: Server,
) -> None:
    alice, alice_token = await server.person("alice")
    bob, bob_token = await server.person("bob")
    project_id = await server.project(alice, "Duet", (bob, "viewer"))  # listeners signal too
    a = await server.player(project_id, alice_token)
    b = await server.player(project_id, bob_token)
    await a.next_of("welcome")
    await b.next_of("welcome")
    # Each member got the STUN/TURN list (none configured here) right after the welcome.
    assert (await a.next_of("ice"))["servers"] == []
    alice_peer, bob_peer = RtcPeer(a, 440.0), RtcPeer(b, 660.0)
    try:
        await bob_peer.connect(a.me)
        await alice_peer.connect(b.me)
        heard_by_bob = await bob_peer.wait_heard(1.5)
        heard_by_alice = await alice_peer.wait_heard(1.5)
    finally:
        await alice_peer.close()
        await bob_peer.close()
        await a.close()
        await b.close()
    # The last second of each (past Opus' start-up): the other's tone, loud and at its pitch.
    for heard, hz in ((heard_by_bob, 440.0), (heard_by_alice, 660.0)):
        tail = heard[-48_000:]
        assert abs(peak_hz(tail) - hz) < 3.0, peak_hz(tail)
        rms = float((tail**2).mean() ** 0.5)
        assert 0.2 < rms < 0.5, rms  # a 0.5-peak sine has an RMS of 0.354
    signals = [m for m in a.messages if m.get("t") == "signal"]
    assert {m["from"] for m in signals} == {b.me}  # stamped by the server
