"""Benchmark: our SoundFont synthesizer against FluidSynth and TinySoundFont.

Builds a seeded 3-minute, 8-track General MIDI song, writes it as a Standard
MIDI File with mido, and renders the same song with the same SoundFont three
ways, each on the same one core (this process pinned with
``os.sched_setaffinity``; FluidSynth under ``taskset -c CORE``):

- ours: :func:`render_to_file` to a 16-bit 44.1 kHz WAV, with the SoundFont
  already loaded (as in a running server), and once more counting the load
  (``SoundFont`` parse of the file) to compare with a fresh FluidSynth process;
- FluidSynth's command line to the same WAV format, reverb and chorus off
  (ours has neither); its time includes loading the SoundFont and writing;
- TinySoundFont (our previous renderer) into a numpy buffer, SoundFont loaded,
  event by event as ours schedules them: render only.

Run: ``.venv/bin/python bench/render.py [--runs 5] [--soundfont PATH] [--core 0]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import mido
import numpy as np
import numpy.typing as npt
import soundfile
import tinysoundfont

from bandmate.music.song import Instrument, Note, Song, TempoChange, Track
from bandmate.render import find_soundfont, render_song, render_to_file
from bandmate.render.schedule import NOTE_ON, audible_tracks, schedule_song
from bandmate.render.sf2 import read_sf2
from bandmate.render.zones import SoundFont

PPQ = 480
BPM = 120.0
BARS = 90  # 90 bars of 4/4 at 120 bpm: 3 minutes
BEAT = PPQ
BAR = 4 * PPQ
PROGRESSION = ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12))  # I V vi IV in C


def _chord(bar: int) -> tuple[int, ...]:
    return PROGRESSION[bar % len(PROGRESSION)]


def build_song(seed: int = 7) -> Song:
    """A dense pop arrangement: piano, bass, strings, guitar, brass, pad, lead, drums."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[Note]] = {name: [] for name in ("piano", "bass", "strings", "guitar")}
    parts.update({name: [] for name in ("brass", "pad", "lead", "drums")})
    scale = (0, 2, 4, 5, 7, 9, 11)

    def vel(low: int = 70, high: int = 110) -> int:
        return int(rng.integers(low, high))

    for bar in range(BARS):
        at = bar * BAR
        chord = _chord(bar)
        for eighth in range(8):  # piano: chord on beats, a voice on the off-beats
            tones = chord if eighth % 2 == 0 else (int(rng.choice(chord)),)
            for tone in tones:
                parts["piano"].append(Note(60 + tone, at + eighth * BEAT // 2, BEAT // 2, vel()))
        for eighth in range(8):  # bass: eighth notes on root and fifth
            pitch = 36 + chord[0] % 12 + (7 if eighth % 4 == 3 else 0)
            parts["bass"].append(Note(pitch, at + eighth * BEAT // 2, BEAT // 2 - 20, vel()))
        for half in range(2):  # strings: half-note chords, four voices
            for tone in (*chord, chord[0] + 12):
                parts["strings"].append(
                    Note(55 + tone, at + half * 2 * BEAT, 2 * BEAT, vel(60, 90))
                )
        for sixteenth in range(16):  # guitar: sixteenth arpeggios
            tone = chord[sixteenth % 3] + 12 * (sixteenth // 3 % 2)
            parts["guitar"].append(Note(52 + tone, at + sixteenth * BEAT // 4, BEAT // 4, vel()))
        for beat in (0, 1.5, 3):  # brass: stabs of three voices
            for tone in chord:
                start = at + int(beat * BEAT)
                parts["brass"].append(Note(60 + tone, start, BEAT // 2, vel(80, 120)))
        for tone in (*chord, chord[1] + 12):  # pad: a whole-bar chord
            parts["pad"].append(Note(48 + tone, at, BAR, vel(50, 80)))
        for step in range(8):  # lead: a random eighth-note line in the scale
            pitch = 72 + scale[int(rng.integers(0, 7))]
            parts["lead"].append(Note(pitch, at + step * BEAT // 2, BEAT // 2, vel(80, 120)))
        for step in range(16):  # drums: kick, snare, closed hi-hats, a crash per phrase
            start = at + step * BEAT // 4
            parts["drums"].append(Note(42, start, BEAT // 8, vel(60, 100)))
            if step % 8 == 0 or step == 10:
                parts["drums"].append(Note(36, start, BEAT // 4, vel(100, 127)))
            if step % 8 == 4:
                parts["drums"].append(Note(38, start, BEAT // 4, vel(100, 127)))
        if bar % 8 == 0:
            parts["drums"].append(Note(49, at, BEAT, 110))
    programs = {"piano": 0, "bass": 33, "strings": 48, "guitar": 25, "brass": 61, "pad": 89}
    programs.update({"lead": 80})
    pans = {"piano": -20, "bass": 0, "strings": 30, "guitar": -40, "brass": 20, "pad": -10}
    tracks = [
        Track(
            name, Instrument(programs[name]), tuple(parts[name]), volume=90, pan=pans.get(name, 0)
        )
        for name in programs
    ]
    tracks.append(Track("drums", Instrument(0, drums=True), tuple(parts["drums"]), volume=100))
    return Song(title="bench", ppq=PPQ, tempos=(TempoChange(0, BPM),), tracks=tuple(tracks))


def write_midi(song: Song, path: Path) -> None:
    """Write the song as a type-1 MIDI file with the channels our renderer uses."""
    (plan,), _ = schedule_song(song, sample_rate=44_100)
    setups = {s.track: s for s in plan.channels}
    midi = mido.MidiFile(type=1, ticks_per_beat=song.ppq)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0)])
    midi.tracks.append(meta)
    for track in audible_tracks(song):
        setup = setups[track.name]
        channel = setup.channel
        timed: list[tuple[int, int, mido.Message]] = []
        for note in track.notes:
            on = mido.Message("note_on", channel=channel, note=note.pitch, velocity=note.velocity)
            off = mido.Message("note_off", channel=channel, note=note.pitch, velocity=0)
            timed.extend(((note.start, 1, on), (note.end, 0, off)))
        timed.sort(key=lambda item: (item[0], item[1]))
        messages = mido.MidiTrack()
        messages.append(mido.Message("program_change", channel=channel, program=setup.program))
        messages.append(
            mido.Message("control_change", channel=channel, control=7, value=setup.volume)
        )
        messages.append(
            mido.Message("control_change", channel=channel, control=10, value=setup.pan)
        )
        now = 0
        for tick, _, message in timed:
            messages.append(message.copy(time=tick - now))
            now = tick
        midi.tracks.append(messages)
    midi.save(path)


def _interleaved_times(
    runners: dict[str, Callable[[], object]], runs: int
) -> dict[str, list[float]]:
    """Time each runner ``runs`` times, round by round, after one warm-up run each.

    Round-robin order puts every runner through the same moments of a noisy shared
    machine, so per-round ratios are steadier than ratios of separate medians.
    """
    for run in runners.values():
        run()  # warm-up: page cache, imports, CPU frequency
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(runs):
        for name, run in runners.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    for name, spent in times.items():
        # The spread shows how noisy a shared machine was during the runs.
        print(f"    {name:28s} runs: {', '.join(f'{t:.2f}' for t in spent)} s")
    return times


def _round_ratio(times: dict[str, list[float]], mine: str, theirs: str, scale: float) -> float:
    """The median over rounds of ``mine / theirs`` time, times ``scale``."""
    return statistics.median(a / b * scale for a, b in zip(times[mine], times[theirs], strict=True))


def tinysoundfont_renderer(song: Song, soundfont: Path) -> Callable[[], npt.NDArray[np.float32]]:
    """A TinySoundFont render of the song (font loaded once), as our synth.py did it."""
    (plan,), end = schedule_song(song, sample_rate=44_100)
    synth = tinysoundfont.Synth(samplerate=44_100)
    sfid = synth.sfload(str(soundfont))
    events = plan.events.tolist()

    def render() -> npt.NDArray[np.float32]:
        synth.sounds_off()
        synth.generate_simple(4096)  # let the last run's voices end
        for setup in plan.channels:
            synth.program_select(setup.channel, sfid, 0, setup.program, setup.drums)
            synth.control_change(setup.channel, 7, setup.volume)
            synth.control_change(setup.channel, 10, setup.pan)
        out = np.zeros((end + 44_100, 2), dtype=np.float32)
        view = memoryview(out.data).cast("B")
        pos = 0
        for sample, kind, channel, key, velocity in events:
            if sample > pos:
                synth.generate_simple(sample - pos, view[pos * 8 : sample * 8])
                pos = sample
            if kind == NOTE_ON:
                synth.noteon(channel, key, velocity)
            else:
                synth.noteoff(channel, key)
        synth.generate_simple(len(out) - pos, view[pos * 8 :])
        return out

    return render


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--soundfont", type=Path, default=None)
    parser.add_argument("--core", type=int, default=0, help="the one CPU both renderers run on")
    args = parser.parse_args()
    fluidsynth = shutil.which("fluidsynth")
    soundfont = find_soundfont(args.soundfont)
    os.sched_setaffinity(0, {args.core})
    song = build_song()
    print(f"song: {song.note_count} notes, {len(song.tracks)} tracks; soundfont: {soundfont}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_midi(song, folder / "song.mid")
        ours_wav = folder / "ours.wav"
        result = render_to_file(song, ours_wav, soundfont=soundfont)
        seconds = result.seconds
        print(f"ours: {result.describe()}")
        theirs_wav = folder / "theirs.wav"
        command = [
            *("taskset", "-c", str(args.core), str(fluidsynth), "-ni", "-q", "-R", "0", "-C", "0"),
            *("-g", "1.0", "-r", "44100", "-o", "synth.cpu-cores=1", "-T", "wav"),
            *("-F", str(theirs_wav), str(soundfont), str(folder / "song.mid")),
        ]
        # The command line against the command line: a fresh process that imports, loads the
        # SoundFont, reads the MIDI file, renders and writes, as FluidSynth's run does.
        cli = [
            *("taskset", "-c", str(args.core), sys.executable, "-m", "bandmate.cli.main"),
            *("render", str(folder / "song.mid"), "-o", str(folder / "cli.wav")),
            *("--soundfont", str(soundfont)),
        ]
        runners: dict[str, Callable[[], object]] = {
            "ours, CLI (fresh process)": lambda: subprocess.run(
                cli, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            ),
            "ours, load": lambda: SoundFont(read_sf2(soundfont)),
            "ours, render": lambda: render_song(song, soundfont=soundfont),
            "ours, render + write": lambda: render_to_file(song, ours_wav, soundfont=soundfont),
            "tinysoundfont, render": tinysoundfont_renderer(song, soundfont),
        }
        if fluidsynth is not None:
            runners["fluidsynth, all"] = lambda: subprocess.run(command, check=True)
        times = _interleaved_times(runners, args.runs)
        median = {name: statistics.median(spent) for name, spent in times.items()}

        def line(name: str, elapsed: float, audio_seconds: float = seconds) -> None:
            factor = audio_seconds / elapsed
            print(f"{name:34s}: {elapsed:6.3f} s  {factor:6.1f}x realtime (median)")

        print(f"--- {seconds:.2f} s of audio, one core ---")
        print(f"{'ours, loading the SoundFont':34s}: {median['ours, load']:6.3f} s")
        line("ours, render only", median["ours, render"])
        line("ours, render + write", median["ours, render + write"])
        line("ours, load + render + write", median["ours, load"] + median["ours, render + write"])
        line("ours, CLI (fresh process)", median["ours, CLI (fresh process)"])
        line("tinysoundfont, render only", median["tinysoundfont, render"])
        tsf = _round_ratio(times, "ours, render", "tinysoundfont, render", 1.0)
        print(f"ratio ours/tinysoundfont (render only, time): {tsf:.2f}")
        if fluidsynth is None:
            print("fluidsynth is not installed (bash scripts/install-bench.sh): no comparison")
            return
        their_seconds = soundfile.info(theirs_wav).duration
        line(
            f"fluidsynth ({their_seconds:.2f} s of audio)", median["fluidsynth, all"], their_seconds
        )
        # FluidSynth renders its own tail length: compare time per second of audio.
        per_second = their_seconds / seconds
        loaded = _round_ratio(times, "ours, render + write", "fluidsynth, all", per_second)
        cold = statistics.median(
            (load + mine) / fs * per_second
            for load, mine, fs in zip(
                times["ours, load"],
                times["ours, render + write"],
                times["fluidsynth, all"],
                strict=True,
            )
        )
        print(f"ratio ours/fluidsynth (time per audio second, ours loaded): {loaded:.2f}")
        print(f"ratio ours/fluidsynth (time per audio second, both load): {cold:.2f}")
        print("(< 1.0: ours is faster; ratios are medians over interleaved rounds)")


if __name__ == "__main__":
    main()
