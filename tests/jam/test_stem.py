"""Audio takes: what a stem may be, what a finish request says, parts staged on disk."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from bandmate.jam.song import StemClip, add_stem_track
from bandmate.jam.stem import (
    StemError,
    StemFormatError,
    StemInfo,
    sniff_stem,
    stem_info_from_json,
)
from bandmate.jam.uploads import StemUploads
from bandmate.music.song import Song
from bandmate.sync import doc_to_song
from bandmate.sync.document import doc_to_json, song_to_doc

from .stems import opus_file, wav_file


def test_recordings_are_recognized() -> None:
    assert sniff_stem(opus_file(0.5)) == "audio/webm"
    assert sniff_stem(opus_file(0.5, container="ogg")) == "audio/ogg"
    assert sniff_stem(wav_file(0.1)) == "audio/wav"


def _wav_with(channels: int = 2, rate: int = 48_000, bits: int = 16, tag: int = 1) -> bytes:
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * channels * bits // 8, 4, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 8)
    return b"RIFF" + struct.pack("<I", len(body) + 8) + body + bytes(8)


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"", "too short"),
        (b"ID3" + bytes(100), "must be WebM/Ogg"),
        (b"\x1a\x45\xdf\xa3\x9fB\x82\x88matroska" + bytes(100), "must be WebM"),
        (opus_file(0.2).replace(b"A_OPUS", b"A_VORB"), "must hold Opus"),
        (b"OggS" + bytes(100), "OpusHead"),
        (b"RIFF" + bytes(4) + b"AVI " + bytes(100), "WAVE"),
        (_wav_with(channels=6), "channels=6"),
        (_wav_with(rate=1000), "sample rate=1000"),
        (_wav_with(bits=8), "bits per sample=8"),
        (_wav_with(tag=2), "format tag 2"),
        (wav_file(0.1).replace(b"fmt ", b"junk"), "data chunk comes before"),
        (
            b"RIFF" + bytes(4) + b"WAVE" + b"LIST" + struct.pack("<I", 10**6) + bytes(40),
            "fmt chunk",
        ),
    ],
)
def test_anything_else_is_refused_with_the_rule(data: bytes, rule: str) -> None:
    with pytest.raises(StemFormatError, match=rule):
        sniff_stem(data)


def test_finish_requests_are_checked() -> None:
    body = {"parts": 3, "start_quarter": -4, "duration_ms": 12_000.5, "label": "voice"}
    assert stem_info_from_json(body) == StemInfo(3, -4.0, 12_000.5, "voice")
    assert stem_info_from_json({**body, "label": None} | {"label": "instrument"}).label == (
        "instrument"
    )
    for bad, rule in [
        ([], "JSON object"),
        ({**body, "parts": 0}, "parts=0"),
        ({**body, "parts": 2.5}, "whole number"),
        ({**body, "parts": True}, "parts=True"),
        ({**body, "start_quarter": "1"}, "start_quarter"),
        ({**body, "start_quarter": -1000}, "start_quarter"),
        ({**body, "duration_ms": 0}, "duration_ms"),
        ({**body, "duration_ms": float("nan")}, "duration_ms"),
        ({**body, "label": "kazoo"}, "label"),
    ]:
        with pytest.raises(StemError, match=rule):
            stem_info_from_json(bad)


def test_parts_are_joined_in_order_and_finishing_is_remembered(tmp_path: Path) -> None:
    uploads = StemUploads(tmp_path, max_bytes=100)
    uploads.put_part("proj1", "user1", "upload-0001", 1, b"world")
    uploads.put_part("proj1", "user1", "upload-0001", 0, b"hello ")
    uploads.put_part("proj1", "user1", "upload-0001", 0, b"hello, ")  # resent: replaced
    with pytest.raises(StemError, match=r"lacks part\(s\) 2 of 3"):
        uploads.assemble("proj1", "user1", "upload-0001", 3)
    with pytest.raises(StemError, match="beyond 1"):
        uploads.assemble("proj1", "user1", "upload-0001", 1)
    assert uploads.assemble("proj1", "user1", "upload-0001", 2) == b"hello, world"
    # Another user's upload of the same id is another upload.
    with pytest.raises(StemError, match="lacks"):
        uploads.assemble("proj1", "user2", "upload-0001", 2)
    result = {"track_id": "T", "blob": "ab" * 32, "mime": "audio/webm", "bytes": 12}
    uploads.finish("proj1", "user1", "upload-0001", result)
    assert uploads.finished("proj1", "user1", "upload-0001") == result
    uploads.put_part("proj1", "user1", "upload-0001", 0, b"late")  # after the finish: ignored
    assert uploads.finished("proj1", "user1", "upload-0001") == result
    uploads.drop_project("proj1")  # the project was deleted: nothing of it is left
    assert uploads.finished("proj1", "user1", "upload-0001") is None
    assert not (tmp_path / "proj1").exists()


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (("proj1", "user1", "short", 0, b"x"), "upload_id"),
        (("proj1", "user1", "../../../../etc", 0, b"x"), "upload_id"),
        (("../x", "user1", "upload-0001", 0, b"x"), "project_id"),
        (("proj1", "user1", "upload-0001", -1, b"x"), "part=-1"),
        (("proj1", "user1", "upload-0001", 4096, b"x"), "part=4096"),
        (("proj1", "user1", "upload-0001", 0, b""), "empty"),
        (("proj1", "user1", "upload-0001", 0, b"x" * 101), "exceed 100 bytes"),
    ],
)
def test_bad_parts_are_refused(
    tmp_path: Path, args: tuple[str, str, str, int, bytes], rule: str
) -> None:
    with pytest.raises(StemError, match=rule):
        StemUploads(tmp_path, max_bytes=100).put_part(*args)


def test_parts_together_are_capped(tmp_path: Path) -> None:
    uploads = StemUploads(tmp_path, max_bytes=100)
    uploads.put_part("p", "u", "upload-0001", 0, b"x" * 60)
    with pytest.raises(StemError, match="exceed 100 bytes"):
        uploads.put_part("p", "u", "upload-0001", 1, b"x" * 41)
    uploads.put_part("p", "u", "upload-0001", 0, b"x" * 59)  # replacing counts the new size only
    uploads.put_part("p", "u", "upload-0001", 1, b"x" * 41)


def test_an_audio_take_is_a_track_of_kind_audio_with_one_clip() -> None:
    doc = song_to_doc(Song(title="Song", ppq=480))
    clip = StemClip("u1", "ana – instrument audio", "cd" * 32, "audio/webm", -2.0, 5000.0)
    track_id = add_stem_track(doc, clip)
    entry: Any = doc_to_json(doc)["tracks"][track_id]
    assert entry["kind"] == "audio"
    assert entry["name"] == "ana – instrument audio"
    assert entry["notes"] == {}
    [stored] = entry["clips"].values()
    # Recorded from two quarters before bar 0: placed at tick 0, its first 2 quarters skipped.
    assert stored == {"blob": "cd" * 32, "mime": "audio/webm", "start": 0.0, "offset": 960.0,
                      "duration_ms": 5000.0, "author": "u1"}  # fmt: skip
    # Readers that know only note tracks still read the song.
    assert [t.name for t in doc_to_song(doc).tracks] == ["ana – instrument audio"]
    later = add_stem_track(doc, StemClip("u1", "b", "ef" * 32, "audio/wav", 8.5, 10.0))
    tracks: Any = doc_to_json(doc)["tracks"]
    [clip2] = tracks[later]["clips"].values()
    assert (clip2["start"], clip2["offset"]) == (8.5 * 480, 0.0)
