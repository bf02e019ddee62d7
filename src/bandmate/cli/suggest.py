"""``bandmate suggest``: ask the AI bandmate for chords on a song file.

The bandmate never overwrites anyone's work: suggestions are printed, and what is
written to the output file only fills chord-lane time that holds no chord yet.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bandmate.errors import CliError
from bandmate.formats import load_song, save_song
from bandmate.music import ChordEvent, Song
from bandmate.music.time import TempoMap

app = typer.Typer(
    name="suggest",
    help="Ask the AI bandmate for chords: the next chord, a progression, or a harmonization.",
    no_args_is_help=True,
)
console = Console()
CHORD_MODELS = ("transformer", "ngram")

SongIn = Annotated[Path, typer.Argument(help="A song file (.mid, .musicxml, .abc)")]
SongOut = Annotated[Path, typer.Option("--output", "-o", help="Where to write the song")]
Seed = Annotated[int | None, typer.Option(help="The same seed gives the same answer")]
Style = Annotated[str | None, typer.Option(help="A trained style: bach or monteverdi")]
ModelOpt = Annotated[str, typer.Option(help="transformer, or the ngram baseline")]


def _model(value: str, choices: tuple[str, str]) -> str:
    if value not in choices:
        raise CliError(f"--model={value!r} must be one of {', '.join(choices)}")
    return value


def add_chords(song: Song, events: list[ChordEvent]) -> tuple[Song, list[ChordEvent]]:
    """The song with each event that overlaps no existing chord added; returns what was added."""
    taken = [(c.tick, c.end) for c in song.chords]
    added = [e for e in events if all(e.end <= start or e.tick >= end for start, end in taken)]
    return replace(song, chords=song.chords + tuple(added)), added


def _print_added(song: Song, added: list[ChordEvent], skipped: int, output: Path) -> None:
    tempo_map = TempoMap.from_song(song)
    line = "  ".join(f"{tempo_map.bar_at(e.tick)}:{e.chord}" for e in added)
    console.print(f"Added {len(added)} chords (bar:chord): {line}")
    if skipped:
        console.print(
            f"Kept the song's own chords where they were ({skipped} suggestions left out)"
        )
    console.print(f"Wrote {output}; the new chords are the bandmate's, edit or delete them freely")


@app.command()
def chords(
    path: SongIn,
    bar: Annotated[
        int | None, typer.Option(help="Suggest for this bar (default: after the last chord)")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="How many suggestions")] = 5,
    style: Style = None,
    temperature: Annotated[float, typer.Option(help="Above 1: more adventurous")] = 1.0,
    seed: Seed = None,
    model: ModelOpt = "transformer",
) -> None:
    """Print the chords most likely to come next, with roman numerals and probabilities."""
    from bandmate.assist import suggest_next_chords

    song = load_song(path)
    suggestions = suggest_next_chords(
        song, bar=bar, k=k, style=style, temperature=temperature, seed=seed,
        model="ngram" if _model(model, CHORD_MODELS) == "ngram" else "transformer",
    )  # fmt: skip
    table = Table("Chord", "Numeral", "Probability")
    for s in suggestions:
        table.add_row(str(s.chord), s.roman, f"{s.probability:.1%}")
    console.print(table)


@app.command()
def progression(
    path: SongIn,
    output: SongOut,
    bars: Annotated[int, typer.Option(help="How many bars to fill, one chord each")] = 8,
    start_bar: Annotated[int | None, typer.Option(help="First bar to fill")] = None,
    style: Style = None,
    temperature: Annotated[float, typer.Option(help="Above 1: more adventurous")] = 1.0,
    seed: Seed = None,
    model: ModelOpt = "transformer",
) -> None:
    """Write a chord progression into the song's chord lane (one chord a bar)."""
    from bandmate.assist import suggest_progression

    song = load_song(path)
    events = suggest_progression(
        song, bars=bars, start_bar=start_bar, style=style, temperature=temperature, seed=seed,
        model="ngram" if _model(model, CHORD_MODELS) == "ngram" else "transformer",
    )  # fmt: skip
    result, added = add_chords(song, events)
    save_song(result, output)
    _print_added(result, added, len(events) - len(added), output)


@app.command()
def harmony(
    path: SongIn,
    output: SongOut,
    track: Annotated[
        str | None, typer.Option(help="The melody track (name or number from 1)")
    ] = None,
    per_beat: Annotated[
        bool, typer.Option("--per-beat", help="A chord per beat, not per bar")
    ] = False,
    model: Annotated[str, typer.Option(help="gru, or the hmm baseline")] = "gru",
) -> None:
    """Harmonize a melody: chords for each bar (or beat) written into the chord lane."""
    from bandmate.assist import harmonize_melody

    song = load_song(path)
    which: int | str | None = track
    if track is not None and track.isdigit():
        which = int(track) - 1
    events = harmonize_melody(
        song, track=which, rhythm="beat" if per_beat else "bar",
        model="hmm" if _model(model, ("gru", "hmm")) == "hmm" else "gru",
    )  # fmt: skip
    result, added = add_chords(song, events)
    save_song(result, output)
    _print_added(result, added, len(events) - len(added), output)
