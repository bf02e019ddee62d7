"""Tests for the harmonizer: features, the HMM baseline, held-out scores, the API."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bandmate.assist import AssistError, harmonize_melody
from bandmate.assist.harmony.data import load_examples
from bandmate.assist.harmony.features import REST, Beat, beat_features, main_pitch_class
from bandmate.assist.harmony.harmonize import Harmonizer, load_harmonizer_models
from bandmate.assist.harmony.hmm import ChordHMM
from bandmate.assist.harmony.train import score_gru, score_hmm
from bandmate.music import Instrument, Key, MeterChange, Note, Song, TempoMap, Track, parse_chord
from bandmate.music.key import parse_key

TWINKLE = [60, 60, 67, 67, 69, 69, 67, 67, 65, 65, 64, 64, 62, 62, 60, 60]  # last note held


def _melody(pitches: list[int], *, step: int = 480, transpose: int = 0) -> Track:
    return Track(
        "Tune", notes=tuple(Note(p + transpose, i * step, step) for i, p in enumerate(pitches))
    )


@pytest.fixture(scope="module")
def harmonizer() -> Harmonizer:
    return load_harmonizer_models()


def test_features_are_shares_of_the_beat_from_the_tonic() -> None:
    notes = [(0.0, 0.5, 62), (0.5, 0.5, 64), (1.0, 2.0, 62), (4.0, 1.0, 74)]
    beats = [Beat(float(t), 1.0, t % 4 == 0) for t in range(5)]
    f = beat_features(notes, beats, tonic_pc=2, minor=False)
    assert f.shape == (5, 16)
    assert f[0, :3].tolist() == pytest.approx([0.5, 0.0, 0.5])
    assert (f[1, 0], f[1, 13]) == (1.0, 1.0)
    assert (f[2, 0], f[2, 13]) == (1.0, 0.0)  # held from the previous beat
    assert (f[3, REST], f[3, :12].sum()) == (1.0, 0.0)
    assert (f[4, 14], f[4, 15]) == (1.0, 0.0)
    assert main_pitch_class(f).tolist() == [0, 0, 0, REST, 0]


def test_features_do_not_depend_on_the_key() -> None:
    beats = [Beat(float(t), 1.0, t == 0) for t in range(8)]
    c = beat_features(
        [(float(i), 1.0, p) for i, p in enumerate(TWINKLE[:8])], beats, tonic_pc=0, minor=False
    )
    f_sharp = beat_features(
        [(float(i), 1.0, p + 6) for i, p in enumerate(TWINKLE[:8])], beats, tonic_pc=6, minor=False
    )
    assert np.array_equal(c, f_sharp)


def test_hmm_posteriors_are_distributions_and_viterbi_follows_the_melody() -> None:
    # Chord 2 always sounds over pitch class 0, chord 3 over pitch class 7, alternating.
    symbols = np.array([0, 7, 0, 7, 0, 7])
    chords = np.array([2, 3, 2, 3, 2, 3])
    hmm = ChordHMM(4, alpha=0.1).fit([(False, symbols, chords)] * 5)
    post = hmm.posteriors(np.array([0, 7, 7, 0]), minor=False)
    assert np.allclose(np.exp(post).sum(axis=1), 1.0)
    assert hmm.viterbi(np.array([0, 7, 0]), minor=False).tolist() == [2, 3, 2]
    with pytest.raises(AssistError, match="alpha=0 must be > 0"):
        ChordHMM(4, alpha=0)
    with pytest.raises(AssistError, match="must be fitted"):
        ChordHMM(4).viterbi(symbols, minor=True)


def test_gru_beats_the_hmm_on_held_out_chorales(harmonizer: Harmonizer) -> None:
    test = load_examples("test")[:40]
    gru = score_gru(harmonizer.model, test, harmonizer.vocab)
    hmm, viterbi = score_hmm(harmonizer.hmm, test, harmonizer.vocab)
    assert gru.tokens == hmm.tokens > 300
    assert gru.nll < hmm.nll
    assert gru.top1 > hmm.top1
    assert 0.0 < viterbi < 1.0


@pytest.mark.parametrize("model", ["gru", "hmm"])
def test_twinkle_gets_one_chord_per_bar(model: str) -> None:
    song = Song(key=Key("C"), tracks=(_melody(TWINKLE),))
    events = harmonize_melody(song, model=model)  # type: ignore[arg-type]
    tempo_map = TempoMap.from_song(song)
    assert [(e.tick, e.duration) for e in events] == [
        (tempo_map.bar_start_tick(b), tempo_map.bar_length(b)) for b in range(1, 5)
    ]
    assert str(events[0].chord) == "C"
    assert all(parse_chord(str(e.chord)) == e.chord for e in events)
    assert harmonize_melody(song, model=model) == events  # type: ignore[arg-type]


def test_the_gru_hears_the_cadence() -> None:
    song = Song(key=Key("C"), tracks=(_melody(TWINKLE),))
    beats = [str(e.chord) for e in harmonize_melody(song, rhythm="beat")]
    assert beats[-2:] == ["G", "C"]  # D D | C C: a perfect cadence
    assert str(harmonize_melody(song)[-1].chord) == "C"


def test_beat_rhythm_covers_the_melody_without_gaps() -> None:
    song = Song(key=Key("C"), tracks=(_melody(TWINKLE),))
    events = harmonize_melody(song, rhythm="beat")
    assert events[0].tick == 0
    assert events[-1].end == 16 * 480
    assert all(a.end == b.tick and a.chord != b.chord for a, b in itertools.pairwise(events))


def test_f_sharp_minor_in_seven_eight() -> None:
    tune = [66, 69, 73, 71, 69, 68, 66, 73, 71, 69, 68, 65, 66, 66]
    song = Song(
        key=parse_key("F# minor"),
        meters=(MeterChange(0, 7, 8),),
        tracks=(_melody(tune, step=240),),
    )
    events = harmonize_melody(song)
    assert [e.duration for e in events] == [7 * 240, 7 * 240]
    assert str(events[0].chord) == "F#m"
    assert all("b" not in e.chord.root for e in events)


def test_the_melody_track_is_chosen_by_pitch_name_or_index() -> None:
    bass = Track("Bass", notes=tuple(Note(36, i * 1920, 1920) for i in range(4)))
    drums = Track("Kit", Instrument(drums=True), tuple(Note(36, i * 480, 60) for i in range(16)))
    song = Song(key=Key("C"), tracks=(drums, bass, _melody(TWINKLE)))
    auto = harmonize_melody(song)
    assert harmonize_melody(song, track="Tune") == auto == harmonize_melody(song, track=2)
    with pytest.raises(AssistError, match="must be a pitched track"):
        harmonize_melody(song, track=0)
    with pytest.raises(AssistError, match=r"track=5 must be in 0\.\.2"):
        harmonize_melody(song, track=5)
    with pytest.raises(AssistError, match="track='Lead' must name"):
        harmonize_melody(song, track="Lead")


def test_a_song_without_melody_or_key_is_refused() -> None:
    drums = Track("Kit", Instrument(drums=True), tuple(Note(36, i * 480, 60) for i in range(8)))
    with pytest.raises(AssistError, match="no pitched notes to harmonize"):
        harmonize_melody(Song(key=Key("C"), tracks=(drums,)))
    with pytest.raises(AssistError, match="no pitched notes to harmonize"):
        harmonize_melody(Song())
    with pytest.raises(AssistError, match="rhythm='half' must be"):
        harmonize_melody(Song(tracks=(_melody(TWINKLE),)), rhythm="half")  # type: ignore[arg-type]
    with pytest.raises(AssistError, match="model='rnn' must be"):
        harmonize_melody(Song(tracks=(_melody(TWINKLE),)), model="rnn")  # type: ignore[arg-type]


def test_a_keyless_melody_is_heard_in_its_own_key() -> None:
    song = Song(tracks=(_melody(TWINKLE, transpose=7),))  # G major
    assert str(harmonize_melody(song)[0].chord) == "G"
