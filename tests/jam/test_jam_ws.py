"""The jam endpoint over real sockets: uvicorn on 127.0.0.1 and ``websockets`` clients."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from bandmate.server import studio_of
from bandmate.server.routes_sync import rooms_of
from bandmate.sync import doc_to_song

from .conftest import Server
from .jam_client import JamClient

pytestmark = pytest.mark.anyio


async def duo(server: Server) -> tuple[str, JamClient, JamClient]:
    """Alice (owner) and Bob (editor) in Alice's project's jam room, clocks synced."""
    alice, alice_token = await server.person("alice")
    bob, bob_token = await server.person("bob")
    project_id = await server.project(alice, "Duet", (bob, "editor"))
    a = await server.player(project_id, alice_token)
    b = await server.player(project_id, bob_token)
    await a.next_of("welcome")
    await b.next_of("welcome")
    await a.sync_clock(8, interval_s=0.01)
    await b.sync_clock(8, interval_s=0.01)
    return project_id, a, b


def answered(client: JamClient, ping_id: int = 999) -> bool:
    return any(m.get("id") == ping_id for m in client.of_type("pong"))


def on(at: float, pitch: int, velocity: int = 100) -> dict[str, object]:
    return {"k": "on", "at": at, "p": pitch, "v": velocity}


def off(at: float, pitch: int) -> dict[str, object]:
    return {"k": "off", "at": at, "p": pitch}


async def test_notes_are_relayed_to_the_others_with_the_senders_id(server: Server) -> None:
    _, a, b = await duo(server)
    welcome = a.of_type("welcome")[0]
    assert welcome["you"] == a.me
    assert "alice" in {p["name"] for p in welcome["players"]}
    assert welcome["transport"]["playing"] is False
    at = a.server_now()
    events = [
        on(at, 60, 90),
        {"k": "sustain", "at": at, "v": 127},
        {"k": "bend", "at": at + 5, "v": -4096},
        {"k": "program", "at": at + 6, "v": 24},
        off(at + 250, 60),
    ]
    await a.send({"t": "note", "player": a.me, "n": 7, "ev": events})
    relayed = await b.next_of("note")
    assert relayed["from"] == a.me
    assert relayed["n"] == 7
    assert relayed["ev"][0] == {"k": "on", "at": at, "p": 60, "v": 90}
    assert relayed["ev"][2] == {"k": "bend", "at": at + 5, "v": -4096}
    assert relayed["ev"][4] == {"k": "off", "at": at + 250, "p": 60, "v": 0}
    await asyncio.sleep(0.05)
    assert a.of_type("note") == []  # not echoed to the sender
    await a.close()
    await b.close()


async def test_round_trips_make_the_playout_advice(server: Server) -> None:
    _, a, b = await duo(server)
    await a.send({"t": "ping", "id": 999, "t0": a.now(), "rtt": 30.0})
    await b.send({"t": "ping", "id": 999, "t0": b.now(), "rtt": 50.0})
    for client in (a, b):  # both pings handled before the change below
        await client.wait_for(partial(answered, client))

    def rtts(state: dict[str, Any]) -> dict[str, float]:
        return {p["name"]: p["rtt"] for p in state["players"]}

    # A round trip that changed is shown to the room at once.
    await b.wait_for(lambda: rtts(b.of_type("state")[-1]) == {"alice": 30.0, "bob": 50.0})
    await a.send({"t": "mode", "mode": "interval"})
    await b.wait_for(lambda: b.of_type("state")[-1]["mode"] == "interval")
    state = b.of_type("state")[-1]
    assert rtts(state) == {"alice": 30.0, "bob": 50.0}
    assert state["playout_ms"] == 50.0  # (30 + 50) / 2 + 10 ms margin
    assert state["advise_interval"] is True
    assert state["mode"] == "interval"
    await a.close()
    await b.close()


async def test_tempo_changes_apply_on_a_bar_line_for_everyone(server: Server) -> None:
    _, a, b = await duo(server)
    await a.send({"t": "start", "bpm": 120, "num": 4, "den": 4, "count_in": 1})
    started = await b.next_of("state", after=len(b.messages))
    sent_at = a.server_now()
    [segment] = started["transport"]["segments"]
    assert started["transport"]["playing"] is True
    assert (segment["bar"], segment["bpm"], segment["quarter"]) == (-1, 120, -4)
    assert segment["start"] >= sent_at - 50 + 300  # at least the lead ahead of the request
    mark = len(b.messages)
    await a.send({"t": "tempo", "bpm": 90})
    changed = (await b.next_of("state", after=mark))["transport"]["segments"]
    assert len(changed) == 2
    first, second = changed
    assert second["bpm"] == 90
    bar_ms = 2000.0
    bars = (second["start"] - first["start"]) / bar_ms
    assert bars == pytest.approx(round(bars))  # on a bar line of the first segment
    assert second["bar"] == first["bar"] + round(bars)
    assert second["quarter"] == pytest.approx(first["quarter"] + 4 * round(bars))
    await a.close()
    await b.close()


async def test_a_take_lands_in_the_song_as_the_players_track(server: Server) -> None:
    project_id, a, b = await duo(server)
    await a.send({"t": "instrument", "program": 33, "drums": False, "name": "Bass"})
    await a.send({"t": "start", "bpm": 120, "count_in": 0})
    await a.wait_for(lambda: any(m["transport"]["playing"] for m in a.of_type("state")))
    state = next(m for m in a.of_type("state") if m["transport"]["playing"])
    bar0 = state["transport"]["segments"][0]["start"]
    await a.send({"t": "record", "on": True})
    quarter = 500.0
    events = [on(bar0 + 0, 40, 100), off(bar0 + quarter, 40)]
    events += [on(bar0 + 2 * quarter, 43, 80), off(bar0 + 3 * quarter, 43)]
    await a.send({"t": "note", "ev": events})
    mark = len(b.messages)
    await a.send({"t": "record", "on": False})
    saved = await b.next_of("take", after=mark)
    assert saved["ok"] is True, saved["message"]
    assert saved["name"] == "alice – Bass"
    room = rooms_of(server.app).get(project_id)
    assert room is not None
    song = doc_to_song(room.doc)
    [track] = [t for t in song.tracks if t.name == "alice – Bass"]
    assert track.instrument.program == 33
    assert [(n.pitch, n.start, n.duration, n.velocity) for n in track.notes] == [
        (40, 0, 480, 100),
        (43, 960, 480, 80),
    ]
    log = await studio_of(server.app).updates.read_since(project_id, 0)
    alice = await studio_of(server.app).accounts.user_for_token(a.token)
    assert alice is not None
    assert log[-1].author_id == alice.id  # durable, authored by the player
    await a.close()
    await b.close()


async def test_an_empty_take_is_a_notice_not_a_close(server: Server) -> None:
    _, a, b = await duo(server)
    await a.send({"t": "record", "on": True})  # the transport is stopped
    notice = await a.next_of("notice")
    assert "start the transport before recording" in notice["message"]
    await a.send({"t": "start", "count_in": 0})
    await a.send({"t": "record", "on": True})
    await a.send({"t": "record", "on": False})
    saved = await a.next_of("take")
    assert saved["ok"] is False
    assert "holds no note" in saved["message"]
    await a.ping()  # still connected
    await a.close()
    await b.close()


async def test_viewers_listen_but_may_not_play(server: Server) -> None:
    alice, alice_token = await server.person("alice")
    viewer, viewer_token = await server.person("vera")
    project_id = await server.project(alice, "Gig", (viewer, "viewer"))
    a = await server.player(project_id, alice_token)
    v = await server.player(project_id, viewer_token)
    await v.next_of("welcome")
    await a.sync_clock(4, interval_s=0.01)
    await v.sync_clock(4, interval_s=0.01)  # viewers keep time too
    await a.send({"t": "note", "ev": [on(a.server_now(), 64)]})
    assert (await v.next_of("note"))["ev"][0]["p"] == 64
    await v.send({"t": "note", "ev": [on(v.server_now(), 64)]})
    code, reason = await v.closed()
    assert code == 4403
    assert "listening only" in (reason or "")
    await a.close()


@pytest.mark.parametrize(
    ("frame", "code", "reason"),
    [
        ("not json", 4400, "frame is not JSON"),
        ("[1, 2]", 4400, "frame must be a JSON object, not list"),
        ('{"t": "dance"}', 4400, "t='dance' is not a jam message type"),
        ('{"t": "note", "ev": [{"k": "on", "at": 0, "p": 200, "v": 1}]}', 4400, "p=200 must"),
        ('{"t": "note", "ev": []}', 4400, "ev must be a list of 1..64 events"),
        ('{"t": "tempo", "bpm": 5000}', 4400, "bpm=5000 must be a number in 20..400"),
        ('{"t": "tempo", "den": 3}', 4400, "denominator=3 must be one of"),
        ('{"t": "note", "ev": [{"k": "on", "at": 1, "p": 60, "v": 1}]}', 4400, "from the server"),
        ('{"t": "note", "player": "p99", "ev": [{"k": "on", "at": 1, "p": 1, "v": 1}]}', 4409, ""),
        (b"\x00\x01", 1003, "frames must be JSON text, not binary"),
        ('{"t": "mode", "mode": "x"}' + " " * 20_000, 1009, "exceeds 16384"),
        ("[" * 100_000, 1009, "exceeds"),
    ],
)
async def test_bad_frames_close_with_clear_codes_and_spare_other_rooms(
    server: Server, frame: str | bytes, code: int, reason: str
) -> None:
    project_id, a, b = await duo(server)
    carol, carol_token = await server.person("carol")
    other = await server.project(carol, "Elsewhere")
    c = await server.player(other, carol_token)
    await c.next_of("welcome")
    await a.send(frame)
    got_code, got_reason = await a.closed()
    assert got_code == code
    assert reason in (got_reason or "")
    await b.ping()  # the same room goes on
    await c.ping()  # and so do others
    await b.send({"t": "note", "ev": [on(b.server_now(), 60)]})
    await c.send({"t": "note", "ev": [on(c.server_now(), 60)]})
    await b.close()
    await c.close()
    assert project_id != other


async def test_a_flood_closes_with_4429(server: Server) -> None:
    _, a, b = await duo(server)
    frame = json.dumps({"t": "note", "ev": [on(a.server_now(), 60)]})
    for _ in range(400):  # the burst is 200 messages
        try:
            await a.send(frame)
        except Exception:
            break
    code, reason = await a.closed()
    assert code == 4429
    assert "messages/s" in (reason or "")
    await b.ping()
    await b.close()


async def test_too_many_events_close_with_4429(server: Server) -> None:
    _, a, b = await duo(server)
    now = a.server_now()
    frame = json.dumps({"t": "note", "ev": [on(now, 60)] * 64})
    for _ in range(20):  # 1,280 events against a burst of 800
        try:
            await a.send(frame)
        except Exception:
            break
    code, reason = await a.closed()
    assert code == 4429
    assert "events/s" in (reason or "")
    await b.close()


async def test_the_handshake_is_the_sync_endpoints(server: Server) -> None:
    alice, token = await server.person("alice")
    _, mallory_token = await server.person("mallory")
    project_id = await server.project(alice)
    with pytest.raises(InvalidStatus) as refused:
        await server.player(project_id, token, origin="http://evil.example")
    assert refused.value.response.status_code == 403
    anonymous = await server.player(project_id, None)
    assert (await anonymous.closed())[0] == 4401
    stranger = await server.player(project_id, mallory_token)
    assert (await stranger.closed())[0] == 4404
    missing = await server.player("nope", token)
    assert (await missing.closed())[0] == 4404


async def test_a_removed_member_is_closed_at_once(server: Server) -> None:
    alice, alice_token = await server.person("alice")
    bob, bob_token = await server.person("bob")
    project_id = await server.project(alice, "Band", (bob, "editor"))
    b = await server.player(project_id, bob_token)
    await b.next_of("welcome")
    await studio_of(server.app).projects.remove_member(alice, project_id, bob.id)
    code, _ = await b.closed()
    assert code == 4403
    del alice_token


async def test_webrtc_signalling_reaches_the_named_player(server: Server) -> None:
    _, a, b = await duo(server)
    offer = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
    await a.send({"t": "signal", "to": b.me, "kind": "offer", "data": offer})
    got = await b.next_of("signal")
    assert got == {"t": "signal", "from": a.me, "kind": "offer", "data": offer}
    await b.send({"t": "signal", "to": a.me, "kind": "answer", "data": {"type": "answer"}})
    assert (await a.next_of("signal"))["from"] == b.me
    await a.close()
    await b.close()
