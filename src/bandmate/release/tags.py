"""Tags and embedded cover art for WAV, FLAC and MP3 files (mutagen).

- FLAC: Vorbis comments (TITLE, ARTIST per artist, ALBUM, ALBUMARTIST, TRACKNUMBER,
  TRACKTOTAL, ISRC, DATE, GENRE, LABEL, COPYRIGHT, COMPOSER, LYRICIST, ARRANGER,
  PRODUCER, MIXER, ENGINEER, plus CREDITS with every "role: name") and a front-cover
  PICTURE block.
- MP3 and WAV: an ID3v2.4 tag (in WAV, the ``id3`` RIFF chunk): TIT2, TPE1 (one value per
  artist), TALB, TPE2, TRCK ("1/1"), TSRC, TDRC, TCON, TPUB, TCOP, TCOM, TEXT, TIPL (the
  involved-people list: producer, mixer, engineers, arranger) and an APIC front cover.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mutagen
import mutagen.flac
import mutagen.id3
import mutagen.wave

from bandmate.release.metadata import ReleaseError, ReleaseInfo

# mutagen ships py.typed but leaves its constructors unannotated; reaching it through Any
# keeps strict type checking on our side without a per-call ignore.
_id3: Any = mutagen.id3
_flac: Any = mutagen.flac
_wave: Any = mutagen.wave
_COVER_FRONT = 3  # ID3 APIC / FLAC picture type "Cover (front)"

_INVOLVED = {
    "Producer": "producer",
    "MixingEngineer": "mix",
    "MasteringEngineer": "mastering",
    "RecordingEngineer": "engineer",
    "Arranger": "arranger",
}
_VORBIS_ROLES = {
    "Composer": "COMPOSER",
    "ComposerLyricist": "COMPOSER",
    "Lyricist": "LYRICIST",
    "Arranger": "ARRANGER",
    "Producer": "PRODUCER",
    "MixingEngineer": "MIXER",
    "MasteringEngineer": "ENGINEER",
    "RecordingEngineer": "ENGINEER",
}


def _artists(info: ReleaseInfo) -> list[str]:
    return [*info.artists, *info.credited("FeaturedArtist")]


def _id3_frames(info: ReleaseInfo, cover_jpeg: bytes) -> list[Any]:
    frames: list[Any] = [
        _id3.TIT2(encoding=3, text=info.title),
        _id3.TPE1(encoding=3, text=_artists(info)),
        _id3.TALB(encoding=3, text=info.release_title),
        _id3.TPE2(encoding=3, text=info.display_artist),
        _id3.TRCK(encoding=3, text=f"{info.track_number}/{info.track_total}"),
        _id3.TDRC(encoding=3, text=info.release_date.isoformat()),
        _id3.TCON(encoding=3, text=info.genre),
        _id3.TPUB(encoding=3, text=info.label_name),
        _id3.TCOP(encoding=3, text=info.p_line),
        _id3.APIC(
            encoding=3,
            mime="image/jpeg",
            type=_COVER_FRONT,
            desc="Cover",
            data=cover_jpeg,
        ),
    ]
    if info.isrc:
        frames.append(_id3.TSRC(encoding=3, text=info.isrc))
    composers = info.credited("Composer", "ComposerLyricist")
    if composers:
        frames.append(_id3.TCOM(encoding=3, text=composers))
    lyricists = info.credited("Lyricist", "ComposerLyricist")
    if lyricists:
        frames.append(_id3.TEXT(encoding=3, text=lyricists))
    people = [[_INVOLVED[c.role], c.name] for c in info.credits if c.role in _INVOLVED]
    if people:
        frames.append(_id3.TIPL(encoding=3, people=people))
    return frames


def _fill_id3(tags: Any, info: ReleaseInfo, cover_jpeg: bytes) -> None:
    tags.clear()
    for frame in _id3_frames(info, cover_jpeg):
        tags.add(frame)


def tag_mp3(path: str | os.PathLike[str], info: ReleaseInfo, cover_jpeg: bytes) -> None:
    """Write an ID3v2.4 tag with cover art into an MP3 file."""
    tags = _id3.ID3()
    _fill_id3(tags, info, cover_jpeg)
    tags.save(os.fspath(path), v2_version=4)


def tag_wav(path: str | os.PathLike[str], info: ReleaseInfo, cover_jpeg: bytes) -> None:
    """Write an ID3v2.4 tag with cover art into a WAV file's ``id3`` chunk."""
    audio = _wave.WAVE(os.fspath(path))
    if audio.tags is None:
        audio.add_tags()
    _fill_id3(audio.tags, info, cover_jpeg)
    audio.save(v2_version=4)


def tag_flac(
    path: str | os.PathLike[str], info: ReleaseInfo, cover_jpeg: bytes, *, cover_size: int
) -> None:
    """Write Vorbis comments and a front-cover picture into a FLAC file."""
    audio = _flac.FLAC(os.fspath(path))
    audio.delete()
    audio.clear_pictures()
    comments: dict[str, list[str]] = {
        "TITLE": [info.title],
        "ARTIST": _artists(info),
        "ALBUM": [info.release_title],
        "ALBUMARTIST": [info.display_artist],
        "TRACKNUMBER": [str(info.track_number)],
        "TRACKTOTAL": [str(info.track_total)],
        "DATE": [info.release_date.isoformat()],
        "GENRE": [info.genre],
        "LABEL": [info.label_name],
        "COPYRIGHT": [info.p_line],
    }
    if info.isrc:
        comments["ISRC"] = [info.isrc]
    for credit in info.credits:
        key = _VORBIS_ROLES.get(credit.role)
        if key is not None:
            comments.setdefault(key, []).append(credit.name)
    if info.credits:
        comments["CREDITS"] = [f"{c.role}: {c.name}" for c in info.credits]
    for key, values in comments.items():
        audio[key] = values
    picture = _flac.Picture()
    picture.type = _COVER_FRONT
    picture.mime = "image/jpeg"
    picture.desc = "Cover"
    picture.width = picture.height = cover_size
    picture.depth = 24
    picture.data = cover_jpeg
    audio.add_picture(picture)
    audio.save()


def tag_file(
    path: str | os.PathLike[str], info: ReleaseInfo, cover_jpeg: bytes, *, cover_size: int
) -> None:
    """Tag a WAV, FLAC or MP3 file by its extension.

    Raises:
        ReleaseError: for another extension or when mutagen cannot write the file.
    """
    target = Path(path)
    kind = target.suffix.lower()
    try:
        if kind == ".mp3":
            tag_mp3(target, info, cover_jpeg)
        elif kind == ".wav":
            tag_wav(target, info, cover_jpeg)
        elif kind == ".flac":
            tag_flac(target, info, cover_jpeg, cover_size=cover_size)
        else:
            raise ReleaseError(
                f"cannot tag {os.fspath(target)!r}: extension must be .wav, .flac or .mp3"
            )
    except (mutagen.MutagenError, OSError, ValueError) as exc:
        raise ReleaseError(f"cannot tag {os.fspath(target)!r}: {exc}") from exc
