"""``bandmate``: work with songs from the command line.

Every command reads and writes the formats musicians already use (MIDI,
MusicXML, ABC, WAV/FLAC/MP3). Errors are printed as one clear line and the
process exits non-zero; no traceback reaches the user.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bandmate.cli.analyze import analyze as analyze_command
from bandmate.cli.suggest import app as suggest_app
from bandmate.errors import BandmateError, CliError
from bandmate.formats import load_song, save_song
from bandmate.music import Song
from bandmate.music.demo import demo_song
from bandmate.music.key import parse_key
from bandmate.music.quantize import quantize
from bandmate.music.time import TempoMap
from bandmate.music.transpose import transpose_song, transpose_song_diatonic
from bandmate.render import RenderResult, render_to_file

app = typer.Typer(
    name="bandmate",
    help="Bandmate: make music together. Read, edit, convert and render songs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(suggest_app)
app.command(name="analyze")(analyze_command)
console = Console()
errors = Console(stderr=True, soft_wrap=True)  # an error stays one line, however long

SongIn = Annotated[
    Path,
    typer.Argument(help="A song file: .mid/.midi, .musicxml/.xml/.mxl or .abc", show_default=False),
]
SongOut = Annotated[
    Path,
    typer.Option("--output", "-o", help="Where to write the result (format from the extension)"),
]


def _format_seconds(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


@app.command()
def info(path: SongIn) -> None:
    """Show a song's title, key, tempo, meter, length and tracks."""
    song = load_song(path)
    tempo_map = TempoMap.from_song(song)
    seconds = tempo_map.ticks_to_seconds(song.end_tick)
    console.print(f"[bold]{song.title}[/bold]  ({path.name})")
    tempos = ", ".join(f"{t.bpm:g}" for t in song.tempos[:4]) + (
        " ..." if len(song.tempos) > 4 else ""
    )
    meters = ", ".join(str(m) for m in song.meters[:4]) + (" ..." if len(song.meters) > 4 else "")
    console.print(f"Key: {song.key if song.key else 'not stated'}")
    console.print(f"Tempo: {tempos} bpm   Meter: {meters}   Resolution: {song.ppq} ticks/quarter")
    bars = tempo_map.bar_count(song.end_tick)
    console.print(f"Length: {_format_seconds(seconds)} ({bars} bars, {song.note_count} notes)")
    if song.chords:
        shown = " ".join(str(c.chord) for c in song.chords[:16])
        console.print(f"Chords: {shown}{' ...' if len(song.chords) > 16 else ''}")
    if song.sections:
        console.print("Sections: " + ", ".join(s.name for s in song.sections))
    table = Table("#", "Track", "Instrument", "Notes", "Range", "Volume", "Pan")
    for number, track in enumerate(song.tracks, start=1):
        pitches = [n.pitch for n in track.notes]
        span = f"{min(pitches)}-{max(pitches)}" if pitches else "-"
        flags = " (muted)" if track.mute else " (solo)" if track.solo else ""
        table.add_row(
            str(number),
            track.name + flags,
            track.instrument.name,
            str(len(track.notes)),
            span,
            str(track.volume),
            f"{track.pan:+d}" if track.pan else "C",
        )
    console.print(table)


@app.command()
def convert(path: SongIn, output: SongOut) -> None:
    """Convert a song between MIDI, MusicXML and ABC (the output's extension picks the format)."""
    song = load_song(path)
    save_song(song, output)
    console.print(f"Wrote {output} ({len(song.tracks)} tracks, {song.note_count} notes)")


@app.command()
def transpose(
    path: SongIn,
    output: SongOut,
    semitones: Annotated[
        int, typer.Option("--semitones", "-s", help="Chromatic shift: +2 is up a whole tone")
    ] = 0,
    steps: Annotated[
        int,
        typer.Option(
            "--steps", help="Diatonic shift in scale steps within the key: +2 is up a third"
        ),
    ] = 0,
    key: Annotated[
        str | None,
        typer.Option("--key", help="Key for --steps when the file states none, e.g. 'D minor'"),
    ] = None,
) -> None:
    """Transpose every pitched track (drums stay put) and the chord lane."""
    if (semitones == 0) == (steps == 0):
        raise CliError("give exactly one of --semitones N or --steps N (non-zero)")
    song = load_song(path)
    if semitones:
        result = transpose_song(song, semitones)
        what = f"{semitones:+d} semitones"
    else:
        result = transpose_song_diatonic(song, steps, key=parse_key(key) if key else None)
        what = f"{steps:+d} scale steps"
    save_song(result, output)
    new_key = f", key now {result.key}" if result.key else ""
    console.print(f"Transposed {song.note_count} notes by {what}{new_key}; wrote {output}")


@app.command(name="quantize")
def quantize_command(
    path: SongIn,
    output: SongOut,
    grid: Annotated[
        str, typer.Option("--grid", "-g", help="Grid: 1/4, 1/8, 1/16, 1/8T (triplets) ...")
    ] = "1/16",
    strength: Annotated[float, typer.Option(help="How far notes move to the grid, 0..1")] = 1.0,
    swing: Annotated[
        float, typer.Option(help="Delay of every second grid step, 0..<1 (1/3: triplet feel)")
    ] = 0.0,
) -> None:
    """Move note starts to a rhythmic grid, with strength and swing."""
    song = load_song(path)
    result = quantize(song, grid=grid, strength=strength, swing=swing)
    moved = sum(
        a.start != b.start
        for old, new in zip(song.tracks, result.tracks, strict=True)
        for a, b in zip(old.notes, new.notes, strict=False)
    )
    save_song(result, output)
    console.print(
        f"Quantized to {grid} (strength {strength:g}, swing {swing:g}): "
        f"{moved} notes moved; wrote {output}"
    )


def _render_with_progress(
    song: Song,
    output: Path,
    *,
    sample_rate: int = 44100,
    bit_depth: int = 16,
    soundfont: Path | None = None,
) -> RenderResult:
    if bit_depth not in (16, 24):
        raise CliError(f"--bit-depth={bit_depth} must be 16 or 24")
    columns = (
        TextColumn("Rendering"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("render", total=1.0)

        def update(done: float, total: float) -> None:
            bar.update(task, completed=done / total if total else 1.0)

        return render_to_file(
            song,
            output,
            sample_rate=sample_rate,
            bit_depth=16 if bit_depth == 16 else 24,
            soundfont=soundfont,
            progress=update,
        )


@app.command()
def render(
    path: SongIn,
    output: SongOut,
    sample_rate: Annotated[
        int, typer.Option("--sample-rate", "-r", help="44100 or 48000 Hz")
    ] = 44100,
    bit_depth: Annotated[int, typer.Option("--bit-depth", help="16 or 24 (WAV and FLAC)")] = 16,
    soundfont: Annotated[
        Path | None,
        typer.Option("--soundfont", help="A General MIDI .sf2 (default: the best one installed)"),
    ] = None,
) -> None:
    """Render a song to audio (WAV, FLAC or MP3) with a General MIDI SoundFont."""
    song = load_song(path)
    result = _render_with_progress(
        song, output, sample_rate=sample_rate, bit_depth=bit_depth, soundfont=soundfont
    )
    _print_render(result)


def _print_render(result: RenderResult) -> None:
    console.print(
        f"Wrote {result.path}: {_format_seconds(result.seconds)} at {result.sample_rate} Hz, "
        f"peak {result.peak_dbfs:.1f} dBFS, {result.realtime_factor:.0f}x realtime "
        f"(SoundFont {Path(result.soundfont).name})"
    )


@app.command()
def demo(
    folder: Annotated[Path, typer.Option("--folder", help="Where to write the demo files")] = Path(
        "data/demo"
    ),
) -> None:
    """Write the demo song as MIDI and MusicXML and render it to WAV."""
    song = demo_song()
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / "first-light"
    save_song(song, stem.with_suffix(".mid"))
    save_song(song, stem.with_suffix(".musicxml"))
    console.print(
        f"Demo song [bold]{song.title}[/bold]: {len(song.tracks)} tracks, {song.note_count} notes"
    )
    console.print(f"Wrote {stem.with_suffix('.mid')} and {stem.with_suffix('.musicxml')}")
    _print_render(_render_with_progress(song, stem.with_suffix(".wav")))
    console.print(f"Try: bandmate info {stem.with_suffix('.mid')}")


def _fraction_progress(label: str) -> tuple[Progress, Callable[[float, str], None]]:
    columns = (
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.description}"),
    )
    bar = Progress(*columns, console=errors, transient=True)
    task = bar.add_task("", total=1.0)

    def update(fraction: float, message: str) -> None:
        bar.update(task, completed=fraction, description=message)

    return bar, update


AudioIn = Annotated[
    Path, typer.Argument(help="An audio file: WAV, FLAC, OGG or MP3", show_default=False)
]


@app.command()
def master(
    path: AudioIn,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The master: .wav/.flac (24-bit) or .mp3 (320k)")
    ],
    target: Annotated[
        str,
        typer.Option(
            help="spotify, apple, youtube, tidal, amazon, soundcloud, cd, club, reference, "
            "or a custom LUFS[/dBTP] such as -12/-0.5"
        ),
    ] = "spotify",
    reference: Annotated[
        Path | None, typer.Option(help="A reference track whose tone (and width) to match")
    ] = None,
    blend: Annotated[float, typer.Option(help="How much of the reference's tone, 0..1")] = 0.5,
    report: Annotated[
        Path | None, typer.Option(help="Write a before/after report (.html, with a .json twin)")
    ] = None,
) -> None:
    """Master a mix to a platform's loudness and true-peak ceiling, or to a reference."""
    from bandmate.master.files import master_file

    bar, update = _fraction_progress("Mastering")
    with bar:
        outcome = master_file(
            path, output, target=target, reference=reference, blend=blend, report=report,
            progress=update,
        )  # fmt: skip
    numbers = outcome.report
    after = numbers.after
    console.print(
        f"Wrote {outcome.output}: {after.integrated_lufs:.1f} LUFS "
        f"(target {numbers.target_lufs:.1f}), true peak {after.true_peak_dbtp:.1f} dBTP "
        f"(ceiling {numbers.ceiling_dbtp:.1f}), range {after.loudness_range_lu:.1f} LU"
        if after.integrated_lufs is not None and after.true_peak_dbtp is not None
        else f"Wrote {outcome.output} (silent: nothing to raise)"
    )
    for note in outcome.result.notes:
        console.print(f"  note: {note}")
    if outcome.report_path is not None:
        console.print(f"Report: {outcome.report_path}")


@app.command()
def release(
    path: AudioIn,
    folder: Annotated[Path, typer.Option("--output", "-o", help="The release folder to create")],
    title: Annotated[str, typer.Option(help="The track's title")],
    artist: Annotated[list[str], typer.Option(help="A main artist (repeat for several)")],
    album: Annotated[str | None, typer.Option(help="Album or single title")] = None,
    isrc: Annotated[str | None, typer.Option(help="ISRC, e.g. GBAYE2500001")] = None,
    cover: Annotated[
        Path | None,
        typer.Option(help="Cover image (made 3000x3000); made from the audio if absent"),
    ] = None,
    credit: Annotated[
        list[str] | None,
        typer.Option(help="'Name:Role', e.g. 'Ada:Composer' (repeat for several)"),
    ] = None,
    zip_package: Annotated[bool, typer.Option("--zip", help="Also zip the folder")] = False,
) -> None:
    """Build a release: WAV/FLAC/MP3 with tags and cover art, a DDEX ERN 4 message, checksums."""
    from bandmate.release import Credit, ReleaseInfo, build_release
    from bandmate.release.metadata import Role

    credits = []
    for text in credit or []:
        name, sep, role = text.rpartition(":")
        if not sep or not name.strip() or not role.strip():
            raise CliError(f"--credit={text!r} must look like 'Name:Role'")
        # Credit checks the role itself and names the roles it knows.
        credits.append(Credit(name.strip(), cast("Role", role.strip())))
    info = ReleaseInfo(
        title=title, artists=tuple(artist), album=album, isrc=isrc, credits=tuple(credits)
    )
    bar, update = _fraction_progress("Packaging")
    with bar:
        package = build_release(
            path, folder, info, cover=cover, make_zip=zip_package, progress=update
        )
    for role, file in sorted(package.files.items()):
        console.print(f"  {role:<9} {file}")
    if package.zip_path is not None:
        console.print(f"  zip       {package.zip_path}")
    for note in package.notes:
        console.print(f"  note: {note}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (BANDMATE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (BANDMATE_PORT)")] = None,
) -> None:
    """Start the studio server (settings from BANDMATE_* variables; data in ./data)."""
    # The server stack (FastAPI, SQLAlchemy) loads only for this command.
    from bandmate.server import run, settings_from_env

    settings = settings_from_env()
    if host is not None:
        settings = replace(settings, host=host)
    if port is not None:
        settings = replace(settings, port=port)
    console.print(
        f"Bandmate studio at http://{settings.host}:{settings.port} (data in {settings.data_dir})"
    )
    run(settings)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (1 for a Bandmate error)."""
    try:
        app(args=argv, standalone_mode=False)
    except BandmateError as exc:
        errors.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        return 1
    except typer.TyperException as exc:
        # Usage errors (a missing argument, a bad option value): typer's own message, exit 2.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            errors.print(f"error: {exc.format_message()}", highlight=False)
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        errors.print("aborted")
        return 130
    except OSError as exc:
        errors.print(
            f"[bold red]error:[/bold red] {exc.strerror or exc}: {exc.filename or ''}",
            highlight=False,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
