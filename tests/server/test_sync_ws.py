"""The sync endpoint over real sockets: uvicorn on 127.0.0.1, ``websockets`` clients with
pycrdt documents speaking y-protocols (see :mod:`tests.server.sync_peer`)."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from fastapi import FastAPI
from pycrdt import Doc, Map, merge_updates
from websockets.exceptions import InvalidStatus

from bandmate.formats.midi import read_midi, write_midi
from bandmate.music import Note, Track
from bandmate.music.demo import demo_song
from bandmate.server import Settings, create_app, studio_of
from bandmate.server.routes_sync import rooms_of
from bandmate.store.errors import NotFoundError
from bandmate.store.records import Role, User
from bandmate.store.updates import InMemoryUpdateLog, Snapshot, Update
from bandmate.sync import add_notes, add_track, doc_to_song, notes_of, set_meta, track_ids
from bandmate.sync.limits import CloseCode, FloodError, FloodGate, SyncError, SyncLimits
from bandmate.sync.member import Member
from bandmate.sync.protocol import (
    Ack,
    Message,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    encode_message,
)
from bandmate.sync.rooms import Rooms
from bandmate.sync.update import encode_state_vector

from .conftest import PASSWORD
from .sync_peer import SyncPeer, serving

pytestmark = pytest.mark.anyio

LIMITS = SyncLimits(
    max_message_bytes=64 << 10, messages_per_s=100, message_burst=200, close_grace_s=0.2
)


@dataclasses.dataclass
class Server:
    app: FastAPI
    host: str

    async def person(self, name: str) -> tuple[User, str]:
        return await studio_of(self.app).accounts.sign_up(name, PASSWORD)

    async def project(self, owner: User, name: str = "Jam", *members: tuple[User, Role]) -> str:
        """A project of ``owner``'s with ``members`` (user, role) invited and accepted."""
        studio = studio_of(self.app)
        project_id = (await studio.projects.create(owner, name)).project.id
        for user, role in members:
            _, token = await studio.projects.invite(owner, project_id, role)
            await studio.projects.accept(user, token)
        return project_id

    def url(self, project_id: str, *, acks: bool = True) -> str:
        query = "?ack=1" if acks else ""
        return f"ws://{self.host}/api/projects/{project_id}/sync{query}"

    async def peer(
        self, project_id: str, token: str | None, *, acks: bool = True, **options: Any
    ) -> SyncPeer:
        peer = SyncPeer(self.url(project_id, acks=acks), token, **options)
        await peer.connect()
        return peer


@pytest.fixture(params=["lean", "asgi"])
async def server(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """The app served with the lean project sockets (as ``bandmate serve`` does) and
    through uvicorn's own WebSockets (as any ASGI server would)."""
    app = create_app(settings)
    rooms_of(app).limits = LIMITS
    async with serving(app, ws=request.param) as host:
        yield Server(app, host)


def _new_track(name: str, seed: int) -> Any:
    return lambda doc: add_track(doc, Track(name), rng=random.Random(seed))


async def test_two_members_see_each_others_notes(server: Server) -> None:
    alice, alice_token = await server.person("alice")
    bob, bob_token = await server.person("bob")
    project_id = await server.project(alice, "Duet", (bob, "editor"))
    a = await server.peer(project_id, alice_token)
    b = await server.peer(project_id, bob_token)
    await a.synced.wait()
    await b.synced.wait()
    assert doc_to_song(a.doc).title == "Duet"  # an empty song named after the project
    await a.wait_acked(await a.edit(_new_track("Keys", 1)))
    await b.wait_for(lambda: len(track_ids(b.doc)) == 1)
    track = track_ids(b.doc)[0]
    await b.edit(lambda doc: add_notes(doc, track, [Note(62, 0, 240)], rng=random.Random(2)))
    await a.edit(lambda doc: add_notes(doc, track, [Note(60, 0, 480)], rng=random.Random(3)))
    await a.wait_for(lambda: len(notes_of(a.doc, track)) == 2)
    await b.wait_for(lambda: len(notes_of(b.doc, track)) == 2)
    assert doc_to_song(a.doc) == doc_to_song(b.doc)
    assert sorted(n.pitch for n in doc_to_song(a.doc).tracks[0].notes) == [60, 62]
    await a.close()
    await b.close()


async def test_a_stock_client_gets_no_acks(server: Server) -> None:
    alice, token = await server.person("alice")
    project_id = await server.project(alice)
    stock = await server.peer(project_id, token, acks=False)
    other = await server.peer(project_id, token)
    await stock.synced.wait()
    await stock.edit(_new_track("Stock", 10))
    await other.wait_for(lambda: len(track_ids(other.doc)) == 1)
    stock.synced.clear()
    await stock.send(SyncStep1(encode_state_vector(stock.doc)))
    await stock.wait_for(stock.synced.is_set)  # an ack would have come before this answer
    assert stock.acked == 0
    await stock.close()
    await other.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_the_ack_comes_after_the_update_is_in_the_log(server: Server) -> None:
    alice, token = await server.person("alice")
    project_id = await server.project(alice)
    peer = await server.peer(project_id, token)
    await peer.synced.wait()
    index = await peer.edit(lambda doc: set_meta(doc, title="Logged"))
    seq = await peer.wait_acked(index)
    logged = await studio_of(server.app).updates.read_since(project_id, seq - 1)
    assert [(u.seq, u.author_id) for u in logged] == [(seq, alice.id)]
    check: Doc[Any] = Doc()
    for update in await studio_of(server.app).updates.read_since(project_id):
        check.apply_update(update.data)
    assert doc_to_song(check).title == "Logged"
    # The reconnect's step 2 brings nothing new: acknowledged with the last seq, not logged.
    await peer.close()
    again = SyncPeer(server.url(project_id), token, client_id=peer.doc.client_id)
    again.doc.apply_update(peer.doc.get_update())  # the same replica, reopened
    await again.connect()
    await again.wait_acked(1)
    assert again.last_seq == seq
    assert len(await studio_of(server.app).updates.read_since(project_id)) == seq
    await again.close()


async def test_the_seed_is_the_stored_song(server: Server) -> None:
    studio = studio_of(server.app)
    owner, token = await server.person("owner")
    song = read_midi(write_midi(demo_song()))
    digest = studio.blobs.put(write_midi(demo_song()))
    project_id = (await studio.projects.create(owner, "Demo", song_blob=digest)).project.id
    peer = await server.peer(project_id, token)
    await peer.synced.wait()
    assert doc_to_song(peer.doc) == song
    first = (await studio.updates.read_since(project_id))[0]
    assert (first.seq, first.author_id) == (1, None)
    await peer.close()


async def test_a_viewer_receives_but_cannot_edit(server: Server) -> None:
    alice, alice_token = await server.person("alice")
    vera, vera_token = await server.person("vera")
    project_id = await server.project(alice, "Jam", (vera, "viewer"))
    editor = await server.peer(project_id, alice_token)
    viewer = await server.peer(project_id, vera_token)
    await editor.synced.wait()
    await viewer.wait_acked(1)  # its step 2 answer brought nothing: fine for a viewer
    await editor.edit(_new_track("Bass", 4))
    await viewer.wait_for(lambda: len(track_ids(viewer.doc)) == 1)
    before = len(await studio_of(server.app).updates.read_since(project_id))
    await viewer.edit(lambda doc: set_meta(doc, title="Vandalised"))
    assert await viewer.closed() == (CloseCode.FORBIDDEN, viewer.denied[0])
    assert "viewer" in viewer.denied[0]
    assert len(await studio_of(server.app).updates.read_since(project_id)) == before
    await editor.wait_acked(await editor.edit(lambda doc: set_meta(doc, title="Still mine")))
    assert doc_to_song(editor.doc).title == "Still mine"
    await editor.close()


async def test_refused_handshakes(server: Server) -> None:
    alice, alice_token = await server.person("alice")
    _, mallory_token = await server.person("mallory")
    project_id = await server.project(alice)
    stranger = await server.peer(project_id, mallory_token)
    assert (await stranger.closed())[0] == CloseCode.NOT_FOUND
    missing = await server.peer("no-such-project", alice_token)
    assert (await missing.closed())[0] == CloseCode.NOT_FOUND
    anonymous = await server.peer(project_id, None)
    assert (await anonymous.closed())[0] == CloseCode.NOT_SIGNED_IN
    with pytest.raises(InvalidStatus) as refused:
        await server.peer(project_id, alice_token, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    own = await server.peer(project_id, alice_token, origin=f"http://{server.host}")
    await own.synced.wait()
    await own.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x00\x01\x05abc", CloseCode.BAD_MESSAGE),  # length past the end
        (b"\x07", CloseCode.BAD_MESSAGE),  # unknown type
        (encode_message(SyncUpdate(b"\x01\x02garbage")), CloseCode.BAD_MESSAGE),
        (b"\x00\x02" + b"\x00" * (LIMITS.max_message_bytes - 1), CloseCode.TOO_BIG),
        ("hello", CloseCode.UNSUPPORTED_DATA),
        (b"\x64\x01\x01", CloseCode.BAD_MESSAGE),  # acks are the server's
    ],
)
async def test_bad_frames_close_their_socket_only(
    server: Server, frame: bytes | str, code: CloseCode
) -> None:
    alice, token = await server.person("alice")
    noisy_project = await server.project(alice, "Noisy")
    calm_project = await server.project(alice, "Calm")
    calm = await server.peer(calm_project, token)
    noisy = await server.peer(noisy_project, token)
    bystander = await server.peer(noisy_project, token)
    await noisy.synced.wait()
    await noisy.send_raw(frame)
    assert (await noisy.closed())[0] == code
    for peer in (calm, bystander):
        await peer.wait_acked(await peer.edit(_new_track("After", 5)))
    await calm.close()
    await bystander.close()


async def test_a_flood_is_closed_with_4429(server: Server) -> None:
    alice, token = await server.person("alice")
    project_id = await server.project(alice)
    flood = await server.peer(project_id, token)
    frame = encode_message(QueryAwareness())
    for _ in range(int(LIMITS.message_burst) * 3):
        try:
            await flood.send_raw(frame)
        except Exception:
            break
    assert (await flood.closed())[0] == CloseCode.FLOOD
    calm = await server.peer(project_id, token)
    await calm.wait_acked(await calm.edit(_new_track("Calm", 6)))
    await calm.close()


async def test_a_removed_member_is_closed_at_once(server: Server) -> None:
    studio = studio_of(server.app)
    alice, alice_token = await server.person("alice")
    bob, bob_token = await server.person("bob")
    project_id = await server.project(alice, "Jam", (bob, "editor"))
    peer = await server.peer(project_id, bob_token)
    await peer.synced.wait()
    await studio.projects.remove_member(alice, project_id, bob.id)
    code, reason = await peer.closed(timeout=5)
    assert code == CloseCode.FORBIDDEN
    assert reason is not None
    assert "removed" in reason
    again = await server.peer(project_id, bob_token)
    assert (await again.closed())[0] == CloseCode.NOT_FOUND
    owner = await server.peer(project_id, alice_token)
    await owner.synced.wait()
    await owner.close()


async def test_a_demoted_editor_cannot_edit_from_the_next_update(server: Server) -> None:
    studio = studio_of(server.app)
    alice, _ = await server.person("alice")
    bob, bob_token = await server.person("bob")
    project_id = await server.project(alice, "Jam", (bob, "editor"))
    peer = await server.peer(project_id, bob_token)
    await peer.wait_acked(await peer.edit(_new_track("Mine", 7)))
    await studio.projects.set_role(alice, project_id, bob.id, "viewer")
    await peer.edit(_new_track("Not any more", 8))
    assert (await peer.closed())[0] == CloseCode.FORBIDDEN


async def test_presence_is_relayed_and_cleared(server: Server) -> None:
    alice, alice_token = await server.person("alice")
    bob, bob_token = await server.person("bob")
    project_id = await server.project(alice, "Jam", (bob, "viewer"))
    a = await server.peer(project_id, alice_token)
    b = await server.peer(project_id, bob_token)
    await a.synced.wait()
    await b.synced.wait()
    state = b'{"user":{"name":"Bob"}}'
    await b.send_raw(b"\x01" + bytes([len(state) + 4, 1, 77, 1, len(state)]) + state)
    await a.wait_for(lambda: any(e.client_id == 77 for e in a.presence))
    await b.wait_for(lambda: any(e.client_id == 77 for e in b.presence))  # echoed, as y-websocket
    await b.close()
    await a.wait_for(lambda: any(e.client_id == 77 and e.gone for e in a.presence))
    await a.close()


async def test_concurrent_joins_share_one_room(server: Server) -> None:
    alice, token = await server.person("alice")
    project_id = await server.project(alice)
    peers = await asyncio.gather(*(server.peer(project_id, token) for _ in range(12)))
    for peer in peers:
        await peer.synced.wait()
    room = rooms_of(server.app).get(project_id)
    assert room is not None
    assert len(room.members) == 12
    assert len(await studio_of(server.app).updates.read_since(project_id)) == 1  # one seed
    await peers[0].wait_acked(await peers[0].edit(_new_track("All", 9)))
    for peer in peers:
        await peer.wait_for(lambda p=peer: len(track_ids(p.doc)) == 1)  # type: ignore[misc]
        await peer.close()


async def test_an_update_that_fails_half_way_leaves_no_trace(server: Server) -> None:
    # Yrs integrates block by block: `both` adds tracks/t, then fails on a block whose parent
    # is a string. Only the room's shadow copy may see the half; the room and log never do.
    alice, token = await server.person("alice")
    project_id = await server.project(alice)
    first, second = await server.peer(project_id, token), await server.peer(project_id, token)
    await first.synced.wait()
    await second.synced.wait()  # edits made before the first sync race the seed's values
    string: Doc[Any] = Doc(client_id=5)
    string.get("meta", type=Map)["a"] = "str"
    await first.wait_acked(await first.send(SyncUpdate(string.get_update())))
    nested: Doc[Any] = Doc(client_id=5)
    nested.get("meta", type=Map)["a"] = Map()
    before = nested.get_state()
    nested.get("meta", type=Map)["a"]["k"] = 1.0
    other: Doc[Any] = Doc(client_id=9)
    other.get("tracks", type=Map)["t"] = 2.0
    both = merge_updates(other.get_update(), nested.get_update(before))
    logged = len(await studio_of(server.app).updates.read_since(project_id))
    await first.send(SyncUpdate(both))
    assert (await first.closed())[0] == CloseCode.BAD_MESSAGE
    await second.wait_acked(await second.edit(lambda doc: set_meta(doc, title="After")))
    room = rooms_of(server.app).get(project_id)
    assert room is not None
    assert "t" not in room.doc.get("tracks", type=Map)
    assert len(await studio_of(server.app).updates.read_since(project_id)) == logged + 1
    third = await server.peer(project_id, token)
    await third.synced.wait()
    assert "t" not in third.doc.get("tracks", type=Map)
    assert doc_to_song(third.doc).title == "After"
    await second.close()
    await third.close()


# The room manager in memory -------------------------------------------------------------


class SlowLog(InMemoryUpdateLog):
    """An in-memory log whose loads take a while and are counted."""

    loads = 0

    async def latest_snapshot(self, project_id: str) -> Snapshot | None:
        self.loads += 1
        await asyncio.sleep(0.05)
        return await super().latest_snapshot(project_id)


def _frames(member: Member) -> list[Message]:
    frames = []
    while member.outbox._frames:
        frames.append(decode_message(member.outbox._frames.popleft()))
    return frames


async def test_joins_during_a_load_wait_for_that_one_load() -> None:
    log = SlowLog()
    log.create("p")
    rooms = Rooms(log, limits=dataclasses.replace(LIMITS, close_grace_s=0))
    members = [rooms.new_member(f"u{i}", can_edit=True, acks=True) for i in range(50)]
    joined = await asyncio.gather(*(rooms.join("p", m) for m in members))
    assert log.loads == 1
    assert len({id(room) for room in joined}) == 1
    assert all(isinstance(_frames(m)[0], SyncStep1) for m in members)
    for member in members:
        rooms.leave(joined[0], member)
    await asyncio.sleep(0.1)
    assert rooms.get("p") is None  # closed after the (zero) grace period
    await rooms.join("p", rooms.new_member("late", can_edit=True))
    assert log.loads == 2


async def test_rooms_compact_and_reload_from_snapshot_and_tail() -> None:
    log = InMemoryUpdateLog()
    log.create("p")
    rooms = Rooms(log, limits=dataclasses.replace(LIMITS, compact_every=3, close_grace_s=0))
    member = rooms.new_member("u", can_edit=True, acks=True)
    room = await rooms.join("p", member)
    author: Doc[Any] = Doc(client_id=1)
    for i in range(7):
        before = author.get_state()
        author.get("meta", type=Map)[f"k{i}"] = float(i)
        await room.receive(member, encode_message(SyncUpdate(author.get_update(before))))
    acks = [m for m in _frames(member) if isinstance(m, Ack)]
    assert [(a.index, a.seq) for a in acks] == [(i, i) for i in range(1, 8)]
    snapshot = await log.latest_snapshot("p")
    assert snapshot is not None
    assert snapshot.upto_seq == 6
    rooms.leave(room, member)
    await asyncio.sleep(0.05)
    snapshot = await log.latest_snapshot("p")
    assert snapshot is not None
    assert snapshot.upto_seq == 7  # written when the room closed
    reopened = await rooms.join("p", rooms.new_member("u", can_edit=True))
    assert reopened is not room
    assert reopened.seq == 7
    assert reopened.doc.get("meta", type=Map).to_py() == author.get("meta", type=Map).to_py()


def test_the_flood_gate_refills_at_its_rate() -> None:
    now = [0.0]
    limits = dataclasses.replace(LIMITS, messages_per_s=10, message_burst=2)
    gate = FloodGate(limits, clock=lambda: now[0])
    gate.admit(10)
    gate.admit(10)
    with pytest.raises(FloodError, match="more than 10 messages/s"):
        gate.admit(10)
    now[0] += 0.1
    gate.admit(10)
    big = dataclasses.replace(LIMITS, bytes_per_s=100, byte_burst=LIMITS.max_message_bytes)
    bytes_gate = FloodGate(big, clock=lambda: now[0])
    bytes_gate.admit(LIMITS.max_message_bytes)
    with pytest.raises(FloodError, match="more than 100 bytes/s"):
        bytes_gate.admit(1000)


async def test_an_update_ahead_of_its_causes_waits_for_them() -> None:
    # A client reconnects with an offline edit (first) and makes another (second) that it
    # sends before its sync step 2 carries the first: the second is held back, then logged
    # and acknowledged together with the first.
    log = InMemoryUpdateLog()
    log.create("p")
    rooms = Rooms(log, limits=LIMITS)
    member = rooms.new_member("u", can_edit=True, acks=True)
    room = await rooms.join("p", member)
    author: Doc[Any] = Doc(client_id=7)
    author.get("meta", type=Map)["title"] = "First"
    middle = author.get_state()
    author.get("meta", type=Map)["title"] = "Second"
    second = author.get_update(middle)
    await room.receive(member, encode_message(SyncUpdate(second)))
    assert [m for m in _frames(member) if isinstance(m, Ack)] == []
    assert await log.read_since("p") == []
    assert "title" not in room.doc.get("meta", type=Map)
    await room.receive(member, encode_message(SyncStep2(author.get_update(b"\x00"))))
    assert [m for m in _frames(member) if isinstance(m, Ack)] == [Ack(2, 1)]
    assert len(await log.read_since("p")) == 1
    assert room.doc.get("meta", type=Map).to_py() == {"title": "Second"}
    rooms.leave(room, member)
    await rooms.close_all()


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"byte_burst": 10.0}, "byte_burst=10.0 must be at least max_message_bytes=65536"),
        ({"messages_per_s": 0.0}, "messages_per_s=0.0 must be positive"),
        ({"compact_every": 0}, "compact_every=0 must be at least 1"),
        ({"close_grace_s": -1.0}, "close_grace_s=-1.0 must not be negative"),
    ],
)
def test_limits_name_the_broken_rule(change: dict[str, Any], rule: str) -> None:
    with pytest.raises(SyncError, match=re.escape(rule)):
        dataclasses.replace(LIMITS, **change)


class BatchLog(InMemoryUpdateLog):
    """An in-memory log that records its batches and can be told to fail them."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []
        self.fail: Exception | None = None

    async def append_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Update]:
        self.batches.append([pid for pid, _, _ in items])
        await asyncio.sleep(0.01)
        if self.fail is not None:
            raise self.fail
        return await super().append_many(items)


def _edit(author: Doc[Any], key: str) -> bytes:
    before = author.get_state()
    author.get("meta", type=Map)[key] = 1.0
    return encode_message(SyncUpdate(author.get_update(before)))


async def test_rooms_commit_concurrent_updates_in_one_batch() -> None:
    log = BatchLog()
    rooms = Rooms(log, limits=LIMITS)
    pids = [f"p{i}" for i in range(5)]
    members, joined = [], []
    for pid in pids:
        log.create(pid)
        member = rooms.new_member("u", can_edit=True, acks=True)
        joined.append(await rooms.join(pid, member))
        members.append(member)
        _frames(member)
    authors: list[Doc[Any]] = [Doc(client_id=10 + i) for i in range(5)]
    first = [_edit(a, "one") for a in authors]
    await asyncio.gather(*(r.receive(m, f) for r, m, f in zip(joined, members, first, strict=True)))
    assert log.batches == [pids]
    second = [_edit(a, "two") for a in authors]
    await asyncio.gather(
        *(r.receive(m, f) for r, m, f in zip(joined, members, second, strict=True)),
        joined[0].receive(members[0], _edit(authors[0], "three")),
    )
    for i, (room, member) in enumerate(zip(joined, members, strict=True)):
        acks = [(a.index, a.seq) for a in _frames(member) if isinstance(a, Ack)]
        assert acks == ([(1, 1), (2, 2), (3, 3)] if i == 0 else [(1, 1), (2, 2)])
        assert room.seq == len(await log.read_since(room.project_id))
    await rooms.close_all()


async def test_a_failed_batch_fails_every_write_in_it_and_broadcasts_nothing() -> None:
    log = BatchLog()
    rooms = Rooms(log, limits=LIMITS)
    log.create("p")
    log.create("q")
    writer, watcher = (rooms.new_member(u, can_edit=True, acks=True) for u in ("w", "v"))
    room_p = await rooms.join("p", writer)
    await rooms.join("p", watcher)
    other = rooms.new_member("x", can_edit=True, acks=True)
    room_q = await rooms.join("q", other)
    for member in (writer, watcher, other):
        _frames(member)
    log.fail = RuntimeError("database is down")
    author_p: Doc[Any] = Doc(client_id=1)
    author_q: Doc[Any] = Doc(client_id=2)
    results = await asyncio.gather(
        room_p.receive(writer, _edit(author_p, "a")),
        room_q.receive(other, _edit(author_q, "b")),
        return_exceptions=True,
    )
    assert [str(r) for r in results] == ["database is down"] * 2
    assert log.batches == [["p", "q"]]
    assert _frames(writer) == _frames(watcher) == _frames(other) == []
    assert (room_p.seq, room_q.seq) == (0, 0)
    assert room_p.doc.get("meta", type=Map).to_py() == {}
    log.fail = None
    await room_p.receive(writer, encode_message(SyncUpdate(author_p.get_update(b"\x00"))))
    assert [m for m in _frames(writer) if isinstance(m, Ack)] == [Ack(2, 1)]
    assert _frames(watcher) == [SyncUpdate(author_p.get_update(b"\x00"))]
    await rooms.close_all()


async def test_a_member_with_a_failed_hook_hears_of_its_commit_error_there() -> None:
    # As the lean connection does: no future per frame, the errors found later come back
    # through the hook (which closes the socket).
    log = BatchLog()
    rooms = Rooms(log, limits=LIMITS)
    log.create("p")
    member = rooms.new_member("w", can_edit=True, acks=True)
    heard: list[Exception] = []
    member.failed = heard.append
    room = await rooms.join("p", member)
    _frames(member)
    log.fail = RuntimeError("database is down")
    assert room.feed(member, _edit(Doc(client_id=1), "a")) is None
    for _ in range(100):
        if heard:
            break
        await asyncio.sleep(0.01)
    assert [str(error) for error in heard] == ["database is down"]
    assert room.seq == 0
    assert room.doc.get("meta", type=Map).to_py() == {}
    await rooms.close_all()


async def test_a_batch_with_a_deleted_project_still_commits_the_others() -> None:
    log = InMemoryUpdateLog()
    rooms = Rooms(log, limits=LIMITS)
    log.create("p")
    log.create("q")
    mp, mq = (rooms.new_member("u", can_edit=True, acks=True) for _ in range(2))
    room_p, room_q = await rooms.join("p", mp), await rooms.join("q", mq)
    del log._updates["p"]  # the project was deleted while its room was open
    results = await asyncio.gather(
        room_p.receive(mp, _edit(Doc(client_id=1), "a")),
        room_q.receive(mq, _edit(Doc(client_id=2), "b")),
        return_exceptions=True,
    )
    assert isinstance(results[0], NotFoundError)
    assert results[1] is None
    assert room_q.seq == 1
    assert [m for m in _frames(mq) if isinstance(m, Ack)] == [Ack(1, 1)]
