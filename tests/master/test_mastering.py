"""Mastering behaviour: silence and quiet passages, mono, references, styles, options, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.signal

from bandmate.master import MasterError, integrated_loudness, true_peak
from bandmate.master.chain import REFERENCE_MAX_DB, STYLE_MAX_DB, master_audio
from bandmate.master.dynamics import side_to_mid
from bandmate.master.spectrum import long_term_spectrum
from bandmate.master.targets import custom_target, get_target, parse_target

from .tracks import RATE, bright, pop, set_loudness, track

SPOTIFY = get_target("spotify")


def _band_db(audio: np.ndarray, low: float, high: float, rate: int = RATE) -> float:
    spectrum = long_term_spectrum(audio, rate)
    picked = (spectrum.frequencies_hz >= low) & (spectrum.frequencies_hz <= high)
    return float(np.mean(spectrum.level_db[picked]))


def test_long_silence_inside_a_track_stays_digital_silence() -> None:
    audio = track("silence_inside")
    result = master_audio(audio, RATE, target=get_target("club"))
    assert result.gain_db > 5.0  # the music was raised ...
    inside = result.audio[round(4.25 * RATE) : round(9.75 * RATE)]
    assert not np.any(inside)  # ... and the silence was not


def test_quiet_passage_is_not_pumped_up_into_noise() -> None:
    rng = np.random.default_rng(3)
    song = pop(rng, seconds=4.0)
    hiss = 10 ** (-80 / 20) * rng.standard_normal((4 * RATE, 2))  # a -80 dBFS noise floor
    audio = set_loudness(np.concatenate((song, hiss, song)), -30.0)
    floor_before = np.sqrt(np.mean(np.square(audio[5 * RATE : 7 * RATE])))
    result = master_audio(audio, RATE, target=get_target("cd"))
    assert result.gain_db > 15.0
    floor_after = np.sqrt(np.mean(np.square(result.audio[5 * RATE : 7 * RATE])))
    assert 20 * math.log10(floor_after / floor_before) < 1.0
    assert abs(integrated_loudness(result.audio, RATE) - (-9.0)) <= 0.1


def test_pure_silence_comes_back_silent_with_a_note() -> None:
    result = master_audio(np.zeros((RATE * 3, 2)), RATE, target=SPOTIFY)
    assert not np.any(result.audio)
    assert result.gain_db == 0.0
    assert result.notes
    assert "silent" in result.notes[-1]
    assert math.isinf(result.after.integrated_lufs)


def test_mono_is_mastered_as_dual_mono() -> None:
    result = master_audio(track("mono")[:, 0], RATE, target=SPOTIFY)
    assert result.audio.shape[1] == 2
    np.testing.assert_array_equal(result.audio[:, 0], result.audio[:, 1])
    assert any("dual-mono" in note for note in result.notes)
    assert abs(result.after.integrated_lufs + 14.0) <= 0.1


def test_surround_is_refused_with_the_channel_count() -> None:
    with pytest.raises(MasterError, match=r"6 channels \(5\.1\).*stereo"):
        master_audio(np.zeros((RATE, 6)), RATE, target=SPOTIFY)


def test_nan_is_refused_naming_the_frame() -> None:
    audio = np.array(track("pop"))
    audio[1234, 1] = np.nan
    with pytest.raises(MasterError, match="first at frame 1234, channel 1"):
        master_audio(audio, RATE, target=SPOTIFY)


def test_sound_shorter_than_a_gating_block_is_refused() -> None:
    with pytest.raises(MasterError, match=r"at least 0\.4 s"):
        master_audio(track("pop")[: RATE // 5], RATE, target=SPOTIFY)


@pytest.mark.parametrize("rate", [8_000, 192_000])
def test_extreme_sample_rates_meet_the_target(rate: int) -> None:
    audio = pop(np.random.default_rng(1), seconds=4.0, rate=rate)
    result = master_audio(audio, rate, target=SPOTIFY)
    assert abs(integrated_loudness(result.audio, rate) + 14.0) <= 0.1
    assert true_peak(result.audio, rate) <= -1.0


def _brighter(audio: np.ndarray) -> np.ndarray:
    """The audio with about +6 dB above 4 kHz."""
    sos = scipy.signal.butter(2, 4000, "highpass", fs=RATE, output="sos")
    brighter: np.ndarray = audio + scipy.signal.sosfilt(sos, audio, axis=0)
    return brighter


def _tilt(audio: np.ndarray) -> float:
    """Treble against mids, dB (independent of level)."""
    return _band_db(audio, 5000, 12_000) - _band_db(audio, 300, 2000)


def test_reference_pulls_the_tone_toward_it_by_the_blend() -> None:
    source = track("pop")
    reference = _brighter(pop(np.random.default_rng(2)))
    results = [
        master_audio(
            source, RATE, target=SPOTIFY, reference=reference, reference_rate=RATE, blend=blend
        )
        for blend in (0.0, 0.5, 1.0)
    ]
    none, half, full = (_tilt(r.audio) for r in results)
    assert results[0].eq.max_abs_db == 0.0
    assert 0.0 < results[1].eq.max_abs_db < results[2].eq.max_abs_db <= REFERENCE_MAX_DB
    assert none < half < full
    assert abs(full - _tilt(reference)) < abs(none - _tilt(reference)) / 2


def test_reference_target_matches_the_reference_loudness() -> None:
    reference = set_loudness(bright(np.random.default_rng(2)), -11.5)
    result = master_audio(
        track("pop"), RATE, target=get_target("reference"), reference=reference, reference_rate=RATE
    )
    assert result.target.lufs == pytest.approx(-11.5, abs=0.01)
    assert abs(result.after.integrated_lufs + 11.5) <= 0.1
    assert result.after.true_peak_dbtp <= -1.0


def test_reference_target_needs_a_reference() -> None:
    with pytest.raises(MasterError, match="needs a reference"):
        master_audio(track("pop"), RATE, target=get_target("reference"))


def test_width_follows_a_wider_reference() -> None:
    source = track("pop")
    mid = source.mean(axis=1, keepdims=True)
    narrow = 0.8 * mid + 0.2 * source
    result = master_audio(
        narrow, RATE, target=SPOTIFY, reference=source, reference_rate=RATE, blend=1.0
    )
    assert result.width > 1.0
    assert side_to_mid(result.audio) > side_to_mid(narrow)


def test_styles_stay_within_their_limit_and_differ() -> None:
    audio = track("pop")
    bass = master_audio(audio, RATE, target=SPOTIFY, style="bass", eq_amount=1.0)
    bright_style = master_audio(audio, RATE, target=SPOTIFY, style="bright", eq_amount=1.0)
    assert bass.eq.max_abs_db <= STYLE_MAX_DB + 1e-9
    low = bass.eq.frequencies_hz < 100
    assert np.mean(bass.eq.gain_db[low]) > np.mean(bright_style.eq.gain_db[low])


def test_progress_rises_to_one_and_can_cancel() -> None:
    seen: list[tuple[float, str]] = []
    master_audio(
        track("one_second"), RATE, target=SPOTIFY, progress=lambda f, m: seen.append((f, m))
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in seen)

    def cancel(fraction: float, message: str) -> None:
        if fraction > 0.3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        master_audio(track("pop"), RATE, target=SPOTIFY, progress=cancel)


@pytest.mark.parametrize(
    ("option", "value"),
    [("blend", 1.5), ("compression", -0.1), ("width", 3.0), ("eq_amount", True)],
)
def test_bad_options_are_refused_by_name(option: str, value: object) -> None:
    with pytest.raises(MasterError, match=option):
        master_audio(track("one_second"), RATE, target=SPOTIFY, **{option: value})  # type: ignore[arg-type]


def test_targets_parse_presets_and_custom_values() -> None:
    assert parse_target("Apple_Music").lufs == -16.0
    assert parse_target("-12/-0.5") == custom_target(-12.0, -0.5)
    assert parse_target("-10").ceiling_dbtp == -1.0
    assert get_target("amazon").ceiling_dbtp == -2.0
    for bad in ("-50", "-12/0.5", "-12/x", "loud"):
        with pytest.raises(MasterError):
            parse_target(bad)
