"""Writing audio buffers to WAV, FLAC (libsndfile) and MP3 (LAME through pedalboard).

Nothing is normalized or clipped silently: audio whose peak exceeds full scale
is refused with its peak level in the message, and the caller decides what to
do (:func:`bandmate.render.render_to_file` scales such a mix down and says so).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import soundfile
from pedalboard.io import AudioFile

from bandmate.errors import FormatError, RenderError, UnsupportedFormatError

AudioFormat = Literal["wav", "flac", "mp3"]
"""The file formats :func:`write_audio` writes."""

BitDepth = Literal[16, 24]
"""PCM sample sizes for WAV and FLAC, in bits."""

FORMATS: tuple[AudioFormat, ...] = ("wav", "flac", "mp3")
_SUBTYPES = {16: "PCM_16", 24: "PCM_24"}
_MP3_CHANNELS = 2


def peak_dbfs(audio: npt.ArrayLike) -> float:
    """The sample peak of a buffer in dBFS (0 dBFS is 1.0; silence is ``-inf``).

    Args:
        audio: Samples, any shape.

    Returns:
        ``20 * log10(max |audio|)`` in dB.
    """
    samples = np.asarray(audio)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 20.0 * float(np.log10(peak)) if peak > 0.0 else float("-inf")


def audio_format(path: str | os.PathLike[str], format: AudioFormat | None = None) -> AudioFormat:
    """Choose the file format from an explicit name or the path's extension.

    Args:
        path: The file to write.
        format: ``"wav"``, ``"flac"`` or ``"mp3"``; ``None`` reads the extension.

    Returns:
        The format name.

    Raises:
        UnsupportedFormatError: For any other name or extension.
    """
    name = format if format is not None else Path(path).suffix.lower().lstrip(".")
    for known in FORMATS:
        if name == known:
            return known
    source = "format" if format is not None else f"extension of {os.fspath(path)!r}"
    raise UnsupportedFormatError(f"{source}={name!r} must be one of {', '.join(FORMATS)}")


def _as_frames(audio: npt.ArrayLike) -> npt.NDArray[np.float32]:
    frames = np.asarray(audio, dtype=np.float32)
    if frames.ndim == 1:
        frames = frames[:, None]
    if frames.ndim != 2 or frames.shape[1] < 1:
        raise RenderError(f"audio shape={frames.shape} must be (n,) or (n, channels)")
    if not np.all(np.isfinite(frames)):
        raise RenderError("audio contains NaN or infinite samples")
    peak = peak_dbfs(frames)
    if peak > 0.0:
        raise RenderError(
            f"audio peak={peak:+.2f} dBFS must be <= 0 dBFS: writing it would clip; "
            "scale it down first (render_to_file does so and reports it)"
        )
    return frames


def write_audio(
    path: str | os.PathLike[str],
    audio: npt.ArrayLike,
    sample_rate: int,
    *,
    format: AudioFormat | None = None,
    bit_depth: BitDepth = 16,
    quality: int | str = 320,
) -> Path:
    """Write an audio buffer to a file.

    Args:
        path: The file to create or overwrite.
        audio: Samples in -1.0..1.0 [shape=(n,) or (n, channels)]; MP3 takes
            one or two channels.
        sample_rate: Sample rate in Hz. MP3 supports 8000..48000 (the MPEG rates).
        format: ``"wav"``, ``"flac"`` or ``"mp3"``; ``None`` takes it from the
            extension of ``path``.
        bit_depth: PCM bits per sample for WAV and FLAC, 16 or 24. MP3 ignores it.
        quality: MP3 only: a constant bitrate in kbps (default 320) or a LAME VBR
            level such as ``"V0"``.

    Returns:
        The path written.

    Raises:
        RenderError: When the audio is not 1- or 2-D, holds NaN or infinity,
            or its peak exceeds 0 dBFS (it would clip).
        UnsupportedFormatError: For an unknown format or extension.
        FormatError: For a bit depth, sample rate or channel count the format
            cannot store, or when the file cannot be written.
    """
    kind = audio_format(path, format)
    frames = _as_frames(audio)
    target = Path(path)
    if kind == "mp3":
        _write_mp3(target, frames, sample_rate, quality)
        return target
    if bit_depth not in _SUBTYPES:
        raise FormatError(f"bit_depth={bit_depth!r} must be 16 or 24 for {kind}")
    try:
        soundfile.write(
            target, frames, sample_rate, subtype=_SUBTYPES[bit_depth], format=kind.upper()
        )
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        # libsndfile's errors are RuntimeError subclasses; bad arguments raise ValueError.
        raise FormatError(f"cannot write {kind} file {os.fspath(target)!r}: {exc}") from exc
    return target


def _write_mp3(
    path: Path, frames: npt.NDArray[np.float32], sample_rate: int, quality: int | str
) -> None:
    if frames.shape[1] > _MP3_CHANNELS:
        raise FormatError(f"channels={frames.shape[1]} must be 1 or 2 for mp3")
    try:
        with AudioFile(str(path), "w", sample_rate, frames.shape[1], quality=quality) as file:
            # pedalboard takes (channels, n).
            file.write(np.ascontiguousarray(frames.T))
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise FormatError(
            f"cannot write mp3 file {os.fspath(path)!r} "
            f"(sample_rate={sample_rate}, quality={quality!r}): {exc}"
        ) from exc
