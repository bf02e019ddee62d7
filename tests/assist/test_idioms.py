"""Tests for the pop, rock, jazz and blues idiom library and its routing in the chord API."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bandmate.assist import AssistError, suggest_next_chords, suggest_progression
from bandmate.assist.chords.idioms import (
    IDIOM_STYLES,
    LIBRARY,
    VARIANTS,
    idiom_style,
    next_numerals,
    progression_numerals,
    vary,
)
from bandmate.cli.main import main
from bandmate.formats import load_song, save_song
from bandmate.music import Key, Song, parse_chord, roman_to_chord
from bandmate.music.key import parse_key

from .conftest import lane

ALL_KEYS = [Key.from_signature(n, minor) for minor in (False, True) for n in range(-7, 8)]


def _roots(song: Song, style: str, **kwargs: object) -> list[tuple[str, str]]:
    events = suggest_progression(song, style=style, **kwargs)  # type: ignore[arg-type]
    return [(e.chord.root, e.chord.quality) for e in events]


def test_jazz_ii_v_resolves_to_the_tonic() -> None:
    song = Song(key=parse_key("C"), chords=lane("Dm7", "G7"))
    best = suggest_next_chords(song, style="jazz", k=3)[0]
    assert best.chord.root == "C"
    assert best.chord.quality in ("maj7", "6", "")
    assert best.roman.startswith("I")


def test_minor_ii_v_resolves_to_minor_tonic() -> None:
    song = Song(key=parse_key("F#m"), chords=lane("G#m7b5", "C#7"))
    best = suggest_next_chords(song, style="jazz", k=1)[0]
    assert (best.chord.root, best.chord.quality) == ("F#", "m7")


def test_pop_after_i_v_vi_suggests_iv() -> None:
    song = Song(key=parse_key("C"), chords=lane("C", "G", "Am"))
    top3 = suggest_next_chords(song, style="pop", k=3)
    assert "F" in [str(s.chord) for s in top3]
    assert str(top3[0].chord) == "F"


def test_rock_borrowed_bvii() -> None:
    song = Song(key=parse_key("E"), chords=lane("E", "D"))
    top = suggest_next_chords(song, style="rock", k=3)
    assert "A" in [str(s.chord) for s in top]


@pytest.mark.parametrize("seed", range(6))
def test_twelve_bar_blues_in_a(seed: int) -> None:
    chords = _roots(Song(key=parse_key("A")), "blues", bars=12, seed=seed)
    dominant = ("7", "9", "13")
    assert all(q in dominant for _, q in chords)
    roots = [r for r, _ in chords]
    # bar 2 is A (slow change) or D (quick change); bars 10 and 12 vary (IV or V, V or I)
    for bar in (1, 3, 4, 7, 8, 11):
        assert roots[bar - 1] == "A", (bar, roots)
    assert roots[1] in ("A", "D")
    assert roots[4] == roots[5] == "D"
    assert roots[8] == "E"
    assert roots[9] in ("D", "E")
    assert roots[11] in ("E", "A")


def test_minor_blues_in_f_sharp_minor() -> None:
    chords = _roots(Song(key=parse_key("F#m")), "blues", bars=12, seed=4)
    assert chords[0][0] == "F#"
    assert chords[0][1] in ("m7", "m9")
    assert [r for r, _ in chords[4:6]] == ["B", "B"]
    assert chords[8][0] in ("D", "C#")  # bVI7 (or V7) in bar 9
    assert chords[9][0] in ("C#", "B")  # then V7 (or iv7)


def test_eight_bars_of_blues_is_an_eight_bar_form() -> None:
    roots = [r for r, _ in _roots(Song(key=parse_key("C")), "blues", bars=8, seed=1)]
    assert roots[0] == "C"
    assert roots[2:4] == ["F", "F"]
    assert roots[5] == "G"


@pytest.mark.parametrize("style", IDIOM_STYLES)
@pytest.mark.parametrize("key", ["C", "F#m", "Eb", "Bbm"])
def test_probabilities_sum_to_one(style: str, key: str) -> None:
    song = Song(key=parse_key(key), chords=lane(*_first_bars(style, parse_key(key), 3)))
    pairs = next_numerals(style, parse_key(key), [c.chord for c in song.chords])
    probs = [p for _, p in pairs]
    assert math.isclose(sum(probs), 1.0)
    assert all(p > 0 for p in probs)
    assert probs == sorted(probs, reverse=True)
    found = suggest_next_chords(song, style=style, k=50)
    assert math.isclose(sum(s.probability for s in found), 1.0)
    assert len({str(s.chord) for s in found}) == len(found)
    assert str(song.chords[-1].chord) not in {str(s.chord) for s in found}


def _first_bars(style: str, key: Key, n: int) -> list[str]:
    numerals = progression_numerals(style, key, n, seed=0)
    return [str(roman_to_chord(x, key)) for x in numerals]


@pytest.mark.parametrize("style", IDIOM_STYLES)
def test_deterministic_for_a_seed_and_seeds_differ(style: str) -> None:
    song = Song(key=parse_key("D"))
    runs = {seed: suggest_progression(song, bars=16, style=style, seed=seed) for seed in range(8)}
    assert suggest_progression(song, bars=16, style=style, seed=3) == runs[3]
    assert len({tuple(str(e.chord) for e in events) for events in runs.values()}) > 1
    with_chords = Song(key=parse_key("D"), chords=lane("D", "G"))
    a = suggest_next_chords(with_chords, style=style, k=4, seed=5)
    assert a == suggest_next_chords(with_chords, style=style, k=4, seed=5)


def test_progression_continues_the_song_in_its_bars() -> None:
    song = Song(key=parse_key("Bb"), chords=lane("Cm7", "F7"))
    events = suggest_progression(song, bars=4, style="jazz", seed=2)
    assert [e.tick for e in events] == [2 * 1920 + i * 1920 for i in range(4)]


@pytest.mark.parametrize("key", ALL_KEYS, ids=str)
def test_every_numeral_and_variant_spells_in_every_key(key: Key) -> None:
    mode = "minor" if key.mode == "minor" else "major"
    for style, forms in LIBRARY.items():
        numerals = {n for f in forms if f.mode == mode for n in f.bars}
        for numeral in numerals:
            for variant, _ in VARIANTS.get(style, {}).get(numeral, ((numeral, 1.0),)):
                chord = roman_to_chord(variant, key)
                assert parse_chord(str(chord)) == chord, (style, variant, key)


@pytest.mark.parametrize("style", IDIOM_STYLES)
def test_api_answers_parse_in_f_sharp_minor(style: str) -> None:
    song = Song(key=parse_key("F#m"), chords=lane("F#m", "D"))
    for event in suggest_progression(song, bars=12, style=style, seed=9):
        assert parse_chord(str(event.chord)) == event.chord
    for s in suggest_next_chords(song, style=style, k=5, seed=1):
        assert parse_chord(str(s.chord)) == s.chord


def test_modal_song_reads_as_major_or_minor() -> None:
    song = Song(key=parse_key("D dorian"), chords=lane("Dm7", "G7"))
    assert suggest_next_chords(song, style="jazz", k=2)
    assert len(suggest_progression(song, bars=4, style="pop", seed=0)) == 4


def test_variation_is_idiomatic() -> None:
    rng = np.random.default_rng(0)
    seen = {vary("jazz", "V7", rng) for _ in range(200)}
    assert seen == {"V7", "V9", "V13", "V7(b9)"}
    assert vary("jazz", "bIII", rng) == "bIII"


def test_aliases_and_case() -> None:
    assert idiom_style(" Jazz ") == "jazz"
    assert idiom_style("swing") == "jazz"
    assert idiom_style("pop-rock") == "rock"
    assert idiom_style("bach") is None
    song = Song(key=parse_key("C"), chords=lane("Dm7", "G7"))
    assert suggest_next_chords(song, style="Swing", k=1) == suggest_next_chords(
        song, style="jazz", k=1
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"style": "polka"}, "style='polka' must be one of bach, monteverdi, pop, rock, jazz"),
        ({"style": "jazz", "temperature": 0.0}, "temperature=0.0 must be"),
        ({"style": "jazz", "bars": 0}, "bars=0 must be in"),
    ],
)
def test_bad_requests_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AssistError, match=message):
        suggest_progression(Key("C"), **kwargs)  # type: ignore[arg-type]


def test_library_functions_refuse_unknown_styles() -> None:
    with pytest.raises(AssistError, match="must be one of pop, rock, jazz, blues"):
        next_numerals("bach", Key("C"), [])
    with pytest.raises(AssistError, match="bars=0"):
        progression_numerals("pop", Key("C"), 0)


def test_one_candidate_per_root_and_family() -> None:
    pairs = next_numerals("pop", Key("C"), [])
    chords = [roman_to_chord(n, Key("C")) for n, _ in pairs]
    assert len({(c.root, c.quality in ("", "maj7", "add9")) for c in chords}) == len(chords)
    assert "IVmaj7" not in dict(pairs)  # the royal road's IVmaj7 is the IV candidate


def test_command_line_jazz_and_blues(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    song_path = tmp_path / "ii-v.mid"
    save_song(Song(key=parse_key("C"), chords=lane("Dm7", "G7")), song_path)
    assert main(["suggest", "chords", str(song_path), "--style", "jazz", "-k", "2"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "%" in line]
    assert rows[0].split("│")[1].strip() == "Cmaj7"
    out = tmp_path / "blues.mid"
    argv = ["suggest", "progression", str(song_path), "-o", str(out), "--style", "blues"]
    assert main([*argv, "--bars", "12", "--seed", "1"]) == 0
    chords = [c.chord for c in load_song(out).chords[2:]]
    assert [c.root for c in chords][4:6] == ["F", "F"]
    assert main(["suggest", "chords", str(song_path), "--style", "polka"]) == 1
    assert "must be one of bach, monteverdi, pop, rock, jazz, blues" in capsys.readouterr().err
