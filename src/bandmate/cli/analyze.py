"""``bandmate analyze``: key, tempo, beats, chords, loudness, mood and style of a recording
or song.

Audio files (WAV, FLAC, OGG, MP3) get the full listening analysis; song files (MIDI,
MusicXML, ABC) the symbolic one. ``--json`` writes the result, ``--report`` an HTML page
with plots. Results of audio are cached by content hash in ``--cache``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from bandmate.errors import CliError

console = Console()
errors = Console(stderr=True, soft_wrap=True)
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff"})
SONG_SUFFIXES = frozenset({".mid", ".midi", ".musicxml", ".xml", ".mxl", ".abc"})


def analyze(
    path: Annotated[
        Path,
        typer.Argument(
            help="An audio file (WAV, FLAC, OGG, MP3) or a song (MIDI, MusicXML, ABC)",
            show_default=False,
        ),
    ],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the analysis as JSON here")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report with plots here")
    ] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Cache folder for audio results")
    ] = None,
) -> None:
    """Analyze a recording or a song: key, tempo, beats, chords, loudness, mood."""
    suffix = path.suffix.lower()
    if suffix in SONG_SUFFIXES:
        if report is not None:
            raise CliError("--report is for audio files; a song has no waveform to plot")
        _analyze_song(path, json_out)
        return
    if suffix not in AUDIO_SUFFIXES:
        known = ", ".join(sorted(AUDIO_SUFFIXES | SONG_SUFFIXES))
        raise CliError(f"file extension={suffix or '(none)'!r} must be one of {known}")
    _analyze_audio(path, json_out, report, cache)


def _analyze_audio(
    path: Path, json_out: Path | None, report: Path | None, cache: Path | None
) -> None:
    from bandmate.listen import analyze_file, decode_file
    from bandmate.listen.report import write_report

    columns = (
        TextColumn("Listening"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("", total=1.0)

        def update(fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, description=message)

        result = analyze_file(path, cache_dir=cache, progress=update)
    key = result.key
    table = Table(show_header=False, box=None)
    table.add_row("Key", f"[bold]{key.name}[/bold]  (confidence {key.confidence:.2f}, "
                         f"runner-up {key.runner_up})")  # fmt: skip
    table.add_row(
        "Tempo",
        f"{result.bpm:.1f} bpm, {result.beats_per_bar} beats to the bar "
        f"({len(result.beats)} beats)",
    )
    shown = [c.symbol for c in result.chords if c.label != "N"]
    table.add_row("Chords", " ".join(shown[:24]) + (" ..." if len(shown) > 24 else ""))
    loud = result.loudness
    lufs = "silent" if loud.integrated_lufs is None else f"{loud.integrated_lufs:.1f} LUFS"
    peak = "-" if loud.true_peak_dbtp is None else f"{loud.true_peak_dbtp:.1f} dBTP"
    table.add_row("Loudness", f"{lufs}, range {loud.loudness_range_lu:.1f} LU, true peak {peak}")
    table.add_row(
        "Feel",
        f"energy {result.energy:.2f}, rhythm {result.rhythm_strength:.2f}, "
        f"brightness {result.brightness_hz:.0f} Hz",
    )
    mood = result.mood
    table.add_row(
        "Mood",
        f"{mood.label} (valence {mood.valence:+.2f}, arousal {mood.arousal:+.2f}; heuristic"
        f"{' with the mood tags' if result.tags else ''})",
    )
    for label, tags in (("Style", result.genres()), ("Mood tags", result.moods())):
        if tags:
            table.add_row(label, ", ".join(f"{t.name} {t.score:.2f}" for t in tags[:5]))
    if result.tagger:
        table.add_row("Tagger", result.tagger)
    console.print(f"[bold]{path.name}[/bold]  {result.seconds:.1f} s, {result.sample_rate} Hz")
    console.print(table)
    if json_out is not None:
        json_out.write_text(result.to_json(), encoding="utf-8")
        console.print(f"Wrote {json_out}")
    if report is not None:
        audio = decode_file(path)
        write_report(result, report, mono=audio.mono, rate=audio.analysis_rate, title=path.name)
        console.print(f"Report: {report}")


def _analyze_song(path: Path, json_out: Path | None) -> None:
    from bandmate.formats import load_song
    from bandmate.listen.symbolic import analyze_song

    result = analyze_song(load_song(path))
    table = Table(show_header=False, box=None)
    stated = f", the song states {result.key_stated}" if result.key_stated else ""
    table.add_row("Key", f"[bold]{result.key}[/bold]  (confidence {result.key_confidence:.2f}, "
                         f"runner-up {result.key_runner_up}{stated})")  # fmt: skip
    table.add_row("Tempo", f"{result.bpm:g} bpm, {result.meter}")
    shown = [c.symbol for c in result.chords]
    origin = "chord lane" if any(c.stated for c in result.chords) else "estimated"
    table.add_row("Chords", " ".join(shown[:24]) + (" ..." if len(shown) > 24 else "")
                  + f"  ({origin})")  # fmt: skip
    table.add_row(
        "Notes",
        f"{result.notes} notes, {result.notes_per_second:.1f} per second, "
        f"range {result.lowest or '-'}..{result.highest or '-'}",
    )
    mood = result.mood
    table.add_row(
        "Mood",
        f"{mood.label} (valence {mood.valence:+.2f}, arousal {mood.arousal:+.2f}; heuristic)",
    )
    console.print(f"[bold]{result.title}[/bold]  ({path.name}, {result.seconds:.1f} s)")
    console.print(table)
    if json_out is not None:
        json_out.write_text(result.to_json(), encoding="utf-8")
        console.print(f"Wrote {json_out}")
