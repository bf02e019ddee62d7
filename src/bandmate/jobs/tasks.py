"""The work of each job kind, as plain functions that run inside a worker process.

A :class:`Task` carries everything a worker needs and nothing of the server: the job's
kind and parameters, the project's song as stored (its snapshot and update tail, or the
MIDI seed of a project nobody has opened yet) and a folder to write in. :func:`run_task`
rebuilds the song, does the work, reports progress as ``progress(fraction, message)``
and returns an :class:`Outcome`: the result file and numbers about it. Errors are
:class:`~bandmate.errors.BandmateError`\\ s whose messages speak to the user.
"""

from __future__ import annotations

import contextlib
import json
import math
import resource
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycrdt import Doc

from bandmate.formats.midi_read import read_midi
from bandmate.formats.midi_write import write_midi
from bandmate.formats.musicxml import write_musicxml
from bandmate.jobs.errors import JobFailedError
from bandmate.jobs.specs import (
    Analyze,
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
from bandmate.render.clips import StemLoader
from bandmate.store.blobs import BlobStore
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
        blob_dir: The blob store's folder, where the recordings of audio clips are read.
        stems: The digests of the project's stems: the only recordings a render reads.
    """

    title: str
    updates: tuple[bytes, ...] = ()
    seed_midi: bytes | None = None
    blob_dir: str | None = None
    stems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Task:
    """One job handed to a worker."""

    job_id: str
    kind: str
    params: dict[str, Any]
    source: SongSource
    workdir: str
    audio_path: str | None = None
    """The file an ``analyze`` job of an upload listens to (a blob's path)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a task produced: the file, how to name it, and numbers about it."""

    path: str
    name: str
    media_type: str
    summary: dict[str, Any] = field(default_factory=dict)


def stem_loader(source: SongSource) -> StemLoader:
    """Reads the recordings of a song's audio clips: the project's own stems only."""
    allowed = frozenset(source.stems)

    def load(digest: str) -> bytes:
        if source.blob_dir is None or digest not in allowed:
            raise JobFailedError(f"an audio clip names {digest[:12]}…, not a stem of this project")
        return BlobStore(Path(source.blob_dir)).get(digest)

    return load


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


def render(
    song: Song, spec: Render, work: Path, progress: Progress, *, stems: StemLoader | None = None
) -> Outcome:
    """The song rendered to WAV, FLAC or MP3, its audio clips mixed in (read with ``stems``)."""
    path = work / f"render.{spec.format}"
    result = render_to_file(
        song,
        path,
        sample_rate=spec.sample_rate,
        format=spec.format,
        bit_depth=spec.bit_depth,
        quality=spec.mp3_kbps,
        progress=_render_progress(progress),
        stems=stems,
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
    stems: StemLoader | None = None,
) -> tuple[Path, Path, dict[str, Any]]:
    # Imported here: it draws the report with matplotlib, which exports never need.
    from bandmate.master.files import master_file

    mix = render_to_file(
        song,
        work / "mix.wav",
        sample_rate=spec.sample_rate,
        bit_depth=24,
        progress=_render_progress(_stage(progress, 0.0, 0.5)),
        stems=stems,
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


def master(
    song: Song, spec: Master, work: Path, progress: Progress, *, stems: StemLoader | None = None
) -> Outcome:
    """The song rendered and mastered: a zip of the master, its HTML report and JSON numbers."""
    output, folder, summary = _master(
        song,
        spec,
        work,
        _stage(progress, 0.0, 0.95),
        audio_format=spec.format,
        bit_depth=spec.bit_depth,
        stems=stems,
    )
    progress(0.95, "Packing the master and its report")
    path = work / "master.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in sorted(folder.iterdir()):
            archive.write(item, item.name)
    summary["master_file"] = output.name
    return Outcome(str(path), "zip", MEDIA_TYPES["zip"], summary)


def release(
    song: Song, spec: Release, work: Path, progress: Progress, *, stems: StemLoader | None = None
) -> Outcome:
    """The song rendered, mastered and packaged for stores, as a zip."""
    from bandmate.release.package import build_release

    info = spec.info()
    output, _, summary = _master(
        song,
        spec,
        work,
        _stage(progress, 0.0, 0.7),
        audio_format="wav",
        bit_depth=24,
        stems=stems,
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


ANALYSIS_MAX_MEMORY = 3 << 30
"""Address-space cap (soft) of a worker while it decodes and analyzes an upload, bytes."""
ANALYSIS_MAX_CPU_S = 120
"""CPU seconds an upload's decode and analysis may take (a 30-minute file needs about 20)."""
MAX_CHORDS = 256
"""Chords kept in an analysis summary (the result file has them all)."""


def _song_summary(song: Song) -> tuple[str, dict[str, Any]]:
    # Imported here: listening loads numpy and scipy, which exports never need.
    from bandmate.listen.symbolic import analyze_song

    result = analyze_song(song)
    summary = {
        "source": "song",
        "key": result.key_stated or result.key,
        "key_estimated": result.key,
        "key_confidence": result.key_confidence,
        "key_runner_up": result.key_runner_up,
        "bpm": result.bpm,
        "meter": result.meter,
        "seconds": result.seconds,
        "notes": result.notes,
        "chords": [
            {"bar": c.bar, "start": c.start, "end": c.end, "symbol": c.symbol}
            for c in result.chords[:MAX_CHORDS]
        ],
        "mood": {
            "valence": result.mood.valence,
            "arousal": result.mood.arousal,
            "label": result.mood.label,
        },
    }
    return result.to_json(), summary


@contextlib.contextmanager
def _soft_limit(kind: int, limit: int) -> Iterator[None]:
    """Lower the soft resource limit ``kind`` to ``limit`` (never above the hard one) for the
    work inside, then put it back; nothing when it is already as tight."""
    soft, hard = resource.getrlimit(kind)
    capped = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    if soft != resource.RLIM_INFINITY and soft <= capped:
        yield  # already capped at least as tightly
        return
    resource.setrlimit(kind, (capped, hard))
    try:
        yield
    finally:
        resource.setrlimit(kind, (soft, hard))


def _memory_cap(limit: int) -> contextlib.AbstractContextManager[None]:
    """Cap this process's address space at ``limit`` bytes for the work inside."""
    return _soft_limit(resource.RLIMIT_AS, limit)


def cpu_cap(seconds: int) -> contextlib.AbstractContextManager[None]:
    """Let the work inside use at most ``seconds`` more CPU seconds of this process.

    Past them the kernel sends SIGXCPU, which ends the process: the job pool reports the
    job as out of CPU time and starts a new worker. The limit is lifted again on the way out.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return _soft_limit(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime) + seconds)


def _audio_summary(path: str) -> tuple[str, dict[str, Any]]:
    from bandmate.listen.analyze import analyze_file

    # A job worker is a daemon process and may not start the bounded child of
    # bandmate.listen.bounded; it is itself a process of its own, so a decoder that dies
    # fails the job, not the server. Its address space and CPU time are capped as there.
    with _memory_cap(ANALYSIS_MAX_MEMORY), cpu_cap(ANALYSIS_MAX_CPU_S):
        result = analyze_file(path)
    summary = {
        "source": "upload",
        "key": result.key.name if result.key.confidence > 0 else None,
        "key_confidence": result.key.confidence,
        "key_runner_up": result.key.runner_up,
        "bpm": result.bpm if result.bpm > 0 else None,
        "meter": f"{result.beats_per_bar}/4",
        "seconds": result.seconds,
        "chords": [
            {"start": c.start, "end": c.end, "symbol": c.symbol} for c in result.chords[:MAX_CHORDS]
        ],
        "mood": {
            "valence": result.mood.valence,
            "arousal": result.mood.arousal,
            "label": result.mood.label,
        },
        "energy": result.energy,
        "loudness_lufs": _finite(result.loudness.integrated_lufs),
    }
    return result.to_json(), summary


def analyze(
    song: Song, spec: Analyze, work: Path, progress: Progress, audio_path: str | None
) -> Outcome:
    """Listen to the song's notes, or to an uploaded file: key, tempo, chords and mood.

    The result file is the whole analysis as JSON; the summary holds what the studio shows.
    """
    if spec.blob is not None:
        if audio_path is None:
            raise JobFailedError("the uploaded file of this analysis was not handed over")
        progress(0.1, "Decoding and listening to the upload")
        text, summary = _audio_summary(audio_path)
        summary["upload_id"] = spec.upload_id
    else:
        progress(0.1, "Reading the song's key, chords and mood")
        text, summary = _song_summary(song)
    path = work / "analysis.json"
    path.write_text(text, encoding="utf-8")
    return Outcome(str(path), "json", "application/json", summary)


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
        outcome = render(song, spec, work, progress, stems=stem_loader(task.source))
        name = f"{title}.{outcome.name}"
    elif isinstance(spec, Master):
        outcome = master(song, spec, work, progress, stems=stem_loader(task.source))
        name = f"{title} (master).zip"
    elif isinstance(spec, Release):
        outcome = release(song, spec, work, progress, stems=stem_loader(task.source))
        name = f"{safe_name(spec.title)} (release).zip"
    elif isinstance(spec, Analyze):
        outcome = analyze(song, spec, work, progress, task.audio_path)
        name = f"{title} (analysis).json"
    else:  # pragma: no cover - the spec union is closed
        raise JobFailedError(f"kind={task.kind!r} has no work function")
    summary = {**outcome.summary, "elapsed_s": round(time.perf_counter() - started, 3)}
    json.dumps(summary)  # the summary is stored as JSON: fail here, not in the server
    progress(1.0, "Done")
    return Outcome(outcome.path, name, outcome.media_type, summary)
