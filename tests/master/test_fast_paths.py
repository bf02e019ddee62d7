"""Exactness of the mastering chain's fast paths against the plain computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from bandmate.errors import MasterError
from bandmate.master._checks import check_audio
from bandmate.master.audio_io import read_audio
from bandmate.master.limiter import apply_gains, sample_gains


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


def _plain_silent_runs(audio: np.ndarray, margin: int) -> np.ndarray:
    """Frames with ``margin`` all-zero frames either side (zeros beyond the ends)."""
    zero = np.all(audio == 0.0, axis=1)
    padded = np.concatenate((np.ones(margin, bool), zero, np.ones(margin, bool)))
    return np.array([padded[i : i + 2 * margin + 1].all() for i in range(len(audio))])


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("margin", [3, 8])
def test_silent_runs_match_the_plain_definition(channels: int, margin: int) -> None:
    from bandmate.master.eq import _silent_runs

    rng = np.random.default_rng(margin * channels)
    for length in (1, margin, margin + 1, 2 * margin + 1, 5 * margin + 3, 200):
        for _ in range(40):
            audio = rng.normal(size=(length, channels))
            for _ in range(rng.integers(0, 4)):  # zero runs of every length near the margin
                start = int(rng.integers(0, length))
                audio[start : start + int(rng.integers(1, 2 * margin + 4))] = 0.0
            expected = _plain_silent_runs(audio, margin)
            got = _silent_runs(audio, margin=margin)
            if got is None:
                assert not expected.any()
            else:
                assert np.array_equal(got, expected)


def test_fir_filter_writes_into_a_strided_float64_channel() -> None:
    from bandmate.master._convolve import fir_filter

    rng = np.random.default_rng(3)
    audio = rng.normal(size=(30_000, 2))
    taps = rng.normal(size=257) / 257
    out = np.zeros_like(audio)
    for delay in (0, 128, 256):
        expected = np.convolve(audio[:, 1], taps)[delay : delay + len(audio)]
        fir_filter(audio[:, 1], taps, delay=delay, out=out[:, 1])
        np.testing.assert_allclose(out[:, 1], expected, atol=2e-5)
        np.testing.assert_array_equal(out[:, 1], fir_filter(audio[:, 1], taps, delay=delay))
        assert not out[:, 0].any()


@pytest.mark.parametrize("rate", [8_000, 44_100, 96_000])
def test_stereo_k_weighting_as_complex_pairs_is_bit_identical(rate: int) -> None:
    import scipy.signal

    from bandmate.master import loudness
    from bandmate.master.weighting import k_weighting_sos

    rng = np.random.default_rng(rate)
    for length in (1, 7, 65_536, 65_537, 200_003):
        audio = rng.normal(size=(length, 2)) * 0.2
        filtered = scipy.signal.sosfilt(k_weighting_sos(rate), audio, axis=0)
        expected = np.square(filtered) @ np.ones(2)
        got = loudness._weighted_power(audio, rate, None)
        assert np.array_equal(got, expected)
        strided = np.repeat(audio, 2, axis=1)[:, ::2]  # not contiguous: copied, same result
        assert np.array_equal(loudness._weighted_power(strided, rate, None), expected)
    surround = rng.normal(size=(10_000, 6)) * 0.2  # Ls, Rs weigh 1.41: not a pair of ones
    weights = np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    expected = np.square(scipy.signal.sosfilt(k_weighting_sos(rate), surround, axis=0)) @ weights
    np.testing.assert_allclose(loudness._weighted_power(surround, rate, None), expected, rtol=1e-12)


@pytest.mark.parametrize("block", [4, 5, 31, 134])
def test_apply_gains_equals_sample_gains_bit_for_bit(block: int) -> None:
    rng = np.random.default_rng(block + 1)
    for length in (1, 2, block, block + 1, 3 * block - 1, 10 * block - 3, 100_003):
        audio = rng.normal(size=(length, 2))
        count = -(-length // block)
        for blocks in {count, max(1, count - 1), count + 1, 1}:
            gain_db = rng.normal(size=blocks) * 3.0
            expected = audio * sample_gains(gain_db, block, length)[:, np.newaxis]
            assert np.array_equal(apply_gains(audio, gain_db, block), expected)


def test_apply_gains_takes_any_channel_count_and_a_strided_input() -> None:
    rng = np.random.default_rng(5)
    for channels in (1, 2, 6):
        audio = rng.normal(size=(10_007, channels))
        gain_db = rng.normal(size=-(-10_007 // 31)) * 6.0
        expected = audio * sample_gains(gain_db, 31, len(audio))[:, np.newaxis]
        assert np.array_equal(apply_gains(audio, gain_db, 31), expected)
    wide = rng.normal(size=(5_000, 4))
    gain_db = rng.normal(size=-(-5_000 // 31))
    expected = wide[:, ::2] * sample_gains(gain_db, 31, 5_000)[:, np.newaxis]
    assert np.array_equal(apply_gains(wide[:, ::2], gain_db, 31), expected)


def test_the_gains_kernel_refuses_mismatched_buffers() -> None:
    from bandmate.master import _gains

    audio = np.zeros((100, 2))
    linear, slopes = np.ones(4), np.zeros(3)
    with pytest.raises(ValueError, match="need audio"):
        _gains.apply_gains(audio, 2, linear, slopes, 31, 16, np.empty((99, 2)))
    with pytest.raises(ValueError, match="need audio"):
        _gains.apply_gains(audio, 2, linear, slopes[:-1], 31, 16, np.empty_like(audio))
    with pytest.raises(ValueError, match="need audio"):
        _gains.apply_gains(audio, 3, linear, slopes, 31, 16, np.empty_like(audio))
    with pytest.raises(TypeError, match="float64"):
        _gains.apply_gains(audio.astype(np.float32), 2, linear, slopes, 31, 16, audio.copy())


def test_the_k_weighting_kernel_equals_sosfilt_bit_for_bit() -> None:
    from bandmate.master import _kweight, loudness
    from bandmate.master.weighting import k_weighting_sos

    rng = np.random.default_rng(11)
    audio = rng.normal(size=(100_003, 2)) * 0.3
    audio[5000] = [1.5, -2.0]  # the peak
    sos = k_weighting_sos(48_000)
    expected, _ = loudness._pair_power_scipy(audio, sos, 1.41, peak=False)
    power = np.empty(len(audio))
    state = np.zeros(8)
    assert _kweight.pair_power(audio, sos, 1.41, state, power) == 2.0
    assert np.array_equal(power, expected)
    with pytest.raises(ValueError, match="need samples"):
        _kweight.pair_power(audio, sos, 1.0, state, power[:-1])
    with pytest.raises(TypeError, match="float64"):
        _kweight.pair_power(audio.astype(np.float32), sos, 1.0, state, power)
