"""ABC: a real folk-tune text with chord symbols, several tunes per file, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from bandmate.errors import FormatError
from bandmate.formats.abc import read_abc, select_tune, tune_numbers
from bandmate.music.chord import parse_chord
from bandmate.music.key import Key
from bandmate.music.song import ChordEvent, MeterChange, Note, TempoChange

TUNES = """%abc-2.1
X:1
T:Bandmate Jig
R:jig
M:6/8
L:1/8
Q:3/8=120
K:D
A|"D"dfa afd|"G"gbg "A7"fed|"D"d3 d2|]

X:7
T:Second Tune
M:3/4
L:1/4
K:Ador
"Am"A B c|"G"B2 G|]
"""
E = 120  # an eighth note at 240 ticks per quarter


def test_jig_in_six_eight() -> None:
    song = read_abc(TUNES, ppq=240)
    assert song.title == "Bandmate Jig"
    assert song.key == Key(tonic="D", mode="major")
    assert song.meters == (MeterChange(0, 6, 8),)
    assert song.tempos == (TempoChange(0, 180.0),)  # 120 dotted quarters = 180 quarters
    (melody,) = song.tracks
    pitches = [69, 74, 78, 81, 81, 78, 74, 79, 83, 79, 78, 76, 74]  # pickup A, then F# and C#
    expected = [Note(p, i * E, E) for i, p in enumerate(pitches)]
    expected += [Note(74, 13 * E, 3 * E), Note(74, 16 * E, 2 * E)]  # d3 d2
    assert list(melody.notes) == expected
    assert song.chords == (
        ChordEvent(1 * E, 6 * E, parse_chord("D")),
        ChordEvent(7 * E, 3 * E, parse_chord("G")),
        ChordEvent(10 * E, 3 * E, parse_chord("A7")),
        ChordEvent(13 * E, 5 * E, parse_chord("D")),  # the last lasts to the end of the tune
    )


def test_pick_a_tune_by_number() -> None:
    assert tune_numbers(TUNES) == [1, 7]
    song = read_abc(TUNES, tune=7)
    assert song.title == "Second Tune"
    assert song.key == Key(tonic="A", mode="dorian")
    assert song.meters == (MeterChange(0, 3, 4),)
    assert [n.pitch for n in song.tracks[0].notes] == [69, 71, 72, 71, 67]  # C natural in dorian
    assert [(c.tick, c.duration, str(c.chord)) for c in song.chords] == [
        (0, 1440, str(parse_chord("Am"))),
        (1440, 1440, str(parse_chord("G"))),
    ]


def test_missing_tune_names_the_numbers() -> None:
    with pytest.raises(FormatError, match=r"ABC tune X:3 not found; the file holds X:\[1, 7\]"):
        read_abc(TUNES, tune=3)


def test_select_tune_without_reference_numbers() -> None:
    text = "T:Bare\nK:C\nCDEF|\n"  # no L: or M: either: eighth notes by default
    assert select_tune(text) == text
    notes = read_abc(text).tracks[0].notes
    assert [(n.pitch, n.start, n.duration) for n in notes] == [
        (60, 0, 240),
        (62, 240, 240),
        (64, 480, 240),
        (65, 720, 240),
    ]


def test_read_from_path_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "tunes.abc"
    path.write_text(TUNES, encoding="utf-8")
    assert read_abc(path, tune=7) == read_abc(TUNES, tune=7)
    assert read_abc(str(path)) == read_abc(TUNES)
    assert read_abc(TUNES.encode("latin-1")) == read_abc(TUNES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("X:1\nT:No key\nabc|\n", "no K: \\(key\\) field"),
        ("X:1\nT:Broken\nL:0/0\nK:D\nabc|\n", "ABC could not be parsed: ZeroDivisionError"),
    ],
)
def test_bad_tunes(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_abc(text)
