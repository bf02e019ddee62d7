"""Harmony voices: the committed GRU against its Markov baseline on held-out polyphony, and
voices written under real melodies (valid, ordered, in key, deterministic per seed)."""

from __future__ import annotations

import itertools
import json
from importlib import resources

import numpy as np
import pytest

from bandmate.assist import AssistError, PartRequest, suggest_part, suggest_voices
from bandmate.assist.voices.baseline import IntervalMarkov
from bandmate.assist.voices.data import (
    IGNORE,
    N_FEATURES,
    REST,
    encode_piece,
    interval_class,
    load_split,
    step_features,
)
from bandmate.assist.voices.generate import RANGES, load_voices_models
from bandmate.assist.voices.train import gru_log_probs, musical_checks, score
from bandmate.music import ChordEvent, Instrument, MeterChange, Note, Song, Track, parse_chord
from bandmate.music.key import parse_key
from bandmate.music.time import TempoMap

PPQ = 480
BAR = 4 * PPQ
TUNE = [67, 69, 71, 72, 74, 72, 71, 69, 67, 71, 74, 79, 78, 76, 74, 72, 71, 69, 67, 67]


def _report() -> dict[str, object]:
    text = (resources.files("bandmate.assist") / "weights" / "voices.json").read_text()
    report: dict[str, object] = json.loads(text)
    return report


def tune_song(**changes: object) -> Song:
    """Five bars of a G major tune in quarters, with a chord per bar."""
    notes = tuple(Note(p, i * PPQ, PPQ, 90) for i, p in enumerate(TUNE))
    chords = tuple(
        ChordEvent(i * BAR, BAR, parse_chord(s)) for i, s in enumerate(["G", "C", "G", "D7", "G"])
    )
    fields: dict[str, object] = {
        "key": parse_key("G"), "tracks": (Track("Tune", Instrument(73), notes),), "chords": chords,
    }  # fmt: skip
    return Song(**(fields | changes))  # type: ignore[arg-type]


def test_features_and_classes() -> None:
    feats = step_features([60, 64, 62], [24, 24, 48], [True, False, True], [True, True, True],
                          tonic_pc=0, minor=False, depth=3, style="palestrina")  # fmt: skip
    assert feats.shape == (3, N_FEATURES)
    assert feats[:, :12].argmax(axis=1).tolist() == [0, 4, 2]
    assert float(feats.sum()) == pytest.approx(3 * 6 + 2 + 3)  # 6 one-hots a row, 5 flags
    assert interval_class(60, 48) == 12
    assert interval_class(60, None) == REST
    assert interval_class(60, 62) == IGNORE  # a lower voice that crosses above
    with pytest.raises(AssistError, match="depth"):
        step_features([60], [24], [True], [True], tonic_pc=0, minor=False, depth=4,
                      style="chorale")  # fmt: skip


def test_encoding_reads_each_lower_voice_under_the_top() -> None:
    piece = {
        "id": "x", "collection": "bach", "key": "C major", "meter": "4/4",
        "voices": [[[0, 24, 72], [24, 24, 71], [48, 48, 72]],
                   [[0, 48, 64], [48, 48, 67]],
                   [[0, 96, 48]]],
    }  # fmt: skip
    inner, bass = encode_piece(piece)
    assert inner.targets.tolist() == [8, 7, 5]
    assert inner.previous.tolist() == [37, 8, 7]
    assert bass.depth == 3
    assert bass.targets.tolist() == [24, 23, 24]
    assert inner.strong.tolist() == [True, False, True]


def test_the_gru_beats_its_baseline_on_held_out_voices() -> None:
    report = _report()
    test = report["test"]
    assert isinstance(test, dict)
    for key in ("all_nll", "chorale_nll", "palestrina_nll"):
        assert test["gru"][key] < test["markov"][key], key
    # Re-score a slice of the held-out voices with the committed weights.
    models = load_voices_models()
    seqs = load_split("test")[:24]
    gru = score([gru_log_probs(models.model, s) for s in seqs], seqs)
    markov = IntervalMarkov().fit(load_split("train"))
    base = score([markov.sequence_log_probs(s) for s in seqs], seqs)
    assert gru["all_notes"] > 1000
    assert gru["all_nll"] < base["all_nll"]
    assert gru["all_top1"] > base["all_top1"]


def test_the_checks_are_near_the_human_voices() -> None:
    checks = _report()["checks"]
    assert isinstance(checks, dict)
    human, gru = checks["human"], checks["gru"]
    assert gru["consonant_strong"] > 0.8 * human["consonant_strong"]
    assert gru["in_key"] > 0.9
    assert gru["parallel_perfect"] < 0.15


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("style", ["chorale", "palestrina"])
def test_voices_under_a_tune(count: int, style: str) -> None:
    song = tune_song()
    [s] = suggest_voices(song, PartRequest(style=style, seed=4), voices=count)
    assert s.part == "voices"
    assert len(s.tracks) == count
    assert all(t.name.startswith("Bandmate ") for t in s.tracks)
    melody = {n.start: n.pitch for n in song.tracks[0].notes}
    sounding = []
    for track in s.tracks:
        assert track.notes
        at = {}
        for note in track.notes:
            assert s.start_tick <= note.start < note.end <= s.end_tick
            assert note.start in melody  # note against note
            for t in range(note.start, note.end, PPQ):
                at[t] = note.pitch
                assert note.pitch <= melody[t]  # never above the melody
        sounding.append(at)
    for upper, lower in itertools.pairwise(sounding):
        assert all(lower[t] <= upper[t] for t in lower if t in upper)  # no crossing
    bass = s.tracks[-1].notes if count > 1 else ()
    low, high = RANGES[3]
    assert all(low <= n.pitch <= high for n in bass)
    scale = set(parse_key("G").pitch_classes)
    notes = [n for t in s.tracks for n in t.notes]
    assert sum(n.pitch % 12 in scale for n in notes) / len(notes) > 0.85


def test_voices_follow_the_chord_lane_on_strong_beats() -> None:
    song = tune_song()
    lane = {e.tick // BAR: set(e.chord.pitch_classes) for e in song.chords}
    on = total = 0
    for seed in range(5):
        [s] = suggest_voices(song, PartRequest(seed=seed), voices=3)
        for track in s.tracks:
            for note in track.notes:
                if note.start % (BAR // 2) == 0:
                    total += 1
                    on += note.pitch % 12 in lane[note.start // BAR]
    assert on / total > 0.75


def test_same_seed_same_voices_and_alternatives_differ() -> None:
    song = tune_song()
    one = suggest_voices(song, PartRequest(seed=9, alternatives=3), voices=2)
    two = suggest_voices(song, PartRequest(seed=9, alternatives=3), voices=2)
    assert one == two
    assert len({s.tracks for s in one}) == 3
    markov = suggest_voices(song, PartRequest(seed=9), voices=2, model="markov")
    assert markov[0].tracks != one[0].tracks


def test_voices_through_suggest_part_and_a_span() -> None:
    song = tune_song()
    [s] = suggest_part(song, "voices", PartRequest(seed=1, start_bar=2, bars=2, voices=3))
    assert len(s.tracks) == 3
    assert all(BAR <= n.start < 3 * BAR for t in s.tracks for n in t.notes)


def test_odd_songs() -> None:
    seven = Song(
        key=parse_key("F# minor"), meters=(MeterChange(0, 7, 8),),
        tracks=(Track("Tune", Instrument(0), tuple(
            Note(p, i * PPQ // 2, PPQ // 2, 90) for i, p in enumerate([66, 68, 69, 71, 73, 71, 69,
                                                                      68, 66, 65, 66, 73, 71, 69])
        )),),
    )  # fmt: skip
    [s] = suggest_voices(seven, PartRequest(seed=2), voices=2)
    tempo_map = TempoMap.from_song(seven)
    assert s.end_tick == tempo_map.bar_start_tick(3)
    scale = set(parse_key("F# minor").pitch_classes) | {3, 5}  # raised 6th and 7th
    notes = [n for t in s.tracks for n in t.notes]
    assert sum(n.pitch % 12 in scale for n in notes) / len(notes) > 0.8
    drums = Song(tracks=(Track("Kit", Instrument(drums=True), (Note(36, 0, 120, 100),)),))
    with pytest.raises(AssistError, match="pitched"):
        suggest_voices(drums)
    with pytest.raises(AssistError, match="pitched"):
        suggest_voices(Song())


def test_bad_requests_are_clear_errors() -> None:
    song = tune_song()
    with pytest.raises(AssistError, match="style="):
        suggest_voices(song, PartRequest(style="rock"))
    with pytest.raises(AssistError, match="voices=4"):
        suggest_voices(song, voices=4)
    with pytest.raises(AssistError, match="voices=0"):
        PartRequest(voices=0)
    with pytest.raises(AssistError, match=r"no notes in bars 9\.\.9"):
        suggest_voices(song, PartRequest(start_bar=9, bars=1))
    with pytest.raises(AssistError, match="model="):
        suggest_voices(song, model="lstm")  # type: ignore[arg-type]


def test_musical_checks_count_parallels() -> None:
    melody = np.array([72, 74, 76, 77])
    parallel_fifths = [65, 67, 69, 70]
    checks = musical_checks(melody, parallel_fifths, np.ones(4, dtype=bool), {0, 2, 4, 5, 7, 9, 11})
    assert checks["parallel_perfect"] == 1.0
    contrary = [60, 59, 57, 53]
    assert musical_checks(melody, contrary, np.ones(4, dtype=bool), {0})["parallel_perfect"] == 0
