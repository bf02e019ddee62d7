"""The work of each job kind, as plain functions that run inside a worker process.

A :class:`Task` carries everything a worker needs and nothing of the server: the job's
kind and parameters, the project's song as stored (its snapshot and update tail, or the
MIDI seed of a project nobody has opened yet) and a folder to write in. :func:`run_task`
rebuilds the song, does the work, reports progress as ``progress(fraction, message)``
and returns an :class:`Outcome`: the result file and numbers about it. Errors are
:class:`~bandmate.errors.BandmateError`\\ s whose messages speak to the user.
"""

from __future__ import annotations

import json
import math
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycrdt import Doc

from bandmate.formats.midi_read import read_midi
from bandmate.formats.midi_write import write_midi
from bandmate.formats.musicxml import write_musicxml
from bandmate.jobs.errors import JobFailedError
from bandmate.jobs.specs import (
    ExportMidi,
    ExportMusicXml,
    Master,
    Release,
    Render,
    parse_spec,
)
from bandmate.music.song import Song
from bandmate.release.package import safe_name
from bandmate.render.bounce import render_to_file
from bandmate.sync.document import doc_to_song
from bandmate.sync.update import apply_update

Progress = Callable[[float, str], None]
"""Called as ``progress(fraction, message)``, fraction in 0..1."""

MEDIA_TYPES = {
    "mid": "audio/midi",
    "musicxml": "application/vnd.recordare.musicxml+xml",
    "mxl": "application/vnd.recordare.musicxml",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "zip": "application/zip",
}


@dataclass(frozen=True, slots=True)
class SongSource:
    """A project's song as the store holds it.

    Attributes:
        title: The project's name (the title of a song that was never opened).
        updates: The latest snapshot's state (if any) then every update after it, in order.
        seed_midi: The project's MIDI seed, used only when ``updates`` is empty.
    """

    title: str
    updates: tuple[bytes, ...] = ()
    seed_midi: bytes | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """One job handed to a worker."""

    job_id: str
    kind: str
    params: dict[str, Any]
    source: SongSource
    workdir: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a task produced: the file, how to name it, and numbers about it."""

    path: str
    name: str
    media_type: str
    summary: dict[str, Any] = field(default_factory=dict)


def load_song(source: SongSource) -> Song:
    """The song a :class:`SongSource` holds (its document, else its seed, else empty).

    Raises:
        DocumentError: When the stored document does not apply or is not a valid song.
        FormatError: When the MIDI seed does not read.
    """
    if source.updates:
        doc: Doc[Any] = Doc()
        for update in source.updates:
            apply_update(doc, update)
        return doc_to_song(doc)
    if source.seed_midi is not None:
        return read_midi(source.seed_midi)
    return Song(title=source.title)


def _stage(progress: Progress, start: float, end: float) -> Progress:
    def report(fraction: float, message: str) -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report


def _render_progress(progress: Progress) -> Callable[[float, float], None]:
    def report(done_s: float, total_s: float) -> None:
        fraction = done_s / total_s if total_s > 0 else 1.0
        progress(fraction, f"Rendering {done_s:.0f} of {total_s:.0f} s")

    return report


def _title(song: Song, source: SongSource) -> str:
    return safe_name(song.title.strip() or source.title)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def export_midi(song: Song, spec: ExportMidi, work: Path, progress: Progress) -> Outcome:
    """The song as a Standard MIDI File."""
    progress(0.1, "Writing MIDI")
    path = work / "song.mid"
    path.write_bytes(write_midi(song))
    notes = sum(len(t.notes) for t in song.tracks)
    return Outcome(str(path), "", MEDIA_TYPES["mid"], {"tracks": len(song.tracks), "notes": notes})


def export_musicxml(song: Song, spec: ExportMusicXml, work: Path, progress: Progress) -> Outcome:
    """The song as MusicXML, plain or compressed."""
    progress(0.1, "Writing MusicXML")
    extension = "mxl" if spec.compressed else "musicxml"
    path = work / f"song.{extension}"
    path.write_bytes(write_musicxml(song, compressed=spec.compressed))
    return Outcome(str(path), extension, MEDIA_TYPES[extension], {"tracks": len(song.tracks)})


def render(song: Song, spec: Render, work: Path, progress: Progress) -> Outcome:
    """The song rendered to WAV, FLAC or MP3."""
    path = work / f"render.{spec.format}"
    result = render_to_file(
        song,
        path,
        sample_rate=spec.sample_rate,
        format=spec.format,
        bit_depth=spec.bit_depth,
        quality=spec.mp3_kbps,
        progress=_render_progress(progress),
    )
    summary = {
        "seconds": result.seconds,
        "sample_rate": result.sample_rate,
        "peak_dbfs": _finite(result.peak_dbfs),
        "gain_db": result.gain_db,
    }
    return Outcome(str(result.path), spec.format, MEDIA_TYPES[spec.format], summary)


def _master(
    song: Song,
    spec: Master | Release,
    work: Path,
    progress: Progress,
    *,
    audio_format: str,
    bit_depth: int,
) -> tuple[Path, Path, dict[str, Any]]:
    # Imported here: it draws the report with matplotlib, which exports never need.
    from bandmate.master.files import master_file

    mix = render_to_file(
        song,
        work / "mix.wav",
        sample_rate=spec.sample_rate,
        bit_depth=24,
        progress=_render_progress(_stage(progress, 0.0, 0.5)),
    )
    out = work / "master"
    out.mkdir()
    staged = _stage(progress, 0.5, 1.0)
    outcome = master_file(
        mix.path,
        out / f"master.{audio_format}",
        target=spec.loudness_target(),
        style=spec.style,
        eq_amount=spec.eq_amount,
        compression=spec.compression,
        width=spec.width,
        report=out / "report.html",
        bit_depth=24 if bit_depth == 24 else 16,
        progress=staged,
    )
    report = outcome.report
    summary = {
        "target": report.target_label,
        "target_lufs": report.target_lufs,
        "ceiling_dbtp": report.ceiling_dbtp,
        "seconds": report.seconds,
        "before_lufs": _finite(report.before.integrated_lufs),
        "after_lufs": _finite(report.after.integrated_lufs),
        "after_true_peak_dbtp": _finite(report.after.true_peak_dbtp),
        "meets_target": report.meets_target,
    }
    return outcome.output, out, summary


def master(song: Song, spec: Master, work: Path, progress: Progress) -> Outcome:
    """The song rendered and mastered: a zip of the master, its HTML report and JSON numbers."""
    output, folder, summary = _master(
        song,
        spec,
        work,
        _stage(progress, 0.0, 0.95),
        audio_format=spec.format,
        bit_depth=spec.bit_depth,
    )
    progress(0.95, "Packing the master and its report")
    path = work / "master.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in sorted(folder.iterdir()):
            archive.write(item, item.name)
    summary["master_file"] = output.name
    return Outcome(str(path), "zip", MEDIA_TYPES["zip"], summary)


def release(song: Song, spec: Release, work: Path, progress: Progress) -> Outcome:
    """The song rendered, mastered and packaged for stores, as a zip."""
    from bandmate.release.package import build_release

    info = spec.info()
    output, _, summary = _master(
        song, spec, work, _stage(progress, 0.0, 0.7), audio_format="wav", bit_depth=24
    )
    (work / "release").mkdir()
    package = build_release(
        output,
        work / "release" / safe_name(f"{info.display_artist} - {info.title}"),
        info,
        make_zip=True,
        progress=_stage(progress, 0.7, 1.0),
    )
    if package.zip_path is None:
        raise JobFailedError("the release package was built but not zipped")
    summary["files"] = sorted(path.name for path in package.files.values())
    summary["notes"] = list(package.notes)
    return Outcome(str(package.zip_path), "zip", MEDIA_TYPES["zip"], summary)


def run_task(task: Task, progress: Progress) -> Outcome:
    """Do one job's work in ``task.workdir`` and return its result.

    The outcome's ``name`` is the download's file name (the song's title and the kind's
    extension).

    Raises:
        BandmateError: When the song or the parameters do not allow the work; the message
            is meant for the user.
    """
    work = Path(task.workdir)
    progress(0.0, "Reading the song")
    song = load_song(task.source)
    spec = parse_spec(task.kind, task.params)
    title = _title(song, task.source)
    started = time.perf_counter()
    if isinstance(spec, ExportMidi):
        outcome = export_midi(song, spec, work, progress)
        name = f"{title}.mid"
    elif isinstance(spec, ExportMusicXml):
        outcome = export_musicxml(song, spec, work, progress)
        name = f"{title}.{outcome.name}"
    elif isinstance(spec, Render):
        outcome = render(song, spec, work, progress)
        name = f"{title}.{outcome.name}"
    elif isinstance(spec, Master):
        outcome = master(song, spec, work, progress)
        name = f"{title} (master).zip"
    elif isinstance(spec, Release):
        outcome = release(song, spec, work, progress)
        name = f"{safe_name(spec.title)} (release).zip"
    else:  # pragma: no cover - the spec union is closed
        raise JobFailedError(f"kind={task.kind!r} has no work function")
    summary = {**outcome.summary, "elapsed_s": round(time.perf_counter() - started, 3)}
    json.dumps(summary)  # the summary is stored as JSON: fail here, not in the server
    progress(1.0, "Done")
    return Outcome(outcome.path, name, outcome.media_type, summary)
