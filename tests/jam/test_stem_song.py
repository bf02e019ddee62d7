"""An audio take in the song: written as a clip, read back by ``doc_to_song``, rendered
only from the project's own stems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map

from bandmate.jam.song import StemClip, add_stem_track
from bandmate.jobs.errors import JobFailedError
from bandmate.jobs.tasks import SongSource, stem_loader
from bandmate.music.song import AudioClip, Song
from bandmate.store.blobs import BlobStore
from bandmate.sync.document import doc_to_song, root_map, song_to_doc
from bandmate.sync.errors import DocumentError

BLOB = "ab" * 32


def take(doc: Doc[Any], start_quarter: float) -> str:
    clip = StemClip(
        user_id="user1",
        name="ana – voice audio",
        blob=BLOB,
        mime="audio/ogg",
        start_quarter=start_quarter,
        duration_ms=3000.0,
    )
    return add_stem_track(doc, clip)


def test_a_stem_reads_back_as_an_audio_clip_and_round_trips() -> None:
    doc = song_to_doc(Song(title="Take"))
    take(doc, -2.0)  # begun two quarters into the count-in: those are skipped
    take(doc, 5.5)
    song = doc_to_song(doc)
    clips = sorted((c for t in song.tracks for c in t.clips), key=lambda c: c.start)
    assert clips == [
        AudioClip(
            blob=BLOB, start=0, offset=960, duration_ms=3000.0, mime="audio/ogg", author="user1"
        ),
        AudioClip(blob=BLOB, start=2640, duration_ms=3000.0, mime="audio/ogg", author="user1"),
    ]
    assert all(not t.notes for t in song.tracks)
    assert doc_to_song(song_to_doc(song)) == song


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("start", -1.0, "start=-1 must be >= 0"),
        ("offset", 0.5, "offset=0.5 must be an integer"),
        ("blob", "../../etc/passwd", "must be 64 lowercase hex digits"),
        ("duration_ms", 0.0, "duration_ms=0.0 must be in"),
        ("mime", 3.0, "mime=3"),
        ("author", 7.0, "author=7"),
    ],
)
def test_a_bad_clip_is_a_document_error(field: str, value: object, rule: str) -> None:
    doc = song_to_doc(Song(title="Take"))
    track_id = take(doc, 0.0)
    clips = root_map(doc, "tracks")[track_id]["clips"]
    [clip] = clips.values()
    clip[field] = value
    with pytest.raises(DocumentError, match=rule):
        doc_to_song(doc)


def test_clips_must_be_maps_and_the_kind_audio() -> None:
    doc = song_to_doc(Song(title="Take"))
    track_id = take(doc, 0.0)
    entry = root_map(doc, "tracks")[track_id]
    entry["kind"] = "video"
    with pytest.raises(DocumentError, match="kind='video' must be 'audio' or absent"):
        doc_to_song(doc)
    entry["kind"] = "audio"
    entry["clips"] = {"x": 1}
    with pytest.raises(DocumentError, match=r"clips must be a Y\.Map"):
        doc_to_song(doc)
    entry["clips"] = Map({"x": {"blob": BLOB}})
    with pytest.raises(DocumentError, match=r"clips/x must be a Y\.Map"):
        doc_to_song(doc)


def test_a_render_reads_only_the_projects_stems(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    mine = blobs.put(b"mine")
    theirs = blobs.put(b"theirs")
    load = stem_loader(SongSource(title="t", blob_dir=str(tmp_path), stems=(mine,)))
    assert load(mine) == b"mine"
    with pytest.raises(JobFailedError, match="not a stem of this project"):
        load(theirs)
    nowhere = stem_loader(SongSource(title="t", stems=(mine,)))
    with pytest.raises(JobFailedError, match="not a stem"):
        nowhere(mine)
