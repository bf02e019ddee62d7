"""The synthesizer's behaviour on SoundFonts built for each test: pitch, loops, envelopes,
levels, pan, filter, LFOs, exclusive classes and the voice limit."""

from __future__ import annotations

from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings

from bandmate.errors import RenderError
from bandmate.music.song import Instrument, Note, Song, Track
from bandmate.render import render_song
from bandmate.render._voices import N_PARAMS, VoicePool
from bandmate.render.schedule import NOTE_OFF, NOTE_ON, ChannelSetup, RenderPass
from bandmate.render.voice import render_pass
from bandmate.render.zones import (
    ATTENUATION,
    EXCLUSIVE_CLASS,
    FILTER_FC,
    KEY_RANGE,
    MOD_ENV,
    MOD_ENV_TO_PITCH,
    PAN,
    SAMPLE_MODES,
    VIB_LFO_FREQ,
    VIB_LFO_TO_PITCH,
    VOL_ENV,
    load_soundfont,
)
from tests.render.sf2files import SR, Preset, Sample, Zone, build_sf2, looped_sine, sine

Gens = dict[int, int | tuple[int, int]]
Audio = npt.NDArray[np.float32]
BEAT = 480  # ticks; 0.5 s at the default 120 bpm
RELEASE_FAST = -6000  # timecents: 31 ms per 100 dB


def font_file(tmp_path: Path, gens: Gens, *, sample: Sample | None = None) -> Path:
    """A font whose program 0 and drum kit 0 play one sample with the given generators."""
    data = build_sf2(
        [sample or looped_sine()],
        [[Zone(0, {SAMPLE_MODES: 1, VOL_ENV + 5: RELEASE_FAST, **gens})]],
        [Preset(0, 0, 0), Preset(128, 0, 0)],
    )
    path = tmp_path / f"font{len(list(tmp_path.iterdir()))}.sf2"
    path.write_bytes(data)
    return path


def play(
    font: Path,
    notes: tuple[Note, ...],
    *,
    volume: int = 127,
    pan: int = 0,
    drums: bool = False,
    tail: float = 1.0,
) -> Audio:
    track = Track("t", Instrument(0, drums=drums), notes, volume=volume, pan=pan)
    return render_song(Song(tracks=(track,)), soundfont=font, tail_seconds=tail)


def level_db(audio: npt.NDArray[np.floating], start: float, stop: float) -> float:
    part = np.asarray(audio[round(start * SR) : round(stop * SR)], dtype=np.float64)
    rms = float(np.sqrt(np.mean(part**2)))
    return 20 * float(np.log10(rms)) if rms > 0 else -400.0


def peak_hz(audio: Audio, start: float, stop: float) -> float:
    signal = audio[round(start * SR) : round(stop * SR)].mean(axis=1, dtype=np.float64)
    size = 8 * len(signal)
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal)), size))
    k = int(np.argmax(spectrum))
    a, b, c = (float(v) for v in np.log(spectrum[k - 1 : k + 2]))
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / size


# A full-scale sine has an RMS of -3.01 dBFS; every test font's sine is at half scale, and
# at the centre each channel carries the mono level minus 3.01 dB (constant power). Every
# voice has the DC gain of FluidSynth's filter at Q = 0, 1/sqrt(0.7071): +1.5 dB.
FILTER_DC_DB = 3.01 / 2
SINE_DB = 20 * np.log10(0.5 / np.sqrt(2)) - 3.01 + FILTER_DC_DB


def n(key: int, start: int, duration: int, velocity: int = 127) -> Note:
    """A note at full velocity unless told: levels are then the sample's own."""
    return Note(key, start, duration, velocity)


@pytest.mark.parametrize(("key", "hz"), [(69, 441.0), (81, 882.0), (57, 220.5)])
def test_pitch_follows_the_key(tmp_path: Path, key: int, hz: float) -> None:
    audio = play(font_file(tmp_path, {}), (n(key, 0, 2 * BEAT),))
    assert abs(peak_hz(audio, 0.1, 0.9) - hz) < 0.5


def test_pitch_follows_the_sample_rate(tmp_path: Path) -> None:
    # The same sine stored at 22.05 kHz: 50 frames a period, still 441 Hz at its root key.
    half_rate = looped_sine(rate=SR // 2)
    audio = play(font_file(tmp_path, {}, sample=half_rate), (n(69, 0, 2 * BEAT),))
    assert abs(peak_hz(audio, 0.1, 0.9) - 441.0) < 0.5


def test_level_at_full_velocity_and_volume_is_the_sample_s(tmp_path: Path) -> None:
    audio = play(font_file(tmp_path, {}), (n(69, 0, 2 * BEAT, 127),))
    assert level_db(audio[:, 0], 0.1, 0.9) == pytest.approx(SINE_DB, abs=0.1)


def test_velocity_and_volume_follow_the_concave_curve(tmp_path: Path) -> None:
    font = font_file(tmp_path, {})
    loud = level_db(play(font, (n(69, 0, 2 * BEAT, 127),)), 0.1, 0.9)
    soft = level_db(play(font, (n(69, 0, 2 * BEAT, 64),)), 0.1, 0.9)
    quiet = level_db(play(font, (n(69, 0, 2 * BEAT, 127),), volume=64), 0.1, 0.9)
    expected = 40 * np.log10(64 / 127)  # -11.9 dB, as FluidSynth's default modulators
    assert soft - loud == pytest.approx(expected, abs=0.1)
    assert quiet - loud == pytest.approx(expected, abs=0.1)


def test_initial_attenuation_is_scaled_as_e_mu_does(tmp_path: Path) -> None:
    plain = play(font_file(tmp_path, {}), (n(69, 0, 2 * BEAT, 127),))
    damped = play(font_file(tmp_path, {ATTENUATION: 100}), (n(69, 0, 2 * BEAT, 127),))
    assert level_db(damped, 0.1, 0.9) - level_db(plain, 0.1, 0.9) == pytest.approx(-4.0, abs=0.1)


@pytest.mark.parametrize(
    ("region_pan", "track_pan", "left_share"),
    [(-500, 0, 1.0), (500, 0, 0.0), (0, -64, 1.0), (250, -32, 0.5), (0, 0, 0.5)],
)
def test_region_pan_and_track_pan_add(
    tmp_path: Path, region_pan: int, track_pan: int, left_share: float
) -> None:
    audio = play(font_file(tmp_path, {PAN: region_pan}), (n(69, 0, BEAT),), pan=track_pan)
    energy = np.sum(audio.astype(np.float64) ** 2, axis=0)
    assert energy[0] / energy.sum() == pytest.approx(left_share, abs=1e-3)


def loop_font(tmp_path: Path, mode: int, release: int) -> Path:
    # 0.1 s of sine with a loop in its first half: after the loop, 0.05 s of tail.
    data = sine(441, 4410)
    sample = Sample(data, loop=(100, 2200))
    return font_file(tmp_path, {SAMPLE_MODES: mode, VOL_ENV + 5: release}, sample=sample)


def test_unlooped_sample_stops_at_its_end(tmp_path: Path) -> None:
    audio = play(loop_font(tmp_path, 0, 0), (n(69, 0, 2 * BEAT),))
    assert level_db(audio, 0.0, 0.09) > SINE_DB - 10
    assert not np.any(audio[round(0.101 * SR) :])


def test_looped_sample_sounds_while_held_and_through_its_release(tmp_path: Path) -> None:
    audio = play(loop_font(tmp_path, 1, 0), (n(69, 0, 2 * BEAT),))  # release: 1 s / 100 dB
    assert level_db(audio, 0.5, 0.95) == pytest.approx(SINE_DB, abs=0.1)
    # 0.2 s into a 100 dB-per-second release: 20 dB down.
    assert level_db(audio, 1.19, 1.21) - level_db(audio, 0.9, 0.95) == pytest.approx(-20, abs=1)


def test_loop_until_release_plays_the_tail_after_note_off(tmp_path: Path) -> None:
    held = play(loop_font(tmp_path, 3, 0), (n(69, 0, 2 * BEAT),))
    assert level_db(held, 0.5, 0.95) == pytest.approx(SINE_DB, abs=0.1)
    # After the note-off the loop is left: at most 0.05 s of tail, then the sample ends
    # although the release would go on for a second.
    assert level_db(held, 1.0, 1.03) > SINE_DB - 10
    assert not np.any(held[round(1.06 * SR) :])


def test_loops_are_seamless(tmp_path: Path) -> None:
    # A whole number of periods loops without a click: the spectrum stays one line.
    audio = play(font_file(tmp_path, {}), (n(69, 0, 4 * BEAT),))
    steady = audio[round(0.1 * SR) : round(1.9 * SR), 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(steady * np.hanning(len(steady))))
    hz = np.fft.rfftfreq(len(steady), 1 / SR)
    harmonics = spectrum[hz > 600].max() / spectrum.max()
    assert 20 * np.log10(harmonics) < -60


def test_attack_is_linear_in_amplitude(tmp_path: Path) -> None:
    audio = play(font_file(tmp_path, {VOL_ENV + 1: 0}), (n(69, 0, 4 * BEAT),))  # 1 s attack
    quarter = level_db(audio, 0.24, 0.26)
    half = level_db(audio, 0.49, 0.51)
    assert half - quarter == pytest.approx(20 * np.log10(2), abs=0.3)
    assert level_db(audio, 1.2, 1.5) == pytest.approx(SINE_DB, abs=0.1)


def test_decay_falls_in_db_to_the_sustain_level(tmp_path: Path) -> None:
    # Decay 1 s per 100 dB down to a sustain of 30 dB below full.
    gens: Gens = {VOL_ENV + 3: 0, VOL_ENV + 4: 300}
    audio = play(font_file(tmp_path, gens), (n(69, 0, 4 * BEAT),))
    assert level_db(audio, 0.095, 0.105) - SINE_DB == pytest.approx(-10, abs=1)
    assert level_db(audio, 0.195, 0.205) - SINE_DB == pytest.approx(-20, abs=1)
    assert level_db(audio, 0.5, 1.5) - SINE_DB == pytest.approx(-30, abs=0.2)


def test_voices_end_below_minus_100_dbfs_not_before(tmp_path: Path) -> None:
    font = load_soundfont(font_file(tmp_path, {VOL_ENV + 5: 0}))  # 1 s per 100 dB
    out = np.zeros((3 * SR, 2), np.float32)
    render_pass(font, plan_of([(0, SR // 2, 69)]), out, sample_rate=SR)
    sounding = np.flatnonzero(np.abs(out).max(axis=1) > 0)
    # The release falls 100 dB a second from the voice's peak: half scale (the sample's
    # own peak), centre pan, velocity 100 and the filter's DC gain make -11.7 dBFS. It
    # must reach -100 dBFS and stop there, 0.88 s after the note-off, and not before.
    peak_db = 20 * np.log10(0.5 * np.sqrt(0.5)) + 40 * np.log10(100 / 127) + FILTER_DC_DB
    expected = 0.5 + (peak_db + 100) / 100
    assert expected - 0.01 < sounding[-1] / SR < expected + 0.03


def test_filter_cuts_above_its_cutoff(tmp_path: Path) -> None:
    open_ = play(font_file(tmp_path, {}), (n(69, 0, 2 * BEAT),))
    closed = play(font_file(tmp_path, {FILTER_FC: 6000}), (n(69, 0, 2 * BEAT),))
    # A 2-pole low-pass at 261.6 Hz (6000 cents), Q 0: Butterworth; 441 Hz is 1.69 times
    # the cutoff. (Both voices have the filter's DC gain, running or not.)
    ratio = 441.0 / (8.176 * 2 ** (6000 / 1200))
    expected = 20 * np.log10(1 / np.sqrt(1 + ratio**4))
    difference = level_db(closed, 0.3, 0.9) - level_db(open_, 0.3, 0.9)
    assert difference == pytest.approx(expected, abs=0.5)


def test_vibrato_moves_the_pitch_and_its_absence_does_not(tmp_path: Path) -> None:
    # Vibrato of +-100 cents at 8.176 * 2**(-3986/1200) = 0.81 Hz: slow enough to read.
    gens: Gens = {VIB_LFO_TO_PITCH: 100, VIB_LFO_FREQ: -3986}
    wobbly = play(font_file(tmp_path, gens), (n(69, 0, 4 * BEAT),))
    steady = play(font_file(tmp_path, {}), (n(69, 0, 4 * BEAT),))
    # The LFO peaks a quarter cycle in (0.31 s) and dips at three quarters (0.93 s).
    assert peak_hz(wobbly, 0.26, 0.36) == pytest.approx(441 * 2 ** (1 / 12), abs=4)
    assert peak_hz(wobbly, 0.88, 0.98) == pytest.approx(441 / 2 ** (1 / 12), abs=4)
    assert peak_hz(steady, 0.26, 0.36) == pytest.approx(441, abs=1)


def test_modulation_envelope_bends_the_pitch(tmp_path: Path) -> None:
    # An octave up at the start, falling linearly to nothing over one second.
    gens: Gens = {MOD_ENV_TO_PITCH: 1200, MOD_ENV + 3: 0, MOD_ENV + 4: 1000}
    audio = play(font_file(tmp_path, gens), (n(69, 0, 4 * BEAT),))
    assert peak_hz(audio, 0.0, 0.04) == pytest.approx(441 * 2**0.98, rel=0.02)
    assert peak_hz(audio, 0.45, 0.55) == pytest.approx(441 * 2**0.5, rel=0.01)
    assert peak_hz(audio, 1.2, 1.8) == pytest.approx(441, abs=1)


def choke_font(tmp_path: Path, exclusive: int) -> Path:
    """Open hi-hat (key 46, 441 Hz) and closed hi-hat (key 42, 882 Hz) in one class."""
    open_hat, closed_hat = looped_sine(441.0), looped_sine(882.0)
    # Each sample plays at its recorded pitch on its own key.
    samples = [
        Sample(open_hat.data, root=46, loop=open_hat.loop),
        Sample(closed_hat.data, root=42, loop=closed_hat.loop),
    ]
    common: Gens = {SAMPLE_MODES: 1, VOL_ENV + 5: 1200, EXCLUSIVE_CLASS: exclusive}
    zones = [Zone(0, {KEY_RANGE: (46, 46), **common}), Zone(1, {KEY_RANGE: (42, 42), **common})]
    path = tmp_path / f"kit{exclusive}.sf2"
    path.write_bytes(build_sf2(samples, [zones], [Preset(128, 0, 0)]))
    return path


def band_db(audio: Audio, start: float, stop: float, hz: float) -> float:
    signal = audio[round(start * SR) : round(stop * SR)].mean(axis=1, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    bins = np.fft.rfftfreq(len(signal), 1 / SR)
    return 20 * float(np.log10(spectrum[np.abs(bins - hz) < 20].max() + 1e-12))


def test_exclusive_class_chokes_the_open_hi_hat(tmp_path: Path) -> None:
    notes = (n(46, 0, 120), n(42, BEAT, 120))  # open at 0 s, closed at 0.5 s
    choked = play(choke_font(tmp_path, 1), notes, drums=True)
    ringing = play(choke_font(tmp_path, 0), notes, drums=True)
    # Without a class the open hat rings on through its 2 s release; with one it is cut
    # within 50 ms per 100 dB of the closed hat's start.
    assert band_db(ringing, 0.6, 0.8, 441) - band_db(choked, 0.6, 0.8, 441) > 60
    assert band_db(choked, 0.6, 0.8, 882) == pytest.approx(band_db(ringing, 0.6, 0.8, 882), abs=0.5)
    assert band_db(choked, 0.2, 0.45, 441) == pytest.approx(
        band_db(ringing, 0.2, 0.45, 441), abs=0.1
    )


def plan_of(notes: list[tuple[int, int, int]], channel: int = 0) -> RenderPass:
    """Events for (start, end, key) notes in frames on one channel."""
    rows = [(s, NOTE_ON, channel, k, 100) for s, _, k in notes]
    rows += [(e, NOTE_OFF, channel, k, 0) for _, e, k in notes]
    events = np.array(sorted(rows, key=lambda r: (r[0], r[1], r[3])), dtype=np.int64)
    setup = ChannelSetup(channel=channel, program=0, drums=False, volume=127, pan=64, track="t")
    return RenderPass(channels=(setup,), events=events.reshape(-1, 5))


def test_the_voice_limit_steals_a_releasing_voice_first(tmp_path: Path) -> None:
    font = load_soundfont(choke_font(tmp_path, 0))
    out = np.zeros((SR, 2), np.float32)
    kit = ChannelSetup(channel=9, program=0, drums=True, volume=127, pan=64, track="kit")
    # Key 46 is released at 0.1 s (a 2 s release), key 42 held; a second 46 at 0.3 s
    # must steal the releasing voice, not the held one.
    rows = [(0, 1, 9, 46, 100), (0, 1, 9, 42, 100), (4410, 0, 9, 46, 0), (13230, 1, 9, 46, 100)]
    plan = RenderPass(channels=(kit,), events=np.array(rows, dtype=np.int64))
    peak = render_pass(font, plan, out, sample_rate=SR, voice_limit=2)
    assert peak == 2
    # The held 882 Hz voice sounds on at full level after the steal.
    assert band_db(out, 0.5, 0.7, 882) == pytest.approx(band_db(out, 0.05, 0.25, 882), abs=0.5)


@settings(max_examples=40, deadline=None)
@given(
    notes=st.lists(
        st.tuples(st.integers(0, 20_000), st.integers(1, 20_000), st.integers(30, 90)),
        min_size=1,
        max_size=40,
    ),
    limit=st.integers(1, 8),
)
def test_voice_count_never_exceeds_the_limit(
    tmp_path_factory: pytest.TempPathFactory, notes: list[tuple[int, int, int]], limit: int
) -> None:
    font = load_soundfont(font_file(tmp_path_factory.mktemp("limit"), {VOL_ENV + 5: 0}))
    plan = plan_of([(start, start + length, key) for start, length, key in notes])
    out = np.zeros((50_000, 2), np.float32)
    peak = render_pass(font, plan, out, sample_rate=SR, voice_limit=limit)
    assert 1 <= peak <= limit
    assert np.all(np.isfinite(out))
    assert np.any(out)


def test_voice_pool_rejects_bad_input() -> None:
    samples = np.zeros(1000, np.float32)
    pool = VoicePool(samples, 44_100.0, 4)
    params = np.zeros(N_PARAMS)
    params[0] = 1  # start: frame 0 is a guard before the data
    params[1] = 500  # end
    params[5] = 1.0  # increment
    params[32] = 1.0  # the sample's peak
    pool.start(1, 0, 0, params.tobytes())
    assert pool.active == 1
    bad_span = params.copy()
    bad_span[1] = 5000
    with pytest.raises(ValueError, match=r"sample span 1\.\.5000 must lie in 1\.\.997"):
        pool.start(2, 0, 0, bad_span.tobytes())
    not_finite = params.copy()
    not_finite[6] = np.nan
    with pytest.raises(ValueError, match="finite"):
        pool.start(2, 0, 0, not_finite.tobytes())
    with pytest.raises(ValueError, match="float64 values"):
        pool.start(2, 0, 0, b"short")
    with pytest.raises(ValueError, match="do not fit"):
        pool.render(np.zeros((10, 2), np.float32), 5, 10)
    with pytest.raises(ValueError, match="float32"):
        pool.render(np.zeros((10, 2), np.float64), 0, 10)
    with pytest.raises(ValueError, match="sample_rate"):
        VoicePool(samples, 10.0, 4)
    slow = params.copy()
    slow[5] = 0.0
    with pytest.raises(ValueError, match="increment"):
        pool.start(2, 0, 0, slow.tobytes())
    with pytest.raises(ValueError, match="capacity"):
        VoicePool(samples, 44_100.0, 0)
    with pytest.raises(ValueError, match="float32"):
        VoicePool(np.zeros(10, np.int16), 44_100.0, 1)
    with pytest.raises(IndexError, match="slot"):
        pool.release(99, 1)


def test_a_missing_drum_kit_falls_back_to_the_standard_kit(tmp_path: Path) -> None:
    font = font_file(tmp_path, {})
    kit = Track("kit", Instrument(25, drums=True), (n(69, 0, BEAT),), volume=127)
    standard = Track("kit", Instrument(0, drums=True), (n(69, 0, BEAT),), volume=127)
    assert np.array_equal(
        render_song(Song(tracks=(kit,)), soundfont=font),
        render_song(Song(tracks=(standard,)), soundfont=font),
    )


def test_a_missing_program_is_a_render_error(tmp_path: Path) -> None:
    track = Track("lead", Instrument(80), (n(69, 0, BEAT),))
    with pytest.raises(RenderError, match="track 'lead': program=80 is missing"):
        render_song(Song(tracks=(track,)), soundfont=font_file(tmp_path, {}))


@settings(max_examples=150, deadline=None)
@given(
    instrument_gens=st.dictionaries(
        st.integers(0, 60).filter(lambda g: g not in (41, 43, 44, 53)),
        st.integers(-32768, 32767),
        max_size=12,
    ),
    preset_gens=st.dictionaries(
        st.integers(0, 60).filter(lambda g: g not in (41, 43, 44, 53)),
        st.integers(-32768, 32767),
        max_size=6,
    ),
    key=st.integers(0, 127),
    velocity=st.integers(1, 127),
)
def test_any_generator_values_play_without_error(
    tmp_path_factory: pytest.TempPathFactory,
    instrument_gens: dict[int, int],
    preset_gens: dict[int, int],
    key: int,
    velocity: int,
) -> None:
    data = build_sf2(
        [looped_sine()],
        [[Zone(0, dict(instrument_gens))]],
        [Preset(0, 0, 0, dict(preset_gens))],
    )
    path = tmp_path_factory.mktemp("gens") / "font.sf2"
    path.write_bytes(data)
    notes = (Note(key, 0, 240, velocity), Note(key, 120, 240, velocity))
    audio = render_song(Song(tracks=(Track("t", Instrument(0), notes),)), soundfont=path)
    assert np.all(np.isfinite(audio))
    # Bounded by what the generators allow: a half-scale sine through a 96 dB resonance
    # (x211 over the 1/sqrt(q) DC gain) and a 96 dB tremolo peak (x63096).
    assert float(np.abs(audio).max()) < 0.5 * 212 * 63_096
