"""Bouncing a song to an audio file: render, guard against clipping, write, report."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bandmate.errors import RenderError
from bandmate.music.song import Song
from bandmate.render.clips import StemLoader, audible_clips, mix_clips
from bandmate.render.soundfont import find_soundfont
from bandmate.render.synth import ProgressCallback, check_sample_rate, render_song
from bandmate.render.write import AudioFormat, BitDepth, audio_format, peak_dbfs, write_audio

SAFETY_PEAK_DBFS = -1.0
"""Where a mix that would clip is scaled to: its peak lands at -1 dBFS."""


@dataclass(frozen=True, slots=True)
class RenderResult:
    """What :func:`render_to_file` did.

    Attributes:
        path: The audio file written.
        seconds: Length of the audio in seconds.
        sample_rate: Sample rate in Hz.
        peak_dbfs: Sample peak of the written audio in dBFS (``-inf`` for silence).
        gain_db: Gain applied before writing: 0.0, or negative when the mix
            exceeded full scale and was scaled down to -1 dBFS.
        soundfont: The SoundFont that rendered the song.
        elapsed: Wall-clock seconds for rendering and writing.
        realtime_factor: Audio seconds per wall-clock second (``seconds / elapsed``).
    """

    path: Path
    seconds: float
    sample_rate: int
    peak_dbfs: float
    gain_db: float
    soundfont: Path
    elapsed: float
    realtime_factor: float

    @property
    def scaled(self) -> bool:
        """Whether the mix was scaled down to avoid clipping."""
        return self.gain_db < 0.0

    def describe(self) -> str:
        """A one-line summary for logs and the command line."""
        text = (
            f"{self.path.name}: {self.seconds:.2f} s at {self.sample_rate} Hz, "
            f"peak {self.peak_dbfs:.1f} dBFS, {self.realtime_factor:.0f}x realtime "
            f"({self.soundfont.name})"
        )
        if self.scaled:
            text += f"; the mix would clip and was scaled by {self.gain_db:.1f} dB"
        return text


def render_to_file(
    song: Song,
    path: str | os.PathLike[str],
    *,
    sample_rate: int = 44_100,
    soundfont: str | os.PathLike[str] | None = None,
    format: AudioFormat | None = None,
    bit_depth: BitDepth = 16,
    quality: int | str = 320,
    progress: ProgressCallback | None = None,
    tail_seconds: float = 1.0,
    stems: StemLoader | None = None,
) -> RenderResult:
    """Render a song (notes and audio clips) and write it to an audio file.

    A mix whose peak exceeds full scale (1.0) is scaled as a whole so that its
    peak is -1 dBFS; the result's ``gain_db`` says by how much. Quieter mixes
    are written untouched.

    Args:
        song: The song to render.
        path: The file to write; its extension chooses the format unless
            ``format`` is given.
        sample_rate: Output rate in Hz, 8000..192000 (MP3: the MPEG rates).
        soundfont: A SoundFont 2 file, or ``None`` to search for one.
        format: ``"wav"``, ``"flac"`` or ``"mp3"``, or ``None`` for the extension.
        bit_depth: 16 or 24 bits for WAV and FLAC.
        quality: MP3 bitrate in kbps or a LAME VBR level such as ``"V0"``.
        progress: Called as ``progress(done_seconds, total_seconds)`` while rendering.
        tail_seconds: The longest release tail after the song's end, in seconds.
        stems: Reads a clip's recording by its digest; needed when an audible track
            has audio clips, which are mixed in at their places
            (:func:`bandmate.render.clips.mix_clips`).

    Returns:
        What was written, how loud, and how fast.

    Raises:
        RenderError: When the song cannot be rendered (or a clip's recording read).
        FormatError: When the file cannot be written in the format.
    """
    started = time.perf_counter()
    format = audio_format(path, format)  # fail on a bad name before a long render
    font = find_soundfont(soundfont)
    clips = audible_clips(song)
    if clips and stems is None:
        raise RenderError(f"the song has {len(clips)} audio clip(s): give stems= to read them")
    if song.end_tick > 0 or not clips:
        audio = render_song(
            song,
            sample_rate=sample_rate,
            soundfont=font,
            progress=progress,
            tail_seconds=tail_seconds,
        )
    else:  # only recordings: nothing for the synthesizer to play
        audio = np.zeros((0, 2), dtype=np.float32)
    if clips and stems is not None:
        audio = mix_clips(audio, song, stems, sample_rate=check_sample_rate(sample_rate))
    peak = peak_dbfs(audio)
    gain_db = 0.0
    if peak > 0.0:
        gain_db = SAFETY_PEAK_DBFS - peak
        audio *= np.float32(10.0 ** (gain_db / 20.0))
        peak += gain_db  # the scaled peak, without another pass over the audio
    written = write_audio(
        path, audio, sample_rate, format=format, bit_depth=bit_depth, quality=quality
    )
    elapsed = time.perf_counter() - started
    seconds = len(audio) / sample_rate
    return RenderResult(
        path=written,
        seconds=seconds,
        sample_rate=sample_rate,
        peak_dbfs=peak,
        gain_db=gain_db,
        soundfont=font,
        elapsed=elapsed,
        realtime_factor=seconds / elapsed if elapsed > 0.0 else float("inf"),
    )
