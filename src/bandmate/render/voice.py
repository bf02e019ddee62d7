"""Playing note events on SoundFont regions: voice parameters and one render pass.

For every note-on the channel's preset gives the regions that play the key and
velocity; each becomes a voice in the C voice pool
(:mod:`bandmate.render._voices`) with parameters computed here from the
region's generators and the SF2 default modulators that matter for a rendered
song:

- velocity to initial attenuation: 960 cB on the concave curve, i.e.
  ``40 log10(velocity / 127)`` dB;
- channel volume (CC 7) to attenuation, concave as velocity;
- channel pan (CC 10) added to the region's pan, then a constant-power law.

Velocity does not move the filter cutoff: SF2.01's default velocity-to-cutoff
modulator (8.4.2) contradicts itself, and FluidSynth 2.3 renders the same
spectrum at every velocity (measured: spectral centroid unchanged from
velocity 30 to 127), as TinySoundFont does. A region's initialAttenuation is
scaled by 0.4 as E-mu hardware and FluidSynth do (:data:`EMU_ATTENUATION`).

Note-offs release every voice the note started; a note of an exclusive class
(a hi-hat) chokes the sounding voices of that class on its channel first.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bandmate.errors import RenderError
from bandmate.render._voices import N_PARAMS, VoicePool
from bandmate.render.schedule import NOTE_ON, ChannelSetup, RenderPass
from bandmate.render.zones import (
    ATTENUATION,
    EXCLUSIVE_CLASS,
    FILTER_FC,
    FILTER_Q,
    KEYNUM,
    MOD_ENV,
    MOD_ENV_TO_FC,
    MOD_ENV_TO_PITCH,
    MOD_LFO_DELAY,
    MOD_LFO_FREQ,
    MOD_LFO_TO_FC,
    MOD_LFO_TO_PITCH,
    MOD_LFO_TO_VOLUME,
    PAN,
    SCALE_TUNING,
    VELOCITY,
    VIB_LFO_DELAY,
    VIB_LFO_FREQ,
    VIB_LFO_TO_PITCH,
    VOL_ENV,
    Region,
    SoundFont,
)

VOICE_LIMIT = 256
"""Voices sounding at once, as FluidSynth's default polyphony; the quietest is stolen."""

DRUM_BANK = 128
"""The SoundFont bank of General MIDI drum kits."""

EMU_ATTENUATION = 0.4
"""The factor on a region's initialAttenuation: SoundFonts were voiced on E-mu hardware,
which scales it so, and FluidSynth does the same (TinySoundFont does not)."""

MAX_INCREMENT = 1024.0
"""The most sample frames a voice may advance per output frame (10 octaves up)."""

_BLOCK_FRAMES = 8192  # progress is reported between blocks of at most this many frames
_PACK = struct.Struct(f"<{N_PARAMS}d").pack
_MAX_ATTENUATION_CB = 1440.0


def _seconds(timecents: int) -> float:
    # Zones clamp every timecent generator; the cap only bounds sums with key scaling.
    return float(2.0 ** (min(timecents, 100_000) / 1200.0))


def _concave_cb(value: int) -> float:
    """Attenuation in cB of the SF2 concave curve for a 0..127 controller (127: none)."""
    if value <= 0:
        return _MAX_ATTENUATION_CB
    return -400.0 * math.log10(value / 127.0)


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel's preset and mix for one pass.

    Attributes:
        regions: The preset's regions.
        attenuation_cb: The channel volume (CC 7) as attenuation in cB.
        pan: The channel pan (CC 10) in SF2 units, -500 (left) .. 500 (right).
    """

    regions: tuple[Region, ...]
    attenuation_cb: float
    pan: float


def channel_for(font: SoundFont, setup: ChannelSetup) -> Channel:
    """Look up a channel's preset and turn its volume and pan into SF2 units.

    A drum kit missing from the font falls back to the standard kit (program
    0 of bank 128), as General MIDI synthesizers do.

    Raises:
        RenderError: When the program (or any drum kit) is missing.
    """
    bank = DRUM_BANK if setup.drums else 0
    program = setup.program
    if setup.drums and not font.has_preset(bank, program):
        program = 0
    if not font.has_preset(bank, program):
        kind = "drum kit" if setup.drums else "program"
        raise RenderError(
            f"track {setup.track!r}: {kind}={setup.program} is missing from the SoundFont"
        )
    return Channel(
        regions=font.regions(bank, program),
        attenuation_cb=_concave_cb(setup.volume),
        pan=(setup.pan - 64) / 64.0 * 500.0,
    )


def voice_params(
    region: Region, key: int, velocity: int, channel: Channel, sample_rate: int
) -> bytes:
    """The parameter vector of one voice, as the C voice pool reads it.

    Args:
        region: The region that sounds.
        key: The MIDI key played, 0..127.
        velocity: The note-on velocity, 1..127.
        channel: The channel's volume and pan.
        sample_rate: The output rate in Hz.

    Returns:
        ``N_PARAMS`` little-endian float64 values: sample span, loop, increment,
        gains, envelopes (seconds), LFOs (seconds, Hz), modulation depths, filter.
    """
    g = region.gens
    key = g[KEYNUM] if g[KEYNUM] >= 0 else key
    velocity = g[VELOCITY] if g[VELOCITY] > 0 else velocity
    cents = (key - region.root_key) * g[SCALE_TUNING] + region.tune_cents
    # Clamped: a hostile font may ask for a pitch 100 octaves up.
    increment = min(2.0 ** (cents / 1200.0) * region.sample_rate / sample_rate, MAX_INCREMENT)
    attenuation = EMU_ATTENUATION * g[ATTENUATION] + _concave_cb(velocity) + channel.attenuation_cb
    gain = 10.0 ** (-min(attenuation, _MAX_ATTENUATION_CB) / 200.0)
    pan = min(max(g[PAN] + channel.pan, -500.0), 500.0)
    angle = (pan + 500.0) / 1000.0 * (math.pi / 2.0)
    from_middle = 60 - key
    envelopes: list[float] = []
    for base, sustain_scale in ((VOL_ENV, 10.0), (MOD_ENV, 1000.0)):
        delay = 0.0 if g[base] <= -12_000 else _seconds(g[base])
        envelopes += (
            delay,
            _seconds(g[base + 1]),
            _seconds(g[base + 2] + from_middle * g[base + 6]),
            _seconds(g[base + 3] + from_middle * g[base + 7]),
            # Volume: attenuation in dB; modulation: the level it decays to.
            g[base + 4] / sustain_scale if base == VOL_ENV else 1.0 - g[base + 4] / sustain_scale,
            _seconds(g[base + 5]),
        )
    return _PACK(
        region.start,
        region.end,
        region.loop_start,
        region.loop_end,
        region.loop_mode,
        increment,
        gain * math.cos(angle),
        gain * math.sin(angle),
        *envelopes,
        0.0 if g[MOD_LFO_DELAY] <= -12_000 else _seconds(g[MOD_LFO_DELAY]),
        8.176 * _seconds(g[MOD_LFO_FREQ]),
        g[MOD_LFO_TO_PITCH],
        g[MOD_LFO_TO_FC],
        g[MOD_LFO_TO_VOLUME],
        0.0 if g[VIB_LFO_DELAY] <= -12_000 else _seconds(g[VIB_LFO_DELAY]),
        8.176 * _seconds(g[VIB_LFO_FREQ]),
        g[VIB_LFO_TO_PITCH],
        g[MOD_ENV_TO_PITCH],
        g[MOD_ENV_TO_FC],
        g[FILTER_FC],
        g[FILTER_Q],
        region.peak,
    )


def render_pass(
    font: SoundFont,
    plan: RenderPass,
    out: npt.NDArray[np.float32],
    *,
    sample_rate: int,
    voice_limit: int = VOICE_LIMIT,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Play one pass's events and add the sound into ``out``.

    Args:
        font: The SoundFont.
        plan: Channel setups and sorted note events.
        out: Where the pass is added [shape=(n, 2), dtype=float32, C-contiguous].
            Rendering stops at its end; voices still sounding there are cut.
        sample_rate: The output rate in Hz.
        voice_limit: Voices sounding at once; beyond it the quietest is stolen.
        progress: Called with the position in frames after each block.

    Returns:
        The most voices that sounded at once.

    Raises:
        RenderError: When a track's program is missing from the font.
    """
    channels = {setup.channel: channel_for(font, setup) for setup in plan.channels}
    pool = VoicePool(font.samples, float(sample_rate), voice_limit)
    total = len(out)
    notes: dict[tuple[int, int], list[tuple[int, int]]] = {}
    cache: dict[tuple[int, int, int], list[tuple[int, bytes]]] = {}
    note_id = 0
    pos = 0

    def render_to(stop: int) -> None:
        nonlocal pos
        while pos < stop:
            step = min(stop, pos + _BLOCK_FRAMES)
            if pool.active:
                pool.render(out, pos, step - pos)
            pos = step
            if progress is not None:
                progress(pos)

    for sample, kind, channel, key, velocity in plan.events.tolist():
        render_to(min(sample, total))
        if kind != NOTE_ON:
            for slot, voice in notes.pop((channel, key), ()):
                pool.release(slot, voice)
            continue
        voices = cache.get((channel, key, velocity))
        if voices is None:
            state = channels[channel]
            voices = cache[(channel, key, velocity)] = [
                (r.gens[EXCLUSIVE_CLASS], voice_params(r, key, velocity, state, sample_rate))
                for r in state.regions
                if r.plays(key, velocity)
            ]
        for exclusive, _ in voices:
            if exclusive:
                pool.choke(channel, exclusive)
        note_id += 1
        started = notes.setdefault((channel, key), [])
        for exclusive, params in voices:
            started.append((pool.start(note_id, channel, exclusive, params), note_id))
    # The release tails: render until every voice has ended (the rest stays silent).
    while pos < total and pool.active:
        render_to(min(total, pos + _BLOCK_FRAMES))
    if progress is not None and pos < total:
        progress(total)
    return pool.peak
