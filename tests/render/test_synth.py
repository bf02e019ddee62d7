"""Synthesis checked by numbers: pitch, pan, silence, length, drums, mix controls.

Every render uses the bundled TimGM6mb SoundFont, so results do not depend on
what the machine has installed.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from bandmate.errors import RenderError
from bandmate.music.song import Instrument, Note, Song, TempoChange, Track
from bandmate.render import bundled_soundfont, render_song
from bandmate.render.schedule import DRUM_CHANNEL, schedule_song, song_seconds, ticks_to_seconds

SR = 44_100
BAR = 1920  # ticks of a 4/4 bar at the default 480 ppq; 2 s at 120 bpm
FLUTE, OCARINA, PIANO = Instrument(73), Instrument(79), Instrument(0)
DRUMS = Instrument(0, drums=True)

Audio = npt.NDArray[np.float32]


@pytest.fixture(scope="module")
def font() -> Path:
    return bundled_soundfont()


def one_note(
    pitch: int = 69,
    *,
    instrument: Instrument = FLUTE,
    start: int = 0,
    duration: int = 960,
    volume: int = 100,
    pan: int = 0,
) -> Song:
    note = Note(pitch, start, duration)
    return Song(tracks=(Track("t", instrument, (note,), volume=volume, pan=pan),))


def peak_hz(signal: npt.NDArray[np.float64], sample_rate: int) -> float:
    """The strongest frequency: Hann window, 8x zero padding, parabolic interpolation."""
    size = 8 * len(signal)
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal)), size))
    k = int(np.argmax(spectrum))
    a, b, c = (float(v) for v in np.log(spectrum[k - 1 : k + 2]))
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sample_rate / size


def rms_dbfs(audio: npt.NDArray[np.floating]) -> float:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return 20 * float(np.log10(rms)) if rms > 0 else float("-inf")


def band_fraction(audio: Audio, low: float, high: float) -> float:
    """The fraction of the mono signal's energy between ``low`` and ``high`` Hz."""
    power = np.abs(np.fft.rfft(audio.mean(axis=1, dtype=np.float64))) ** 2
    hz = np.fft.rfftfreq(len(audio), 1 / SR)
    return float(power[(hz >= low) & (hz < high)].sum() / power.sum())


def cents(hz: float, reference: float) -> float:
    return float(1200 * np.log2(hz / reference))


@pytest.mark.parametrize("instrument", [FLUTE, OCARINA, PIANO], ids=["flute", "ocarina", "piano"])
@pytest.mark.parametrize(("pitch", "hz"), [(69, 440.0), (72, 523.25)], ids=["A4", "C5"])
def test_spectral_peak_is_the_note(
    font: Path, instrument: Instrument, pitch: int, hz: float
) -> None:
    audio = render_song(one_note(pitch, instrument=instrument, duration=BAR), soundfont=font)
    steady = audio[int(0.3 * SR) : int(0.9 * SR)].mean(axis=1, dtype=np.float64)
    # 15 cents is under 4 Hz at A4: room for the samples' own tuning, not for a wrong note.
    assert abs(cents(peak_hz(steady, SR), hz)) < 15


def test_48_khz_keeps_pitch_and_length(font: Path) -> None:
    song = one_note(69, instrument=OCARINA, duration=BAR)
    audio = render_song(song, sample_rate=48_000, soundfont=font, tail_seconds=0)
    assert audio.shape == (96_000, 2)
    steady = audio[int(0.3 * 48_000) : int(0.9 * 48_000)].mean(axis=1, dtype=np.float64)
    assert abs(cents(peak_hz(steady, 48_000), 440.0)) < 15


def test_output_is_stereo_float32(font: Path) -> None:
    audio = render_song(one_note(), soundfont=font)
    assert audio.dtype == np.float32
    assert audio.ndim == 2
    assert audio.shape[1] == 2
    assert audio.flags.c_contiguous


@pytest.mark.parametrize(
    ("pan", "left_share"), [(-64, (0.99, 1.0)), (0, (0.45, 0.55)), (63, (0.0, 0.01))]
)
def test_pan_moves_energy(font: Path, pan: int, left_share: tuple[float, float]) -> None:
    audio = render_song(one_note(pan=pan), soundfont=font).astype(np.float64)
    energy = np.sum(audio**2, axis=0)
    share = energy[0] / energy.sum()
    assert left_share[0] <= share <= left_share[1]


def test_silence_before_the_first_note(font: Path) -> None:
    audio = render_song(one_note(start=2 * BAR), soundfont=font)
    assert rms_dbfs(audio[: int(3.9 * SR)]) < -80
    assert rms_dbfs(audio[int(4.0 * SR) : int(4.4 * SR)]) > -40


def test_note_starts_on_its_sample(font: Path) -> None:
    # Tick 441 at 120 bpm and 480 ppq is 0.459375 s: sample 20258.4, rounded to 20258.
    audio = render_song(one_note(instrument=OCARINA, start=441), soundfont=font)
    sounding = np.flatnonzero(np.any(audio != 0, axis=1))
    assert not np.any(audio[:20258])
    # The envelope starts from zero, so the first audible sample may trail by one 64-frame block.
    assert 20258 <= sounding[0] <= 20258 + 64


def test_silence_between_notes(font: Path) -> None:
    notes = (Note(69, 0, 480), Note(69, 3 * BAR, 480))
    audio = render_song(Song(tracks=(Track("t", FLUTE, notes),)), soundfont=font)
    # The first note ends at 0.5 s; its release is long gone by 3 s.
    assert rms_dbfs(audio[3 * SR : int(5.9 * SR)]) < -80


def test_repeated_note_retriggers(font: Path) -> None:
    # The second note starts on the sample where the first ends: off must go first.
    notes = (Note(69, 0, 480), Note(69, 480, 480))
    audio = render_song(Song(tracks=(Track("t", OCARINA, notes),)), soundfont=font)
    assert rms_dbfs(audio[int(0.7 * SR) : int(0.95 * SR)]) > -40


def test_length_is_song_plus_at_most_the_tail(font: Path) -> None:
    song = one_note(duration=BAR)
    end = round(song_seconds(song) * SR)
    assert render_song(song, soundfont=font, tail_seconds=0).shape[0] == end == 2 * SR
    audio = render_song(song, soundfont=font, tail_seconds=1.0)
    assert end < audio.shape[0] <= end + SR
    # The tail stops where the sound has died away.
    assert np.max(np.abs(audio[-64:])) < 10 ** (-80 / 20)


def test_a_still_sounding_tail_is_cut_at_the_limit_with_a_fade(font: Path) -> None:
    song = one_note(instrument=Instrument(89), duration=BAR)  # a pad: long release
    audio = render_song(song, soundfont=font, tail_seconds=0.05)
    assert audio.shape[0] == 2 * SR + round(0.05 * SR)
    assert rms_dbfs(audio[2 * SR : 2 * SR + 100]) > -60
    assert np.max(np.abs(audio[-1])) < 1e-3


def test_length_follows_tempo_changes(font: Path) -> None:
    # One bar at 120 bpm (2 s) then one bar at 60 bpm (4 s).
    song = dataclasses.replace(
        one_note(duration=2 * BAR), tempos=(TempoChange(0, 120.0), TempoChange(BAR, 60.0))
    )
    assert ticks_to_seconds(song, [0, BAR, BAR + 480, 2 * BAR]).tolist() == [0, 2, 3, 6]
    audio = render_song(song, sample_rate=48_000, soundfont=font, tail_seconds=0)
    assert audio.shape[0] == 6 * 48_000


def test_kick_has_low_frequency_energy(font: Path) -> None:
    audio = render_song(one_note(36, instrument=DRUMS, duration=240), soundfont=font)
    assert band_fraction(audio, 20, 200) > 0.5


def test_drum_track_uses_the_percussion_bank(font: Path) -> None:
    # Key 42 is a closed hi-hat on drums but F#2 (92.5 Hz) on the piano.
    hihat = render_song(one_note(42, instrument=DRUMS, duration=240), soundfont=font)
    piano = render_song(one_note(42, instrument=PIANO, duration=240), soundfont=font)
    assert band_fraction(hihat, 2_000, 20_000) > 0.5
    assert band_fraction(piano, 2_000, 20_000) < 0.1


def test_snare_is_broadband_noise(font: Path) -> None:
    snare = render_song(one_note(38, instrument=DRUMS, duration=240), soundfont=font)
    flute = render_song(one_note(69, duration=240), soundfont=font)

    def octaves_in_use(audio: Audio) -> int:
        edges = [20.0 * 2**k for k in range(11)]  # 20 Hz .. 20.48 kHz
        shares = [band_fraction(audio, lo, hi) for lo, hi in itertools.pairwise(edges)]
        return sum(share > 0.01 for share in shares)

    # A tone concentrates its energy in a few octaves; the snare spreads over most.
    assert octaves_in_use(snare) >= 6
    assert octaves_in_use(flute) <= 4
    assert band_fraction(snare, 2_500, 20_000) > 0.05


def test_drums_play_on_channel_10() -> None:
    tracks = tuple(Track(f"m{i}", Instrument(i), (Note(60, 0, 480),)) for i in range(15))
    song = Song(tracks=(*tracks[:3], Track("kit", DRUMS, (Note(36, 0, 480),)), *tracks[3:]))
    (plan,), _ = schedule_song(song, sample_rate=SR)
    by_track = {setup.track: setup for setup in plan.channels}
    assert by_track["kit"].channel == DRUM_CHANNEL
    assert by_track["kit"].drums
    assert sorted(s.channel for s in plan.channels) == list(range(16))


def test_volume_zero_is_silence(font: Path) -> None:
    audio = render_song(one_note(volume=0), soundfont=font)
    assert audio.shape[0] == SR
    assert not np.any(audio)


def test_volume_scales_the_level(font: Path) -> None:
    loud = rms_dbfs(render_song(one_note(volume=127), soundfont=font))
    quiet = rms_dbfs(render_song(one_note(volume=64), soundfont=font))
    assert 10 < loud - quiet < 30


def two_tracks(*, mute: bool = False, solo: bool = False) -> Song:
    left = Track("a", OCARINA, (Note(69, 0, 960),), pan=-64, mute=mute, solo=solo)
    right = Track("b", FLUTE, (Note(76, 240, 960),), pan=63)
    return Song(tracks=(left, right))


def alone(song: Song, name: str) -> Song:
    track = next(t for t in song.tracks if t.name == name)
    return dataclasses.replace(song, tracks=(dataclasses.replace(track, mute=False, solo=False),))


def test_mute_removes_the_track(font: Path) -> None:
    song = two_tracks(mute=True)
    muted = render_song(song, soundfont=font, tail_seconds=0)
    expected = render_song(alone(song, "b"), soundfont=font, tail_seconds=0)
    assert rms_dbfs(expected) > -40
    assert np.array_equal(muted, expected)


def test_solo_keeps_only_soloed_tracks(font: Path) -> None:
    song = two_tracks(solo=True)
    soloed = render_song(song, soundfont=font, tail_seconds=0)
    expected = render_song(alone(song, "a"), soundfont=font, tail_seconds=0)
    # The soloed song still lasts as long as its longest track; "a" alone is shorter.
    assert np.array_equal(soloed[: len(expected)], expected)
    assert rms_dbfs(soloed[:, 1]) < -80  # the hard-right track is gone


def test_all_muted_is_silence_of_the_song_length(font: Path) -> None:
    song = two_tracks()
    song = dataclasses.replace(
        song, tracks=tuple(dataclasses.replace(t, mute=True) for t in song.tracks)
    )
    audio = render_song(song, soundfont=font)
    assert audio.shape == (round(song_seconds(song) * SR), 2)
    assert not np.any(audio)


def test_more_than_16_tracks_render_in_summed_passes(font: Path) -> None:
    tracks = tuple(
        # Every track ends at tick 2880, so every subset of them has the same length.
        Track(
            f"t{i}", Instrument(i % 8 * 8), (Note(48 + i, i * 120, 2880 - i * 120),), pan=i * 6 - 64
        )
        for i in range(20)
    )
    song = Song(tracks=tracks)
    passes, _ = schedule_song(song, sample_rate=SR)
    assert [len(p.channels) for p in passes] == [16, 4]
    everything = render_song(song, soundfont=font, tail_seconds=0)
    first = render_song(
        dataclasses.replace(song, tracks=tracks[:16]), soundfont=font, tail_seconds=0
    )
    rest = render_song(
        dataclasses.replace(song, tracks=tracks[16:]), soundfont=font, tail_seconds=0
    )
    assert rms_dbfs(rest) > -50
    np.testing.assert_array_equal(everything, first + rest)


def test_progress_reports_up_to_the_total(font: Path) -> None:
    calls: list[tuple[float, float]] = []
    song = one_note(start=2 * BAR)
    audio = render_song(song, soundfont=font, progress=lambda d, t: calls.append((d, t)))
    done = [d for d, _ in calls]
    assert len(calls) >= 4
    assert done == sorted(done)
    assert {t for _, t in calls} == {5.0 + 1.0}  # the song's 5 s and the 1 s tail limit
    assert calls[-1] == (6.0, 6.0)
    assert 5 * SR < audio.shape[0] <= 6 * SR


def test_raising_from_progress_cancels(font: Path) -> None:
    def cancel(done: float, total: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_song(one_note(), soundfont=font, progress=cancel)


@pytest.mark.parametrize("rate", [7_999, 192_001, 0, -44_100, 44_100.0, True])
def test_bad_sample_rate_is_an_error(font: Path, rate: int) -> None:
    with pytest.raises(RenderError, match=r"sample_rate=.* must be an integer in 8000\.\.192000"):
        render_song(one_note(), sample_rate=rate, soundfont=font)


@pytest.mark.parametrize("rate", [8_000, 22_050, 96_000, 192_000, np.int64(32_000)])
def test_sample_rates_in_range_render(font: Path, rate: int) -> None:
    audio = render_song(one_note(), sample_rate=rate, soundfont=font, tail_seconds=0)
    assert audio.shape == (rate, 2)
    assert rms_dbfs(audio) > -40


@pytest.mark.parametrize("tail", [-0.1, 31.0])
def test_bad_tail_is_an_error(font: Path, tail: float) -> None:
    with pytest.raises(RenderError, match="tail_seconds"):
        render_song(one_note(), soundfont=font, tail_seconds=tail)


def test_empty_song_is_an_error(font: Path) -> None:
    with pytest.raises(RenderError, match=r"empty \(end_tick=0\)"):
        render_song(Song(), soundfont=font)
    with pytest.raises(RenderError, match="empty"):
        render_song(Song(tracks=(Track("no notes"),)), soundfont=font)


def test_every_gm_program_renders(font: Path) -> None:
    song = Song(
        tracks=tuple(Track(f"p{p}", Instrument(p), (Note(60, 0, 120),)) for p in range(0, 128, 9))
    )
    assert rms_dbfs(render_song(song, soundfont=font)) > -60
