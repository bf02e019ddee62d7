"""Mixing a song's audio clips (recorded stems) into its rendered notes.

A clip names a recording by its blob digest; the caller says how to read one
(:data:`StemLoader`, e.g. :meth:`bandmate.store.blobs.BlobStore.get`). Each recording is
decoded once with PyAV (WebM/Ogg Opus or WAV), resampled to the output rate as stereo,
and added at its clip's place: the clip's start tick on the song's tempo map, with the
clip's ``offset`` (ticks at the tempo at its start) skipped from the recording's head.
The track's mute and solo apply as they do to notes; its volume follows the same concave
curve as the synthesizer's CC 7 (``(volume / 127) ** 2``) and its pan the same
constant-power law, centred at unity gain.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from bandmate.errors import RenderError
from bandmate.music.song import AudioClip, Song, Track
from bandmate.music.time import TempoMap

StemLoader = Callable[[str], bytes]
"""Returns the bytes of the recording whose SHA-256 is the argument."""

Audio = npt.NDArray[np.float32]


def decode_stem(data: bytes, *, sample_rate: int) -> Audio:
    """Decode a recording to stereo float at ``sample_rate``.

    Args:
        data: WebM or Ogg with Opus, or WAV (what :func:`bandmate.jam.stem.sniff_stem` lets in).
        sample_rate: The output rate in Hz.

    Returns:
        audio : np.ndarray [shape=(n, 2), dtype=float32]

    Raises:
        RenderError: PyAV is not installed, or the bytes do not decode.
    """
    try:
        import av
    except ImportError as exc:  # pragma: no cover - a runtime dependency
        raise RenderError("decoding audio clips needs PyAV: pip install av") from exc
    chunks: list[npt.NDArray[np.float32]] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise RenderError("a clip's recording holds no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=sample_rate)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().astype(np.float32, copy=False))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().astype(np.float32, copy=False))
    except av.FFmpegError as exc:
        raise RenderError(f"a clip's recording does not decode: {exc}") from exc
    if not chunks:
        return np.zeros((0, 2), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(chunks, axis=1).T)


def track_gains(track: Track) -> tuple[float, float]:
    """Left and right gains of a track's clips: its volume and pan, centre at unity."""
    level = (track.volume / 127.0) ** 2
    angle = (track.pan + 64) / 128.0 * (math.pi / 2.0)
    return level * math.cos(angle) * math.sqrt(2.0), level * math.sin(angle) * math.sqrt(2.0)


def clip_span(song: Song, clip: AudioClip, *, sample_rate: int) -> tuple[int, int]:
    """Where a clip starts in the output and how much of its recording it skips, in samples."""
    tempo = TempoMap.from_song(song)
    start_s = tempo.ticks_to_seconds(clip.start)
    skip_s = tempo.ticks_to_seconds(clip.start + clip.offset) - start_s
    return round(start_s * sample_rate), round(skip_s * sample_rate)


def audible_clips(song: Song) -> list[tuple[Track, AudioClip]]:
    """The clips of the tracks that sound (mute and solo as for notes), in track order."""
    # As :func:`bandmate.render.schedule.audible_tracks` decides for notes.
    soloing = any(t.solo for t in song.tracks)
    return [
        (t, c)
        for t in song.tracks
        if not t.mute and (t.solo or not soloing) and t.volume > 0
        for c in t.clips
    ]


def mix_clips(audio: Audio, song: Song, load: StemLoader, *, sample_rate: int) -> Audio:
    """Add a song's audible clips to ``audio`` (the rendered notes, from sample 0).

    Args:
        audio: np.ndarray [shape=(n, 2), dtype=float32], the notes as rendered.
        song: The song whose clips to add.
        load: Reads a recording by its digest.
        sample_rate: The rate of ``audio``, Hz.

    Returns:
        The mix: ``audio`` itself when no clip sounds, else a buffer long enough for
        both the notes and every clip's end.

    Raises:
        RenderError: A recording that cannot be read or decoded.
    """
    clips = audible_clips(song)
    if not clips:
        return audio
    decoded: dict[str, Audio] = {}
    placed: list[tuple[int, Audio, tuple[float, float]]] = []
    for track, clip in clips:
        if clip.blob not in decoded:
            try:
                data = load(clip.blob)
            except Exception as exc:  # the loader's own errors (missing, corrupt blob)
                raise RenderError(f"the recording {clip.blob[:12]}… does not read: {exc}") from exc
            decoded[clip.blob] = decode_stem(data, sample_rate=sample_rate)
        start, skip = clip_span(song, clip, sample_rate=sample_rate)
        samples = decoded[clip.blob][skip:]
        if len(samples):
            placed.append((start, samples, track_gains(track)))
    end = max([len(audio), *(start + len(s) for start, s, _ in placed)])
    out = audio if end == len(audio) else np.zeros((end, 2), dtype=np.float32)
    if out is not audio:
        out[: len(audio)] = audio
    for start, samples, (left, right) in placed:
        region = out[start : start + len(samples)]
        region += samples * np.array([left, right], dtype=np.float32)
    return out
