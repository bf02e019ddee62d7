"""The bandmate over HTTP: asking for alternatives and inserting one, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pycrdt import Doc

from bandmate.music.chord import parse_chord
from bandmate.music.key import parse_key
from bandmate.music.song import ChordEvent, Instrument, MeterChange, Note, Song, Track
from bandmate.server import studio_of
from bandmate.server.routes_assist import kinds
from bandmate.server.routes_sync import rooms_of
from bandmate.server.security import SESSION_COOKIE
from bandmate.store import repos
from bandmate.store.records import Role
from bandmate.store.updates import utc_now
from bandmate.sync.document import doc_to_json, doc_to_song, song_to_doc
from bandmate.sync.protocol import SyncUpdate, decode_message
from bandmate.sync.update import apply_update, encode_state

pytestmark = pytest.mark.anyio

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
PPQ = 480
BAR = 4 * PPQ


def melody_song(**changes: Any) -> Song:
    """Four bars of a C major tune with chords in bars 1-2."""
    pitches = [60, 64, 67, 72, 71, 67, 65, 64, 62, 65, 69, 67, 64, 62, 60, 60]
    notes = tuple(Note(p, i * PPQ, PPQ, 90) for i, p in enumerate(pitches))
    chords = (
        ChordEvent(0, BAR, parse_chord("C")),
        ChordEvent(BAR, BAR, parse_chord("F")),
    )
    fields: dict[str, Any] = {
        "title": "Tune",
        "ppq": PPQ,
        "key": parse_key("C major"),
        "tracks": (Track("Lead", Instrument(0), notes),),
        "chords": chords,
    }
    return Song(**(fields | changes))


async def _project(
    app: FastAPI, make_client: ClientFactory, song: Song | None, *, prefix: str = ""
) -> tuple[str, dict[str, httpx.AsyncClient]]:
    """A project owned by ``owner`` with an editor, a viewer and an outsider; its log holds
    ``song`` (an empty log when ``None``)."""
    studio = studio_of(app)
    names = ("owner", "editor", "viewer", "out")
    clients = {name: await make_client(app, prefix + name) for name in names}
    users = {}
    for name, client in clients.items():
        user = await studio.accounts.user_for_token(client.cookies[SESSION_COOKIE])
        assert user is not None
        users[name] = user
    access = await studio.projects.create(users["owner"], "Song")
    pid = access.project.id
    async with studio.database.transaction() as db:
        roles: tuple[tuple[str, Role], ...] = (("editor", "editor"), ("viewer", "viewer"))
        for name, role in roles:
            await repos.insert_member(
                db, project_id=pid, user_id=users[name].id, role=role, now=utc_now()
            )
    if song is not None:
        await studio.updates.append(pid, encode_state(song_to_doc(song)), author_id=None)
    return pid, clients


async def _stored_song(app: FastAPI, pid: str) -> tuple[Song, dict[str, Any]]:
    doc: Doc[Any] = Doc()
    for update in await studio_of(app).updates.read_since(pid):
        apply_update(doc, update.data)
    data: dict[str, Any] = doc_to_json(doc)
    return doc_to_song(doc), data


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_ask_for_next_chords_and_insert_one(app: FastAPI, make_client: ClientFactory) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    body = {"kind": "chords", "start_bar": 3, "alternatives": 4}
    response = await clients["viewer"].post(f"/api/projects/{pid}/suggestions", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["kind"] == "chords"
    assert answer["ppq"] == PPQ
    assert answer["key"] == "C major"
    alternatives = answer["alternatives"]
    assert len(alternatives) == 4
    symbols = [a["chords"][0]["symbol"] for a in alternatives]
    assert len(set(symbols)) == 4  # four different chords
    probabilities = [a["probability"] for a in alternatives]
    assert probabilities == sorted(probabilities, reverse=True)  # likeliest first
    assert all(0 < p <= 1 for p in probabilities)
    for alt in alternatives:
        (chord,) = alt["chords"]
        assert (chord["tick"], chord["duration"]) == (2 * BAR, BAR)
        assert chord["roman"]
        assert alt["tracks"] == []

    chosen = alternatives[1]
    refused = await clients["viewer"].post(
        f"/api/projects/{pid}/suggestions/insert", json={"ppq": PPQ, "alternative": chosen}
    )
    assert refused.status_code == 403
    inserted = await clients["editor"].post(
        f"/api/projects/{pid}/suggestions/insert", json={"ppq": PPQ, "alternative": chosen}
    )
    assert inserted.status_code == 201, inserted.text
    (chord_id,) = inserted.json()["chord_ids"]
    song, data = await _stored_song(app, pid)
    assert [str(c.chord) for c in song.chords] == ["C", "F", chosen["chords"][0]["symbol"]]
    assert data["chords"][chord_id]["origin"] == "bandmate"
    assert song.tracks == melody_song().tracks  # nobody's notes touched
    updates = await studio_of(app).updates.read_since(pid)
    assert updates[-1].seq == inserted.json()["seq"]
    editor = await studio_of(app).accounts.user_for_token(clients["editor"].cookies[SESSION_COOKIE])
    assert editor is not None
    assert updates[-1].author_id == editor.id

    # Inserting it again would put two chords in one bar: refused, nothing written.
    again = await clients["owner"].post(
        f"/api/projects/{pid}/suggestions/insert", json={"ppq": PPQ, "alternative": chosen}
    )
    assert again.status_code == 409
    assert "overlap" in again.json()["error"]["message"]
    assert len(await studio_of(app).updates.read_since(pid)) == len(updates)


async def test_same_seed_same_alternatives(app: FastAPI, make_client: ClientFactory) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    body = {"kind": "progression", "bars": 4, "seed": 11, "alternatives": 3, "style": "bach"}
    first = await clients["viewer"].post(f"/api/projects/{pid}/suggestions", json=body)
    second = await clients["owner"].post(f"/api/projects/{pid}/suggestions", json=body)
    assert first.status_code == 200, first.text
    assert first.json() == second.json()
    alternatives = first.json()["alternatives"]
    assert [a["seed"] for a in alternatives] == [11, 12, 13]
    for alt in alternatives:
        ticks = [c["tick"] for c in alt["chords"]]
        assert ticks == [2 * BAR, 3 * BAR, 4 * BAR, 5 * BAR]  # after the last chord
        assert alt["label"] == " | ".join(c["symbol"] for c in alt["chords"])


async def test_idiom_styles_reach_the_chord_api(app: FastAPI, make_client: ClientFactory) -> None:
    pid, clients = await _project(app, make_client, melody_song(chords=()))
    body = {"kind": "progression", "bars": 12, "seed": 4, "alternatives": 2, "style": "Blues"}
    blues = await clients["viewer"].post(f"/api/projects/{pid}/suggestions", json=body)
    assert blues.status_code == 200, blues.text
    for alt in blues.json()["alternatives"]:
        roots = [parse_chord(c["symbol"]).root for c in alt["chords"]]
        assert roots[0] == roots[2] == roots[6] == "C"  # a 12-bar blues in C
        assert roots[4] == roots[5] == "F"
        assert roots[8] == "G"
    body = {"kind": "chords", "alternatives": 3, "style": "jazz"}
    jazz = await clients["viewer"].post(f"/api/projects/{pid}/suggestions", json=body)
    assert jazz.status_code == 200, jazz.text
    kinds = await clients["viewer"].get("/api/assist/kinds")
    assert "jazz" in next(k for k in kinds.json() if k["kind"] == "chords")["styles"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
async def test_a_bass_line_goes_in_as_a_new_track_through_the_open_room(
    app: FastAPI, make_client: ClientFactory
) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    rooms = rooms_of(app)
    watcher = rooms.new_member("someone", can_edit=False)
    room = await rooms.join(pid, watcher)  # a studio has the song open
    try:
        body = {"kind": "bass", "style": "rock", "seed": 3, "alternatives": 2}
        response = await clients["editor"].post(f"/api/projects/{pid}/suggestions", json=body)
        assert response.status_code == 200, response.text
        alternatives = response.json()["alternatives"]
        assert len(alternatives) == 2
        assert alternatives[0]["tracks"] != alternatives[1]["tracks"]
        (track,) = alternatives[0]["tracks"]
        assert track["name"].startswith("Bandmate")
        assert track["notes"]
        assert all(0 <= n["start"] < 2 * BAR for n in track["notes"])  # the chord lane
        inserted = await clients["owner"].post(
            f"/api/projects/{pid}/suggestions/insert",
            json={"ppq": PPQ, "alternative": alternatives[0]},
        )
        assert inserted.status_code == 201, inserted.text
        (track_id,) = inserted.json()["track_ids"]
        live = doc_to_song(room.doc)
        assert [t.name for t in live.tracks] == ["Lead", track["name"]]
        assert len(live.tracks[1].notes) == len(track["notes"])
        entry: Any = doc_to_json(room.doc)["tracks"][track_id]
        assert entry["origin"] == "bandmate"
        # The member watching got the update: sync step 1 first, then the broadcast.
        frames = [await watcher.outbox.next(), await watcher.outbox.next()]
        assert isinstance(frames[1], bytes)
        message = decode_message(frames[1])
        assert isinstance(message, SyncUpdate)
        copy: Doc[Any] = Doc()
        apply_update(copy, encode_state(song_to_doc(melody_song())))
        apply_update(copy, message.update)
        assert track_id in doc_to_json(copy)["tracks"]
    finally:
        rooms.leave(room, watcher)
    stored, _ = await _stored_song(app, pid)
    assert [t.name for t in stored.tracks] == ["Lead", track["name"]]


async def test_parts_and_harmony(app: FastAPI, make_client: ClientFactory) -> None:
    pid, clients = await _project(app, make_client, melody_song(chords=()))
    viewer = clients["viewer"]
    harmony = await viewer.post(
        f"/api/projects/{pid}/suggestions", json={"kind": "harmony", "alternatives": 4}
    )
    assert harmony.status_code == 200, harmony.text
    alternatives = harmony.json()["alternatives"]
    assert len(alternatives) == 4
    per_bar = alternatives[0]["chords"]
    assert [c["tick"] for c in per_bar] == [0, BAR, 2 * BAR, 3 * BAR]
    assert per_bar[0]["symbol"].startswith("C")
    drums = await viewer.post(
        f"/api/projects/{pid}/suggestions",
        json={"kind": "drums", "style": "funk", "bars": 2, "seed": 1, "alternatives": 1},
    )
    assert drums.status_code == 200, drums.text
    (track,) = drums.json()["alternatives"][0]["tracks"]
    assert track["drums"] is True
    assert all(n["start"] < 2 * BAR for n in track["notes"])
    melody = await viewer.post(
        f"/api/projects/{pid}/suggestions",
        json={"kind": "melody", "seed": 2, "alternatives": 2, "bars": 2},
    )
    assert melody.status_code == 200, melody.text
    for alt in melody.json()["alternatives"]:
        assert alt["score"] is not None
        assert alt["score"] < 0  # a mean log-probability
        (line,) = alt["tracks"]
        assert all(4 * BAR <= n["start"] < 6 * BAR for n in line["notes"])  # after the tune
    backing = await viewer.post(
        f"/api/projects/{pid}/suggestions",
        json={"kind": "backing", "seed": 2, "alternatives": 1, "track": 0},
    )
    assert backing.status_code == 200, backing.text
    assert len(backing.json()["alternatives"][0]["tracks"]) == 3


async def test_odd_songs(app: FastAPI, make_client: ClientFactory) -> None:
    """7/8, F# minor, drums only, empty: an answer in the song's terms or a clear 422."""
    seven = melody_song(meters=(MeterChange(0, 7, 8),), key=parse_key("F# minor"), chords=())
    pid, clients = await _project(app, make_client, seven)
    seven_bar = 7 * PPQ // 2
    answer = await clients["viewer"].post(
        f"/api/projects/{pid}/suggestions", json={"kind": "progression", "bars": 2, "seed": 5}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["key"] == "F# minor"
    for alt in answer.json()["alternatives"]:
        assert [(c["tick"], c["duration"]) for c in alt["chords"]] == [
            (0, seven_bar),
            (seven_bar, seven_bar),
        ]
    drums_only = Song(ppq=PPQ, tracks=(Track("Kit", Instrument(0, drums=True),
                                             (Note(36, 0, 120, 100),)),))  # fmt: skip
    pid, clients = await _project(app, make_client, drums_only, prefix="d")
    refused = await clients["viewer"].post(
        f"/api/projects/{pid}/suggestions", json={"kind": "chords"}
    )
    assert refused.status_code == 422
    assert "key" in refused.json()["error"]["message"]
    groove = await clients["viewer"].post(
        f"/api/projects/{pid}/suggestions", json={"kind": "drums", "seed": 1}
    )
    assert groove.status_code == 200, groove.text
    pid, clients = await _project(app, make_client, None, prefix="e")  # never opened: an empty song
    for kind in ("chords", "bass", "harmony", "melody"):
        refused = await clients["viewer"].post(
            f"/api/projects/{pid}/suggestions", json={"kind": kind}
        )
        assert refused.status_code == 422, (kind, refused.text)
        assert refused.json()["error"]["code"] == "invalid_input"
    groove = await clients["viewer"].post(
        f"/api/projects/{pid}/suggestions", json={"kind": "drums", "seed": 1, "alternatives": 1}
    )
    assert groove.status_code == 200
    (track,) = groove.json()["alternatives"][0]["tracks"]
    assert max(n["start"] for n in track["notes"]) < 8 * BAR  # eight bars of an empty song


BAD_ASKS: list[tuple[dict[str, object], str]] = [
    ({"kind": "symphony"}, "kind="),
    ({"kind": "chords", "alternatives": 5}, "alternatives"),
    ({"kind": "chords", "alternatives": 0}, "alternatives"),
    ({"kind": "chords", "temperature": 0}, "temperature"),
    ({"kind": "chords", "temperature": "hot"}, "temperature"),
    ({"kind": "chords", "style": "polka"}, "style="),
    ({"kind": "bass", "style": "bach"}, "style="),
    ({"kind": "harmony", "style": "pop"}, "style="),
    ({"kind": "chords", "bars": 1000}, "bars"),
    ({"kind": "chords", "start_bar": 0}, "start_bar"),
    ({"kind": "melody", "track": 7}, "track=7"),
    ({"kind": "melody", "track": "Nobody"}, "Nobody"),
    ({"kind": "chords", "seed": -1}, "seed"),
    ({"kind": "chords", "extra": 1}, "extra"),
    ({}, "kind"),
]


@pytest.mark.parametrize(("body", "says"), BAD_ASKS)
async def test_bad_asks_are_422(
    app: FastAPI, make_client: ClientFactory, body: dict[str, object], says: str
) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    response = await clients["viewer"].post(f"/api/projects/{pid}/suggestions", json=body)
    assert response.status_code == 422, response.text
    assert says in response.text


def _alt(**changes: object) -> dict[str, object]:
    alt: dict[str, object] = {
        "kind": "bass",
        "tracks": [
            {"name": "Bandmate bass", "program": 33, "notes": [
                {"pitch": 36, "start": 0, "duration": 240, "velocity": 90}
            ]}
        ],
    }  # fmt: skip
    return alt | changes


BAD_INSERTS: list[tuple[dict[str, object], int, str]] = [
    ({"ppq": 96, "alternative": _alt()}, 422, "ppq=96"),
    ({"ppq": PPQ, "alternative": _alt(tracks=[])}, 422, "nothing to insert"),
    (
        {"ppq": PPQ, "alternative": _alt(chords=[{"tick": 0, "duration": 1, "symbol": "H#m9"}])},
        422,
        "chords.0",
    ),
    (
        {
            "ppq": PPQ,
            "alternative": _alt(
                tracks=[
                    {
                        "name": "x",
                        "program": 0,
                        "notes": [{"pitch": 128, "start": 0, "duration": 1, "velocity": 1}],
                    }
                ]
            ),
        },
        422,
        "pitch",
    ),
    (
        {
            "ppq": PPQ,
            "alternative": _alt(
                tracks=[
                    {
                        "name": "x",
                        "program": 0,
                        "notes": [{"pitch": 60, "start": -1, "duration": 1, "velocity": 1}],
                    }
                ]
            ),
        },
        422,
        "start",
    ),
    (
        {"ppq": PPQ, "alternative": _alt(tracks=[{"name": "", "program": 0, "notes": []}])},
        422,
        "name",
    ),
    ({"ppq": PPQ}, 422, "alternative"),
    (
        {"ppq": PPQ, "alternative": _alt(chords=[{"tick": BAR, "duration": BAR, "symbol": "G"}])},
        409,
        "overlap",
    ),
]


@pytest.mark.parametrize(("body", "status", "says"), BAD_INSERTS)
async def test_bad_inserts_are_refused_and_change_nothing(
    app: FastAPI, make_client: ClientFactory, body: dict[str, object], status: int, says: str
) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    response = await clients["editor"].post(f"/api/projects/{pid}/suggestions/insert", json=body)
    assert response.status_code == status, response.text
    assert says in response.text
    assert len(await studio_of(app).updates.read_since(pid)) == 1


async def test_insert_keeps_track_names_unique_and_never_touches_notes(
    app: FastAPI, make_client: ClientFactory
) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    alt = _alt(tracks=[{"name": "Lead", "program": 33, "notes": [
        {"pitch": 40, "start": 0, "duration": 240, "velocity": 90}]}])  # fmt: skip
    for _ in range(2):
        response = await clients["editor"].post(
            f"/api/projects/{pid}/suggestions/insert", json={"ppq": PPQ, "alternative": alt}
        )
        assert response.status_code == 201, response.text
    song, _ = await _stored_song(app, pid)
    assert [t.name for t in song.tracks] == ["Lead", "Lead 2", "Lead 3"]
    assert song.tracks[0] == melody_song().tracks[0]


async def test_non_members_and_anonymous(app: FastAPI, make_client: ClientFactory) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    ask = {"kind": "chords"}
    insert = {"ppq": PPQ, "alternative": _alt()}
    out = clients["out"]
    assert (await out.post(f"/api/projects/{pid}/suggestions", json=ask)).status_code == 404
    assert (
        await out.post(f"/api/projects/{pid}/suggestions/insert", json=insert)
    ).status_code == 404
    anonymous = await make_client(app)
    assert (await anonymous.post(f"/api/projects/{pid}/suggestions", json=ask)).status_code == 401
    forged = await clients["viewer"].post(
        f"/api/projects/{pid}/suggestions", json=ask, headers={"X-CSRF-Token": "forged"}
    )
    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "csrf_failed"
    kinds = (await clients["viewer"].get("/api/assist/kinds")).json()
    assert [k["kind"] for k in kinds] == [
        "chords", "progression", "harmony", "melody", "solo", "bass", "drums", "backing",
        "voices",
    ]  # fmt: skip
    assert "rock" in kinds[5]["styles"]
    assert kinds[0]["styles"] == ["bach", "monteverdi", "pop", "rock", "jazz", "blues"]


def _random_value(rng: random.Random) -> object:
    return rng.choice(
        [
            None, True, -1, 0, 1, 3, 7, 256, 257, 2**53, 2**63, -(2**70), 0.5, 1e308,
            float("nan"), "", "x" * 300, "C", "rock", "Lead", "0", [], {}, [1, 2], {"a": 1},
        ]
    )  # fmt: skip


def _fuzzed_ask(rng: random.Random) -> dict[str, object]:
    body: dict[str, object] = {"kind": rng.choice([*kinds(), "nope", 3, None])}
    for field in ("start_bar", "bars", "track", "style", "temperature", "seed", "alternatives"):
        if rng.random() < 0.5:
            body[field] = _random_value(rng)
    if rng.random() < 0.1:
        body[rng.choice(["extra", "kind"])] = _random_value(rng)
    return body


def _fuzzed_alternative(rng: random.Random, alt: dict[str, Any]) -> dict[str, Any]:
    alt = json.loads(json.dumps(alt))
    for _ in range(rng.randint(1, 3)):
        target: Any = alt
        path: list[Any] = rng.choice(
            [["kind"], ["tracks"], ["chords"], ["start_tick"], ["tracks", 0, "program"],
             ["tracks", 0, "notes", 0, "pitch"], ["tracks", 0, "notes", 0, "start"],
             ["tracks", 0, "name"], ["tracks", 0, "notes"]]
        )  # fmt: skip
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = _random_value(rng)
        except (IndexError, KeyError, TypeError):
            continue
    return alt


async def test_fuzzed_requests_never_get_a_server_error(
    app: FastAPI, make_client: ClientFactory
) -> None:
    pid, clients = await _project(app, make_client, melody_song())
    rng = random.Random(1234)
    client = clients["editor"]
    for _ in range(120):
        body = _fuzzed_ask(rng)
        response = await client.post(
            f"/api/projects/{pid}/suggestions",
            content=json.dumps(body),  # NaN included, as Python's JSON reader takes it
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code < 500, (body, response.text)
        if response.status_code >= 400:
            assert set(response.json()["error"]) >= {"code", "message"}
    base: dict[str, Any] = (
        await client.post(
            f"/api/projects/{pid}/suggestions", json={"kind": "bass", "seed": 1, "bars": 1}
        )
    ).json()["alternatives"][0]
    for _ in range(60):
        alt = _fuzzed_alternative(rng, base)
        response = await client.post(
            f"/api/projects/{pid}/suggestions/insert",
            content=json.dumps({"ppq": rng.choice([PPQ, PPQ, 0, 96]), "alternative": alt}),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code < 500, (alt, response.text)
    song, _ = await _stored_song(app, pid)
    assert song.tracks[0] == melody_song().tracks[0]  # whatever went in, the tune is intact


def test_the_server_loads_the_models_only_when_asked() -> None:
    code = "import sys, bandmate.server.app; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"
