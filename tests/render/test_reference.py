"""Our synthesizer against the references on the same notes and the same SoundFont:
TinySoundFont (a pip package) always, the FluidSynth command line where installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import mido
import numpy as np
import numpy.typing as npt
import pytest
import soundfile
import tinysoundfont

from bandmate.music.song import Instrument, Note, Song, Track
from bandmate.render import bundled_soundfont, render_song
from bandmate.render.schedule import NOTE_ON, schedule_song
from bandmate.render.voice import EMU_ATTENUATION
from bandmate.render.zones import ATTENUATION, load_soundfont

SR = 44_100
Audio = npt.NDArray[np.float32]


@pytest.fixture(scope="module")
def font() -> Path:
    return bundled_soundfont()


def tsf_render(song: Song, font: Path) -> Audio:
    """The song through TinySoundFont, event by event as our renderer schedules it."""
    (plan,), end = schedule_song(song, sample_rate=SR)
    synth = tinysoundfont.Synth(samplerate=SR)
    sfid = synth.sfload(str(font))
    for setup in plan.channels:
        synth.program_select(setup.channel, sfid, 0, setup.program, setup.drums)
        synth.control_change(setup.channel, 7, setup.volume)
        synth.control_change(setup.channel, 10, setup.pan)
    out = np.zeros((end + SR, 2), np.float32)
    view = memoryview(out.data).cast("B")
    pos = 0
    for sample, kind, channel, key, velocity in plan.events.tolist():
        if sample > pos:
            synth.generate_simple(sample - pos, view[pos * 8 : sample * 8])
            pos = sample
        if kind == NOTE_ON:
            synth.noteon(channel, key, velocity)
        else:
            synth.noteoff(channel, key)
    synth.generate_simple(len(out) - pos, view[pos * 8 :])
    return out


def rms_db(audio: npt.NDArray[np.floating]) -> float:
    return 20 * float(np.log10(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))))


def peak_hz(audio: Audio, start: float, stop: float) -> float:
    signal = audio[round(start * SR) : round(stop * SR)].mean(axis=1, dtype=np.float64)
    size = 8 * len(signal)
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal)), size))
    k = int(np.argmax(spectrum))
    a, b, c = (float(v) for v in np.log(spectrum[k - 1 : k + 2]))
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / size


def envelope_db(audio: Audio, frames: int) -> npt.NDArray[np.float64]:
    """RMS level per 20 ms over the first ``frames`` frames, floored at -60 dB."""
    mono = audio[:frames].mean(axis=1, dtype=np.float64)
    hop = SR // 50
    blocks = mono[: len(mono) // hop * hop].reshape(-1, hop)
    levels: npt.NDArray[np.float64] = np.maximum(
        20 * np.log10(np.sqrt(np.mean(blocks**2, axis=1)) + 1e-12), -60.0
    )
    return levels


@pytest.mark.parametrize(
    ("program", "key"),
    [(73, 69), (0, 60), (33, 40), (56, 67)],
    ids=["flute", "piano", "bass", "trumpet"],
)
def test_same_notes_as_tinysoundfont(font: Path, program: int, key: int) -> None:
    song = Song(
        tracks=(Track("t", Instrument(program), (Note(key, 0, 1440, velocity=127),), volume=127),)
    )
    ours = render_song(song, soundfont=font)
    theirs = tsf_render(song, font)
    # The same fundamental (or strongest partial) within 3 cents.
    assert abs(1200 * np.log2(peak_hz(ours, 0.2, 1.4) / peak_hz(theirs, 0.2, 1.4))) < 3
    # The same level, except that we scale initialAttenuation by 0.4 as FluidSynth does.
    # (Instruments of one region only: where layers differ in attenuation, that scaling
    # changes their balance too, which test_track_levels_match_fluidsynth covers.)
    (region,) = [r for r in load_soundfont(font).regions(0, program) if r.plays(key, 127)]
    # And every voice has the DC gain of FluidSynth's filter at Q = 0: +1.5 dB.
    boost = (1 - EMU_ATTENUATION) * region.gens[ATTENUATION] / 10 + 3.01 / 2
    frames = min(len(ours), round(1.5 * SR))
    assert rms_db(ours[:frames]) - rms_db(theirs[:frames]) == pytest.approx(boost, abs=1.5)
    # The same envelope while the note is held (attack, decay); both die away after the
    # note-off at 1.5 s (TinySoundFont's releases are exponential to -80 dB, ours linear
    # in dB to -100 dB, as FluidSynth's, so the tails differ in shape).
    frames = min(len(ours), len(theirs))
    mine, reference = envelope_db(ours, frames), envelope_db(theirs, frames)
    held = slice(0, 75)  # 1.5 s of 20 ms blocks
    assert np.corrcoef(mine, reference)[0, 1] > 0.9
    drift = (mine[held] - mine.max()) - (reference[held] - reference.max())
    assert np.median(np.abs(drift)) < 1.5
    assert mine[-1] - mine.max() < -30
    assert reference[-1] - reference.max() < -30


def write_midi(song: Song, path: Path) -> None:
    (plan,), _ = schedule_song(song, sample_rate=SR)
    midi = mido.MidiFile(type=1, ticks_per_beat=song.ppq)
    by_name = {setup.track: setup for setup in plan.channels}
    for track in song.tracks:
        setup = by_name[track.name]
        ch = setup.channel
        messages = mido.MidiTrack()
        messages.append(mido.Message("program_change", channel=ch, program=setup.program))
        messages.append(mido.Message("control_change", channel=ch, control=7, value=setup.volume))
        messages.append(mido.Message("control_change", channel=ch, control=10, value=setup.pan))
        timed = []
        for note in track.notes:
            on = mido.Message("note_on", channel=ch, note=note.pitch, velocity=note.velocity)
            off = mido.Message("note_off", channel=ch, note=note.pitch, velocity=0)
            timed += [(note.start, 1, on), (note.end, 0, off)]
        now = 0
        for tick, _, message in sorted(timed, key=lambda item: (item[0], item[1])):
            messages.append(message.copy(time=tick - now))
            now = tick
        midi.tracks.append(messages)
    midi.save(path)


@pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth is not installed")
def test_track_levels_match_fluidsynth(font: Path, tmp_path: Path) -> None:
    bar = 1920
    parts = {
        "piano": (Instrument(0), [Note(60 + i % 5, i * 240, 240, 70 + i % 40) for i in range(32)]),
        "bass": (Instrument(33), [Note(36 + i % 3, i * 480, 400, 100) for i in range(16)]),
        "pad": (Instrument(89), [Note(p, b * bar, bar, 60) for b in range(4) for p in (48, 55)]),
        "drums": (
            Instrument(0, drums=True),
            [Note(k, i * 240, 120, 90) for i in range(32) for k in ((36, 42) if i % 2 else (42,))],
        ),
    }
    pans = {"piano": -30, "bass": 0, "pad": 20, "drums": 0}
    for name, (instrument, notes) in parts.items():
        song = Song(tracks=(Track(name, instrument, tuple(notes), volume=100, pan=pans[name]),))
        ours = render_song(song, soundfont=font)
        write_midi(song, tmp_path / "song.mid")
        wav = tmp_path / "fluid.wav"
        command = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "1.0", "-r", str(SR)]
        command += [
            "-O",
            "float",
            "-T",
            "wav",
            "-F",
            str(wav),
            str(font),
            str(tmp_path / "song.mid"),
        ]
        subprocess.run(command, check=True, capture_output=True)
        theirs, rate = soundfile.read(wav, dtype="float32")
        assert rate == SR
        frames = min(len(ours), len(theirs))
        for channel in (0, 1):
            difference = rms_db(ours[:frames, channel]) - rms_db(theirs[:frames, channel])
            assert abs(difference) < 1.0, (name, channel, difference)
