"""The musicnn tagger: parity with the original, front end, bounds, bad input, analysis."""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.signal
import soundfile

from bandmate.listen import ListenError, analyze_samples
from bandmate.listen.analyze import cache_path, tag_patches_for
from bandmate.listen.mood import Mood, estimate_mood
from bandmate.listen.result import AudioAnalysis
from bandmate.listen.tagger import (
    PATCH_FRAMES,
    TAG_KINDS,
    TAGGER_VERSION,
    _load,
    _lowpass,
    forward,
    log_mel,
    patch_starts,
    tag_audio,
)

FIXTURES = Path(__file__).parent / "fixtures" / "musicnn"
MODELS = ("MTT_musicnn", "MSD_musicnn")


def _reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "reference.json").read_text())
    return data


def _clip(name: str) -> tuple[np.ndarray, int]:
    samples, rate = soundfile.read(FIXTURES / name, dtype="float32")
    return samples, int(rate)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("name", ["chorale_16k.flac", "song_16k.flac", "song_44k_stereo.flac"])
def test_matches_original_musicnn(name: str, model: str) -> None:
    """Scores of every patch equal TensorFlow musicnn 0.1.0's (fixture made by
    ``scripts/convert_musicnn.py --reference``): to 1e-4 at 16 kHz, where both read the
    same samples; to 5e-3 at 44.1 kHz, where the resamplers differ (soxr there)."""
    clip = next(c for c in _reference()["clips"] if c["file"] == name)
    samples, rate = _clip(name)
    ours = tag_audio(samples, rate, model=model, max_patches=None)  # type: ignore[arg-type]
    theirs = np.array(clip[model])
    assert ours.patches.shape == theirs.shape
    tolerance = 1e-4 if rate == 16_000 else 5e-3
    np.testing.assert_allclose(ours.patches, theirs, atol=tolerance)
    np.testing.assert_allclose(ours.scores, theirs.mean(axis=0), atol=tolerance)
    assert [t for t, _ in ours.top(3)] == [ours.tags[i] for i in np.argsort(-theirs.mean(0))[:3]]


def test_tags_are_musicnn_labels() -> None:
    for model in MODELS:
        net = _load(model)
        assert len(net.tags) == 50
        assert set(net.tags) <= set(TAG_KINDS)
    assert _load("MTT_musicnn").tags[:3] == ("guitar", "classical", "slow")
    assert _load("MSD_musicnn").tags[:3] == ("rock", "pop", "alternative")


def test_front_end_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    samples, _ = _clip("song_16k.flac")
    mel = librosa.feature.melspectrogram(
        y=samples, sr=16_000, hop_length=256, n_fft=512, n_mels=96
    ).T
    expected = np.log10(10000 * mel.astype(np.float16).astype(np.float32) + 1)
    ours = log_mel(samples)
    assert ours.shape == expected.shape == (1 + len(samples) // 256, 96)
    # float16 rounding may fall either side for values on a rounding boundary.
    np.testing.assert_allclose(ours, expected, atol=2e-3)


def test_scores_shape_range_and_determinism() -> None:
    samples, rate = _clip("song_44k_stereo.flac")
    first = tag_audio(samples, rate, model="MSD_musicnn")
    again = tag_audio(samples, rate, model="MSD_musicnn")
    assert first.scores.shape == (50,)
    assert first.patches.shape == (1, 50)
    assert np.all((first.scores > 0.0) & (first.scores < 1.0))
    np.testing.assert_array_equal(first.patches, again.patches)
    top = first.top(5)
    assert [s for _, s in top] == sorted((s for _, s in top), reverse=True)


def test_silence_gives_finite_scores_and_no_analysis_tags() -> None:
    silence = np.zeros(16_000 * 4, dtype=np.float32)
    scored = tag_audio(silence, 16_000)
    assert np.isfinite(scored.scores).all()
    analysis = analyze_samples(silence, 16_000)
    assert analysis.tags == ()
    assert "silence" in analysis.tagger


@pytest.mark.parametrize("seconds", [0.001, 0.5, 2.9])
def test_short_clip_is_repeated_to_one_patch(seconds: float) -> None:
    samples, _ = _clip("song_16k.flac")
    short = samples[: max(1, int(seconds * 16_000))]
    scored = tag_audio(short, 16_000, model="MTT_musicnn")
    assert scored.patches.shape == (1, 50)
    tiled = np.resize(log_mel(short), (PATCH_FRAMES, 96))[None]
    np.testing.assert_allclose(
        scored.patches, forward(tiled, _load("MTT_musicnn").w), rtol=0, atol=1e-6
    )


def test_stereo_of_equal_channels_equals_mono() -> None:
    samples, rate = _clip("song_16k.flac")
    mono = tag_audio(samples, rate)
    stereo = tag_audio(np.stack([samples, samples], axis=1), rate)
    np.testing.assert_allclose(stereo.patches, mono.patches, atol=1e-6)
    wide = tag_audio(np.stack([samples] * 6, axis=1), rate)
    np.testing.assert_allclose(wide.patches, mono.patches, atol=1e-6)


def test_other_rates_tag_alike() -> None:
    samples, _ = _clip("song_16k.flac")
    base = tag_audio(samples, 16_000, model="MTT_musicnn")
    scores = {}
    for rate in (22_050, 32_000, 44_100, 48_000, 96_000):
        common = np.gcd(rate, 16_000)
        up, down = rate // common, 16_000 // common
        resampled = scipy.signal.resample_poly(samples, up, down, window=_lowpass(up, down))
        other = tag_audio(resampled.astype(np.float32), rate, model="MTT_musicnn")
        assert other.patches.shape == base.patches.shape
        scores[rate] = other.scores
    # Every rate agrees closely; the round trip (two filters) dims the top of the top mel
    # band (7.6..8 kHz), which moves a few scores of the 16 kHz original a little.
    for rate, values in scores.items():
        np.testing.assert_allclose(values, scores[44_100], atol=2e-3, err_msg=str(rate))
        np.testing.assert_allclose(values, base.scores, atol=0.06, err_msg=str(rate))


def test_8khz_audio_is_tagged_without_its_missing_top_octave() -> None:
    samples, _ = _clip("song_16k.flac")
    narrow = scipy.signal.resample_poly(samples, 1, 2).astype(np.float32)
    scored = tag_audio(narrow, 8_000)
    assert scored.patches.shape == (3, 50)
    assert np.all((scored.scores > 0.0) & (scored.scores < 1.0))


def test_patch_by_patch_resampling_equals_the_whole_track() -> None:
    samples, rate = _clip("song_44k_stereo.flac")
    long = np.tile(samples, (4, 1))  # 14 s: four patches
    whole = scipy.signal.resample_poly(long.mean(axis=1), 160, 441, window=_lowpass(160, 441))
    ours = tag_audio(long, rate, max_patches=None)
    reference = tag_audio(whole.astype(np.float32), 16_000, max_patches=None)
    # Not bit-equal: float32 sums in another order can flip a float16 rounding of the mel.
    np.testing.assert_allclose(ours.patches, reference.patches, atol=5e-4)


def test_bounded_patches_are_a_spread_subset() -> None:
    assert list(patch_starts(100, 4)) == [0]
    assert list(patch_starts(187 * 10, None)) == [187 * i for i in range(10)]
    picked = list(patch_starts(187 * 10, 3))
    assert picked == [0, 187 * 5, 187 * 9] or picked == [0, 187 * 4, 187 * 9]
    assert list(patch_starts(187 * 10, 1)) == [187 * 5]
    samples, rate = _clip("chorale_16k.flac")
    full = tag_audio(samples, rate, max_patches=None)
    two = tag_audio(samples, rate, max_patches=2)
    assert len(full.starts) == 3
    np.testing.assert_array_equal(two.starts, full.starts[[0, 2]])
    np.testing.assert_allclose(two.patches, full.patches[[0, 2]], atol=1e-6)
    assert tag_patches_for(24.0) == 1
    assert tag_patches_for(180.0) == 4
    assert tag_patches_for(36_000.0) == 8


@pytest.mark.parametrize(
    ("samples", "rate", "match"),
    [
        (np.zeros(0, dtype=np.float32), 16_000, "empty"),
        (np.zeros((0, 2), dtype=np.float32), 16_000, "empty"),
        (np.zeros((10, 0), dtype=np.float32), 16_000, "empty"),
        (np.full(1000, np.nan, dtype=np.float32), 16_000, "NaN"),
        (np.full(1000, np.inf, dtype=np.float32), 16_000, "NaN"),
        (np.zeros(1000, dtype=np.float32), 0, "sample_rate"),
        (np.zeros(1000, dtype=np.float32), 10_000_000, "sample_rate"),
        (np.zeros((10, 2, 2), dtype=np.float32), 16_000, "shape"),
    ],
)
def test_bad_input_is_refused(samples: np.ndarray, rate: int, match: str) -> None:
    with pytest.raises(ListenError, match=match):
        tag_audio(samples, rate)


def test_bad_options_are_refused() -> None:
    with pytest.raises(ListenError, match="model"):
        tag_audio(np.zeros(100, dtype=np.float32), 16_000, model="VGG")  # type: ignore[arg-type]
    with pytest.raises(ListenError, match="max_patches"):
        tag_audio(np.zeros(100, dtype=np.float32), 16_000, max_patches=0)


def test_loud_input_saturates_instead_of_overflowing() -> None:
    t = np.arange(16_000 * 3) / 16_000
    square = np.sign(np.sin(2 * np.pi * 60.0 * t)).astype(np.float32) * 1000.0
    scored = tag_audio(square, 16_000)
    assert np.isfinite(scored.scores).all()


def test_analysis_carries_tags(tmp_path: Path) -> None:
    samples, rate = _clip("song_44k_stereo.flac")
    analysis = analyze_samples(samples, rate)
    assert analysis.tags
    assert TAGGER_VERSION in analysis.tagger
    assert "1 patch" in analysis.tagger
    scores = [t.score for t in analysis.tags]
    assert scores == sorted(scores, reverse=True)
    assert {t.kind for t in analysis.tags} <= {"genre", "mood", "era", "voice", "instrument"}
    assert 1 <= len(analysis.genres()) <= 5
    assert 1 <= len(analysis.moods()) <= 5
    direct = tag_audio(samples, rate, model="MSD_musicnn", max_patches=1)
    best = direct.top(1)[0]
    assert (analysis.tags[0].name, analysis.tags[0].score) == (best[0], round(best[1], 4))
    assert AudioAnalysis.from_json(analysis.to_json()) == analysis
    assert TAGGER_VERSION.replace("/", "_") in cache_path(tmp_path, "ab" * 32).name


def test_mood_tags_nudge_valence_and_arousal() -> None:
    def mood(tags: dict[str, float] | None) -> Mood:
        return estimate_mood(
            major=0.0, bpm=110.0, energy=0.5, brightness_hz=1500.0, rhythm_strength=0.5,
            tags=tags,
        )  # fmt: skip

    base = mood(None)
    assert mood({}) == base
    happy = mood({"happy": 0.6, "sad": 0.01})
    sad = mood({"happy": 0.01, "sad": 0.6})
    assert sad.valence < base.valence < happy.valence
    calm = mood({"Mellow": 0.7, "chill": 0.5})
    wild = mood({"party": 0.7, "punk": 0.5})
    assert calm.arousal < base.arousal < wild.arousal
    # The shift is bounded: tags cannot overrule the measured features.
    assert abs(np.arctanh(happy.valence) - np.arctanh(base.valence)) <= 0.5 + 1e-3


def _converter() -> Any:
    path = Path(__file__).parents[2] / "scripts" / "convert_musicnn.py"
    spec = importlib.util.spec_from_file_location("convert_musicnn", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _block(entries: list[tuple[bytes, bytes]]) -> bytes:
    body, previous = b"", b""
    for key, value in entries:
        shared = next(
            (i for i, (a, b) in enumerate(zip(previous, key, strict=False)) if a != b),
            min(len(previous), len(key)),
        )
        body += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        body += key[shared:] + value
        previous = key
    return body + struct.pack("<II", 0, 1)  # one restart point, at 0


def _bundle(tensors: dict[str, np.ndarray]) -> tuple[bytes, bytes]:
    """A one-shard TensorFlow tensor bundle (.index, .data) built by hand."""
    data, entries = b"", [(b"", b"\x08\x01")]  # the header entry under the empty key
    for name, array in sorted(tensors.items()):
        dims = b"".join(b"\x12" + _varint(len(d)) + d for d in (b"\x08" + _varint(n)
                                                              for n in array.shape))  # fmt: skip
        raw = array.astype("<f4").tobytes()
        entry = b"\x08\x01" + b"\x12" + _varint(len(dims)) + dims
        entry += b"\x20" + _varint(len(data)) + b"\x28" + _varint(len(raw))
        entries.append((name.encode(), entry))
        data += raw
    table = _block(entries)
    handle = _varint(0) + _varint(len(table) - 0)
    table += b"\x00\x00\x00\x00\x00"  # compression type 0 and a crc (unchecked)
    meta_at = len(table)
    meta = _block([])
    table += meta + b"\x00\x00\x00\x00\x00"
    index_at = len(table)
    index = _block([(entries[-1][0], handle)])
    table += index + b"\x00\x00\x00\x00\x00"
    handles = _varint(meta_at) + _varint(len(meta)) + _varint(index_at) + _varint(len(index))
    footer = handles.ljust(40, b"\x00") + struct.pack("<Q", 0xDB4775248B80FB57)
    return table + footer, data


def test_converter_reads_a_tensor_bundle_by_hand() -> None:
    convert = _converter()
    rng = np.random.default_rng(5)
    tensors = {
        "conv2d/kernel": rng.standard_normal((7, 38, 1, 4)).astype(np.float32),
        "conv2d/bias": rng.standard_normal(4).astype(np.float32),
        "conv2d/kernel/Adam": rng.standard_normal(3).astype(np.float32),
        "dense/kernel": rng.standard_normal((300, 2)).astype(np.float32),
    }
    index, data = _bundle(tensors)
    read = convert.read_checkpoint(index, data)
    assert set(read) == set(tensors)
    for name, array in tensors.items():
        np.testing.assert_array_equal(read[name], array)
    with pytest.raises(convert.FormatError, match="magic"):
        convert.read_index(index[:-1] + b"\x00")
    with pytest.raises(convert.FormatError, match="fill shape"):
        convert.read_checkpoint(index, data[:-4])
