"""Analysis of a symbolic song: key, chords, note density, range and a mood estimate.

The key is Krumhansl–Schmuckler on the notes' durations
(:func:`bandmate.assist.keyfind.key_scores`), unless the song states one (it is then
reported with the estimate as runner-up where they differ). Chords come from the chord
lane; a song without one gets a chord per bar from the same templates and smoothing that
the audio analysis uses, fed with the bar's pitch-class durations (the lowest notes as
the bass). The mood is the same heuristic as for audio
(:func:`bandmate.listen.mood.estimate_mood`), with loudness read from velocities and
brightness from the register of the notes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from bandmate.assist.keyfind import key_scores, song_pitch_weights
from bandmate.listen import tonal
from bandmate.listen.errors import ListenError
from bandmate.listen.mood import Mood, estimate_mood
from bandmate.music.pitch import midi_to_name
from bandmate.music.song import Song
from bandmate.music.time import TempoMap


@dataclass(frozen=True, slots=True)
class SongChord:
    """A chord on a span of the song.

    Attributes:
        bar: The bar it starts in (from 1, as musicians count).
        start: Start, seconds.
        end: End, seconds.
        symbol: Lead-sheet symbol (``Am7``, ``G``).
        stated: True when it comes from the song's chord lane, False when estimated.
    """

    bar: int
    start: float
    end: float
    symbol: str
    stated: bool


@dataclass(frozen=True, slots=True)
class SongAnalysis:
    """What the listener reads from a song's notes.

    Attributes:
        title: The song's title.
        key: Best key (``"A minor"``).
        key_confidence: 0..1, margin of the best key over the runner-up.
        key_runner_up: Second key.
        key_stated: The key the song states, or ``None``.
        bpm: First tempo.
        meter: First meter (``"3/4"``).
        seconds: Duration.
        notes: Pitched notes (drums excluded).
        notes_per_second: Pitched notes per second.
        lowest: Lowest pitched note (``"E2"``), or ``None``.
        highest: Highest pitched note, or ``None``.
        chords: The chord timeline.
        mood: Valence/arousal heuristic.
    """

    title: str
    key: str
    key_confidence: float
    key_runner_up: str
    key_stated: str | None
    bpm: float
    meter: str
    seconds: float
    notes: int
    notes_per_second: float
    lowest: str | None
    highest: str | None
    chords: tuple[SongChord, ...]
    mood: Mood

    def to_json(self) -> str:
        """The analysis as JSON text."""
        return json.dumps(asdict(self), separators=(",", ":"), allow_nan=False)


def analyze_song(song: Song) -> SongAnalysis:
    """Analyze a symbolic song.

    Args:
        song: The song.

    Returns:
        The analysis.

    Raises:
        ListenError: for a song with no notes and no chords.
    """
    if song.end_tick == 0:
        raise ListenError(f"song {song.title!r} has no notes and no chords to analyze")
    tempo_map = TempoMap.from_song(song)
    seconds = tempo_map.ticks_to_seconds(song.end_tick)
    weights = song_pitch_weights(song)
    ranked = sorted(key_scores(weights).items(), key=lambda item: -item[1])
    best, runner = ranked[0], ranked[1]
    pitched = [n for t in song.tracks if not t.instrument.drums for n in t.notes]
    velocities = [n.velocity for t in song.tracks for n in t.notes]
    chords = _stated_chords(song, tempo_map) if song.chords else _estimated_chords(song, tempo_map)
    best_major = max(v for k, v in ranked if k.mode == "major")
    best_minor = max(v for k, v in ranked if k.mode == "minor")
    mean_pitch = float(np.mean([n.pitch for n in pitched])) if pitched else 60.0
    onsets = {n.start for t in song.tracks for n in t.notes}
    on_beat = sum(1 for tick in onsets if tick % song.ppq == 0) / max(len(onsets), 1)
    mood = estimate_mood(
        major=float(np.tanh(4.0 * (best_major - best_minor))),
        bpm=song.tempos[0].bpm,
        energy=float(np.mean(velocities)) / 127.0 if velocities else 0.0,
        # A note's brightness is about its fundamental and first partials: ~3x the pitch.
        brightness_hz=3.0 * 440.0 * 2 ** ((mean_pitch - 69) / 12),
        rhythm_strength=on_beat,
    )
    return SongAnalysis(
        title=song.title,
        key=str(best[0]),
        key_confidence=round(min(1.0, max(0.0, (best[1] - runner[1]) * 5.0)), 4),
        key_runner_up=str(runner[0]),
        key_stated=str(song.key) if song.key else None,
        bpm=song.tempos[0].bpm,
        meter=str(song.meters[0]),
        seconds=round(seconds, 4),
        notes=len(pitched),
        notes_per_second=round(len(pitched) / seconds, 4) if seconds > 0 else 0.0,
        lowest=midi_to_name(min(n.pitch for n in pitched)) if pitched else None,
        highest=midi_to_name(max(n.pitch for n in pitched)) if pitched else None,
        chords=chords,
        mood=mood,
    )


def _stated_chords(song: Song, tempo_map: TempoMap) -> tuple[SongChord, ...]:
    return tuple(
        SongChord(
            bar=tempo_map.bar_at(event.tick),
            start=round(tempo_map.ticks_to_seconds(event.tick), 4),
            end=round(tempo_map.ticks_to_seconds(event.end), 4),
            symbol=str(event.chord),
            stated=True,
        )
        for event in song.chords
    )


def _estimated_chords(song: Song, tempo_map: TempoMap) -> tuple[SongChord, ...]:
    bars = tempo_map.bar_count(song.end_tick)
    treble = np.zeros((bars, 12))
    bass = np.zeros((bars, 12))
    # Bars count from 1 in the tempo map; row ``i`` here is bar ``i + 1``.
    starts = [tempo_map.bar_start_tick(b + 1) for b in range(bars)] + [song.end_tick]
    for track in song.tracks:
        if track.instrument.drums:
            continue
        for note in track.notes:
            first = tempo_map.bar_at(note.start) - 1
            last = tempo_map.bar_at(max(note.end - 1, note.start)) - 1
            for bar in range(first, min(bars, last + 1)):
                overlap = min(note.end, starts[bar + 1]) - max(note.start, starts[bar])
                if overlap <= 0:
                    continue
                treble[bar, note.pitch % 12] += overlap
                if note.pitch < 55:
                    bass[bar, note.pitch % 12] += overlap
    labels = tonal.decode_chords(treble, bass)
    out: list[SongChord] = []
    for bar, (root, quality) in enumerate(labels):
        symbol = tonal.chord_symbol(root, quality)
        start = round(tempo_map.ticks_to_seconds(starts[bar]), 4)
        end = round(tempo_map.ticks_to_seconds(starts[bar + 1]), 4)
        if out and out[-1].symbol == symbol:
            out[-1] = SongChord(out[-1].bar, out[-1].start, end, symbol, False)
        elif root >= 0:
            out.append(SongChord(bar + 1, start, end, symbol, False))
    return tuple(out)
