"""Decoding: formats, rates and every kind of bad file gets a clear ListenError."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pedalboard.io import AudioFile

from bandmate.listen import ListenError, decode_file
from bandmate.listen.decode import MAX_SECONDS, analysis_rate_for
from tests.listen.signals import tone


def _wav_header(rate: int, channels: int, bits: int, frames: int) -> bytes:
    size = frames * channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * bits // 8,
                      channels * bits // 8, bits)  # fmt: skip
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + (b"data" + struct.pack("<I", size))
    )


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(8_000, 8_000), (22_050, 11_025), (44_100, 11_025), (48_000, 12_000), (96_000, 12_000),
     (32_000, 16_000), (192_000, 12_000), (11_025, 11_025)],
)  # fmt: skip
def test_analysis_rate_divides_the_file_rate(rate: int, expected: int) -> None:
    assert analysis_rate_for(rate) == expected


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_formats_decode_to_mono_at_the_analysis_rate(tmp_path: Path, fmt: str) -> None:
    rate = 44_100
    mono = tone(69, 2.0, rate=rate)
    stereo = np.stack([mono, mono], axis=1)
    path = tmp_path / f"a.{fmt}"
    if fmt == "mp3":
        with AudioFile(str(path), "w", rate, 2, quality=192) as file:
            file.write(np.ascontiguousarray(stereo.T))
    else:
        soundfile.write(path, stereo, rate)
    audio = decode_file(path)
    assert audio.sample_rate == rate
    assert audio.channels == 2
    assert audio.analysis_rate == 11_025
    assert abs(audio.seconds - 2.0) < 0.1
    # The 440 Hz fundamental survives the resampling at the right frequency.
    spectrum = np.abs(np.fft.rfft(audio.mono[:11_025]))
    peak_hz = np.argmax(spectrum) * audio.analysis_rate / 11_025
    assert abs(peak_hz - 440.0) <= 2.0


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ListenError, match="does not exist"):
        decode_file(tmp_path / "nothing.wav")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(ListenError, match="empty"):
        decode_file(empty)


def test_corrupt_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.wav"
    path.write_bytes(
        b"\x00\x01" + np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    )
    with pytest.raises(ListenError, match="cannot decode"):
        decode_file(path)


def test_header_without_frames_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hollow.wav"
    path.write_bytes(_wav_header(44_100, 2, 16, 0))
    with pytest.raises(ListenError):
        decode_file(path)


def test_a_wav_name_holding_mp3_bytes_decodes_by_content(tmp_path: Path) -> None:
    rate = 44_100
    mp3 = tmp_path / "real.mp3"
    with AudioFile(str(mp3), "w", rate, 1, quality=128) as file:
        file.write(tone(60, 1.5, rate=rate)[None, :])
    liar = tmp_path / "liar.wav"
    liar.write_bytes(mp3.read_bytes())
    audio = decode_file(liar)  # the content decides: a sensible result, not a crash
    assert audio.sample_rate == rate
    assert 1.3 < audio.seconds < 1.8


@pytest.mark.parametrize(
    ("rate", "channels", "match"),
    [(8, 1, "sample_rate=8 Hz"), (10_000_000, 1, "sample_rate=10000000 Hz"),
     (0, 1, "sample_rate=0 Hz"), (44_100, 64, "channels=64")],
)  # fmt: skip
def test_absurd_headers_are_refused(tmp_path: Path, rate: int, channels: int, match: str) -> None:
    path = tmp_path / "crafted.wav"
    path.write_bytes(_wav_header(rate, channels, 16, 100) + bytes(200 * channels))
    with pytest.raises(ListenError, match=match):
        decode_file(path)


def test_a_ten_hour_claim_is_refused_before_reading(tmp_path: Path) -> None:
    # The header claims 10 hours at 8 kHz; the file holds one kilobyte of data.
    path = tmp_path / "ten-hours.wav"
    path.write_bytes(_wav_header(8_000, 1, 8, 8_000 * 36_000) + bytes(1000))
    with pytest.raises(ListenError, match=re.escape(f"must be at most {MAX_SECONDS:g} s")):
        decode_file(path)


def test_a_sparse_ten_hour_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sparse.wav"
    frames = 8_000 * 36_000
    with path.open("wb") as file:
        file.write(_wav_header(8_000, 1, 8, frames))
        file.truncate(44 + frames)  # sparse: no disk blocks, a real 10-hour file
    with pytest.raises(ListenError, match=r"lasts 36000\.0 s"):
        decode_file(path)


def test_nan_samples_are_refused(tmp_path: Path) -> None:
    samples = np.zeros(4000, dtype=np.float32)
    samples[1234] = np.nan
    path = tmp_path / "nan.wav"
    soundfile.write(path, samples, 8_000, subtype="FLOAT")
    with pytest.raises(ListenError, match="NaN or infinity \\(first at frame 1234\\)"):
        decode_file(path)


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    soundfile.write(path, tone(60, 1.0), 22_050)
    with pytest.raises(ListenError, match="bytes; must be at most 100"):
        decode_file(path, max_bytes=100)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.sampled_from([b"", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"fLaC", b"OggS", b"ID3\x04"]),
    body=st.binary(min_size=0, max_size=4096),
)
def test_fuzzed_files_give_audio_or_a_listen_error(
    tmp_path: Path, prefix: bytes, body: bytes
) -> None:
    path = tmp_path / "fuzz.wav"
    path.write_bytes(prefix + body)
    try:
        audio = decode_file(path)
    except ListenError:
        return
    assert audio.mono.ndim == 1
    assert np.isfinite(audio.mono).all()
