"""MIDI parse + export: bandmate against pretty_midi and mido, side by side.

Builds a song of 8 tracks x 1,500 notes (12,000 notes) with 40 tempo changes,
writes it with bandmate's writer, then times reading those bytes and writing
them back out with each library (warm-up, then the median of repeated runs,
all in this process). Ratios are theirs / ours: above 1 means bandmate is
faster. Run with ``.venv/bin/python bench/midi_io.py``.
"""

from __future__ import annotations

import io
import random
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import mido
import pretty_midi
import symusic

from bandmate.formats.midi import read_midi, write_midi
from bandmate.music.song import Instrument, Note, Song, TempoChange, Track

RUNS = 7
TRACKS = 8
NOTES_PER_TRACK = 1_500


def build_song(seed: int = 1) -> Song:
    """A dense song: 8 tracks (one of them drums), 12,000 notes, 40 tempo changes."""
    rng = random.Random(seed)
    tracks = []
    for k in range(TRACKS):
        notes = tuple(
            Note(rng.randrange(36, 96), i * 120 + rng.randrange(0, 20), rng.randrange(30, 400))
            for i in range(NOTES_PER_TRACK)
        )
        tracks.append(Track(f"Track {k}", Instrument(k * 8, drums=k == TRACKS - 1), notes))
    tempos = tuple(TempoChange(i * 4_800, 90.0 + i) for i in range(40))
    return Song(title="Bench", tempos=tempos, tracks=tuple(tracks))


def median_ms(work: Callable[[], object]) -> float:
    """Median wall time of ``work`` in milliseconds, after one warm-up run."""
    work()
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    """Print the table."""
    data = write_midi(build_song())

    def bandmate_read() -> Song:
        return read_midi(data)

    song = bandmate_read()

    def pm_read() -> pretty_midi.PrettyMIDI:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pretty_midi.PrettyMIDI(io.BytesIO(data))

    pm = pm_read()

    def pm_write() -> None:
        pm.write(io.BytesIO())

    def mido_read() -> mido.MidiFile:
        return mido.MidiFile(file=io.BytesIO(data))

    mf = mido_read()

    def mido_write() -> None:
        mf.save(file=io.BytesIO())

    rows = [
        ("bandmate", median_ms(bandmate_read), median_ms(lambda: write_midi(song))),
        ("bandmate, pure-Python decoder", median_ms(lambda: read_midi(data, fast=False)), None),
        ("pretty_midi", median_ms(pm_read), median_ms(pm_write)),
        ("mido", median_ms(mido_read), median_ms(mido_write)),
    ]
    score: Any = symusic.Score.from_midi(data)  # symusic's stubs miss dumps_midi
    raw = ("symusic alone (no checks, no Song)", median_ms(lambda: symusic.Score.from_midi(data)))
    raw_write = median_ms(lambda: score.dumps_midi())
    ours_read, ours_write = rows[0][1], rows[0][2]
    assert ours_write is not None
    print(
        f"{len(data):,} bytes, {song.note_count:,} notes, {len(song.tracks)} tracks, "
        f"{len(song.tempos)} tempos; median of {RUNS} runs after a warm-up\n"
    )
    print(f"{'library':38} {'parse ms':>9} {'export ms':>10} {'parse x':>8} {'export x':>9}")
    for name, read_ms, write_ms in [*rows, (raw[0], raw[1], raw_write)]:
        write_text = f"{write_ms:10.2f}" if write_ms is not None else f"{'-':>10}"
        write_ratio = f"{write_ms / ours_write:9.2f}" if write_ms is not None else f"{'-':>9}"
        print(f"{name:38} {read_ms:9.2f} {write_text} {read_ms / ours_read:8.2f} {write_ratio}")
    print("\nx = theirs / bandmate's (above 1: bandmate is faster)")


if __name__ == "__main__":
    main()
