"""The phase vocoder against numbers: duration and pitch of sines, levels, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from bandmate.loops.errors import LoopError
from bandmate.loops.stretch import pitch_shift, time_stretch, transform

RATE = 22050


def _sine(hz: float, seconds: float = 2.0, *, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    y = 0.5 * np.sin(2 * np.pi * hz * t)
    return np.stack([y] * channels, axis=1) if channels > 1 else y


def _peak_hz(y: np.ndarray) -> float:
    mono = y[:, 0] if y.ndim == 2 else y
    middle = mono[len(mono) // 4 : 3 * len(mono) // 4]
    spectrum = np.abs(np.fft.rfft(middle * np.hanning(len(middle)), n=1 << 17))
    return float(np.argmax(spectrum) * RATE / (1 << 17))


@pytest.mark.parametrize("rate", [0.5, 0.8, 1.25, 2.0])
def test_stretching_changes_length_not_pitch(rate: float) -> None:
    y = _sine(440.0)
    out = time_stretch(y, rate)
    assert out.shape == (round(len(y) / rate), 1)
    assert _peak_hz(out) == pytest.approx(440.0, abs=2.0)
    rms = float(np.sqrt(np.mean(out[len(out) // 4 : -len(out) // 4] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.15)


@pytest.mark.parametrize("semitones", [-12, -5, -1, 2, 7, 12])
def test_shifting_changes_pitch_not_length(semitones: int) -> None:
    y = _sine(330.0, channels=2)
    out = pitch_shift(y, semitones)
    assert out.shape == y.shape
    assert _peak_hz(out) == pytest.approx(330.0 * 2 ** (semitones / 12), rel=0.01)
    np.testing.assert_allclose(out[:, 0], out[:, 1])


def test_neutral_settings_return_the_input() -> None:
    y = _sine(220.0, 0.5)
    np.testing.assert_allclose(transform(y)[:, 0], y, atol=1e-6)


@pytest.mark.parametrize(
    ("audio", "kwargs", "message"),
    [
        (np.zeros(0), {"rate": 1.5}, "shape"),
        (np.zeros((10, 9)), {"rate": 1.5}, "shape"),
        (np.array([0.0, np.nan, 0.0]), {"rate": 1.5}, "NaN"),
        (np.zeros(100), {"rate": 3.0}, "rate=3.0"),
        (np.zeros(100), {"rate": float("inf")}, "rate=inf"),
        (np.zeros(100), {"semitones": 13}, "semitones=13"),
    ],
)
def test_bad_input_is_refused(audio: np.ndarray, kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(LoopError, match=message):
        transform(audio, **kwargs)
