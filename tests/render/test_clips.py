"""Audio clips in renders: recordings decoded, resampled and mixed in at their places."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from bandmate.errors import RenderError
from bandmate.formats.midi_read import read_midi
from bandmate.formats.midi_write import write_midi
from bandmate.music.song import AudioClip, Note, Song, TempoChange, Track, without_audio
from bandmate.render import render_to_file
from bandmate.render.clips import decode_stem, mix_clips, track_gains
from bandmate.store.blobs import digest_of
from tests.jam.stems import opus_file, wav_file

RATE = 44_100


def rms(x: npt.NDArray[np.float32]) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


@pytest.fixture(scope="module")
def wav() -> bytes:
    return wav_file(1.0)  # 440 Hz at half scale, stereo, 48 kHz


def song_with(clip: AudioClip, *, bpm: float = 120.0, **track: object) -> Song:
    fields: dict[str, object] = {"volume": 127, **track}  # full volume: unity gain
    audio = Track(name="ana – instrument audio", clips=(clip,), **fields)  # type: ignore[arg-type]
    return Song(title="Take", tempos=(TempoChange(0, bpm),), tracks=(audio,))


@pytest.mark.parametrize("container", ["wav", "webm", "ogg"])
def test_a_recording_decodes_to_stereo_at_the_output_rate(container: str) -> None:
    data = wav_file(1.0) if container == "wav" else opus_file(1.0, container=container)
    audio = decode_stem(data, sample_rate=RATE)
    assert audio.dtype == np.float32
    assert audio.shape[1] == 2
    # Opus adds its pre-skip and padding at most: a few ms around one second.
    assert abs(len(audio) - RATE) < 0.03 * RATE, len(audio)
    middle = audio[RATE // 4 : 3 * RATE // 4]
    assert rms(middle) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    spectrum = np.abs(np.fft.rfft(middle[:, 0]))
    assert np.argmax(spectrum) * RATE / len(middle) == pytest.approx(440.0, abs=3.0)


def test_a_clip_plays_at_its_tick_with_its_offset_skipped(wav: bytes) -> None:
    # 120 bpm, ppq 480: tick 960 is 1.0 s; an offset of 240 ticks skips 0.25 s of the take.
    blob = digest_of(wav)
    song = song_with(AudioClip(blob=blob, start=960, offset=240, duration_ms=1000.0))
    out = mix_clips(np.zeros((0, 2), np.float32), song, {blob: wav}.__getitem__, sample_rate=RATE)
    assert len(out) == pytest.approx(RATE + 0.75 * RATE, abs=2)
    assert np.max(np.abs(out[: RATE - 1])) == 0.0
    assert rms(out[RATE + 100 : RATE + 20_000]) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    # The notes before it stay, and the buffer grows to hold the clip's end.
    notes = np.full((100, 2), 0.25, np.float32)
    mixed = mix_clips(notes, song, {blob: wav}.__getitem__, sample_rate=RATE)
    assert np.all(mixed[:100] == 0.25)
    assert len(mixed) == len(out)


def test_volume_pan_mute_and_solo_apply_to_clips(wav: bytes) -> None:
    blob = digest_of(wav)
    load = {blob: wav}.__getitem__
    clip = AudioClip(blob=blob, start=0, duration_ms=1000.0)
    silence = np.zeros((0, 2), np.float32)
    full = mix_clips(silence, song_with(clip), load, sample_rate=RATE)
    half = mix_clips(silence, song_with(clip, volume=90), load, sample_rate=RATE)
    assert rms(half) / rms(full) == pytest.approx((90 / 127) ** 2, rel=1e-3)
    left = mix_clips(silence, song_with(clip, pan=-64), load, sample_rate=RATE)
    assert rms(left[:, 1]) < 1e-6 < rms(left[:, 0])
    assert track_gains(Track(name="t")) == pytest.approx(((100 / 127) ** 2,) * 2)
    muted = song_with(clip, mute=True)
    assert mix_clips(silence, muted, load, sample_rate=RATE) is silence
    soloist = Track(name="solo", solo=True, notes=(Note(60, 0, 480),))
    others_solo = Song(tracks=(*song_with(clip).tracks, soloist))
    assert mix_clips(silence, others_solo, load, sample_rate=RATE) is silence


def test_render_to_file_mixes_clips_into_the_notes(wav: bytes, tmp_path: Path) -> None:
    blob = digest_of(wav)
    clip = AudioClip(blob=blob, start=1920, duration_ms=1000.0)  # 2.0 s at 120 bpm
    piano = Track(name="Piano", notes=(Note(60, 0, 480, 100),))
    song = Song(tracks=(piano, Track(name="audio", clips=(clip,))))
    result = render_to_file(
        song, tmp_path / "mix.wav", sample_rate=RATE, stems={blob: wav}.__getitem__
    )
    audio, rate = soundfile.read(result.path, dtype="float32")
    assert rate == RATE
    assert len(audio) >= 3 * RATE - 50  # the clip's end, past the notes and their tail
    assert rms(audio[: RATE // 2]) > 0.01  # the piano
    level = 0.5 / np.sqrt(2) * (100 / 127) ** 2  # the tone at the track's default volume
    assert rms(audio[2 * RATE + 100 : 2 * RATE + 20_000]) == pytest.approx(level, rel=0.05)
    # A song of recordings only renders too: nothing for the synthesizer, the clip alone.
    only = render_to_file(
        Song(tracks=(Track(name="a", clips=(clip,)),)),
        tmp_path / "only.wav",
        sample_rate=RATE,
        stems={blob: wav}.__getitem__,
    )
    assert only.seconds == pytest.approx(3.0, abs=0.01)


def test_clips_without_a_way_to_read_them_or_unreadable_are_clear_errors(
    wav: bytes, tmp_path: Path
) -> None:
    blob = digest_of(wav)
    song = song_with(AudioClip(blob=blob, start=0, duration_ms=1000.0))
    with pytest.raises(RenderError, match=r"1 audio clip\(s\): give stems="):
        render_to_file(song, tmp_path / "x.wav")

    def missing(digest: str) -> bytes:
        raise FileNotFoundError(digest)

    with pytest.raises(RenderError, match="does not read"):
        render_to_file(song, tmp_path / "x.wav", stems=missing)
    with pytest.raises(RenderError, match=r"does not decode|no audio"):
        render_to_file(song, tmp_path / "x.wav", stems=lambda _: b"RIFF" + bytes(100))


def test_midi_export_leaves_audio_out(wav: bytes) -> None:
    clip = AudioClip(blob=digest_of(wav), start=0, duration_ms=1000.0)
    piano = Track(name="Piano", notes=(Note(60, 0, 480, 100),))
    both = Track(name="Both", notes=(Note(64, 0, 480, 100),), clips=(clip,))
    song = Song(tracks=(piano, Track(name="audio", clips=(clip,)), both))
    notes_only = without_audio(song)
    assert [t.name for t in notes_only.tracks] == ["Piano", "Both"]
    assert all(not t.clips for t in notes_only.tracks)
    assert write_midi(song) == write_midi(notes_only)
    assert [t.name for t in read_midi(write_midi(song)).tracks] == ["Piano", "Both"]
    assert without_audio(notes_only) is notes_only
