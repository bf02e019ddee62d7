"""Decoding audio for analysis, within bounds, to mono at the analysis rate.

The decoder refuses what it cannot analyze safely *before* reading the samples: a missing,
empty or too large file, a header that claims more than ``max_seconds`` (30 minutes by
default), a sample rate outside 8000..192000 Hz or more than 8 channels. A WAV file's own
header is read first, so a file that claims ten hours is refused even when its data is
short (libsndfile would silently shorten the claim to the data it finds). WAV, FLAC, OGG,
AIFF and MP3 go through libsndfile (>= 1.1 reads MP3); a file libsndfile cannot open is
tried once more with pedalboard's decoder. Undecodable data, zero frames and NaN or
infinite samples are :class:`ListenError`\\ s.

Everything here is a pure function of the file's bytes and the limits, so that it can run
in a bounded child process (see :mod:`bandmate.listen.bounded`).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile
from numpy.typing import NDArray
from pedalboard.io import AudioFile

from bandmate.listen.errors import ListenError

ANALYSIS_RATE = 11_025
"""Lowest analysis rate for files above it, Hz: the mono signal that the features are
computed on runs at the file's rate divided by a whole number (see
:func:`analysis_rate_for`)."""
MIN_RATE = 8_000
MAX_RATE = 192_000
MAX_CHANNELS = 8
MAX_SECONDS = 30 * 60.0
"""Longest accepted audio, in seconds (30 minutes)."""
MAX_BYTES = 1 << 30
"""Largest accepted file, in bytes (1 GiB)."""


@dataclass(frozen=True, slots=True, eq=False)
class DecodedAudio:
    """Audio ready for analysis.

    Attributes:
        mono: The channels' mean at :data:`ANALYSIS_RATE` [shape=(n,)], float32.
        samples: The original channels [shape=(m, channels)], float32, for loudness.
        sample_rate: The original sample rate, Hz.
        analysis_rate: The rate of ``mono``, Hz.
    """

    mono: NDArray[np.float32]
    samples: NDArray[np.float32]
    sample_rate: int
    analysis_rate: int

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return len(self.samples) / self.sample_rate

    @property
    def channels(self) -> int:
        """Number of channels in the file."""
        return int(self.samples.shape[1])


def decode_file(
    path: str | os.PathLike[str],
    *,
    analysis_rate: int | None = None,
    max_seconds: float = MAX_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> DecodedAudio:
    """Read an audio file and resample its mono mix to the analysis rate.

    Args:
        path: A WAV, FLAC, OGG, AIFF or MP3 file (the content decides, not the name).
        analysis_rate: Rate of the mono mix, Hz; ``None`` picks
            :func:`analysis_rate_for` the file's rate.
        max_seconds: Longest accepted duration, in seconds.
        max_bytes: Largest accepted file size, in bytes.

    Returns:
        The decoded audio.

    Raises:
        ListenError: when the file is missing, empty, too big or too long (by its header),
            cannot be decoded, has a rate outside 8000..192000 Hz, more than 8 channels,
            no frames, or NaN or infinite samples.
    """
    source = Path(path)
    name = os.fspath(source)
    if not source.is_file():
        raise ListenError(f"audio file {name!r} does not exist or is not a file")
    size = source.stat().st_size
    if size == 0:
        raise ListenError(f"audio file {name!r} is empty (0 bytes)")
    if size > max_bytes:
        raise ListenError(f"audio file {name!r} is {size} bytes; must be at most {max_bytes}")
    claim = _wav_claim(source)
    if claim is not None:
        _check_header(name, *claim, max_seconds=max_seconds)
    try:
        samples, rate = _read_sndfile(source, max_seconds)
    except _NotSndfileError as exc:
        samples, rate = _read_pedalboard(source, max_seconds, exc.reason)
    if len(samples) == 0:
        raise ListenError(f"audio file {name!r} holds no audio frames")
    bad = ~np.isfinite(samples) if _may_hold_nan(samples) else None
    if bad is not None and bad.any():
        frame = int(np.argmax(bad.any(axis=1)))
        raise ListenError(f"audio file {name!r} holds NaN or infinity (first at frame {frame})")
    target = analysis_rate_for(rate) if analysis_rate is None else analysis_rate
    return DecodedAudio(
        mono=to_mono(samples, rate, target),
        samples=samples,
        sample_rate=rate,
        analysis_rate=target,
    )


def _may_hold_nan(samples: NDArray[np.float32]) -> bool:
    """Whether a full check is needed: the sum is finite exactly when every sample is."""
    with np.errstate(over="ignore", invalid="ignore"):
        return not np.isfinite(np.sum(samples, dtype=np.float64))


def analysis_rate_for(rate: int) -> int:
    """The analysis rate for a file's rate: ``rate / k`` for the largest whole ``k`` that
    keeps it at or above :data:`ANALYSIS_RATE` (11025 Hz from 44100, 12000 from 48000 or
    96000, 16000 from 32000), or ``rate`` itself below that. A whole decimation factor
    keeps the polyphase filter short, so resampling costs little.
    """
    best = 1
    for k in range(1, rate // ANALYSIS_RATE + 1):
        if rate % k == 0 and rate // k >= ANALYSIS_RATE:
            best = k
    return rate // best


def to_mono(samples: NDArray[np.floating], rate: int, analysis_rate: int) -> NDArray[np.float32]:
    """Mix channels down and resample with a polyphase filter.

    Args:
        samples: Audio [shape=(n,) or (n, channels)].
        rate: Its sample rate, Hz.
        analysis_rate: The rate wanted, Hz.

    Returns:
        The mono mix at ``analysis_rate`` [shape=(m,)], float32.
    """
    if samples.ndim == 2:
        # Column by column: numpy's mean over a short last axis is several times slower.
        mono = np.array(samples[:, 0], dtype=np.float32)
        for channel in range(1, samples.shape[1]):
            mono += samples[:, channel]
        if samples.shape[1] > 1:
            mono *= np.float32(1.0 / samples.shape[1])
    else:
        mono = np.asarray(samples, dtype=np.float32)
    if rate == analysis_rate:
        return np.ascontiguousarray(mono)
    common = gcd(int(rate), int(analysis_rate))
    up, down = analysis_rate // common, int(rate) // common
    resampled = scipy.signal.resample_poly(mono, up, down).astype(np.float32)
    return np.ascontiguousarray(resampled)


class _NotSndfileError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_header(name: str, rate: int, frames: int, channels: int, *, max_seconds: float) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ListenError(
            f"audio file {name!r} has sample_rate={rate} Hz; must be in {MIN_RATE}..{MAX_RATE} Hz"
        )
    if not 1 <= channels <= MAX_CHANNELS:
        raise ListenError(
            f"audio file {name!r} has channels={channels}; must be in 1..{MAX_CHANNELS}"
        )
    seconds = frames / rate
    if seconds > max_seconds:
        raise ListenError(
            f"audio file {name!r} lasts {seconds:.1f} s by its header; "
            f"must be at most {max_seconds:g} s"
        )


def _wav_claim(source: Path) -> tuple[int, int, int] | None:
    """(rate, frames, channels) that a RIFF/WAVE header claims, or None if not a WAV."""
    with source.open("rb") as file:
        head = file.read(1 << 16)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        return None
    position, rate, channels, block = 12, 0, 0, 0
    while position + 8 <= len(head):
        tag = head[position : position + 4]
        (length,) = struct.unpack_from("<I", head, position + 4)
        body = position + 8
        if tag == b"fmt " and body + 16 <= len(head):
            _, channels, rate, _, block, _ = struct.unpack_from("<HHIIHH", head, body)
        elif tag == b"data":
            if rate == 0 or block == 0:
                return (rate, 0, channels)
            return (rate, length // block, channels)
        position = body + length + (length & 1)
    return (rate, 0, channels) if rate else None


def _read_sndfile(source: Path, max_seconds: float) -> tuple[NDArray[np.float32], int]:
    name = os.fspath(source)
    try:
        info = soundfile.info(name)
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        raise _NotSndfileError(str(exc)) from exc
    if info.format == "MPEG" and not _looks_like_mp3(source):
        # mpg123 resynchronizes on any 0xFFE bit pattern, so noise "decodes" as MP3;
        # a real MP3 starts with an ID3 tag or a frame header.
        raise ListenError(f"cannot decode audio file {name!r}: no audio stream found")
    rate = int(info.samplerate)
    _check_header(name, rate, int(info.frames), int(info.channels), max_seconds=max_seconds)
    try:
        data, _ = soundfile.read(name, dtype="float32", always_2d=True)
    except (RuntimeError, OSError, ValueError, TypeError, MemoryError) as exc:
        raise ListenError(f"cannot decode audio file {name!r}: {exc}") from exc
    return np.ascontiguousarray(data), rate


def _looks_like_mp3(source: Path) -> bool:
    with source.open("rb") as file:
        head = file.read(4)
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _read_pedalboard(
    source: Path, max_seconds: float, reason: str
) -> tuple[NDArray[np.float32], int]:
    name = os.fspath(source)
    if not _looks_like_mp3(source):
        raise ListenError(
            f"cannot decode audio file {name!r}: not a WAV, FLAC, OGG, AIFF or MP3 stream "
            f"({reason.strip()})"
        )
    try:
        with AudioFile(name) as file:
            rate = round(float(file.samplerate))
            frames = int(file.frames)
            channels = int(file.num_channels)
            _check_header(name, rate, frames, channels, max_seconds=max_seconds)
            data = file.read(frames)  # (channels, n) float32
    except ListenError:
        raise
    except (RuntimeError, OSError, ValueError, TypeError, EOFError, MemoryError) as exc:
        raise ListenError(
            f"cannot decode audio file {name!r}: not a WAV, FLAC, OGG, AIFF or MP3 stream "
            f"({reason.strip() or exc})"
        ) from exc
    samples = np.ascontiguousarray(np.asarray(data, dtype=np.float32).T)
    return samples, rate
