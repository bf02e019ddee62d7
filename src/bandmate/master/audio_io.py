"""Reading audio for mastering, within bounds, and writing masters.

The reader refuses what it cannot master safely, before decoding where it can: a missing or
empty file, one larger than ``max_bytes``, longer than ``max_seconds`` (30 minutes by
default) or holding more than ``max_samples`` samples in all, a sample rate outside
8000..192000 Hz, and NaN or infinite samples (the error names the first bad frame).
WAV, FLAC, OGG and AIFF go through libsndfile; MP3 through pedalboard (its decoder adds
about 1,584 samples of padding at the start). A truncated file yields what its data holds,
and a file whose data cannot be decoded at all is a :class:`~bandmate.errors.MasterError`.

Channel counts are not judged here: mastering checks for mono or stereo itself, so that
a 5.1 file gets an error that says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile
from numpy.typing import NDArray
from pedalboard.io import AudioFile

from bandmate.errors import MasterError
from bandmate.master._checks import check_audio

MIN_RATE = 8_000
MAX_RATE = 192_000
MAX_SECONDS = 30 * 60.0
MAX_BYTES = 2 << 30
"""Largest input file, in bytes (2 GiB)."""
MAX_SAMPLES = 1 << 28
"""Most samples over all channels (268 M: 30 minutes of stereo at 74 kHz), which keeps the
float64 working copies of a master within a few GiB of memory."""

OutputFormat = Literal["wav", "flac", "mp3"]
BitDepth = Literal[16, 24]

_SUBTYPES: dict[int, str] = {16: "PCM_16", 24: "PCM_24"}
_MP3_RATES = frozenset({8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000})


@dataclass(frozen=True, slots=True, eq=False)
class AudioClip:
    """Decoded audio and where it came from.

    Attributes:
        samples: Samples, full scale 1.0 [shape=(n, channels)], float64.
        sample_rate: Sample rate in Hz.
        path: The file it was read from.
    """

    samples: NDArray[np.float64]
    sample_rate: int
    path: Path

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return len(self.samples) / self.sample_rate

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.samples.shape[1])


def read_audio(
    path: str | os.PathLike[str],
    *,
    max_seconds: float = MAX_SECONDS,
    max_bytes: int = MAX_BYTES,
    max_samples: int = MAX_SAMPLES,
) -> AudioClip:
    """Read an audio file into float64 samples, refusing what is too big or malformed.

    Args:
        path: A WAV, FLAC, OGG, AIFF or MP3 file.
        max_seconds: Longest accepted duration, in seconds.
        max_bytes: Largest accepted file size, in bytes.
        max_samples: Most accepted samples, counted over all channels.

    Returns:
        The decoded audio [shape=(n, channels)].

    Raises:
        MasterError: when the file is missing, empty, too large or too long, cannot be
            decoded, has a sample rate outside 8000..192000 Hz, or holds NaN or infinity.
    """
    source = Path(path)
    if not source.is_file():
        raise MasterError(f"audio file {os.fspath(source)!r} does not exist or is not a file")
    size = source.stat().st_size
    if size == 0:
        raise MasterError(f"audio file {os.fspath(source)!r} is empty (0 bytes)")
    if size > max_bytes:
        raise MasterError(
            f"audio file {os.fspath(source)!r} is {size} bytes; must be at most {max_bytes}"
        )
    if source.suffix.lower() == ".mp3":
        samples, rate = _read_mp3(source, max_seconds, max_samples)
    else:
        samples, rate = _read_sndfile(source, max_seconds, max_samples)
    if len(samples) == 0:
        raise MasterError(f"audio file {os.fspath(source)!r} holds no audio frames")
    try:
        checked = check_audio(samples)
    except MasterError as exc:
        raise MasterError(f"audio file {os.fspath(source)!r}: {exc}") from exc
    return AudioClip(samples=checked, sample_rate=rate, path=source)


def _check_header(
    source: Path, rate: int, frames: int, channels: int, limits: tuple[float, int]
) -> None:
    max_seconds, max_samples = limits
    name = os.fspath(source)
    if not MIN_RATE <= rate <= MAX_RATE:
        raise MasterError(
            f"audio file {name!r} has sample_rate={rate} Hz; must be in {MIN_RATE}..{MAX_RATE} Hz"
        )
    if channels < 1:
        raise MasterError(f"audio file {name!r} has channels={channels}; must be at least 1")
    seconds = frames / rate
    if seconds > max_seconds:
        raise MasterError(
            f"audio file {name!r} lasts {seconds:.1f} s; must be at most {max_seconds:g} s"
        )
    if frames * channels > max_samples:
        raise MasterError(
            f"audio file {name!r} holds {frames * channels} samples ({channels} channels at "
            f"{rate} Hz); must be at most {max_samples}"
        )


def _read_sndfile(
    source: Path, max_seconds: float, max_samples: int
) -> tuple[NDArray[np.float64], int]:
    try:
        info = soundfile.info(os.fspath(source))
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        raise MasterError(f"cannot read audio file {os.fspath(source)!r}: {exc}") from exc
    rate = int(info.samplerate)
    _check_header(source, rate, int(info.frames), int(info.channels), (max_seconds, max_samples))
    try:
        # One float64 array straight from libsndfile: reading int32 and scaling it here
        # gives the same samples but allocates and passes over twice the memory (about 20 %
        # slower on a 4-minute 24-bit track).
        data, _ = soundfile.read(os.fspath(source), dtype="float64", always_2d=True)
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        raise MasterError(f"cannot decode audio file {os.fspath(source)!r}: {exc}") from exc
    samples: NDArray[np.float64] = np.ascontiguousarray(data)
    return samples, rate


def _read_mp3(
    source: Path, max_seconds: float, max_samples: int
) -> tuple[NDArray[np.float64], int]:
    try:
        with AudioFile(os.fspath(source)) as file:
            rate = round(float(file.samplerate))
            frames = int(file.frames)
            channels = int(file.num_channels)
            _check_header(source, rate, frames, channels, (max_seconds, max_samples))
            data = file.read(frames)  # (channels, n) float32
    except MasterError:
        raise
    except (RuntimeError, OSError, ValueError, TypeError, EOFError) as exc:
        raise MasterError(f"cannot decode mp3 file {os.fspath(source)!r}: {exc}") from exc
    samples: NDArray[np.float64] = np.ascontiguousarray(np.asarray(data, dtype=np.float64).T)
    return samples, rate


def output_format(path: str | os.PathLike[str]) -> OutputFormat:
    """Return the master file format named by a path's extension.

    Raises:
        MasterError: for an extension other than ``.wav``, ``.flac`` or ``.mp3``.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".wav":
        return "wav"
    if suffix == ".flac":
        return "flac"
    if suffix == ".mp3":
        return "mp3"
    raise MasterError(f"output extension={suffix!r} must be .wav, .flac or .mp3")


def write_audio(
    path: str | os.PathLike[str],
    samples: NDArray[np.floating],
    sample_rate: int,
    *,
    bit_depth: BitDepth = 24,
    mp3_kbps: int = 320,
) -> Path:
    """Write samples as WAV or FLAC PCM or as a constant-bitrate MP3 (format by extension).

    Args:
        path: The file to create or replace; its extension picks the format.
        samples: Samples, full scale 1.0 [shape=(n,) or (n, channels)]; peaks must not
            exceed full scale (nothing is clipped silently).
        sample_rate: Sample rate in Hz.
        bit_depth: PCM bits for WAV and FLAC, 16 or 24 (no dither: a master at 24 bits
            keeps its noise floor near -144 dBFS).
        mp3_kbps: MP3 bitrate in kbit/s.

    Returns:
        The path written.

    Raises:
        MasterError: for an unknown extension, a peak above full scale, a rate MP3 cannot
            store, or a failed write.
    """
    target = Path(path)
    kind = output_format(target)
    frames = check_audio(samples)
    # max and min in place of max(abs(...)): the same peak without a full-size temporary.
    peak = max(float(frames.max()), -float(frames.min())) if frames.size else 0.0
    if peak > 1.0:
        raise MasterError(f"peak={peak:.4f} exceeds full scale 1.0; writing would clip")
    try:
        if kind == "mp3":
            if sample_rate not in _MP3_RATES or frames.shape[1] > 2:
                raise MasterError(
                    f"mp3 takes sample rates {sorted(_MP3_RATES)} and 1 or 2 channels, "
                    f"not {sample_rate} Hz with {frames.shape[1]} channels"
                )
            with AudioFile(
                os.fspath(target), "w", sample_rate, frames.shape[1], quality=mp3_kbps
            ) as file:
                file.write(np.ascontiguousarray(frames.T.astype(np.float32)))
        else:
            soundfile.write(
                os.fspath(target),
                frames,
                sample_rate,
                subtype=_SUBTYPES[bit_depth],
                format=kind.upper(),
            )
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        raise MasterError(f"cannot write {kind} file {os.fspath(target)!r}: {exc}") from exc
    return target
