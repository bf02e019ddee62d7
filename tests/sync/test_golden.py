"""Golden tests against the real yjs library: updates made by yjs read in pycrdt, and back.

The yjs side is ``web/src/doc/peer.mjs`` (run with node; yjs comes from ``web/node_modules``,
so run ``npm ci`` in ``web/`` first). The captured updates in ``fixtures/`` pin the wire
format even without node; ``test_fixtures_are_what_yjs_makes_today`` regenerates them live
and fails if yjs (or the golden song) changed.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc

from bandmate.music import (
    ChordEvent,
    Instrument,
    Key,
    MeterChange,
    Note,
    Section,
    Song,
    TempoChange,
    Track,
    parse_chord,
)
from bandmate.sync import (
    add_notes,
    apply_update,
    doc_to_json,
    doc_to_song,
    encode_diff,
    encode_state,
    encode_state_vector,
    notes_of,
    remove_track,
    set_meta,
    set_note,
    set_track,
    song_to_doc,
    track_ids,
)
from bandmate.sync.schema import MAX_SAFE_INTEGER

WEB = Path(__file__).resolve().parents[2] / "web"
PEER = WEB / "src" / "doc" / "peer.mjs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_NAMES = ("song.bin", "concurrent-a.bin", "concurrent-b.bin")

GOLDEN = Song(
    title="Golden Hour — café",
    ppq=480,
    key=Key("F#", "minor"),
    tempos=(TempoChange(0, 96.0), TempoChange(1920, 100.5)),
    meters=(MeterChange(0, 4, 4), MeterChange(7680, 3, 4)),
    tracks=(
        Track(
            "Keys",
            Instrument(4),
            (
                Note(66, 0, 480, 90),
                Note(69, 0, 480, 80),
                Note(73, 0, 480, 80),
                Note(64, 480, 240, 70),
            ),
            volume=96,
            pan=-20,
        ),
        Track(
            "Bass",
            Instrument(33),
            (Note(42, 0, 960, 100), Note(40, 960, 960, 100), Note(42, 1920, 1920, 112)),
            volume=110,
            solo=True,
        ),
        Track(
            "Drums",
            Instrument(0, drums=True),
            (
                Note(36, 0, 120, 127),
                Note(42, 0, 60, 90),
                Note(42, 240, 60, 64),
                Note(38, 480, 120, 110),
            ),
            pan=10,
            mute=True,
        ),
    ),
    chords=(
        ChordEvent(0, 1920, parse_chord("F#m")),
        ChordEvent(1920, 960, parse_chord("D/F#")),
        ChordEvent(2880, 960, parse_chord("C#7(b9)")),
    ),
    sections=(Section(0, "Intro"), Section(3840, "Verse")),
)


def _replace_track(song: Song, index: int, track: Track) -> Song:
    tracks = list(song.tracks)
    tracks[index] = track
    return Song(
        song.title,
        song.ppq,
        song.tempos,
        song.meters,
        song.key,
        tuple(tracks),
        song.chords,
        song.sections,
    )


def _merged_fixtures() -> Song:
    """GOLDEN after concurrent-a (client 2001) and concurrent-b (client 2002).

    Both set the first Keys note's pitch and start; of concurrent writes to one key Yjs
    keeps the one from the higher client id, so b's (67, 240) wins, with b's velocity.
    """
    keys, bass, _ = GOLDEN.tracks
    keys_notes = (Note(67, 240, 480, 101), *keys.notes[1:])
    bass_notes = tuple(n for n in bass.notes if n != Note(40, 960, 960, 100))
    song = _replace_track(GOLDEN, 0, Track(**{**_fields(keys), "notes": keys_notes}))
    song = _replace_track(song, 1, Track(**{**_fields(bass), "notes": bass_notes}))
    return Song(
        "Golden Hour (A)",
        song.ppq,
        (TempoChange(0, 98.0), *song.tempos[1:]),
        song.meters,
        song.key,
        song.tracks,
        (*song.chords, ChordEvent(3840, 960, parse_chord("Bm7"))),
        song.sections,
    )


def _fields(track: Track) -> dict[str, Any]:
    return {name: getattr(track, name) for name in Track.__dataclass_fields__}


def _node(command: str, *args: str, stdin: str = "") -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node is not on PATH: the golden tests need Node 20+ (see docs/song-document.md)"
        )
    if not (WEB / "node_modules" / "yjs").is_dir():
        pytest.fail("web/node_modules/yjs is missing: run `npm ci` in web/")
    result = subprocess.run(
        [node, str(PEER), command, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"peer.mjs {command} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def _b64(update: bytes) -> str:
    return base64.b64encode(update).decode("ascii")


def _doc_from(*updates: bytes, client_id: int = 3001) -> Doc[Any]:
    doc: Doc[Any] = Doc(client_id=client_id)
    for update in updates:
        apply_update(doc, update)
    return doc


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _tracks_json(doc: Doc[Any]) -> dict[str, dict[str, Any]]:
    tracks = doc_to_json(doc)["tracks"]
    assert all(isinstance(t, dict) for t in tracks.values())
    return {key: value for key, value in tracks.items() if isinstance(value, dict)}


def _find(doc: Doc[Any], track_name: str, pitch: int, start: int) -> tuple[str, str]:
    for track_id in track_ids(doc):
        if _tracks_json(doc)[track_id]["name"] != track_name:
            continue
        for note_id, note in notes_of(doc, track_id).items():
            if (note.pitch, note.start) == (pitch, start):
                return track_id, note_id
    raise AssertionError(f"no note {pitch}@{start} in {track_name}")


# ------------------------------------------------------------------ fixtures (no node needed)


def test_the_golden_fixture_reads_as_the_golden_song() -> None:
    doc = _doc_from(_fixture("song.bin"))
    assert doc_to_song(doc) == GOLDEN
    positions = {t["name"]: t["position"] for t in _tracks_json(doc).values()}
    assert positions == {"Keys": [-1.5, 0, 2], "Bass": [0, 0, 0], "Drums": [0, 0, 0]}


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_concurrent_fixtures_merge_in_any_order(order: tuple[str, str]) -> None:
    updates = [_fixture(f"concurrent-{name}.bin") for name in order]
    doc = _doc_from(_fixture("song.bin"), *updates)
    assert doc_to_song(doc) == _merged_fixtures()


# ------------------------------------------------------------------ live, with node and yjs


def test_fixtures_are_what_yjs_makes_today(tmp_path: Path) -> None:
    _node("fixtures", str(tmp_path))
    for name in FIXTURE_NAMES:
        assert (tmp_path / name).read_bytes() == _fixture(name), (
            f"{name} changed: see fixtures/README.md"
        )


def test_a_song_built_by_yjs_reads_as_the_golden_song() -> None:
    update = base64.b64decode(_node("build"))
    assert doc_to_song(_doc_from(update)) == GOLDEN


ODD = Song(
    title="",
    ppq=1,
    tempos=(TempoChange(0, 123.456789012345), TempoChange(MAX_SAFE_INTEGER, 1.0)),
    tracks=(
        Track(
            "ünï — 🎹",
            Instrument(127, drums=True),
            (Note(127, MAX_SAFE_INTEGER, MAX_SAFE_INTEGER, 127),),
        ),
        Track("", volume=0, pan=-64),
        Track("\x00\n\"'\\", volume=127, pan=63),
    ),
    chords=(ChordEvent(0, 1, parse_chord("Bbmaj9(#11)/Ab")), ChordEvent(0, 2, parse_chord("C6/9"))),
    sections=(Section(5, "b"), Section(5, "a")),
)


@pytest.mark.parametrize("song", [GOLDEN, ODD, Song()], ids=["golden", "odd", "empty"])
def test_yjs_reads_what_pycrdt_writes(song: Song) -> None:
    doc = song_to_doc(song, rng=random.Random(11))
    seen = json.loads(_node("decode", stdin=_b64(encode_state(doc))))
    assert seen == doc_to_json(doc)
    assert doc_to_song(_doc_from(encode_state(doc))) == song


def test_yjs_applies_pycrdt_edits() -> None:
    doc = _doc_from(_fixture("song.bin"))
    before = encode_state_vector(doc)
    keys, note = _find(doc, "Keys", 64, 480)
    set_note(doc, keys, note, start=720, velocity=33)
    add_notes(doc, keys, [Note(76, 960, 480)], rng=random.Random(3))
    set_track(doc, keys, volume=12, position=(0.5, 1.0, -3.25))
    remove_track(doc, _find(doc, "Drums", 36, 0)[0])
    set_meta(doc, title="Edited in Python", key=None)
    diff = encode_diff(doc, before)
    runs = [[_b64(_fixture("song.bin")), _b64(diff)]]
    (seen,) = json.loads(_node("merge", stdin=json.dumps({"runs": runs})))
    assert seen == doc_to_json(doc)


def test_concurrent_edits_in_yjs_and_pycrdt_converge() -> None:
    base = base64.b64decode(_node("build"))
    python = _doc_from(base, client_id=3001)
    before = encode_state_vector(python)
    keys, note = _find(python, "Keys", 66, 0)
    _, other = _find(python, "Keys", 73, 0)
    bass, _ = _find(python, "Bass", 42, 0)

    def yjs_edit(client: int, ops: list[list[object]]) -> bytes:
        request = {"base": _b64(base), "client": client, "ops": ops}
        return base64.b64decode(json.loads(_node("edit", stdin=json.dumps(request)))["update"])

    # Two yjs clients and pycrdt all move the same note at once, and do other things.
    a = yjs_edit(
        2001,
        [["setNote", keys, note, {"pitch": 68, "start": 120}], ["setTrack", bass, {"pan": -30}]],
    )
    b = yjs_edit(
        2002, [["setNote", keys, note, {"pitch": 67, "start": 240}], ["removeNote", keys, other]]
    )
    set_note(python, keys, note, start=360, duration=960)
    set_track(python, bass, volume=70)
    add_notes(python, bass, [Note(30, 0, 10)], rng=random.Random(4))
    mine = encode_diff(python, before)
    apply_update(python, a)
    apply_update(python, b)

    runs = [[base, a, b, mine], [base, mine, b, a], [base, b, mine, a], [base, a, mine, b]]
    seen = json.loads(
        _node("merge", stdin=json.dumps({"runs": [[_b64(u) for u in r] for r in runs]}))
    )
    assert all(state == doc_to_json(python) for state in seen)
    # Different fields all win; of concurrent writes to one field, the higher client id's.
    assert notes_of(python, keys)[note] == Note(67, 360, 960, 90)
    assert other not in notes_of(python, keys)
    song = doc_to_song(python)
    assert (song.tracks[1].volume, song.tracks[1].pan) == (70, -30)
