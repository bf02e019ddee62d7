"""``bandmate suggest``: chord suggestions on real song files."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from bandmate.cli.main import main
from bandmate.cli.suggest import add_chords
from bandmate.formats import load_song, save_song
from bandmate.music import ChordEvent, MeterChange, parse_chord
from bandmate.music.demo import demo_song

BAR = 1920


@pytest.fixture
def half_charted(tmp_path: Path) -> Path:
    song = demo_song()
    path = tmp_path / "half.mid"
    save_song(dataclasses.replace(song, chords=song.chords[:4]), path)
    return path


def test_chords_prints_ranked_suggestions(
    half_charted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["suggest", "chords", str(half_charted), "-k", "3"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "%" in line]
    assert len(rows) == 3
    probabilities = [float(row.split("│")[3].strip().rstrip("%")) for row in rows]
    assert probabilities == sorted(probabilities, reverse=True)


def test_progression_fills_the_bars_after_the_last_chord(
    half_charted: Path, tmp_path: Path
) -> None:
    out = tmp_path / "more.mid"
    argv = ["suggest", "progression", str(half_charted), "-o", str(out), "--bars", "4"]
    assert main([*argv, "--seed", "7"]) == 0
    song = load_song(out)
    assert [c.tick for c in song.chords] == [bar * BAR for bar in range(8)]
    assert song.chords[:4] == load_song(half_charted).chords  # the people's chords are kept
    again = tmp_path / "again.mid"
    assert main(["suggest", "progression", str(half_charted), "-o", str(again), "--bars", "4",
                 "--seed", "7"]) == 0  # fmt: skip
    assert load_song(again).chords == song.chords  # deterministic for a seed


def test_harmony_writes_a_chord_per_bar_of_the_melody(tmp_path: Path) -> None:
    src, out = tmp_path / "bare.mid", tmp_path / "harmonized.mid"
    save_song(dataclasses.replace(demo_song(), chords=()), src)
    assert main(["suggest", "harmony", str(src), "-o", str(out), "--track", "Lead"]) == 0
    chords = load_song(out).chords
    assert [c.tick for c in chords] == [bar * BAR for bar in range(8)]
    assert str(chords[0].chord) == "C"  # the tune starts and ends on the tonic
    assert str(chords[-1].chord) == "C"


def test_suggestions_never_replace_existing_chords() -> None:
    song = demo_song()
    clash = ChordEvent(BAR // 2, BAR, parse_chord("E7"))
    fresh = ChordEvent(8 * BAR, BAR, parse_chord("Dm"))
    merged, added = add_chords(song, [clash, fresh])
    assert added == [fresh]
    assert merged.chords == (*song.chords, fresh)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["suggest", "chords", "{song}", "--model", "gpt"], "--model='gpt'"),
        (["suggest", "chords", "{song}", "-k", "0"], "k=0"),
        (["suggest", "progression", "{song}", "-o", "{tmp}/x.mid", "--bars", "0"], "bars=0"),
        (["suggest", "harmony", "{drums}", "-o", "{tmp}/x.mid"], "no pitched notes"),
    ],
)
def test_bad_requests_are_one_clear_line(
    argv: list[str],
    message: str,
    half_charted: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    drums = tmp_path / "drums.mid"
    song = demo_song()
    save_song(dataclasses.replace(song, tracks=song.tracks[3:], chords=()), drums)
    args = [a.format(song=half_charted, tmp=tmp_path, drums=drums) for a in argv]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_the_command_line_loads_torch_only_when_asked() -> None:
    code = "import sys, bandmate.cli.main; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


# -- melodies, solos, bass, drums and backing tracks ------------------------------------------


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.mid"
    save_song(demo_song(), path)
    return path


@pytest.mark.parametrize(
    ("part", "extra", "tracks"),
    [
        ("melody", ["--bars", "4", "--track", "Lead"], ["Bandmate melody"]),
        ("solo", [], ["Bandmate solo"]),
        ("bass", ["--style", "funk"], ["Bandmate bass"]),
        ("drums", ["--style", "hip hop", "-n", "2"], ["Bandmate drums", "Bandmate drums 2"]),
        ("backing", ["--style", "bossa"], ["Bandmate comping", "Bandmate bass", "Bandmate drums"]),
        ("voices", ["--voices", "2", "--track", "Lead", "--style", "palestrina"],
         ["Bandmate alto", "Bandmate bass"]),
        ("voices", ["--bars", "4"], ["Bandmate alto"]),
    ],
)  # fmt: skip
def test_parts_arrive_as_new_tracks(
    part: str,
    extra: list[str],
    tracks: list[str],
    demo_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / f"{part}.mid"
    argv = ["suggest", part, str(demo_file), "-o", str(out), "--seed", "3", *extra]
    assert main(argv) == 0
    before, after = load_song(demo_file), load_song(out)
    assert after.tracks[: len(before.tracks)] == before.tracks  # the people's tracks are kept
    new = after.tracks[len(before.tracks) :]
    assert [t.name for t in new] == tracks
    assert all(t.notes for t in new)
    printed = capsys.readouterr().out
    assert all(name in printed for name in tracks)
    assert "Wrote" in printed
    again = tmp_path / f"{part}-again.mid"
    assert main([*argv[:4], str(again), *argv[5:]]) == 0
    assert load_song(again).tracks == after.tracks  # the same seed, the same part


def test_melody_on_a_musicxml_file(tmp_path: Path) -> None:
    src, out = tmp_path / "demo.musicxml", tmp_path / "more.musicxml"
    save_song(demo_song(), src)
    assert main(["suggest", "melody", str(src), "-o", str(out), "--start-bar", "9",
                 "--bars", "2", "--seed", "1"]) == 0  # fmt: skip
    added = load_song(out).tracks[-1]
    assert added.notes
    assert all(n.start >= 8 * BAR and n.end <= 10 * BAR for n in added.notes)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["suggest", "melody", "{empty}", "-o", "{tmp}/x.mid"], "key"),
        (["suggest", "bass", "{drums}", "-o", "{tmp}/x.mid"], "no chords"),
        (["suggest", "drums", "{song}", "-o", "{tmp}/x.mid", "--style", "polka"], "polka"),
        (["suggest", "melody", "{song}", "-o", "{tmp}/x.mid", "--top-p", "0"], "top_p=0"),
        (["suggest", "solo", "{song}", "-o", "{tmp}/x.mid", "--model", "rnn"], "rnn"),
        (["suggest", "backing", "{song}", "-o", "{tmp}/x.mid", "--bars", "999"], "bars=999"),
        (["suggest", "drums", "{song}", "-o", "{tmp}/x.mid", "--grouping", "3+x"], "grouping"),
        (["suggest", "backing", "{song}", "-o", "{tmp}/x.mid", "--grouping", "3+2"], "fits no bar"),
        (["suggest", "voices", "{song}", "-o", "{tmp}/x.mid", "--voices", "5"], "voices=5"),
        (["suggest", "voices", "{song}", "-o", "{tmp}/x.mid", "--style", "funk"], "palestrina"),
        (["suggest", "voices", "{drums}", "-o", "{tmp}/x.mid"], "pitched"),
    ],
)
def test_bad_part_requests_are_one_clear_line(
    argv: list[str],
    message: str,
    demo_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    drums, empty = tmp_path / "drums.mid", tmp_path / "empty.mid"
    song = demo_song()
    save_song(dataclasses.replace(song, tracks=song.tracks[3:], chords=(), key=None), drums)
    save_song(dataclasses.replace(song, tracks=(), chords=(), key=None, sections=()), empty)
    args = [a.format(song=demo_file, tmp=tmp_path, drums=drums, empty=empty) for a in argv]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_drums_in_seven_eight_follow_the_grouping(tmp_path: Path) -> None:
    song = dataclasses.replace(demo_song(), meters=(MeterChange(0, 7, 8),))
    src = tmp_path / "seven.mid"
    save_song(song, src)
    kicks = {}
    for grouping in ("2+2+3", "3+2+2"):
        out = tmp_path / f"{grouping}.mid"
        argv = ["suggest", "drums", str(src), "-o", str(out), "--bars", "4", "--seed", "2",
                "--style", "rock", "--grouping", grouping]  # fmt: skip
        assert main(argv) == 0
        kicks[grouping] = [n.start for n in load_song(out).tracks[-1].notes if n.pitch == 36]
    assert kicks["2+2+3"] != kicks["3+2+2"]
