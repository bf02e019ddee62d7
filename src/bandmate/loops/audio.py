"""Loop audio: a generated loop rendered to a seamless WAV, an upload transformed.

:func:`render_loop` renders a loop's song with Bandmate's SoundFont synthesizer and folds
the release tail (what rings after the last bar) back onto the start, so that the file is
exactly the loop's bars long and repeats without a click or a gap. :func:`transform_file`
decodes an uploaded file within bounds (:func:`bandmate.listen.decode.decode_file`) and
pitch-shifts and time-stretches it (:mod:`bandmate.loops.stretch`).
"""

from __future__ import annotations

import io
import os

import numpy as np
import soundfile
from numpy.typing import NDArray

from bandmate.errors import BandmateError
from bandmate.listen.decode import decode_file
from bandmate.loops.errors import LoopError
from bandmate.loops.stretch import transform
from bandmate.music.song import Song
from bandmate.music.time import TempoMap
from bandmate.render.synth import render_song

SAMPLE_RATE = 44_100
PEAK = 10 ** (-1.0 / 20)
"""Loops are scaled down to at most -1 dBFS when they would clip (never up)."""
MAX_UPLOAD_SECONDS = 120.0
"""Longest upload that is transformed on request, seconds."""


def wav_bytes(audio: NDArray[np.floating], sample_rate: int) -> bytes:
    """16-bit PCM WAV of ``audio`` [shape=(n,) or (n, channels)], scaled to -1 dBFS if
    it would clip."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    scaled = audio * (PEAK / peak) if peak > PEAK else audio
    buffer = io.BytesIO()
    soundfile.write(
        buffer, np.asarray(scaled, dtype=np.float32), sample_rate, "PCM_16", format="WAV"
    )
    return buffer.getvalue()


def wav_seconds(data: bytes) -> float:
    """How long a WAV file lasts, seconds.

    Raises:
        LoopError: for bytes that are not a readable WAV, or one without samples.
    """
    try:
        info = soundfile.info(io.BytesIO(data))
    except (RuntimeError, ValueError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        raise LoopError(f"the audio does not read as WAV: {exc}") from exc
    if info.frames <= 0 or info.samplerate <= 0:
        raise LoopError(f"the audio holds frames={info.frames}: it must hold at least one")
    return float(info.frames) / float(info.samplerate)


def render_loop(song: Song, bars: int, *, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Render a loop song to a WAV exactly ``bars`` bars of its 4/4 long, tail folded in.

    Raises:
        LoopError: when the song cannot be rendered (no SoundFont, no notes).
    """
    seconds = TempoMap.from_song(song).ticks_to_seconds(bars * 4 * song.ppq)
    try:
        audio = render_song(song, sample_rate=sample_rate, tail_seconds=2.0)
    except BandmateError as exc:
        raise LoopError(f"the loop could not be rendered: {exc}") from exc
    length = round(seconds * sample_rate)
    out = np.zeros((length, audio.shape[1]), dtype=np.float32)
    body = audio[:length]
    out[: len(body)] = body
    tail = audio[length:]
    while len(tail):  # what rings past the end sounds again at the start of the next pass
        part = tail[:length]
        out[: len(part)] += part
        tail = tail[length:]
    return wav_bytes(out, sample_rate)


def transform_file(
    path: str | os.PathLike[str], *, semitones: float = 0.0, rate: float = 1.0
) -> bytes:
    """Decode an audio file and return it pitch-shifted and time-stretched, as WAV.

    Args:
        path: A WAV, FLAC, OGG or MP3 file.
        semitones: Pitch shift, -12..12.
        rate: Speed factor, 0.5..2.

    Raises:
        ListenError: for a file that cannot be decoded or is longer than
            :data:`MAX_UPLOAD_SECONDS`.
        LoopError: for a shift or rate out of range.
    """
    decoded = decode_file(path, max_seconds=MAX_UPLOAD_SECONDS)
    return wav_bytes(
        transform(decoded.samples, semitones=semitones, rate=rate), decoded.sample_rate
    )
