"""The limiter's parts: envelopes, FFT filtering, true-peak detection and attenuation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandmate.master import true_peak
from bandmate.master._convolve import fir_filter
from bandmate.master.dynamics import block_mean_square, compress, release_envelope, set_width
from bandmate.master.eq import apply_fir, design_fir, fir_response_db, flat_curve, match_curve
from bandmate.master.limiter import attenuation, detect_peaks, sample_gains
from bandmate.master.spectrum import Spectrum, band_centers

from .tracks import RATE, track


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-80.0, 20.0), min_size=1, max_size=60),
    st.floats(0.01, 5.0),
)
def test_release_envelope_equals_the_loop(levels: list[float], fall: float) -> None:
    expected, current = [], -np.inf
    for level in levels:
        current = max(level, current - fall)
        expected.append(current)
    np.testing.assert_allclose(release_envelope(np.array(levels), fall), expected, atol=1e-9)


@pytest.mark.parametrize(("taps", "delay"), [(33, 16), (8193, 4096), (5, 0)])
def test_fft_filter_matches_direct_convolution(taps: int, delay: int) -> None:
    rng = np.random.default_rng(taps)
    x, h = rng.standard_normal(20_000), rng.standard_normal(taps) / taps
    expected = np.convolve(x, h)[delay : delay + len(x)]
    np.testing.assert_allclose(fir_filter(x, h, delay=delay), expected, atol=2e-5)


def test_block_peaks_cover_the_true_peak_meter() -> None:
    audio = track("bright")
    peaks = detect_peaks(audio, RATE)
    assert peaks.peak_db.max() >= true_peak(audio, RATE) - 1e-4
    assert len(peaks.peak_db) == -(-len(audio) // peaks.block)


def test_attenuation_covers_every_block_and_its_neighbours() -> None:
    audio = track("pop")
    peaks = detect_peaks(audio, RATE)
    gain = np.full(len(peaks.peak_db), 12.0)
    cut = attenuation(peaks, gain, -1.0)
    need = np.maximum(peaks.peak_db + 12.0 + 1.0, 0.0)
    assert np.all(cut >= need - 1e-9)
    assert np.all(cut[1:] >= need[:-1] - 1e-9)
    assert np.all(cut[:-1] >= need[1:] - 1e-9)
    total = sample_gains(gain - cut, peaks.block, len(audio))
    limited = audio * total[:, np.newaxis]
    assert true_peak(limited, RATE) <= -1.0 + 0.05


def test_linear_phase_eq_keeps_timing_and_silence() -> None:
    click = np.zeros((RATE, 2))
    click[RATE // 2] = 0.5
    taps = design_fir(flat_curve(band_centers(RATE)), RATE)
    out = apply_fir(click, taps)
    assert int(np.argmax(np.abs(out[:, 0]))) == RATE // 2  # no delay
    assert not np.any(out[: RATE // 2 - len(taps)])  # silence far before stays zero
    response = fir_response_db(taps, np.array([10.0, 20.0, 100.0, 1000.0, 10_000.0]), RATE)
    assert response[0] < -10.0  # subsonic high-pass
    assert response[1] == pytest.approx(-3.0, abs=0.6)
    np.testing.assert_allclose(response[2:], 0.0, atol=0.2)


def test_match_curve_limits_boosts_and_spares_empty_bands() -> None:
    freqs = band_centers(RATE)
    level = np.where(freqs < 5000, -40.0, -130.0)  # nothing above 5 kHz
    curve = match_curve(Spectrum(freqs, level), np.zeros(len(freqs)), amount=1.0, max_db=6.0)
    assert curve.max_abs_db <= 6.0
    assert np.all(curve.gain_db[freqs > 6000] <= 0.0)
    assert np.all(curve.gain_db[freqs < 30] <= 0.0)


def test_compressor_is_gentle_and_width_is_mid_side() -> None:
    audio = np.array(track("verse_chorus"))
    squeezed, reduction = compress(audio, RATE, amount=0.5)
    assert 0.5 < reduction < 6.0
    quiet = slice(RATE, 4 * RATE)  # the verse is well under the threshold
    np.testing.assert_allclose(squeezed[quiet], audio[quiet], rtol=1e-6)
    wide = set_width(audio, 1.5)
    np.testing.assert_allclose(wide.sum(axis=1), audio.sum(axis=1), atol=1e-12)
    power = block_mean_square(audio, 100)
    assert power.shape == (-(-len(audio) // 100),)
