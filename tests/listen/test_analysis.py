"""Analysis of synthetic signals whose answers are known, plus JSON and the cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from bandmate.listen import (
    ANALYSIS_VERSION,
    AudioAnalysis,
    ListenError,
    analyze_file,
    analyze_samples,
)
from bandmate.listen.analyze import cache_path
from tests.listen.signals import NAMES, RATE, clicks, progression, tone


def _matched(reference: np.ndarray, estimated: np.ndarray, window: float = 0.07) -> float:
    """Share of reference beats with an estimated beat within ``window`` seconds."""
    if len(estimated) == 0:
        return 0.0
    return float(np.mean([np.min(np.abs(estimated - t)) <= window for t in reference]))


@pytest.mark.parametrize("bpm", [92.0, 120.0, 150.0])
def test_click_track_tempo_and_beats(bpm: float) -> None:
    result = analyze_samples(clicks(bpm, 20.0), RATE)
    assert result.bpm == pytest.approx(bpm, rel=0.04)
    reference = np.arange(2.0, 19.0, 60.0 / bpm)  # away from the edges
    assert _matched(reference, np.array(result.beats)) >= 0.9
    assert result.rhythm_strength > 0.5


def test_accented_clicks_give_downbeats_on_the_accents() -> None:
    bpm = 120.0
    result = analyze_samples(clicks(bpm, 20.0, accent=3), RATE)
    assert result.beats_per_bar == 3
    bar = 3 * 60.0 / bpm
    offsets = [(t / bar) % 1.0 for t in result.downbeats]
    assert np.mean([min(o, 1.0 - o) < 0.1 for o in offsets]) >= 0.9


def test_chord_progression_key_and_chords() -> None:
    # C major: C Am F G C (roots 0, 9, 5, 7, 0).
    chords = [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj"), (0, "maj")] * 2
    audio = progression(chords, bpm=100.0)
    result = analyze_samples(audio, RATE)
    assert result.key.name == "C major"
    assert result.key.confidence > 0.0
    bar = 4 * 60.0 / 100.0
    hits = 0
    for index, (root, quality) in enumerate(chords):
        middle = (index + 0.5) * bar
        span = next(c for c in result.chords if c.start <= middle < c.end)
        hits += span.label == f"{NAMES[root]}:{quality}"
    assert hits >= 9  # of 10 bars


def test_minor_progression_is_heard_in_minor() -> None:
    # A minor: Am Dm E Am (the major dominant, as in harmonic minor).
    chords = [(9, "min"), (2, "min"), (4, "maj"), (9, "min")] * 3
    result = analyze_samples(progression(chords, bpm=90.0), RATE)
    assert result.key.name == "A minor"


def test_sine_at_440_is_pitch_class_a() -> None:
    t = np.arange(RATE * 6) / RATE
    result = analyze_samples((0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32), RATE)
    rows = np.array(result.beat_chroma)
    assert np.mean(np.argmax(rows, axis=1) == 9) > 0.9
    # A 0.3 sine in one channel: -3.01 dB + 20 log10(0.3), less K-weighting at 440 Hz.
    assert result.loudness.integrated_lufs == pytest.approx(-14.1, abs=0.5)


def test_silence_is_a_sensible_result() -> None:
    result = analyze_samples(np.zeros(RATE * 5, dtype=np.float32), RATE)
    assert result.beats == ()
    assert result.bpm == 0.0
    assert all(span.label == "N" for span in result.chords)
    assert result.loudness.integrated_lufs is None
    assert result.loudness.true_peak_dbtp is None
    assert result.key.confidence == 0.0
    assert result.energy == 0.0


def test_bad_samples_are_refused() -> None:
    with pytest.raises(ListenError, match="NaN"):
        analyze_samples(np.full(1000, np.nan, dtype=np.float32), RATE)
    with pytest.raises(ListenError, match="sample_rate=10 must be"):
        analyze_samples(np.zeros(1000, dtype=np.float32), 10)
    with pytest.raises(ListenError, match="shape"):
        analyze_samples(np.zeros((1000, 64), dtype=np.float32), RATE)
    with pytest.raises(ListenError, match="shape"):
        analyze_samples(np.zeros(0, dtype=np.float32), RATE)


def test_json_round_trip() -> None:
    result = analyze_samples(progression([(7, "maj"), (0, "maj")] * 2), RATE)
    again = AudioAnalysis.from_json(result.to_json())
    assert again == result
    with pytest.raises(ListenError, match="not a stored analysis"):
        AudioAnalysis.from_json("{}")
    with pytest.raises(ListenError, match="version"):
        AudioAnalysis.from_json(
            result.to_json().replace(f'"version":{ANALYSIS_VERSION}', '"version":999')
        )


def test_cache_by_content_hash(tmp_path: Path) -> None:
    audio = tmp_path / "song.wav"
    soundfile.write(audio, progression([(2, "maj"), (7, "maj")] * 2), RATE)
    cache = tmp_path / "cache"
    first = analyze_file(audio, cache_dir=cache)
    stored = cache_path(cache, first.sha256)
    assert stored.is_file()
    # A second call reads the cache: prove it by planting a marker in the stored entry.
    planted = first.to_json().replace(f'"bpm":{first.bpm}', '"bpm":1.5')
    stored.write_text(planted)
    assert analyze_file(audio, cache_dir=cache).bpm == 1.5
    # The same bytes under another name hit the same entry; a damaged entry is redone.
    copy = tmp_path / "copy.wav"
    copy.write_bytes(audio.read_bytes())
    stored.write_text("{ not json")
    assert analyze_file(copy, cache_dir=cache) == first


def test_stereo_file_reports_its_own_rate_and_channels(tmp_path: Path) -> None:
    mono = tone(57, 3.0, rate=48_000)
    path = tmp_path / "stereo.flac"
    soundfile.write(path, np.stack([mono, 0.5 * mono], axis=1), 48_000)
    result = analyze_file(path)
    assert (result.sample_rate, result.channels) == (48_000, 2)
    assert result.seconds == pytest.approx(3.0, abs=0.01)


def test_progress_rises_to_one(tmp_path: Path) -> None:
    audio = tmp_path / "song.wav"
    soundfile.write(audio, progression([(0, "maj"), (5, "maj")] * 2), RATE)
    seen: list[tuple[float, str]] = []
    analyze_file(audio, progress=lambda fraction, message: seen.append((fraction, message)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0
    assert {"decoding", "rhythm", "harmony", "loudness", "done"} <= {m for _, m in seen}


def test_cancelling_through_progress_stops_the_analysis(tmp_path: Path) -> None:
    audio = tmp_path / "song.wav"
    soundfile.write(audio, progression([(0, "maj")] * 4), RATE)

    class CancelledError(Exception):
        pass

    def cancel(fraction: float, message: str) -> None:
        if message == "harmony":
            raise CancelledError

    with pytest.raises(CancelledError):
        analyze_file(audio, progress=cancel)
