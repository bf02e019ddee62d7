from __future__ import annotations

import itertools
import math

import pytest

from bandmate.listen.mood import Mood
from bandmate.listen.symbolic import SongAnalysis
from bandmate.music.key import Key, parse_key
from bandmate.recommend import (
    CatalogueItem,
    Descriptors,
    RecommendError,
    descriptors_from_song,
    fit_item,
    rank_fits,
)
from bandmate.recommend.fit import fit_key, fit_tempo, key_relation, transpose_shift

C_MAJOR = Descriptors(key=Key("C"), bpm=120.0, valence=0.5, arousal=0.2, styles=("pop",))


def _loop(id_: str, key: str | None, bpm: float | None = 120.0, **kw: object) -> CatalogueItem:
    d = Descriptors(key=parse_key(key) if key else None, bpm=bpm, **kw)  # type: ignore[arg-type]
    return CatalogueItem(id_, "loop", d)


def test_relative_minor_ranks_above_f_sharp_major() -> None:
    items = [_loop("fsharp", "F# major"), _loop("aminor", "A minor")]
    for transpose in (True, False):
        ranked = rank_fits(C_MAJOR, items, allow_transpose=transpose)
        assert [f.item.id for f in ranked] == ["aminor", "fsharp"]
    assert key_relation(Key("C"), Key("A", "minor")) == "relative"
    assert key_relation(Key("C"), Key("F#")) == "distant"


@pytest.mark.parametrize(
    ("key", "relation"),
    [
        ("C major", "same"),
        ("A minor", "relative"),
        ("G major", "neighbour"),
        ("F major", "neighbour"),
        ("E minor", "neighbour"),
        ("D major", "second neighbour"),
        ("C minor", "parallel"),
        ("F# major", "distant"),
    ],
)
def test_key_relations_and_their_order(key: str, relation: str) -> None:
    fit = fit_key(Key("C"), parse_key(key), allow_transpose=False)
    assert fit.relation == relation
    assert fit.shift_semitones == 0


def test_key_scores_fall_with_distance() -> None:
    order = ["C major", "A minor", "G major", "D major", "F# major"]
    scores = [fit_key(Key("C"), parse_key(k), allow_transpose=False).score for k in order]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)


@pytest.mark.parametrize("project", ["C major", "A minor", "Eb major", "F# minor"])
def test_every_key_is_offered_transposed_into_the_project_within_six(project: str) -> None:
    target = parse_key(project)
    majors = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    minors = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
    items = [Key(t, "major") for t in majors] + [Key(t, "minor") for t in minors]
    shifts = set()
    for item in items:
        shift = transpose_shift(target, item)
        assert -5 <= shift <= 6
        assert key_relation(target, item.transpose(shift)) in ("same", "relative")
        shifts.add(shift)
    assert shifts == set(range(-5, 7))


def test_transposition_gives_right_shift_and_reason() -> None:
    fit = fit_item(C_MAJOR, _loop("d", "D major"))
    assert fit.key.shift_semitones == -2
    assert fit.key.offered_key == Key("C")
    assert fit.key.relation == "same"
    assert "transposed -2 semitones from D major to C major" in fit.reasons[0]
    minor = fit_item(C_MAJOR, _loop("e", "E minor"))
    # E minor is a neighbour as recorded (0.75) and offered at A minor (+5: 0.9 - 0.2).
    assert minor.key.shift_semitones == 0
    assert minor.key.relation == "neighbour"
    far = fit_item(C_MAJOR, _loop("b", "B major"))
    assert far.key.shift_semitones == 1
    assert far.key.offered_key == Key("C")


@pytest.mark.parametrize(
    ("bpm", "relation"), [(120.0, "equal"), (60.0, "half-time"), (240.0, "double-time")]
)
def test_half_and_double_time_fit_with_ratio_one(bpm: float, relation: str) -> None:
    fit = fit_tempo(120.0, bpm)
    assert fit.relation == relation
    assert fit.stretch == pytest.approx(1.0)
    assert fit.score >= 0.9
    reason = fit_item(C_MAJOR, _loop("x", "C major", bpm)).reasons[1]
    assert "ratio 1" in reason


def test_stretch_ratio_and_score() -> None:
    fit = fit_tempo(120.0, 100.0)
    assert fit.relation == "equal"
    assert fit.stretch == pytest.approx(1.2)
    assert 0.0 < fit.score < fit_tempo(120.0, 115.0).score < 1.0
    assert fit_tempo(120.0, 80.0).relation == "half-time"  # 160 is nearer than 80
    assert fit_tempo(120.0, 80.0).stretch == pytest.approx(0.75)
    assert fit_tempo(None, 90.0).relation == "free"


def test_mood_and_style_break_ties() -> None:
    near = _loop("near", "C major", valence=0.5, arousal=0.2, styles=("pop",))
    far = _loop("far", "C major", valence=-0.8, arousal=-0.8, styles=("metal",))
    ranked = rank_fits(C_MAJOR, [far, near])
    assert [f.item.id for f in ranked] == ["near", "far"]
    assert ranked[0].mood_distance == pytest.approx(0.0)
    assert ranked[1].mood_distance == pytest.approx(math.hypot(1.3, 1.0))
    assert ranked[0].style_score == 1.0
    assert ranked[1].style_score == 0.0


def test_unpitched_loop_fits_any_key() -> None:
    fit = fit_item(C_MAJOR, _loop("drums", None))
    assert fit.key.relation == "unpitched"
    assert fit.key.score == 1.0
    assert "no pitched content" in fit.reasons[0]


def test_ranking_is_sorted_and_cut() -> None:
    items = [_loop(f"l{i}", k) for i, k in enumerate(["C", "G", "D", "A", "E", "B", "F#"])]
    ranked = rank_fits(C_MAJOR, items, n=3, allow_transpose=False)
    assert [f.item.id for f in ranked] == ["l0", "l1", "l2"]
    assert all(a.score >= b.score for a, b in itertools.pairwise(ranked))


def test_descriptors_from_song_prefers_stated_key() -> None:
    song = SongAnalysis(
        title="t",
        key="A minor",
        key_confidence=0.3,
        key_runner_up="C major",
        key_stated="C major",
        bpm=96.0,
        meter="4/4",
        seconds=30.0,
        notes=100,
        notes_per_second=3.3,
        lowest="C3",
        highest="C5",
        chords=(),
        mood=Mood(valence=0.4, arousal=-0.1, label="calm"),
    )
    d = descriptors_from_song(song, styles=("Folk",))
    assert d.key == Key("C")
    assert d.bpm == 96.0
    assert d.styles == ("folk",)


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(RecommendError, match="catalogue is empty"):
        rank_fits(C_MAJOR, [])
    with pytest.raises(RecommendError, match="valence=nan"):
        Descriptors(valence=float("nan"))
    with pytest.raises(RecommendError, match="bpm=inf"):
        Descriptors(bpm=float("inf"))
    with pytest.raises(RecommendError, match="bpm=0"):
        Descriptors(bpm=0.0)
    with pytest.raises(RecommendError, match="must be unique"):
        rank_fits(C_MAJOR, [_loop("a", "C major"), _loop("a", "G major")])
    with pytest.raises(RecommendError, match="n=0"):
        rank_fits(C_MAJOR, [_loop("a", "C major")], n=0)
    with pytest.raises(RecommendError, match="kind="):
        CatalogueItem("x", "song", Descriptors())  # type: ignore[arg-type]
