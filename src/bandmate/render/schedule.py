"""From a :class:`~bandmate.music.song.Song` to MIDI channel events at sample positions.

The synthesizer has 16 MIDI channels. Every audible track gets a channel of
its own, drums preferring channel 10 (index 9) as General MIDI does; a song
with more than 16 audible tracks is split into *passes* of at most 16 tracks
that are rendered one after the other and summed, so no two tracks ever share
a channel's volume, pan or note-offs.

Times are converted from ticks to samples through the song's tempo changes and
rounded to the nearest sample, so events are sample-accurate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bandmate.errors import RenderError
from bandmate.music.song import Song, Track

CHANNELS = 16
"""MIDI channels one synthesizer pass has."""

DRUM_CHANNEL = 9
"""General MIDI's channel 10, counted from 0."""

NOTE_OFF = 0
NOTE_ON = 1
"""Event kinds; offs sort before ons at the same sample so repeated notes retrigger."""

_DRUM_ORDER = (DRUM_CHANNEL, *range(DRUM_CHANNEL), *range(DRUM_CHANNEL + 1, CHANNELS))
_MELODIC_ORDER = (*range(DRUM_CHANNEL), *range(DRUM_CHANNEL + 1, CHANNELS), DRUM_CHANNEL)


@dataclass(frozen=True, slots=True)
class ChannelSetup:
    """How one MIDI channel is set up before a pass starts.

    Attributes:
        channel: The MIDI channel, 0..15.
        program: The General MIDI program (or drum kit when ``drums``), 0..127.
        drums: Whether the channel plays the percussion bank (SoundFont bank 128).
        volume: MIDI CC 7 value, 0..127.
        pan: MIDI CC 10 value, 0 (hard left) .. 64 (centre) .. 127 (hard right).
        track: The name of the track it plays, for error messages.
    """

    channel: int
    program: int
    drums: bool
    volume: int
    pan: int
    track: str


@dataclass(frozen=True, slots=True)
class RenderPass:
    """Up to 16 tracks rendered together by one synthesizer run.

    Attributes:
        channels: The channel setups of the pass.
        events: Note events sorted by time, one row each:
            ``(sample, kind, channel, key, velocity)`` with ``kind`` :data:`NOTE_OFF`
            or :data:`NOTE_ON` [shape=(n_events, 5), dtype=int64].
    """

    channels: tuple[ChannelSetup, ...]
    events: npt.NDArray[np.int64]


def audible_tracks(song: Song) -> tuple[Track, ...]:
    """Return the tracks that sound: not muted, and soloed when any track is.

    Tracks without notes or at volume 0 are left out too: they add nothing.

    Args:
        song: The song.

    Returns:
        The audible tracks in song order.
    """
    soloing = any(t.solo for t in song.tracks)
    return tuple(
        t
        for t in song.tracks
        if not t.mute and (t.solo or not soloing) and t.notes and t.volume > 0
    )


def ticks_to_seconds(song: Song, ticks: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Convert tick positions to seconds through the song's tempo changes.

    Args:
        song: The song whose ``ppq`` and ``tempos`` apply.
        ticks: Tick positions, any shape.

    Returns:
        Seconds from the song's start [shape=ticks.shape].
    """
    change_ticks = np.array([t.tick for t in song.tempos], dtype=np.float64)
    seconds_per_tick = np.array([60.0 / (t.bpm * song.ppq) for t in song.tempos])
    # Seconds at each tempo change: the sum of the spans before it.
    spans = np.diff(change_ticks) * seconds_per_tick[:-1]
    change_seconds = np.concatenate(([0.0], np.cumsum(spans)))
    at = np.asarray(ticks, dtype=np.float64)
    index = np.searchsorted(change_ticks, at, side="right") - 1
    seconds: npt.NDArray[np.float64] = (
        change_seconds[index] + (at - change_ticks[index]) * seconds_per_tick[index]
    )
    return seconds


def song_seconds(song: Song) -> float:
    """The song's length in seconds: where its last note or chord ends."""
    return float(ticks_to_seconds(song, song.end_tick))


def _track_events(
    song: Song, track: Track, channel: int, sample_rate: int
) -> npt.NDArray[np.int64]:
    starts = np.array([n.start for n in track.notes], dtype=np.int64)
    ends = starts + np.array([n.duration for n in track.notes], dtype=np.int64)
    on = np.rint(ticks_to_seconds(song, starts) * sample_rate).astype(np.int64)
    off = np.rint(ticks_to_seconds(song, ends) * sample_rate).astype(np.int64)
    # A note shorter than half a sample still sounds: its off must follow its on.
    off = np.maximum(off, on + 1)
    keys = np.array([n.pitch for n in track.notes], dtype=np.int64)
    velocities = np.array([n.velocity for n in track.notes], dtype=np.int64)
    count = len(track.notes)
    events = np.empty((2 * count, 5), dtype=np.int64)
    events[:count] = np.column_stack(
        (on, np.full(count, NOTE_ON), np.full(count, channel), keys, velocities)
    )
    events[count:] = np.column_stack(
        (off, np.full(count, NOTE_OFF), np.full(count, channel), keys, np.zeros(count))
    )
    return events


def _assign_channels(tracks: tuple[Track, ...]) -> list[int]:
    used: set[int] = set()
    channels = [-1] * len(tracks)
    # Drums choose first so that they get channel 10 whenever a pass has drums.
    order = sorted(range(len(tracks)), key=lambda i: not tracks[i].instrument.drums)
    for i in order:
        preference = _DRUM_ORDER if tracks[i].instrument.drums else _MELODIC_ORDER
        channels[i] = next(c for c in preference if c not in used)
        used.add(channels[i])
    return channels


def schedule_song(song: Song, *, sample_rate: int) -> tuple[tuple[RenderPass, ...], int]:
    """Plan the rendering of a song.

    Args:
        song: The song to render.
        sample_rate: Output sample rate in Hz.

    Returns:
        The passes (none when nothing is audible) and the song's end in samples.

    Raises:
        RenderError: When the song is empty (``song.end_tick == 0``): there is
            nothing to render, not even a length of silence.
    """
    if song.end_tick == 0:
        raise RenderError(f"song {song.title!r} is empty (end_tick=0): nothing to render")
    end_sample = round(song_seconds(song) * sample_rate)
    tracks = audible_tracks(song)
    passes = []
    for first in range(0, len(tracks), CHANNELS):
        group = tracks[first : first + CHANNELS]
        channels = _assign_channels(group)
        setups = tuple(
            ChannelSetup(
                channel=c,
                program=t.instrument.program,
                drums=t.instrument.drums,
                volume=t.volume,
                pan=t.pan + 64,
                track=t.name,
            )
            for t, c in zip(group, channels, strict=True)
        )
        events = np.concatenate(
            [_track_events(song, t, c, sample_rate) for t, c in zip(group, channels, strict=True)]
        )
        # Sort by sample, then offs before ons, then channel and key for determinism.
        order = np.lexsort((events[:, 3], events[:, 2], events[:, 1], events[:, 0]))
        passes.append(RenderPass(channels=setups, events=events[order]))
    return tuple(passes), end_sample
