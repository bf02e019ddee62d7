"""Rendering a song to stereo audio with Bandmate's own SoundFont synthesizer.

The song becomes sorted note events at sample positions
(:mod:`bandmate.render.schedule`); the SoundFont is read once per process
(:mod:`bandmate.render.sf2`, :mod:`bandmate.render.zones`) and every pass of
events plays on a pool of voices rendered in C (:mod:`bandmate.render.voice`)
straight into one numpy buffer, one block from each event to the next, so
timing is exact to the sample and no Python code runs per sample.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from bandmate.errors import RenderError
from bandmate.music.song import Song
from bandmate.render.schedule import schedule_song
from bandmate.render.soundfont import find_soundfont
from bandmate.render.voice import render_pass
from bandmate.render.zones import load_soundfont

MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 192_000
MAX_TAIL_SECONDS = 30.0
SILENCE_DBFS = -90.0
"""The release tail ends where the mix stays below this level."""

ProgressCallback = Callable[[float, float], object]
"""Called as ``progress(done_seconds, total_seconds)``; raise from it to cancel."""

_FADE_SECONDS = 0.010


def check_sample_rate(sample_rate: object) -> int:
    """Check an output sample rate.

    Args:
        sample_rate: The rate in Hz.

    Returns:
        The rate as a plain ``int`` (NumPy integers are accepted).

    Raises:
        RenderError: Unless it is an integer in 8000..192000.
    """
    rate = (
        int(sample_rate)
        if not isinstance(sample_rate, bool) and isinstance(sample_rate, numbers.Integral)
        else None
    )
    if rate is None or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise RenderError(
            f"sample_rate={sample_rate!r} must be an integer "
            f"in {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE}"
        )
    return rate


def render_song(
    song: Song,
    *,
    sample_rate: int = 44_100,
    soundfont: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
    tail_seconds: float = 1.0,
) -> npt.NDArray[np.float32]:
    """Render a song to stereo audio.

    Every audible track (see :func:`~bandmate.render.schedule.audible_tracks`:
    mute and solo apply) plays its General MIDI program on a channel of its
    own, drums on channel 10 from the SoundFont's percussion bank, with the
    track's volume as CC 7 and its pan as CC 10. Nothing is normalized: the
    level is the SoundFont's, and a dense mix may exceed 1.0.

    Args:
        song: The song to render. A song whose ``end_tick`` is 0 (no notes, no
            chords) is an error, not a zero-length buffer.
        sample_rate: Output rate in Hz, 8000..192000.
        soundfont: A SoundFont 2 file; ``None`` searches as
            :func:`~bandmate.render.soundfont.find_soundfont` does.
        progress: Called as ``progress(done_seconds, total_seconds)`` about
            every second of rendered audio and once at the end, where
            ``total_seconds`` is the song plus ``tail_seconds``. Raising from it
            cancels the render.
        tail_seconds: The longest release tail after the song's end, 0..30 s.
            The tail stops early where the mix falls below -90 dBFS for good;
            a tail cut at this limit while still sounding fades out over 10 ms.

    Returns:
        audio : np.ndarray [shape=(n, 2), dtype=float32]
            Left and right channels, where ``n`` is the song's end in samples
            plus the tail (0 to ``tail_seconds * sample_rate`` samples).

    Raises:
        RenderError: On a bad sample rate, tail, SoundFont or empty song.
    """
    sample_rate = check_sample_rate(sample_rate)
    if not 0.0 <= tail_seconds <= MAX_TAIL_SECONDS:
        raise RenderError(f"tail_seconds={tail_seconds} must be in 0..{MAX_TAIL_SECONDS:g}")
    path = find_soundfont(soundfont)
    passes, end_sample = schedule_song(song, sample_rate=sample_rate)
    tail_cap = round(tail_seconds * sample_rate)
    total = end_sample + tail_cap
    report = _Progress(progress, total=total, passes=max(len(passes), 1), sample_rate=sample_rate)
    audio = np.zeros((total, 2), dtype=np.float32)
    if passes:
        font = load_soundfont(path)
        # Later passes render apart and are added whole, so the mix is the sum of the
        # passes' mixes (as if each group of 16 tracks were rendered on its own).
        scratch = np.empty_like(audio) if len(passes) > 1 else audio
        for index, plan in enumerate(passes):
            target = audio if index == 0 else scratch
            if index > 0:
                scratch.fill(0.0)
            hook = report.for_pass(index)
            render_pass(font, plan, target, sample_rate=sample_rate, progress=hook)
            if index > 0:
                audio += scratch
    report.finish()
    return _trim_tail(audio, end_sample, sample_rate)


def _trim_tail(
    audio: npt.NDArray[np.float32], end_sample: int, sample_rate: int
) -> npt.NDArray[np.float32]:
    threshold = 10.0 ** (SILENCE_DBFS / 20.0)
    tail = audio[end_sample:]
    loud = np.flatnonzero(np.max(np.abs(tail), axis=1) >= threshold)
    keep = int(loud[-1]) + 1 if loud.size else 0
    if keep and keep == len(tail):
        # Cut while still sounding: fade out rather than click.
        fade = min(keep, round(_FADE_SECONDS * sample_rate))
        tail[keep - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    return audio[: end_sample + keep]


class _Progress:
    """Turns sample positions of each pass into ``progress(done, total)`` seconds."""

    def __init__(
        self, callback: ProgressCallback | None, *, total: int, passes: int, sample_rate: int
    ) -> None:
        self._callback = callback
        self._total = total
        self._passes = passes
        self._sample_rate = sample_rate
        self._next = 0
        self._done = -1.0

    def for_pass(self, index: int) -> Callable[[int], None]:
        """Return the hook that one pass calls with its position in samples."""

        def hook(position: int) -> None:
            done = index * self._total + position
            if self._callback is not None and done >= self._next:
                # Seconds of the final mix: passes run over the same time span.
                self._done = done / self._passes / self._sample_rate
                self._callback(self._done, self.total_seconds)
                self._next = done + self._passes * self._sample_rate

        return hook

    @property
    def total_seconds(self) -> float:
        return self._total / self._sample_rate

    def finish(self) -> None:
        """Report completion."""
        if self._callback is not None and self._done < self.total_seconds:
            self._callback(self.total_seconds, self.total_seconds)
