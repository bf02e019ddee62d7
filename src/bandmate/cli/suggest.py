"""``bandmate suggest``: ask the AI bandmate for chords, melodies, bass, drums or a backing track.

The bandmate never overwrites anyone's work: suggestions are printed, chords written to the
output file only fill chord-lane time that holds no chord yet, and melodies, bass lines,
drum grooves and backing tracks arrive as new tracks named "Bandmate ...".
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bandmate.errors import CliError
from bandmate.formats import load_song, save_song
from bandmate.music import ChordEvent, Song
from bandmate.music.time import TempoMap

if TYPE_CHECKING:
    from bandmate.assist.request import PartRequest

app = typer.Typer(
    name="suggest",
    help="Ask the AI bandmate for chords, a melody or solo, harmony voices, bass, drums or a "
    "backing track.",
    no_args_is_help=True,
)
console = Console()
CHORD_MODELS = ("transformer", "ngram")

SongIn = Annotated[Path, typer.Argument(help="A song file (.mid, .musicxml, .abc)")]
SongOut = Annotated[Path, typer.Option("--output", "-o", help="Where to write the song")]
Seed = Annotated[int | None, typer.Option(help="The same seed gives the same answer")]
Style = Annotated[
    str | None,
    typer.Option(help="bach or monteverdi (trained), or pop, rock, jazz, blues (idiom library)"),
]
ModelOpt = Annotated[str, typer.Option(help="transformer, or the ngram baseline")]
StartBar = Annotated[int | None, typer.Option(help="First bar to write (default: see each part)")]
Bars = Annotated[int | None, typer.Option(help="How many bars to write")]
Temperature = Annotated[float, typer.Option(help="Above 1: more adventurous")]
Alternatives = Annotated[
    int, typer.Option("--alternatives", "-n", help="Write this many alternatives, as tracks")
]
BandStyle = Annotated[
    str | None,
    typer.Option(
        help="rock, pop, funk, hiphop, swing, bossa, reggae, electronic or folk (default pop)"
    ),
]
TopP = Annotated[float, typer.Option(help="Nucleus sampling share, 0 < p <= 1")]
MelodyModel = Annotated[str, typer.Option(help="gru, or the markov baseline")]


def _model(value: str, choices: tuple[str, str]) -> str:
    if value not in choices:
        raise CliError(f"--model={value!r} must be one of {', '.join(choices)}")
    return value


def _track(value: str | None) -> int | str | None:
    """A ``--track`` value: a number from 1 becomes an index, anything else stays a name."""
    return int(value) - 1 if value is not None and value.isdigit() else value


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
    temperature: Temperature = 1.0,
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
    temperature: Temperature = 1.0,
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
    which = _track(track)
    events = harmonize_melody(
        song, track=which, rhythm="beat" if per_beat else "bar",
        model="hmm" if _model(model, ("gru", "hmm")) == "hmm" else "gru",
    )  # fmt: skip
    result, added = add_chords(song, events)
    save_song(result, output)
    _print_added(result, added, len(events) - len(added), output)


def _write_parts(
    path: Path, output: Path, part: str, request: PartRequest, *, model: str = "gru"
) -> None:
    from bandmate.assist import apply_suggestion, suggest_part
    from bandmate.assist.parts import suggest_melody, suggest_solo
    from bandmate.assist.voices.generate import suggest_voices

    song = load_song(path)
    if part in ("melody", "solo"):
        call = suggest_solo if part == "solo" else suggest_melody
        suggestions = call(song, request, model="markov" if model == "markov" else "gru")
    elif part == "voices":
        suggestions = suggest_voices(
            song, request, voices=request.voices, model="markov" if model == "markov" else "gru"
        )
    else:
        suggestions = suggest_part(song, part, request)  # type: ignore[arg-type]
    result = song
    table = Table("Track", "Bars", "Notes", "Style", "Seed", "Score")
    for suggestion in suggestions:
        before = len(result.tracks)
        result = apply_suggestion(result, suggestion)
        last = suggestion.start_bar + suggestion.bars - 1
        for track in result.tracks[before:]:
            table.add_row(
                track.name, f"{suggestion.start_bar}-{last}", str(len(track.notes)),
                suggestion.style or "-", str(suggestion.seed),
                "-" if suggestion.score is None else f"{suggestion.score:.2f}",
            )  # fmt: skip
    save_song(result, output)
    console.print(table)
    console.print(f"Wrote {output}; the new tracks are the bandmate's, edit or delete them freely")


def _melody_model(value: str) -> str:
    return _model(value, ("gru", "markov"))


@app.command()
def melody(
    path: SongIn,
    output: SongOut,
    start_bar: StartBar = None,
    bars: Bars = None,
    track: Annotated[
        str | None, typer.Option(help="The melody to continue (name or number from 1)")
    ] = None,
    temperature: Temperature = 1.0,
    top_p: TopP = 0.95,
    seed: Seed = None,
    alternatives: Alternatives = 1,
    model: MelodyModel = "gru",
) -> None:
    """Continue the melody (or write one over the chords) as a new track; 8 bars by default."""
    from bandmate.assist import PartRequest

    which = _track(track)
    request = PartRequest(
        start_bar=start_bar, bars=bars, temperature=temperature, top_p=top_p, seed=seed,
        alternatives=alternatives, track=which,
    )  # fmt: skip
    _write_parts(path, output, "melody", request, model=_melody_model(model))


@app.command()
def solo(
    path: SongIn,
    output: SongOut,
    start_bar: StartBar = None,
    bars: Bars = None,
    temperature: Temperature = 1.1,
    top_p: TopP = 0.95,
    seed: Seed = None,
    alternatives: Alternatives = 1,
    model: MelodyModel = "gru",
) -> None:
    """Improvise a solo over the song's chord progression, as a new track."""
    from bandmate.assist import PartRequest

    request = PartRequest(
        start_bar=start_bar, bars=bars, temperature=temperature, top_p=top_p, seed=seed,
        alternatives=alternatives,
    )  # fmt: skip
    _write_parts(path, output, "solo", request, model=_melody_model(model))


@app.command()
def voices(
    path: SongIn,
    output: SongOut,
    voices: Annotated[
        int, typer.Option(help="1: a voice under the melody; 2: and a bass; 3: alto, tenor, bass")
    ] = 1,
    style: Annotated[
        str | None, typer.Option(help="chorale (Bach, the default) or palestrina")
    ] = None,
    track: Annotated[str | None, typer.Option(help="The melody (name or number from 1)")] = None,
    start_bar: StartBar = None,
    bars: Bars = None,
    temperature: Temperature = 0.8,
    top_p: TopP = 0.95,
    seed: Seed = None,
    alternatives: Alternatives = 1,
    model: MelodyModel = "gru",
) -> None:
    """Write harmony voices under the melody (learned from Palestrina and the chorales)."""
    from bandmate.assist import PartRequest

    which = _track(track)
    request = PartRequest(
        start_bar=start_bar, bars=bars, style=style, temperature=temperature, top_p=top_p,
        seed=seed, alternatives=alternatives, track=which, voices=voices,
    )  # fmt: skip
    _write_parts(path, output, "voices", request, model=_melody_model(model))


def _band_command(part: str, doc: str) -> None:
    def command(
        path: SongIn,
        output: SongOut,
        style: BandStyle = None,
        start_bar: StartBar = None,
        bars: Bars = None,
        temperature: Annotated[float, typer.Option(help="Above 1: more variation")] = 1.0,
        seed: Seed = None,
        alternatives: Alternatives = 1,
        grouping: Annotated[
            str | None,
            typer.Option(help="How odd bars are felt, e.g. 3+2 (5/8), 2+2+3 or 3+2+2 (7/8)"),
        ] = None,
    ) -> None:
        from bandmate.assist import PartRequest
        from bandmate.assist.request import parse_grouping

        request = PartRequest(
            start_bar=start_bar, bars=bars, style=style, temperature=temperature, seed=seed,
            alternatives=alternatives,
            grouping=None if grouping is None else parse_grouping(grouping),
        )  # fmt: skip
        _write_parts(path, output, part, request)

    command.__doc__ = doc
    app.command(name=part)(command)


_band_command("bass", "Write a bass line that follows the chords, in a style, as a new track.")
_band_command("drums", "Write a drum groove in a style, with fills at section ends.")
_band_command(
    "backing", "Write a backing track for the chords: comping, bass and drums as new tracks."
)
