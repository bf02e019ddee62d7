"""A release package: the master as WAV, FLAC and MP3 with tags, the cover, the DDEX message
and a checksum manifest, in one folder (and optionally one zip).

What :func:`build_release` writes into a new (or empty) folder, for a track "Title" by
"Artist" as track 1:

- ``01 - Artist - Title.wav``: 24-bit PCM with an ID3 tag and the cover.
- ``01 - Artist - Title.flac``: 24-bit FLAC with Vorbis comments and the cover.
- ``01 - Artist - Title.mp3``: 320 kbit/s CBR with an ID3v2.4 tag and the cover (48 kHz
  when the master's rate is not one MP3 can carry).
- ``cover.jpg``: 3000 x 3000 pixels, given or drawn from the music.
- ``NewReleaseMessage.xml``: the DDEX ERN 4.3 message, checked before it is written.
- ``SHA256SUMS``: every other file's SHA-256, in the format ``sha256sum -c`` reads.

The package is built in a temporary folder beside the destination and renamed into place
at the end, so a failure leaves nothing half-written, and an existing non-empty folder is
never overwritten.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.signal
from numpy.typing import NDArray

from bandmate.master.audio_io import read_audio, write_audio
from bandmate.master.loudness import measure_loudness
from bandmate.master.progress import ProgressCallback, Stages
from bandmate.master.spectrum import long_term_spectrum
from bandmate.release.cover import SIZE, generate_cover, prepare_cover, save_cover
from bandmate.release.ddex import DeliveredAudio, DeliveredImage, build_new_release_message
from bandmate.release.ern_check import check_new_release_message
from bandmate.release.metadata import ReleaseError, ReleaseInfo
from bandmate.release.tags import tag_file

MANIFEST = "SHA256SUMS"
MESSAGE = "NewReleaseMessage.xml"
COVER = "cover.jpg"
MP3_KBPS = 320
_MP3_RATES = (32_000, 44_100, 48_000)


@dataclass(frozen=True, slots=True)
class ReleasePackage:
    """What :func:`build_release` wrote.

    Attributes:
        folder: The release folder.
        files: Every file in it by role: ``"wav"``, ``"flac"``, ``"mp3"``, ``"cover"``,
            ``"ern"`` and ``"manifest"``.
        zip_path: The zip of the folder, if one was asked for.
        notes: Things the user should know.
    """

    folder: Path
    files: dict[str, Path]
    zip_path: Path | None
    notes: tuple[str, ...]


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def safe_name(text: str) -> str:
    """Make text safe as a file name on every common system."""
    cleaned = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", text).strip(" .")
    return cleaned[:120] or "untitled"


def verify_manifest(folder: str | os.PathLike[str]) -> list[str]:
    """Check every file listed in a release folder's ``SHA256SUMS``.

    Returns:
        The names of files that are missing or whose SHA-256 differs (empty when intact).
    """
    base = Path(folder)
    bad = []
    for line in (base / MANIFEST).read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        path = base / name
        if not path.is_file() or sha256_file(path) != digest:
            bad.append(name)
    return bad


def build_release(
    master: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    info: ReleaseInfo,
    *,
    cover: str | os.PathLike[str] | None = None,
    make_zip: bool = False,
    progress: ProgressCallback | None = None,
) -> ReleasePackage:
    """Build a release package from a mastered track.

    Args:
        master: The mastered audio (WAV, FLAC, ...; mono or stereo, peaks at most 0 dBFS).
        folder: The release folder to create; it must not exist or must be empty.
        info: The release's metadata.
        cover: A cover image; without one, a cover is drawn from the music.
        make_zip: Also write ``<folder>.zip`` holding the folder.
        progress: Called as ``progress(fraction, message)``.

    Returns:
        The paths written and notes.

    Raises:
        ReleaseError: for a non-empty destination, a bad cover, or a message that fails
            its structural check.
        MasterError: for unreadable or invalid audio.
    """
    stages = Stages(progress)
    destination = Path(folder)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ReleaseError(f"release folder {os.fspath(destination)!r} exists and is not empty")
    parent = destination.parent if str(destination.parent) else Path(".")
    if not parent.is_dir():
        raise ReleaseError(f"folder {os.fspath(parent)!r} does not exist")
    stages.report(0.0, "Reading the master")
    clip = read_audio(master)
    if clip.channels > 2:
        raise ReleaseError(f"the master has {clip.channels} channels; a release takes 1 or 2")
    notes: list[str] = []
    work = Path(tempfile.mkdtemp(dir=parent, prefix=".release-"))
    try:
        stages.report(0.1, "Preparing the cover")
        if cover is not None:
            image, cover_notes = prepare_cover(cover)
            notes.extend(cover_notes)
        else:
            loudness = measure_loudness(clip.samples, clip.sample_rate)
            spectrum = long_term_spectrum(clip.samples, clip.sample_rate)
            image = generate_cover(
                spectrum.level_db,
                spectrum.frequencies_hz,
                loudness.short_term,
                title=info.title,
                artist=info.display_artist,
            )
            notes.append("No cover was given: one was drawn from the music's analysis.")
        cover_path = save_cover(image, work / COVER)
        cover_jpeg = cover_path.read_bytes()

        stem = safe_name(f"{info.track_number:02d} - {info.display_artist} - {info.title}")
        files: dict[str, Path] = {}
        stages.report(0.3, "Encoding WAV, FLAC and MP3")
        for kind in ("wav", "flac"):
            files[kind] = write_audio(work / f"{stem}.{kind}", clip.samples, clip.sample_rate)
        mp3_rate = clip.sample_rate if clip.sample_rate in _MP3_RATES else 48_000
        mp3_audio = _resample(clip.samples, clip.sample_rate, mp3_rate)
        if mp3_rate != clip.sample_rate:
            notes.append(f"The MP3 was resampled from {clip.sample_rate} Hz to {mp3_rate} Hz.")
        files["mp3"] = write_audio(work / f"{stem}.mp3", mp3_audio, mp3_rate, mp3_kbps=MP3_KBPS)
        stages.report(0.7, "Tagging")
        for kind in ("wav", "flac", "mp3"):
            tag_file(files[kind], info, cover_jpeg, cover_size=SIZE)

        stages.report(0.8, "Writing the DDEX release message")
        delivered = [
            DeliveredAudio(files["flac"].name, sha256_file(files["flac"]), "FLAC",
                           clip.channels, clip.sample_rate, 24, None),
            DeliveredAudio(files["wav"].name, sha256_file(files["wav"]), "PCM",
                           clip.channels, clip.sample_rate, 24, None),
            DeliveredAudio(files["mp3"].name, sha256_file(files["mp3"]), "MP3",
                           clip.channels, mp3_rate, None, MP3_KBPS),
        ]  # fmt: skip
        message = build_new_release_message(
            info,
            duration_seconds=clip.seconds,
            audio_files=delivered,
            cover=DeliveredImage(COVER, sha256_file(cover_path), SIZE),
        )
        problems = check_new_release_message(message)
        if problems:
            raise ReleaseError("the DDEX message failed its check: " + "; ".join(problems))
        (work / MESSAGE).write_bytes(message)
        if not info.sender_dpid:
            notes.append(
                "The DDEX message is marked TestMessage: give the sender's DPID (yours or "
                "your distributor's) to make it a live delivery."
            )
        files["cover"], files["ern"] = cover_path, work / MESSAGE
        listed = sorted(files.values(), key=lambda p: p.name)
        (work / MANIFEST).write_text(
            "".join(f"{sha256_file(p)}  {p.name}\n" for p in listed), encoding="utf-8"
        )
        if destination.exists():
            destination.rmdir()  # empty, checked above
        os.replace(work, destination)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    final = {kind: destination / path.name for kind, path in files.items()}
    final["manifest"] = destination / MANIFEST
    zip_path = _zip(destination) if make_zip else None
    stages.report(1.0, "Release package ready")
    return ReleasePackage(destination, final, zip_path, tuple(notes))


def _resample(samples: NDArray[np.float64], rate: int, new_rate: int) -> NDArray[np.float64]:
    if rate == new_rate:
        return samples
    divisor = np.gcd(rate, new_rate)
    resampled: NDArray[np.float64] = scipy.signal.resample_poly(
        samples, new_rate // divisor, rate // divisor, axis=0
    )
    peak = float(np.max(np.abs(resampled))) if resampled.size else 0.0
    # Resampling can overshoot by a hair; never write past full scale.
    return resampled / peak * 0.999 if peak > 0.999 else resampled


def _zip(folder: Path) -> Path:
    target = folder.with_name(folder.name + ".zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{folder.name}/{path.name}")
    return target
