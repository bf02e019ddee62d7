"""Loop audio helpers: how long a WAV lasts, and what is not one."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile

from bandmate.loops.audio import wav_bytes, wav_seconds
from bandmate.loops.errors import LoopError


@pytest.mark.parametrize(("frames", "rate"), [(44_100, 44_100), (22_050 * 3 + 7, 22_050)])
def test_a_wavs_length_is_its_frames_over_its_rate(frames: int, rate: int) -> None:
    rng = np.random.default_rng(7)
    data = wav_bytes(rng.uniform(-0.5, 0.5, (frames, 2)), rate)
    assert wav_seconds(data) == pytest.approx(frames / rate)


def test_a_float_wav_reads_too() -> None:
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(480, dtype=np.float32), 48_000, "FLOAT", format="WAV")
    assert wav_seconds(buffer.getvalue()) == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "does not read"),
        (b"RIFF\x24\x00\x00\x00WAVEjunk" + bytes(64), "does not read"),
        (b"hello, not audio", "does not read"),
        (wav_bytes(np.zeros((0, 1)), 8000), "at least one"),
    ],
)
def test_what_is_not_a_wav_with_samples_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(LoopError, match=message):
        wav_seconds(data)
