"""Fuzzing the MIDI reader: mutated files give a Song or a FormatError, nothing else.

Every mutant is read by both paths (the symusic fast path and the pure-Python
reference decoder), which must agree. A crash of symusic's C++ parser would
take the whole test process down, so a passing run also shows that the
structural checks in front of it hold.
"""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.errors import FormatError
from bandmate.formats.midi import read_midi, write_midi
from bandmate.music.chord import parse_chord
from bandmate.music.song import ChordEvent, Instrument, Note, Section, Song, TempoChange, Track

FIXTURES = Path(__file__).parent / "fixtures"


def _seed_files() -> list[bytes]:
    rng = random.Random(7)
    parts = tuple(
        Track(
            f"t{k}",
            Instrument(rng.randrange(128), drums=k == 2),
            tuple(Note(rng.randrange(30, 90), 60 * i, rng.randrange(1, 200)) for i in range(40)),
        )
        for k in range(3)
    )
    song = Song(
        title="seed",
        tempos=(TempoChange(0, 90.0), TempoChange(960, 140.0)),
        tracks=parts,
        chords=(ChordEvent(0, 480, parse_chord("Am7")), ChordEvent(480, 480, parse_chord("D7"))),
        sections=(Section(0, "A"),),
    )
    files = [p.read_bytes() for p in sorted(FIXTURES.glob("*.mid"))]
    return [*files, write_midi(song), write_midi(song, type=0)]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes((rng.randrange(256),))
    buf = bytearray(data)
    heads = [i for i in range(len(buf) - 8) if bytes(buf[i : i + 4]) in (b"MTrk", b"MThd")]
    kind = rng.randrange(7) if heads else rng.randrange(4)
    if kind == 0:  # bit flips
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    elif kind == 1:  # insertions
        for _ in range(rng.randint(1, 3)):
            buf.insert(
                rng.randrange(len(buf) + 1), rng.choice([0x00, 0x7F, 0x80, 0xF7, 0xFF, 0x90])
            )
    elif kind == 2:  # deletions
        for _ in range(min(rng.randint(1, 3), len(buf))):
            del buf[rng.randrange(len(buf))]
    elif kind == 3:  # truncation
        del buf[rng.randrange(len(buf)) :]
    elif kind == 4:  # a chunk or header length field set to a hostile value
        at = rng.choice(heads) + 4
        value = rng.choice([0, 1, 6, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(1 << 32)])
        buf[at : at + 4] = value.to_bytes(4, "big")
    elif kind == 5:  # a chunk duplicated, sometimes with the track count raised to match
        at = rng.choice(heads)
        size = int.from_bytes(buf[at + 4 : at + 8], "big")
        buf[at:at] = buf[at : at + 8 + size]
        if rng.random() < 0.5:
            buf[10:12] = ((int.from_bytes(buf[10:12], "big") + 1) % 65536).to_bytes(2, "big")
    else:  # a byte set to a value with a meaning
        buf[rng.randrange(len(buf))] = rng.choice([0x00, 0x7F, 0x80, 0xC0, 0xF0, 0xF7, 0xFF])
    return bytes(buf)


def _outcome(data: bytes, fast: bool) -> Song | None:
    try:
        return read_midi(data, fast=fast)
    except FormatError:
        return None


@pytest.mark.slow
def test_mutated_files_give_a_song_or_a_format_error() -> None:
    rng = random.Random(20240601)
    seeds = _seed_files()
    songs = errors = 0
    for _ in range(10_000):
        mutant = _mutate(rng.choice(seeds), rng)
        fast, slow = _outcome(mutant, True), _outcome(mutant, False)
        assert fast == slow, mutant.hex()
        songs += fast is not None
        errors += fast is None
    assert songs > 1_000  # the mutations leave many files readable...
    assert errors > 1_000  # ...and break many others


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_tracks_give_a_song_or_a_format_error(body: bytes) -> None:
    data = b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x60MTrk" + len(body).to_bytes(4, "big") + body
    assert _outcome(data, True) == _outcome(data, False)


HOSTILE = [
    # 1024 tracks declared, each chunk claiming 4 GiB.
    b"MThd\x00\x00\x00\x06\x00\x01\x04\x00\x00\x60" + b"MTrk\xff\xff\xff\xff" * 4,
    # The largest track count the header can state.
    b"MThd\x00\x00\x00\x06\x00\x01\xff\xff\x00\x60MTrk\x00\x00\x00\x00",
    # A header that claims to be 4 GiB long.
    b"MThd\xff\xff\xff\xff\x00\x01\x00\x01\x00\x60",
    # A meta event claiming 256 MiB in a 10-byte chunk.
    b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x60MTrk\x00\x00\x00\x0a\x00\xff\x01\xff\xff\xff\x7f",
]


@pytest.mark.parametrize("data", HOSTILE)
def test_hostile_lengths_are_refused_in_bounded_memory(data: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(FormatError):
            read_midi(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024  # nothing the header claims was allocated


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.mid"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024 + 1)  # sparse: no disk space used
    with pytest.raises(FormatError, match=r"size=67108865 bytes exceeds the limit of 67108864"):
        read_midi(path)
