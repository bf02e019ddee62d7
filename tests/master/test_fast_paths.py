"""Exactness of the mastering chain's fast paths against the plain computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from bandmate.errors import MasterError
from bandmate.master._checks import check_audio
from bandmate.master.audio_io import read_audio
from bandmate.master.limiter import sample_gains


@pytest.mark.parametrize("block", [4, 5, 30, 31, 32, 134])
def test_sample_gains_match_np_interp_bit_for_bit(block: int) -> None:
    rng = np.random.default_rng(block)
    for length in (1, 2, block, block + 1, 3 * block - 1, 3 * block, 10 * block - 3, 1000):
        count = -(-length // block)
        for blocks in {count, max(1, count - 1), count + 1, 2}:
            gain_db = rng.normal(size=blocks) * 3.0
            linear = 10.0 ** (gain_db / 20.0)
            centres = (np.arange(blocks) + 0.5) * block
            expected = np.interp(np.arange(length), centres, linear)
            got = sample_gains(gain_db, block, length)
            assert got.shape == expected.shape
            assert np.array_equal(got, expected)


@pytest.mark.parametrize(
    ("fmt", "subtype"),
    [("WAV", "PCM_16"), ("WAV", "PCM_24"), ("WAV", "PCM_32"), ("FLAC", "PCM_24")],
)
def test_integer_pcm_reads_as_libsndfile_float64(tmp_path: Path, fmt: str, subtype: str) -> None:
    rng = np.random.default_rng(7)
    audio = np.clip(rng.normal(size=(20_000, 2)) * 0.3, -1.0, 1.0)
    audio[:4] = [[1.0, -1.0]] * 4
    path = tmp_path / f"x.{fmt.lower()}"
    soundfile.write(path, audio, 44_100, subtype=subtype, format=fmt)
    expected, _ = soundfile.read(path, dtype="float64", always_2d=True)
    assert np.array_equal(read_audio(path).samples, expected)


def test_check_audio_still_finds_bad_samples_behind_a_finite_looking_sum() -> None:
    huge = np.full((4, 2), 1e308)  # the sum overflows: every sample is checked
    assert check_audio(huge) is not None
    bad = np.zeros((10, 2))
    bad[3, 1] = np.nan
    with pytest.raises(MasterError, match="first at frame 3, channel 1"):
        check_audio(bad)
    bad[3, 1] = np.inf
    bad[5, 0] = -np.inf
    with pytest.raises(MasterError, match="2 NaN or infinite"):
        check_audio(bad)


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_spectrum_mid_matches_float32_mean(channels: int) -> None:
    from bandmate.master import spectrum

    rng = np.random.default_rng(channels)
    audio = rng.normal(size=(8192 * 5, channels)) * 0.1
    got = spectrum.long_term_spectrum(audio, 44_100)
    # The same measurement from the plain mean of the channels, as a one-channel signal.
    mid = audio.mean(axis=1, dtype=np.float32).astype(np.float64)[:, np.newaxis]
    expected = spectrum.long_term_spectrum(mid, 44_100)
    assert np.array_equal(got.level_db, expected.level_db)
