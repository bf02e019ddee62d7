"""The room without sockets: a fake clock, outboxes read directly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bandmate.jam.errors import JamDeniedError, JamError, JamProtocolError, SpoofError, TakeError
from bandmate.jam.room import Close, JamLimits, JamRoom, Player, Pong, advise
from bandmate.jam.rooms import JamRooms
from bandmate.jam.take import take_to_track


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def drain(player: Player) -> list[dict[str, Any]]:
    """Every message queued for ``player`` (pongs as they would be sent at t2 = t1)."""
    out: list[dict[str, Any]] = []
    frames = player.outbox._frames  # the test reads the queue without a socket
    while frames:
        item = frames.popleft()
        if isinstance(item, Pong):
            out.append({"t": "pong", "id": item.ping.id, "t1": item.t1})
        else:
            out.append(json.loads(item))
    return out


def send(room: JamRoom, player: Player, message: dict[str, Any]) -> list[Any]:
    return room.receive(player, json.dumps(message), received_ms=room.clock())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_advice_is_the_slowest_pairs_one_way_path_plus_a_margin() -> None:
    assert advise([], margin_ms=10, live_limit_ms=40).playout_ms == 10
    assert advise([12.0], margin_ms=10, live_limit_ms=40).playout_ms == 22
    advice = advise([10.0, 80.0, 30.0], margin_ms=10, live_limit_ms=40)
    assert advice.playout_ms == 65  # (80 + 30) / 2 + 10
    assert advice.interval is True
    assert advise([20.0, 30.0], margin_ms=10, live_limit_ms=40).interval is False


def test_a_take_ends_when_the_player_leaves_and_at_its_size_cap(clock: FakeClock) -> None:
    room = JamRoom("p", limits=JamLimits(max_take_events=4), clock=clock)
    a = room.join("u1", "ana", can_play=True)
    send(room, a, {"t": "start", "count_in": 0, "bpm": 120})
    clock.now += 400  # past the lead: bar 0
    send(room, a, {"t": "record", "on": True})
    ev = [
        {"k": "on", "at": clock.now, "p": 60, "v": 99},
        {"k": "off", "at": clock.now + 500, "p": 60},
    ]
    assert send(room, a, {"t": "note", "ev": ev}) == []
    [take] = send(room, a, {"t": "note", "ev": ev})  # four events: the cap
    assert take.end_quarter is not None
    assert a.take is None
    send(room, a, {"t": "record", "on": True})
    send(room, a, {"t": "note", "ev": ev[:1]})
    left = room.leave(a)
    assert left is not None
    track = take_to_track(left, ppq=480)
    assert track.name == "ana – Acoustic Grand Piano"
    assert len(track.notes) == 1


def test_stop_ends_every_take(clock: FakeClock) -> None:
    room = JamRoom("p", clock=clock)
    a = room.join("u1", "ana", can_play=True)
    b = room.join("u2", "ben", can_play=True)
    send(room, a, {"t": "start", "count_in": 0})
    send(room, a, {"t": "record", "on": True})
    send(room, b, {"t": "record", "on": True})
    assert {t.player_id for t in send(room, b, {"t": "stop"})} == {a.id, b.id}
    with pytest.raises(TakeError, match="start the transport before recording"):
        send(room, a, {"t": "record", "on": True})


def test_pings_are_answered_and_new_round_trips_shown(clock: FakeClock) -> None:
    room = JamRoom("p", clock=clock)
    a = room.join("u1", "ana", can_play=False)  # viewers keep time too
    drain(a)
    send(room, a, {"t": "ping", "id": 1, "t0": 5.0, "rtt": 40.0})
    pong, state = drain(a)
    assert pong == {"t": "pong", "id": 1, "t1": clock.now}
    assert state["players"][0]["rtt"] == 40.0
    send(room, a, {"t": "ping", "id": 2, "t0": 6.0, "rtt": 42.0})  # a small change: no state
    assert [m["t"] for m in drain(a)] == ["pong"]


@pytest.mark.parametrize(
    ("message", "error", "text"),
    [
        (
            {"t": "note", "player": "p9", "ev": [{"k": "on", "at": 0, "p": 1, "v": 1}]},
            SpoofError,
            "p9",
        ),
        ({"t": "instrument", "program": 0, "name": "a\x07b"}, JamProtocolError, "control"),
        (
            {"t": "note", "ev": [{"k": "on", "at": 1e9, "p": 1, "v": 1}]},
            JamError,
            "from the server",
        ),
        ({"t": "ping", "id": -1, "t0": 0}, JamProtocolError, "id=-1 must be a whole number"),
        ({"t": "note", "ev": [{"k": "bend", "at": 0, "v": 9000}]}, JamProtocolError, "v=9000"),
        ({"t": "record", "on": "yes"}, JamProtocolError, "on='yes' must be true or false"),
    ],
)
def test_bad_messages_raise_clear_errors(
    clock: FakeClock, message: dict[str, Any], error: type[Exception], text: str
) -> None:
    clock.now = 0.0
    room = JamRoom("p", clock=clock)
    a = room.join("u1", "ana", can_play=True)
    with pytest.raises(error, match=text):
        send(room, a, message)


def test_membership_changes_reach_open_connections(clock: FakeClock) -> None:
    rooms = JamRooms(limits=JamLimits(max_players=2), clock=clock)
    a = rooms.join("proj", "u1", "ana", can_play=True)
    b = rooms.join("proj", "u2", "ben", can_play=True)
    with pytest.raises(JamError, match="is full"):
        rooms.join("proj", "u3", "cy", can_play=True)
    room = rooms.get("proj")
    assert room is not None
    rooms.set_can_play("proj", "u2", False)
    with pytest.raises(JamDeniedError, match="listening only"):
        send(room, b, {"t": "stop"})
    rooms.remove_user("proj", "u1")
    assert a.outbox.closing == Close(4403, "removed from project proj")
    rooms.leave(room, a)
    rooms.leave(room, b)
    assert rooms.get("proj") is None


def test_signalling_goes_to_the_named_player_stamped_with_the_sender(clock: FakeClock) -> None:
    room = JamRoom("p", clock=clock)
    a = room.join("u1", "ana", can_play=True)
    v = room.join("u2", "vic", can_play=False)
    drain(a)
    drain(v)
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    send(room, a, {"t": "signal", "to": v.id, "kind": "offer", "data": offer})
    assert drain(v) == [{"t": "signal", "from": a.id, "kind": "offer", "data": offer}]
    assert drain(a) == []
    send(
        room, v, {"t": "signal", "to": a.id, "kind": "answer", "data": {"sdp": "x"}}
    )  # listeners too
    assert drain(a)[0]["from"] == v.id
    send(room, a, {"t": "signal", "to": "p99", "kind": "bye"})  # gone already: dropped
    assert drain(v) == []
    with pytest.raises(JamProtocolError, match="is the sender itself"):
        send(room, a, {"t": "signal", "to": a.id, "kind": "ice", "data": {}})
    with pytest.raises(JamProtocolError, match="kind='hello' must be one of"):
        send(room, a, {"t": "signal", "to": v.id, "kind": "hello"})
    with pytest.raises(JamProtocolError, match=r"data=.* must be an object"):
        send(room, a, {"t": "signal", "to": v.id, "kind": "ice", "data": "x"})
